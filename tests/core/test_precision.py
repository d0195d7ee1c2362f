"""Precision ``auto`` by measurement: the choice follows the measured step times, the answer is cached per machine
and shape, a broken cache or a failed measurement never stops a run, and a real probe runs end to end."""

from __future__ import annotations

import json

import pytest
import torch

from studio.core.configs import ModelConfig, TrainConfig
from studio.core.network.precision import (MARGIN, MAX_GRADIENT_ERROR, ProbeKey, auto_precision_label, bf16_warning,
                                            cpu_has_amx, decide, lookup, remember)
from studio.core.network.precision_probe import auto_precision, gradient_error
from support import oneills_first_file

CPU = torch.device("cpu")


def tiny(batch_size: int = 2, vocab_size: int = 12) -> tuple[ModelConfig, TrainConfig]:
    return (ModelConfig(vocab_size=vocab_size, embedding_dim=8, hidden_size=16),
            TrainConfig(batch_size=batch_size, seq_length=8))


class Timings:
    """Measured step times (and optionally bf16's gradient error) handed to ``auto_precision`` in place of real
    steps; counts the measurements."""

    def __init__(self, fp32_ms: float, bf16_ms: float, *gradient_error: float):
        self.times, self.calls = (fp32_ms, bf16_ms, *gradient_error), 0

    def __call__(self) -> tuple[float, ...]:
        self.calls += 1
        return self.times


@pytest.mark.parametrize("fp32_ms, bf16_ms, chosen", [
    (750.0, 624.0, "bf16"),    # 1.20x: the lab's step on this EPYC (bench/train_throughput.py)
    (3590.0, 2750.0, "bf16"),  # 1.31x: batch 32
    (110.0, 100.0, "bf16"),    # exactly the margin
    (105.0, 100.0, "fp32"),    # faster, but not by a clear margin
    (375.0, 691.0, "fp32"),    # bf16 at half speed (products bound by arithmetic, no AMX)
])
def test_the_choice_follows_the_measured_times(fp32_ms, bf16_ms, chosen):
    result = decide(fp32_ms, bf16_ms)
    assert result.precision == chosen and (result.fp32_ms, result.bf16_ms) == (fp32_ms, bf16_ms)
    assert result.speed_up == pytest.approx(fp32_ms / bf16_ms) and not result.cached
    assert f"{fp32_ms / bf16_ms:.2f}x" in result.reason and f"{chosen}:" in result.words()



@pytest.mark.parametrize("error, chosen", [(0.004, "bf16"), (0.05, "bf16"), (0.21, "fp32")])
def test_bf16_whose_gradients_stray_from_fp32s_is_refused_however_fast(error, chosen):
    result = decide(750.0, 280.0, error)  # 2.7x: AMX's bf16 step on an Intel Xeon
    assert result.precision == chosen and result.gradient_error == error
    assert ("gradients" in result.reason) == (chosen == "fp32") and f"{error:.1%} from fp32's" in result.words()


def test_the_gradient_check_is_cached_and_shown_in_the_form(tmp_path):
    path = tmp_path / "precision.json"
    model_config, train_config = tiny()
    first = auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=Timings(750.0, 280.0, 0.21))
    again = auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=Timings(1.0, 2.0))
    assert first.precision == again.precision == "fp32" and again.cached and again.gradient_error == 0.21
    label, why = auto_precision_label(model_config, train_config, 1, path=path)
    assert label == "auto (fp32 here: bf16's gradients 21% off)" and "21.0% from fp32's" in why


def test_bf16_asked_for_is_warned_of_only_where_its_gradients_strayed(tmp_path):
    path = tmp_path / "precision.json"
    model_config, train_config = tiny()
    assert bf16_warning(model_config, train_config, 1, path) == ""  # not measured
    remember(ProbeKey.here(model_config, train_config, 1), decide(750.0, 624.0, 0.004), path)
    assert bf16_warning(model_config, train_config, 1, path) == ""  # accurate here
    remember(ProbeKey.here(model_config, train_config, 1), decide(750.0, 280.0, 0.21), path)
    assert "21% away from fp32's" in bf16_warning(ModelConfig(embedding_dim=8, hidden_size=16), train_config, 1, path)


