"""Catalogued variants of basics.py: gradient descent on one parameter and its regimes.

The bugs are the slips of a first gradient-descent loop (the sign of the step, the starting point
left out, a gradient computed once, one step too many) and of reading the factor 1 - 2 a lr
(the 2 forgotten, overshooting taken for convergence, strict boundaries).
"""

import numpy as np

from descent.catalogue import alternative, bug, hollow

# --------------------------------------------------------------------- gradient_descent_1d
gd_ascent = bug(
    "gd_ascent",
    "basics.gradient_descent_1d",
    "adds the step (w + lr * gradient), climbing the loss instead of descending",
    hint="The gradient points uphill: w_next = w - lr * grad_fn(w).",
    generic="sign",
    wrong_on="ordinary",
)


@gd_ascent.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    out = [w]
    for _ in range(steps):
        w = w + lr * grad_fn(w)
        out.append(w)
    return out


gd_without_start = bug(
    "gd_without_start",
    "basics.gradient_descent_1d",
    "returns only the iterates after each update, leaving out w0",
    hint="The list holds steps + 1 values and starts with float(w0).",
    generic="step",
    wrong_on="ordinary",
)


@gd_without_start.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w, out = float(w0), []
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        out.append(w)
    return out


gd_gradient_once = bug(
    "gd_gradient_once",
    "basics.gradient_descent_1d",
    "computes the gradient once, at w0, and reuses it for every step",
    hint="The gradient changes as w moves: call grad_fn(w) again at each step.",
    generic="step",
    wrong_on="ordinary",
)


@gd_gradient_once.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    g = grad_fn(w)
    out = [w]
    for _ in range(steps):
        w = w - lr * g
        out.append(w)
    return out


gd_one_step_too_many = bug(
    "gd_one_step_too_many",
    "basics.gradient_descent_1d",
    "makes steps + 1 updates (range(steps + 1))",
    hint="steps counts updates: range(steps), giving steps + 1 iterates with w0.",
    generic="step",
    wrong_on="ordinary",
)


@gd_one_step_too_many.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    out = [w]
    for _ in range(steps + 1):
        w = w - lr * grad_fn(w)
        out.append(w)
    return out


gd_stops_at_minimum = bug(
    "gd_stops_at_minimum",
    "basics.gradient_descent_1d",
    "stops early once the gradient is (nearly) 0, returning fewer than steps + 1 iterates",
    hint="steps counts updates: there is no stopping rule, and a zero "
    "gradient simply leaves w where it is.",
    generic="step",
    wrong_on="edge",
)


@gd_stops_at_minimum.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    out = [w]
    for _ in range(steps):
        g = grad_fn(w)
        if abs(g) < 1e-12:
            break
        w = w - lr * g
        out.append(w)
    return out


gd_gradient_ahead = bug(
    "gd_gradient_ahead",
    "basics.gradient_descent_1d",
    "computes the next gradient at the end of each step, so grad_fn is also "
    "called at the last iterate",
    hint="Call grad_fn once per update, on the iterate being updated: "
    "steps calls in all, none at the last iterate (a gradient can be "
    "costly, or undefined there).",
    generic="step",
    wrong_on="ordinary",
)


@gd_gradient_ahead.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    out, g = [w], grad_fn(w)
    for _ in range(steps):
        w = w - lr * g
        out.append(w)
        g = grad_fn(w)
    return out


gd_keeps_int_start = bug(
    "gd_keeps_int_start",
    "basics.gradient_descent_1d",
    "puts w0 in the list as given, so an int start stays an int",
    hint="The list starts with float(w0): every iterate is a Python float.",
    generic="structure",
    wrong_on="ordinary",
)


@gd_keeps_int_start.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    out = [w0]
    for _ in range(steps):
        out.append(out[-1] - lr * grad_fn(out[-1]))
    return out


gd_while = alternative(
    "gd_while",
    "basics.gradient_descent_1d",
    "a while loop over a step counter, appending to a pre-seeded list",
)


@gd_while.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    iterates = [float(w0)]
    while len(iterates) <= steps:
        current = iterates[-1]
        iterates.append(current - lr * grad_fn(current))
    return iterates


# ------------------------------------------------------------------------------- gd_regime
# Declared first: on overshooting rates it is also what a forgotten factor 2 gives, and it
# says only what both answers do.
regime_overshoot_converges = bug(
    "regime_overshoot_converges",
    "basics.gd_regime",
    "calls every rate with |1 - 2 a lr| < 1 'converges', overshooting ones included",
    hint="A negative factor 1 - 2 a lr means each step jumps over the minimum: that is "
    "'oscillates' even while the jumps shrink (1 < 2 a lr <= 2).",
    wrong_on="ordinary",
)


