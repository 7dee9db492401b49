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

from descent.grading.checker import Mistake

from . import T, python_numbers, refuses


@pytest.mark.exercise("layers.linear")
class TestLinear:
    def test_worked_example(self, check):
        # row 1: [1*1 + 2*0 + 5, 1*(-1) + 2*3 - 5] = [6, 0]; row 2 likewise
        x = T([1.0, 2.0], [0.0, -1.0], [3.0, 1.0])
        W = T([1.0, 0.0], [-1.0, 3.0])
        b = T(5.0, -5.0)
        check.matches(lambda m: m.layers.linear_forward(x, W, b)[0], "linear_forward",
                      expected=T([6.0, 0.0], [5.0, -8.0], [8.0, -5.0]))

    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_backward_by_hand(self, check):
        # the worked example's x and W with dy = [[1, 0], [0, 2], [1, 1]]:
        # dx = dy @ W, dW = dy.T @ x, db = dy summed over the batch = [2, 3] (not the mean)
        x, W, b = T([1.0, 2.0], [0.0, -1.0], [3.0, 1.0]), T([1.0, 0.0], [-1.0, 3.0]), T(5.0, -5.0)
        dy = T([1.0, 0.0], [0.0, 2.0], [1.0, 1.0])
        check.matches(lambda m: tuple(m.layers.linear_backward(
                          dy, m.layers.linear_forward(x, W, b)[1])),
                      "linear_backward (dx, dW, db)",
                      expected=(dy @ W, dy.T @ x, T(2.0, 3.0)),
                      mistakes=[Mistake("linear_db_mean", "averages the upstream gradient over "
                                        "the batch for db", "b is added to every row, so db is "
                                        "the sum of dy over the batch, not its mean",
                                        (dy @ W, dy.T @ x, T(2.0, 3.0) / 3))])

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
        # The batch holds that example twice: the loss and every gradient are means over N = 2,
        # so they are those of the one example (a sum would double the gradients).
        params = {"W1": T([1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]), "b1": T(0.0, 0.0, 0.0),
                  "W2": T([1.0, -1.0, 5.0]), "b2": T(1.0)}
        x, y = T([1.0, 2.0], [1.0, 2.0]), T(1.0, 1.0)
        expected = {"W1": T([-0.5, -1.0], [0.5, 1.0], [0.0, 0.0]), "b1": T(-0.5, 0.5, 0.0),
                    "W2": T([-0.5, -1.0, 0.0]), "b2": T(-0.5)}
        # a network that calls your own linear, relu or bce_with_logits: a mistake of theirs is
        # charged to them, not again here (see "One mistake, one charge" in the README)
        check.matches(lambda m: m.layers.two_layer_net(params, x, y),
                      "two_layer_net (loss, grads)",
                      expected=(torch.log(torch.tensor(2.0, dtype=torch.float64)), expected))


@pytest.mark.exercise("layers.two_layer_net")
class TestTwoLayerNetConventions:
    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_a_batch(self, check):
        params = {"W1": T([1.0, -1.0], [0.3, 0.8], [0.5, 0.25]), "b1": T(0.1, 0.2, -0.2),
                  "W2": T([0.7, -0.3, 1.1]), "b2": T(0.05)}
        x, y = T([1.0, 2.0], [-0.5, 1.0], [2.0, -1.0]), T(1.0, 0.0, 1.0)
        check.matches(lambda m: m.layers.two_layer_net(params, x, y),
                      "two_layer_net on a batch of 3", expected=_two_layer_autograd(params, x, y),
                      hint="the loss is a mean over the batch, so every gradient is divided "
                           "by N")

    def test_a_dead_unit(self, check):
        # hidden unit 1 has pre-activation exactly 0 on every example: it gets no gradient
        params = {"W1": T([1.0, -1.0], [0.0, 0.0], [0.5, 0.25]), "b1": T(0.1, 0.0, -0.2),
                  "W2": T([0.7, -0.3, 1.1]), "b2": T(0.05)}
        x, y = T([1.0, 2.0], [-0.5, 1.0], [2.0, -1.0]), T(1.0, 0.0, 1.0)
        check.matches(lambda m: m.layers.two_layer_net(params, x, y),
                      "two_layer_net on a batch of 3 with a dead hidden unit",
                      expected=_two_layer_autograd(params, x, y),
                      hint="ReLU's derivative at exactly 0 is 0")

    @pytest.mark.ordinary  # as hidden: large logits are everyday early in training
    def test_large_logits_stay_finite(self, check):
        # a logit of 1000 for target 0 in each example (through unit 0, then unit 1): each
        # costs 1000
        params = {"W1": T([1.0], [-1.0]), "b1": T(0.0, 0.0), "W2": T([1000.0, 1000.0]),
                  "b2": T(0.0)}
        x, y = T([1.0], [-1.0]), T(0.0, 0.0)
        check.matches(lambda m: m.layers.two_layer_net(params, x, y),
                      "two_layer_net (loss, grads) for logits of 1000 and targets 0",
                      expected=_two_layer_autograd(params, x, y), check="stability",
                      hint="compute the loss from the logit (softplus forms), never "
                           "log(sigmoid(z))")


