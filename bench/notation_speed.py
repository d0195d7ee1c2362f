"""Measures the cost of safe engraving and of sound: prints ratios of two things measured in one run.

* verovio in this process vs. through the child process of NotationRenderer (the price of safety);
* a child restart after a crash vs. a normal render;
* offline FluidSynth rendering speed vs. real time.

Run: ``.venv/bin/python bench/notation_speed.py [number of tunes]``.
"""

from __future__ import annotations

import statistics
import sys
import time

import verovio
from music21 import corpus

from studio.core.abc.text import split_tunes
from studio.core.engraving.notation import NotationRenderer, _render_in_this_process
from studio.core.sound.midi import abc_to_midi
from studio.core.sound.synth import render_midi_to_pcm


def oneill_tunes(count: int) -> list[str]:
    path = next(p for p in corpus.getCorePaths(fileExtensions=("abc",)) if "oneills1850" in str(p))
    return split_tunes(path.read_bytes().decode("latin-1"))[:count]


def milliseconds(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def main(count: int = 20) -> None:
    tunes = oneill_tunes(count)
    toolkit = verovio.toolkit()
    _render_in_this_process(toolkit, {"abc": tunes[0]})  # warm up (fonts, caches) like the child below
    in_process = [milliseconds(lambda t=t: _render_in_this_process(toolkit, {"abc": t})) for t in tunes]
    with NotationRenderer() as renderer:
        cold = milliseconds(lambda: renderer.render(tunes[0]))
        child = [milliseconds(lambda t=t: renderer.render(t)) for t in tunes]
        restarts = []
        for tune in tunes[:5]:
            renderer.render("X:1\nK:D\na]|")  # crashes the child
            restarts.append(milliseconds(lambda t=tune: renderer.render(t)))
        midis = [abc_to_midi(t, renderer=renderer) for t in tunes[:5]]
    music_s = sum(m.length for m in midis)
    synth_ms = sum(milliseconds(lambda m=m: render_midi_to_pcm(m, tail_s=0)) for m in midis)

    mean_in, mean_child, mean_restart = map(statistics.mean, (in_process, child, restarts))
    print(f"tunes: {len(tunes)}")
    print(f"verovio in process (load+SVG+timemap+MIDI): {mean_in:.1f} ms per tune")
    print(f"through the child process:                  {mean_child:.1f} ms per tune "
          f"(ratio {mean_child / mean_in:.2f}); first call with child start {cold:.0f} ms")
    print(f"render right after a crash (child restart): {mean_restart:.1f} ms "
          f"(ratio to a normal render {mean_restart / mean_child:.1f})")
    print(f"FluidSynth offline: {music_s:.1f} s of music in {synth_ms:.0f} ms = "
          f"{music_s * 1000 / synth_ms:.0f}x real time")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
