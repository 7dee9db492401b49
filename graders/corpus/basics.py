"""Student-style bugs of basics.py: gradient-descent loops and regime tests as learners write
them, each with one genuine mistake (see ``descent.catalogue.student``).
"""

from descent.catalogue import student

gd_history_without_start = student(
    "gd_history_without_start",
    "basics.gradient_descent_1d",
    "appends each new iterate but never the starting point, so the list has steps items",
    generic="step",
    wrong_on="ordinary",
)


@gd_history_without_start.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    history = []
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        history.append(w)
    return history


gd_gradient_taken_once = student(
    "gd_gradient_taken_once",
    "basics.gradient_descent_1d",
    "evaluates the gradient once, at w0, before the loop and reuses it for every step",
    generic=("frozen", "step"),
    wrong_on="ordinary",
)


@gd_gradient_taken_once.replaces
def gradient_descent_1d(grad_fn, w0, lr, steps):
    w = float(w0)
    ws = [w]
    g = grad_fn(w) if steps > 0 else 0.0
    for _ in range(steps):
        w = w - lr * g
        ws.append(w)
    return ws


gd_regime_two_is_divergent = student(
    "gd_regime_two_is_divergent",
    "basics.gd_regime",
    "tests 2 * a * lr < 2 strictly for oscillation, so lr = 1 / a exactly is called divergent",
    generic="branch",
    wrong_on="edge",
)


@gd_regime_two_is_divergent.replaces
def gd_regime(a, lr):
    if a <= 0 or lr <= 0:
        raise ValueError("a and lr must be positive")
    r = 2 * a * lr
    if r <= 1:
        return "converges"
    elif r < 2:
        return "oscillates"
    else:
        return "diverges"
