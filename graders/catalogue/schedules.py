"""Catalogued variants of schedules.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

The bugs are the usual off-by-ones of warmup and cosine schedules (where warmup ends, whether the
last step reaches the minimum), plus returning a tensor and PyTorch's periodic cosine.
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug, hollow


def _cosine(step, base_lr, total_steps, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2)


# ---------------------------------------------------------------------------------- step decay
step_lr_no_floor = bug(
    "step_lr_no_floor",
    "schedules.step_lr",
    "uses step / step_size without flooring, so the rate decays smoothly",
    hint="The exponent is the number of completed blocks: step // step_size (integer division).",
    generic="step",
    wrong_on="ordinary",
)


@step_lr_no_floor.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return float(base_lr * gamma ** (step / step_size))


step_lr_early_drop = bug(
    "step_lr_early_drop",
    "schedules.step_lr",
    "counts steps from 1, so every drop comes one step early",
    hint="Steps count from 0: steps 0 .. step_size-1 use base_lr, the first drop is at step "
    "step_size, so the exponent is step // step_size.",
    generic="step",
    wrong_on="ordinary",
)


@step_lr_early_drop.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return float(base_lr * gamma ** ((step + 1) // step_size))


step_lr_float32 = bug(
    "step_lr_float32",
    "schedules.step_lr",
    "computes the rate in float32 (a NumPy or torch float32), which rounds it",
    hint="Compute with Python floats and return a Python float: float32 keeps about 7 digits, "
    "so 0.3 becomes 0.300000012.",
    generic="precision",
    wrong_on="ordinary",
    classic=True,
)


@step_lr_float32.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return np.float32(base_lr * gamma ** (step // step_size))


step_lr_numpy_float = bug(
    "step_lr_numpy_float",
    "schedules.step_lr",
    "computes the decay with np.power and returns the numpy.float64 it gives",
    hint="Return a plain Python float: use ** on Python numbers, or float(...) around a NumPy "
    "result (a numpy.float64 is not a Python float).",
    generic="structure",
    wrong_on="ordinary",
)


@step_lr_numpy_float.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    return base_lr * np.power(gamma, step // step_size)


# ---------------------------------------------------------------------------- exponential
exponential_lr_one_ahead = bug(
    "exponential_lr_one_ahead",
    "schedules.exponential_lr",
    "already decays at step 0 (gamma ** (step + 1))",
    hint="Step 0 uses base_lr itself: lr = base_lr * gamma ** step.",
    generic=("step", "factor"),
    wrong_on="ordinary",
)


@exponential_lr_one_ahead.replaces
def exponential_lr(step, base_lr, gamma):
    return float(base_lr * gamma ** (step + 1))


exponential_lr_tensor = bug(
    "exponential_lr_tensor",
    "schedules.exponential_lr",
    "computes with torch and returns a 0-dim tensor instead of a float",
    hint="Return a Python float: compute with plain Python numbers (or call .item()).",
    generic="structure",
    wrong_on="ordinary",
)


@exponential_lr_tensor.replaces
def exponential_lr(step, base_lr, gamma):
    return base_lr * torch.tensor(gamma, dtype=torch.float64) ** step


# --------------------------------------------------------------------------------- cosine
cosine_lr_t_minus_1 = bug(
    "cosine_lr_t_minus_1",
    "schedules.cosine_lr",
    "divides by total_steps - 1, so the minimum is reached one step early",
    hint="The cosine argument is pi * step / total_steps: min_lr is reached at step total_steps.",
    generic="step",
    wrong_on="ordinary",
)


@cosine_lr_t_minus_1.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    if step >= total_steps - 1:
        return float(min_lr)
    return float(
        min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / (total_steps - 1))) / 2
    )


cosine_lr_min_unscaled = bug(
    "cosine_lr_min_unscaled",
    "schedules.cosine_lr",
    "adds min_lr without taking it out of the amplitude (min_lr + base_lr*(1 + cos)/2)",
    hint="The amplitude is base_lr - min_lr, so that step 0 gives base_lr, not base_lr + min_lr.",
    generic="argument",
    wrong_on="ordinary",
)


@cosine_lr_min_unscaled.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    step = min(step, total_steps)
    return float(min_lr + base_lr * (1 + math.cos(math.pi * step / total_steps)) / 2)


cosine_lr_periodic = bug(
    "cosine_lr_periodic",
    "schedules.cosine_lr",
    "keeps following the cosine after total_steps, so the rate climbs back up",
    hint="After total_steps the rate stays at min_lr: return min_lr for step >= total_steps.",
    generic="branch",
    wrong_on="edge",
)


@cosine_lr_periodic.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2)


cosine_lr_tensor = bug(
    "cosine_lr_tensor",
    "schedules.cosine_lr",
    "uses torch.cos on a tensor and returns a 0-dim tensor instead of a float",
    hint="Return a Python float: use math.cos and math.pi (or call .item() on the result).",
    generic="structure",
    wrong_on="ordinary",
)


@cosine_lr_tensor.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    t = torch.tensor(min(step, total_steps) / total_steps, dtype=torch.float64)
    return min_lr + (base_lr - min_lr) * (1 + torch.cos(math.pi * t)) / 2


# ------------------------------------------------------------------------- warmup + cosine
warmup_starts_at_zero = bug(
    "warmup_starts_at_zero",
    "schedules.warmup_cosine_lr",
    "ramps as base_lr * step / warmup_steps, so step 0 has a zero rate",
    hint="The ramp is base_lr * (step + 1) / warmup_steps: the first step is already "
    "base_lr / warmup_steps and the last warmup step reaches base_lr.",
    generic="step",
    wrong_on="ordinary",
)


@warmup_starts_at_zero.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * step / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


warmup_cosine_not_shifted = bug(
    "warmup_cosine_not_shifted",
    "schedules.warmup_cosine_lr",
    "runs the cosine on the raw step, without shifting it by the warmup",
    hint="After the warmup, call the cosine with step - warmup_steps (and total_steps - "
    "warmup_steps): the decay starts from its own step 0.",
    generic="argument",
    wrong_on="ordinary",
)


@warmup_cosine_not_shifted.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * (step + 1) / warmup_steps)
    return _cosine(step, base_lr, total_steps, min_lr)


warmup_cosine_too_long = bug(
    "warmup_cosine_too_long",
    "schedules.warmup_cosine_lr",
    "shifts the step but lets the cosine last total_steps, ending warmup_steps late",
    hint="total_steps includes the warmup: the cosine lasts total_steps - warmup_steps steps.",
    generic="argument",
    wrong_on="ordinary",
)


@warmup_cosine_too_long.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(base_lr * (step + 1) / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps, min_lr)


warmup_from_min_lr = bug(
    "warmup_from_min_lr",
    "schedules.warmup_cosine_lr",
    "ramps from min_lr to base_lr instead of from 0",
    hint="The warmup is base_lr * (step + 1) / warmup_steps whatever min_lr is; min_lr only "
    "sets the end of the cosine.",
    wrong_on="ordinary",
)


@warmup_from_min_lr.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float(min_lr + (base_lr - min_lr) * (step + 1) / warmup_steps)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


warmup_divides_by_zero = bug(
    "warmup_divides_by_zero",
    "schedules.warmup_cosine_lr",
    "computes the ramp before testing whether the step is in the warmup (0/0 without warmup)",
    hint="Test step < warmup_steps first and compute the ramp only inside the warmup; with "
    "warmup_steps = 0 the schedule is the cosine alone.",
    generic="stability",
    wrong_on="edge",
)


@warmup_divides_by_zero.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    ramp = base_lr * (step + 1) / warmup_steps
    if step < warmup_steps:
        return float(ramp)
    return _cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


# --------------------------------------------------------------------------- alternatives
cosine_lr_half_angle = alternative(
    "cosine_lr_half_angle",
    "schedules.cosine_lr",
    "uses (1 + cos x)/2 = cos(x/2)^2 and clamps the step to total_steps",
)


@cosine_lr_half_angle.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    progress = min(step, total_steps) / total_steps
    return min_lr + (base_lr - min_lr) * math.cos(math.pi * progress / 2) ** 2


step_lr_loop = alternative(
    "step_lr_loop", "schedules.step_lr", "multiplies by gamma once per completed block in a loop"
)


@step_lr_loop.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    lr = float(base_lr)
    for _ in range(step // step_size):
        lr *= gamma
    return lr


exponential_lr_exp_log = alternative(
    "exponential_lr_exp_log",
    "schedules.exponential_lr",
    "computes exp(log(base_lr) + step * log(gamma))",
)


@exponential_lr_exp_log.replaces
def exponential_lr(step, base_lr, gamma):
    return math.exp(math.log(base_lr) + step * math.log(gamma))


warmup_cosine_inline = alternative(
    "warmup_cosine_inline",
    "schedules.warmup_cosine_lr",
    "writes the cosine phase inline with a progress fraction clamped to [0, 1]",
)


@warmup_cosine_inline.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return (step + 1) / warmup_steps * base_lr
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


# ------------------------------------------------------------------------------- one_cycle_lr
def _one_cycle(
    step,
    max_lr,
    total_steps,
    pct_start,
    div_factor,
    final_div_factor,
    anneal,
    *,
    peak_shift=1.0,
    final_from_max=False,
    cos_reversed=False,
    as_tensor=False,
    peak_rounded=False,
    ends_late=False,
    empty_warmup_allowed=False,
    no_upper_check=False,
):
    """The one-cycle rate with one mistake switched on (argument checks as the reference)."""
    if anneal not in ("cos", "linear") or not 0 <= step < total_steps:
        raise ValueError("bad arguments")
    peak = (
        float(round(pct_start * total_steps) if peak_rounded else pct_start * total_steps)
        - peak_shift
    )
    if peak < 0 if empty_warmup_allowed else peak <= 0:
        raise ValueError("bad pct_start")
    if peak >= total_steps - 1 and not no_upper_check:
        raise ValueError("bad pct_start")
    initial = max_lr / div_factor
    final = (max_lr if final_from_max else initial) / final_div_factor
    last = total_steps if ends_late else total_steps - 1
    if step <= peak:
        start, end, pct = initial, max_lr, step / peak
    else:
        start, end, pct = max_lr, final, (step - peak) / (last - peak)
    if anneal == "linear":
        return float((end - start) * pct + start)
    if as_tensor:
        return end + (start - end) / 2.0 * (torch.cos(torch.tensor(math.pi * pct)) + 1)
    if cos_reversed:
        return float(start + (end - start) / 2.0 * (math.cos(math.pi * pct) + 1))
    return float(end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1))


def _one_cycle_bug(id, title, hint, generic=(), wrong_on="", default_anneal="cos", **mistake):
    variant = bug(
        id, "schedules.one_cycle_lr", title, hint=hint, generic=generic, wrong_on=wrong_on
    )

    def one_cycle_lr(
        step,
        max_lr,
        total_steps,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal=default_anneal,
    ):
        return _one_cycle(
            step, max_lr, total_steps, pct_start, div_factor, final_div_factor, anneal, **mistake
        )

    variant.replaces(one_cycle_lr)
    return variant


_one_cycle_bug(
    "one_cycle_peak_one_late",
    "puts the peak at pct_start * total_steps, one step late",
    "Steps count from 0: the warmup's last step is pct_start * total_steps - 1.",
    peak_shift=0.0,
    generic=("step", "validation"),
    wrong_on="ordinary",
)
_one_cycle_bug(
    "one_cycle_final_from_max",
    "divides max_lr (not the initial rate) by final_div_factor for the last rate",
    "final = (max_lr / div_factor) / final_div_factor: the end lies far below the start.",
    final_from_max=True,
    generic="argument",
    wrong_on="ordinary",
)
_one_cycle_bug(
    "one_cycle_cos_reversed",
    "swaps start and end in the cosine, so each phase runs backwards",
    "At pct = 0 the cosine term is 2, giving end + (start - end) = start: "
    "write end + (start - end) / 2 * (cos(pi pct) + 1).",
    cos_reversed=True,
    generic="sign",
    wrong_on="ordinary",
)

_one_cycle_bug(
    "one_cycle_tensor",
    "computes the cosine with torch.cos and returns a 0-dim tensor",
    "Schedules return Python floats: use math.cos.",
    as_tensor=True,
    generic=("structure", "precision"),
    wrong_on="ordinary",
)

_one_cycle_bug(
    "one_cycle_peak_rounded",
    "rounds pct_start * total_steps to a whole step before subtracting 1",
    "Keep the peak a float: with total_steps = 10 and pct_start = "
    "0.25 it is 1.5, between two steps.",
    peak_rounded=True,
    wrong_on="ordinary",
)
_one_cycle_bug(
    "one_cycle_ends_late",
    "anneals over total_steps - peak steps, so the last step has not yet reached the final rate",
    "The second phase ends at the last step, "
    "total_steps - 1: pct = (step - peak) / (total_steps - 1 - peak).",
    ends_late=True,
    generic="step",
    wrong_on="ordinary",
)
_one_cycle_bug(
    "one_cycle_default_linear",
    "anneals linearly unless told otherwise (the default anneal is 'cos')",
    "Keep the defaults of the signature, PyTorch's: anneal='cos', "
    "pct_start=0.3, div_factor=25, final_div_factor=1e4.",
    default_anneal="linear",
    generic="argument",
    wrong_on="ordinary",
)
_one_cycle_bug(
    "one_cycle_one_step_warmup",
    "accepts pct_start * total_steps == 1, a warmup that ends at step 0, and then divides 0 by 0",
    "Refuse unless 1 < pct_start * "
    "total_steps: the warmup's last step, pct_start * total_steps - 1, must be after "
    "step 0.",
    empty_warmup_allowed=True,
    generic="validation",
    wrong_on="edge",
)
_one_cycle_bug(
    "one_cycle_no_upper_check",
    "accepts pct_start * total_steps >= total_steps, a run with no annealing phase",
    "Refuse unless pct_start * total_steps < "
    "total_steps: the annealing phase needs at least a step.",
    no_upper_check=True,
    generic="validation",
    wrong_on="edge",
)

one_cycle_phases = alternative(
    "one_cycle_phases",
    "schedules.one_cycle_lr",
    "walks a list of (end step, start rate, end rate) phases, as PyTorch does",
)


@one_cycle_phases.replaces
def one_cycle_lr(
    step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal="cos"
):
    shapes = {
        "cos": lambda a, b, t: b + (a - b) / 2.0 * (math.cos(math.pi * t) + 1),
        "linear": lambda a, b, t: (b - a) * t + a,
    }
    if anneal not in shapes or step < 0 or step >= total_steps:
        raise ValueError("bad arguments")
    initial = max_lr / div_factor
    phases = [
        (float(pct_start * total_steps) - 1, initial, max_lr),
        (total_steps - 1, max_lr, initial / final_div_factor),
    ]
    if not 0 < phases[0][0] < total_steps - 1:
        raise ValueError("bad pct_start")
    begin = 0.0
    for end, a, b in phases:
        if step <= end:
            return float(shapes[anneal](a, b, (step - begin) / (end - begin)))
        begin = end
    raise AssertionError("unreachable")


# --------------------------------------------------------------------- reduce_on_plateau_step
def _plateau(
    metric,
    state,
    factor,
    patience,
    threshold,
    mode,
    cooldown,
    min_lr,
    threshold_mode,
    eps,
    *,
    at_patience=False,
    absolute=False,
    no_reset=False,
    cooldown_counts=False,
    in_place=False,
    share_of_abs_best=False,
    inclusive=False,
    no_eps=False,
    rel_only=False,
    abs_max_minus=False,
    abs_min_plus=False,
    fixed_eps=False,
    eps_inclusive=False,
    keeps_tensor=False,
    no_validation=False,
    resets_only_on_cut=False,
):
    """One reducer epoch with one mistake switched on."""
    bad_arguments = (
        mode not in ("min", "max") or threshold_mode not in ("rel", "abs") or factor >= 1.0
    )
    if bad_arguments and not no_validation:
        raise ValueError("bad arguments")
    lr = float(state["lr"])
    best = state.get("best", math.inf if mode == "min" else -math.inf)
    bad, cooling = state.get("num_bad_epochs", 0), state.get("cooldown_counter", 0)
    current = metric if keeps_tensor else float(metric)
    if threshold_mode == "abs" and not rel_only:
        up = -threshold if abs_max_minus else threshold
        down = -threshold if abs_min_plus else threshold
        better = current < best - down if mode == "min" else current > best + up
    elif absolute:
        better = current < best - threshold if mode == "min" else current > best + threshold
    elif share_of_abs_best:
        margin = threshold * abs(best)
        better = current < best - margin if mode == "min" else current > best + margin
    elif inclusive and mode in inclusive:
        better = (
            current <= best * (1 - threshold)
            if mode == "min"
            else current >= best * (1 + threshold)
        )
    else:
        better = (
            current < best * (1 - threshold) if mode == "min" else current > best * (1 + threshold)
        )
    best, bad = (current, 0) if better else (best, bad + 1)
    if cooling > 0:
        cooling -= 1
        bad = bad if cooldown_counts else 0
    if bad >= patience if at_patience else bad > patience:
        candidate = max(lr * factor, min_lr)
        least = 0.0 if no_eps else 1e-8 if fixed_eps else eps
        if lr - candidate > least or (eps_inclusive and lr - candidate == least):
            lr = candidate
        elif resets_only_on_cut:
            candidate = None
        if candidate is not None:
            cooling, bad = cooldown, bad if no_reset else 0
    new = {"lr": lr, "best": best, "num_bad_epochs": bad, "cooldown_counter": cooling}
    if in_place:
        state.update(new)
        return lr, state
    return lr, new


def _plateau_bug(id, title, hint, generic=(), wrong_on="", **mistake):
    variant = bug(
        id, "schedules.reduce_on_plateau_step", title, hint=hint, generic=generic, wrong_on=wrong_on
    )

    def reduce_on_plateau_step(
        metric,
        state,
        factor=0.1,
        patience=10,
        threshold=1e-4,
        mode="min",
        cooldown=0,
        min_lr=0.0,
        threshold_mode="rel",
        eps=1e-8,
    ):
        return _plateau(
            metric,
            state,
            factor,
            patience,
            threshold,
            mode,
            cooldown,
            min_lr,
            threshold_mode,
            eps,
            **mistake,
        )

    variant.replaces(reduce_on_plateau_step)
    return variant


_plateau_bug(
    "plateau_at_patience",
    "reduces once num_bad_epochs reaches patience, one epoch early",
    "Reduce only when num_bad_epochs > patience: patience bad epochs are tolerated.",
    at_patience=True,
    generic=("step", "branch"),
    wrong_on="ordinary",
)
_plateau_bug(
    "plateau_absolute_threshold",
    "counts an improvement when the metric beats best by threshold in absolute terms",
    "The default threshold is relative: metric < best * (1 - threshold) for mode 'min'.",
    absolute=True,
    generic=("step", "argument"),
    wrong_on="ordinary",
)
_plateau_bug(
    "plateau_no_reset",
    "keeps num_bad_epochs after a reduction, so the rate keeps falling every epoch",
    "After a reduction set num_bad_epochs = 0 (and start the cooldown).",
    no_reset=True,
    generic="step",
    wrong_on="ordinary",
)
_plateau_bug(
    "plateau_cooldown_counts",
    "counts bad epochs during the cooldown",
    "While cooldown_counter > 0, decrease it and set num_bad_epochs = 0.",
    cooldown_counts=True,
    generic="step",
    wrong_on="edge",
)

_plateau_bug(
    "plateau_edits_state",
    "updates the state dict it was given and returns it",
    "Build a new dict: the caller may keep the old state (to compare, or to retry an epoch).",
    in_place=True,
    generic="inplace",
    wrong_on="ordinary",
)

_plateau_bug(
    "plateau_share_of_abs_best",
    "asks for an improvement of threshold * |best| below "
    "best, which differs from PyTorch's best * (1 - threshold) when best is negative",
    "Compare with best * (1 - threshold) as written: for a negative best that bar lies "
    "above best, as in PyTorch.",
    share_of_abs_best=True,
    wrong_on="ordinary",
)
# Declared before plateau_inclusive_threshold, which gives the same rates in mode 'max'.
_plateau_bug(
    "plateau_max_inclusive",
    "writes the 'max' test with >=, so a metric exactly at "
    "best * (1 + threshold) counts as an improvement",
    "Both modes compare strictly: metric > best * (1 + threshold) for mode 'max'.",
    inclusive=("max",),
    generic="branch",
    wrong_on="edge",
)
# Declared before plateau_rel_only, which gives the same rates in mode 'max'.
_plateau_bug(
    "plateau_abs_max_minus",
    "uses best - threshold as the 'abs' bar in mode 'max' too, "
    "so a slightly worse metric counts as an improvement",
    "In mode 'max' the metric must rise above best + threshold.",
    abs_max_minus=True,
    wrong_on="edge",
)
_plateau_bug(
    "plateau_abs_min_plus",
    "uses best + threshold as the 'abs' bar in mode 'min' too, "
    "so a slightly worse metric counts as an improvement",
    "In mode 'min' the metric must fall below best - threshold.",
    abs_min_plus=True,
    wrong_on="edge",
)
_plateau_bug(
    "plateau_inclusive_threshold",
    "counts a metric exactly at best * (1 - threshold) as an improvement (<= for <)",
    "The improvement is strict: metric < best * (1 - threshold).",
    inclusive=("min", "max"),
    generic="branch",
    wrong_on="edge",
)
# Declared before plateau_no_eps: on a cut of exactly eps both apply it, and this title holds
# for both (a margin of 0 is a fixed margin too).
_plateau_bug(
    "plateau_fixed_eps",
    "compares the cut with a fixed margin (1e-8) instead of the eps argument",
    "Compare the cut with the eps passed in (1e-8 is only its default).",
    fixed_eps=True,
    generic=("argument", "branch"),
    wrong_on="edge",
)
_plateau_bug(
    "plateau_no_eps",
    "applies every cut, even one smaller than 1e-8 (at min_lr)",
    "Keep the rate unless the candidate max(lr * factor, min_lr) is lower by more than 1e-8.",
    no_eps=True,
    generic=("branch", "argument", "eps"),
    wrong_on="edge",
)

_plateau_bug(
    "plateau_rel_only",
    "ignores threshold_mode and always asks for a relative improvement",
    "With threshold_mode='abs' the bar is best - threshold ('min') or "
    "best + threshold ('max'), in the metric's own units.",
    rel_only=True,
    generic="argument",
    wrong_on="edge",
)
_plateau_bug(
    "plateau_eps_inclusive",
    "applies a cut of exactly eps (>= for >)",
    "Keep the rate unless it falls by more than eps: lr - candidate > eps, strictly.",
    eps_inclusive=True,
    generic="branch",
    wrong_on="edge",
)
_plateau_bug(
    "plateau_keeps_tensor",
    "stores a 0-dim tensor metric itself as best instead of float(metric)",
    "Read the metric with float(metric): the state holds Python floats.",
    keeps_tensor=True,
    generic="structure",
    wrong_on="edge",
)
_plateau_bug(
    "plateau_resets_only_on_cut",
    "restarts the cooldown and clears the bad epochs only "
    "when the rate was actually lowered, not when the cut stopped at min_lr",
    "Once num_bad_epochs > patience, set cooldown_counter = cooldown and "
    "num_bad_epochs = 0 whether or not the candidate rate was applied.",
    resets_only_on_cut=True,
    wrong_on="edge",
)
_plateau_bug(
    "plateau_no_validation",
    "accepts an unknown mode or threshold_mode (running another rule) and a factor >= 1",
    "Refuse what PyTorch refuses with ValueError: "
    "mode 'min' or 'max', threshold_mode 'rel' or 'abs', factor < 1.",
    no_validation=True,
    generic="validation",
    wrong_on="edge",
)

plateau_counter_first = alternative(
    "plateau_counter_first",
    "schedules.reduce_on_plateau_step",
    "copies the state first and updates the copy field by field",
)


@plateau_counter_first.replaces
def reduce_on_plateau_step(
    metric,
    state,
    factor=0.1,
    patience=10,
    threshold=1e-4,
    mode="min",
    cooldown=0,
    min_lr=0.0,
    threshold_mode="rel",
    eps=1e-8,
):
    if mode not in ("min", "max") or threshold_mode not in ("rel", "abs") or factor >= 1.0:
        raise ValueError("bad arguments")
    worst = math.inf if mode == "min" else -math.inf
    new = {
        "lr": float(state["lr"]),
        "best": state.get("best", worst),
        "num_bad_epochs": state.get("num_bad_epochs", 0),
        "cooldown_counter": state.get("cooldown_counter", 0),
    }
    value = float(metric)
    sign = 1 if mode == "min" else -1
    bar = (
        sign * new["best"] * (1 - sign * threshold)
        if threshold_mode == "rel"
        else sign * new["best"] - threshold
    )
    if sign * value < bar:
        new["best"], new["num_bad_epochs"] = value, 0
    else:
        new["num_bad_epochs"] += 1
    if new["cooldown_counter"] > 0:
        new["cooldown_counter"] -= 1
        new["num_bad_epochs"] = 0
    if new["num_bad_epochs"] > patience:
        lowered = max(new["lr"] * factor, min_lr)
        if new["lr"] - lowered > eps:
            new["lr"] = lowered
        new["cooldown_counter"], new["num_bad_epochs"] = cooldown, 0
    return new["lr"], new


# -- hollow: a reducer that never reduces (must score 0) ------------------------------------------
@hollow(
    "schedules.reduce_on_plateau_step.never",
    "schedules.reduce_on_plateau_step",
    "hands back the rate and the state it was given",
).replaces
def reduce_on_plateau_step(
    metric,
    state,
    factor=0.1,
    patience=10,
    threshold=1e-4,
    mode="min",
    cooldown=0,
    min_lr=0.0,
    threshold_mode="rel",
    eps=1e-8,
):
    return float(state["lr"]), state


plateau_torch_style = alternative(
    "plateau_torch_style",
    "schedules.reduce_on_plateau_step",
    "follows torch.optim's own structure: an is_better helper "
    "with rel_epsilon = 1 - threshold, a separate cooldown test, "
    "and an eps comparison of old and new rate",
)


@plateau_torch_style.replaces
def reduce_on_plateau_step(
    metric,
    state,
    factor=0.1,
    patience=10,
    threshold=1e-4,
    mode="min",
    cooldown=0,
    min_lr=0.0,
    threshold_mode="rel",
    eps=1e-8,
):
    if mode not in ("min", "max") or threshold_mode not in ("rel", "abs") or factor >= 1.0:
        raise ValueError("bad arguments")

    def is_better(a, best):
        if threshold_mode == "abs":
            return a < best - threshold if mode == "min" else a > best + threshold
        return a < best * (1.0 - threshold) if mode == "min" else a > best * (threshold + 1.0)

    best = state.get("best", math.inf if mode == "min" else -math.inf)
    bad, cooling = state.get("num_bad_epochs", 0), state.get("cooldown_counter", 0)
    old_lr = new_lr = float(state["lr"])
    current = float(metric)
    if is_better(current, best):
        best, bad = current, 0
    else:
        bad += 1
    in_cooldown = cooling > 0
    if in_cooldown:
        cooling -= 1
        bad = 0
    if bad > patience:
        lowered = max(old_lr * factor, min_lr)
        new_lr = lowered if old_lr - lowered > eps else old_lr
        cooling, bad = cooldown, 0
    return new_lr, dict(lr=new_lr, best=best, num_bad_epochs=bad, cooldown_counter=cooling)


# ============================================================ alternatives in other styles
# Object style: a scheduler object with a get_lr method, as object-style courses write them;
# the contract function asks it for one step's rate.
class CosineAnnealing:
    def __init__(self, base_lr, total_steps, min_lr=0.0):
        self.base_lr, self.total_steps, self.min_lr = base_lr, total_steps, min_lr

    def get_lr(self, step):
        if step >= self.total_steps:
            return float(self.min_lr)
        progress = step / self.total_steps
        return float(
            self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * progress))
        )


cosine_scheduler_object = alternative(
    "cosine_scheduler_object",
    "schedules.cosine_lr",
    "a CosineAnnealing scheduler object with get_lr",
)


@cosine_scheduler_object.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    return CosineAnnealing(base_lr, total_steps, min_lr).get_lr(step)


# NumPy: the rate computed with NumPy scalars and returned as a Python float.
exponential_numpy = alternative(
    "exponential_numpy",
    "schedules.exponential_lr",
    "computes base_lr * gamma ** step with np.power, as a float",
)


@exponential_numpy.replaces
def exponential_lr(step, base_lr, gamma):
    return float(np.float64(base_lr) * np.power(np.float64(gamma), step))


# Object style: a reducer object with its own fields and an is_better method, loaded from the
# state dict and written back to a new one; threshold modes and eps as in torch.optim.
class PlateauReducer:
    def __init__(self, state, mode, threshold, threshold_mode):
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.lr = float(state["lr"])
        self.best = state.get("best", math.inf if mode == "min" else -math.inf)
        self.bad = state.get("num_bad_epochs", 0)
        self.cooling = state.get("cooldown_counter", 0)

    def is_better(self, value):
        sign = 1.0 if self.mode == "max" else -1.0
        if self.threshold_mode == "abs":
            bar = self.best + sign * self.threshold
        else:
            bar = self.best * (1.0 + sign * self.threshold)
        return value > bar if self.mode == "max" else value < bar

    def step(self, metric, factor, patience, cooldown, min_lr, eps):
        value = float(metric)
        if self.is_better(value):
            self.best, self.bad = value, 0
        else:
            self.bad += 1
        if self.cooling:
            self.cooling, self.bad = self.cooling - 1, 0
        if self.bad > patience:
            lowered = max(self.lr * factor, min_lr)
            if self.lr - lowered > eps:
                self.lr = lowered
            self.cooling, self.bad = cooldown, 0

    def state(self):
        return {
            "lr": self.lr,
            "best": self.best,
            "num_bad_epochs": self.bad,
            "cooldown_counter": self.cooling,
        }


plateau_reducer_object = alternative(
    "plateau_reducer_object",
    "schedules.reduce_on_plateau_step",
    "a PlateauReducer object with is_better and step methods, "
    "loaded from the state and written back to a new dict",
)


@plateau_reducer_object.replaces
def reduce_on_plateau_step(
    metric,
    state,
    factor=0.1,
    patience=10,
    threshold=1e-4,
    mode="min",
    cooldown=0,
    min_lr=0.0,
    threshold_mode="rel",
    eps=1e-8,
):
    if mode not in ("min", "max"):
        raise ValueError(f"unknown mode {mode!r}")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"unknown threshold_mode {threshold_mode!r}")
    if not factor < 1.0:
        raise ValueError("factor must be < 1")
    reducer = PlateauReducer(state, mode, threshold, threshold_mode)
    reducer.step(metric, factor, patience, cooldown, min_lr, eps)
    return reducer.lr, reducer.state()


# NumPy: both phases of the one-cycle policy as arrays of breakpoints, the phase found with
# np.searchsorted and the rate returned as a Python float.
one_cycle_numpy = alternative(
    "one_cycle_numpy",
    "schedules.one_cycle_lr",
    "finds the phase with np.searchsorted over NumPy breakpoints and computes with np.cos",
)


@one_cycle_numpy.replaces
def one_cycle_lr(
    step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal="cos"
):
    if anneal not in ("cos", "linear"):
        raise ValueError(f"unknown anneal {anneal!r}")
    if step < 0 or step > total_steps - 1:
        raise ValueError(f"step {step} is outside the run")
    ends = np.array([0.0, float(pct_start * total_steps) - 1, total_steps - 1.0])
    if not (ends[0] < ends[1] < ends[2]):
        raise ValueError("need 1 < pct_start * total_steps < total_steps")
    initial = np.float64(max_lr) / div_factor
    rates = np.array([initial, max_lr, initial / final_div_factor])
    phase = max(int(np.searchsorted(ends, step, side="left")), 1)  # step <= peak: phase 1
    start, end = rates[phase - 1], rates[phase]
    pct = (step - ends[phase - 1]) / (ends[phase] - ends[phase - 1])
    if anneal == "cos":
        return float(end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1))
    return float((end - start) * pct + start)
