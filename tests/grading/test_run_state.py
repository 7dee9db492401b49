"""What the grading plugin knows about a run (``descent.grading.run_state``): ``--impl`` refused
before collection, the key each test's inputs are seeded by (``input_key`` called directly), and
the seeds drawn by that key and the code graded. Toy tests over the toy kit (tests/toykit.py),
graded in this process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from conftest import KIT_TESTS_SECRET
from toykit import SOLUTIONS

from descent.grading import input_seed
from descent.grading.inputs import seed_for
from descent.grading.run_state import input_key

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]


def test_the_run_stops_with_a_usage_error_before_collection(pytester):
    pytester.mkpydir("solutions").joinpath("losses.py").write_text(SOLUTIONS)
    pytester.makepyfile(test_toy="def test_never_runs():\n    raise AssertionError\n")
    result = pytester.runpytest_inprocess(
        "test_toy.py", "-p", "no:cacheprovider", "--impl", "hollow:no_such_answer"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --impl hollow:no_such_answer: no catalogued hollow variant 'no_such_answer'*"]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def node(nodeid: str, **params) -> SimpleNamespace:
    """What input_key reads of a collected test: its id and its parameters."""
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
    assert input_key(test) == key


RECORDS_SEEDS = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.parametrize("n", [1, 2])
def test_seeded(impl, inputs, n, record_property):
    record_property("seed", inputs.seed)
"""


def _seeds(toy) -> dict[tuple[str, str], set[int]]:
    """(implementation, n) -> the seeds its test_seeded[n] drew, on every device."""
    calls = [r for r in toy.run.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert calls and all(r.passed for r in calls)
    seeds: dict[tuple[str, str], set[int]] = {}
    for report in calls:
        parts = report.nodeid.split("[", 1)[1].rstrip("]").split("-")
        impl, n = next(p for p in parts if p in ("starter", "solutions", "copy")), parts[-1]
        seeds.setdefault((impl, n), set()).add(dict(report.user_properties)["seed"])
    return seeds


def test_a_test_draws_one_seed_on_every_device_keyed_to_the_code(grade_toy, monkeypatch, pytester):
    # A GPU "present" lets the CUDA variants run far enough to build their inputs (no tensor is
    # made on the device).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    copy = pytester.mkdir("copy")  # a submission byte for byte the solutions
    copy.joinpath("losses.py").write_text(SOLUTIONS)
    impls = ("--impl=starter", "--impl=solutions", f"--impl={copy}")
    toy = grade_toy(RECORDS_SEEDS, "--device=all", *impls, "--isolation=none", "--insecure")
    seeds = _seeds(toy)  # {cpu, cuda} x 3 implementations x 2 tests: one seed per device pair
    assert len(seeds) == 6 and all(len(s) == 1 for s in seeds.values())
    for n in ("1", "2"):
        assert seeds["solutions", n] == seeds["copy", n] != seeds["starter", n]
    assert seeds["solutions", "1"] != seeds["solutions", "2"]
    code = input_seed.code_digest({"losses": SOLUTIONS})
    assert seeds["solutions", "1"] == {
        seed_for("test_toy.py::test_seeded[1]", KIT_TESTS_SECRET, code)
    }
    fixed = _seeds(
        grade_toy(RECORDS_SEEDS, *impls, "--isolation=none", "--insecure", "--input-seed=fixed")
    )
    assert fixed == {
        (impl, n): {seed_for(f"test_toy.py::test_seeded[{n}]")}
        for impl in ("starter", "solutions", "copy")
        for n in ("1", "2")
    }


SHARED_KEY = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.parametrize("n", [1, 2])
def test_shared(impl, inputs, n, record_property):
    record_property("seed", inputs.for_key("capstone-data").seed)
"""


def test_tests_that_share_one_draw_get_it_for_their_implementation(grade_toy):
    toy = grade_toy(SHARED_KEY, "--impl=starter", "--impl=solutions")
    calls = [r for r in toy.run.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    seeds: dict[str, set[int]] = {}
    for report in calls:
        impl = "starter" if "starter" in report.nodeid else "solutions"
        seeds.setdefault(impl, set()).add(dict(report.user_properties)["seed"])
    assert len(seeds["starter"]) == len(seeds["solutions"]) == 1  # one draw for both tests
    assert seeds["starter"] != seeds["solutions"]  # keyed to each one's code


def _halved(pred, target):
    return ((pred - target) ** 2).mean() / 2


def _summed(pred, target):
    return ((pred - target) ** 2).sum()


def test_a_catalogued_variant_s_inputs_are_keyed_to_its_own_code_only(monkeypatch):
    from descent.calls.impl import PatchedImplementation
    from descent.grading import run_state
    from descent.grading.run_state import GradingState
    from descent.variants import Variant

    def digest(base: str, name: str, fn) -> str:
        # the reference's code is not read: a state without one keys the variant all the same
        variant = Variant(name.split(":")[1], "losses.mse", "t", "bug", functions={fn.__name__: fn})
        monkeypatch.setattr(run_state.catalogue, "get", lambda n: variant)
        state = SimpleNamespace(_codes={}, reference=SimpleNamespace(sources={"losses": base}))
        impl = PatchedImplementation(object(), name, {("losses", "mse_forward"): fn})
        return GradingState.code_of(state, impl)

    first = digest("def mse_forward(p, t): ...", "bug:mse_halved", _halved)
    # an exercise added to the reference's module draws no new inputs for this variant
    assert (
        digest("def mse_forward(p, t): ...\ndef l1(p, t): ...", "bug:mse_halved", _halved) == first
    )
    assert digest("", "bug:mse_halved", _summed) != first  # its own code changed
    assert digest("", "bug:mse_other", _halved) != first  # another variant's name
