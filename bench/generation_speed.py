"""Generation speed: 16 tunes in one batch vs one tune, Generate to first character, Play to first sound.

Three measurements in one run (issue 6, target 3):

* **Batch cost.** ``Sampler.sample`` with ``count=16`` vs ``count=1``, taking turns (so machine noise hits both
  alike), the same ``max_length``; the number of steps each call really sampled is counted (``should_stop`` is
  polled once per step), so the ratio is also printed per step. A randomly initialised lab model (or
  ``--checkpoint``) practically never ends a tune early, so both sides sample the same number of steps.
  Target: 16 tunes cost at most 1.5x one tune.
* **Generate to first character**, model loaded: from calling ``sample`` to the first *sampled* character reaching
  ``on_text`` (the primer is streamed before the model runs). Target: under 0.3 s.
* **Play to first sound**: ``abc_to_midi`` (verovio in its child process), the core ``Player`` clock sending the
  first note to a sink, and FluidSynth rendering audio until the first non-silent block. There is no sound card
  here, so the sink renders offline with a FluidSynth synth whose SoundFont was loaded beforehand (as the window's
  sink is opened once); a sound card adds its own buffer latency (FluidSynth's default period, ~5-10 ms).
  Target: under 0.5 s. The first Play of a process also starts the verovio child and is reported separately.

    python bench/generation_speed.py                      # lab model (hidden 1024), 1 torch thread
    python bench/generation_speed.py --checkpoint PATH    # a trained model
    python bench/generation_speed.py --smoke              # seconds: tiny model, few steps
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np
import torch

from studio.core.configs import ModelConfig, SamplingConfig
from studio.core.corpus import load_corpus
from studio.core.generation.sampling import Sampler
from studio.core.network.model import CharLSTM
from studio.core.network.vocabulary import Vocabulary
from studio.core.sound.midi import abc_to_midi
from studio.core.sound.playback import Player
from studio.core.sound.synth import DEFAULT_GAIN, new_synth, send_to_synth

PRIMER = "X:1\n"


def build_sampler(checkpoint: str | None, hidden_size: int, corpus) -> Sampler:
    if checkpoint:
        return Sampler.from_checkpoint(checkpoint)
    torch.manual_seed(0)
    vocabulary = Vocabulary.from_text("".join(t.text for t in corpus.tunes))
    model = CharLSTM(ModelConfig(vocab_size=len(vocabulary), hidden_size=hidden_size))
    return Sampler(model, vocabulary, "random lab model")


def timed_sample(sampler: Sampler, count: int, length: int, seed: int) -> tuple[float, int]:
    """Seconds and steps of one ``sample`` call."""
    steps = 0

    def count_step() -> bool:
        nonlocal steps
        steps += 1
        return False

    began = time.perf_counter()
    sampler.sample(SamplingConfig(count=count, seed=seed, max_length=length, primer=PRIMER), should_stop=count_step)
    return time.perf_counter() - began, steps


def batch_cost(sampler: Sampler, count: int, length: int, rounds: int) -> None:
    timed_sample(sampler, count, 20, 0)  # warm-up (allocations, kernel selection)
    results: dict[int, list[tuple[float, int]]] = {1: [], count: []}
    for r in range(rounds):
        for n in ((1, count) if r % 2 == 0 else (count, 1)):
            results[n].append(timed_sample(sampler, n, length, seed=100 + r))
    one = statistics.median(t for t, _ in results[1])
    many = statistics.median(t for t, _ in results[count])
    one_step = statistics.median(t / s for t, s in results[1])
    many_step = statistics.median(t / s for t, s in results[count])
    steps = sorted({s for pairs in results.values() for _, s in pairs})
    print(f"batch: 1 tune {one:.3f} s, {count} tunes {many:.3f} s (max_length {length}, steps sampled {steps})")
    print(f"  per step: {one_step * 1000:.2f} ms vs {many_step * 1000:.2f} ms")
    print(f"  ratio {count} tunes / 1 tune: {many / one:.2f}x total, {many_step / one_step:.2f}x per step "
          f"(target <= 1.5x)")


def first_character(sampler: Sampler, count: int, rounds: int) -> None:
    primer_ms, sampled_ms = [], []
    for r in range(rounds):
        marks: list[float] = []
        began = time.perf_counter()

        def on_text(index: int, chunk: str) -> None:
            if index == 0:
                marks.append(time.perf_counter() - began)

        sampler.sample(SamplingConfig(count=count, seed=r, max_length=2, primer=PRIMER), on_text=on_text,
                       should_stop=lambda: len(marks) >= 2)
        primer_ms.append(marks[0] * 1000)
        sampled_ms.append(marks[1] * 1000)
    print(f"Generate -> first character, {count} tune(s): primer streamed after {statistics.median(primer_ms):.1f} ms, "
          f"first sampled character after {statistics.median(sampled_ms):.1f} ms "
          f"(median of {rounds}; worst {max(sampled_ms):.1f} ms; target < 300 ms)")


class OfflineFluidSink:
    """A Player sink playing on a FluidSynth synth without an audio driver; records when sound first appears."""

    BLOCK = 64  # frames (1.5 ms at 44.1 kHz), the smallest block an audio driver would pull

    def __init__(self):
        self.synth, self.sfid = new_synth(None, 44100, DEFAULT_GAIN)
        self.first_sound = threading.Event()
        self.first_sound_at = 0.0

    def send(self, message) -> None:
        send_to_synth(self.synth, self.sfid, message, None)
        if message.type == "note_on" and message.velocity > 0 and not self.first_sound.is_set():
            for _ in range(200):
                block = np.asarray(self.synth.get_samples(self.BLOCK))
                if np.any(block):
                    self.first_sound_at = time.perf_counter()
                    self.first_sound.set()
                    return

    def close(self) -> None:
        self.synth.delete()


def play_to_first_sound(tune: str) -> tuple[float, float, float]:
    """Milliseconds: abc_to_midi, then Player.play until the first non-silent audio block, and the total."""
    sink = OfflineFluidSink()
    player = Player(sink)
    try:
        began = time.perf_counter()
        midi = abc_to_midi(tune)
        converted = time.perf_counter()
        player.load(midi)
        player.play()
        if not sink.first_sound.wait(5):
            raise RuntimeError("no sound within 5 s")
        return ((converted - began) * 1000, (sink.first_sound_at - converted) * 1000,
                (sink.first_sound_at - began) * 1000)
    finally:
        player.close()


def play_latency(corpus, rounds: int) -> None:
    tunes = [t.text for t in corpus.tunes[:rounds + 1]]
    convert, sound, total = play_to_first_sound(tunes[0])
    print(f"Play -> first sound, first Play of the process (starts the verovio child): {total:.0f} ms "
          f"(abc_to_midi {convert:.0f} ms + player and synth {sound:.1f} ms)")
    warm = [play_to_first_sound(t) for t in tunes[1:]]
    print(f"Play -> first sound, later Plays (median of {len(warm)} O'Neill tunes): "
          f"{statistics.median(w[2] for w in warm):.0f} ms (abc_to_midi {statistics.median(w[0] for w in warm):.0f} ms "
          f"+ player and synth {statistics.median(w[1] for w in warm):.1f} ms; worst {max(w[2] for w in warm):.0f} ms;"
          f" target < 500 ms; offline synth, no sound card)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", help="a trained checkpoint instead of a random lab model")
    parser.add_argument("--hidden-size", type=int, default=1024)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--length", type=int, default=300, help="max_length of each sample call")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("--smoke", action="store_true", help="a few seconds: small model, few steps")
    args = parser.parse_args()
    if args.smoke:
        args.hidden_size, args.length, args.rounds = 64, 20, 2
    if args.threads:
        torch.set_num_threads(args.threads)

    corpus = load_corpus("oneills1850")
    sampler = build_sampler(args.checkpoint, args.hidden_size, corpus)
    print(f"model: {sampler.name}, hidden {sampler.model.config.hidden_size}, vocabulary {len(sampler.vocabulary)}, "
          f"{torch.get_num_threads()} torch thread(s), load average {os.getloadavg()[0]:.1f}")
    batch_cost(sampler, args.count, args.length, args.rounds)
    first_character(sampler, 1, args.rounds)
    first_character(sampler, args.count, args.rounds)
    play_latency(corpus, args.rounds)


if __name__ == "__main__":
    main()
