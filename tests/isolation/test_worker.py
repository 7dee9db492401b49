"""The worker-backed implementation behaves like the in-process one for the documented APIs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from descent.calls import timelimit
from descent.calls.impl import FolderImplementation, SubmissionError
from descent.isolation import confinement
from descent.isolation.manager import IsolationManager, IsolationUnavailable, Settings
from descent.isolation.remote import RemoteException, WorkerFailure, WorkerImplementation

KIT = Path(__file__).resolve().parents[2]
SOLUTIONS = KIT / "solutions"

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


def test_mode_is_confined_and_recorded(manager):
    info = manager.mode()
    assert info["confined"] and info["mode"].startswith("landlock+seccomp")
    probe = info["probe"]
    for attempt in ("read_outside", "tcp_socket", "udp_socket", "fork", "signal_parent"):
        assert probe[attempt].startswith("blocked"), probe
    assert probe["write_scratch"] == "allowed"


def test_values_match_in_process(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    x = torch.randn(5, 4, dtype=torch.float64)
    y = torch.randint(4, (5,))
    for impl_out, local_out in [
        (
            remote.losses.cross_entropy_forward(x, y, label_smoothing=0.1)[0],
            local.losses.cross_entropy_forward(x, y, label_smoothing=0.1)[0],
        ),
        (
            remote.activations.softmax_forward(x, dim=0)[0],
            local.activations.softmax_forward(x, dim=0)[0],
        ),
    ]:
        assert type(impl_out) is torch.Tensor and torch.equal(impl_out, local_out)


def test_cache_handles_and_value_objects(remote):
    out, cache = remote.losses.log_softmax_forward(torch.randn(3, 4, dtype=torch.float64))
    grad = remote.losses.log_softmax_backward(torch.ones(3, 4, dtype=torch.float64), cache)
    assert grad.shape == (3, 4)
    if not (SOLUTIONS / "autograd.py").exists():
        pytest.skip("no autograd exercise yet")
    Value = remote.autograd.Value
    a, b = Value(2.0), Value(-3.0)
    c = (a * b + a**2 - 1.0 / b).tanh()
    c.backward()
    local = FolderImplementation(SOLUTIONS, "local").autograd.Value
    la, lb = local(2.0), local(-3.0)
    lc = (la * lb + la**2 - 1.0 / lb).tanh()
    lc.backward()
    assert (a.grad, b.grad, c.data) == (la.grad, lb.grad, lc.data)
    assert isinstance(a.grad, float)


def test_callables_run_on_the_trusted_side(remote):
    if not (SOLUTIONS / "layers.py").exists():
        pytest.skip("no layers exercise yet")
    calls = []
    w = torch.randn(3, dtype=torch.float64)

    def f(x):  # a closure over hidden data, recording its calls
        calls.append(x.clone())
        return (w * x**3).sum()

    x = torch.randn(3, dtype=torch.float64)
    g = remote.layers.numerical_gradient(f, x)
    assert torch.allclose(g, 3 * w * x**2, atol=1e-6)
    assert len(calls) == 6 and all(type(c) is torch.Tensor for c in calls)
    from descent.calls.callables import make

    g2 = remote.layers.numerical_gradient(make("weighted_cubes", w), x)
    assert torch.allclose(g2, g, atol=1e-9)


def test_generators_advance_and_edits_are_logged(remote, tmp_path):
    g = torch.Generator().manual_seed(1)
    g_local = torch.Generator().manual_seed(1)
    if (SOLUTIONS / "init.py").exists():
        a = remote.init.xavier_uniform((4, 3), generator=g)
        b = FolderImplementation(SOLUTIONS, "l").init.xavier_uniform((4, 3), generator=g_local)
        assert torch.equal(a, b) and torch.equal(g.get_state(), g_local.get_state())
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(
        "def mse_forward(pred, target):\n    pred.zero_()\n    return pred.sum(), None\n"
    )
    impl = WorkerImplementation("inplace", remote.manager, folder=str(sub))
    pred, target = torch.ones(3), torch.ones(3)
    impl.losses.mse_forward(pred, target)
    assert torch.equal(pred, torch.zeros(3))  # the edit reaches the grader's tensor
    assert torch.equal(target, torch.ones(3))
    assert id(pred) in impl.modified_log and id(target) not in impl.modified_log
    impl.close()


EDITS = """import torch

