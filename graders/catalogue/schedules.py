"""Catalogued variants of schedules.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

Sources: ../shared/research/content.md, section 3 (warmup and cosine conventions), section 4
(schedules) and 7(c) rows 73-77, plus returning a tensor and PyTorch's periodic cosine.
"""

import math

import torch

from descent.catalogue import alternative, bug


def _cosine(step, base_lr, total_steps, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2)


# ---------------------------------------------------------------------------------- step decay
step_lr_no_floor = bug(
    "step_lr_no_floor", "schedules.step_lr",
    "uses step / step_size without flooring, so the rate decays smoothly",
    hint="The exponent is the number of completed blocks: step // step_size (integer division).")


@step_lr_no_floor.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return float(base_lr * gamma ** (step / step_size))


step_lr_early_drop = bug(
    "step_lr_early_drop", "schedules.step_lr",
    "counts steps from 1, so every drop comes one step early",
    hint="Steps count from 0: steps 0 .. step_size-1 use base_lr, the first drop is at step "
         "step_size, so the exponent is step // step_size.")


@step_lr_early_drop.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return float(base_lr * gamma ** ((step + 1) // step_size))


# ---------------------------------------------------------------------------- exponential
exponential_lr_one_ahead = bug(
    "exponential_lr_one_ahead", "schedules.exponential_lr",
    "already decays at step 0 (gamma ** (step + 1))",
    hint="Step 0 uses base_lr itself: lr = base_lr * gamma ** step.")


@exponential_lr_one_ahead.replaces
def exponential_lr(step, base_lr, gamma):
    return float(base_lr * gamma ** (step + 1))


exponential_lr_tensor = bug(
    "exponential_lr_tensor", "schedules.exponential_lr",
    "computes with torch and returns a 0-dim tensor instead of a float",
    hint="Return a Python float: compute with plain Python numbers (or call .item()).")


@exponential_lr_tensor.replaces
def exponential_lr(step, base_lr, gamma):
    return base_lr * torch.tensor(gamma, dtype=torch.float64) ** step


# --------------------------------------------------------------------------------- cosine
cosine_lr_t_minus_1 = bug(
    "cosine_lr_t_minus_1", "schedules.cosine_lr",
    "divides by total_steps - 1, so the minimum is reached one step early",
    hint="The cosine argument is pi * step / total_steps: min_lr is reached at step total_steps.")


@cosine_lr_t_minus_1.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    if step >= total_steps - 1:
        return float(min_lr)
    return float(min_lr + (base_lr - min_lr)
                 * (1 + math.cos(math.pi * step / (total_steps - 1))) / 2)


cosine_lr_min_unscaled = bug(
    "cosine_lr_min_unscaled", "schedules.cosine_lr",
    "adds min_lr without taking it out of the amplitude (min_lr + base_lr*(1 + cos)/2)",
    hint="The amplitude is base_lr - min_lr, so that step 0 gives base_lr, not base_lr + min_lr.")


@cosine_lr_min_unscaled.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    step = min(step, total_steps)
    return float(min_lr + base_lr * (1 + math.cos(math.pi * step / total_steps)) / 2)


cosine_lr_periodic = bug(
    "cosine_lr_periodic", "schedules.cosine_lr",
    "keeps following the cosine after total_steps, so the rate climbs back up",
    hint="After total_steps the rate stays at min_lr: return min_lr for step >= total_steps.")


@cosine_lr_periodic.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2)


cosine_lr_tensor = bug(
    "cosine_lr_tensor", "schedules.cosine_lr",
    "uses torch.cos on a tensor and returns a 0-dim tensor instead of a float",
    hint="Return a Python float: use math.cos and math.pi (or call .item() on the result).")


@cosine_lr_tensor.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    t = torch.tensor(min(step, total_steps) / total_steps, dtype=torch.float64)
    return min_lr + (base_lr - min_lr) * (1 + torch.cos(math.pi * t)) / 2


# ------------------------------------------------------------------------- warmup + cosine
warmup_starts_at_zero = bug(
    "warmup_starts_at_zero", "schedules.warmup_cosine_lr",
    "ramps as base_lr * step / warmup_steps, so step 0 has a zero rate",
    hint="The ramp is base_lr * (step + 1) / warmup_steps: the first step is already "
         "base_lr / warmup_steps and the last warmup step reaches base_lr.")


@warmup_starts_at_zero.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * step / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


warmup_cosine_not_shifted = bug(
    "warmup_cosine_not_shifted", "schedules.warmup_cosine_lr",
    "runs the cosine on the raw step, without shifting it by the warmup",
    hint="After the warmup, call the cosine with step - warmup_steps (and total_steps - "
         "warmup_steps): the decay starts from its own step 0.")


@warmup_cosine_not_shifted.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * (step + 1) / warmup_steps)
    return _cosine(step, base_lr, total_steps, min_lr)


warmup_cosine_too_long = bug(
    "warmup_cosine_too_long", "schedules.warmup_cosine_lr",
    "shifts the step but lets the cosine last total_steps, ending warmup_steps late",
    hint="total_steps includes the warmup: the cosine lasts total_steps - warmup_steps steps.")


@warmup_cosine_too_long.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * (step + 1) / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps, min_lr)


warmup_from_min_lr = bug(
    "warmup_from_min_lr", "schedules.warmup_cosine_lr",
    "ramps from min_lr to base_lr instead of from 0",
    hint="The warmup is base_lr * (step + 1) / warmup_steps whatever min_lr is; min_lr only "
         "sets the end of the cosine.")


@warmup_from_min_lr.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(min_lr + (base_lr - min_lr) * (step + 1) / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


warmup_divides_by_zero = bug(
    "warmup_divides_by_zero", "schedules.warmup_cosine_lr",
    "computes the ramp before testing whether the step is in the warmup (0/0 without warmup)",
    hint="Test step < warmup_steps first and compute the ramp only inside the warmup; with "
         "warmup_steps = 0 the schedule is the cosine alone.")


@warmup_divides_by_zero.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    ramp = base_lr * (step + 1) / warmup_steps
    if step < warmup_steps:
        return float(ramp)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


# --------------------------------------------------------------------------- alternatives
cosine_lr_half_angle = alternative(
    "cosine_lr_half_angle", "schedules.cosine_lr",
    "uses (1 + cos x)/2 = cos(x/2)^2 and clamps the step to total_steps")


@cosine_lr_half_angle.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    progress = min(step, total_steps) / total_steps
    return min_lr + (base_lr - min_lr) * math.cos(math.pi * progress / 2) ** 2


step_lr_loop = alternative(
    "step_lr_loop", "schedules.step_lr", "multiplies by gamma once per completed block in a loop")


@step_lr_loop.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    lr = float(base_lr)
    for _ in range(step // step_size):
        lr *= gamma
    return lr


exponential_lr_exp_log = alternative(
    "exponential_lr_exp_log", "schedules.exponential_lr", "computes exp(log(base_lr) + "
    "step * log(gamma))")


@exponential_lr_exp_log.replaces
def exponential_lr(step, base_lr, gamma):
    return math.exp(math.log(base_lr) + step * math.log(gamma))


warmup_cosine_inline = alternative(
    "warmup_cosine_inline", "schedules.warmup_cosine_lr",
    "writes the cosine phase inline with a progress fraction clamped to [0, 1]")


@warmup_cosine_inline.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return (step + 1) / warmup_steps * base_lr
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))
