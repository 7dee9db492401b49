"""Learning-rate schedules, written as pure functions of the step number.

Conventions for every function in this file:

* ``step`` is the number of optimizer steps already taken: 0 for the very first step, then 1, 2,
  ... The function returns the learning rate to use for that step.
* The result is a plain Python ``float`` (not a tensor, not a numpy number): use the ``math``
  module, not ``torch``, for cos and powers.
* Pure: no state and no side effects. Calling the function twice with the same arguments gives
  the same value, and steps may be asked for in any order.
* The values match PyTorch's schedulers (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``) where
  PyTorch has the same schedule, to about 1e-12 relative. Not allowed here:
  ``torch.optim.lr_scheduler``.
"""

import math


def step_lr(step, base_lr, step_size, gamma=0.1):
    """Step decay (``torch.optim.lr_scheduler.StepLR``): multiply by ``gamma`` every ``step_size``.

        lr = base_lr * gamma ** floor(step / step_size)

    The rate stays constant for ``step_size`` steps, then drops at once: steps 0 .. step_size-1
    use ``base_lr``, step ``step_size`` uses ``base_lr * gamma``. Use integer division (``//``);
    a fractional exponent would decay smoothly instead of in steps.

    Args:
        step: int >= 0.
        base_lr: the initial learning rate.
        step_size: int >= 1, the number of steps between two drops.
        gamma: the factor applied at each drop (default 0.1).
    Returns:
        float.
    """
    raise NotImplementedError("schedules.step_lr: step_lr is not implemented yet (starter/schedules.py)")


def exponential_lr(step, base_lr, gamma):
    """Exponential decay (``torch.optim.lr_scheduler.ExponentialLR``): lr = base_lr * gamma ** step.

    Step 0 uses ``base_lr`` itself; every step multiplies by ``gamma``.

    Args:
        step: int >= 0.
        base_lr: the initial learning rate.
        gamma: the factor per step.
    Returns:
        float.
    """
    raise NotImplementedError("schedules.exponential_lr: exponential_lr is not implemented yet (starter/schedules.py)")


def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    """Cosine annealing from ``base_lr`` down to ``min_lr`` over ``total_steps`` steps.

    For 0 <= step <= total_steps (PyTorch ``CosineAnnealingLR`` with ``T_max = total_steps`` and
    ``eta_min = min_lr``, closed form):

        lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * step / total_steps)) / 2

    so step 0 gives ``base_lr`` and step ``total_steps`` gives exactly ``min_lr`` (divide by
    ``total_steps``, not ``total_steps - 1``). The amplitude is ``base_lr - min_lr``: with
    ``min_lr > 0`` the curve still starts at ``base_lr``.

    Past the end (step > total_steps) the rate stays at ``min_lr``. This differs from PyTorch,
    whose scheduler would climb back up along the cosine.

    Args:
        step: int >= 0.
        base_lr: the rate at step 0.
        total_steps: int >= 1, the length of the decay.
        min_lr: the final rate (default 0.0).
    Returns:
        float.
    """
    raise NotImplementedError("schedules.cosine_lr: cosine_lr is not implemented yet (starter/schedules.py)")


def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """Linear warmup for ``warmup_steps`` steps, then cosine annealing until ``total_steps``.

    * Warmup, while step < warmup_steps: ``lr = base_lr * (step + 1) / warmup_steps``. The first
      step already has a nonzero rate (base_lr / warmup_steps) and the last warmup step
      (step = warmup_steps - 1) reaches ``base_lr``.
    * After it: ``lr = cosine_lr(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)``.
      The cosine starts again from its own step 0 (so step = warmup_steps also uses ``base_lr``)
      and lasts ``total_steps - warmup_steps`` steps: it reaches ``min_lr`` at step
      ``total_steps`` and stays there after.

    With ``warmup_steps == 0`` this is :func:`cosine_lr` itself. The total count includes the
    warmup.

    Args:
        step: int >= 0.
        base_lr: the peak rate.
        warmup_steps: int >= 0, the length of the warmup.
        total_steps: int > warmup_steps, warmup included.
        min_lr: the final rate (default 0.0). The warmup ramps from 0 towards ``base_lr``
            whatever ``min_lr`` is.
    Returns:
        float.
    """
    raise NotImplementedError("schedules.warmup_cosine_lr: warmup_cosine_lr is not implemented yet (starter/schedules.py)")
