"""Trusted checks of lab 3 (activation review); see lab1_loss_consultant.py for how they run."""

import math

import torch
import torch.nn.functional as F

from descent.labs.hidden_checks import scalar


def make_data(n, seed):
    """The notebook's data (its setup cell), rebuilt here."""
    g = torch.Generator().manual_seed(seed)
    centers = 1.2 * torch.randn(20, 30, generator=torch.Generator().manual_seed(7))
    y = torch.randint(0, 20, (n,), generator=g)
    return centers[y] + torch.randn(n, 30, generator=g), y


def _small_net():
    return torch.nn.Sequential(
        torch.nn.Linear(30, 8),
        torch.nn.Sigmoid(),
        torch.nn.Linear(8, 8),
        torch.nn.Sigmoid(),
        torch.nn.Linear(8, 20),
    )


# The test network lives in the notebook between calls (a second call must agree with the first).
_LAYER_NORMS = """
def _descent_layer_norms(x, y, fresh):
    global _descent_net
    import torch
    if fresh:
        torch.manual_seed(3)
        _descent_net = torch.nn.Sequential(
            torch.nn.Linear(30, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 8),
            torch.nn.Sigmoid(), torch.nn.Linear(8, 20))
    return layer_grad_norms(_descent_net, x, y)
"""


def _floats(value, count):
    assert type(value) is list and len(value) == count, f"return a list of {count} floats"
    assert all(type(v) is float for v in value), "return Python floats"
    return value


def _reference_norms(x, y):
    with torch.random.fork_rng():
        torch.manual_seed(3)
        net = _small_net()
    F.cross_entropy(net(x), y).backward()
    return [m.weight.grad.norm().item() for m in net if isinstance(m, torch.nn.Linear)]


def _near(got, want):
    return all(abs(a - b) <= 1e-6 + 1e-4 * b for a, b in zip(got, want))


def task1_test(nb, parts, key):
    x, y = make_data(3000, seed=0)
    x, y = x[:64], y[:64]
    nb.define(_LAYER_NORMS)
    with parts.part("one float per Linear layer", 1):
        _floats(nb.call("_descent_layer_norms", x, y, True), 3)
    with parts.part("the norms are right, first layer first", 1):
        got = _floats(nb.call("_descent_layer_norms", x, y, True), 3)
        assert _near(got, _reference_norms(x, y)), [f"{v:.4g}" for v in got]
    with parts.part("gradients are cleared first: a second call gives the same numbers", 1):
        first = _floats(nb.call("_descent_layer_norms", x, y, False), 3)
        second = _floats(nb.call("_descent_layer_norms", x, y, False), 3)
        assert _near(second, first), "the second call gave other numbers"


def task2_test(nb, parts, key):
    def floor(n):
        return -math.log(math.e / (math.e + n - 1))

    with parts.part("20 classes", 1):
        got = scalar(nb.call("sigmoid_output_floor", 20), "sigmoid_output_floor(20)")
        assert abs(got - floor(20)) < 1e-3, got
    with parts.part("2 and 100 classes", 1):
        for n in (2, 100):
            got = scalar(nb.call("sigmoid_output_floor", n), f"sigmoid_output_floor({n})")
            assert abs(got - floor(n)) < 1e-3, f"{n} classes: got {got}"


# What build_network returns, as data: each layer's class name and weights.
_LAYERS = """
def _descent_layers(hidden, sigmoid_output, seed):
    import torch
    torch.manual_seed(seed)
    return [(type(m).__name__, {k: v.detach().clone() for k, v in m.state_dict().items()})
            for m in build_network(hidden, sigmoid_output)]
"""
_KINDS = {"Sigmoid": torch.nn.Sigmoid, "ReLU": torch.nn.ReLU}


def _network(nb, hidden, sigmoid_output, seed=0):
    """The notebook's network rebuilt here from its layers' kinds and weights, so that what is
    measured is ordinary PyTorch layers, whatever classes the notebook used."""
    nb.define(_LAYERS)
    layers = nb.call("_descent_layers", hidden, sigmoid_output, seed)
    assert type(layers) is list and layers, "build_network returned no layers"
    built = []
    for kind, state in layers:
        if kind == "Linear":
            weight = state.get("weight")
            assert type(weight) is torch.Tensor and weight.dim() == 2, "a Linear without weight"
            layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
            layer.load_state_dict(state, strict=True)
        elif kind in _KINDS and not state:
            layer = _KINDS[kind]()
        else:
            raise AssertionError(f"unexpected layer {kind!r}")
        built.append((kind, layer))
    return built


def task3_test(nb, parts, key):
    with parts.part("9 Linear layers, the right activations and output", 1):
        kinds = [k for k, _ in _network(nb, "sigmoid", True)]
        assert kinds.count("Linear") == 9 and kinds.count("Sigmoid") == 9, kinds
        kinds = [k for k, _ in _network(nb, "relu", False)]
        assert kinds.count("ReLU") == 8 and kinds[-1] == "Linear", kinds
    x, y = make_data(3000, seed=0)
    with parts.part("shapes: 30 features in, 20 scores out", 1):
        for hidden, sigmoid_output in (("relu", False), ("sigmoid", True)):
            net = torch.nn.Sequential(*(m for _, m in _network(nb, hidden, sigmoid_output)))
            assert net(x[:5]).shape == (5, 20), f"{hidden}: output shape {tuple(net(x[:5]).shape)}"
    with parts.part("ReLU with He init keeps the first layer's gradient alive", 1):

        def ratio(hidden, sigmoid_output):
            net = torch.nn.Sequential(*(m for _, m in _network(nb, hidden, sigmoid_output)))
            F.cross_entropy(net(x[:512]), y[:512]).backward()
            lin = [m for m in net if isinstance(m, torch.nn.Linear)]
            return lin[0].weight.grad.norm().item() / lin[-1].weight.grad.norm().item()

        assert ratio("sigmoid", True) < 1e-3, "the sigmoid network's first layer learns too well"
        assert ratio("relu", False) > 1e-2, (
            "the ReLU network's first layer gets too little gradient"
        )


def task4_test(nb, parts, key):
    with parts.part("three configurations, 100 losses each", 1):
        results, curves = nb.value("RESULTS"), nb.value("CURVES")
        assert type(results) is dict and set(results) == {
            "original",
            "relu_hidden",
            "relu_logits",
        }, "RESULTS' keys"
        assert type(curves) is dict and all(
            type(c) is list and len(c) == 100 for c in curves.values()
        ), "100 losses per curve"
    with parts.part("the original stays near ln 20 and the full fix goes far below the floor", 1):
        results = nb.value("RESULTS")
        assert type(results) is dict, "RESULTS is not a dict"
        original = scalar(results.get("original"), "RESULTS['original']")
        fixed = scalar(results.get("relu_logits"), "RESULTS['relu_logits']")
        assert original > 2.8 and fixed < 1.0, {"original": original, "relu_logits": fixed}
