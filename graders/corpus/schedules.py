"""Student-style bugs of schedules.py: schedules computed with loops and counters, scheduler
objects with their own state, each with one genuine mistake (see ``descent.catalogue.student``).
"""

import math

from descent.catalogue import student

step_lr_loop_counts_step_zero = student(
    "step_lr_loop_counts_step_zero",
    "schedules.step_lr",
    "replays the steps in a loop and multiplies by gamma whenever s % step_size == 0, step 0 "
    "included, so every rate has one drop too many",
    generic=("step", "factor"),
    wrong_on="ordinary",
)


@step_lr_loop_counts_step_zero.replaces
def step_lr(step, base_lr, step_size, gamma=0.1):
    lr = base_lr
    for s in range(step + 1):
        if s % step_size == 0:
            lr = lr * gamma
    return float(lr)


cosine_lr_not_held_after_end = student(
    "cosine_lr_not_held_after_end",
    "schedules.cosine_lr",
    "evaluates the cosine past total_steps too, so the rate climbs back up instead of staying "
    "at min_lr",
    generic="branch",
    wrong_on="edge",
)


@cosine_lr_not_held_after_end.replaces
def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    progress = step / total_steps
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


warmup_cosine_warmup_from_zero = student(
    "warmup_cosine_warmup_from_zero",
    "schedules.warmup_cosine_lr",
    "ramps the warmup as base_lr * step / warmup_steps, so step 0 has rate 0 and the last "
    "warmup step stops short of base_lr",
    generic="step",
    wrong_on="ordinary",
)


@warmup_cosine_warmup_from_zero.replaces
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    t = min(step - warmup_steps, total_steps - warmup_steps)
    cos = math.cos(math.pi * t / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + cos) / 2


class OneCycle:
    """A scheduler object that precomputes its phases in the constructor."""

    def __init__(self, max_lr, total_steps, pct_start, div_factor, final_div_factor, anneal):
        if anneal not in ("cos", "linear"):
            raise ValueError("anneal must be 'cos' or 'linear'")
        self.peak = pct_start * total_steps - 1
        if not 0 < self.peak < total_steps - 1:
            raise ValueError("pct_start * total_steps must lie between 1 and total_steps")
        self.total = total_steps
        self.initial = max_lr / div_factor
        self.phases = [
            (0.0, self.peak, self.initial, max_lr),
            (self.peak, total_steps - 1, max_lr, self.initial / final_div_factor),
        ]

    @staticmethod
    def _cos(start, end, pct):
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)

    def get_lr(self, step):
        if not 0 <= step < self.total:
            raise ValueError(f"step {step} out of range")
        begin, stop, start, end = self.phases[0] if step <= self.peak else self.phases[1]
        # the anneal strategy is checked in the constructor but never used: always cosine
        return float(self._cos(start, end, (step - begin) / (stop - begin)))


one_cycle_object_ignores_linear = student(
    "one_cycle_object_ignores_linear",
    "schedules.one_cycle_lr",
    "a scheduler object that validates anneal but always interpolates with the cosine, so "
    "anneal='linear' gives the cosine schedule",
    generic="argument",
    wrong_on="ordinary",
)


@one_cycle_object_ignores_linear.replaces
def one_cycle_lr(
    step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal="cos"
):
    sched = OneCycle(max_lr, total_steps, pct_start, div_factor, final_div_factor, anneal)
    return sched.get_lr(step)


def _plateau(metric, state, factor, patience, threshold, mode, cooldown, min_lr, threshold_mode,
             eps, inclusive=False, count_down=True):  # fmt: skip
    if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
        raise ValueError("bad mode or threshold_mode")
    if factor >= 1:
        raise ValueError("factor must be < 1")
    new = {
        "lr": float(state["lr"]),
        "best": state.get("best", math.inf if mode == "min" else -math.inf),
        "num_bad_epochs": state.get("num_bad_epochs", 0),
        "cooldown_counter": state.get("cooldown_counter", 0),
    }
    current = float(metric)
    sign = 1 if mode == "min" else -1
    if threshold_mode == "rel":
        bar = new["best"] * (1 - sign * threshold)
    else:
        bar = new["best"] - sign * threshold
    better = sign * current <= sign * bar if inclusive else sign * current < sign * bar
    if better:
        new["best"], new["num_bad_epochs"] = current, 0
    else:
        new["num_bad_epochs"] += 1
    if new["cooldown_counter"] > 0:
        if count_down:
            new["cooldown_counter"] -= 1
        new["num_bad_epochs"] = 0
    if new["num_bad_epochs"] > patience:
        candidate = max(new["lr"] * factor, min_lr)
        if new["lr"] - candidate > eps:
            new["lr"] = candidate
        new["cooldown_counter"], new["num_bad_epochs"] = cooldown, 0
    return new["lr"], new


def _plateau_entry(id, title, generic, **slip):
    """A corpus entry whose reducer is ``_plateau`` with one slip (``inclusive``, ``count_down``)."""
    variant = student(
        id, "schedules.reduce_on_plateau_step", title, generic=generic, wrong_on="edge"
    )

    @variant.replaces
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
            metric, state, factor, patience, threshold, mode, cooldown, min_lr, threshold_mode, eps,
            **slip,
        )  # fmt: skip


_plateau_entry(
    "plateau_tie_improves",
    "counts a metric exactly at the bar as an improvement (<= where < belongs)",
    "branch",
    inclusive=True,
)
_plateau_entry(
    "plateau_cooldown_never_counts_down",
    "sets the cooldown counter after a cut but never decreases it, so after the first cut the "
    "rate is never cut again",
    "frozen",
    count_down=False,
)
