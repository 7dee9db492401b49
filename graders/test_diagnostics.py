"""Hidden graders for starter/diagnostics.py.

* ``expected_initial_loss``: ln C for several C, and agreement with PyTorch's cross-entropy of
  uniform logits.
* ``layer_gradient_norms``: values against an independent float64 computation (backpropagation by
  hand, no autograd) with the draw order of the contract, plus the properties the experiment is
  about: sigmoid with small weights vanishes toward the first layer by orders of magnitude over 10
  layers; ReLU with He weights keeps every layer within a band. With ``residual=True`` the values
  again, and the first layer's gradient kept within 3 orders of the last's by the skips.
* ``dead_relu_fraction``: exact fractions on batches with dead, exactly-zero and live columns.
* ``diagnose_loss_curve``: curves that hypothesis generates for each archetype, far from the
  boundaries between the rules, plus two curves that test the order of the rules and the recovery
  requirement of a spike.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from expect import python_numbers
from hypothesis import assume, given
from hypothesis import strategies as st

from descent.grading.inputs import Inputs


# ------------------------------------------------------------------------ expected_initial_loss
@pytest.mark.exercise("diagnostics.expected_initial_loss")
@pytest.mark.ordinary  # every check here is an everyday call
class TestExpectedInitialLoss:
    @pytest.mark.parametrize("classes", [(2, 4), (5, 20), (50, 200), (500, 5000)])
    def test_log_c(self, classes, check, inputs):
        num_classes = inputs.integer(*classes)
        got = check.matches(
            lambda m: m.diagnostics.expected_initial_loss(num_classes),
            f"expected_initial_loss({num_classes})",
            expected=math.log(num_classes),
            rtol=1e-12,
            atol=0.0,
            hint="uniform predictions give every class 1/C: the loss is -ln(1/C)",
        )
        python_numbers(
            check,
            got,
            float,
            f"expected_initial_loss({num_classes})",
            hint="return math.log(C): a Python float, not a tensor or a NumPy number",
        )

    @pytest.mark.points(2)
    @given(num_classes=st.integers(2, 500))
    def test_equals_cross_entropy_of_uniform_logits(self, num_classes, check):
        logits = torch.zeros(7, num_classes, dtype=torch.float64)
        target = torch.arange(7) % num_classes
        expected = F.cross_entropy(logits, target).item()
        check.matches(
            lambda m: m.diagnostics.expected_initial_loss(num_classes),
            f"expected_initial_loss({num_classes}) against PyTorch's cross-entropy of "
            f"all-zero logits",
            expected=expected,
            rtol=1e-12,
            atol=0.0,
            check="property",
        )


# ------------------------------------------------------------------------- layer_gradient_norms
_ACTS = {
    "sigmoid": (torch.sigmoid, lambda y: y * (1 - y)),
    "tanh": (torch.tanh, lambda y: 1 - y * y),
    "relu": (torch.relu, lambda y: (y > 0).to(y.dtype)),
}


def _gradient_norms(activation, depth, width, init, seed=0, batch=64, residual=False):
    """The experiment of the contract, backpropagated by hand in float64 (independent of autograd)."""
    s = {"small": 0.01, "xavier": math.sqrt(1.0 / width), "he": math.sqrt(2.0 / width)}[init]
    act, dact = _ACTS[activation]
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=g, dtype=torch.float64)
    Ws = [torch.randn(width, width, generator=g, dtype=torch.float64) * s for _ in range(depth)]
    hs = [x]
    branches = []  # act(h_{l-1} @ W_l.T), whose derivative the backward needs
    for W in Ws:
        branches.append(act(hs[-1] @ W.T))
        hs.append(hs[-1] + branches[-1] if residual else branches[-1])
    dh = hs[-1] / hs[-1].numel()  # d(0.5 * mean(h^2)) / dh
    out = []
    for layer in reversed(range(depth)):
        dz = dh * dact(branches[layer])
        out.append((dz.T @ hs[layer]).abs().mean().item())
        dh = dz @ Ws[layer] + (dh if residual else 0)
    return out[::-1]


# (activation, depths, widths, init, batches): each grading draws a depth, width and batch from
# these bands, and the seed the function is given (below 1000: a diagnosis that tries the
# arguments in another order must not build a network a billion layers deep).
_CONFIGS = [
    ("sigmoid", (8, 10), (24, 40), "small", (40, 64)),
    ("tanh", (5, 7), (18, 30), "xavier", (12, 24)),
    ("relu", (6, 9), (32, 48), "he", (20, 36)),
    ("sigmoid", (3, 5), (10, 16), "xavier", (6, 12)),
    ("relu", (4, 6), (16, 26), "small", (24, 40)),
]


def _config(inputs, config):
    """(activation, depth, width, init, seed, batch) drawn within ``config``'s bands."""
    activation, depths, widths, init, batches = config
    return (
        activation,
        inputs.integer(*depths),
        inputs.integer(*widths),
        init,
        inputs.integer(0, 999),
        inputs.integer(*batches),
    )


