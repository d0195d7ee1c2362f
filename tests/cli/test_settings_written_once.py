"""Each training setting is written once (its field in ``core/configs.py``): the command line's flags, the Train form
and the "train this again" command are generated from it, and read each other back."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from studio.cli.main import build_parser
from studio.cli.train import _configs_from_args
from studio.core.configs import ModelConfig, TrainConfig, preset, training_settings
from studio.core.reports.report_html import train_command

ROOT = Path(__file__).resolve().parents[2]


def _another_value(setting):
    """A valid value of ``setting`` that is not its default."""
    if setting.about.choices:
        return next(choice for choice in setting.about.choices if choice != setting.default)
    if setting.kind is tuple:
        return (2,)
    low, high = setting.about.limits
    value = setting.kind((low + high) / 2) if setting.kind is float else setting.default + 1
    return value if value <= high else setting.default - 1


@pytest.mark.parametrize("setting", training_settings(), ids=lambda s: s.name)
def test_every_setting_has_a_flag_that_the_train_again_command_writes_and_reads_back(setting):
    model_config, train_config = preset("tiny")
    value = _another_value(setting)
    if setting.config is ModelConfig:
        model_config = replace(model_config, **{setting.name: value})
    else:
        train_config = replace(train_config, **{setting.name: value})
    assert not model_config.problems() and not train_config.problems()
    line = train_command("oneills1850", "again", train_config, model_config)
    args = build_parser().parse_args(shlex.split(line)[3:])
    assert _configs_from_args(args) == (model_config, train_config)
    # and the flag alone, on top of the preset, sets just that field
    alone = build_parser().parse_args(["train", "--preset", "tiny", f"--{setting.flag}={setting.show(value)}"])
    assert _configs_from_args(alone) == (model_config, train_config)


#: Run in a child process: ``core/configs.py`` with one line added (a new setting), then the command line, the Train
#: form and the train-again command, none of them edited.
_WITH_A_NEW_SETTING = textwrap.dedent("""
    import contextlib, io, sys, types
    from pathlib import Path

    import studio.core.abc.canonical  # what configs.py imports, loaded before the edited module
    path = Path({configs!r})
    source = path.read_text()
    anchor = "    context: str = setting("
    assert anchor in source
    line = '    dummy_knob: int = setting(7, "Dummy knob", "A knob only a test turns", limits=(1, 9))\\n'
    module = types.ModuleType("studio.core.configs")
    module.__file__ = str(path)
    sys.modules["studio.core.configs"] = module
    exec(compile(source.replace(anchor, line + anchor), str(path), "exec"), module.__dict__)

    from studio.cli.main import build_parser, main
    from studio.cli.train import _configs_from_args
    from studio.core.configs import ModelConfig, TrainConfig
    from studio.core.reports.report_html import train_command

    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), contextlib.suppress(SystemExit):
        main(["train", "--help"])
    print("help:", "--dummy-knob" in shown.getvalue() and "A knob only a test turns" in shown.getvalue())
    args = build_parser().parse_args(["train", "--dummy-knob", "3"])
    print("flag:", _configs_from_args(args)[1].dummy_knob == 3)
    command = train_command("oneills1850", "again", TrainConfig(dummy_knob=4), ModelConfig())
    print("command:", "--dummy-knob 4" in command)

    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from studio.ui.train.hyperparameter_form import HyperparameterForm
    form = HyperparameterForm()
    form.set_value("dummy_knob", "5")
    good = form.configs()[1].dummy_knob == 5
    form.set_value("dummy_knob", "10")
    print("form:", good and form.problems() == {{"dummy_knob": "must be between 1 and 9"}})
""")


def test_a_setting_added_to_train_config_alone_appears_in_the_help_the_form_and_the_command(home):
    script = _WITH_A_NEW_SETTING.format(configs=str(ROOT / "studio" / "core" / "configs.py"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:4] == ["help: True", "flag: True", "command: True", "form: True"], out.stdout


def test_old_runs_read_as_they_trained():
    assert TrainConfig.from_dict({}).text_level == "raw" and TrainConfig.from_dict({}).context == "window"
    assert TrainConfig.from_dict({"augment_keys": [-2, 5]}).augment_keys == (-2, 5)
