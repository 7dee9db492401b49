"""Helpers of the course tests: real ``descent batch`` runs in subprocesses on small classes.

Gradings are limited with ``-k`` to a few exercises (a whole submission takes several seconds
per student on a 2-core machine), which the batch treats as part of the grader version.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]
LOSSES = "test_losses and (mse or mae or huber)"  # a quick, representative selection


@dataclass
class Batch:
    code: int
    output: str
    out: Path

    @property
    def book(self) -> Path:
        return self.out / "gradebook.sqlite"

    def rows(self, sql: str, *params) -> list[tuple]:
        db = sqlite3.connect(f"file:{self.book}?mode=ro", uri=True)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()


def command(submissions: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "descent", "batch", str(submissions), "--out", str(out), *extra]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    src = str(KIT / "src")
    e["PYTHONPATH"] = src + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["COLUMNS"] = "200"
    return e


def run_batch(submissions: Path, out: Path, *extra: str, timeout: float = 600) -> Batch:
    proc = subprocess.run(
        command(submissions, out, *extra),
        cwd=KIT,
        capture_output=True,
        text=True,
        env=env(),
        timeout=timeout,
    )
    return Batch(proc.returncode, proc.stdout + proc.stderr, out)


def copy_modules(source: Path, dest: Path, modules=("losses",)) -> Path:
    dest.mkdir(parents=True)
    for module in modules:
        shutil.copy(source / f"{module}.py", dest / f"{module}.py")
    return dest


@pytest.fixture
def reference_losses(tmp_path):
    """A submissions folder holding one correct student (the reference losses.py)."""
    subs = tmp_path / "subs"
    copy_modules(KIT / "solutions", subs / "ada")
    return subs
