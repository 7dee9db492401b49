"""Gradient descent from its first example: one parameter, one quadratic loss.

Conventions for every function in this file:

* Plain Python numbers in and out (``float`` results, never tensors): no ``torch`` is needed.
* Pure: nothing outside the function changes, and the same arguments give the same result.
* The update rule is w_new = w - lr * dL/dw: a step *against* the gradient, scaled by the
  learning rate ``lr``.
"""


def gradient_descent_1d(grad_fn, w0, lr, steps):
    """Plain gradient descent on one parameter; returns every iterate.

        w_0 = w0,    w_{k+1} = w_k - lr * grad_fn(w_k)    for k = 0 .. steps - 1

    Example: for the loss L(w) = (w - 3)^2, whose minimum is at w = 3, the gradient is
    grad_fn(w) = 2 (w - 3). From w0 = 0 with lr = 0.1 the gradient is -6, so w_1 = 0 - 0.1 * (-6)
    = 0.6; then the gradient is -4.8 and w_2 = 0.6 + 0.48 = 1.08, closer to 3 at every step.

    Compute each update exactly as written above (``w - lr * g``), so the iterates match the
    graders' to the last bit.

    Args:
        grad_fn: a function of one float returning dL/dw there (a float). Call it exactly once
            per step, on the current iterate, and never at the last iterate.
        w0: the starting point (int or float).
        lr: the learning rate, a positive number.
        steps: the number of updates, an int >= 0. There is no stopping rule: make all
            ``steps`` updates even once the gradient is 0 (the iterate then stays where it is).
    Returns:
        A list of ``steps + 1`` floats: ``[w_0, w_1, ..., w_steps]``, starting with ``float(w0)``.
        With ``steps = 0`` it is ``[float(w0)]``.
    """
    raise NotImplementedError("basics.gradient_descent_1d: gradient_descent_1d is not implemented yet (starter/basics.py)")


def gd_regime(a, lr):
    """How plain gradient descent behaves on L(w) = a * (w - c)^2 with learning rate ``lr``.

    The gradient is 2 a (w - c), so one step maps the distance to the minimum to

        w_{k+1} - c = (1 - 2 a lr) * (w_k - c)

    whatever c and the starting point are. The factor r = 1 - 2 a lr decides everything:

    * ``"converges"``  when 0 <= r < 1, that is 0 < lr <= 1 / (2a): every step moves towards c
      from the same side (at lr = 1 / (2a) exactly, the first step lands on c);
    * ``"oscillates"`` when -1 <= r < 0, that is 1 / (2a) < lr <= 1 / a: every step jumps over
      c to the other side; the jumps shrink for lr < 1 / a, and at lr = 1 / a the iterate bounces
      between two points forever;
    * ``"diverges"``   when r < -1, that is lr > 1 / a: every jump is longer than the last.

    Compare 2 * a * lr with 1 and 2 (not lr with 1 / (2a)), so the boundaries are exact for
    numbers such as a = 2, lr = 0.25.

    Args:
        a: the curvature, a number > 0.
        lr: the learning rate, a number > 0.
    Returns:
        One of the strings "converges", "oscillates", "diverges".
    Raises:
        ValueError: if ``a <= 0`` or ``lr <= 0``.
    """
    raise NotImplementedError("basics.gd_regime: gd_regime is not implemented yet (starter/basics.py)")
