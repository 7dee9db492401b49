"""``descent audit`` on the student-style corpus, through the command line: one module's corpus
graded for real (about ten seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]


def test_audit_of_one_modules_corpus(tmp_path):
    """``descent audit --corpus student --module basics``: the corpus alone, graded for real."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "audit",
            "--corpus",
            "student",
            "--module",
            "basics",
            f"--results={tmp_path / 'audit.json'}",
        ],  # fmt: skip
        cwd=KIT,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "0 bugs, 0 alternatives, 0 hollow answers, 3 student-style bugs" in out
    assert "student-style corpus: named generically" in out and "\ncatalogue:" not in out
    assert "of 3 bugs" in out
