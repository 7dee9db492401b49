"""The grading plugin (``descent.grading.plugin``): the markers it reads (points, supporting,
ordinary) weighing a test within its exercise, no results where no test is graded, and a
catalogued variant's items made only for its own exercise. Toy tests over the toy kit
(tests/toykit.py), graded in this process. (What the plugin's helpers do: test_run_state.py,
test_running.py, test_outcomes.py, test_results_document.py.)"""

from __future__ import annotations

import gc
import sys

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]


WEIGHTS = """
import pytest

@pytest.mark.exercise("losses.mse")
class TestWeights:
    @pytest.mark.points(3)
    def test_heavy(self):
        pass

    def test_light(self):
        pass

@pytest.mark.exercise("train.train_classifier")
def test_capstone():
    pass
"""


def test_points_markers_weigh_tests_within_the_registrys_exercise_points(grade_toy):
    toy = grade_toy(WEIGHTS)
    heavy, light = toy.test("TestWeights::test_heavy"), toy.test("TestWeights::test_light")
    assert (heavy["weight"], heavy["points"]) == (3.0, 7.5)
    assert (light["weight"], light["points"]) == (1.0, 2.5)
    assert toy.test("test_capstone")["points"] == 30.0
    assert toy.block("starter")["points"] == 40.0


SUPPORTING = """
import pytest

@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_forward(self, impl):
        assert impl.losses.mse_forward(3.0, 1.0)[0] == 4.0

    @pytest.mark.supporting("test_forward")
    def test_shape(self, impl):
        pass

    @pytest.mark.parametrize("case", [pytest.param("trivial", marks=pytest.mark.supporting()),
                                      "exact"])
    def test_case(self, impl, case):
        pass
"""


def test_supporting_marks_gate_points_per_implementation_and_per_parameter(grade_toy):
    toy = grade_toy(SUPPORTING, "--impl=starter", "--impl=solutions")
    # The starter's forward is not written, so its shape check earns nothing though other
    # checks passed, and though the solutions' forward passed. Only the "trivial" case is
    # supporting: the "exact" case is a value check, which passes and so vouches for it.
    shape = toy.test("TestMSE::test_shape[starter]")
    assert shape["points"] == 0.0 and "supporting check" in shape["message"]
    assert toy.test("TestMSE::test_case[starter-trivial]")["points"] == 2.5
    assert toy.test("TestMSE::test_case[starter-exact]")["points"] == 2.5
    assert toy.block("starter")["points"] == 5.0
    assert toy.block("solutions")["points"] == 10.0


EVERYDAY = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.ordinary
def test_everyday(impl):
    assert False, "wrong on everyday inputs"

@pytest.mark.exercise("losses.mse")
@pytest.mark.points(3)
@pytest.mark.parametrize("case", [pytest.param("a", marks=pytest.mark.ordinary), "b"])
def test_cases(case, impl):
    assert case == "b"

@pytest.mark.exercise("losses.mse")
@pytest.mark.points(4)
def test_at_the_edge(impl):
    pass
"""


def test_a_failed_check_marked_ordinary_caps_the_exercise_at_half(grade_toy):
    # Raw, the edge check keeps 4 and case b 3 of 11 weights: 7/11 of 10 points; capped, 5.
    toy = grade_toy(EVERYDAY)
    mse = toy.exercise("starter", "losses.mse")
    assert mse["points"] == pytest.approx(5.0) and mse["status"] == "partial"
    edge, b = toy.test("test_at_the_edge"), toy.test("test_cases[b]")
    assert edge["points"] == pytest.approx(5.0 * 4 / 7) and b["points"] == pytest.approx(
        5.0 * 3 / 7
    )
    assert "test_everyday" in edge["message"] or "test_cases" in edge["message"]


FIXTURES_OF_THIS_RUN = """
import pytest
from descent.grading import run_state

@pytest.mark.exercise("losses.mse")
@pytest.mark.parametrize("case", [1, 2])
def test_reads_its_run(impl, reference, check, inputs, request, case):
    state = request.config.stash[run_state.STATE]
    assert run_state.active() is state and state.item is request.node
    assert impl is state.impls[0] and reference is state.reference
    assert check.exercise == "losses.mse" and check.impl is impl