def _config_id(config) -> str:
    return f"{config[0]}-{config[3]}"


@pytest.mark.exercise("diagnostics.layer_gradient_norms")
@pytest.mark.ordinary  # every check here is an everyday call
class TestLayerGradientNorms:
    @pytest.mark.parametrize("config", _CONFIGS, ids=_config_id)
    def test_values(self, config, check, inputs):
        config = _config(inputs, config)
        activation, depth, width, init, seed, batch = config
        expected = _gradient_norms(*config)
        check.matches(
            lambda m: m.diagnostics.layer_gradient_norms(
                activation, depth, width, init, seed=seed, batch=batch
            ),
            f"layer_gradient_norms({activation!r}, depth={depth}, width={width}, {init!r}, "
            f"seed={seed}, batch={batch})",
            expected=expected,
            rtol=1e-7,
            atol=0.0,
            hint="follow the docstring exactly: draw x first and then W_1..W_depth from one "
            "float64 generator, apply the activation after every layer, return the mean "
            "|dloss/dW_l| first layer first",
        )

    @pytest.mark.supporting()  # any list of floats of the right length passes it
    def test_returns_floats_one_per_layer(self, check, inputs):
        depth, seed = inputs.integer(3, 9), inputs.integer(0, 999)
        got = check.impl.diagnostics.layer_gradient_norms(
            "tanh", depth, inputs.integer(8, 24), "xavier", seed=seed, batch=inputs.integer(4, 16)
        )
        check.that(
            isinstance(got, (list, tuple)) and len(got) == depth,
            f"expected a list of {depth} numbers (one per layer), got {type(got).__name__}"
            + (f" of length {len(got)}" if hasattr(got, "__len__") else ""),
            check="shape and type",
        )
        python_numbers(
            check,
            got,
            float,
            "the entries of layer_gradient_norms",
            hint="every entry must be a Python float (use .item())",
        )

    @pytest.mark.points(2)
    def test_sigmoid_small_init_vanishes_toward_the_first_layer(self, check, inputs):
        width, seed = inputs.integer(40, 64), inputs.integer(0, 999)
        norms = check.impl.diagnostics.layer_gradient_norms(
            "sigmoid", 10, width, "small", seed=seed
        )
        check.that(len(norms) == 10, f"expected 10 values, got {len(norms)}")
        first, last = norms[0], norms[-1]
        check.that(
            first > 0 and last > 0 and first < 1e-6 * last,
            f"sigmoid with weights of scale 0.01 over 10 layers: the first layer's gradient "
            f"should be at least 6 orders of magnitude below the last layer's; got first "
            f"{first:.3g}, last {last:.3g}",
            hint="is the list in order, first layer first? is the activation applied "
            "after every layer?",
        )
        rising = all(a < b for a, b in zip(norms, norms[1:]))
        check.that(
            rising,
            "with sigmoid and small weights the gradient must grow at every layer "
            "from the first to the last",
            hint="return the list first layer first",
        )

    @pytest.mark.points(2)
    def test_relu_he_stays_in_a_band(self, check, inputs):
        seed = inputs.integer(0, 999)
        norms = check.impl.diagnostics.layer_gradient_norms("relu", 10, 64, "he", seed=seed)
        lo, hi = min(norms), max(norms)
        check.that(
            lo > 0 and hi / lo < 10,
            f"ReLU with He weights: every layer's gradient should be within a factor 10 of "
            f"the others; got min {lo:.3g}, max {hi:.3g}",
        )
        # the reference's, over a thousand seeds: min 1.0e-3, max 5.3e-2; the gradients of the
        # activations instead of the weights fall below 3e-4 on every seed
        check.that(
            5e-4 < lo and hi < 1e-1,
            f"ReLU with He weights (width 64, 10 layers): gradients should be of order "
            f"1e-3 to 1e-2; got min {lo:.3g}, max {hi:.3g}",
            hint="He scale is sqrt(2 / width): the 2 compensates for ReLU zeroing half its inputs",
        )


