"""Course platforms: the GitHub Actions workflows, checked with actionlint. (The Gradescope
autograder: test_gradescope.py.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from descent.authoring.bundle import STUDENT_TORCH

from .conftest import KIT


def _actionlint() -> str | None:
    here = Path(sys.executable).parent / "actionlint"
    return str(here) if here.exists() else shutil.which("actionlint")


@pytest.mark.parametrize("workflow", ["student.yml", "instructor.yml", "kit.yml"])
def test_the_github_workflows_pass_actionlint(workflow):
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (the `ci` extra installs it)")
    proc = subprocess.run(
        [binary, "-no-color", str(KIT / "workflows" / workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_student_workflow_runs_the_public_tests_and_uploads_the_results():
    text = (KIT / "workflows" / "student.yml").read_text()
    assert "pytest exercises/ --results results.json" in text
    assert "actions/upload-artifact" in text and "path: results.json" in text
    instructor = (KIT / "workflows" / "instructor.yml").read_text()
    assert (
        'batch "submissions/$ASSIGNMENT"' in instructor
        and '--assignment "$ASSIGNMENT"' in instructor
    )


def test_the_kit_workflow_runs_the_student_loop_on_each_system_and_python():
    """workflows/kit.yml cannot run here (GitHub's runners): what it promises is read from it,
    and actionlint checks the rest (above). docs/reference/versions.md describes it."""
    text = (KIT / "workflows" / "kit.yml").read_text()
    assert "os: [ubuntu-latest, macos-latest, windows-latest]" in text
    assert text.count('python: ["3.10", "3.11", "3.12", "3.13"]') == 2  # the loop, the fast lane
    assert f'"{STUDENT_TORCH}"' in text and "python -m pip install -e out/stubs" in text
    for run in ("out/stubs", "out/finished", "out/looping"):
        assert f"working-directory: {run}" in text
    assert "./dev test --fast" in text
