"""``./dev shell`` gives an author the tools the docs send them to (ruff and mypy, the ``ci``
extra), in the same environment ``./dev test`` uses: run against a stand-in virtualenv whose
python only records what it is asked to install (no network, under a second)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[1]


def _installs(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``./dev ARGV`` on a stand-in venv; returns the run and each pip line it asked for."""
    venv, log = tmp_path / "venv", tmp_path / "asked"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    python.chmod(0o755)
    run = subprocess.run(
        [str(KIT / "dev"), *argv],
        env=dict(os.environ, DESCENT_VENV=str(venv)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return run, log.read_text().splitlines() if log.exists() else []


def _extras(lines: list[str]) -> set[str]:
    [kit] = [line for line in lines if "-e .[" in line]
    return set(kit.split("-e .[", 1)[1].split("]", 1)[0].split(","))


def test_dev_shell_installs_the_authoring_tools_as_dev_test_does(tmp_path):
    run, asked = _installs(tmp_path / "shell", "shell")
    assert run.returncode == 0, run.stderr
    assert "ci" in _extras(asked), asked  # ruff, mypy, pytest-xdist
    assert "source" in run.stdout and "activate" in run.stdout
    # the environment ./dev test makes, so one install serves both (its pytest is not run here:
    # the stand-in python only records the call)
    _, tested = _installs(tmp_path / "test", "test")
    assert _extras(asked) == _extras(tested)


def test_what_the_workers_import_is_installed_compiled_and_the_extras_are_not(tmp_path):
    """The confined workers import numpy and torch with PYTHONDONTWRITEBYTECODE set, so those
    (and the kit's other dependencies) come in a compiled install; the extras' large trees are
    installed with ``--no-compile`` and compiled on first import, but for matplotlib.pyplot, which
    a lab notebook imports in a confined worker: it is imported once at install (issue 54)."""
    run, asked = _installs(tmp_path, "shell")
    assert run.returncode == 0, run.stderr
    [core] = [line for line in asked if "torch==" in line]
    assert " -e ." in f"{core} " and "-e .[" not in core and "--no-compile" not in core, asked
    [extras] = [line for line in asked if "-e .[" in line]
    assert "--no-compile" in extras.split(), asked
    assert asked.index(core) < asked.index(extras)  # the pinned torch resolves first
    # what a lab notebook imports in a confined worker (which writes no bytecode) is compiled
    [plots] = [line for line in asked if "import matplotlib.pyplot" in line]
    assert asked.index(extras) < asked.index(plots), asked
