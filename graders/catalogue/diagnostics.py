"""Catalogued variants of diagnostics.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

The bugs are the slips made when reading a training run for the first time (the expected initial
loss, per-layer gradient norms, dead units, the shape of a loss curve) and those seen when students
first run the vanishing-gradient experiment (wrong order of the list, gradient of the activations
instead of the weights, float32).
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug, hollow

# ---------------------------------------------------------------------- expected_initial_loss
eil_c_minus_1 = bug(
    "eil_log_c_minus_1",
    "diagnostics.expected_initial_loss",
    "takes ln(C - 1) instead of ln(C)",
    hint="Uniform predictions give each of the C classes probability 1/C, so the "
    "loss is -ln(1/C) = ln(C).",
    generic="step",
    wrong_on="ordinary",
)


@eil_c_minus_1.replaces
def expected_initial_loss(num_classes):
    return math.log(num_classes - 1)


eil_log10 = bug(
    "eil_log10",
    "diagnostics.expected_initial_loss",
    "uses the base-10 logarithm",
    hint="Cross-entropy uses the natural logarithm: math.log, not math.log10.",
    generic="factor",
    wrong_on="ordinary",
)


@eil_log10.replaces
def expected_initial_loss(num_classes):
    return math.log10(num_classes)


eil_tensor = bug(
    "eil_returns_tensor",
    "diagnostics.expected_initial_loss",
    "returns a 0-dim tensor instead of a Python float",
    hint="Return a Python float: math.log(C), or .item() on a tensor.",
    generic="structure",
    wrong_on="ordinary",
)


@eil_tensor.replaces
def expected_initial_loss(num_classes):
    return torch.log(torch.tensor(float(num_classes), dtype=torch.float64))


eil_numpy = bug(
    "eil_numpy_log",
    "diagnostics.expected_initial_loss",
    "returns np.log(num_classes), a numpy.float64 rather than a Python float",
    hint="Return a Python float: math.log(C), or float(...) around a NumPy result (a "
    "numpy.float64 is not a Python float).",
    generic="structure",
    wrong_on="ordinary",
)


@eil_numpy.replaces
def expected_initial_loss(num_classes):
    return np.log(num_classes)


eil_alt = alternative(
    "eil_minus_log_prob",
    "diagnostics.expected_initial_loss",
    "computes -log(1/C) from the uniform probability",
)


@eil_alt.replaces
def expected_initial_loss(num_classes):
    return -math.log(1.0 / num_classes)


# ----------------------------------------------------------------------- layer_gradient_norms
_SCALES = {
    "small": lambda w: 0.01,
    "xavier": lambda w: math.sqrt(2.0 / (2 * w)),
    "he": lambda w: math.sqrt(2.0 / w),
}
_ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def _experiment(
    activation,
    depth,
    width,
    init,
    seed,
    batch,
    *,
    dtype=torch.float64,
    scales=_SCALES,
    weights_first=False,
    last_act=True,
    wrt_activations=False,
    reduce=lambda g: g.abs().mean().item(),
    step=None,
):
    g = torch.Generator().manual_seed(seed)
    s = scales[init](width)
    if weights_first:
        Ws = [torch.randn(width, width, generator=g, dtype=dtype) * s for _ in range(depth)]
        x = torch.randn(batch, width, generator=g, dtype=dtype)
    else:
        x = torch.randn(batch, width, generator=g, dtype=dtype)
        Ws = [torch.randn(width, width, generator=g, dtype=dtype) * s for _ in range(depth)]
    Ws = [W.requires_grad_() for W in Ws]
    h, hs = x, []
    for layer, W in enumerate(Ws):
        if step is not None:  # a residual layer, right or wrong: step(h, W, act)
            h = step(h, W, _ACTS[activation])
            hs.append(h)
            continue
        z = h @ W.T
        h = z if (layer == depth - 1 and not last_act) else _ACTS[activation](z)
        if wrt_activations:
            h.retain_grad()
        hs.append(h)
    loss = 0.5 * (h**2).mean()
    loss.backward()
    return [reduce(t.grad) for t in (hs if wrt_activations else Ws)]


lgn_reversed = bug(
    "lgn_last_layer_first",
    "diagnostics.layer_gradient_norms",
    "returns the list last layer first",
    hint="Backpropagation visits the layers from the last to the first; reverse "
    "the list so entry 0 belongs to W_1.",
    generic="order",
    wrong_on="ordinary",
)


@lgn_reversed.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(activation, depth, width, init, seed, batch)[::-1]


lgn_float32 = bug(
    "lgn_float32",
    "diagnostics.layer_gradient_norms",
    "draws x and the weights in the default float32",
    hint="Pass dtype=torch.float64 to every torch.randn: the experiment is specified in float64.",
    generic="precision",
    wrong_on="ordinary",
)


@lgn_float32.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(activation, depth, width, init, seed, batch, dtype=torch.float32)


lgn_he_no_gain = bug(
    "lgn_he_without_gain",
    "diagnostics.layer_gradient_norms",
    "scales He weights by sqrt(1/width), forgetting the gain 2 for ReLU",
    hint="He initialization uses std sqrt(2 / fan_in): ReLU zeroes half of its "
    "inputs and the 2 makes up for it.",
    wrong_on="ordinary",
)


@lgn_he_no_gain.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    scales = dict(_SCALES, he=lambda w: math.sqrt(1.0 / w))
    return _experiment(activation, depth, width, init, seed, batch, scales=scales)


lgn_weights_first = bug(
    "lgn_draws_weights_before_x",
    "diagnostics.layer_gradient_norms",
    "draws the weights before the input batch",
    hint="Draw x first and then W_1, ..., W_depth, all from the one generator: "
    "the order of the draws decides every number.",
    generic="order",
    wrong_on="ordinary",
)


@lgn_weights_first.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(activation, depth, width, init, seed, batch, weights_first=True)


lgn_no_last_act = bug(
    "lgn_no_activation_on_last_layer",
    "diagnostics.layer_gradient_norms",
    "leaves the last layer linear, as in a classifier's output layer",
    hint="In this experiment every layer, the last one included, is followed "
    "by the activation: h_depth = act(h_{depth-1} @ W_depth.T).",
    generic="edge",
    wrong_on="ordinary",
)


@lgn_no_last_act.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(activation, depth, width, init, seed, batch, last_act=False)


lgn_activation_grads = bug(
    "lgn_gradient_of_activations",
    "diagnostics.layer_gradient_norms",
    "measures the gradient of each layer's output h_l instead of W_l",
    hint="Report mean |dloss/dW_l|, the gradient of the weights: call "
    "torch.autograd.grad(loss, weights) or read W.grad.",
    wrong_on="ordinary",
)


@lgn_activation_grads.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(activation, depth, width, init, seed, batch, wrt_activations=True)


lgn_frobenius = bug(
    "lgn_frobenius_norm",
    "diagnostics.layer_gradient_norms",
    "returns the Frobenius norm of each gradient instead of its mean absolute value",
    hint="The contract asks for mean(|dloss/dW_l|): .abs().mean(), not .norm().",
    wrong_on="ordinary",
)


@lgn_frobenius.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(
        activation, depth, width, init, seed, batch, reduce=lambda g: g.norm().item()
    )


lgn_tensors = bug(
    "lgn_returns_tensors",
    "diagnostics.layer_gradient_norms",
    "returns 0-dim tensors (W.grad.abs().mean()) instead of Python floats",
    hint="Call .item() on each mean: the list holds one Python float per layer.",
    generic="structure",
    wrong_on="ordinary",
)


@lgn_tensors.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64):
    return _experiment(activation, depth, width, init, seed, batch, reduce=lambda g: g.abs().mean())


lgn_by_hand = alternative(
    "lgn_backprop_by_hand",
    "diagnostics.layer_gradient_norms",
    "backpropagates by hand instead of calling autograd",
)


@lgn_by_hand.replaces
def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64, residual=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=g, dtype=torch.float64)
    s = _SCALES[init](width)
    Ws = [torch.randn(width, width, generator=g, dtype=torch.float64) * s for _ in range(depth)]
    hs, ys = [x], []
    for W in Ws:
        z = hs[-1] @ W.T
        ys.append(
            torch.where(z > 0, z, 0.0)
            if activation == "relu"
            else torch.tanh(z)
            if activation == "tanh"
            else 1 / (1 + torch.exp(-z))
        )
        hs.append(hs[-1] + ys[-1] if residual else ys[-1])
    dh = hs[-1] / hs[-1].numel()
    norms = [0.0] * depth
    for layer in range(depth - 1, -1, -1):
        y = ys[layer]
        local = (
            (y > 0).double()
            if activation == "relu"
            else 1 - y * y
            if activation == "tanh"
            else y * (1 - y)
        )
        dz = dh * local
        norms[layer] = float((dz.T @ hs[layer]).abs().mean())
        dh = dz @ Ws[layer] + (dh if residual else 0.0)
    return norms


# ----------------------------------------------------- layer_gradient_norms with residuals
def _residual_variant(step):
    """layer_gradient_norms whose residual=True layers are ``step(h, W, act)``."""

    def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64, residual=False):
        return _experiment(
            activation, depth, width, init, seed, batch, step=step if residual else None
        )

    return layer_gradient_norms


lgn_skip_inside = bug(
    "lgn_skip_inside_the_activation",
    "diagnostics.layer_gradient_norms",
    "adds the skip before the activation, h_l = act(h_{l-1} + h_{l-1} @ W_l.T)",
    hint="the skip goes around the activation: h_l = h_{l-1} + act(h_{l-1} @ "
    "W_l.T), so the gradient has a path that no activation derivative "
    "shrinks.",
    wrong_on="ordinary",
)
lgn_skip_inside.replaces(_residual_variant(lambda h, W, act: act(h + h @ W.T)))

lgn_residual_ignored = bug(
    "lgn_residual_ignored",
    "diagnostics.layer_gradient_norms",
    "accepts residual=True but builds the plain stack",
    hint="with residual=True add each layer's input to its output: "
    "h_l = h_{l-1} + act(h_{l-1} @ W_l.T).",
    generic="argument",
    wrong_on="ordinary",
)
lgn_residual_ignored.replaces(_residual_variant(lambda h, W, act: act(h @ W.T)))

lgn_act_first = bug(
    "lgn_residual_activation_first",
    "diagnostics.layer_gradient_norms",
    "applies the activation before the weights in the branch, h_l = h_{l-1} + act(h_{l-1}) @ W_l.T",
    hint="the branch is the plain layer, act(h_{l-1} @ W_l.T): weights first, then the activation.",
    wrong_on="ordinary",
)
lgn_act_first.replaces(_residual_variant(lambda h, W, act: h + act(h) @ W.T))


# ------------------------------------------------------------------------- dead_relu_fraction
drf_rows = bug(
    "drf_over_samples",
    "diagnostics.dead_relu_fraction",
    "counts examples (rows) with every unit <= 0 instead of units (columns)",
    hint="A unit is a column of the (N, H) tensor: reduce with .all(dim=0) over the "
    "examples and divide by H.",
    generic="reduction",
    wrong_on="ordinary",
)


@drf_rows.replaces
def dead_relu_fraction(pre_activations):
    return (pre_activations <= 0).all(dim=1).double().mean().item()


drf_strict = bug(
    "drf_strictly_negative",
    "diagnostics.dead_relu_fraction",
    "uses < 0, so a unit stuck at exactly 0 counts as alive",
    hint="ReLU outputs 0 and passes no gradient at exactly 0 too: test <= 0.",
    generic="branch",
    wrong_on="ordinary",
    classic=True,
)


@drf_strict.replaces
def dead_relu_fraction(pre_activations):
    return (pre_activations < 0).all(dim=0).double().mean().item()


drf_entries = bug(
    "drf_fraction_of_entries",
    "diagnostics.dead_relu_fraction",
    "returns the fraction of entries <= 0 (inactive activations), not of dead units",
    hint="A unit is dead only when it is <= 0 for every example: .all(dim=0) "
    "first, then the fraction of units.",
    wrong_on="ordinary",
)


@drf_entries.replaces
def dead_relu_fraction(pre_activations):
    return (pre_activations <= 0).double().mean().item()


drf_count = bug(
    "drf_returns_count",
    "diagnostics.dead_relu_fraction",
    "returns the number of dead units instead of the fraction",
    hint="Divide the number of dead units by H, the number of columns.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@drf_count.replaces
def dead_relu_fraction(pre_activations):
    return float((pre_activations <= 0).all(dim=0).sum().item())


drf_alt = alternative(
    "drf_column_max",
    "diagnostics.dead_relu_fraction",
    "a unit is dead when its largest pre-activation is <= 0",
)


@drf_alt.replaces
def dead_relu_fraction(pre_activations):
    return float((pre_activations.amax(dim=0) <= 0).double().mean())


# ------------------------------------------------------------------------ diagnose_loss_curve
def _rules(
    t,
    v,
    *,
    order=("diverged", "spike", "lr_too_high", "stuck", "overfitting", "underfitting"),
    check_nan=True,
    recovery=True,
    rise=1.01,
    val_ref="min",
    tail=True,
    underfit_level=True,
    recover_any=True,
    trend_sign=1,
):
    """The documented rules in plain Python, with knobs for the catalogued mistakes."""
    t = [float(a) for a in t]
    v = None if v is None else [float(a) for a in v]
    n = len(t)
    k = max(1, n // 5)

    def diverged():
        bad = (
            any(not math.isfinite(a) for a in t + (v or []))
            if check_nan
            else any(math.isinf(a) for a in t + (v or []))
        )
        return bad or t[-1] > t[0]

    def spike():
        for i in range(1, n):
            if t[i] > 3 * t[i - 1]:
                back = [a <= 2 * t[i - 1] for a in t[i + 1 : i + 6]]
                if not recovery or (any(back) if recover_any else back and all(back)):
                    return True
        return False

    def lr_too_high():
        ups = sum(t[i] > rise * t[i - 1] for i in range(1, n)) / (n - 1)
        last, first = sum(t[-k:]) / k, sum(t[:k]) / k
        return ups >= 0.4 and (last > 0.5 * first if trend_sign > 0 else last < 0.5 * first)

    def stuck():
        return abs(t[-1] - t[0]) <= 0.01 * abs(t[0])

    def overfitting():
        ref = {"min": min(v), "first": v[0], "train": t[-1]}[val_ref]
        return v is not None and t[-1] < t[n - 1 - k] and v[-1] >= 1.1 * ref

    def flat(c):
        part = c[-(k + 1) :] if tail else c[: k + 1]
        return max(part) - min(part) <= 0.05 * max(part)

    def underfitting():
        return flat(t) and (v is None or flat(v)) and (t[-1] > 0.5 * t[0] or not underfit_level)

    rules = dict(
        diverged=diverged,
        spike=spike,
        lr_too_high=lr_too_high,
        stuck=stuck,
        overfitting=lambda: v is not None and overfitting(),
        underfitting=underfitting,
    )
    for name in order:
        if rules[name]():
            return name
    return "healthy"


dlc_nan = bug(
    "dlc_nan_not_detected",
    "diagnostics.diagnose_loss_curve",
    "checks only for infinities and last > first, so a NaN curve slips through",
    hint="NaN compares false with everything (nan > x is False): test "
    "math.isfinite on every value before any other rule.",
    wrong_on="edge",
)


@dlc_nan.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, check_nan=False)


dlc_no_recovery = bug(
    "dlc_spike_without_recovery",
    "diagnostics.diagnose_loss_curve",
    "calls any jump above 3x a spike without checking that the curve recovers",
    hint="A spike is a jump followed by a recovery: one of the next five losses "
    "must come back to at most twice the loss before the jump.",
    wrong_on="edge",
)


@dlc_no_recovery.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, recovery=False)


dlc_order = bug(
    "dlc_stuck_before_diverged",
    "diagnostics.diagnose_loss_curve",
    "tests 'stuck' before 'diverged'",
    hint="Apply the rules in the documented order: a curve whose last loss is above "
    "the first is 'diverged', even when it is also flat.",
    wrong_on="edge",
)


@dlc_order.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(
        train_losses,
        val_losses,
        order=("stuck", "diverged", "spike", "lr_too_high", "overfitting", "underfitting"),
    )


dlc_any_rise = bug(
    "dlc_counts_every_rise",
    "diagnostics.diagnose_loss_curve",
    "counts every tiny rise as the loss going up, so a flat noisy curve looks "
    "like a too-high learning rate",
    hint="A step only counts as going up when it rises by more than 1%: t[i] > 1.01 * t[i-1].",
    wrong_on="ordinary",
)


@dlc_any_rise.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, rise=1.0)


dlc_val_first = bug(
    "dlc_val_against_first",
    "diagnostics.diagnose_loss_curve",
    "compares the last validation loss with the first instead of its minimum",
    hint="Overfitting shows as validation rising from its lowest point: compare "
    "v[-1] with 1.1 * min(v).",
    wrong_on="ordinary",
)


@dlc_val_first.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, val_ref="first")


dlc_head = bug(
    "dlc_flat_at_the_start",
    "diagnostics.diagnose_loss_curve",
    "measures flatness over the first fifth of the curve instead of the last",
    hint="Plateaus show at the end of the run: take the last k + 1 values, c[-(k+1):].",
    wrong_on="ordinary",
)


@dlc_head.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, tail=False)


dlc_val_vs_train = bug(
    "dlc_val_against_train",
    "diagnostics.diagnose_loss_curve",
    "calls a validation loss 10% above the training loss overfitting",
    hint="A gap between validation and training loss is normal. Overfitting "
    "is validation turning back up: compare v[-1] with 1.1 * min(v), "
    "the validation curve's own minimum.",
    wrong_on="ordinary",
)


@dlc_val_vs_train.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, val_ref="train")


dlc_flat_is_underfitting = bug(
    "dlc_flat_end_is_underfitting",
    "diagnostics.diagnose_loss_curve",
    "calls any curve that flattens out at the end underfitting, even one that fell far",
    hint="Every curve flattens once it has converged; underfitting also needs the final loss "
    "to be above half the first: t[-1] > 0.5 * t[0].",
    wrong_on="ordinary",
)


@dlc_flat_is_underfitting.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, underfit_level=False)


dlc_trend_reversed = bug(
    "dlc_lr_needs_downward_trend",
    "diagnostics.diagnose_loss_curve",
    "requires a clear downward trend for lr_too_high instead of its absence",
    hint="lr_too_high is a loss that bounces without really falling: the mean of the last k "
    "losses is MORE than half the mean of the first k.",
    wrong_on="ordinary",
)


@dlc_trend_reversed.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, trend_sign=-1)


dlc_recovery_all = bug(
    "dlc_spike_recovery_all",
    "diagnostics.diagnose_loss_curve",
    "requires every one of the next five losses to come back down before calling a jump a spike",
    hint="One recovered loss is enough: a spike two steps wide is still a spike. Test whether "
    "any of t[i+1], ..., t[i+5] is at most 2 * t[i-1].",
    wrong_on="ordinary",
)


@dlc_recovery_all.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses, recover_any=False)


dlc_python = alternative(
    "dlc_plain_python",
    "diagnostics.diagnose_loss_curve",
    "the same rules in plain Python (lists and math.isfinite)",
)


@dlc_python.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    return _rules(train_losses, val_losses)


dlc_other_thresholds = alternative(
    "dlc_numpy_other_thresholds",
    "diagnostics.diagnose_loss_curve",
    "a different sound reading: numpy, recovery within 3 steps to 1.5x, flatness against the mean",
)


@dlc_other_thresholds.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    import numpy as np

    t = np.asarray([float(a) for a in train_losses])
    v = None if val_losses is None else np.asarray([float(a) for a in val_losses])
    k = max(1, t.size // 5)
    if not np.isfinite(t).all() or (v is not None and not np.isfinite(v).all()) or t[-1] > t[0]:
        return "diverged"
    ratio = t[1:] / t[:-1]
    for i in np.flatnonzero(ratio > 3) + 1:
        if (t[i + 1 : i + 4] <= 1.5 * t[i - 1]).any():
            return "spike"
    if (ratio > 1.01).mean() >= 0.4 and t[-k:].mean() > 0.5 * t[:k].mean():
        return "lr_too_high"
    if abs(t[-1] - t[0]) <= 0.01 * abs(t[0]):
        return "stuck"
    if v is not None and t[-1] < t[-1 - k] and v[-1] >= 1.1 * v.min():
        return "overfitting"

    def flat(c):
        tail = c[-(k + 1) :]
        return np.ptp(tail) <= 0.05 * tail.mean()

    if flat(t) and (v is None or flat(v)) and t[-1] > 0.5 * t[0]:
        return "underfitting"
    return "healthy"


# -- hollow: one label, whatever the curve (must score 0) -----------------------------------------
def _always(label):
    def diagnose_loss_curve(train_losses, val_losses=None):
        return label

    return diagnose_loss_curve


for _label in (
    "healthy",
    "overfitting",
    "underfitting",
    "stuck",
    "lr_too_high",
    "spike",
    "diverged",
):
    hollow(
        f"diagnostics.diagnose_loss_curve.always_{_label}",
        "diagnostics.diagnose_loss_curve",
        f"returns '{_label}' for every curve",
    ).replaces(_always(_label))


# ============================================================ alternatives in other styles
# Object style: a ReLU layer object whose forward records which units fired; the contract
# function runs the batch through it and asks the layer.
class ReLU:
    def forward(self, z):
        self.active = z > 0
        return z * self.active

    def backward(self, dy):
        return dy * self.active

    def dead_fraction(self):
        return float((~self.active.any(dim=0)).sum()) / self.active.shape[1]


dead_relu_layer_object = alternative(
    "dead_relu_layer_object",
    "diagnostics.dead_relu_fraction",
    "a ReLU layer object that records the units that fired in its forward",
)


@dead_relu_layer_object.replaces
def dead_relu_fraction(pre_activations):
    layer = ReLU()
    layer.forward(pre_activations)
    return layer.dead_fraction()


# NumPy bridged: the pre-activations come in as a tensor and the fraction goes out as a float.
dead_relu_numpy = alternative(
    "dead_relu_numpy", "diagnostics.dead_relu_fraction", "counts the dead units with NumPy"
)


@dead_relu_numpy.replaces
def dead_relu_fraction(pre_activations):
    a = pre_activations.detach().cpu().numpy()
    return float(np.all(a <= 0, axis=0).mean())
