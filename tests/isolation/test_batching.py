"""Fewer round trips with the same results: sweeps of calls in one request
(``descent.calls.impl.call_each``), chains of calls fed from the previous result
(``descent.calls.impl.call_chain``), a backward fed its forward's cache (``descent.calls.impl.call_then``),
Value graphs recorded as tapes (``descent.calls.impl.run_graph``),
attribute reads answered from the snapshot that came with the
previous reply, gradient checks built on sweeps, and one CPU for the grader and its workers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from descent.calls import callables
from descent.calls.impl import FolderImplementation, call_chain, call_each, call_then, run_graph
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure
from descent.isolation import confinement
from descent.isolation.manager import IsolationManager, Settings
from descent.isolation.remote import RemoteException, WorkerImplementation

KIT = Path(__file__).resolve().parents[2]
SOLUTIONS = KIT / "solutions"

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


def _student(tmp_path, name: str, source: str) -> Path:
    sub = tmp_path / "sub"
    sub.mkdir(exist_ok=True)
    (sub / f"{name}.py").write_text(source)
    return sub


# -- sweeps -----------------------------------------------------------------------------------------
def test_a_sweep_is_one_request_and_equals_the_loop(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    steps = [(t, 0.4, 12, 0.05) for t in range(30)]
    cosine_lr = remote.schedules.cosine_lr  # loading the module is a request of its own
    before = remote.requests
    got = call_each(cosine_lr, steps)
    assert remote.requests - before == 1
    assert got == [local.schedules.cosine_lr(*s) for s in steps]
    assert call_each(remote.schedules.cosine_lr, []) == []


def test_pick_keeps_the_rest_of_each_result_in_the_worker(remote):
    x = torch.randn(4, 3, dtype=torch.float64)
    outs = call_each(remote.losses.mse_forward, [(x, x + k) for k in range(3)], pick=0)
    assert [round(float(o), 12) for o in outs] == [0.0, 1.0, 4.0]


def test_a_sweep_in_the_worker_keeps_each_result_as_its_call_returned_it(manager, tmp_path):
    # a gradient accumulated into a module-level buffer and handed back each time
    sub = _student(
        tmp_path,
        "losses",
        "import torch\nBUF = torch.zeros(2)\n\n\ndef mse_forward(pred, target):\n"
        "    BUF.add_(pred - target)\n    return BUF, BUF\n",
    )
    impl = WorkerImplementation("sweep-kept", manager, folder=str(sub))
    ones = torch.ones(2, dtype=torch.float64)
    outs = call_each(impl.losses.mse_forward, [(ones, 0 * ones)] * 3, pick=0, stack=True)
    assert [o.tolist() for o in outs] == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    impl.close()


def test_the_first_error_of_a_sweep_is_raised_as_the_loop_would(manager, tmp_path):
    sub = _student(
        tmp_path,
        "schedules",
        "def cosine_lr(step, base_lr, total_steps, "
        "min_lr=0.0):\n    if step == 3:\n        raise ValueError('step three')\n"
        "    return base_lr\n",
    )
    impl = WorkerImplementation("sweep-error", manager, folder=str(sub))
    with pytest.raises(ValueError, match="step three") as info:
        call_each(impl.schedules.cosine_lr, [(t, 0.1, 10) for t in range(6)])
    assert isinstance(info.value, RemoteException)
    assert call_each(impl.schedules.cosine_lr, [(0, 0.1, 10)]) == [0.1]  # same worker goes on
    impl.close()


def test_a_sweep_that_hangs_hits_its_time_limit(tmp_path):
    m = IsolationManager(Settings(call_timeout=0.5))
    sub = _student(
        tmp_path,
        "schedules",
        "def cosine_lr(step, base_lr, "
        "total_steps, min_lr=0.0):\n    while step > 2:\n        pass\n    return base_lr\n",
    )
    impl = WorkerImplementation("sweep-hang", m, folder=str(sub))
    with pytest.raises(Exception, match="time limit exceeded"):
        call_each(impl.schedules.cosine_lr, [(t, 0.1, 10) for t in range(5)])
    assert impl.events and impl.events[-1]["kind"] == "timeout"
    impl.close()
    m.close()


# -- attribute snapshots ----------------------------------------------------------------------------
def _graph(Value):
    a, b = Value(2.0), Value(-3.0)
    c = (a * b + a**2).tanh()
    c.backward()
    return a, b, c


def test_reads_after_a_reply_come_from_its_snapshot(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    nodes = _graph(remote.autograd.Value)
    before = remote.requests
    got = [n.data for n in nodes] + [n.grad for n in nodes]
    assert remote.requests - before == 1 and remote.snapshot_reads >= 5
    assert got == [n.data for n in _graph(local.autograd.Value)] + [
        n.grad for n in _graph(local.autograd.Value)
    ]


def test_any_request_makes_the_snapshot_stale(remote):
    def story(impl):
        a, b, c = _graph(impl.autograd.Value)
        seen = [a.grad, b.grad]
        a.grad = 0.0  # a request: the next read asks the worker again
        seen += [a.grad, b.data]
        c.backward()  # changes the grads in the worker
        return seen + [a.grad, b.grad]

    got = story(remote)
    assert got == story(FolderImplementation(SOLUTIONS, "local"))
    assert got[2] == 0.0 and got[4] != 0.0


def test_only_plain_instance_attributes_are_snapshotted(manager, tmp_path):
    sub = _student(
        tmp_path,
        "autograd",
        """
