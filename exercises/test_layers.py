"""Public checks for starter/layers.py.

Small examples you can follow on paper, a comparison with PyTorch's autograd and a gradient
check. The hidden graders use other sizes (never square, never a batch of one), non-unit upstream
gradients, deeper networks, every accepted activation, and watch what your numerical_gradient
passes to ``f``.

Run with ``pytest exercises/test_layers.py``; add ``-k linear`` to focus on one exercise.
"""

import pytest
import torch
import torch.nn.functional as F

from descent.composite import matches_given_parts, mlp_parts

from . import T


@pytest.mark.exercise("layers.linear")
class TestLinear:
    def test_worked_example(self, check):
        # row 1: [1*1 + 2*0 + 5, 1*(-1) + 2*3 - 5] = [6, 0]; row 2 likewise
        x = T([1.0, 2.0], [0.0, -1.0], [3.0, 1.0])
        W = T([1.0, 0.0], [-1.0, 3.0])
        b = T(5.0, -5.0)
        check.matches(lambda m: m.layers.linear_forward(x, W, b)[0], "linear_forward",
                      expected=T([6.0, 0.0], [5.0, -8.0], [8.0, -5.0]))

    @pytest.mark.supporting()  # any tensors of the right shapes pass it
    def test_gradient_shapes(self, check, inputs):
        # N=4, Din=3, Dout=2: a transposed dW or an unsummed db has the wrong shape.
        x, W, b = inputs.randn(4, 3), inputs.randn(2, 3), inputs.randn(2)
        dy = inputs.randn(4, 2)
        got = check.impl.layers.linear_backward(dy, check.impl.layers.linear_forward(x, W, b)[1])
        check.like(got, (x, W, b), "linear_backward result (dx, dW, db)")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        check.gradcheck("layers.linear", (inputs.randn(4, 3), inputs.randn(2, 3), inputs.randn(2)),
                        wrt=(0, 1, 2))


@pytest.mark.exercise("layers.two_layer_net")
class TestTwoLayerNet:
    def test_worked_example(self, check):
        # z1 = [1, 2, -1] -> a1 = [1, 2, 0] -> z2 = 1 - 2 + 0 + 1 = 0 -> p = 0.5, loss = ln 2.
        # dz2 = p - y = -0.5; dW2 = dz2 * a1; da1 = dz2 * W2; the ReLU blocks the third unit.
        params = {"W1": T([1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]), "b1": T(0.0, 0.0, 0.0),
                  "W2": T([1.0, -1.0, 5.0]), "b2": T(1.0)}
        x, y = T([1.0, 2.0]), T(1.0)
        expected = {"W1": T([-0.5, -1.0], [0.5, 1.0], [0.0, 0.0]), "b1": T(-0.5, 0.5, 0.0),
                    "W2": T([-0.5, -1.0, 0.0]), "b2": T(-0.5)}
        check.matches(lambda m: m.layers.two_layer_net(params, x, y),
                      "two_layer_net (loss, grads)",
                      expected=(torch.log(torch.tensor(2.0, dtype=torch.float64)), expected))


@pytest.mark.exercise("layers.mlp_loss_and_grads")
class TestMLP:
    def test_matches_autograd(self, check, inputs):
        sizes = [3, 5, 4]  # D0=3 -> 5 hidden -> 4 classes
        params = [(inputs.randn(o, i), inputs.randn(o)) for i, o in zip(sizes, sizes[1:])]
        x, y = inputs.randn(6, 3), inputs.randint(4, 6)
        leaves = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in params]
        logits = F.linear(torch.relu(F.linear(x, *leaves[0])), *leaves[1])
        loss = F.cross_entropy(logits, y)
        flat = torch.autograd.grad(loss, [t for pair in leaves for t in pair])
        expected = (loss.detach(), [(flat[0], flat[1]), (flat[2], flat[3])])
        # Your MLP may call your relu and cross-entropy: a mistake of theirs is charged to them
        # and not again here (see "One mistake, one charge" in the README).
        matches_given_parts(check, lambda m: m.layers.mlp_loss_and_grads(params, x, y),
                            "mlp_loss_and_grads", expected=expected, parts=mlp_parts(params, x, y))