def _two_layer_autograd(params, x, y):
    """(loss, grads) of the two-layer network, by autograd: the value each check expects."""
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    z = torch.relu(x @ leaves["W1"].T + leaves["b1"]) @ leaves["W2"].T + leaves["b2"]
    loss = F.binary_cross_entropy_with_logits(z.squeeze(1), y)
    return loss.detach(), dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))


@pytest.mark.exercise("layers.mlp_loss_and_grads")
class TestMLPConventions:
    def test_tanh_and_large_logits(self, check, inputs):
        sizes = [3, 5, 4]
        params = [(inputs.randn(o, i), inputs.randn(o)) for i, o in zip(sizes, sizes[1:])]
        params[1] = (params[1][0] * 500, params[1][1])  # logits of a few hundred
        x, y = inputs.randn(6, 3), inputs.randint(4, 6)
        leaves = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in params]
        logits = F.linear(torch.tanh(F.linear(x, *leaves[0])), *leaves[1])
        loss = F.cross_entropy(logits, y)
        flat = torch.autograd.grad(loss, [t for pair in leaves for t in pair])
        expected = (loss.detach(), [(flat[0], flat[1]), (flat[2], flat[3])])
        check.matches(lambda m: m.layers.mlp_loss_and_grads(params, x, y, "tanh"),
                      "mlp_loss_and_grads with tanh and logits of a few hundred",
                      expected=expected,
                      hint="use the activation named by `activation`, and subtract each "
                           "row's maximum logit before exp")


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
        check.matches(lambda m: m.layers.mlp_loss_and_grads(params, x, y),
                      "mlp_loss_and_grads", expected=expected)


@pytest.mark.exercise("layers.numerical_gradient")
class TestNumericalGradient:
    def test_sum_of_squares(self, check):
        # d/dx sum(x^2) = 2x, and central differences are exact for a quadratic.
        x = T([1.0, -2.0, 0.5], [3.0, 0.0, -1.0])
        check.matches(lambda m: m.layers.numerical_gradient(lambda v: (v * v).sum(), x),
                      "numerical gradient of sum(x^2)", expected=2 * x, rtol=1e-7, atol=1e-7,
                      hint="central differences (f(x + eps) - f(x - eps)) / (2 eps) are exact "
                           "for a quadratic; a one-sided difference is off by eps everywhere")

    def test_linear_function(self, check):
        # any difference quotient is exact for a linear function: the gradient is c
        x, c = T([0.5, -1.0], [2.0, 0.0]), T([3.0, -2.0], [0.25, 1.0])
        check.matches(lambda m: m.layers.numerical_gradient(lambda v: (c * v).sum(), x),
                      "numerical gradient of sum(c * x)", expected=c, rtol=1e-6, atol=1e-6)

    @pytest.mark.supporting()  # any function that calls f passes it
    def test_default_step(self, check):
        x, steps = T(1.0, 2.0), []
        check.impl.layers.numerical_gradient(lambda v: steps.append(v - x) or v.sum(), x)
        sizes = sorted({round(abs(float(d)), 12) for step in steps for d in step if d != 0})
        check.that(sizes == [1e-6], f"numerical_gradient moved x by {sizes}, not by eps = 1e-6",
                   check="property", hint="the default eps is 1e-6")

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
                   "x changed while numerical_gradient was running", check="arguments unchanged",
                   hint="call f on x + step (a new tensor); never write into x, even briefly")


