"""Fixtures for the command-line tests: ``cli(...)`` runs ``python -m studio ...`` in this process (as the entry
point does, argparse's own exits included), so only one smoke test per command pays for a child process."""

from __future__ import annotations

import subprocess

import pytest

from studio.cli.main import main


@pytest.fixture
def cli(capsys):
    """``cli("train", "--preset", "tiny", ...)`` -> a CompletedProcess (returncode, stdout, stderr) of the command
    run in-process; the data folder is the test's own (the autouse ``home`` fixture)."""

    def run(*args) -> subprocess.CompletedProcess:
        capsys.readouterr()
        argv = [str(a) for a in args]
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse refuses a usage mistake by exiting with 2
            code = exit_.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["python", "-m", "studio", *argv], code, out, err)

    return run