# ---------------------------------------------------------------------------- dead_relu_fraction
def _pre_activations(inputs, n, h, dead, zero_dead):
    """(n, h) pre-activations with ``dead`` columns <= 0 everywhere (``zero_dead`` of them exactly
    0) and every other column positive for exactly one example (alive, but barely)."""
    x = -inputs.uniform(n, h, low=0.1, high=2.0)
    alive = torch.arange(dead, h)
    rows = inputs.randint(n, h - dead)
    x[rows, alive] = inputs.uniform(h - dead, low=0.1, high=1.0)
    x[:, :zero_dead] = 0.0
    perm = torch.randperm(h, generator=inputs.generator)
    return x[:, perm.to(x.device)]


@pytest.mark.exercise("diagnostics.dead_relu_fraction")
@pytest.mark.ordinary  # every check here is an everyday call
class TestDeadReluFraction:
    @pytest.mark.points(2)
    def test_units_dead_on_every_example(self, check, inputs):
        x = _pre_activations(inputs, 9, 14, dead=5, zero_dead=2)
        with check.unmodified(x):
            got = check.matches(
                lambda m: m.diagnostics.dead_relu_fraction(x),
                "dead_relu_fraction of a (9, 14) batch with 5 dead units, 2 of them exactly 0",
                expected=5 / 14,
                rtol=1e-12,
                atol=0.0,
                hint="a unit (column) is dead when it is <= 0 for every example; the "
                "result is dead units / H",
            )
        python_numbers(
            check, got, float, "dead_relu_fraction", hint="return a Python float (use .item())"
        )

    @given(n=st.integers(3, 12), h=st.integers(2, 15), data=st.data())
    def test_random_batches(self, n, h, data, check):
        dead = data.draw(st.integers(0, h))
        zero_dead = data.draw(st.integers(0, dead))
        inputs = Inputs(data.draw(st.integers(0, 2**31 - 1)))
        x = _pre_activations(inputs, n, h, dead, zero_dead)
        check.matches(
            lambda m: m.diagnostics.dead_relu_fraction(x),
            f"dead_relu_fraction of an ({n}, {h}) batch",
            expected=dead / h,
            rtol=1e-12,
            atol=0.0,
            check="property",
        )

    def test_all_alive_and_all_dead(self, check, inputs):
        x = inputs.randn(6, 8).abs() + 0.1
        check.matches(
            lambda m: m.diagnostics.dead_relu_fraction(x),
            "all units alive",
            expected=0.0,
            rtol=0.0,
            atol=0.0,
        )
        check.matches(
            lambda m: m.diagnostics.dead_relu_fraction(-x),
            "all units dead",
            expected=1.0,
            rtol=0.0,
            atol=0.0,
        )


# --------------------------------------------------------------------------- diagnose_loss_curve
# Every generator keeps its archetype far from the thresholds of the rules (jumps of 5x or more
# against 3x, rises of 25% against 1%, plateaus at 60-85% of the start against 50%, ...).
def _noise(gen, n, amp):
    return (torch.rand(n, generator=gen, dtype=torch.float64) * 2 - 1) * amp


def _decay(gen, n, c, floor, rate, amp=0.003):
    i = torch.arange(n, dtype=torch.float64) / (n - 1)
    return c * (floor + (1 - floor) * torch.exp(-rate * i)) * (1 + _noise(gen, n, amp))


def _val_like(gen, train, gap):
    return train * (1 + gap) * (1 + _noise(gen, train.numel(), 0.003))


def _listed(t):
    return [float(v) for v in t]


@st.composite
def _curve_params(draw):
    n = draw(st.integers(30, 90))
    c = draw(st.floats(0.5, 5.0))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    return n, c, gen


@st.composite
def healthy_curves(draw, with_val):
    n, c, gen = draw(_curve_params())
    t = _decay(gen, n, c, draw(st.floats(0.02, 0.15)), draw(st.floats(4.0, 8.0)))
    v = _val_like(gen, t, draw(st.floats(0.05, 0.3))) if with_val else None
    return _listed(t), (_listed(v) if v is not None else None)


