"""Optimizer update rules, written as pure functions of (param, grad, state).

Conventions for every function in this file:

* Call shape: ``new_param, new_state = <name>_step(param, grad, state, <hyperparameters>)``.
  ``param`` and ``grad`` are tensors of the same shape, dtype and device. ``state`` is an empty
  dict ``{}`` on the very first call; on every later call it is exactly the dict that your
  previous call returned for this parameter. Hyperparameters (including ``lr``) may change from
  one call to the next, as a learning-rate schedule would do: always use the values you are given
  now, never values remembered in the state.
* Results equal PyTorch's optimizer of the same name (``torch.optim.SGD``, ``Adagrad``,
  ``RMSprop``, ``Adam``, ``AdamW``) with the same hyperparameters, step after step. The graders
  run your function and PyTorch side by side for many steps, with a learning rate that changes
  midway, with very small gradients (so the place where ``eps`` enters matters) and with zero
  gradients, and compare in float64 with rtol=1e-7.
* State keys follow PyTorch: ``"step"`` (a plain Python ``int``: the number of steps completed,
  so 1 after the first call), ``"momentum_buffer"``, ``"sum"``, ``"square_avg"``, ``"exp_avg"``,
  ``"exp_avg_sq"``. State tensors have the parameter's shape, dtype and device. Extra keys of your
  own are allowed.
* Pure functions: return a new parameter tensor and a new state dict. Never modify ``param``,
  ``grad``, the ``state`` dict or any tensor inside it (no ``mul_``, ``add_``, ``-=`` on them, no
  ``state["step"] += 1``): the caller may still hold the old values.
* Weight decay, where a function has it, is "L2 through the gradient": ``g = grad +
  weight_decay * param`` before anything else, except in AdamW, whose decay is decoupled.
* Allowed: elementary tensor arithmetic (``sqrt``, ``*``, ``/``, ``clone``, ``zeros_like``...).
  Not allowed here: ``torch.optim`` and ``torch.autograd`` (a tensor's ``.backward()``
  included). An optimizer class of your own with a ``step`` method is fine.
"""

import torch


def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    """One step of stochastic gradient descent with optional momentum (``torch.optim.SGD``).

    With g = grad + weight_decay * param:

    * momentum == 0: ``new_param = param - lr * g`` and the state stays empty.
    * momentum != 0: a velocity buffer b is kept in ``state["momentum_buffer"]``.
      On the first step (no buffer yet) b = g exactly: dampening is *not* applied the first time.
      Afterwards b = momentum * b_old + (1 - dampening) * g.
      The direction is d = g + momentum * b when ``nesterov`` is true, else d = b.
      Then ``new_param = param - lr * d``.

    Note that ``lr`` multiplies the direction at the last moment and is not part of the buffer:
    writing the buffer as momentum * b + lr * g gives the same numbers only while lr never changes.

    Args:
        param: the parameter tensor (any shape).
        grad: its gradient, same shape.
        state: ``{}`` on the first call, then the dict returned by the previous call.
        lr: learning rate (float, required).
        momentum: momentum factor (default 0.0).
        dampening: dampening of the gradient in the buffer update (default 0.0).
        nesterov: use the Nesterov form of momentum (default False).
        weight_decay: L2 factor added to the gradient (default 0.0).
    Returns:
        ``(new_param, new_state)``. ``new_state`` holds ``"momentum_buffer"`` when
        ``momentum != 0``; with ``momentum == 0`` it may be empty.
    """
    raise NotImplementedError("optim.sgd: sgd_step is not implemented yet (starter/optim.py)")


def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    """One AdaGrad step (``torch.optim.Adagrad`` with ``lr_decay=0`` and a zero initial sum).

    With g = grad + weight_decay * param:

        s = s_old + g * g                 (s starts at zeros; kept in state["sum"])
        new_param = param - lr * g / (sqrt(s) + eps)

    ``eps`` is added *after* the square root. ``state["step"]`` counts completed steps (an int).

    Args:
        param, grad: tensors of the same shape.
        state: ``{}`` on the first call, then the dict returned by the previous call.
        lr: learning rate (default 1e-2).
        eps: added to the denominator for stability (default 1e-10).
        weight_decay: L2 factor added to the gradient (default 0.0).
    Returns:
        ``(new_param, new_state)`` with ``new_state`` holding ``"step"`` and ``"sum"``.
    """
    raise NotImplementedError("optim.adagrad: adagrad_step is not implemented yet (starter/optim.py)")


def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    """One RMSProp step (``torch.optim.RMSprop``, not centered, no momentum).

    With g = grad + weight_decay * param:

        v = alpha * v_old + (1 - alpha) * g * g     (v starts at zeros; state["square_avg"])
        new_param = param - lr * g / (sqrt(v) + eps)

    ``alpha`` is the weight on the *old* average. ``eps`` is added after the square root.

    Args:
        param, grad: tensors of the same shape.
        state: ``{}`` on the first call, then the dict returned by the previous call.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 factor added to the gradient (default 0.0).
    Returns:
        ``(new_param, new_state)`` with ``"step"`` (int) and ``"square_avg"``.
    """
    raise NotImplementedError("optim.rmsprop: rmsprop_step is not implemented yet (starter/optim.py)")


def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """One Adam step (``torch.optim.Adam``, no amsgrad).

    With t = the number of this step (1 on the first call; ``state["step"]`` holds the count of
    completed steps, so t = old step + 1) and g = grad + weight_decay * param (L2 through the
    gradient):

        m = beta1 * m_old + (1 - beta1) * g            (state["exp_avg"], starts at zeros)
        v = beta2 * v_old + (1 - beta2) * g * g        (state["exp_avg_sq"], starts at zeros)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        new_param = param - lr * m_hat / (sqrt(v_hat) + eps)

    ``eps`` is added after the square root of the bias-corrected v. Both moments are
    bias-corrected, with t counted from 1.

    Args:
        param, grad: tensors of the same shape.
        state: ``{}`` on the first call, then the dict returned by the previous call.
        lr: learning rate (default 1e-3).
        betas: ``(beta1, beta2)`` decay rates of the two moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 factor added to the gradient (default 0.0).
    Returns:
        ``(new_param, new_state)`` with ``"step"`` (int t), ``"exp_avg"`` and ``"exp_avg_sq"``.
    """
    raise NotImplementedError("optim.adam: adam_step is not implemented yet (starter/optim.py)")


def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """One AdamW step (``torch.optim.AdamW``): Adam with decoupled weight decay.

    The decay does not go through the gradient. First shrink the parameter,

        p = param * (1 - lr * weight_decay)

    (note the factor lr), then apply the Adam update of :func:`adam_step` to ``p`` with the raw
    ``grad`` (no L2 term in m and v):

        new_param = p - lr * m_hat / (sqrt(v_hat) + eps)

    The shrink comes *before* the Adam update, and the moments see ``grad`` only. With a zero
    gradient the parameter therefore shrinks by exactly (1 - lr * weight_decay) per step.

    Args:
        param, grad: tensors of the same shape.
        state: ``{}`` on the first call, then the dict returned by the previous call.
        lr: learning rate (default 1e-3).
        betas: ``(beta1, beta2)`` (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: decoupled decay factor (default 1e-2, PyTorch's AdamW default).
    Returns:
        ``(new_param, new_state)`` with ``"step"`` (int), ``"exp_avg"`` and ``"exp_avg_sq"``.
    """
    raise NotImplementedError("optim.adamw: adamw_step is not implemented yet (starter/optim.py)")
