"""Learning-rate schedules, written as pure functions of the step number.

Conventions for every function in this file:

* ``step`` is the number of optimizer steps already taken: 0 for the very first step, then 1, 2,
  ... The function returns the learning rate to use for that step.
* The result is a plain Python ``float`` (not a tensor, not a numpy number): use the ``math``
  module, not ``torch``, for cos and powers.
* Pure: no state and no side effects. Calling the function twice with the same arguments gives
  the same value, and steps may be asked for in any order. The plateau reducer, which must
  remember the past, takes its state as an argument and returns a new one.
* The values match PyTorch's schedulers (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``,
  ``OneCycleLR``, ``ReduceLROnPlateau``) where PyTorch has the same schedule, to about 1e-12
  relative. Not allowed here:
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


def one_cycle_lr(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                 final_div_factor=1e4, anneal="cos"):
    """The one-cycle policy (``torch.optim.lr_scheduler.OneCycleLR``, two phases): warm up from a
    small rate to ``max_lr``, then anneal far below the starting rate.

        initial = max_lr / div_factor            the rate at step 0
        final   = initial / final_div_factor     the rate at the last step, total_steps - 1
        peak    = pct_start * total_steps - 1    the step (a float) where max_lr is reached

    For ``step <= peak``: ``lr = f(initial, max_lr, step / peak)``; after it:
    ``lr = f(max_lr, final, (step - peak) / (total_steps - 1 - peak))``. The interpolation
    ``f(start, end, pct)`` for pct from 0 to 1 is

        anneal="cos":    end + (start - end) / 2 * (cos(pi * pct) + 1)
        anneal="linear": start + (end - start) * pct

    Keep ``peak`` a float (no rounding): with total_steps = 10 and pct_start = 0.25, peak = 1.5.

    Args:
        step: int, 0 <= step < total_steps.
        max_lr: the highest rate.
        total_steps: int, the number of optimizer steps of the whole run.
        pct_start: the fraction of the run spent warming up (default 0.3).
        div_factor: initial = max_lr / div_factor (default 25).
        final_div_factor: final = initial / final_div_factor (default 1e4).
        anneal: "cos" (default) or "linear".
    Returns:
        float.
    Raises:
        ValueError: for a step outside 0 .. total_steps - 1, an ``anneal`` other than "cos" or
        "linear", or unless 1 < pct_start * total_steps < total_steps (each phase needs a
        length).
    """
    raise NotImplementedError("schedules.one_cycle_lr: one_cycle_lr is not implemented yet (starter/schedules.py)")


def reduce_on_plateau_step(metric, state, factor=0.1, patience=10, threshold=1e-4, mode="min",
                           cooldown=0, min_lr=0.0, threshold_mode="rel", eps=1e-8):
    """One epoch of ``torch.optim.lr_scheduler.ReduceLROnPlateau``: cut the learning rate when the
    monitored metric has stopped improving.

    ``state`` is a dict. A fresh reducer is ``{"lr": <initial learning rate>}``; later calls pass
    the state the previous call returned, which holds four keys:

        "lr"                the current learning rate
        "best"              the best metric so far (inf at the start for mode "min", -inf for "max")
        "num_bad_epochs"    epochs in a row without improvement (0 at the start)
        "cooldown_counter"  epochs left in which bad epochs are not counted (0 at the start)

    One call, with ``metric`` the value measured this epoch, does in this order:

    1. Improvement: ``metric`` beats a bar set by ``best``, ``mode`` and ``threshold_mode``:

           threshold_mode   mode "min"                          mode "max"
           "rel"            metric < best * (1 - threshold)     metric > best * (1 + threshold)
           "abs"            metric < best - threshold           metric > best + threshold

       Every comparison is strict (a metric exactly at the bar is not an improvement), and the
       relative bars hold exactly as written for negative metrics too (with best = -1 and
       threshold = 0.1 the "min" bar is -0.9, so -0.95 counts as an improvement, as in PyTorch).
       If so, ``best = float(metric)`` and ``num_bad_epochs = 0``; otherwise
       ``num_bad_epochs += 1``.
    2. Cooldown: if ``cooldown_counter > 0``, decrease it by 1 and set ``num_bad_epochs = 0``.
    3. Reduction: if ``num_bad_epochs > patience`` (strictly more), the candidate is
       ``max(lr * factor, min_lr)``; it replaces ``lr`` only if ``lr - candidate > eps``
       (strictly: with the default eps = 1e-8 a cut of 5e-9 down to ``min_lr`` leaves ``lr``
       unchanged, and so does a cut of exactly ``eps``).
       Either way ``cooldown_counter = cooldown`` and ``num_bad_epochs = 0``.

    Never modify ``state``: build a new dict.

    Args:
        metric: the value measured this epoch (a float, or a 0-dim tensor: use ``float(metric)``).
        state: see above.
        factor: the multiplier of a reduction, < 1 (default 0.1).
        patience: the bad epochs tolerated before a reduction (default 10).
        threshold: the relative improvement that counts (default 1e-4).
        mode: "min" (lower is better, default) or "max".
        cooldown: epochs to wait after a reduction before counting bad epochs again (default 0).
        min_lr: the rate is never cut below this (default 0).
        threshold_mode: "rel" (default: the threshold is a fraction of ``best``) or "abs" (the
            threshold is an amount in the metric's own units).
        eps: the smallest cut that is applied (default 1e-8).
    Returns:
        ``(new_lr, new_state)``: a float and a new dict with the four keys above; ``lr`` and
        ``best`` are Python floats (a metric given as a 0-dim tensor is stored as its float).
    Raises:
        ValueError: for a mode other than "min" or "max", a threshold_mode other than "rel" or
        "abs", or factor >= 1.
    """
    raise NotImplementedError("schedules.reduce_on_plateau_step: reduce_on_plateau_step is not implemented yet (starter/schedules.py)")
