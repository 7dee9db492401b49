"""The suite's warm process (tests/forked_pytest.py) stands in for a fresh ``python -m pytest``
only where it gives what a fresh one gives."""

from __future__ import annotations

import conftest
from conftest import KIT, grade
from forked_pytest import FRESH, WarmPytest, forkable

SUITES = ["graders/test_losses.py", "-k", "mse or huber"]
IMPLS = [str(KIT / "solutions"), "bug:mse_grad_div_batch", "bug:huber_backward_ignores_delta"]


def _seen(run) -> list[tuple]:
    return [
        (t["nodeid"], t["implementation"], t["outcome"], t["points"], t["message"])
        for t in run.results["tests"]
    ]


def test_a_forked_grading_gives_what_a_fresh_one_gives(tmp_path, monkeypatch):
    # a warm process of this test's own, from the environment as it is now: the suite worker's
    # keeps the environment the worker started with, which a library loaded since may have changed
    warm = WarmPytest()
    monkeypatch.setattr(conftest, "WARM", warm)
    try:
        forked = grade(tmp_path / "forked", SUITES, IMPLS, "--isolation=none", "--insecure")
        assert warm.forked == 1
        monkeypatch.setenv(FRESH, "1")
        fresh = grade(tmp_path / "fresh", SUITES, IMPLS, "--isolation=none", "--insecure")
        assert warm.forked == 1
    finally:
        warm.close()
    assert forked.code == fresh.code == 1  # the bugs fail
    assert _seen(forked) == _seen(fresh)
    assert [b["points"] for b in forked.results["implementations"]] == [
        b["points"] for b in fresh.results["implementations"]
    ]
    lost = [b["points"] < b["max_points"] for b in forked.results["implementations"]]
    assert lost == [False, True, True]


def test_only_run_time_variables_may_differ_from_the_warm_process():
    warm = {"PATH": "/bin", "DESCENT_INPUT_SECRET": "a"}
    assert forkable(dict(warm, DESCENT_INPUT_SECRET="b", PYTHONPATH="/x"), warm)
    assert forkable(dict(warm, OWN_EXERCISES="{}"), warm)
    assert not forkable(dict(warm, ATEN_CPU_CAPABILITY="avx2"), warm)  # read at torch's import
    assert not forkable(dict(warm, PATH="/usr/bin"), warm)
    assert not forkable({"DESCENT_INPUT_SECRET": "a"}, warm)  # a variable removed
