"""The kit's stand-ins for the parts a composite calls (``descent.calls.stand_ins``): each gives
what the reference solution gives, every part an exercise may call has one, and put in place of a
submission's own parts they reach every name bound to those parts and are taken out again."""

from __future__ import annotations

import math
import types
from pathlib import Path

import pytest
import torch

from descent import registry
from descent.calls.impl import FolderImplementation
from descent.calls.stand_ins import STAND_INS, StandingIn

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]
REFERENCE = FolderImplementation(KIT / "solutions", "reference")


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.allclose(a, b, 1e-7, 1e-10)
    return type(a) is type(b) and (a == b or math.isclose(a, b, rel_tol=1e-12))


def test_every_part_an_exercise_may_call_has_a_stand_in():
    called = {part for parts in registry.PARTS.values() for part in parts}
    assert called <= set(STAND_INS), called - set(STAND_INS)
    for part, functions in STAND_INS.items():
        assert set(functions) == set(registry.get(part).functions), part


G = torch.Generator().manual_seed(0)
X = torch.randn(5, 4, dtype=torch.float64, generator=G)
W, B = torch.randn(3, 4, dtype=torch.float64, generator=G), torch.randn(3, dtype=torch.float64)
FORWARD_ARGS = {
    "cross_entropy": [
        (X, torch.tensor([0, 1, 2, 3, 0])),
        (X, torch.tensor([1, 1, 0, 3, 2]), torch.rand(4, dtype=torch.float64), 0.1),
    ],
    "bce_with_logits": [(X[:, 0], (X[:, 1] > 0).double()), (X[:, 0], (X[:, 1] > 0).double(), 3.0)],
    "linear": [(X, W, B)],
    "leaky_relu": [(X,), (X, 0.2)],
    "softmax": [(X,), (X, 0)],
    "log_softmax": [(X,), (X, 0)],
}
PAIRS = [part for part in STAND_INS if f"{part.split('.')[1]}_forward" in STAND_INS[part]]


@pytest.mark.parametrize("part", PAIRS)
def test_a_pair_gives_the_reference_output_and_gradient(part):
    name = part.split(".")[1]
    ours, theirs = STAND_INS[part], getattr(REFERENCE, part.split(".")[0])
    for args in FORWARD_ARGS.get(name, [(X,)]):
        out, cache = ours[f"{name}_forward"](*args)
        want, their_cache = getattr(theirs, f"{name}_forward")(*args)
        dout = torch.full_like(want, 1.5)
        assert _same(out, want), (part, args)
        grads = ours[f"{name}_backward"](dout, cache)
        assert _same(grads, getattr(theirs, f"{name}_backward")(dout, their_cache)), part


def test_the_mlp_gives_the_reference_loss_and_gradients_for_every_activation():
    params = [
        (torch.randn(6, 4, dtype=torch.float64), torch.randn(6, dtype=torch.float64)),
        (torch.randn(3, 6, dtype=torch.float64), torch.randn(3, dtype=torch.float64)),
    ]
    y = torch.tensor([0, 1, 2, 1, 0])
    ours = STAND_INS["layers.mlp_loss_and_grads"]["mlp_loss_and_grads"]
    for activation in ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "silu"):
        want = REFERENCE.layers.mlp_loss_and_grads(params, X, y, activation)
        assert _same(ours(params, X, y, activation), want), activation
    with pytest.raises(ValueError):
        ours(params, X, y, "swish")


