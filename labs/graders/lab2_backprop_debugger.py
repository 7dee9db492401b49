"""Trusted checks of lab 2 (backprop debugger); see lab1_loss_consultant.py for how they run."""

import math

import torch
import torch.nn.functional as F

from descent.labs.hidden_checks import matches, scalar


def task1_test(nb, parts, key):
    with parts.part("10 classes", 1):
        got = scalar(nb.call("expected_initial_loss", 10), "expected_initial_loss(10)")
        assert abs(got - math.log(10)) < 1e-4, got
    with parts.part("2 and 20 classes", 1):
        for n in (2, 20):
            got = scalar(nb.call("expected_initial_loss", n), f"expected_initial_loss({n})")
            assert abs(got - math.log(n)) < 1e-4, f"{n} classes: got {got}"


# Builds the test network in the notebook, as the visible check does, and asks for its norms.
_NORMS = """
def _descent_grad_norms(fresh):
    import torch
    if fresh:
        return grad_norms(torch.nn.Linear(2, 2))
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    net(torch.randn(5, 3)).pow(2).sum().backward()
    return grad_norms(net)
"""


def _reference_norms():
    with torch.random.fork_rng():
        torch.manual_seed(1)
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
        net(torch.randn(5, 3)).pow(2).sum().backward()
    return {n: p.grad.norm().item() for n, p in net.named_parameters()}


def _norms(nb, fresh=False):
    nb.define(_NORMS)
    got = nb.call("_descent_grad_norms", fresh)
    assert type(got) is dict, "return a dict"
    return got


def task2_test(nb, parts, key):
    want = _reference_norms()
    with parts.part("one entry per named parameter", 1):
        got = _norms(nb)
        assert set(got) == set(want), sorted(map(str, got))
    with parts.part("values are the L2 norms of the gradients, as floats", 1):
        got = _norms(nb)
        for name, value in want.items():
            assert type(got.get(name)) is float, f"{name}: return floats"
            assert abs(got[name] - value) < 1e-5, f"{name}: got {got[name]:.6g}"
    with parts.part("a parameter without gradient counts 0.0", 1):
        got = _norms(nb, fresh=True)
        assert got == {"weight": 0.0, "bias": 0.0}, got


def task3_test(nb, parts, key):
    bugs = {"dead_units", "lr_too_small", "detached", "grads_not_zeroed"}
    runs = ("run_a", "run_b", "run_c", "run_d")
    diagnosis = {}
    with parts.part("DIAGNOSIS names a known bug for every run", 0):
        diagnosis = nb.value("DIAGNOSIS")
        assert (
            type(diagnosis) is dict
            and set(diagnosis) == set(runs)
            and set(diagnosis.values()) <= bugs
        ), "give one name from BUGS for each run"
    for run in runs:
        with parts.part(run, 1):
            assert matches(key[run], diagnosis.get(run) if type(diagnosis) is dict else None), key[
                run
            ]["wrong"]


def make_data(n, seed):
    """The notebook's data (its setup cell), rebuilt here."""
    g = torch.Generator().manual_seed(seed)
    centers = 1.5 * torch.randn(10, 20, generator=torch.Generator().manual_seed(123))
    y = torch.randint(0, 10, (n,), generator=g)
    return centers[y] + torch.randn(n, 20, generator=g), y


def _mlp():
    return torch.nn.ModuleDict(
        {
            "fc1": torch.nn.Linear(20, 64),
            "fc2": torch.nn.Linear(64, 64),
            "fc3": torch.nn.Linear(64, 64),
            "out": torch.nn.Linear(64, 10),
        }
    )


def _forward(layers, x):
    h = F.relu(layers["fc1"](x))
    h = F.relu(layers["fc2"](h))
    return layers["out"](F.relu(layers["fc3"](h)))


def _losses(nb):
    losses = nb.value("FIXED_LOSSES")
    assert type(losses) is list and len(losses) == 150, "FIXED_LOSSES needs one loss per step"
    return [scalar(v, "each loss") for v in losses]


def task4_test(nb, parts, key):
    with parts.part("one loss per step, starting near ln 10", 1):
        assert abs(_losses(nb)[0] - math.log(10)) < 0.3, _losses(nb)[0]
    with parts.part("the loss ends far below ln 10", 1):
        last = _losses(nb)[-10:]
        assert sum(last) / 10 < 0.5, f"the last 10 losses average {sum(last) / 10:.3f}"
    with parts.part("every layer of the trained model receives gradient", 1):
        state = nb.eval("{k: v.detach().clone() for k, v in FIXED_MODEL.state_dict().items()}")
        assert type(state) is dict and all(type(k) is str for k in state), "not an MLP"
        layers = _mlp()
        # The notebook's MLP names its layers fc1..out; its state must load into ours whole.
        layers.load_state_dict(state, strict=True)
        x, y = make_data(2000, seed=0)
        F.cross_entropy(_forward(layers, x[:256]), y[:256]).backward()
        for name, p in layers.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, f"{name} gets no gradient"