@regime_overshoot_converges.replaces
def gd_regime(a, lr):
    if a <= 0 or lr <= 0:
        raise ValueError("a and lr must both be positive")
    r = 1 - 2 * a * lr
    return "converges" if abs(r) < 1 else "oscillates" if r == -1 else "diverges"


regime_no_two = bug(
    "regime_no_two",
    "basics.gd_regime",
    "uses the factor 1 - a lr, forgetting that the derivative of a (w - c)^2 is 2 a (w - c)",
    hint="The gradient is 2 a (w - c), so a step multiplies the distance by "
    "1 - 2 a lr: compare 2 * a * lr with 1 and 2.",
    wrong_on="ordinary",
)


@regime_no_two.replaces
def gd_regime(a, lr):
    if a <= 0 or lr <= 0:
        raise ValueError("a and lr must both be positive")
    x = a * lr
    return "converges" if x <= 1 else "oscillates" if x <= 2 else "diverges"


regime_strict_boundaries = bug(
    "regime_strict_boundaries",
    "basics.gd_regime",
    "uses strict comparisons, so lr = 1 / (2a) is 'oscillates' and lr = 1 / a 'diverges'",
    hint="At 2 a lr = 1 the first step lands on the minimum "
    "(converges); at 2 a lr = 2 the iterate bounces forever "
    "(oscillates): compare with <=.",
    generic="branch",
    wrong_on="edge",
)


@regime_strict_boundaries.replaces
def gd_regime(a, lr):
    if a <= 0 or lr <= 0:
        raise ValueError("a and lr must both be positive")
    x = 2 * a * lr
    return "converges" if x < 1 else "oscillates" if x < 2 else "diverges"


regime_ignores_a = bug(
    "regime_ignores_a",
    "basics.gd_regime",
    "keeps the thresholds lr = 0.5 and lr = 1 of the a = 1 example for every curvature",
    hint="The thresholds scale with the curvature: lr = 1 / (2a) and lr = 1 / a; "
    "compare 2 * a * lr with 1 and 2.",
    generic="argument",
    wrong_on="ordinary",
)


@regime_ignores_a.replaces
def gd_regime(a, lr):
    if a <= 0 or lr <= 0:
        raise ValueError("a and lr must both be positive")
    return "converges" if lr <= 0.5 else "oscillates" if lr <= 1 else "diverges"


regime_no_validation = bug(
    "regime_no_validation",
    "basics.gd_regime",
    "answers for a <= 0 or lr <= 0 instead of refusing them",
    hint="With a <= 0 there is no minimum and with lr <= 0 no descent: raise ValueError.",
    generic="validation",
    wrong_on="edge",
)


@regime_no_validation.replaces
def gd_regime(a, lr):
    x = 2 * a * lr
    return "converges" if x <= 1 else "oscillates" if x <= 2 else "diverges"


regime_from_factor = alternative(
    "regime_from_factor", "basics.gd_regime", "classifies the factor r = 1 - 2 a lr itself"
)


@regime_from_factor.replaces
def gd_regime(a, lr):
    if not (a > 0 and lr > 0):
        raise ValueError(f"need a > 0 and lr > 0, got a={a}, lr={lr}")
    r = 1 - 2 * a * lr
    if r >= 0:
        return "converges"
    return "oscillates" if r >= -1 else "diverges"


# -- hollow: one label, whatever the rate (must score 0) ------------------------------------------
def _always(label):
    def gd_regime(a, lr):
        return label

    return gd_regime


for _label in ("converges", "oscillates", "diverges"):
    hollow(
        f"basics.gd_regime.always_{_label}",
        "basics.gd_regime",
        f"returns '{_label}' for every rate",
    ).replaces(_always(_label))


# ============================================================ alternatives in other styles
# Object style: an optimizer object holding the parameter, with a step method.
class GradientDescent:
    def __init__(self, w0, lr):
        self.w, self.lr = float(w0), lr

    def step(self, grad_fn):
        self.w = self.w - self.lr * grad_fn(self.w)
        return self.w


gd_optimizer_object = alternative(
    "gd_optimizer_object",
    "basics.gradient_descent_1d",
    "a GradientDescent object whose step method updates w",
)


@gd_optimizer_object.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    opt = GradientDescent(w0, lr)
    return [opt.w] + [float(opt.step(grad_fn)) for _ in range(steps)]


# NumPy: the iterates kept in a float64 array, handed back as Python floats.
gd_numpy = alternative(
    "gd_numpy", "basics.gradient_descent_1d", "keeps the iterates in a NumPy float64 array"
)


@gd_numpy.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = np.empty(steps + 1, dtype=np.float64)
    w[0] = w0
    for t in range(steps):
        w[t + 1] = w[t] - lr * float(grad_fn(float(w[t])))
    return [float(v) for v in w]