def mse_forward(pred, target):      # through a NumPy view: no version bump
    pred.numpy()[0] += 1.0
    return pred.sum(), None

def mae_forward(pred, target):      # through .data, a storage alias and set_
    pred.data[1] = 5.0
    torch.as_strided(target, (1,), (1,), 2).fill_(7.0)
    return pred.sum(), None

def huber_forward(pred, target, delta=1.0):
    target.set_(torch.zeros(2))
    return pred.sum(), None

def numerical_gradient(f, x, eps=1e-6):    # perturbs x through a view, then restores it
    g = torch.zeros_like(x)
    for i in range(x.numel()):
        view = x.numpy().reshape(-1)
        old = float(view[i])
        view[i] = old + eps
        hi = float(f(x))
        view[i] = old - eps
        lo = float(f(x))
        view[i] = old
        g.view(-1)[i] = (hi - lo) / (2 * eps)
    return g
"""


def test_edits_that_leave_the_version_alone_are_seen(remote, tmp_path):
    # Every way of editing an argument reaches the grader's objects and its log, and a callback
    # sees x perturbed exactly as in-process (a perturb-and-restore is an edit while f runs).
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(EDITS)
    (sub / "layers.py").write_text(EDITS)
    impl = WorkerImplementation("edits", remote.manager, folder=str(sub))
    local = FolderImplementation(sub, "local")
    for name, kwargs in (("mse", {}), ("mae", {}), ("huber", {"delta": 1.0})):
        outs = []
        for m in (impl, local):
            pred, target = torch.ones(3), torch.ones(3)
            getattr(m.losses, f"{name}_forward")(pred, target, **kwargs)
            outs.append((pred, target))
        (wp, wt), (lp, lt) = outs
        assert torch.equal(wp, lp) and torch.equal(wt, lt), name
        assert id(wp) in impl.modified_log or id(wt) in impl.modified_log, name
    seen = {}
    for m in (impl, local):
        x = torch.arange(3.0, dtype=torch.float64)
        before = x.clone()
        intact = []
        m.layers.numerical_gradient(lambda v: intact.append(torch.equal(x, before)) or 0.0, x)
        seen[m.name] = (intact, torch.equal(x, before))
    assert seen["edits"] == seen["local"]
    assert seen["local"][0] == [False] * 6 and seen["local"][1]
    impl.close()


def test_the_tripwire_decides_what_the_scan_cannot(remote, tmp_path):
    # Own methods named like tensor methods (inverse, backward) run freely; a real tensor's
    # .inverse() is caught at run time (the scan only lists it as a possible use).
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "regression.py").write_text(
        "class Solver:\n    def inverse(self, A):\n        return A\n\n"
        "def linear_regression_closed_form(X, y):\n"
        "    A = X.T @ X\n    Solver().inverse(A)\n    return A.inverse() @ (X.T @ y)\n"
    )
    (sub / "losses.py").write_text(
        "class MSE:\n    def backward(self):\n        return 1.0\n\n"
        "def mse_forward(pred, target):\n    return ((pred - target) ** 2).mean(), MSE()\n\n"
        "def mse_backward(dloss, cache):\n    return cache.backward()\n"
    )
    impl = WorkerImplementation("tripwire", remote.manager, folder=str(sub))
    X = torch.randn(6, 2, dtype=torch.float64)
    impl.regression.linear_regression_closed_form(X, torch.randn(6, dtype=torch.float64))
    loss, cache = impl.losses.mse_forward(torch.ones(3), torch.zeros(3))
    impl.losses.mse_backward(torch.tensor(1.0), cache)
    impl.flush()
    assert impl.hits.get("regression.linear_regression_closed_form") == {"torch.Tensor.inverse"}
    assert not impl.hits.get("losses.mse")
    impl.close()


def test_errors_timeouts_and_a_fresh_worker(remote, tmp_path, monkeypatch):
    monkeypatch.setattr(remote.manager, "call_timeout", 1.0)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(
        "import time\n"
        "def mse_forward(pred, target):\n    raise ValueError('bad shape')\n"
        "def mse_backward(d, cache):\n    while True:\n        pass\n"
        "def kl_div_forward(a, b):\n    import os; os._exit(3)\n"
    )
    impl = WorkerImplementation("bad", remote.manager, folder=str(sub))
    with pytest.raises(ValueError) as info:
        impl.losses.mse_forward(torch.ones(2), torch.ones(2))
    assert isinstance(info.value, RemoteException) and "bad shape" in info.value.describe()
    with pytest.raises(SubmissionError, match="has no `huber_forward`"):
        impl.losses.huber_forward
    started = time.monotonic()
    with pytest.raises(WorkerFailure, match=r"within 1 s: time limit exceeded \(infinite loop"):
        impl.losses.mse_backward(torch.ones(()), None)
    assert time.monotonic() - started < 1.0 * timelimit.WALL_FACTOR + 5
    impl.begin_test("again")
    with pytest.raises(WorkerFailure, match="earlier in this run; not called again"):
        impl.losses.mse_backward(torch.ones(()), None)
    assert impl.hangs() == frozenset({("mse_backward",)})
    impl.forget_hangs(impl.hangs())  # what the plugin does before running a test again
    assert impl.hangs() == frozenset()
    impl.begin_test("next")
    with pytest.raises(WorkerFailure, match="exited \\(status 3\\)"):
        impl.losses.kl_div_forward(torch.ones(2), torch.ones(2))
    impl.begin_test("next2")
    with pytest.raises(ValueError):  # a fresh worker serves the next test
        impl.losses.mse_forward(torch.ones(2), torch.ones(2))
    assert [e["kind"] for e in impl.events] == ["timeout", "crash"]
    impl.close()


def test_a_call_is_charged_its_workers_cpu_time_and_waiting_only_past_a_ceiling(
    remote, tmp_path, monkeypatch
):
    monkeypatch.setattr(remote.manager, "call_timeout", 0.5)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(
        "import time\n"
        "def mse_forward(pred, target):\n    time.sleep(1.0)\n    return pred.sum(), None\n"
        "def mae_forward(pred, target):\n    time.sleep(60)\n"
    )
    impl = WorkerImplementation("waits", remote.manager, folder=str(sub))
    # a second of waiting (another process had the CPU, or a sleep) is not 0.5 s of work
    assert impl.losses.mse_forward(torch.ones(2), torch.ones(2))[0] == 2
    started = time.monotonic()
    with pytest.raises(WorkerFailure, match=r"within 5 s of waiting .*time limit exceeded"):
        impl.losses.mae_forward(torch.ones(2), torch.ones(2))
    assert 5.0 <= time.monotonic() - started < 12
    impl.close()


def test_a_timeout_while_a_diagnosis_explores_is_capped_and_not_remembered(
    remote, tmp_path, monkeypatch
):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(
        "import time\n"
        "def mse_forward(pred, target):\n"
        "    while float(pred.sum()) > 10:\n        pass\n"
        "    return ((pred - target) ** 2).mean(), None\n"
    )
    monkeypatch.setattr(timelimit, "EXPLORING_S", 1.0)
    impl = WorkerImplementation("slow", remote.manager, folder=str(sub))
    started = time.monotonic()
    with timelimit.watching_cuts() as cut:
        with timelimit.exploring(), pytest.raises(WorkerFailure, match="within 1 s"):
            impl.losses.mse_forward(torch.full((2,), 9.0), torch.ones(2))
    # capped at 1 s of the worker's CPU time, not the 5 s call limit
    assert time.monotonic() - started < 1.0 * timelimit.WALL_FACTOR + 2
    assert cut()  # the diagnosis is noted as cut short (results: diagnosis_cut_short)
    impl.begin_test("next")  # the next test still calls it (a fresh worker)
    loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
    assert float(loss) == 1.0
    impl.close()


def test_refuses_without_confinement(monkeypatch):
    m = IsolationManager()
    fake = confinement.probe()
    fake.update(landlock_abi=0, seccomp=False)

    class NoServer:  # stands in for the fork server: reports a machine without confinement
        def alive(self):
            return True

        def hello(self):
            return {"static": fake, "preload_s": 0}

        def close(self, wait=True):
            pass

    m._server = NoServer()
    with pytest.raises(IsolationUnavailable, match="--insecure"):
        m.mode()
    m.settings.insecure = True
    assert m.mode()["mode"] == "unconfined (--insecure)"
    m.close()


def test_solutions_score_full_marks_through_the_worker(tmp_path):
    """The whole hidden graders, the solutions as a submission folder, through workers."""
    sub = tmp_path / "student"
    import shutil

    shutil.copytree(SOLUTIONS, sub, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    results = tmp_path / "r.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "graders",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--impl={sub}",
            f"--results={results}",
            "--no-grade-summary",
        ],
        cwd=KIT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    doc = json.loads(results.read_text())
    block = doc["implementations"][0]
    lost = [
        f"{e['id']}: {e['first_failure']}"
        for e in block["exercises"]
        if e["points"] != e["max_points"]
    ]
    assert not lost, "\n".join(lost) + proc.stdout[-2000:]
    assert doc["environment"]["isolation"] == "worker"
    assert block["isolation"] == "worker" and block["review"] == {}
    # the reference suites of the write-the-tests exercises: read as text by their exercises,
    # never loaded as modules, and listed as read, not as files not graded
    assert block["intake"]["ignored"] == [], block["intake"]
    assert set(block["intake"]["tests"]) == {p.name for p in SOLUTIONS.glob("test_*.py")}
    assert block["intake"]["refused"] == []


def test_each_grader_file_starts_from_the_workers_first_random_state(remote):
    """Draws from torch's global generator (dropout without a generator) repeat at the start of
    each grader file and move on within one, whatever the worker served before."""
    x = torch.ones(64, 64)

    def mask(nodeid: str) -> torch.Tensor:
        remote.begin_test(nodeid)
        return remote.regularization.dropout_forward(x, 0.5)[1]

    first = mask("graders/test_a.py::test_one")
    within = mask("graders/test_a.py::test_two")
    again = mask("graders/test_b.py::test_one")
    assert not torch.equal(first, within)  # one file: the state moves on
    assert torch.equal(first, again)  # a new file: back to where the worker started


def test_a_seed_of_the_global_generator_draws_the_same_in_a_worker_as_in_process(remote):
    """A grader that seeds the global generator for code that draws without one (dropout's
    default call, graders/test_regularization.py) seeds the worker's: the same seed gives the
    same mask through the worker as in-process (issue 56: a mask shared by every row passed
    that check in-process and failed it in the worker, on the same inputs)."""
    local = FolderImplementation(SOLUTIONS, "local")
    x = torch.ones(64, 64)
    masks = []
    for impl in (remote, local):
        impl.begin_test("graders/test_regularization.py::test_without_generator")
        impl.seed_global(1234)
        masks.append(impl.regularization.dropout_forward(x, 0.5)[1])
    assert torch.equal(masks[0], masks[1])
    remote.seed_global(99)
    assert not torch.equal(remote.regularization.dropout_forward(x, 0.5)[1], masks[0])


# dropout as CS231n writes it (NumPy's global generator) and as a plain-Python course might
_GLOBAL_DRAWS = """
import random