@pytest.mark.exercise("layers.relative_error")
class TestRelativeError:
    def test_worked_example(self, check):
        # |1 - 0.5| / 1.5 = 1/3 beats |2 - 2| / 4 = 0, and 0 vs 0 counts as 0
        a, b = T(1.0, 2.0, 0.0), T(0.5, 2.0, 0.0)
        check.matches(lambda m: m.layers.relative_error(a, b), "relative_error", expected=1 / 3)

    @pytest.mark.supporting()  # a constant float passes it
    def test_python_float(self, check):
        python_numbers(check, check.impl.layers.relative_error(T(1.0), T(2.0)), "relative_error")


def _residual_backward_matches(check, args, dy, what, **kwargs):
    """The student's residual backward against autograd, for ``args = (x, W1, b1, W2, b2)``."""
    leaves = [t.clone().requires_grad_() for t in args]
    y = leaves[0] + F.linear(torch.relu(F.linear(*leaves[:3])), *leaves[3:])
    # the gradient of sum(y * dy) is the backward of y with upstream dy (the same numbers as
    # grad(y, leaves, dy), which would load torch's shape solver: half a second a run)
    expected = torch.autograd.grad((y * dy).sum(), leaves)

    def grads(m):
        _, cache = m.layers.residual_block_forward(*args)
        return tuple(m.layers.residual_block_backward(dy, cache))

    check.matches(grads, what, expected=tuple(expected), **kwargs)


@pytest.mark.exercise("layers.residual_block")
class TestResidualBlock:
    def test_worked_example(self, check):
        # z = x @ W1.T + b1: row 1 [1, 2, -3] -> a = [1, 2, 0]; row 2 [0, -1, 1] -> a = [0, 0, 1]
        # a @ W2.T: [3, 2] and [0, 2]; y = x + that + b2, with no ReLU after the sum (an entry
        # of y may be negative)
        x = T([1.0, 2.0], [0.0, -1.0])
        W1, b1 = T([1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]), T(0.0, 0.0, 0.0)
        W2, b2 = T([1.0, 1.0, 0.0], [0.0, 1.0, 2.0]), T(0.5, -2.5)
        check.matches(lambda m: m.layers.residual_block_forward(x, W1, b1, W2, b2)[0],
                      "residual_block_forward", expected=T([4.5, 1.5], [0.5, -1.5]),
                      hint="y = x + relu(x @ W1.T + b1) @ W2.T + b2: the ReLU is inside the "
                           "branch, on its hidden layer only")

    def test_backward_matches_autograd(self, check, inputs):
        args = (inputs.randn(5, 3), inputs.randn(4, 3), inputs.randn(4), inputs.randn(3, 4),
                inputs.randn(3))
        _residual_backward_matches(check, args, inputs.randn(5, 3),
                                   "residual_block_backward (dx, dW1, db1, dW2, db2)",
                                   hint="x reaches y through the skip and through the branch: "
                                        "dx = dy + dz @ W1")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        args = (inputs.randn(4, 3), inputs.randn(5, 3), inputs.randn(5), inputs.randn(3, 5),
                inputs.randn(3))
        check.gradcheck("layers.residual_block", args, (0, 1, 2, 3, 4))