@pytest.mark.exercise("layers.numerical_gradient")
class TestNumericalGradient:
    def test_sum_of_squares(self, check):
        # d/dx sum(x^2) = 2x, and central differences are exact for a quadratic.
        x = T([1.0, -2.0, 0.5], [3.0, 0.0, -1.0])
        check.matches(lambda m: m.layers.numerical_gradient(lambda v: (v * v).sum(), x),
                      "numerical gradient of sum(x^2)", expected=2 * x, rtol=1e-6, atol=1e-6)

    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_x_is_left_alone(self, check):
        x = T(1.0, 2.0, 3.0)
        before = x.clone()
        seen = []

        def f(v):
            seen.append(torch.equal(x, before))  # is x intact while f runs?
            return v.sum()

        check.impl.layers.numerical_gradient(f, x)
        check.that(all(seen) and torch.equal(x, before),
                   "x changed while numerical_gradient was running",
                   hint="call f on x + step (a new tensor); never write into x, even briefly")


@pytest.mark.exercise("layers.relative_error")
class TestRelativeError:
    def test_worked_example(self, check):
        # |1 - 0.5| / 1.5 = 1/3 beats |2 - 2| / 4 = 0, and 0 vs 0 counts as 0
        a, b = T(1.0, 2.0, 0.0), T(0.5, 2.0, 0.0)
        check.matches(lambda m: m.layers.relative_error(a, b), "relative_error", expected=1 / 3)


@pytest.mark.exercise("layers.residual_block")
class TestResidualBlock:
    def test_worked_example(self, check):
        # z = x @ W1.T + b1: row 1 [1, 2, -3] -> a = [1, 2, 0]; row 2 [0, -1, 1] -> a = [0, 0, 1]
        # a @ W2.T: [3, 2] and [0, 2]; y = x + that + b2
        x = T([1.0, 2.0], [0.0, -1.0])
        W1, b1 = T([1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]), T(0.0, 0.0, 0.0)
        W2, b2 = T([1.0, 1.0, 0.0], [0.0, 1.0, 2.0]), T(0.5, -0.5)
        check.matches(lambda m: m.layers.residual_block_forward(x, W1, b1, W2, b2)[0],
                      "residual_block_forward", expected=T([4.5, 3.5], [0.5, 0.5]))

    def test_backward_matches_autograd(self, check, inputs):
        x, W1, b1 = inputs.randn(5, 3), inputs.randn(4, 3), inputs.randn(4)
        W2, b2 = inputs.randn(3, 4), inputs.randn(3)
        dy = inputs.randn(5, 3)
        leaves = [t.clone().requires_grad_() for t in (x, W1, b1, W2, b2)]
        y = leaves[0] + F.linear(torch.relu(F.linear(*leaves[:3])), *leaves[3:])
        # the gradient of sum(y * dy) is the backward of y with upstream dy (the same numbers
        # as grad(y, leaves, dy), which would load torch's shape solver: half a second a run)
        expected = torch.autograd.grad((y * dy).sum(), leaves)

        def grads(m):
            _, cache = m.layers.residual_block_forward(x, W1, b1, W2, b2)
            return tuple(m.layers.residual_block_backward(dy, cache))

        check.matches(grads, "residual_block_backward (dx, dW1, db1, dW2, db2)",
                      expected=tuple(expected),
                      hint="x reaches y through the skip and through the branch: dx = dy + dz @ W1")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        args = (inputs.randn(4, 3), inputs.randn(5, 3), inputs.randn(5), inputs.randn(3, 5),
                inputs.randn(3))
        check.gradcheck("layers.residual_block", args, wrt=(0, 1, 2, 3, 4))


@pytest.mark.exercise("layers.mlp_grads_checkpointed")
def test_checkpointing_matches_autograd(check, inputs):
    # 3 layers with segment=2: checkpoints h_0 = x and h_2, so kept = ceil(3 / 2) = 2
    sizes = [3, 5, 4, 2]
    params = [(inputs.randn(o, i), inputs.randn(o)) for i, o in zip(sizes, sizes[1:])]
    x, y = inputs.randn(6, 3), inputs.randint(2, 6)
    leaves = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in params]
    h = x
    for i, (W, b) in enumerate(leaves):
        h = F.linear(h, W, b)
        h = torch.relu(h) if i < 2 else h
    loss = F.cross_entropy(h, y)
    flat = torch.autograd.grad(loss, [t for pair in leaves for t in pair])
    expected = (loss.detach(), [(flat[2 * i], flat[2 * i + 1]) for i in range(3)], 2)
    parts = [(named, lambda m, own=own: (*own(m), 2)) for named, own in mlp_parts(params, x, y)]
    matches_given_parts(check, lambda m: tuple(m.layers.mlp_grads_checkpointed(x, y, params, 2)),
                        "mlp_grads_checkpointed(x, y, params, segment=2) -> (loss, grads, kept)",
                        expected=expected, parts=parts,
                        hint="the gradients equal an ordinary backward's; kept = ceil(L / segment)")