"""


def test_the_fixtures_read_the_innermost_run_and_the_test_being_set_up(grade_toy):
    """``impl``, ``reference``, ``check`` and ``inputs`` take no ``request`` (pytest would build
    a fixture definition for it at every test): they read the run in progress in this process,
    the innermost when a run starts another (this one runs inside the kit's own), and the test
    its setup is for; a run that ends leaves the runs around it as they were."""
    from descent.grading import run_state

    around = list(run_state.ACTIVE)
    toy = grade_toy(FIXTURES_OF_THIS_RUN)
    assert [toy.test(f"test_reads_its_run[cpu-{n}]")["outcome"] for n in (1, 2)] == ["passed"] * 2
    assert run_state.ACTIVE == around


def test_a_run_without_graded_tests_writes_no_results(pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    out = pytester.path / "results.json"
    pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--results={out}").assert_outcomes(
        passed=1
    )
    assert not out.exists() and not (pytester.path / ".descent").exists()


GC_WATCH = """
import gc

COLLECTING = gc.isenabled()

def test_running():
    from descent.grading import plugin

    assert gc.isenabled() and not COLLECTING
    assert gc.get_threshold()[0] == plugin._TEST_GEN0  # the youngest generation waits longer
"""


def test_the_collector_rests_from_start_up_to_the_end_of_collection(pytester):
    pytester.makepyfile(test_gc=GC_WATCH)
    before = gc.get_threshold()
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert gc.isenabled()
    assert gc.get_threshold() == before  # given back to the process as it was
    # a run that stops before collecting gives it back as well
    pytester.makeconftest(
        "import pytest\n\ndef pytest_sessionstart(session):\n    pytest.exit('no')\n"
    )
    assert pytester.runpytest_inprocess("-p", "no:cacheprovider").ret == pytest.ExitCode.INTERRUPTED
    assert gc.isenabled()


def test_a_run_gives_back_what_an_earlier_run_in_its_process_froze():
    """A grading freezes the heap (collection's end, the end of the run); the next run in the
    same process (descent audit's draws) unfreezes it and collects what is garbage by then, and
    a process's first run unfreezes nothing (a warm parent's freeze stays)."""
    import weakref

    from descent.grading import plugin

    class Node:
        other = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    alive = weakref.ref(first)
    plugin._freeze()  # as a run does
    del first, second
    gc.collect()
    assert alive() is not None  # a frozen cycle is left alone
    plugin._thaw_earlier_run()
    assert alive() is None
    gc.freeze()  # someone else's freeze (a warm parent's)
    try:
        frozen = gc.get_freeze_count()
        plugin._thaw_earlier_run()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_variant_s_items_are_made_only_for_its_own_exercise():
    """Several variants in one run: each gets items only for the tests of its own exercise, a
    battery's parameters included (their exercise is a mark of each parameter), and nothing is
    made only to be deselected but for the few functions that no variant is for (kept whole, so
    that their items are left out and counted as before). Seen failing before the pruning."""
    import re
    import subprocess
    from pathlib import Path

    kit = Path(__file__).resolve().parents[2]
    impls = ["bug:sigmoid_swapped_branches", "alternative:relu_mask_from_output"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "graders/test_activations.py", "--collect-only", "-q"]
        + ["-p", "no:cacheprovider", *(f"--impl={i}" for i in impls)],
        cwd=kit,
        capture_output=True,
        text=True,
        timeout=300,
    )
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    assert proc.returncode == 0, proc.stdout[-2000:]
    sigmoid = [i for i in ids if impls[0] in i and "-sigmoid" in i or "Sigmoid" in i]
    relu = [i for i in ids if impls[1] in i and "-relu" in i or "Relu" in i]
    assert sigmoid and relu and len(sigmoid) + len(relu) == len(ids), set(ids) - {*sigmoid, *relu}
    made = re.search(r"/(\d+) tests collected", proc.stdout)
    left_out = int(made.group(1)) - len(ids) if made else 0
    assert left_out < 10, proc.stdout[-300:]  # before: every battery item, for each variant
    assert any("TestActivationBattery" in i for i in sigmoid)  # a battery's items are pruned too


def test_no_second_process_shares_the_tests_when_cuda_tests_run_on_a_gpu(monkeypatch):
    # Seen on an H200: the copy forked from a process that had set up CUDA errored on every
    # CUDA test ("Cannot re-initialize CUDA in forked subprocess").
    from types import SimpleNamespace

    from descent.grading import plugin, split
    from descent.grading.run_state import STATE

    state = SimpleNamespace(devices=["cpu", "cuda"], impls=[SimpleNamespace(isolated=True)])
    registered = []
    config = SimpleNamespace(
        stash={STATE: state},
        getoption=lambda name: "2",
        pluginmanager=SimpleNamespace(register=lambda p, name: registered.append(name)),
    )
    monkeypatch.setattr(split, "cpus", lambda option, one: (0, 1))
    monkeypatch.setattr(plugin, "_cuda_present", lambda: True)
    plugin._share_tests(config)
    assert registered == []
    monkeypatch.setattr(plugin, "_cuda_present", lambda: False)  # CUDA tests skip: share them
    plugin._share_tests(config)
    assert registered == ["descent-split"]


def test_a_one_submission_grading_asks_for_a_spare_worker_per_process(tmp_path, monkeypatch):
    """``_spare_workers``: what the first tests will ask for, started while the grading collects
    (``IsolationManager.prestart``): the submission's modules, its tests where it handed a test
    file in, for each process that shares the grading; nothing for several implementations."""
    from types import SimpleNamespace

    from descent.grading import plugin
    from descent.grading.run_state import STATE

    asked = []
    manager = SimpleNamespace(want_spares=lambda keys, sides: asked.append((keys, sides)))
    impl = SimpleNamespace(
        isolated=True,
        manager=manager,
        conn=SimpleNamespace(key=("taken", None, ())),
        intake={"source": str(tmp_path)},
    )
    config = SimpleNamespace(stash={STATE: SimpleNamespace(impls=[impl])})
    (tmp_path / "test_mse.py").write_text("def test_it(impl): ...\n")
    monkeypatch.setattr(plugin, "_split_cpus", lambda config: (0, 1))
    plugin._spare_workers(config)
    assert asked == [([("taken", None, ()), (None, None, ())], 2)]
    (tmp_path / "test_mse.py").unlink()
    monkeypatch.setattr(plugin, "_split_cpus", lambda config: None)
    plugin._spare_workers(config)
    assert asked[-1] == ([("taken", None, ())], 1)
    config.stash[STATE].impls = [impl, impl]
    plugin._spare_workers(config)
    assert len(asked) == 2