import itertools
_counter = itertools.count()

class Value:
    def __init__(self, data):
        self.data = data
        self.grad = 0.0
        self.parts = [data]
    @property
    def reads(self):
        return next(_counter)       # differs at every read: must never be cached
""",
    )
    impl = WorkerImplementation("snap", manager, folder=str(sub))
    v = impl.autograd.Value(1.5)
    w = impl.autograd.Value(2.5)
    assert v.data == 1.5 and w.data == 2.5
    first, second = v.reads, v.reads
    assert second == first + 1
    assert w.parts == [2.5]  # a list is not snapshotted: it crosses as a copy
    impl.close()


# -- a backward fed its forward's cache -------------------------------------------------------------
def test_a_backward_of_a_forward_is_one_request(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    dout = torch.tensor(1.7, dtype=torch.float64)
    forward, backward = remote.losses.mse_forward, remote.losses.mse_backward
    before = remote.requests
    got = call_then(forward, (x, y), backward, [dout])
    assert remote.requests - before == 1
    expected = local.losses.mse_backward(dout, local.losses.mse_forward(x, y)[-1])
    assert torch.equal(got, expected)


def test_calls_of_two_exercises_are_not_joined(remote):
    x = torch.randn(4, 3, dtype=torch.float64)
    forward, other = remote.activations.relu_forward, remote.activations.sigmoid_backward
    before = remote.requests
    got = call_then(forward, (x,), other, [torch.ones_like(x)])  # relu's cache, sigmoid's grad
    assert remote.requests - before == 2
    local = FolderImplementation(SOLUTIONS, "local")
    assert torch.equal(
        got,
        local.activations.sigmoid_backward(
            torch.ones_like(x), local.activations.relu_forward(x)[-1]
        ),
    )


def test_an_error_in_the_first_call_stops_both(manager, tmp_path):
    sub = _student(
        tmp_path,
        "losses",
        """
def mse_forward(pred, target):
    raise ValueError('no forward today')

def mse_backward(dout, cache):
    raise AssertionError('must not run')
