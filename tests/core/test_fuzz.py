"""Bounded fuzzing: hostile ABC through every core entry point, in a child process that must survive and report.

The child (this file run as a script) builds a fixed-seed hostile set — random mutations of real O'Neill tunes,
hand-written pathological tunes (stray ``]``, unclosed groups, absurd lengths and octaves, broken headers), binary
junk, NUL bytes, UTF-16, a 10 MB line and a 10,000-tune file — and drives each input through corpus import,
``validate_tune``, ``repair_tune``, ``tune_metrics``, notation rendering (verovio's child process), ``abc_to_midi`` /
MIDI export and offline FluidSynth rendering. It prints one JSON line per (input, entry point): ``ok`` with a result,
``error`` with our own exception's message, or ``unexpected`` with a traceback. The parent runs it as a subprocess,
so a segmentation fault shows as a failure instead of killing pytest, and a watchdog turns a hang into a failure.
"""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
import time
import traceback
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED = 20261124
MUTATED_TUNES = 20  # real tunes mutated (each through every entry point): a fixed count, the same on any machine
SYNTH_EVERY = 6  # offline FluidSynth render of every n-th input that made MIDI
HANG_S = 300.0  # no report line for this long means the child hangs (a guard far above any one call, not a speed
# test; still under the suite's 600 s per test)
TEN_MB = 10 * 1024 * 1024

# --------------------------------------------------------------------------- the hostile set

MUTATION_ALPHABET = "[]\"|^_=0123456789(){}/',<>:!~"


def mutate(text: str, rng: random.Random) -> str:
    """1 to 6 random edits: insert, delete or replace a character with brackets, quotes, bars, accidentals, digits."""
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        position = rng.randrange(len(chars) + 1)
        action = rng.choice(("insert", "insert", "delete", "replace", "burst"))
        if action == "insert":
            chars.insert(position, rng.choice(MUTATION_ALPHABET))
        elif action == "burst":
            chars[position:position] = rng.choices(MUTATION_ALPHABET, k=rng.randint(2, 12))
        elif chars and position < len(chars):
            if action == "delete":
                del chars[position]
            else:
                chars[position] = rng.choice(MUTATION_ALPHABET)
    return "".join(chars)


