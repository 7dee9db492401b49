"""The toy kit, a plugin of the kit's own tests (``tests/conftest.py`` loads it): hand-built
result records for the pure scoring functions (``from toykit import record``), and a toy kit for
the plugin (the ``grade_toy`` fixture): a starter and a solutions folder of one small ``losses``
module, graded in this process with pytester (a run takes tens of milliseconds; a real grading
run in a subprocess takes seconds).

The toy modules use a registry module name (``losses``) and registry function names, because the
plugin reaches implementation code only through the exercise registry.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import pytest
import torch

# What a grading run imports late, imported here once: each in-process run forgets the modules
# it imported itself, and every toy run would import these again (about 0.1 s a run).
import descent.grading.compare  # noqa: F401
import descent.isolation.errors  # noqa: F401
import descent.reports.terminal_report  # noqa: F401
from descent import results
from descent.results import PASSED, TestResult


def record(
    name: str,
    outcome: str = PASSED,
    *,
    impl: str = "student",
    exercise: str = "losses.mse",
    weight: float = 1.0,
    counted: bool = True,
    message: str = "",
    misconception: str | None = None,
) -> TestResult:
    """A test's result as the plugin records it before scoring; ``name`` is ``test_x[cpu]``."""
    return TestResult(
        nodeid=f"graders/test_x.py::T::{name}",
        implementation=impl,
        exercise=exercise,
        name=f"T::{name}",
        device=None,
        weight=weight,
        outcome=outcome,
        counted=counted,
        message=message,
        misconception=misconception,
    )


STARTER = """
def mse_forward(pred, target):
    raise NotImplementedError("mse_forward is not written yet")


def mse_backward(dout, cache):
    return dout / 0   # crashes inside the student's own code


def mae_forward(pred, target):
    return None       # a result the test cannot use


def mae_backward(dout, cache):
    assert cache is not None, "the cache is missing"   # the student's own check fails


def huber_forward(pred, target, delta=1.0):
    while True:       # never returns
        pass
"""

SOLUTIONS = """
def mse_forward(pred, target):
    return (pred - target) ** 2, (pred, target)


def mse_backward(dout, cache):
    pred, target = cache
    return 2 * (pred - target) * dout


def mae_forward(pred, target):
    return abs(pred - target), None


def mae_backward(dout, cache):
    return dout


def huber_forward(pred, target, delta=1.0):
    return 0.5 * (pred - target) ** 2, None
"""


@dataclass
class ToyRun:
    """One grading run of the toy kit: pytester's result and the results document it wrote."""

    run: pytest.RunResult
    doc: dict[str, Any]

    def test(self, name: str, impl: str | None = None) -> dict[str, Any]:
        """The record of the test whose name (``T::test_x[cpu]``) is ``name``."""
        found = [
            t
            for t in self.doc["tests"]
            if t["name"] == name and impl in (None, t["implementation"])
        ]
        assert len(found) == 1, f"{name} ({impl}): {len(found)} records in {self.doc['tests']}"
        return found[0]

    def block(self, impl: str) -> dict[str, Any]:
        [block] = [b for b in self.doc["implementations"] if b["name"] == impl]
        return block

    def exercise(self, impl: str, exercise: str) -> dict[str, Any]:
        [ex] = [e for e in self.block(impl)["exercises"] if e["id"] == exercise]
        return ex


@pytest.fixture
def no_cuda(monkeypatch):
    """A machine without a GPU, wherever these tests run: toy runs then skip CUDA tests."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def grade_toy(pytester: pytest.Pytester):
    """``grade_toy(test_source, *pytest_args)``: grade ``test_toy.py`` against the toy kit."""
    pytester.mkpydir("starter").joinpath("losses.py").write_text(STARTER)
    pytester.mkpydir("solutions").joinpath("losses.py").write_text(SOLUTIONS)

    def run(source: str, *args: str, **kwargs: Any) -> ToyRun:
        pytester.makepyfile(test_toy=textwrap.dedent(source))
        out = pytester.path / "out" / "results.json"
        result = pytester.runpytest_inprocess(
            "test_toy.py", "-p", "no:cacheprovider", f"--results={out}", *args, **kwargs
        )
        assert out.exists(), f"no results written:\n{result.stdout.str()}\n{result.stderr.str()}"
        return ToyRun(result, results.load(out))

    return run