import numpy as np
import torch


def dropout_forward(x, p, train=True, generator=None):
    mask = torch.as_tensor(np.random.rand(*x.shape) >= p, dtype=x.dtype) / (1 - p)
    mask = mask * (random.random() + 1.0)
    return x * mask, mask
"""


def test_numpy_and_python_draws_repeat_per_grader_file_and_per_seed(manager, tmp_path):
    """The worker's NumPy and Python generators start each grader file where they started and
    follow ``seed_global`` as torch's does: a mask drawn with ``np.random`` got other points
    when the same worker had served other grader files first (a real CS231n dropout moved
    from 2.81 to 2.50 of its points between two gradings)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "regularization.py").write_text(_GLOBAL_DRAWS)
    impl = WorkerImplementation("globals", manager, folder=str(sub))
    x = torch.ones(8, 8)
    try:

        def mask(nodeid: str, seed: int | None = None) -> torch.Tensor:
            impl.begin_test(nodeid)
            if seed is not None:
                impl.seed_global(seed)
            return impl.regularization.dropout_forward(x, 0.5)[1]

        first = mask("graders/test_a.py::test_one")
        within = mask("graders/test_a.py::test_two")
        again = mask("graders/test_b.py::test_one")
        seeded = mask("graders/test_c.py::test_one", seed=7)
        seeded_later = mask("graders/test_c.py::test_two", seed=7)
    finally:
        impl.close()
    assert not torch.equal(first, within)
    assert torch.equal(first, again)
    assert torch.equal(seeded, seeded_later) and not torch.equal(seeded, first)