HEAD = "X:1\nT:Hostile\nM:6/8\nL:1/8\nK:D\n"
FIXED_HOSTILE = {
    "stray ] after a note": HEAD + "dfa a]|bag fed|\n",
    "stray ] in end bar": HEAD + "abc|]] |def|\n",
    "double ] after chord": HEAD + "[abc]]|def|\n",
    "lone ]": HEAD + "]\n",
    "unclosed chord": HEAD + "[dfa bag|fed\n",
    "unclosed slur": HEAD + "(dfa bag|fed cde|\n",
    "unclosed tuplet": HEAD + "(3ab|\n",
    "tuplet at end": HEAD + "abc (3\n",
    "unclosed grace group": HEAD + "{gab dfa|bag\n",
    "nested chaos": HEAD + "[{(\"[{(|]})\"]})\n",
    "absurd length": HEAD + "a99999999 b|\n",
    "huge fraction": HEAD + "a99999999/99999999 b|\n",
    "division by zero": HEAD + "a/0 b|\n",
    "zero length": HEAD + "a0 b0 c0|\n",
    "octaves above MIDI": HEAD + "c'''''''''''''''''''' d|\n",
    "octaves below MIDI": HEAD + "C,,,,,,,,,,,,,,,,,,,, D|\n",
    "accidental pile-up": HEAD + "^^^^^^^^a __________b =^_c|\n",
    "tuplet absurd": HEAD + "(999999999:0:0abc|\n",
    "empty tune": "X:1\n",
    "empty text": "",
    "whitespace only": "   \n\n\t\n",
    "headers only": "X:1\nT:Only headers\nM:6/8\nL:1/8\nK:D\n",
    "missing K": "X:1\nT:No key\nM:6/8\nL:1/8\ndfa bag|fed cde|\n",
    "no X": "T:No X\nK:D\ndfa bag|\n",
    "meter 0/0": "X:1\nM:0/0\nL:1/8\nK:D\ndfa bag|\n",
    "meter words": "X:1\nM:sometimes\nL:1/8\nK:D\ndfa bag|\n",
    "meter huge": "X:1\nM:99999999999/3\nL:1/8\nK:D\ndfa bag|\n",
    "meter odd denominator": "X:1\nM:7/3\nL:1/8\nK:D\ndfa bag|\n",
    "unit length 0": "X:1\nM:6/8\nL:0\nK:D\ndfa bag|\n",
    "unit length 1/0": "X:1\nM:6/8\nL:1/0\nK:D\ndfa bag|\n",
    "unit length words": "X:1\nM:6/8\nL:quick\nK:D\ndfa bag|\n",
    "tempo 0": "X:1\nM:6/8\nL:1/8\nQ:0\nK:D\ndfa bag|\n",
    "tempo negative": "X:1\nM:6/8\nL:1/8\nQ:-120\nK:D\ndfa bag|\n",
    "tempo huge": "X:1\nM:6/8\nL:1/8\nQ:1/4=999999999999\nK:D\ndfa bag|\n",
    "tempo tiny": "X:1\nM:6/8\nL:1/8\nQ:1/99999=1\nK:D\ndfa bag|\n",
    "tempo words": "X:1\nM:6/8\nL:1/8\nQ:allegro\nK:D\ndfa bag|\n",
    "key nonsense": "X:1\nM:6/8\nL:1/8\nK:Q##mixolydian^^^\ndfa bag|\n",
    "mid-tune field junk": HEAD + "dfa|[M:0/0]bag|[L:1/0]fed|[K:]cde|\n",
    "NUL bytes": HEAD + "df\x00a b\x00ag|\x00\n",
    "control characters": HEAD + "".join(chr(c) for c in range(1, 32)) + "dfa|\n",
    "unicode junk": HEAD + "dfa \u2603\u00e9\U0001F3B5 b\u0301ag|\ufffd\n",
    "lone surrogate": HEAD + "dfa \ud800 bag|\n",
    "very many bars": HEAD + "|" * 50_000 + "\n",
    "very many notes": HEAD + "abc " * 20_000 + "\n",
    "deep nesting": HEAD + "(" * 5000 + "abc" + ")" * 5000 + "\n",
    "many quotes": HEAD + '"' * 9999 + "abc\n",
    "10 MB single line": "X:1\nT:Long\nM:6/8\nL:1/8\nK:D\n" + ("dfa bag|" * (TEN_MB // 8)),
}

# binary files for corpus import (bytes, not text)
def binary_files(rng: random.Random, good_tune: str) -> dict[str, bytes]:
    return {
        "binary junk": bytes(rng.randrange(256) for _ in range(200_000)),
        "binary after X": b"X:1\nK:D\n" + bytes(rng.randrange(256) for _ in range(50_000)),
        "NUL-filled file": b"\x00" * 100_000,
        "UTF-16 with BOM": good_tune.replace("\n", "\r\n").encode("utf-16"),
        "UTF-16 BE with BOM": b"\xfe\xff" + good_tune.encode("utf-16-be"),
        "UTF-8 with BOM": b"\xef\xbb\xbf" + good_tune.encode("utf-8"),
        "latin-1": (good_tune.replace("T:", "T:Caf\xe9 ", 1)).encode("latin-1"),
        "truncated UTF-8": good_tune.encode("utf-8") + b"\xe2\x82",
    }


def ten_thousand_tunes(rng: random.Random) -> str:
    letters = "DEFGABcdefgab"
    tunes = []
    for n in range(1, 10_001):
        body = "|".join("".join(rng.choices(letters, k=6)) for _ in range(8))
        tunes.append(f"X:{n}\nT:Tune {n}\nM:6/8\nL:1/8\nK:D\n{body}|]\n")
    return "\n".join(tunes)


# --------------------------------------------------------------------------- the child: drive every entry point

class Reporter:
    """Runs one entry point on one input and prints the outcome as a JSON line."""

    def __init__(self, clear_errors: tuple[type[BaseException], ...]):
        self.clear_errors = clear_errors

    def __call__(self, label: str, entry: str, function, *args, **kwargs):
        started = time.monotonic()
        record = {"input": label, "entry": entry}
        result = None
        try:
            result = function(*args, **kwargs)
            record["outcome"] = "ok"
        except self.clear_errors as exc:
            record["outcome"] = "error"
            record["message"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - exactly what the fuzz test looks for
            record["outcome"] = "unexpected"
            record["message"] = f"{type(exc).__name__}: {exc}"[:500]
            record["traceback"] = traceback.format_exc()[-3000:]
        record["seconds"] = round(time.monotonic() - started, 3)
        print(json.dumps(record), flush=True)
        return result


def drive_tune(report: Reporter, label: str, text: str, renderer, workdir: Path, synth: bool) -> None:
    from studio.core.abc.repair import repair_tune
    from studio.core.abc.validate import validate_tune
    from studio.core.export import export_midi
    from studio.core.quality.metrics import tune_metrics
    from studio.core.sound.midi import abc_to_midi
    from studio.core.sound.synth import render_midi_to_pcm

    def validated(t):
        result = validate_tune(t)
        assert isinstance(result.problems, list)
        return result

    def repaired(t):
        fixed = repair_tune(t)
        assert isinstance(fixed, str)
        return fixed

    def rendered(t):
        rendering = renderer.render(t)
        if not rendering.ok:
            assert rendering.error.strip(), "a failed rendering must say why"
            rendering.raise_for_error()
        return rendering

    report(label, "validate_tune", validated, text)
    fixed = report(label, "repair_tune", repaired, text)
    if fixed is not None:
        report(label, "validate_tune(repaired)", validated, fixed)
    report(label, "tune_metrics", tune_metrics, text)
    rendering = report(label, "notation render", rendered, text)
    midi = report(label, "abc_to_midi", abc_to_midi, text, renderer=renderer, rendering=rendering)
    report(label, "export_midi", export_midi, text, workdir / "out.mid")
    if synth and midi is not None and midi.length < 600:
        report(label, "offline synth", render_midi_to_pcm, midi)


def drive_corpus(report: Reporter, label: str, path: Path) -> None:
    from studio.core.corpus import load_corpus

    corpus = report(label, "load_corpus", load_corpus, path)
    if corpus is not None:
        print(json.dumps({"corpus": label, "kept": len(corpus.tunes), "dropped": corpus.report.dropped,
                          "summary": corpus.report.summary()[:2000]}), flush=True)


def child_main(workdir: Path) -> None:
    from studio.core.corpus import CorpusError, load_corpus
    from studio.core.engraving.notation import NotationRenderer, RenderError
    from studio.core.export import ExportError
    from studio.core.sound.midi import MidiExportError
    from studio.core.sound.synth import SoundFontError, SynthUnavailable

    rng = random.Random(SEED)
    report = Reporter((CorpusError, ExportError, MidiExportError, RenderError, SoundFontError, SynthUnavailable))
    real = load_corpus("oneills1850").tunes
    picked = rng.sample(real, MUTATED_TUNES)
    good = [t.text for t in rng.sample(real, 5)]

    # corpus import: one file mixing good and bad tunes, and the odd files
    mixed = list(good) + [t for t in FIXED_HOSTILE.values() if len(t) < 100_000]
    rng.shuffle(mixed)
    (workdir / "mixed.abc").write_text("\n\n".join(mixed) + "\n", encoding="utf-8", errors="replace")
    print(json.dumps({"good_in_mixed": len(good)}), flush=True)
    drive_corpus(report, "mixed good and bad tunes", workdir / "mixed.abc")
    for label, data in binary_files(rng, good[0]).items():
        path = workdir / f"{label.replace(' ', '_')}.abc"
        path.write_bytes(data)
        drive_corpus(report, label, path)
    (workdir / "ten_mb.abc").write_text(FIXED_HOSTILE["10 MB single line"] + "\n\n" + good[1], encoding="utf-8")
    drive_corpus(report, "10 MB line plus a good tune", workdir / "ten_mb.abc")
    (workdir / "many.abc").write_text(ten_thousand_tunes(rng), encoding="utf-8")
    drive_corpus(report, "10,000 tunes in one file", workdir / "many.abc")
    (workdir / "empty.abc").write_bytes(b"")
    drive_corpus(report, "empty file", workdir / "empty.abc")

    with NotationRenderer() as renderer:
        count = 0
        for label, text in FIXED_HOSTILE.items():
            drive_tune(report, label, text, renderer, workdir, synth=count % SYNTH_EVERY == 0)
            count += 1
        for label, data in binary_files(rng, good[0]).items():
            text = data.decode("latin-1")
            drive_tune(report, f"{label} (as text)", text, renderer, workdir, synth=False)
        for index, tune in enumerate(picked):
            text = mutate(tune.text, rng)
            drive_tune(report, f"mutated {tune.id}", text, renderer, workdir, synth=index % SYNTH_EVERY == 0)
        print(json.dumps({"renderer_restarts": renderer.restarts}), flush=True)
    print(json.dumps({"done": True}), flush=True)


# --------------------------------------------------------------------------- the parent: pytest


def run_child(workdir: Path) -> tuple[int | None, list[dict], str]:
    """Runs the child with a watchdog; returns (exit code or None when it hung, records, stderr tail)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["ABC_STUDIO_HOME"] = str(workdir / "home")
    process = subprocess.Popen([sys.executable, __file__, str(workdir)], stdout=subprocess.PIPE,
                               stderr=open(workdir / "stderr.txt", "wb"), cwd=str(PROJECT_ROOT), env=env)
    records, buffer, hung = [], b"", False
    fd = process.stdout.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], HANG_S)
        if not ready:
            hung = True
            process.kill()
            break
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        records += [json.loads(line) for line in lines if line.startswith(b"{")]
    process.wait()
    stderr = (workdir / "stderr.txt").read_text(errors="replace")[-3000:]
    return (None if hung else process.returncode), records, stderr


def test_hostile_abc_never_kills_or_hangs_and_each_input_gets_an_answer(tmp_path):
    code, records, stderr = run_child(tmp_path)
    outcomes = [r for r in records if "outcome" in r]
    last = outcomes[-1] if outcomes else None
    assert code is not None, f"the child hung after {last}"
    assert code == 0, f"the child died with exit code {code} after {last}\n{stderr}"
    assert any(r.get("done") for r in records), "the child did not finish its run"

    unexpected = [r for r in outcomes if r["outcome"] == "unexpected"]
    assert not unexpected, "\n\n".join(f"{r['input']} / {r['entry']}: {r['traceback']}" for r in unexpected[:5])
    for r in outcomes:
        if r["outcome"] == "error":
            assert len(r["message"].strip()) > 10, f"an unclear message for {r['input']} / {r['entry']}: {r}"

    # every input reached every tune entry point (no silent skip)
    inputs = {r["input"] for r in outcomes if r["entry"] == "validate_tune"}
    for name in FIXED_HOSTILE:
        assert name in inputs
    for entry in ("repair_tune", "tune_metrics", "notation render", "abc_to_midi", "export_midi"):
        assert {r["input"] for r in outcomes if r["entry"] == entry} == inputs, entry
    assert sum(r["input"].startswith("mutated") for r in outcomes if r["entry"] == "validate_tune") == MUTATED_TUNES
    assert any(r["entry"] == "offline synth" and r["outcome"] == "ok" for r in outcomes)

    # corpus import: good tunes in a mixed file still load, each bad one is dropped with a reason
    corpora = {r["corpus"]: r for r in records if "corpus" in r}
    good_in_mixed = next(r["good_in_mixed"] for r in records if "good_in_mixed" in r)
    assert corpora["mixed good and bad tunes"]["kept"] >= good_in_mixed
    assert corpora["mixed good and bad tunes"]["dropped"], "the bad tunes of the mixed file were not reported"
    assert corpora["10 MB line plus a good tune"]["kept"] == 1
    assert "longer than" in " ".join(corpora["10 MB line plus a good tune"]["dropped"])
    assert corpora["10,000 tunes in one file"]["kept"] == 10_000
    for label in ("UTF-16 with BOM", "UTF-16 BE with BOM", "UTF-8 with BOM", "latin-1"):
        assert corpora[label]["kept"] == 1, label
    loads = {r["input"]: r for r in outcomes if r["entry"] == "load_corpus"}
    for label in ("binary junk", "NUL-filled file", "empty file"):
        assert loads[label]["outcome"] == "error", label

    crashes = sum(r["outcome"] == "unexpected" for r in outcomes)
    print(f"\nfuzz: {len(inputs)} hostile tunes + {len(corpora) + 3} corpus files, {len(outcomes)} entry-point calls, "
          f"{sum(r['outcome'] == 'error' for r in outcomes)} clear errors, {crashes} crashes, "
          f"slowest call {max(r['seconds'] for r in outcomes):.1f} s")


if __name__ == "__main__":
    child_main(Path(sys.argv[1]))
