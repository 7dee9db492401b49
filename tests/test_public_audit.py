"""``descent audit`` grades the public tests too: in a copy of the kit whose public tests hand
points to code that computes nothing, the audit reports it and exits 1, though the hidden half
finds nothing wrong (one module's audit, about 20 s on two cores)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]

# A realistic slip: a check that a constant label passes, not marked supporting.
LABEL_CHECK = """

@pytest.mark.exercise("basics.gd_regime")
def test_the_answer_is_a_label(check):
    check.that(isinstance(check.impl.basics.gd_regime(1.0, 0.25), str), "gd_regime gives a label")
"""


def test_a_hollow_answer_earning_public_points_fails_the_audit(tmp_path):
    for folder in ("graders", "solutions", "exercises"):
        shutil.copytree(
            KIT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(KIT / "pyproject.toml", tmp_path)
    public = tmp_path / "exercises" / "test_basics.py"
    public.write_text(public.read_text() + LABEL_CHECK)
    run = subprocess.run(
        [sys.executable, "-m", "descent", "audit", "--module", "basics"],
        cwd=tmp_path,
        env=dict(os.environ, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    said = " ".join(run.stdout.split())
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "0 problems" in said  # the hidden half: nothing wrong with the graders
    assert "public tests: broken promises" in said and "earns public points" in said
    for hollow in ("always_converges", "always_oscillates", "always_diverges"):
        assert f"hollow │ basics.gd_regime.{hollow}" in said
    assert re.search(r"\b3 problems\b", said)  # the public half's: the three hollow answers
    assert (tmp_path / ".descent" / "results-public.json").exists()