def test_a_cache_from_before_the_gradient_check_is_measured_again(tmp_path):
    path = tmp_path / "precision.json"
    model_config, train_config = tiny()
    remember(ProbeKey.here(model_config, train_config, 1), decide(750.0, 280.0), path)
    stored = json.loads(path.read_text())
    stored["format"] = 1  # what a studio before the check wrote: bf16 chosen on speed alone
    path.write_text(json.dumps(stored))
    timings = Timings(750.0, 280.0, 0.3)
    assert auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=timings).precision == "fp32"
    assert timings.calls == 1


def test_the_lab_networks_bf16_gradients_stray_only_on_amx():
    """Measured on real kernels at the lab's shapes: oneDNN's AMX LSTM kernels (torch 2.13) leave 16-40% errors;
    bf16 without AMX only its rounding (0.2-0.4%)."""
    from studio.core.network.model import CharLSTM

    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=93, embedding_dim=256, hidden_size=1024))
    inputs, targets = torch.randint(0, 93, (32, 100)), torch.randint(0, 93, (32, 100))
    try:
        error = gradient_error(model, inputs, targets)
    except RuntimeError as exc:  # no bf16 LSTM kernel on this CPU at all: the probe then falls back to fp32
        pytest.skip(f"bf16 autocast cannot run the LSTM here: {exc}")
    assert all(p.grad is None for p in model.parameters())
    assert (error > MAX_GRADIENT_ERROR) == cpu_has_amx(), error


def test_measured_once_per_shape_then_read_back_from_the_cache(tmp_path):
    path = tmp_path / "cache" / "precision.json"
    model_config, train_config = tiny()
    faster = Timings(750.0, 624.0)
    first = auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=faster)
    assert first.precision == "bf16" and not first.cached and faster.calls == 1
    again = auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=faster)
    assert faster.calls == 1 and again.cached and "from the cache" in again.words()
    assert (again.precision, again.fp32_ms, again.bf16_ms) == ("bf16", 750.0, 624.0)
    # another shape, vocabulary or thread count is measured again, and each keeps its own answer
    slower = Timings(375.0, 691.0)
    other_batch = auto_precision(CPU, *tiny(batch_size=4), threads=1, path=path, measure=slower)
    other_vocab = auto_precision(CPU, *tiny(vocab_size=20), threads=1, path=path, measure=slower)
    other_threads = auto_precision(CPU, model_config, train_config, threads=2, path=path, measure=slower)
    assert slower.calls == 3 and {other_batch.precision, other_vocab.precision, other_threads.precision} == {"fp32"}
    assert auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=slower).precision == "bf16"
    stored = json.loads(path.read_text())
    assert len(stored["entries"]) == 4
    assert {entry["key"]["batch_size"] for entry in stored["entries"]} == {2, 4}


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]",
                                     b'{"format": 1, "entries": {"a": 1}}',
                                     b'{"format": 1, "entries": [{"key": 3, "result": null}]}'])
def test_a_corrupt_cache_is_ignored_measured_again_and_rewritten(tmp_path, content):
    path = tmp_path / "precision.json"
    path.write_bytes(content)
    model_config, train_config = tiny()
    assert lookup(ProbeKey.here(model_config, train_config, 1), path) is None
    label, _ = auto_precision_label(model_config, train_config, 1, path=path)
    assert label == "auto (measured when training starts)"
    timings = Timings(750.0, 624.0)
    result = auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=timings)
    assert timings.calls == 1 and result.precision == "bf16"
    assert auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=timings).cached


def test_an_entry_with_a_damaged_result_is_measured_again(tmp_path):
    path = tmp_path / "precision.json"
    model_config, train_config = tiny()
    auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=Timings(750.0, 624.0))
    stored = json.loads(path.read_text())
    stored["entries"][0]["result"]["bf16_ms"] = "fast"
    path.write_text(json.dumps(stored))
    timings = Timings(375.0, 691.0)
    assert auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=timings).precision == "fp32"
    assert timings.calls == 1


def test_a_failed_measurement_is_fp32_with_its_reason_and_is_not_cached(tmp_path):
    path = tmp_path / "precision.json"
    model_config, train_config = tiny()

    def broken():
        raise RuntimeError("bf16 autocast is not supported here")

    result = auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=broken)
    assert result.precision == "fp32" and "bf16 autocast is not supported here" in result.reason
    assert result.fp32_ms is None and not path.exists()
    assert "failed" in result.words()