@pytest.mark.exercise("layers.residual_block")
class TestResidualConventions:
    def test_dead_unit(self, check):
        # unit 1 of the branch has pre-activation exactly 0: no gradient flows through it (and
        # y = [2.5, -2.5]: the sum itself is never passed through a ReLU)
        x, W1, b1 = T([1.0, 2.0]), T([1.0, 0.0], [1.0, -0.5]), T(0.0, 0.0)
        W2, b2 = T([1.0, 2.0], [-1.0, 3.0]), T(0.5, -3.5)
        _residual_backward_matches(check, (x, W1, b1, W2, b2), T([1.0, 1.0]),
                                   "residual_block_backward with a unit exactly at 0",
                                   hint="ReLU's derivative at exactly 0 is 0")

    @pytest.mark.ordinary  # float32 is what training uses, as hidden
    def test_float32(self, check):
        x = torch.tensor([[1.0, 2.0], [-0.5, 0.25]])
        W1, b1 = torch.tensor([[1.0, 0.5], [1.0, -0.5]]), torch.tensor([0.1, 0.2])
        W2, b2 = torch.tensor([[1.0, 2.0], [-1.0, 3.0]]), torch.tensor([0.5, -0.5])
        _residual_backward_matches(check, (x, W1, b1, W2, b2), torch.tensor([[1.0, 1.0]] * 2),
                                   "residual_block_backward in float32", rtol=1e-6, atol=1e-6,
                                   hint="keep x's dtype (float32 in, float32 out)")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_a_branch_of_another_width_is_refused(self, check, inputs):
        x, W1, b1 = inputs.randn(4, 3), inputs.randn(5, 3), inputs.randn(5)
        W2, b2 = inputs.randn(1, 5), inputs.randn(1)  # maps back to width 1, not 3
        refuses(check, lambda m: m.layers.residual_block_forward(x, W1, b1, W2, b2),
                "residual_block_forward with W2 of shape (1, 5) for x of width 3",
                hint="check that the branch maps back to x's width (W2 of shape (D, H)) and "
                     "raise ValueError: broadcasting would hide the mistake")


@pytest.mark.exercise("layers.mlp_grads_checkpointed")
@pytest.mark.supporting()  # a function that always raises passes it
def test_checkpointing_refuses_what_it_cannot_run(check, inputs):
    params = [(inputs.randn(4, 3), inputs.randn(4)), (inputs.randn(2, 4), inputs.randn(2))]
    x, y = inputs.randn(5, 3), inputs.randint(2, 5)
    for what, call in [
        ("segment=0", lambda m: m.layers.mlp_grads_checkpointed(x, y, params, 0)),
        ("activation='elu'", lambda m: m.layers.mlp_grads_checkpointed(x, y, params, 1,
                                                                      activation="elu")),
        ("params=[]", lambda m: m.layers.mlp_grads_checkpointed(x, y, [], 1)),
    ]:
        refuses(check, call, f"mlp_grads_checkpointed with {what}",
                hint="check the arguments the docstring's Raises lists and raise ValueError; "
                     "never fall back to a default activation")


@pytest.mark.exercise("layers.mlp_grads_checkpointed")
@pytest.mark.supporting()  # a constant count passes it
def test_checkpointing_counts_in_a_python_int(check, inputs):
    params = [(inputs.randn(4, 3), inputs.randn(4)), (inputs.randn(2, 4), inputs.randn(2))]
    kept = check.impl.layers.mlp_grads_checkpointed(inputs.randn(5, 3), inputs.randint(2, 5),
                                                    params, 1)[2]
    python_numbers(check, kept, "mlp_grads_checkpointed's kept", int)


@pytest.mark.exercise("layers.mlp_grads_checkpointed")
def test_checkpointing_with_gelu(check, inputs):
    sizes = [3, 4, 2]
    params = [(inputs.randn(o, i), inputs.randn(o)) for i, o in zip(sizes, sizes[1:])]
    x, y = inputs.randn(5, 3), inputs.randint(2, 5)
    leaves = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in params]
    loss = F.cross_entropy(F.linear(F.gelu(F.linear(x, *leaves[0])), *leaves[1]), y)
    flat = torch.autograd.grad(loss, [t for pair in leaves for t in pair])
    expected = (loss.detach(), [(flat[0], flat[1]), (flat[2], flat[3])], 1)
    check.matches(lambda m: tuple(m.layers.mlp_grads_checkpointed(
        x, y, params, 2, activation="gelu")),
        "mlp_grads_checkpointed with activation='gelu', segment=2", expected=expected,
        hint="GELU is the exact erf form, as in activations.py, forward and derivative")


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
    check.matches(lambda m: tuple(m.layers.mlp_grads_checkpointed(x, y, params, 2)),
                  "mlp_grads_checkpointed(x, y, params, segment=2) -> (loss, grads, kept)",
                  expected=expected,
                  hint="the gradients equal an ordinary backward's; kept = ceil(L / segment)")
