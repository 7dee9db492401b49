"""Trusted checks of lab 4 (optimizer strategy); see lab1_loss_consultant.py for how they run."""

import math

import torch

from descent.labs.hidden_checks import scalar


def _factor(nb, step, total, warmup):
    return scalar(
        nb.call("warmup_cosine", step, total, warmup), f"warmup_cosine({step}, {total}, {warmup})"
    )


def task1_test(nb, parts, key):
    with parts.part("warmup rises linearly to 1", 1):
        assert abs(_factor(nb, 0, 100, 10) - 0.1) < 1e-9, _factor(nb, 0, 100, 10)
        assert abs(_factor(nb, 9, 100, 10) - 1.0) < 1e-9, _factor(nb, 9, 100, 10)
    with parts.part("cosine: 1 after warmup, 0.5 halfway, 0 at the end, never rising", 1):
        assert abs(_factor(nb, 10, 100, 10) - 1.0) < 1e-9, "not 1 right after warmup"
        assert abs(_factor(nb, 55, 100, 10) - 0.5) < 1e-9, _factor(nb, 55, 100, 10)
        assert abs(_factor(nb, 100, 100, 10)) < 1e-9, "not 0 at the end"
        values = nb.eval("[warmup_cosine(s, 100, 10) for s in range(10, 101)]")
        values = [scalar(v, "warmup_cosine") for v in values]
        assert all(a >= b - 1e-12 for a, b in zip(values, values[1:])), "the factor rises"
    with parts.part("no warmup: starts at 1", 1):
        assert abs(_factor(nb, 0, 50, 0) - 1.0) < 1e-9, _factor(nb, 0, 50, 0)
        assert abs(_factor(nb, 25, 50, 0) - 0.5) < 1e-9, _factor(nb, 25, 50, 0)


# Runs the notebook's optimizer on fixed gradients: what it does, not what it is called.
_STEPS = """
def _descent_steps(name, start, grads, lr):
    import torch
    w = torch.nn.Parameter(start.clone())
    opt = make_optimizer(name, [w], lr)
    out = []
    for g in grads:
        w.grad = g.clone()
        opt.step()
        out.append(w.detach().clone())
    group = {k: v for k, v in opt.param_groups[0].items() if k in ("lr", "momentum", "weight_decay")}
    return type(opt).__name__, group, out
"""
_TORCH = {
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "adamw": lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=0.01),
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
}
_CLASS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}


def _reference(name, start, grads, lr):
    w = torch.nn.Parameter(start.clone())
    opt = _TORCH[name]([w], lr)
    out = []
    for g in grads:
        w.grad = g.clone()
        opt.step()
        out.append(w.detach().clone())
    return out


def _follows(nb, name, start, grads):
    kind, group, steps = nb.call("_descent_steps", name, start, grads, 0.01)
    want = _reference(name, start, grads, 0.01)
    same = (
        type(steps) is list
        and len(steps) == len(want)
        and all(
            type(s) is torch.Tensor and s.shape == w.shape and torch.allclose(s, w, atol=1e-7)
            for s, w in zip(steps, want)
        )
    )
    return kind, group, same


def task2_test(nb, parts, key):
    grads = [
        torch.tensor([1.0, -2.0, 0.5]),
        torch.tensor([0.5, 1.0, -1.0]),
        torch.tensor([-0.3, 0.2, 2.0]),
    ]
    nb.define(_STEPS)
    with parts.part("the right classes and learning rate", 1):
        for name in ("adam", "adamw", "sgd"):
            kind, group, same = _follows(nb, name, torch.zeros(3), grads[:1])
            assert kind == _CLASS[name], f"{name}: a {kind}"
            assert group.get("lr") == 0.01, f"{name}: learning rate {group.get('lr')}"
            assert same, f"{name}: its first step is not torch.optim.{_CLASS[name]}'s"
    with parts.part("momentum 0.9 for SGD, weight decay 0.01 for AdamW", 1):
        start = torch.tensor([0.5, -1.0, 2.0])
        for name, setting, value in (("sgd", "momentum", 0.9), ("adamw", "weight_decay", 0.01)):
            _, group, same = _follows(nb, name, start, grads)
            assert group.get(setting) == value, f"{name}: {setting} {group.get(setting)}"
            assert same, f"{name}: three steps differ from torch.optim.{_CLASS[name]}'s"


def _run(nb, *args, **kwargs):
    run = nb.call("fine_tune", *args, **kwargs)
    assert type(run) is dict and type(run.get("loss")) is list and type(run.get("lr")) is list, (
        "fine_tune must return the dict with 'loss' and 'lr' lists"
    )
    return run


def task3_test(nb, parts, key):
    with parts.part("one loss and one learning rate per step", 1):
        run = _run(nb, "sgd", schedule=True, budget=20, warmup=4)
        assert len(run["loss"]) == 20 and len(run["lr"]) == 20, (len(run["loss"]), len(run["lr"]))
    with parts.part("with a schedule: warmup first, then decay towards 0", 1):
        lrs = [
            scalar(v, "a learning rate")
            for v in _run(nb, "sgd", schedule=True, budget=20, warmup=4)["lr"]
        ]
        assert len(lrs) == 20 and abs(lrs[0] - 3e-2 * 0.25) < 1e-9, lrs[:5]
        assert abs(lrs[3] - 3e-2) < 1e-9, lrs[:5]
        assert lrs[-1] < 0.05 * 3e-2, lrs[-3:]
    with parts.part("without a schedule the rate stays constant and training helps", 1):
        flat = _run(nb, "adam", schedule=False, budget=20)
        assert all(type(v) is float and abs(v - 3e-3) < 1e-12 for v in flat["lr"]), flat["lr"][:3]
        val = scalar(flat.get("val_loss"), "val_loss")
        assert val < math.log(6), f"validation loss {val:.3f}"


def task4_test(nb, parts, key):
    with parts.part("six runs of 120 steps", 1):
        results = nb.value("RESULTS")
        assert type(results) is dict and len(results) == 6, "RESULTS needs six runs"
        assert all(
            type(r) is dict and type(r.get("loss")) is list and len(r["loss"]) == 120
            for r in results.values()
        ), "each run needs 120 losses"
    with parts.part("every run ends far better than chance on validation", 1):
        results = nb.value("RESULTS")
        assert type(results) is dict and results, "RESULTS is empty"
        worst = max(
            scalar(r.get("val_loss") if type(r) is dict else None, "val_loss")
            for r in results.values()
        )
        assert worst < 0.5 * math.log(6), f"worst validation loss {worst:.3f}"