def test_a_cache_that_cannot_be_written_still_answers(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    result = auto_precision(CPU, *tiny(), threads=1, path=blocker / "precision.json", measure=Timings(750.0, 624.0))
    assert result.precision == "bf16" and "not cached" in result.reason


def test_a_real_probe_at_tiny_shapes_end_to_end(tmp_path):
    model_config, train_config = tiny()
    rng = torch.get_rng_state()
    path = tmp_path / "precision.json"
    result = auto_precision(CPU, model_config, train_config, path=path)  # real steps, timed
    assert torch.equal(torch.get_rng_state(), rng)  # the probe leaves a run's random numbers alone
    assert result.source == "measured" and result.fp32_ms > 0 and result.bf16_ms > 0 and result.gradient_error >= 0
    accurate = result.gradient_error <= MAX_GRADIENT_ERROR
    assert result.precision == ("bf16" if result.fp32_ms / result.bf16_ms >= MARGIN and accurate else "fp32")
    [entry] = json.loads(path.read_text())["entries"]
    assert entry["key"] == {**entry["key"], "threads": torch.get_num_threads(), "hidden_size": 16, "vocab_size": 12}
    assert lookup(ProbeKey.here(model_config, train_config, torch.get_num_threads()), path).cached


def test_the_forms_label_says_what_was_measured_at_these_shapes(tmp_path):
    path = tmp_path / "precision.json"
    model_config, train_config = tiny()
    unknown, why = auto_precision_label(model_config, train_config, 1, path=path)
    assert unknown == "auto (measured when training starts)" and "1.1x" in why
    auto_precision(CPU, model_config, train_config, threads=1, path=path, measure=Timings(750.0, 624.0))
    form_model = ModelConfig(embedding_dim=8, hidden_size=16)  # the form does not know the corpus's characters
    label, why = auto_precision_label(form_model, train_config, 1, path=path)
    assert label == "auto (bf16 here: measured 1.20x faster)" and "624 ms" in why and "750" in why
    auto_precision(CPU, *tiny(batch_size=4), threads=1, path=path, measure=Timings(375.0, 691.0))
    assert auto_precision_label(form_model, tiny(batch_size=4)[1], 1, path=path)[0] == \
        "auto (fp32 here: bf16 measured slower)"
    assert auto_precision_label(form_model, tiny(batch_size=8)[1], 1, path=path)[0] == \
        "auto (measured when training starts)"
    assert auto_precision_label(form_model, train_config, 2, path=path)[0] == "auto (measured when training starts)"
    assert auto_precision_label(None, None, 1, path=path)[0] == "auto (measured when training starts)"


def test_a_resumed_run_goes_on_in_the_precision_it_started_in(tiny_configs, tmp_path):
    from studio.core.corpus import load_corpus
    from studio.core.learning.training import Trainer
    from studio.core.runs import RunStore

    model_config, train_config = tiny_configs(2, validation_windows=4)
    corpus = load_corpus(str(oneills_first_file()))
    trainer = Trainer.new(corpus, model_config, train_config, RunStore(tmp_path / "runs"))
    trainer.run()
    started = trainer.auto_precision
    # the machine's answer changes (a new measurement, another torch...): the run keeps its own
    opposite = decide(100.0, 50.0) if started.precision == "fp32" else decide(100.0, 200.0)
    remember(ProbeKey.here(trainer.model_config, train_config, torch.get_num_threads()), opposite)
    resumed = Trainer.resume(trainer.run_folder, iterations=4, corpus=corpus)
    assert resumed.auto_precision.source == "run" and resumed.auto_precision.precision == started.precision
    assert resumed.use_bf16 == trainer.use_bf16 and "as when the run started" in resumed.auto_precision.words()
    assert resumed.run().reason == "finished"
    recorded = trainer.run_folder.meta()["precision_auto"]
    assert (recorded["fp32_ms"], recorded["bf16_ms"]) == (started.fp32_ms, started.bf16_ms)


def test_what_a_run_started_in_is_read_from_its_run_json():
    from studio.core.network.precision import as_started

    measured = decide(750.0, 624.0).to_dict()
    assert as_started({"precision": "bf16", "precision_auto": measured}).precision == "bf16"
    assert as_started({"precision": "fp32"}).precision == "fp32"  # a run from before measuring (CPU flags)
    assert as_started({"precision": "fp32", "precision_auto": {"precision": "fp32", "reason": "failed"}}).source == \
        "run"
    assert as_started({}) is None and as_started({"precision": "fp16"}) is None
