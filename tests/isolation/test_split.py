"""Two processes sharing one grading's tests (descent.grading.split) grade exactly as one does.

The submission mixes correct modules with real mistakes on both sides of the split (the sample
student's losses and activations, the sample class's clipping and schedules) and borrows a
library operation through a dynamic lookup that only the worker's tripwire sees, once on each
side: what the copy's worker caught must be charged in the original's results.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import KIT, grade

from descent.grading import split
from descent.isolation import confinement

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)

# Runtime library use the source scan cannot resolve: torch.sigmoid in activations.sigmoid and
# torch.nn.functional.dropout in regularization.dropout (one on each side of the split).
_BORROWED = {
    "activations.py": """

def sigmoid_forward(x):
    y = getattr(torch, "sig" + "moid")(x)
    return y, (y,)
""",
    "regularization.py": """

def dropout_forward(x, p, training=True, generator=None):
    y = getattr(torch.nn.functional, "drop" + "out")(x, p, training)
    return y, y
""",
}
_BORROWED_EXERCISES = {"activations.sigmoid", "regularization.dropout"}


def _submission(root: Path) -> Path:
    folder = root / "student"
    shutil.copytree(KIT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("losses.py", "activations.py"):
        shutil.copy(KIT / "samples" / "partial" / name, folder / name)
    for name in ("clipping.py", "schedules.py"):
        shutil.copy(KIT / "samples" / "class" / "dana" / name, folder / name)
    for name, tail in _BORROWED.items():
        path = folder / name
        path.write_text(path.read_text() + textwrap.dedent(tail))
    return folder


def _by_test(doc: dict) -> dict:
    return {t["nodeid"]: {k: v for k, v in t.items() if k != "duration_s"} for t in doc["tests"]}


def _sides(doc: dict) -> tuple[set[str], set[str]]:
    """The exercises of each side's fixed share, as split.plan divides these tests."""
    items = [
        SimpleNamespace(path=Path(t["nodeid"].split("::")[0]), ex=t["exercise"])
        for t in doc["tests"]
    ]
    shares = split.plan(items, lambda item: item.ex)
    return {i.ex for i in shares.mine}, {i.ex for i in shares.theirs}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("split")
    folder = _submission(root)
    same = ("--assert=plain",)  # the default draws: keyed to the code, so the same in both
    one = grade(root / "one", ["graders"], [str(folder)], "--test-processes=1", *same)
    two = grade(root / "two", ["graders"], [str(folder)], "--test-processes=2", *same)
    return one, two


def test_two_processes_give_the_results_of_one(runs):
    one, two = runs
    assert one.results["environment"]["test_processes"] == 1
    assert two.results["environment"]["test_processes"] == 2
    a, b = _by_test(one.results), _by_test(two.results)
    assert list(a) == list(b)  # every test, in collection order
    differ = [f"{n}: {a[n]} / {b[n]}" for n in a if a[n] != b[n]]
    assert not differ, "\n".join(differ[:20])
    lost = {e["id"] for e in one.block("student")["exercises"] if e["points"] < e["max_points"]}
    assert {"losses.huber", "clipping.clip_grad_norm"} <= lost  # real mistakes, both runs
    assert one.block("student")["points"] == two.block("student")["points"]
    assert one.code == two.code == 1


def test_library_use_seen_by_either_worker_is_charged(runs):
    one, two = runs
    mine, theirs = _sides(two.results)
    assert _BORROWED_EXERCISES & mine and _BORROWED_EXERCISES & theirs, (
        "each side should hold one borrowing exercise: pick others in _BORROWED"
    )
    for run in runs:
        review = run.block("student")["review"]
        for exercise in _BORROWED_EXERCISES:
            assert any("called at run time" in line for line in review[exercise]), exercise
        scored = [t for t in run.results["tests"] if t["exercise"] in _BORROWED_EXERCISES]
        assert scored and all(t["points"] == 0 for t in scored)
    # the copy's worker counts too (each worker lists a module it uses once: a few more requests)
    assert two.block("student")["worker_requests"] >= one.block("student")["worker_requests"]
    busiest = two.block("student")["worker_requests_top"]
    assert any(t["nodeid"] in busiest and t["exercise"] in theirs for t in two.results["tests"])


