"""The graders' oracles give PyTorch's values without PyTorch's costliest imports: the optimizer
and scheduler oracles (graders/torch_oracles.py) are ``torch.optim``'s classes value for value
and never import ``torch._dynamo`` (about a CPU-second of every grading when the first optimizer
step did); the battery's gradients are ``autograd.grad`` with an upstream gradient bit for bit
and never import sympy (a quarter of a CPU-second)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GRADERS = Path(__file__).resolve().parents[1] / "graders"
sys.path.insert(0, str(GRADERS))
import battery  # noqa: E402 - the graders' folder is put on the path just above
import test_optim  # noqa: E402
import torch_oracles  # noqa: E402

# Beyond the graded configurations: modes no grader uses yet, so a new one is covered too.
EXTRA = {
    "RMSprop": [dict(lr=0.01, momentum=0.5, centered=True)],
    "Adam": [dict(lr=0.05, amsgrad=True)],
}


def _cases():
    for opt in test_optim.OPTIMIZERS:
        if not opt.torch_cls:
            continue
        for hp in [*opt.configs.values(), {}, *EXTRA.get(opt.torch_cls, [])]:
            yield pytest.param(opt.torch_cls, hp, id=f"{opt.torch_cls}-{hp}")


def _class_run(cls_name: str, p0, grad, lrs):
    q = p0.clone().requires_grad_(True)
    opt = getattr(torch.optim, cls_name)([q], foreach=False, **lrs[0])
    params = []
    for hp in lrs:
        if "lr" in hp:
            opt.param_groups[0]["lr"] = hp["lr"]
        q.grad = grad(q.detach())
        opt.step()
        params.append(q.detach().clone())
    state = {k: int(v.item()) if k == "step" else v for k, v in opt.state[q].items()}
    return params, state


@pytest.mark.parametrize("cls_name,hp", list(_cases()))
def test_optimizer_steps_are_the_class_steps(cls_name, hp):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(6, 6, dtype=torch.float64, generator=g)
    a = a @ a.T + torch.eye(6, dtype=torch.float64)
    c = torch.randn(6, dtype=torch.float64, generator=g)
    p0 = torch.randn(2, 3, dtype=torch.float64, generator=g)

    def grad(p):
        return (a @ p.reshape(-1) - c).reshape(2, 3)

    # five steps, the learning rate cut after the third as the lr-change scenario does
    lrs = [hp if "lr" not in hp or k < 3 else {**hp, "lr": 0.3 * hp["lr"]} for k in range(5)]
    got_params, got_state = torch_oracles.optimizer_steps(cls_name, p0, grad, lrs)
    want_params, want_state = _class_run(cls_name, p0, grad, lrs)
    assert all(torch.equal(x, y) for x, y in zip(got_params, want_params, strict=True))
    assert sorted(got_state) == sorted(want_state)
    for key, value in want_state.items():
        assert (got_state[key] == value) if key == "step" else torch.equal(got_state[key], value)


def test_learning_rates_drive_schedulers_as_an_optimizer_does():
    sched = torch.optim.lr_scheduler

    def rates(opt, make, steps=12):
        s, out = make(opt), []
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
        return out

    makers = [
        lambda o: sched.OneCycleLR(o, 1.0, total_steps=12),
        lambda o: sched.SequentialLR(
            o,
            [sched.LinearLR(o, 0.25, total_iters=3), sched.CosineAnnealingLR(o, T_max=8)],
            milestones=[4],
        ),
    ]
    for make in makers:
        real = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
        assert rates(torch_oracles.LearningRates(0.3), make) == rates(real, make)


def _pair_oracles():
    return {
        "sigmoid": lambda x: torch.sigmoid(x),
        "softmax": lambda x: torch.softmax(x, -1),
        "mse": lambda x, y: ((x - y) ** 2).mean(),
        "linear": lambda x, w: x @ w.T,
    }


@pytest.mark.parametrize("name", sorted(_pair_oracles()))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_the_battery_gradients_are_autograd_with_an_upstream_gradient(name, dtype):
    g = torch.Generator().manual_seed(1)
    oracle = _pair_oracles()[name]
    nargs = oracle.__code__.co_argcount
    args = tuple(torch.randn(4, 3, generator=g, dtype=dtype) for _ in range(nargs))
    wrt = tuple(range(nargs))
    leaves = [a.clone().requires_grad_(True) for a in args]
    out = oracle(*leaves)
    dout = torch.randn(out.shape, generator=g, dtype=dtype) if out.dim() else out.new_tensor(1.7)
    want = torch.autograd.grad(out, leaves, dout)
    spec = SimpleNamespace(wrt=wrt, oracle=oracle)
    got = battery._oracle_grads(spec, args, {}, dout)
    got = got if isinstance(got, tuple) else (got,)
    assert all(torch.equal(x, y) for x, y in zip(got, want, strict=True))


def test_the_oracles_import_neither_dynamo_nor_sympy():
    # one fresh interpreter (this one has imported both through the tests above): the optimizer
    # and scheduler oracles, then a battery gradient; what each had loaded once it was done
    script = f"""
import sys
from types import SimpleNamespace
sys.path.insert(0, {str(GRADERS)!r})
import torch, battery, test_optim, test_schedules
p0 = torch.ones(*test_optim.SHAPE, dtype=torch.float64)
problem = SimpleNamespace(p0=p0, grad=lambda p: 0.5 * p)
for opt in test_optim.OPTIMIZERS:
    for hp in opt.configs.values():
        test_optim.run_oracle(opt, problem, hp, test_optim.SCENARIOS[2])
test_schedules.torch_lrs(
    lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5), 5, 0.1
)
test_schedules.torch_plateau([1.0, 1.0, 1.0], 0.1, patience=0)
print("torch._dynamo" in sys.modules)
x = torch.randn(4, 3, dtype=torch.float64)
battery._oracle_grads(SimpleNamespace(wrt=(0,), oracle=torch.tanh), (x,), {{}}, torch.ones(4, 3))
print("sympy" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    dynamo, sympy = out.stdout.split()
    assert dynamo == "False", "an optimizer or scheduler oracle imported torch._dynamo"
    assert sympy == "False", "a battery gradient imported sympy"
