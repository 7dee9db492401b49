"""Hidden graders for starter/layers.py.

The linear layer gets the standard battery (sizes all different, N >= 3, a nonzero bias). The two
networks are compared with PyTorch's autograd on the same parameters, with non-square layers,
every accepted activation and several depths, plus a dead ReLU unit (exact zeros) and logits of
size ~1e3. ``numerical_gradient`` is checked on functions with known gradients and through a
recording ``f`` that sees every tensor it is called on; ``relative_error`` on hand-made cases.
The residual block gets the battery too (with a dead hidden unit), a dead branch whose dx must be
dy, float32 inputs that must give float32 results, and the refusal of a branch that does not map
back to x's width. Gradient checkpointing is compared with autograd for segments that divide the
depth, leave a short last segment, equal 1 and exceed the depth, a single layer, and every
accepted activation; its count of kept activations with ceil(L / segment); an unknown
activation must be refused. The networks may call the student's linear layer, activations and
losses (``registry.PARTS``): a test that fails only through one of those is graded again with the
kit's stand-ins for them and charged to the part (``descent.grading.composite``), not again here.
"""

import math

import expect
import pytest
import torch
import torch.nn.functional as F
from battery import Case, PairSpec, _oracle_grads, battery
from expect import python_numbers
from hypothesis import given
from hypothesis import strategies as st

from descent.calls import callables
from descent.calls.stand_ins import STAND_INS
from descent.diagnoses.rounding import rounded
from descent.grading.strategies import tensors

# ------------------------------------------------------------------------------------- linear


def _linear_case(n, din, dout):
    def build(I):
        return (I.randn(n, din), I.randn(dout, din), I.randn(dout) + 0.5), {}

    return build


SPECS = [
    PairSpec(
        "layers.linear",
        F.linear,
        cases=[
            Case("5x3-to-4", _linear_case(5, 3, 4), points=2),
            Case("7x6-to-2", _linear_case(7, 6, 2)),
            Case("3x2-to-8", _linear_case(3, 2, 8)),
        ],
        smooth=_linear_case(5, 3, 4),
        wrt=(0, 1, 2),
    ),
]

TestLinearBattery = battery(SPECS)


@pytest.mark.exercise("layers.linear")
class TestLinearExtra:
    @pytest.mark.ordinary
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_inputs_unmodified_by_backward(self, check, inputs):
        x, W, b = _linear_case(5, 3, 4)(inputs)[0]
        dy = inputs.randn(5, 4)
        cache = check.impl.layers.linear_forward(x, W, b)[1]
        with check.unmodified(dy, x, W, b, who="linear_backward"):
            check.impl.layers.linear_backward(dy, cache)


# --------------------------------------------------------------------------- two-layer network
KEYS = ("W1", "b1", "W2", "b2")


def _two_layer_params(I, d, h, scale=1.0):
    return {
        "W1": I.randn(h, d, scale=scale),
        "b1": I.randn(h, scale=0.5),
        "W2": I.randn(1, h, scale=scale),
        "b2": I.randn(1, scale=0.5),
    }


def _two_layer_torch(params, x, y):
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    z1 = F.linear(x, leaves["W1"], leaves["b1"])
    logits = F.linear(torch.relu(z1), leaves["W2"], leaves["b2"])[:, 0]
    loss = F.binary_cross_entropy_with_logits(logits, y)
    grads = torch.autograd.grad(loss, [leaves[k] for k in KEYS])
    return loss.detach(), dict(zip(KEYS, grads))


def _two_layer_case(I, n, d, h, *, soft=False, scale=1.0):
    params = _two_layer_params(I, d, h, scale)
    x = I.randn(n, d)
    y = I.uniform(n) if soft else (I.uniform(n) < 0.5).to(x.dtype)
    return params, x, y


