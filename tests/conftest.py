"""Test set-up shared by the core and UI tests: one torch thread, a private data folder and Qt offscreen, before
anything starts."""

import os
import tempfile
from pathlib import Path

# One thread per process: torch's default of 2 threads on a 2-core machine oversubscribes the cores as soon as
# anything else runs (a resume test took 107 s instead of 5.6 s). Set before torch is imported, and in the
# environment so that every subprocess a test starts (the CLI, torchrun, the killed window) inherits it.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import torch  # noqa: E402

torch.set_num_threads(1)

# Qt's offscreen screen is 800 pixels wide by default, narrower than the window's minimum: a desktop-sized screen
# instead (restoreGeometry shrinks a saved size to the screen, so remembered sizes could not be tested on 800).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}"
os.environ["ABC_STUDIO_HOME"] = tempfile.mkdtemp(prefix="abc-studio-tests-")
# The caches of derived data (corpora rewritten at a text level, reference statistics: O'Neill's take about a minute
# to rewrite and measure) are shared by the whole run: the process that starts pytest makes the folder, and the
# parallel workers (pytest-xdist, ``./studio.sh test``) inherit its path, so each is built once, not once per worker.
# The app writes them atomically, so two workers may safely write the same entry.
_OWNS_CACHE = "ABC_STUDIO_TESTS_CACHE" not in os.environ
if _OWNS_CACHE:
    os.environ["ABC_STUDIO_TESTS_CACHE"] = tempfile.mkdtemp(prefix="abc-studio-tests-cache-")
_CACHE = Path(os.environ["ABC_STUDIO_TESTS_CACHE"])

import errno  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402

from support import copy_run, oneills_first_file  # noqa: E402

_SESSION_HOME = Path(os.environ["ABC_STUDIO_HOME"])
(_SESSION_HOME / "cache").symlink_to(_CACHE, target_is_directory=True)


def pytest_sessionfinish(session, exitstatus):
    """The session's own data folder goes when the session ends (each test's home is under its tmp_path), and the
    run's cache with the process that made it (the last to finish: workers end before the process that started
    them)."""
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
    if _OWNS_CACHE:
        shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    """Each test's own data folder (``ABC_STUDIO_HOME``): runs, experiments and tunes.json, in a temporary folder
    beside the test's tmp_path (which stays the test's alone). Only the caches of derived data (corpus reference
    statistics, corpora rewritten at a text level, keyed by the corpus and the rewrite's version) are shared by the
    run (every worker), so a test does not rewrite O'Neill's again."""
    folder = tmp_path_factory.mktemp("home")
    _CACHE.mkdir(parents=True, exist_ok=True)
    (folder / "cache").symlink_to(_CACHE, target_is_directory=True)
    monkeypatch.setenv("ABC_STUDIO_HOME", str(folder))
    return folder


# ---- the session's real artefacts: one corpus, one tiny trained run, one tiny experiment, the shipped model ----

@pytest.fixture(scope="session")
def oneills():
    """O'Neill's Music of Ireland (1850), the whole built-in corpus."""
    from studio.core.corpus import load_corpus

    return load_corpus("oneills1850")


@pytest.fixture(scope="session")
def trained_run(oneills, tmp_path_factory):
    """A real run: the tiny preset trained for 150 steps on O'Neill's, with checkpoints on disk. Shared by the
    session: a test that writes into its folder (reports, scores, samples) takes ``trained_run_copy``."""
    from studio.core.configs import preset
    from studio.core.learning.training import Trainer
    from studio.core.runs import RunStore

    store = RunStore(tmp_path_factory.mktemp("trained") / "runs")
    model_config, train_config = preset("tiny")
    train_config.iterations = 150
    train_config.learning_rate = 1e-2
    # on random windows: the tests that read it compare the trainer's window validation with ``score --method
    # windows`` and sample from it at seeds chosen for what that model writes (stream runs: test_stream_training.py)
    train_config.context = "window"
    # fp32 given, not auto (which measures this machine): its window validation loss is compared with ``score``'s
    train_config.precision = "fp32"
    result = Trainer.new(oneills, model_config, train_config, store, "fixture").run()
    assert result.reason == "finished", result.error
    return result.run


@pytest.fixture
def trained_run_copy(trained_run, tmp_path):
    """The session's trained run copied into this test's ``tmp_path/runs``, for a test that writes into it."""
    return copy_run(trained_run, tmp_path / "runs")


def _recorder():
    """An experiment listener that keeps the events it heard."""
    from studio.core.learning.experiments import ExperimentListener

    class Recorder(ExperimentListener):
        def __init__(self):
            self.events = []

        def on_arm_started(self, index, total, label):
            self.events.append(("arm", index, total, label))

        def on_phase(self, index, phase):
            self.events.append(("phase", index, phase))

        def on_step(self, index, step, loss, total_steps):
            self.events.append(("step", index, step))

    return Recorder()