""",
    )
    impl = WorkerImplementation("then-error", manager, folder=str(sub))
    x = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="no forward today") as info:
        call_then(impl.losses.mse_forward, (x, x), impl.losses.mse_backward, [x])
    assert isinstance(info.value, RemoteException)
    impl.close()


# -- recorded Value graphs --------------------------------------------------------------------------
def _expression(a, b):
    c = 2.0 + a * b  # a number on the left: reaches Value.__radd__
    d = (c**2 - 1.5 / b).tanh()
    return [a, b, c, d, (-d).exp() + c.relu() * 3]


def test_a_graph_is_one_request_and_equals_the_local_run(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    Value = remote.autograd.Value  # loading the module is a request of its own
    before = remote.requests
    got = run_graph(Value, _expression, [0.7, -1.2])
    assert remote.requests - before == 1
    assert got == run_graph(local.autograd.Value, _expression, [0.7, -1.2])
    data, grads = got
    assert len(data) == len(grads) == 5 and grads[-1] == 1.0


def test_a_build_that_needs_values_runs_on_proxies_instead(remote):
    def branchy(a, b):  # control flow on a node: cannot be recorded
        c = a * b
        return [a, b, c.relu() if c.data > 0 else c.tanh()]

    local = FolderImplementation(SOLUTIONS, "local")
    Value = remote.autograd.Value
    before = remote.requests
    got = run_graph(Value, branchy, [0.5, -2.0])
    assert remote.requests - before > 1
    assert got == run_graph(local.autograd.Value, branchy, [0.5, -2.0])


def test_a_graph_raises_what_the_student_code_raises(manager, tmp_path):
    sub = _student(
        tmp_path,
        "autograd",
        """
class Value:
    def __init__(self, data):
        self.data, self.grad = data, 0.0
    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data)
    def backward(self):
        self.grad = 1.0
""",
    )
    impl = WorkerImplementation("graph-error", manager, folder=str(sub))
    Value = impl.autograd.Value
    assert run_graph(Value, lambda a: [a, a * 3.0], [2.0]) == ([2.0, 6.0], [0.0, 1.0])
    with pytest.raises(TypeError, match="unsupported operand") as info:
        run_graph(Value, lambda a: [a, 3.0 * a], [2.0])  # no __rmul__: as in-process
    assert isinstance(info.value, RemoteException)
    impl.close()


# -- gradient checks --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "module,pair,shapes,wrt",
    [
        ("normalization", "layernorm", [(6, 5), (5,), (5,)], (0, 1, 2)),
        ("activations", "softmax", [(7, 9)], (0,)),
    ],
)
def test_a_gradient_check_costs_a_handful_of_round_trips(remote, module, pair, shapes, wrt):
    args = [torch.randn(*s, dtype=torch.float64) for s in shapes]
    checker = Checker(remote, FolderImplementation(SOLUTIONS, "reference"), f"{module}.{pair}")
    before = remote.requests
    checker.gradcheck(f"{module}.{pair}", args, wrt)
    assert remote.requests - before <= 4


def test_a_stacked_sweep_gives_the_same_results_as_the_loop(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    xs = [[torch.randn(3, 4, dtype=torch.float64)] for _ in range(5)]
    for impl in (remote, local):
        tanh = impl.activations.tanh_forward  # loading the module is a request of its own
        before = getattr(impl, "requests", 0)
        outs = call_each(tanh, xs, pick=0, stack=True)
        assert getattr(impl, "requests", 0) - before == (1 if impl is remote else 0)
        assert len(outs) == 5 and all(torch.equal(o, torch.tanh(x[0])) for o, x in zip(outs, xs))
    # results of different shapes are sent as a list (descent.calls.stacking)
    ragged = call_each(
        remote.activations.tanh_forward, [[torch.zeros(2)], [torch.zeros(3)]], pick=0, stack=True
    )
    assert [o.shape for o in ragged] == [(2,), (3,)] and remote.conn.stacked is None


def test_a_backward_that_edits_its_cache_fails_in_a_worker_as_in_process(manager, tmp_path):
    # the check passes one cache to every backward call: it must cross once and stay one
    # object in the worker, or the edit would go unseen there
    sub = _student(
        tmp_path,
        "losses",
        """
def mse_forward(pred, target):
    diff = pred - target
    return (diff ** 2).mean(), [diff]

def mse_backward(dout, cache):
    diff = cache[0]
    cache[0] = diff * 1.0001               # "refreshes" its cache: the next call differs
    return 2 * dout * diff / diff.numel()