@pytest.mark.exercise("layers.two_layer_net")
class TestTwoLayerNet:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    @pytest.mark.parametrize("n,d,h", [(6, 4, 5), (9, 3, 7)])
    def test_against_autograd(self, n, d, h, check, inputs):
        params, x, y = _two_layer_case(inputs, n, d, h)
        with check.unmodified(x, y, *params.values(), who="two_layer_net"):
            check.matches(
                lambda m: m.layers.two_layer_net(params, x, y),
                f"two_layer_net (loss, grads), N={n} D={d} H={h}",
                expected=_two_layer_torch(params, x, y),
            )

    @pytest.mark.ordinary
    def test_soft_targets(self, check, inputs):
        params, x, y = _two_layer_case(inputs, 5, 3, 4, soft=True)
        check.matches(
            lambda m: m.layers.two_layer_net(params, x, y),
            "two_layer_net with targets in (0, 1)",
            expected=_two_layer_torch(params, x, y),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # any result of the right shape passes it
    def test_raw_shapes(self, check, inputs):
        params, x, y = _two_layer_case(inputs, 6, 4, 5)
        loss, grads = check.impl.layers.two_layer_net(params, x, y)
        check.like(loss, x.new_zeros(()), "two_layer_net loss (a 0-dim tensor)")
        check.that(
            isinstance(grads, dict) and set(grads) == set(KEYS),
            f"two_layer_net grads must be a dict with keys {KEYS}",
            check="shape and type",
        )
        check.like(
            tuple(grads[k] for k in KEYS),
            tuple(params[k] for k in KEYS),
            "two_layer_net grads (W1, b1, W2, b2)",
        )

    def test_dead_unit_has_zero_gradient(self, check, inputs):
        # One hidden unit with zero weights and zero bias: z1 is exactly 0 there for every example,
        # and ReLU's derivative at 0 is 0, so that unit's W1 row and b1 entry get no gradient.
        params, x, y = _two_layer_case(inputs, 6, 4, 5)
        params["W1"] = params["W1"].clone()
        params["W1"][2] = 0.0
        params["b1"] = params["b1"].clone()
        params["b1"][2] = 0.0
        check.matches(
            lambda m: m.layers.two_layer_net(params, x, y),
            "two_layer_net with a hidden unit whose pre-activation is exactly 0",
            expected=_two_layer_torch(params, x, y),
            hint="ReLU's derivative at exactly 0 is 0: mask with z1 > 0",
        )

    # The docstring makes a finite loss at logits of size 1000 part of the contract (real
    # two-layer nets often break it): a check of everyday use, so a failure keeps at most half.
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_large_logits_stay_finite(self, check, inputs):
        # Logits of size ~1e3: sigmoid saturates to exactly 0 or 1 in float64.
        params, x, _ = _two_layer_case(inputs, 6, 4, 5, scale=12.0)
        h = (torch.clamp(x @ params["W1"].T + params["b1"], min=0) @ params["W2"].T)[:, 0]
        params["b2"] = -(h.max() + h.min()).reshape(1) / 2  # logits of both signs
        logits = h + params["b2"]
        # Confidently wrong on the first four examples, confidently right on the others.
        wrong = torch.arange(6, device=x.device) < 4
        y = torch.where(wrong, logits < 0, logits > 0).to(x.dtype)
        y[logits.argmax()] = 0.0  # at least one large positive logit with target 0
        expected = _two_layer_torch(params, x, y)
        check.matches(
            lambda m: m.layers.two_layer_net(params, x, y),
            "two_layer_net with logits of magnitude ~1e3",
            expected=expected,
            check="stability",
            hint="compute the loss from the logits (softplus forms), never "
            "log(sigmoid(z)): sigmoid(-1000) is exactly 0 and log(0) is -inf",
        )


# ------------------------------------------------------------------------------------------ MLP
ACTIVATIONS = {
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
}
N_MLP, D0, CLASSES = 9, 7, 4
HIDDEN = (6, 5, 8)


def _mlp_params(I, depth, last_scale=1.0):
    sizes = [D0, *HIDDEN[: depth - 1], CLASSES]
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        scale = last_scale if i == depth - 1 else 1.0
        params.append(
            (
                I.randn(fan_out, fan_in, scale=scale / math.sqrt(fan_in) * 1.5),
                I.randn(fan_out, scale=0.5),
            )
        )
    return params


# The MLP's (loss, grads) by autograd: the kit's stand-in for the part (descent.calls.stand_ins),
# held to the reference by tests/calls/test_stand_ins.py.
_mlp_torch = STAND_INS["layers.mlp_loss_and_grads"]["mlp_loss_and_grads"]


def _mlp_matches(checker, recipe, what, case, /, **kw):
    """A value check of an MLP's ``(loss, grads)`` against autograd: ``case`` is ``(params, x,
    y[, activation])``."""
    loss, grads = _mlp_torch(*case)
    return checker.matches(recipe, what, expected=(loss, grads), **kw)


def _mlp_case(I, depth, **kw):
    return _mlp_params(I, depth, **kw), I.randn(N_MLP, D0), I.randint(CLASSES, N_MLP)


@pytest.mark.exercise("layers.mlp_loss_and_grads")
class TestMLP:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("depth", [1, 2, 3, 4])
    def test_relu_depths(self, depth, check, inputs):
        params, x, y = _mlp_case(inputs, depth)
        with check.unmodified(x, y, *[t for p in params for t in p], who="mlp_loss_and_grads"):
            _mlp_matches(
                check,
                lambda m: m.layers.mlp_loss_and_grads(params, x, y),
                f"mlp_loss_and_grads with {depth} layer(s), default activation",
                (params, x, y),
            )

    @pytest.mark.ordinary  # the activation is the function's everyday argument
    @pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
    def test_activations(self, activation, check, inputs):
        params, x, y = _mlp_case(inputs, 3)
        _mlp_matches(
            check,
            lambda m: m.layers.mlp_loss_and_grads(params, x, y, activation=activation),
            f"mlp_loss_and_grads with 3 layers and activation={activation!r}",
            (params, x, y, activation),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # any result of the right shape passes it
    def test_raw_shapes(self, check, inputs):
        params, x, y = _mlp_case(inputs, 3)
        loss, grads = check.impl.layers.mlp_loss_and_grads(params, x, y)
        check.like(loss, x.new_zeros(()), "mlp loss (a 0-dim tensor)")
        check.like(
            list(grads),
            [tuple(p) for p in params],
            "mlp grads, a list of (dW, db) in the order of params",
        )

    def test_dead_relu_unit(self, check, inputs):
        params, x, y = _mlp_case(inputs, 3)
        W, b = params[1]
        W, b = W.clone(), b.clone()
        W[1], b[1] = 0.0, 0.0
        params[1] = (W, b)
        _mlp_matches(
            check,
            lambda m: m.layers.mlp_loss_and_grads(params, x, y),
            "mlp_loss_and_grads with a hidden unit whose pre-activation is exactly 0",
            (params, x, y),
            hint="ReLU's derivative at exactly 0 is 0",
        )

    # The docstring's contract: "logits of size ~1e3 must give a finite loss" (an ordinary
    # check, as for the two-layer net: the log of a softmax, or a maximum taken over the whole
    # batch, breaks it on every real network whose logits grow).
    @pytest.mark.ordinary
    def test_large_logits(self, check, inputs):
        params, x, y = _mlp_case(inputs, 2, last_scale=2000.0)
        _mlp_matches(
            check,
            lambda m: m.layers.mlp_loss_and_grads(params, x, y),
            "mlp_loss_and_grads with logits of magnitude ~1e3",
            (params, x, y),
            check="stability",
            hint="compute log-probabilities directly: subtract each row's own maximum logit "
            "before exp, and never take the log of a softmax (its small probabilities "
            "underflow to 0)",
        )


# ---------------------------------------------------------------------------- numerical gradient
class Recorder:
    """A scalar function that records, at every call, whether the caller's ``x`` was intact and
    how the tensor it received differs from ``x``."""

    def __init__(self, x, fn):
        self.x, self.before, self.fn = x, x.clone(), fn
        self.intact, self.shapes, self.steps = [], [], []

    def __call__(self, v):
        self.intact.append(torch.equal(self.x, self.before))
        self.shapes.append(tuple(v.shape))
        if tuple(v.shape) == tuple(self.x.shape):
            d = (v - self.before).reshape(-1)
            nz = d.nonzero().reshape(-1)
            self.steps.append([(int(i), float(d[i])) for i in nz[:3]])
        return self.fn(v)


def _quadratic(I, shape):
    n = math.prod(shape)
    A = I.randn(n, n)
    A = A @ A.T / n + torch.eye(n, dtype=A.dtype, device=A.device)
    c = I.randn(n)
    # 0.5 u.A.u + c.u of the flattened u, evaluated where the student's code runs
    f = callables.make("quadratic", A, c)
    return f, lambda v: (A @ v.reshape(-1) + c).reshape(shape)


@pytest.mark.exercise("layers.numerical_gradient")
class TestNumericalGradient:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2)], ids=["1d", "2d", "3d"])
    def test_quadratic(self, shape, check, inputs):
        # Central differences are exact on a quadratic, up to rounding. The tolerance leaves room
        # for a one-sided difference here: test_central_not_forward is the test for that.
        f, grad = _quadratic(inputs, shape)
        x = inputs.randn(*shape)
        check.matches(
            lambda m: m.layers.numerical_gradient(f, x),
            f"numerical gradient of a quadratic at x of shape {shape}",
            expected=grad(x),
            rtol=1e-5,
            atol=1e-6,
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_central_not_forward(self, check, inputs):
        # With eps = 1e-3 a central difference is still exact on a quadratic; a one-sided
        # difference is off by about eps * A_ii / 2.
        f, grad = _quadratic(inputs, (4, 3))
        x, eps = inputs.randn(4, 3), 1e-3  # eps named: the generic diagnoses may vary it
        check.matches(
            lambda m: m.layers.numerical_gradient(f, x, eps=eps),
            "numerical gradient of a quadratic with eps=1e-3",
            expected=grad(x),
            rtol=1e-8,
            atol=1e-9,
            hint="use central differences (f(x + eps) - f(x - eps)) / (2 eps)",
        )

    @pytest.mark.ordinary
    def test_smooth_function(self, check, inputs):
        x = inputs.randn(3, 5)
        w = inputs.randn(3, 5)
        f = callables.make("sin_times_exp", w)  # sum(sin(w * v) * exp(0.3 * v))
        expected = (w * torch.cos(w * x) + 0.3 * torch.sin(w * x)) * torch.exp(0.3 * x)
        got = check.matches(
            lambda m: m.layers.numerical_gradient(f, x),
            "numerical gradient of sum(sin(w*x) * exp(0.3*x))",
            expected=expected,
            rtol=1e-5,
            atol=1e-6,
        )
        check.like(got, x, "numerical_gradient result")

    @pytest.mark.ordinary
    def test_python_float_result(self, check, inputs):
        x = inputs.randn(2, 3)
        check.matches(
            lambda m: m.layers.numerical_gradient(lambda v: float((v**3).sum()), x),
            "numerical gradient of an f that returns a Python float",
            expected=3 * x**2,
            rtol=1e-5,
            atol=1e-6,
        )

    @pytest.mark.supporting()  # code that computes nothing edits nothing
    @pytest.mark.points(3)
    def test_x_never_modified(self, check, inputs):
        base = inputs.randn(3, 4)

        def recipe(m):
            x = base.clone()
            rec = Recorder(x, lambda v: (v * v * v).sum())
            m.layers.numerical_gradient(rec, x)
            return tuple(rec.intact) + (torch.equal(x, rec.before),)

        flags = recipe(check.impl)
        check.that(
            all(flags),
            f"x was modified during {flags[:-1].count(False)} of "
            f"{len(flags) - 1} calls to f (x must stay unchanged the whole "
            f"time, not just at the end)",
            check="arguments unchanged",
            recipe=recipe,
            got=flags,
            hint="evaluate f(x + step) on a new tensor; never write into x and restore it",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # records how f is called, not what is returned
    @pytest.mark.points(2)
    @pytest.mark.parametrize("eps", [None, 1e-4], ids=["default-eps", "eps-1e-4"])
    def test_perturbations(self, eps, check, inputs):
        # f must see x moved by +eps and by -eps along each coordinate, one at a time.
        x = inputs.randn(2, 3)
        kwargs = {} if eps is None else {"eps": eps}

        def record(m):
            xc = x.clone()
            rec = Recorder(xc, lambda v: (v * v).sum())
            m.layers.numerical_gradient(rec, xc, **kwargs)
            return rec

        rec = record(check.impl)
        step = 1e-6 if eps is None else eps
        check.that(
            all(s == tuple(x.shape) for s in rec.shapes),
            f"f must receive tensors of x's shape {tuple(x.shape)}",
            check="perturbations",
            hint="perturb a copy of x, keep its shape",
        )
        multi = [s for s in rec.steps if len(s) > 1]
        check.that(
            not multi,
            "f was called with more than one coordinate perturbed at once",
            check="perturbations",
            hint="move one coordinate at a time",
        )
        seen = {(i, 1 if d > 0 else -1) for s in rec.steps for i, d in s}
        want = {(i, sg) for i in range(x.numel()) for sg in (1, -1)}
        check.that(
            want <= seen,
            f"{len(want - seen)} of the {len(want)} moves x_i + eps, x_i - eps were "
            "never evaluated",
            check="perturbations",
            hint="central differences need f at x + eps*e_i and at x - eps*e_i for every i",
        )

        def sizes(r):
            found = [abs(d) for s in r.steps for _, d in s] or [0.0]
            return (float(f"{min(found):.3g}"), float(f"{max(found):.3g}"))

        # Through the comparison helper, so that the generic diagnoses read the sizes too (a
        # step a constant factor off the documented eps); the student's run is the one above.
        check.matches(
            lambda m: sizes(rec if m is check.impl else record(m)),
            f"the smallest and largest step f saw (eps = {step:g} expected)",
            expected=(step, step),
            rtol=1e-3,
            atol=0.0,
            check="perturbations",
            hint="the default step is eps=1e-6; use the eps argument as given",
        )

    @given(data=st.data())
    def test_random_quadratics(self, data, check):
        x = data.draw(tensors(scale=st.sampled_from([0.1, 1.0, 10.0])))
        w = data.draw(tensors(shape=st.just(tuple(x.shape)), scale=st.just(1.0)))
        f = callables.make("weighted_quadratic", w)  # sum(w * v**2 / 2 + w * v)
        check.matches(
            lambda m: m.layers.numerical_gradient(f, x),
            f"numerical gradient of sum(w*x^2/2 + w*x) at x of shape {tuple(x.shape)}",
            expected=w * x + w,
            rtol=1e-6,
            atol=1e-5 * (1 + float(x.abs().max())),
        )


# ------------------------------------------------------------------------------- relative error
def _mixed_scales(inputs):
    """(a, b) of shape (4, 5): columns of magnitudes 1e-3 to 1e3, b within 1e-3 of a except
    b[0, 0] = 1.5 * a[0, 0], where the largest relative difference is."""
    a = inputs.randn(4, 5) * torch.logspace(-3, 3, 5, dtype=torch.float64).to(inputs.device)
    b = a * (1 + inputs.randn(4, 5, scale=1e-3))
    b[0, 0] = a[0, 0] * 1.5
    return a, b


@pytest.mark.exercise("layers.relative_error")
class TestRelativeError:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_mixed_scales(self, check, inputs):
        # Entries of very different magnitudes: only an elementwise ratio, then the maximum,
        # gives the expected value.
        a, b = _mixed_scales(inputs)
        expected = float(((a - b).abs() / (a.abs() + b.abs())).max())
        got = check.matches(
            lambda m: m.layers.relative_error(a, b),
            "relative_error",
            expected=expected,
            rtol=1e-9,
            atol=0.0,
        )
        python_numbers(
            check,
            got,
            float,
            "relative_error",
            hint="return float(...) of the maximum, not a tensor or a NumPy number",
        )

    @pytest.mark.ordinary
    def test_arguments_swapped(self, check, inputs):
        # The same entries with a and b exchanged: the largest ratio is where |b| > |a| above,
        # where |a| > |b| here, so a denominator that keeps one of |a| and |b| (or the larger
        # of the two) reads differently in the two orders.
        a, b = _mixed_scales(inputs)
        check.matches(
            lambda m: m.layers.relative_error(b, a),
            "relative_error(b, a) on the entries of test_mixed_scales",
            expected=float(((a - b).abs() / (a.abs() + b.abs())).max()),
            rtol=1e-9,
            atol=0.0,
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # a constant 1 passes it
    def test_opposite_signs(self, check, inputs):
        a = inputs.randn(6)
        check.matches(
            lambda m: m.layers.relative_error(a, -a),
            "relative_error(a, -a)",
            expected=1.0,
            rtol=1e-12,
        )

    @pytest.mark.points(2)
    def test_zeros_and_tiny(self, check, inputs):
        a = inputs.tensor([0.0, 1e-20, 2.0, 0.0])
        b = inputs.tensor([0.0, 0.0, 2.0 + 2e-9, 0.0])
        # zeros: 0; the tiny entry: 1e-20 / 1e-12 = 1e-8 (the floor); 2 vs 2+2e-9: 5e-10
        check.matches(
            lambda m: m.layers.relative_error(a, b),
            "relative_error with zeros and a value of 1e-20",
            expected=1e-8,
            rtol=1e-6,
            hint="divide by max(1e-12, |a| + |b|), elementwise",
        )
        z = inputs.tensor([[0.0, 0.0], [0.0, 0.0]])
        check.matches(
            lambda m: m.layers.relative_error(z, z.clone()),
            "relative_error of two zero tensors",
            expected=0.0,
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # zeros pass it
    def test_equal_inputs(self, check, inputs):
        a = inputs.randn(3, 4)
        check.matches(
            lambda m: m.layers.relative_error(a, a.clone()),
            "relative_error of identical tensors",
            expected=0.0,
        )

    @given(data=st.data())
    def test_symmetric_and_bounded(self, data, check):
        a = data.draw(tensors())
        b = data.draw(tensors(shape=st.just(tuple(a.shape))))
        ab = check.matches(
            lambda m: m.layers.relative_error(a, b), "relative_error(a, b)", rtol=1e-12
        )
        check.matches(
            lambda m: m.layers.relative_error(b, a),
            "relative_error(b, a)",
            expected=ab,
            rtol=1e-12,
            check="property",
            hint="the relative error does not depend on the order of the arguments",
        )
        check.that(0.0 <= ab <= 1.0, "the relative error must lie in [0, 1]")


# ----------------------------------------------------------------------------- residual block
def _residual(x, W1, b1, W2, b2):
    return x + F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2)


def _residual_case(n, d, h, dead=False):
    def build(I):
        # drawn again until the branch's output a @ W2.T + b2 has entries of both signs, clear
        # of 0: a ReLU put after the branch shows only where it is negative, on every draw
        while True:
            x, W1, b1 = I.randn(n, d), I.randn(h, d), I.randn(h, scale=0.5)
            if dead:  # hidden unit 1 has z exactly 0 for every example: ReLU passes no gradient
                W1, b1 = W1.clone(), b1.clone()
                W1[1], b1[1] = 0.0, 0.0
            W2, b2 = I.randn(d, h), I.randn(d, scale=0.5) + 0.5
            branch = _residual(x, W1, b1, W2, b2) - x
            if (branch < -0.05).any() and (branch > 0.05).any():
                return (x, W1, b1, W2, b2), {}

    return build


def _residual_smooth(I):
    # gradcheck needs every pre-activation clear of ReLU's kink (eps is 1e-6)
    while True:
        args, kwargs = _residual_case(4, 3, 5)(I)
        if float((args[0] @ args[1].T + args[2]).abs().min()) > 0.05:
            return args, kwargs


RESIDUAL = PairSpec(
    "layers.residual_block",
    _residual,
    cases=[
        Case("5x3-hidden4", _residual_case(5, 3, 4), points=2),
        Case("7x4-hidden6", _residual_case(7, 4, 6)),
        # exact zeros before the ReLU, where its derivative is a convention: an edge case
        Case("6x5-hidden3-dead-unit", _residual_case(6, 5, 3, dead=True), points=2, ordinary=False),
    ],
    smooth=_residual_smooth,
    wrt=(0, 1, 2, 3, 4),
)

TestResidualBlockBattery = battery([RESIDUAL])


@pytest.mark.exercise("layers.residual_block")
class TestResidualBlockExtra:
    @pytest.mark.ordinary
    @pytest.mark.supporting("test_backward")  # dy handed back passes it
    def test_gradient_reaches_x_through_the_skip(self, check, inputs):
        # A branch whose first layer is dead everywhere (z < 0 for every example) passes no
        # gradient at all: everything x receives comes through the skip, so dx must equal dy.
        x, W1, b1, W2, b2 = _residual_case(6, 4, 5)(inputs)[0]
        b1 = -(x.abs().sum(1).max() * W1.abs().max() + 1.0).expand(5).clone()
        dy = inputs.randn(6, 4)
        check.matches(
            lambda m: RESIDUAL.backward_of_forward(m, (x, W1, b1, W2, b2), {}, dy)[0],
            "residual_block_backward dx when the branch is dead (every z < 0)",
            expected=dy,
            rtol=1e-12,
            atol=0.0,
            hint="the skip y = x + ... passes dy straight to x: dx = dy + dz @ W1",
        )

    @pytest.mark.ordinary
    def test_float32_stays_float32(self, check, inputs):
        # The battery runs in float64, where code that computes in float64 (NumPy's default)
        # and never casts back passes unnoticed: float32 inputs must give float32 results.
        args = tuple(a.float() for a in _residual_case(5, 3, 4)(inputs)[0])
        wide = tuple(a.double() for a in args)
        dy = inputs.randn(5, 3).float()
        tolerance = dict(rtol=1e-5, atol=1e-5)
        check.matches(
            lambda m: m.layers.residual_block_forward(*args)[0],
            "residual_block_forward output for float32 inputs",
            expected=_residual(*wide).float(),
            **tolerance,
            hint="results keep the inputs' dtype: cast back after computing in another",
        )
        check.matches(
            lambda m: RESIDUAL.backward_of_forward(m, args, {}, dy),
            "residual_block_backward gradients for float32 inputs",
            expected=tuple(g.float() for g in _oracle_grads(RESIDUAL, wide, {}, dy.double())),
            **tolerance,
            hint="every gradient has the dtype of the inputs: cast back after computing in another",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_inputs_unmodified_by_backward(self, check, inputs):
        args = _residual_case(5, 3, 4)(inputs)[0]
        dy = inputs.randn(5, 3)
        cache = check.impl.layers.residual_block_forward(*args)[1]
        with check.unmodified(dy, *args, who="residual_block_backward"):
            check.impl.layers.residual_block_backward(dy, cache)

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize(
        "shapes",
        [((1, 4), (1,)), ((4, 4), (3,)), ((2, 4), (2,))],
        ids=["W2-1xH", "b2-wrong", "W2-2xH"],
    )
    def test_branch_must_map_back_to_x(self, shapes, check, inputs):
        x, W1, b1 = inputs.randn(6, 3), inputs.randn(4, 3), inputs.randn(4)
        W2, b2 = inputs.randn(*shapes[0]), inputs.randn(*shapes[1])
        expect.value_error(
            check,
            lambda m: m.layers.residual_block_forward(x, W1, b1, W2, b2),
            f"residual_block_forward with x (6, 3), W2 {shapes[0]} and b2 {shapes[1]}",
            hint="y = x + branch needs the branch to return x's 3 features: "
            "check W2.shape[0] and b2's shape and raise ValueError otherwise",
        )


# --------------------------------------------------------------------- gradient checkpointing
DEEP = (7, 6, 5, 8, 6, 9, 5)  # D_0 and six hidden widths: up to 7 layers, no two alike in a row


def _deep_case(I, depth):
    sizes = [*DEEP[:depth], CLASSES]
    params = [
        (I.randn(o, i, scale=1.5 / math.sqrt(i)), I.randn(o, scale=0.5))
        for i, o in zip(sizes, sizes[1:])
    ]
    return params, I.randn(N_MLP, DEEP[0]), I.randint(CLASSES, N_MLP)


# (depth, segment, activation): segments that divide the depth, leave a short last segment,
# equal 1 (an ordinary backward) and exceed the depth (only x kept)
CHECKPOINT_RUNS = [
    (4, 2, "relu"),
    (7, 3, "relu"),
    (5, 2, "tanh"),
    (6, 4, "relu"),
    (3, 1, "relu"),
    (5, 8, "relu"),
    (1, 2, "relu"),
]


@pytest.mark.exercise("layers.mlp_grads_checkpointed")
class TestCheckpointing:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize(
        "depth,segment,activation",
        CHECKPOINT_RUNS,
        ids=[f"L{d}-seg{s}-{a}" for d, s, a in CHECKPOINT_RUNS],
    )
    def test_gradients(self, depth, segment, activation, check, inputs):
        params, x, y = _deep_case(inputs, depth)
        kwargs = {} if activation == "relu" else {"activation": activation}
        with check.unmodified(x, y, *[t for p in params for t in p], who="mlp_grads_checkpointed"):
            _mlp_matches(
                check,
                lambda m: tuple(
                    m.layers.mlp_grads_checkpointed(x, y, params, segment, **kwargs)[:2]
                ),
                f"mlp_grads_checkpointed (loss, grads) with {depth} layers, segment={segment}, "
                f"activation={activation!r}",
                (params, x, y, activation),
                hint="recomputing a segment from its checkpoint gives the same activations, so "
                "the loss and every gradient must equal an ordinary backward's; carry the "
                "gradient from one segment into the next",
            )

    @pytest.mark.ordinary
    @pytest.mark.parametrize("activation", ["leaky_relu", "sigmoid", "gelu", "silu"])
    def test_every_activation(self, activation, check, inputs):
        # The activations of activations.py with their conventions: leaky ReLU's slope 0.01,
        # GELU's exact erf form (not the tanh approximation).
        params, x, y = _deep_case(inputs, 4)
        _mlp_matches(
            check,
            lambda m: tuple(
                m.layers.mlp_grads_checkpointed(x, y, params, 3, activation=activation)[:2]
            ),
            f"mlp_grads_checkpointed (loss, grads) with 4 layers, segment=3, "
            f"activation={activation!r}",
            (params, x, y, activation),
            hint="the activations are those of activations.py, forward and derivative: "
            "recompute a segment with the same activation as the forward pass",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting("test_gradients")  # a count is worth something only with the gradients
    @pytest.mark.points(2)
    def test_kept_count(self, check, inputs):
        runs = [(4, 2), (7, 3), (6, 4), (3, 1), (5, 8), (5, 5), (6, 5), (1, 1), (1, 3)]
        cases = {depth: _deep_case(inputs, depth) for depth in {d for d, _ in runs}}

        def counts(m):
            return [
                m.layers.mlp_grads_checkpointed(cases[d][1], cases[d][2], cases[d][0], s)[2]
                for d, s in runs
            ]

        check.matches(
            counts,
            "kept for (layers, segment) = " + ", ".join(map(str, runs)),
            expected=[math.ceil(d / s) for d, s in runs],
            rtol=0.0,
            atol=0.0,
            check="checkpoint count",
            hint="kept counts the stored layer inputs h_0 = x, h_segment, "
            "h_2segment, ... below the depth L: ceil(L / segment)",
            generic=rounded(runs),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # any result of the right shape passes it
    def test_raw_shapes(self, check, inputs):
        params, x, y = _deep_case(inputs, 5)
        loss, grads, kept = check.impl.layers.mlp_grads_checkpointed(x, y, params, 2)
        check.like(loss, x.new_zeros(()), "mlp_grads_checkpointed loss (a 0-dim tensor)")
        check.like(
            list(grads),
            [tuple(p) for p in params],
            "mlp_grads_checkpointed grads, a list of (dW, db) in the order of params",
        )
        python_numbers(check, kept, int, "kept", hint="count the checkpoints with len(...)")

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize("segment", [0, -2, 2.5, "2"], ids=["zero", "negative", "float", "str"])
    def test_rejects_a_bad_segment(self, segment, check, inputs):
        params, x, y = _deep_case(inputs, 4)
        expect.value_error(
            check,
            lambda m: m.layers.mlp_grads_checkpointed(x, y, params, segment),
            f"mlp_grads_checkpointed with segment={segment!r}",
            hint="segment must be an int >= 1: check it and raise ValueError",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_rejects_an_unknown_activation(self, check, inputs):
        params, x, y = _deep_case(inputs, 3)
        expect.value_error(
            check,
            lambda m: m.layers.mlp_grads_checkpointed(x, y, params, 2, activation="elu"),
            "mlp_grads_checkpointed with activation='elu'",
            hint="accept only the activation names mlp_loss_and_grads accepts "
            "and raise ValueError for any other, never fall back to one",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_rejects_an_empty_network(self, check, inputs):
        x, y = inputs.randn(4, 3), inputs.randint(3, 4)
        expect.value_error(
            check,
            lambda m: m.layers.mlp_grads_checkpointed(x, y, [], 2),
            "mlp_grads_checkpointed with params=[]",
            hint="a network needs at least one layer: raise ValueError",
        )
