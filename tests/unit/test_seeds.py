"""Seeds of the ``inputs`` fixture (``descent.grading.inputs.seed_for`` of ``plugin._input_key``): one per
test, the same on every device, for every implementation and in every run, so that a student and
the reference, the CPU and the GPU, and a regrade all see the same numbers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from descent.grading.inputs import Inputs, seed_for
from descent.grading.plugin import _input_key

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]


def test_a_seed_is_the_same_in_every_process():
    # Pinned: a seed drawn from Python's per-process string hash, or from anything else that
    # differs between runs, would change this number.
    assert seed_for("graders/test_losses.py::TestMSE::test_forward[3]") == 2113501023


def test_every_test_has_its_own_seed():
    keys = [
        "t.py::T::test_a[]",
        "t.py::T::test_b[]",
        "t.py::T::test_a[1]",
        "t.py::T::test_a[2]",
        "u.py::T::test_a[]",
    ]
    assert len({seed_for(k) for k in keys}) == len(keys)
    assert all(0 <= seed_for(k) < 2**31 for k in keys)


def test_one_seed_gives_the_same_inputs():
    a, b = Inputs(seed_for("t.py::test_a[]")), Inputs(seed_for("t.py::test_a[]"))
    assert torch.equal(a.randn(3, 4), b.randn(3, 4)) and torch.equal(a.uniform(5), b.uniform(5))
    assert not torch.equal(
        Inputs(seed_for("t.py::test_b[]")).randn(3, 4),
        Inputs(seed_for("t.py::test_a[]")).randn(3, 4),
    )


def node(nodeid: str, **params) -> SimpleNamespace:
    """What _input_key reads of a collected test: its id and its parameters."""
    return SimpleNamespace(nodeid=nodeid, callspec=SimpleNamespace(params=params))


IMPL = SimpleNamespace(name="bug:mse-no-mean")  # an implementation whose id holds dashes


@pytest.mark.parametrize(
    "test, key",
    [
        (SimpleNamespace(nodeid="t.py::T::test_a"), "t.py::T::test_a[]"),
        (node("t.py::T::test_a[cpu]", device="cpu"), "t.py::T::test_a[]"),
        (node("t.py::T::test_a[cuda-3]", device="cuda", n=3), "t.py::T::test_a[3]"),
        (
            node("t.py::T::test_a[bug:mse-no-mean-cuda-3]", impl=IMPL, device="cuda", n=3),
            "t.py::T::test_a[3]",
        ),
        (
            node("t.py::T::test_a[no-bug:mse-no-mean-cpu]", impl=IMPL, device="cpu", m="no"),
            "t.py::T::test_a[no]",
        ),
        # A parameter spelled like a device stays: only the device parameter's own piece goes.
        (node("t.py::T::test_a[cuda-cpu]", device="cpu", mode="cuda"), "t.py::T::test_a[cuda]"),
        (node("t.py::T::test_a[cpu-cuda]", device="cuda", mode="cpu"), "t.py::T::test_a[cpu]"),
    ],
)
def test_the_key_drops_only_the_device_and_the_implementation(test, key):
    assert _input_key(test) == key


RECORDS_SEEDS = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.parametrize("n", [1, 2])
def test_seeded(impl, inputs, n, record_property):
    record_property("seed", inputs.seed)
"""


def test_a_graded_test_gets_one_seed_on_every_device_and_implementation(grade_toy, monkeypatch):
    # A GPU "present" lets the CUDA variants run far enough to build their inputs (no tensor is
    # made on the device).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    toy = grade_toy(RECORDS_SEEDS, "--device=all", "--impl=starter", "--impl=solutions")
    calls = [r for r in toy.run.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    # {cpu, cuda} x {starter, solutions} x n
    assert len(calls) == 8 and all(r.passed for r in calls)
    seeds: dict[str, set[int]] = {}
    for report in calls:
        n = report.nodeid.rsplit("-", 1)[-1].rstrip("]")
        seeds.setdefault(n, set()).add(dict(report.user_properties)["seed"])
    assert seeds == {
        "1": {seed_for("test_toy.py::test_seeded[1]")},
        "2": {seed_for("test_toy.py::test_seeded[2]")},
    }
