"""Student-style bugs of diagnostics.py: the training diagnostics written with NumPy and plain
loops, each with one genuine mistake (see ``descent.catalogue.student``).
"""

import math

import numpy as np

from descent.catalogue import student

initial_loss_log10 = student(
    "initial_loss_log10",
    "diagnostics.expected_initial_loss",
    "returns log10(C) instead of the natural logarithm ln(C)",
    generic=("swapped", "factor"),
    wrong_on="ordinary",
)


@initial_loss_log10.replaces
def expected_initial_loss(num_classes):
    return math.log10(num_classes)


dead_relu_numpy_per_example = student(
    "dead_relu_numpy_per_example",
    "diagnostics.dead_relu_fraction",
    "a NumPy version that counts the examples (rows) whose units are all dead, as a fraction of "
    "the examples, instead of the units (columns) dead across every example",
    generic=("reduction", "layout"),
    wrong_on="ordinary",
)


@dead_relu_numpy_per_example.replaces
def dead_relu_fraction(pre_activations):
    a = pre_activations.detach().cpu().numpy()
    dead = np.all(a <= 0, axis=1)
    return float(dead.mean())


loss_curve_nan_only_in_train = student(
    "loss_curve_nan_only_in_train",
    "diagnostics.diagnose_loss_curve",
    "looks for NaN and infinity in the training losses only, so a diverged validation curve "
    "is missed",
    generic="branch",
    wrong_on="edge",
)


@loss_curve_nan_only_in_train.replaces
def diagnose_loss_curve(train_losses, val_losses=None):
    t = [float(v) for v in train_losses]
    v = None if val_losses is None else [float(a) for a in val_losses]
    n = len(t)
    k = max(1, n // 5)
    if any(not math.isfinite(a) for a in t) or t[-1] > t[0]:
        return "diverged"
    for i in range(1, n):
        if t[i] > 3 * t[i - 1] and any(a <= 2 * t[i - 1] for a in t[i + 1 : i + 6]):
            return "spike"
    ups = sum(t[i] > 1.01 * t[i - 1] for i in range(1, n))
    if ups >= 0.4 * (n - 1) and sum(t[-k:]) / k > 0.5 * sum(t[:k]) / k:
        return "lr_too_high"
    if abs(t[-1] - t[0]) <= 0.01 * abs(t[0]):
        return "stuck"
    if v is not None and t[-1] < t[n - 1 - k] and v[-1] >= 1.1 * min(v):
        return "overfitting"

    def flat(c):
        tail = c[-(k + 1) :]
        return max(tail) - min(tail) <= 0.05 * max(tail)

    if flat(t) and (v is None or flat(v)) and t[-1] > 0.5 * t[0]:
        return "underfitting"
    return "healthy"