@pytest.fixture(scope="session")
def tiny_experiment(tmp_path_factory):
    """Two real tiny runs (batch 8 vs 4, 20 steps) on one O'Neill's file, 3 tunes each: ``(result, recorder)``.
    Shared by the session and not to be written into: a test that writes a report takes ``experiment_copy``."""
    from studio.core.learning.experiment_spec import ExperimentSpec
    from studio.core.learning.experiments import run_experiment
    from studio.core.runs import RunStore

    root = tmp_path_factory.mktemp("experiment")
    spec = ExperimentSpec("batch_size", [8, 4], preset="tiny", corpus=oneills_first_file(), iterations=20,
                          tunes_per_run=3, max_length=400, overrides={"validation_interval": 10})
    recorder = _recorder()
    result = run_experiment(spec, store=RunStore(root / "runs"), root=root / "experiments", listener=recorder)
    assert result.status == "finished"
    return result, recorder


@pytest.fixture
def experiment_copy(tiny_experiment, tmp_path):
    """The session's experiment with its runs copied under ``tmp_path`` (``runs/``, ``experiments/<id>/``; the
    copy's results name the copied runs), reloaded: for a test that writes its report or opens it in the window."""
    import json

    from studio.core.learning.experiments import load_experiment

    result, _ = tiny_experiment
    root = tmp_path / "lab"
    shutil.copytree(result.folder.parent.parent / "runs", root / "runs")
    folder = root / "experiments" / result.folder.name
    shutil.copytree(result.folder, folder)
    results = folder / "results.json"
    text = results.read_text(encoding="utf-8")
    for old, new in ((str(result.folder), str(folder)), (str(result.folder.parent.parent), str(root))):
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    results.write_text(text, encoding="utf-8")
    return load_experiment(folder)


@pytest.fixture(scope="session")
def shipped_sampler():
    """The shipped model (models/default.pt), loaded once for the session; skips when the checkout lacks it."""
    from studio.core.generation.sampling import Sampler
    from studio.core.paths import SHIPPED_MODEL

    if not SHIPPED_MODEL.exists():
        pytest.skip("models/default.pt is not in this checkout")
    return Sampler.from_checkpoint(SHIPPED_MODEL)


# ---- the quick loop: ``./studio.sh test -m "not slow"`` ----------------------------------------------------------