@pytest.mark.parametrize(
    "part,kw",
    [
        ("optim.sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("optim.sgd", dict(lr=0.1)),
        ("optim.adam", dict(lr=0.05, weight_decay=0.1)),
        ("optim.adamw", dict(lr=0.05)),
    ],
)
def test_an_optimizer_steps_as_the_reference_and_keeps_its_state_alike(part, kw):
    name = f"{part.split('.')[1]}_step"
    ours, theirs = STAND_INS[part][name], getattr(REFERENCE.optim, name)
    p = q = torch.randn(3, 4, dtype=torch.float64, generator=G)
    mine, their_state = {}, {}
    for _ in range(3):
        grad = torch.randn(3, 4, dtype=torch.float64, generator=G)
        p, mine = ours(p, grad, mine, **kw)
        q, their_state = theirs(q, grad, their_state, **kw)
    assert _same(p, q) and _same(mine, their_state)


def test_the_schedules_clipping_batches_and_initializers_give_the_reference_values():
    ref = REFERENCE
    for step in range(13):
        assert _same(
            STAND_INS["schedules.cosine_lr"]["cosine_lr"](step, 0.1, 10, 0.01),
            ref.schedules.cosine_lr(step, 0.1, 10, 0.01),
        )
        assert _same(
            STAND_INS["schedules.warmup_cosine_lr"]["warmup_cosine_lr"](step, 0.1, 3, 10, 0.01),
            ref.schedules.warmup_cosine_lr(step, 0.1, 3, 10, 0.01),
        )
    grads = [torch.randn(3, dtype=torch.float64) * 5, torch.randn(2, 2, dtype=torch.float64)]
    for norm in (2.0, math.inf):
        assert _same(
            STAND_INS["clipping.clip_grad_norm"]["clip_grad_norm"](grads, 1.0, norm),
            ref.clipping.clip_grad_norm(grads, 1.0, norm),
        )
    for n, size, drop in ((10, 3, False), (10, 3, True), (0, 3, False), (4, 9, False)):
        ours = STAND_INS["regression.minibatches"]["minibatches"]
        assert _same(
            ours(n, size, torch.Generator().manual_seed(1), drop),
            ref.regression.minibatches(n, size, torch.Generator().manual_seed(1), drop),
        )
    assert STAND_INS["init.fans"]["fans"]((64, 16, 3, 3)) == ref.init.fans((64, 16, 3, 3))
    gain = STAND_INS["init.calculate_gain"]["calculate_gain"]
    for args in (("linear",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2)):
        assert _same(gain(*args), ref.init.calculate_gain(*args)), args
    for part, names in (
        ("init.kaiming", ("kaiming_normal", "kaiming_uniform")),
        ("init.xavier", ("xavier_normal", "xavier_uniform")),
    ):
        for name in names:
            ours = STAND_INS[part][name]((30, 20), generator=torch.Generator().manual_seed(2))
            want = getattr(ref.init, name)((30, 20), generator=torch.Generator().manual_seed(2))
            assert _same(ours, want), name


def _module(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def test_every_name_bound_to_a_part_is_replaced_and_put_back():
    def relu_forward(x):
        return x, None

    def relu_backward(dy, cache):
        return dy

    acts = _module("acts", relu_forward=relu_forward, relu_backward=relu_backward)
    layers = _module("layers", relu_forward=relu_forward, act=acts)
    helper = _module("_util", r=relu_forward)
    swap = StandingIn([acts, layers, helper], {"activations": acts}, ["activations.relu"])
    assert acts.relu_forward is not relu_forward and layers.relu_forward is acts.relu_forward
    assert helper.r is acts.relu_forward and acts.relu_backward is not relu_backward
    out, cache = layers.relu_forward(torch.tensor([-1.0, 2.0]))
    assert out.tolist() == [0.0, 2.0]
    assert swap.restore() == ["activations.relu"]
    assert acts.relu_forward is relu_forward and layers.relu_forward is relu_forward
    assert helper.r is relu_forward and acts.relu_backward is relu_backward


def test_a_part_the_submission_lacks_stands_in_for_nothing():
    layers = _module("layers", two_layer_net=lambda *a: None)
    swap = StandingIn([layers], {"layers": layers}, ["activations.relu", "layers.linear"])
    assert swap.undo == [] and swap.restore() == []


def test_a_part_reached_through_a_table_a_default_or_a_class_is_replaced_and_put_back():
    """An activation looked up in a table built at import was not replaced: a sigmoid slip cost
    the MLPs 5 points each as well as sigmoid (issue 81). Every way a composite holds the part
    is reached, one level deep, and put back."""

    def relu_forward(x):
        return x, None

    def mlp(x, act=relu_forward, *, also=relu_forward):
        return act, also

    class Net:
        act = staticmethod(relu_forward)
        plain = relu_forward

        def forward(self, x, act=relu_forward):
            return act

    acts = _module("acts", relu_forward=relu_forward)
    table, listed, paired = {"relu": relu_forward, "id": abs}, [relu_forward], (relu_forward, 1)
    pairs = {"relu": (relu_forward, None), "more": [{"r": relu_forward}]}
    layers = _module(
        "layers", ACTS=table, LISTED=listed, PAIRED=paired, PAIRS=pairs, mlp=mlp, Net=Net
    )
    Net.__module__ = "layers"
    swap = StandingIn([acts, layers], {"activations": acts}, ["activations.relu"])
    stand_in = acts.relu_forward
    assert stand_in is not relu_forward
    assert table == {"relu": stand_in, "id": abs} and listed == [stand_in]
    assert pairs == {"relu": (stand_in, None), "more": [{"r": stand_in}]}
    assert layers.PAIRED == (stand_in, 1) and mlp(None) == (stand_in, stand_in)
    assert Net.act is stand_in and Net.plain is stand_in and Net().forward(None) is stand_in
    assert table["relu"](torch.tensor([-1.0, 2.0]))[0].tolist() == [0.0, 2.0]
    assert swap.restore() == ["activations.relu"]
    assert table == {"relu": relu_forward, "id": abs} and listed == [relu_forward]
    assert pairs == {"relu": (relu_forward, None), "more": [{"r": relu_forward}]}
    assert layers.PAIRED == (relu_forward, 1) and mlp(None) == (relu_forward, relu_forward)
    assert Net.act is relu_forward and Net.plain is relu_forward
    assert Net().forward(None) is relu_forward
