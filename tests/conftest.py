"""Shared fixtures for the kit's own tests: grading runs done once per session, in subprocesses.

Each run is a real ``pytest`` process over the kit's ``graders/`` or ``exercises/`` folders with
an ``--impl`` choice, exactly as an instructor or student would start it; tests then read its
results document and output.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def kit_package(package: str):
    """Import from the kit's ``solutions`` or ``exercises`` package (``kit_package("solutions")``
    gives a function that imports ``solutions.<module>``); afterwards the package is forgotten,
    so that later imports of the same name find what they expect."""
    sys.path.insert(0, str(KIT))
    try:
        yield lambda module: importlib.import_module(f"{package}.{module}")
    finally:
        sys.path.remove(str(KIT))
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]


@dataclass
class Run:
    code: int
    output: str
    results: dict

    def block(self, name: str) -> dict:
        for block in self.results["implementations"]:
            if block["name"] == name:
                return block
        raise KeyError(f"no implementation {name!r} in results")


def grade(tmp: Path, suites: list[str], impls: list[str], *extra: str,
          cwd: Path = KIT) -> Run:
    """Run pytest on ``suites`` against ``impls`` in a fresh process; return code, output, results."""
    results = tmp / "results.json"
    cmd = [sys.executable, "-m", "pytest", *suites, "-p", "no:cacheprovider", "-q",
           f"--results={results}", *[f"--impl={i}" for i in impls], *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    output = proc.stdout + proc.stderr
    if not results.exists():
        raise AssertionError(f"no results written (exit {proc.returncode}):\n{output[-4000:]}")
    return Run(proc.returncode, output, json.loads(results.read_text()))


@pytest.fixture(scope="session")
def solutions_run(tmp_path_factory) -> Run:
    return grade(tmp_path_factory.mktemp("solutions"), ["graders", "exercises"], ["solutions"])


@pytest.fixture(scope="session")
def starter_graders_run(tmp_path_factory) -> Run:
    return grade(tmp_path_factory.mktemp("starter-graders"), ["graders"], ["starter"])


@pytest.fixture(scope="session")
def starter_exercises_run(tmp_path_factory) -> Run:
    return grade(tmp_path_factory.mktemp("starter-exercises"), ["exercises"], ["starter"])


@pytest.fixture(scope="session")
def catalogue_run(tmp_path_factory) -> Run:
    return grade(tmp_path_factory.mktemp("catalogue"), ["graders"],
                 ["bug:*", "alternative:*", "hollow:*"])


@pytest.fixture(scope="session")
def alternatives_worker_run(tmp_path_factory) -> Run:
    """Every alternative through workers (confined where the machine allows), in one run; the
    in-process points come from ``catalogue_run``."""
    return grade(tmp_path_factory.mktemp("alternatives-worker"), ["graders"], ["alternative:*"],
                 "--isolation=worker", "--insecure")


@pytest.fixture(scope="session")
def public_hollow_run(tmp_path_factory) -> Run:
    return grade(tmp_path_factory.mktemp("public-hollow"), ["exercises"], ["hollow:*"])


@pytest.fixture(scope="session")
def public_bugs_run(tmp_path_factory) -> Run:
    """The public tests over every catalogued bug (each runs only its exercise's tests)."""
    return grade(tmp_path_factory.mktemp("public-bugs"), ["exercises"], ["bug:*"])