""",
    )
    pred, target = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    worker = WorkerImplementation("gc-cache", manager, folder=str(sub))
    for impl in (FolderImplementation(sub, "local"), worker):
        checker = Checker(impl, FolderImplementation(SOLUTIONS, "reference"), "losses.mse")
        with pytest.raises(GradingFailure, match="called twice with the same cache"):
            checker.gradcheck("losses.mse", [pred, target], (0,))
    worker.close()


def test_a_fresh_sweep_copies_shared_arguments_where_the_calls_run(manager, tmp_path):
    sub = _student(
        tmp_path,
        "losses",
        """
def mse_forward(pred, target):
    pred.add_(1.0)                          # edits its input in place
    diff = pred - target
    return (diff ** 2).mean(), (diff,)
""",
    )
    x, zero = torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
    worker = WorkerImplementation("fresh", manager, folder=str(sub))
    for impl in (FolderImplementation(sub, "local"), worker):
        fresh = call_each(impl.losses.mse_forward, [[x, zero]] * 3, pick=0, fresh=True)
        assert [float(v) for v in fresh] == [1.0, 1.0, 1.0]
        assert torch.equal(x, zero)  # the grader's tensor is untouched
    for impl in (FolderImplementation(sub, "plain"), worker):
        # without fresh the calls share one tensor, which each edits: the same in a worker
        shared = call_each(impl.losses.mse_forward, [[x.clone(), zero]] * 3, pick=0)
        assert [float(v) for v in shared] == [1.0, 4.0, 9.0]
    worker.close()


def test_a_wrong_backward_fails_the_check_through_the_worker(manager, tmp_path):
    sub = _student(
        tmp_path,
        "losses",
        """
def mse_forward(pred, target):
    diff = pred - target
    return (diff ** 2).mean(), (diff,)

def mse_backward(dout, cache):
    diff, = cache
    return 2 * diff / diff.numel()        # forgets dout: right only when dout == 1
""",
    )
    impl = WorkerImplementation("gc", manager, folder=str(sub))
    checker = Checker(impl, FolderImplementation(SOLUTIONS, "reference"), "losses.mse")
    pred, target = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(GradingFailure, match="gradient check"):
        checker.gradcheck("losses.mse", [pred, target], (0,))
    impl.close()


# -- one CPU for the grader and its workers ---------------------------------------------------------
def test_workers_share_the_graders_cpu(manager, remote):
    import os

    remote.losses.mse_forward(torch.zeros(2), torch.ones(2))
    if manager.cpu is None:
        pytest.skip("this process could not be pinned (no affinity control here)")
    assert os.sched_getaffinity(0) == {manager.cpu}
    assert os.sched_getaffinity(remote.process.pid) == {manager.cpu}
    assert torch.get_num_threads() == 1


# -- chains of calls --------------------------------------------------------------------------------
def _descent(steps):
    a = torch.eye(6, dtype=torch.float64) * 2.0
    c = torch.arange(6, dtype=torch.float64)
    return callables.make(
        "quadratic_descent", a, c, 1.0, [2, 3], [{"lr": 0.1, "momentum": 0.9}] * steps
    )


def test_a_chain_is_one_request_and_equals_the_loop(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    p0 = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(2, 3)
    sgd = remote.optim.sgd_step
    before = remote.requests
    got = call_chain(sgd, _descent(8), 8, start=(p0, {}))
    assert remote.requests - before == 1
    want = call_chain(local.optim.sgd_step, _descent(8), 8, start=(p0, {}))
    assert len(got) == 8 and all(edited is False for _, edited in got)
    for (g, _), (w, _) in zip(got, want):
        assert torch.equal(g[0], w[0]) and torch.equal(
            g[1]["momentum_buffer"], w[1]["momentum_buffer"]
        )


def test_a_chain_with_pick_keeps_only_the_last_result_whole(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    p0 = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(2, 3)
    for impl in (remote, local):
        got = call_chain(impl.optim.sgd_step, _descent(4), 4, start=(p0, {}), pick=0)
        whole = call_chain(impl.optim.sgd_step, _descent(4), 4, start=(p0, {}))
        assert [type(r) for r, _ in got] == [torch.Tensor] * 3 + [tuple]
        for (g, _), (w, _) in zip(got[:-1], whole[:-1]):
            assert torch.equal(g, w[0])
        assert torch.equal(got[-1][0][1]["momentum_buffer"], whole[-1][0][1]["momentum_buffer"])
    # a result that cannot be picked from stays whole (the loop both sides run)
    assert (
        callables.run_chain(lambda: {"a": 1}, lambda k, previous: ((), {}), 3, pick=0)
        == [({"a": 1}, False)] * 3
    )


def test_a_stacked_chain_equals_the_loop(remote):
    """Epochs of minibatches, stacked per batch by the worker, read as the loop's lists; an
    epoch that differs in shape comes back unstacked, as the loop made it."""
    local = FolderImplementation(SOLUTIONS, "local")
    shuffle = callables.make("shared_generator", [5, 2], {}, 3, "cpu")
    minibatches = remote.regression.minibatches  # loading the module is a request of its own
    before = remote.requests
    got = call_chain(minibatches, shuffle, 40, stack=True)
    assert remote.requests - before == 1 and remote.conn.stacked == ["l", ["T"] * 3]
    want = call_chain(local.regression.minibatches, shuffle, 40, stack=True)
    assert [[b.tolist() for b in r] for r, _ in got] == [[b.tolist() for b in r] for r, _ in want]
    assert all(type(r) is list and edited is False for r, edited in got)


def test_a_chain_whose_results_differ_in_shape_comes_back_unstacked(manager, tmp_path):
    sub = _student(
        tmp_path,
        "regression",
        """
