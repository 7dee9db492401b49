"""What test files score, graded for real (``graders/test_written.py`` through the plugin): the
authors' reference suites full marks; three weak suites what a teacher would give them; a hostile
suite every test refused and 0, in this process and through the confined worker.

What a teacher would give (bands decided from what each suite can see, before grading it):

* shapes only: at most a fifth. Shapes catch layout mistakes only (batch norm's statistics kept
  (1, D), its dgamma left (N, D)); MSE has none, so nothing there.
* one worked value of the forward: a twentieth to a third. It catches the grossest forward
  mistake (a sum for the mean) and nothing of the backward, the running statistics or eval mode.
* a gradient check alone: a sixth to seven tenths, never a forward convention. It checks the
  backward against the implementation's own forward, so a forward that sums where it should
  average, or updates its running variance the wrong way, passes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import grade

from .conftest import KIT

SUITES = Path(__file__).resolve().parent / "suites"
KINDS = ("reference", "shapes", "value", "gradcheck", "hostile")
EXERCISES = ("losses.mse.tests", "normalization.batchnorm.tests")
SELECT = "mse.tests or batchnorm.tests"
BANDS = {"shapes": (0.0, 0.2), "value": (0.05, 0.34), "gradcheck": (1 / 6, 0.7)}


def _submissions(root: Path) -> list[str]:
    for kind in KINDS:
        (root / kind).mkdir(parents=True)
        for name in ("mse", "batchnorm"):
            source = (
                KIT / "solutions" / f"test_{name}.py"
                if kind == "reference"
                else (SUITES / f"{kind}_{name}.py")
            )
            shutil.copy(source, root / kind / f"test_{name}.py")
    return [str(root / kind) for kind in KINDS]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("suites")
    run = grade(
        root,
        ["graders/test_written.py"],
        _submissions(root / "subs"),
        "-k",
        SELECT,
        "--isolation=none",
        "--insecure",
    )
    return {
        (b["name"], e["id"]): e for b in run.results["implementations"] for e in b["exercises"]
    }, run.results["tests"]


def _share(exercise: dict) -> float:
    return exercise["points"] / exercise["max_points"]


def test_the_reference_suites_get_full_marks(graded):
    scores, _ = graded
    assert all(scores["reference", ex]["status"] == "passed" for ex in EXERCISES)
    assert scores["reference", "losses.mse.tests"]["title"] == "Write the tests: Mean squared error"


@pytest.mark.parametrize("kind", BANDS)
def test_a_weak_suite_scores_what_a_teacher_would_give(graded, kind):
    scores, tests = graded
    low, high = BANDS[kind]
    for exercise in EXERCISES:
        assert low <= _share(scores[kind, exercise]) <= high, (kind, exercise)
    missed = {
        t["name"].rsplit("-", 1)[-1].rstrip("]")
        for t in tests
        if t["implementation"] == kind and "-chaff-" in t["name"] and t["points"] == 0
    }
    assert {"bn_running_var_biased", "bn_eval_uses_batch_stats"} <= missed  # never seen
    if kind != "value":
        assert "mse_sum" in missed


def test_a_hostile_suite_is_refused_and_scores_0(graded):
    scores, tests = graded
    for exercise in EXERCISES:
        assert scores["hostile", exercise]["points"] == 0
        assert scores["hostile", exercise]["first_failure"].startswith(
            "[written tests] 5 of your tests did not count"
        )
    message = next(
        t["message"]
        for t in tests
        if t["implementation"] == "hostile" and t["name"].endswith("behaviour-only-behaviour]")
    )
    for why in (
        "import inspect (reads source code and frames, line 1)",
        "import time (measures how long calls take, line 2)",
        ".__qualname__",
        "`is` between two values",
        "open (reads files",
    ):
        assert why in message, why


def test_through_the_confined_worker_the_same_files_score_the_same(tmp_path):
    subs = _submissions(tmp_path / "subs")
    hostile, reference = subs[KINDS.index("hostile")], subs[KINDS.index("reference")]
    results = tmp_path / "r.json"
    env = dict(os.environ, COLUMNS="200")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "grade",
            reference,
            hostile,
            "-k",
            "mse.tests",
            "--results",
            str(results),
        ],
        cwd=KIT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    doc = json.loads(results.read_text())
    assert run.returncode == 1, run.stdout + run.stderr  # the hostile one lost points
    assert doc["environment"]["isolation"] == "worker"
    points = {b["name"]: (b["points"], b["max_points"]) for b in doc["implementations"]}
    assert points == {"reference": (10.0, 10.0), "hostile": (0.0, 10.0)}
    # the test file's round trips are the submission's: in its results, and the graders' budget
    assert next(b for b in doc["implementations"] if b["name"] == "reference")["worker_requests"]
