"""The Gradescope autograder (``descent.course.gradescope``), run locally against a folder laid out
like /autograder: what the archive holds, a submission graded into Gradescope's results, one it
could not grade reported, and a time limit of its own that ends before Gradescope's."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import KIT_TESTS_SECRET

from descent.course import gradescope

from .conftest import KIT, copy_modules, env


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradescope")
    archive = tmp / "autograder.zip"
    proc = subprocess.run(
        [sys.executable, "-m", "descent", "gradescope", str(archive)],
        cwd=KIT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return archive


def test_the_archive_holds_setup_run_and_the_kit_and_nothing_of_a_students_view(autograder):
    with zipfile.ZipFile(autograder) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
    assert {
        "setup.sh",
        "run_autograder",
        "kit/pyproject.toml",
        "kit/graders/test_losses.py",
        "kit/solutions/losses.py",
        "kit/src/descent/course/runner.py",
    } <= names
    assert not any(
        "__pycache__" in n or n.startswith(("kit/tests/", "kit/samples/")) for n in names
    )
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    # the course's secret, so that the autograder draws the inputs a local grading draws
    with zipfile.ZipFile(autograder) as zf:
        assert zf.read("kit/.descent/input-secret").decode().strip() == KIT_TESTS_SECRET
    assert stat.S_IMODE(modes["kit/.descent/input-secret"]) == 0o600
    assert '"torch==2.13.0"' in setup and "pip install --quiet /autograder/source/kit" in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0


def _autograder_root(tmp: Path, archive: Path) -> Path:
    """A folder laid out like Gradescope's /autograder: the archive unpacked in source/."""
    root = tmp / "autograder"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    return root


def _run_autograder(root: Path) -> dict:
    e = env()
    e.update(DESCENT_AUTOGRADER_ROOT=str(root), DESCENT_PYTHON=sys.executable)
    proc = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=e,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_grades_the_submission_into_gradescopes_results(autograder, tmp_path):
    root = _autograder_root(tmp_path, autograder)
    copy_modules(KIT / "samples" / "partial", root / "submission", modules=("losses",))
    result = _run_autograder(root)
    tests = {t["name"].split(":")[0]: t for t in result["tests"]}
    assert tests["losses.mse"]["score"] == tests["losses.mse"]["max_score"] == 10
    assert tests["losses.kl_div"]["score"] < 10
    assert "kl_nan_at_zero_target" in tests["losses.kl_div"]["output"]
    assert tests["activations.relu"]["score"] == 0  # not handed in
    assert 0 < result["score"] < sum(t["max_score"] for t in result["tests"])
    assert "isolation: worker" in result["output"]
    solution = (KIT / "solutions" / "losses.py").read_text()
    assert not any(
        len(line) > 40 and line.strip() in json.dumps(result)
        for line in solution.splitlines()
        if line.strip()
    )


def test_run_autograder_reports_a_submission_it_could_not_grade(autograder, tmp_path):
    root = _autograder_root(tmp_path, autograder)
    (root / "submission").mkdir()
    (root / "submission" / "losses.ipynb").write_text("{ not json")
    result = _run_autograder(root)
    assert result["score"] == 0
    assert any(
        "not a readable notebook" in t["output"] or "missing" in t["output"]
        for t in result["tests"]
    )


def test_the_autograder_stops_itself_before_gradescope_does():
    # Gradescope's documented overall limit is 10 minutes by default; a run it kills gets a 0
    # and no explanation, so the kit's own limit must leave time to write results.json.
    assert gradescope.GRADESCOPE_LIMIT_S == 600
    assert gradescope.TIMEOUT_S <= gradescope.GRADESCOPE_LIMIT_S - 30
    assert gradescope._timeout(None) == gradescope._timeout("-5") == gradescope.TIMEOUT_S
    assert gradescope._timeout("1200") == 1200