import torch

CALLS = []

def minibatches(n, batch_size, generator, drop_last=False):
    CALLS.append(1)  # one more index each epoch: the batches change shape
    return list(torch.randperm(n + len(CALLS), generator=generator).split(batch_size))
""",
    )
    impl = WorkerImplementation("chain-ragged", manager, folder=str(sub))
    shuffle = callables.make("shared_generator", [4, 2], {}, 3, "cpu")
    got = call_chain(impl.regression.minibatches, shuffle, 3, stack=True)
    assert impl.conn.stacked is None
    assert [[len(b) for b in r] for r, _ in got] == [[2, 2, 1], [2, 2, 2], [2, 2, 2, 1]]
    impl.close()


def test_a_chain_reports_calls_that_edit_their_arguments(manager, tmp_path):
    sub = _student(
        tmp_path,
        "optim",
        """
def sgd_step(param, grad, state, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False):
    param -= lr * grad                 # in place: the caller's tensor changes
    return param, state
""",
    )
    impl = WorkerImplementation("chain-edit", manager, folder=str(sub))
    p0 = torch.ones(2, 3, dtype=torch.float64)
    got = call_chain(impl.optim.sgd_step, _descent(3), 3, start=(p0, {}))
    assert [edited for _, edited in got] == [True, True, True]
    assert torch.equal(p0, torch.ones(2, 3, dtype=torch.float64))  # ours is untouched
    with pytest.raises(TypeError, match="described callable"):
        call_chain(impl.optim.sgd_step, lambda k, prev: ((), {}), 1)
    impl.close()


def test_a_chain_that_watches_the_global_generators_says_which_call_moved_one(manager, tmp_path):
    # (issue 50) an initializer that reseeds NumPy's global generator from the one it is given
    sub = _student(
        tmp_path,
        "init",
        """
import numpy as np
import torch

def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    seed = int(torch.randint(2**31, (1,), generator=generator))
    np.random.seed(seed)
    return torch.from_numpy(np.random.rand(*shape)).to(dtype)

def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device)
""",
    )
    impl = WorkerImplementation("chain-globals", manager, folder=str(sub))
    local = FolderImplementation(sub, "local")
    advance = callables.make("generator_calls", [(4, 3)], {}, [7, None, 7], "cpu")
    for m in (impl, local):
        reseeds = call_chain(m.init.xavier_uniform, advance, 3)
        assert [moved for _, _, moved in reseeds] == [True, True, True]
        assert not torch.equal(reseeds[0][0], reseeds[1][0])  # two states, two tensors
        assert torch.equal(reseeds[0][0], reseeds[2][0])  # the same seed again, the same tensor
        draws = call_chain(m.init.xavier_normal, advance, 3)
        assert [moved for _, _, moved in draws] == [False, False, False]
    impl.close()