@st.composite
def overfitting_curves(draw):
    n, c, gen = draw(_curve_params())
    t = _decay(gen, n, c, draw(st.floats(0.01, 0.05)), draw(st.floats(3.0, 4.0)))
    i = torch.arange(n, dtype=torch.float64) / (n - 1)
    turn = draw(st.floats(0.3, 0.5))
    rise = draw(st.floats(0.6, 1.5)) * c * ((i - turn).clamp_min(0) / (1 - turn)) ** 2
    v = _decay(gen, n, c * 1.1, draw(st.floats(0.2, 0.4)), 6.0) + rise
    assume(v[-1] >= 1.3 * v.min())
    return _listed(t), _listed(v)


@st.composite
def underfitting_curves(draw, with_val):
    n, c, gen = draw(_curve_params())
    t = _decay(gen, n, c, draw(st.floats(0.6, 0.85)), draw(st.floats(10.0, 15.0)), amp=0.002)
    v = _val_like(gen, t, draw(st.floats(0.05, 0.2))) if with_val else None
    return _listed(t), (_listed(v) if v is not None else None)


@st.composite
def stuck_curves(draw):
    # Flat with a small zigzag (every other step up by ~0.4%): a curve that does not learn, whose
    # last value ends 0.3% to 0.6% below the first.
    n, c, gen = draw(_curve_params())
    i = torch.arange(n, dtype=torch.float64)
    t = c * (1 - draw(st.floats(0.003, 0.006)) * i / (n - 1))
    zig = draw(st.floats(0.001, 0.002)) * torch.where(i % 2 == 0, 1.0, -1.0)
    zig = zig * (1 + _noise(gen, n, 0.2))
    zig[0] = zig[-1] = 0.0
    return _listed(t * (1 + zig)), None


@st.composite
def lr_too_high_curves(draw):
    # Oscillates by about +-25% around a level that barely falls; consecutive ratios stay < 2.
    n, c, gen = draw(_curve_params())
    i = torch.arange(n, dtype=torch.float64)
    level = c * (1 - draw(st.floats(0.0, 0.3)) * i / (n - 1))
    size = 0.25 * (0.6 + 0.4 * torch.rand(n, generator=gen, dtype=torch.float64))
    sign = torch.where(i % 2 == 0, 1.0, -1.0)
    sign[-1] = -1.0
    size[0] = 0.25
    return _listed(level * (1 + sign * size)), None