def test_an_import_out_of_time_is_stopped_in_the_worker_named_by_line_and_refused_after(tmp_path):
    """A loop at a module's top level costs one time limit in the hidden grading as in the
    student's own run, and the failure names its line: the worker stops the import itself (it
    was killed from outside before, with no line), stays alive, and refuses the module at once
    when another module imports it (issue 81)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "activations.py").write_text("import torch\n\nwhile True:\n    pass\n")
    (sub / "layers.py").write_text("from .activations import relu_forward\n")
    (sub / "losses.py").write_text("def mse_forward(pred, target):\n    return 1.0, None\n")
    manager = IsolationManager(Settings(call_timeout=1.0))
    impl = WorkerImplementation("loop", manager, folder=str(sub))
    try:
        with pytest.raises(SubmissionError, match=r"within 1 s .*\(activations\.py line 3\)"):
            impl.module("activations")
        process = impl.conn.process
        before = process.cpu_seconds()
        with pytest.raises(SubmissionError, match=r"importing activations\.py failed"):
            impl.module("layers")  # refused at once: the loop is not run again
        if before is not None:  # CPU time, not wall time: the same on a busy machine
            assert process.cpu_seconds() - before < 0.5
        assert impl.losses.mse_forward(torch.zeros(1), torch.zeros(1))[0] == 1.0
        assert impl.conn.process is process  # the same worker, alive
        assert impl.conn.events == []  # no worker was stopped from outside for time
    finally:
        impl.close()
        manager.close()


def test_a_repair_trial_in_a_worker_started_after_the_module_s_tests_loads_it(remote, tmp_path):
    # the module's tests ran in a worker that then stopped (a crash, a time limit, retired after
    # the last test); the repair search comes later, in a fresh worker that never loaded the
    # module: every trial used to fail there, so a grading of one process found no repair where
    # one of two processes did
    sub = tmp_path / "sub"
    sub.mkdir()
    text = "def mse_forward(pred, target):\n    return ((pred - target) ** 2).sum(), None\n"
    (sub / "losses.py").write_text(text)
    impl = WorkerImplementation("retired", remote.manager, folder=str(sub))
    x = torch.arange(4.0)
    assert float(impl.losses.mse_forward(x, torch.zeros(4))[0]) == 14.0
    impl.retire()
    edit = text.replace(".sum()", ".mean()")
    with impl.edited("losses", ["mse_forward"], edit) as trial:
        assert trial is not None
        assert float(trial.losses.mse_forward(x, torch.zeros(4))[0]) == 3.5
    assert float(impl.losses.mse_forward(x, torch.zeros(4))[0]) == 14.0  # its own code again
    impl.close()