#: Tests that take more than a few seconds on a 2-core machine (measured with --durations), by node id prefix; each
#: is marked ``slow`` here, in one place, rather than in files that other work edits. ``./studio.sh test`` (and CI)
#: still runs every one of them.
SLOW = (
    "tests/core/test_kill_resume.py",
    "tests/core/test_fuzz.py",
    "tests/core/test_distributed.py",
    "tests/core/test_distributed_context.py",
    "tests/core/test_missing_devices.py",
    "tests/core/test_report_html.py",
    "tests/core/test_default_model.py",
    "tests/core/test_headless.py",
    "tests/core/test_reference_cache.py::test_evaluate_prints_the_same_with_a_cold_and_a_warm_cache",
    "tests/core/test_scoring.py::test_the_shipped_models_card_figure_is_reproduced",
    "tests/core/test_experiments.py::test_temperature_experiment_trains_once_and_samples_at_each_value",
    "tests/test_layers.py",
    "tests/cli/test_cli.py::test_train_runs_and_generate_as_real_processes",
    "tests/cli/test_cli.py::test_corpus_of_a_file_as_a_real_process",
    "tests/cli/test_cli.py::test_generate_out_adds_to_a_tune_book_the_window_can_open",
    "tests/cli/test_cli_generate.py::test_strict_ab_best_of_two_keeps_valid_tunes_and_says_why",
    "tests/cli/test_experiment_cli.py",
    "tests/cli/test_export_cli.py::test_the_wav_is_the_mix_with_its_count_in_as_a_real_process",
    "tests/cli/test_report_cli.py::test_a_tune_book_through_the_real_entry_point",
    "tests/cli/test_report_cli.py::test_a_run_by_id_without_audio_writes_beside_the_run",
    "tests/cli/test_score_cli.py::test_the_loss_per_note_counts_the_same_notes_at_every_text_level",
    "tests/ui/test_generate_strict.py::test_best_of_two_keeps_strict_tunes_and_shows_mode_and_score",
    "tests/ui/test_report_actions.py",
    "tests/ui/test_tune_books.py::test_a_killed_window_keeps_the_generated_tune_and_its_edit",
    "tests/ui/test_tune_books.py::test_300_oneill_tunes_open_and_round_trip_through_save_as",
    "tests/ui/test_deferred.py::test_the_window_paints_before_importing_the_heavy_libraries",
    "tests/ui/test_quality_experiment_lifecycle.py",
    "tests/ui/test_main_window.py::test_closing",
    # measured with -n 2 (--junitxml, issue 22): the quick loop keeps one temperature of the strict meter matrix
    "tests/core/test_strict_sampling.py::test_strict_tunes_are_valid_in_every_meter[0.5",
    "tests/core/test_strict_sampling.py::test_strict_tunes_are_valid_in_every_meter[2.0",
    "tests/core/test_cadence.py::test_the_seed_decides_the_tune",
    "tests/core/test_cadence.py::test_home_tunes_come_home",
    "tests/core/test_disk_full.py::test_the_cli_exits_non_zero_on_a_full_disk_and_resume_continues_to_the_end",
    "tests/core/test_disk_full.py::test_the_trainer_stops_with_the_reason_when_the_disk_fills_and_resumes",
    "tests/core/test_phrase_repeats.py::test_strict_tunes_repeat_bars_as_the_corpus_does",
    "tests/core/test_distributed_streams.py",
    "tests/cli/test_quality_cli.py::test_evaluate_a_real_runs_saved_samples",
    "tests/ui/test_runs_panel.py::test_score_on_corpus_adds_each_runs_held_out_score_to_the_table",
    # the quick loop's slowest on a quiet machine after the rooms (3-11 s each); it keeps one resume curve
    "tests/core/test_abc_validate.py::test_hostile_inputs_give_reports[text8]",
    "tests/core/test_abc_validate.py::test_hostile_inputs_give_reports[text9]",
    "tests/ui/test_main_window.py::test_generate_and_quality_tabs_are_built_when_first_shown",
    "tests/core/test_cadence.py::test_the_chances_are_the_ones_measured_on_oneills",
    "tests/ui/test_quality_panel.py::test_an_experiment_runs_from_the_form",
    "tests/core/test_training.py::test_resume_continues_the_same_loss_curve[constant",
    "tests/core/test_training.py::test_same_seed_gives_the_same_curve",
    "tests/core/test_stream_training.py::test_runs_from_before_contexts_resume_as_window_runs",
    "tests/core/test_tonal.py::test_corpus_rates_and_relative_pitch_classes",
    "tests/core/test_new_strain.py::test_a_new_strain_has_the_last_strains_form_and_brings_the_tune_home[97",
)
#: Tests that need the session's tiny experiment (trained once, about half a minute) are slow too, and those that read
#: bench/time_to_quality.py's smoke run (two recipes trained side by side in subprocesses).
SLOW_FIXTURES = {"tiny_experiment", "experiment_copy", "time_to_quality_smoke"}


@pytest.hookimpl(tryfirst=True)  # the slow marks before -m reads them
def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parent.parent
    for item in items:
        node = Path(item.fspath).resolve().relative_to(root).as_posix() + item.nodeid.partition("::")[1] \
            + item.nodeid.partition("::")[2]
        if node.startswith(SLOW) or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if getattr(config.option, "loadgroup", False):  # in a pytest-xdist worker under --dist loadgroup (studio.sh)
        from parallel import order

        order(items)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` (``./studio.sh test``): a module with a module fixture in one worker, other tests anywhere
    (tests/parallel.py)."""
    if config.getvalue("dist") == "loadgroup":
        from parallel import ModuleFixtureScheduling

        return ModuleFixtureScheduling(config, log)
    return None


class SmallDisk:
    """A real filesystem of its own (a tmpfs) at ``path`` that a test fills up and frees like a person would."""

    def __init__(self, path: Path):
        self.path = path
        self.ballast = path / "ballast.bin"

    def free(self) -> int:
        import shutil

        return shutil.disk_usage(self.path).free

    def fill(self, leave: int = 0) -> None:
        """Writes a ballast file until only ``leave`` bytes (rounded down to pages) are free, or none."""
        with open(self.ballast, "ab", buffering=0) as handle:
            while self.free() > leave:
                try:
                    handle.write(b"\0" * min(1 << 20, max(4096, self.free() - leave)))
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break

    def empty(self) -> None:
        """Frees the space the ballast took."""
        self.ballast.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(bytes)``: a tmpfs of that size mounted under tmp_path (unmounted after the test). Mounting needs
    root: elsewhere the test is skipped with that reason (tests/core/test_disk_full.py also injects the failure at
    the file layer, which runs everywhere)."""
    mounted = []

    def mount(size: int) -> SmallDisk:
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root")
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
        mounted.append(folder)
        return SmallDisk(folder)

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)