@st.composite
def spike_curves(draw, with_val):
    n, c, gen = draw(_curve_params())
    t = _decay(gen, n, c, draw(st.floats(0.02, 0.15)), draw(st.floats(3.0, 6.0)))
    at = draw(st.integers(n // 4, (3 * n) // 4))
    height = draw(st.floats(5.0, 20.0))
    t[at] = t[at - 1] * height
    if draw(st.booleans()):  # a spike two steps wide
        t[at + 1] = t[at - 1] * height / 2
    v = _val_like(gen, t, 0.1) if with_val else None
    return _listed(t), (_listed(v) if v is not None else None)


@st.composite
def diverged_curves(draw, kind):
    n, c, gen = draw(_curve_params())
    t = _decay(gen, n, c, 0.1, 5.0)
    start = draw(st.integers(n // 3, n - 3))
    if kind == "blowup":
        growth = draw(st.floats(1.3, 2.0))
        t[start:] = t[start - 1] * growth ** torch.arange(1, n - start + 1, dtype=torch.float64)
        assume(t[-1] > 2 * t[0])
    else:
        t[start:] = float("nan") if kind == "nan" else float("inf")
    return _listed(t), None


def _diagnose(check, train, val, expected, what, hint):
    check.matches(
        lambda m: m.diagnostics.diagnose_loss_curve(train, val),
        f"diagnose_loss_curve on {what} ({len(train)} epochs"
        f"{', with validation' if val is not None else ''})",
        expected=expected,
        hint=hint,
    )


# The label each test expects. A function that always returns one label passes every test of
# that label, so each test counts only once a test expecting another label passed too.
EXPECTS = {
    "test_healthy": "healthy",
    "test_overfitting": "overfitting",
    "test_underfitting": "underfitting",
    "test_stuck": "stuck",
    "test_lr_too_high": "lr_too_high",
    "test_spike": "spike",
    "test_diverged": "diverged",
    "test_rule_order_diverged_before_stuck": "diverged",
    "test_jump_without_recovery_is_not_a_spike": "underfitting",
}


def _not_constant(label: str):
    return pytest.mark.supporting(*(test for test, other in EXPECTS.items() if other != label))


# The typical curve of each label is an everyday input (ordinary); the curves at an edge of the
# rules (NaN or inf, a curve both flat and rising, a jump without recovery) are in the next
# class. Marks go on the classes: hypothesis derives a method's examples from its source text,
# decorators included.
@pytest.mark.exercise("diagnostics.diagnose_loss_curve")
@pytest.mark.ordinary
class TestDiagnoseLossCurve:
    @_not_constant("healthy")
    @pytest.mark.parametrize("with_val", [False, True], ids=["train-only", "with-val"])
    @given(data=st.data())
    def test_healthy(self, with_val, data, check):
        train, val = data.draw(healthy_curves(with_val))
        _diagnose(
            check,
            train,
            val,
            "healthy",
            "a smoothly decaying curve",
            "a curve that falls well below half its start and whose validation loss stays "
            "near its minimum is healthy",
        )

    @_not_constant("overfitting")
    @pytest.mark.points(2)
    @given(data=st.data())
    def test_overfitting(self, data, check):
        train, val = data.draw(overfitting_curves())
        _diagnose(
            check,
            train,
            val,
            "overfitting",
            "a falling training curve whose validation loss turns back up",
            "compare the last validation loss with the smallest one, not with the first",
        )

    @_not_constant("underfitting")
    @pytest.mark.parametrize("with_val", [False, True], ids=["train-only", "with-val"])
    @given(data=st.data())
    def test_underfitting(self, with_val, data, check):
        train, val = data.draw(underfitting_curves(with_val))
        _diagnose(
            check,
            train,
            val,
            "underfitting",
            "a curve that plateaus high",
            "flatness is measured over the last fifth of the run",
        )

    @_not_constant("stuck")
    @given(data=st.data())
    def test_stuck(self, data, check):
        train, val = data.draw(stuck_curves())
        _diagnose(
            check,
            train,
            val,
            "stuck",
            "a flat curve with a small zigzag",
            "a step only counts as going up when it rises by more than 1%",
        )

    @_not_constant("lr_too_high")
    @given(data=st.data())
    def test_lr_too_high(self, data, check):
        train, val = data.draw(lr_too_high_curves())
        _diagnose(
            check,
            train,
            val,
            "lr_too_high",
            "a curve that oscillates by about 25%",
            "count the steps that rise by more than 1%, and compare the means of the first "
            "and last fifths",
        )

    @_not_constant("spike")
    @pytest.mark.parametrize("with_val", [False, True], ids=["train-only", "with-val"])
    @given(data=st.data())
    def test_spike(self, with_val, data, check):
        train, val = data.draw(spike_curves(with_val))
        _diagnose(
            check,
            train,
            val,
            "spike",
            "a falling curve with one short spike",
            "a spike is a jump above 3x the previous loss followed by a recovery",
        )


@pytest.mark.exercise("diagnostics.diagnose_loss_curve")
class TestDiagnoseLossCurveEdges:
    @_not_constant("diverged")
    @pytest.mark.points(2)
    @pytest.mark.parametrize("kind", ["blowup", "nan", "inf"])
    @given(data=st.data())
    def test_diverged(self, kind, data, check):
        train, val = data.draw(diverged_curves(kind))
        _diagnose(
            check,
            train,
            val,
            "diverged",
            f"a curve that ends in {kind}",
            "NaN compares false with everything: test math.isfinite / torch.isfinite "
            "explicitly, before any other rule",
        )

    @_not_constant("diverged")
    def test_rule_order_diverged_before_stuck(self, check):
        # Flat, but the last loss ends 0.5% above the first: rule 1 applies before rule 4.
        train = [2.3, 2.298, 2.301, 2.299, 2.302, 2.3, 2.301, 2.299, 2.302, 2.3, 2.3115]
        _diagnose(
            check,
            train,
            None,
            "diverged",
            "a flat curve ending 0.5% above its start",
            "apply the rules in the documented order: diverged is checked first",
        )

    @_not_constant("underfitting")
    def test_jump_without_recovery_is_not_a_spike(self, check):
        # Falls from 4 to 0.4, jumps to 3 and stays there: no recovery, so rule 2 does not apply.
        fall = torch.linspace(4.0, 0.4, 12, dtype=torch.float64)
        train = _listed(fall) + [3.0 * (1 + 0.001 * (k % 3)) for k in range(18)]
        _diagnose(
            check,
            train,
            None,
            "underfitting",
            "a curve that jumps to 7.5x and never comes back down",
            "a spike needs the curve to come back down within five steps",
        )

    @_not_constant("diverged")
    @pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
    def test_validation_curve_not_finite(self, bad, check):
        # Training curves that each end under another rule (falling, stuck, climbing) beside a
        # validation curve with a NaN or inf in it: rule 1 looks at both curves, so every one is
        # diverged. Several curves in one comparison: a mistake gives several labels to weigh.
        falling = _listed(torch.linspace(3.0, 0.3, 15, dtype=torch.float64))
        stuck = [3.0 * (1 + 0.001 * (k % 3)) for k in range(15)]
        val = _listed(torch.linspace(3.2, 0.5, 15, dtype=torch.float64))
        curves = [
            (falling, val[:-1] + [bad]),
            (falling, val[:7] + [bad] + val[8:]),
            (stuck, val[:-1] + [bad]),
            (falling[::-1], val[:-1] + [bad]),
        ]
        check.matches(
            lambda m: [m.diagnostics.diagnose_loss_curve(t, v) for t, v in curves],
            f"diagnose_loss_curve on {len(curves)} training curves (falling, stuck, climbing) "
            f"whose validation losses hold a {bad}",
            expected=["diverged"] * len(curves),
            hint="rule 1 checks the validation losses too: any NaN or infinity in either curve "
            "means diverged",
        )


# ------------------------------------------------------------ layer_gradient_norms with residuals
_RESIDUAL_CONFIGS = [
    ("sigmoid", (8, 10), (24, 40), "small", (40, 64)),
    ("tanh", (10, 12), (18, 30), "small", (12, 24)),
    ("relu", (5, 7), (16, 24), "he", (20, 36)),
    ("sigmoid", (3, 5), (10, 16), "xavier", (6, 12)),
]


@pytest.mark.exercise("diagnostics.layer_gradient_norms")
@pytest.mark.ordinary  # residual connections are one of the exercise's two everyday settings
class TestLayerGradientNormsResidual:
    @pytest.mark.parametrize("config", _RESIDUAL_CONFIGS, ids=_config_id)
    def test_residual_values(self, config, check, inputs):
        config = _config(inputs, config)
        activation, depth, width, init, seed, batch = config
        check.matches(
            lambda m: m.diagnostics.layer_gradient_norms(
                activation, depth, width, init, seed=seed, batch=batch, residual=True
            ),
            f"layer_gradient_norms({activation!r}, depth={depth}, width={width}, {init!r}, "
            f"seed={seed}, batch={batch}, residual=True)",
            expected=_gradient_norms(*config, residual=True),
            rtol=1e-7,
            atol=0.0,
            hint="with residual=True every layer is h_l = h_{l-1} + act(h_{l-1} @ W_l.T): the "
            "skip goes around the activation, on every layer, and the draws do not change",
        )

    @pytest.mark.points(2)
    def test_the_skip_keeps_the_first_layer_learning(self, check, inputs):
        # The story the option tells: sigmoid with weights of scale 0.01, 10 layers.
        width, seed = inputs.integer(40, 64), inputs.integer(0, 999)
        plain = check.impl.diagnostics.layer_gradient_norms(
            "sigmoid", 10, width, "small", seed=seed
        )
        skip = check.impl.diagnostics.layer_gradient_norms(
            "sigmoid", 10, width, "small", seed=seed, residual=True
        )
        check.that(
            len(plain) == len(skip) == 10,
            f"expected 10 values each, got {len(plain)} and {len(skip)}",
            check="shape and type",
        )
        check.that(
            skip[0] > 1e-3 * skip[-1],
            f"with residual=True the first layer's gradient should stay within 3 orders of "
            f"magnitude of the last's; got first {skip[0]:.3g}, last {skip[-1]:.3g}",
            hint="the skip adds dh_l to dh_{l-1} unchanged: h_l = h_{l-1} + act(...)",
        )
        check.that(
            skip[0] > 1e9 * plain[0],
            f"the skip should lift the first layer's gradient by many orders of magnitude "
            f"over the plain stack; got {skip[0]:.3g} with it and {plain[0]:.3g} without",
            hint="residual=False must stay the plain stack h_l = act(h_{l-1} @ W_l.T)",
        )