def test_the_fixed_shares_keep_a_file_and_an_exercise_on_one_side():
    def item(path, exercise):
        return SimpleNamespace(path=Path(path), ex=exercise)

    items = [
        item("graders/test_data.py", "data.mixup"),
        item("graders/test_optim.py", "optim.sgd"),
        item("graders/test_data.py", "data.kfold"),
        item("graders/test_train.py", "train.train_classifier"),
        item("graders/test_extra.py", "optim.sgd"),  # shares an exercise with test_optim
        item("graders/test_basics.py", None),
    ]
    shares = split.plan(items, lambda i: i.ex, tail_share=0.0)
    mine, theirs = shares.mine, shares.theirs
    assert sorted(map(id, mine + theirs)) == sorted(map(id, items))
    side_of = {id(i): 0 for i in mine} | {id(i): 1 for i in theirs}
    assert side_of[id(items[0])] == side_of[id(items[2])]  # one file, one side
    assert side_of[id(items[1])] == side_of[id(items[4])]  # one exercise, one side
    assert mine == sorted(mine, key=items.index) and theirs == sorted(theirs, key=items.index)
    assert shares == split.plan(list(items), lambda i: i.ex, tail_share=0.0)  # every time
    assert mine and theirs


def test_a_copy_that_dies_has_its_tests_run_by_the_original(tmp_path, monkeypatch):
    plugin = tmp_path / "plugins" / "copy_dies.py"
    plugin.parent.mkdir()
    plugin.write_text(
        textwrap.dedent(
            """
            import os

            ORIGINAL = os.getpid()


            def pytest_runtest_setup(item):
                if os.getpid() != ORIGINAL:
                    os._exit(3)
            """
        )
    )
    monkeypatch.setenv("PYTHONPATH", str(plugin.parent))
    folder = _submission(tmp_path)
    alone = grade(
        tmp_path / "alone",
        ["graders/test_clipping.py", "graders/test_basics.py"],
        [str(folder)],
        "--test-processes=1",
    )
    broken = grade(
        tmp_path / "broken",
        ["graders/test_clipping.py", "graders/test_basics.py"],
        [str(folder)],
        "--test-processes=2",
        "-p",
        "copy_dies",
    )
    assert "ended without its results: its tests ran here" in broken.output
    assert _by_test(broken.results) == _by_test(alone.results)
    assert broken.results["environment"]["test_processes"] == 1


def test_a_forked_copy_uses_the_original_fork_server(manager):
    """The copy's server is the original's (not its child: a wait on it would find no child and
    report it dead, and a second server would import torch again), and its workers are its own."""
    server = manager.server
    manager.mode()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            manager.forked()
            ok = manager.server is server and server.alive() and server.workers == []
            worker = manager.start_worker(_Conn())
            ok = ok and worker.alive and server.workers == [worker]
            worker.kill()
            code = 0 if ok else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert server.alive() and manager.server is server


class _Conn:
    folder, variant, read_extra, process = str(KIT / "solutions"), None, (), None


def test_graded_tests_are_left_out_under_pytest_xdist_with_the_reason(tmp_path):
    """pytest-xdist shares tests its own way, and every one of its workers would score the
    exercises on its share of the tests and write its own results: the graded tests do not run
    under -n, and the run says why."""
    results = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(KIT / "graders" / "test_basics.py"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--impl=solutions",
            f"--results={results}",
            "-n",
            "2",
        ],
        cwd=KIT,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )
    output = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, output[-2000:]
    assert "graded tests do not run under pytest-xdist" in output
    assert not results.exists()
