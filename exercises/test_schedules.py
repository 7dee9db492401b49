"""Public checks for starter/schedules.py.

A few values per schedule that you can work out on paper. The hidden graders compare whole
sequences with PyTorch's schedulers and check every boundary step (end of warmup, start of the
cosine, the end and past it).

Run with ``pytest exercises/test_schedules.py``; add ``-k cosine`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.grading.checker import Mistake

from . import python_numbers, refuses

ONE_STEP_EARLY = "counts steps from 1, so every change comes one step early"
STEPS_FROM_0 = "steps count from 0: the first call is step 0"


@pytest.mark.exercise("schedules.step_lr")
class TestStepLR:
    def test_drops_every_step_size(self, check):
        # step_size 3, gamma 0.5: steps 0-2 -> 0.3, steps 3-5 -> 0.15, step 6 -> 0.075 (to
        # float64's precision: 0.3 is not exact in float32, whose rounding shows at 1e-8)
        check.matches(lambda m: [m.schedules.step_lr(t, 0.3, 3, 0.5) for t in range(7)],
                      "step_lr for steps 0..6", expected=[0.3, 0.3, 0.3, 0.15, 0.15, 0.15, 0.075],
                      rtol=1e-12, mistakes=[
                          Mistake("step_lr_early_drop", ONE_STEP_EARLY,
                                  f"{STEPS_FROM_0}; the rate is base_lr * gamma ** (step // "
                                  f"step_size)", [0.3, 0.3, 0.15, 0.15, 0.15, 0.075, 0.075]),
                          Mistake("step_lr_float32", "computes the rate in float32 (a NumPy or "
                                  "torch float32), which rounds it", "Compute with Python floats "
                                  "and return a Python float: float32 keeps about 7 digits, so "
                                  "0.3 becomes 0.300000012.",
                                  [0.30000001192092896] * 3 + [0.15000000596046448] * 3
                                  + [0.07500000298023224], rtol=1e-9)])


@pytest.mark.exercise("schedules.exponential_lr")
class TestExponentialLR:
    def test_first_values(self, check):
        check.matches(lambda m: [m.schedules.exponential_lr(t, 2.0, 0.5) for t in range(4)],
                      "exponential_lr for steps 0..3", expected=[2.0, 1.0, 0.5, 0.25], rtol=1e-12,
                      mistakes=[Mistake("exponential_lr_one_ahead",
                                        "already decays at step 0 (gamma ** (step + 1))",
                                        f"{STEPS_FROM_0}, at base_lr: gamma ** step",
                                        [1.0, 0.5, 0.25, 0.125])])


@pytest.mark.exercise("schedules.cosine_lr")
class TestCosineLR:
    @pytest.mark.ordinary  # everyday steps: failing it caps the exercise at half, as hidden
    def test_start_middle_end(self, check):
        # 0.1 + (1.0 - 0.1) * (1 + cos(pi * t / 4)) / 2 at t = 0, 2, 4
        check.matches(lambda m: [m.schedules.cosine_lr(t, 1.0, 4, 0.1) for t in (0, 2, 4)],
                      "cosine_lr at steps 0, 2 and 4 (total_steps=4, min_lr=0.1)",
                      expected=[1.0, 0.55, 0.1], rtol=1e-12, atol=1e-15, mistakes=[
                          Mistake("cosine_lr_t_minus_1", "divides by total_steps - 1, so the "
                                  "minimum is reached one step early",
                                  "the cosine runs over t / total_steps: min_lr is reached at "
                                  "step total_steps, not total_steps - 1",
                                  [1.0, 0.325, 0.1])])

    @pytest.mark.ordinary
    def test_without_a_floor(self, check):
        # min_lr defaults to 0: base_lr * (1 + cos(pi * t / 8)) / 2 at t = 0, 2, 4, 6, 8
        steps = (0, 2, 4, 6, 8)
        check.matches(lambda m: [m.schedules.cosine_lr(t, 2.0, 8) for t in steps],
                      "cosine_lr at steps 0, 2, 4, 6 and 8 (total_steps=8, min_lr left at 0)",
                      expected=[1.0 + math.cos(math.pi * t / 8) for t in steps],
                      rtol=1e-12, atol=1e-15)

    def test_around_the_end(self, check):
        # the step before the end, the end itself (min_lr), and past it: the rate stays at
        # min_lr, the cosine does not climb back
        steps = (3, 4, 5, 6, 9)
        check.matches(lambda m: [m.schedules.cosine_lr(t, 1.0, 4, 0.1) for t in steps],
                      "cosine_lr at steps 3, 4 (the end), 5, 6 and 9 (total_steps=4, min_lr=0.1)",
                      expected=[0.1 + 0.45 * (1 + math.cos(math.pi * 3 / 4)), 0.1, 0.1, 0.1, 0.1],
                      rtol=1e-12, atol=1e-15, mistakes=[
                          Mistake("cosine_lr_periodic", "keeps the cosine going past "
                                  "total_steps, so the rate climbs back toward base_lr",
                                  "clamp the step at total_steps: every step past the end "
                                  "gives min_lr",
                                  [0.1 + 0.45 * (1 + math.cos(math.pi * t / 4)) for t in steps])],
                      hint="step total_steps gives exactly min_lr, and so does every later step")

    @pytest.mark.supporting()  # any float passes it
    def test_returns_a_float(self, check):
        check.that(type(check.impl.schedules.cosine_lr(1, 0.5, 4)) is float,
                   "cosine_lr must return a Python float", hint="use math.cos, not torch.cos")


@pytest.mark.exercise("schedules.warmup_cosine_lr")
class TestWarmupCosineLR:
    @pytest.mark.ordinary  # everyday steps: failing it caps the exercise at half, as hidden
    def test_the_warmup(self, check):
        # warmup 4: 0.25, 0.5, 0.75, 1.0 (step 3, the last warmup step, reaches base_lr)
        check.matches(lambda m: [m.schedules.warmup_cosine_lr(t, 1.0, 4, 8) for t in range(4)],
                      "warmup_cosine_lr for steps 0..3, the warmup (warmup_steps=4, "
                      "total_steps=8)", expected=[0.25, 0.5, 0.75, 1.0], rtol=1e-12, atol=1e-15,
                      mistakes=[
                    Mistake("warmup_starts_at_zero", "ramps as base_lr * step / "
                            "warmup_steps, so step 0 has a zero rate",
                            "the warmup is base_lr * (step + 1) / warmup_steps: step 0 "
                            "already trains", [0.0, 0.25, 0.5, 0.75])])

    @pytest.mark.ordinary
    def test_then_the_cosine(self, check):
        # then the cosine over 8 - 4 = 4 steps: 1.0, ~0.85, 0.5, ~0.15, 0.0 (step 8 is the end)
        half = 0.5 * (1 + 0.5 ** 0.5)
        # a warmup that calls your own cosine_lr is charged to cosine_lr for its mistakes
        check.matches(lambda m: [m.schedules.warmup_cosine_lr(t, 1.0, 4, 8)
                                 for t in range(4, 9)],
                      "warmup_cosine_lr for steps 4..8, the cosine (warmup_steps=4, "
                      "total_steps=8)", expected=[1.0, half, 0.5, 1 - half, 0.0], rtol=1e-12,
                      atol=1e-15)


def torch_one_cycle(max_lr, total, **kwargs):
    """The rates of PyTorch's OneCycleLR at steps 0 .. total - 1 (the exercise's convention)."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=max_lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total,
                                                    cycle_momentum=False, **kwargs)
    rates = []
    for step in range(total):
        rates.append(scheduler.get_last_lr()[0])
        if step < total - 1:
            optimizer.step()
            scheduler.step()
    return rates


@pytest.mark.exercise("schedules.one_cycle_lr")
class TestOneCycleLR:
    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_every_default(self, check):
        # 13 steps, pct_start 0.3: the peak at 0.3 * 13 - 1 = 2.9, between two steps (kept a
        # float); starts at max_lr / 25, ends at step 12 at max_lr / 25 / 1e4
        check.matches(lambda m: [m.schedules.one_cycle_lr(t, 1.0, 13) for t in range(13)],
                      "one_cycle_lr over 13 steps with every default",
                      expected=torch_one_cycle(1.0, 13), rtol=1e-12, atol=1e-15,
                      hint="initial = max_lr / div_factor; the peak is the float pct_start * "
                           "total_steps - 1; final = initial / final_div_factor, reached at "
                           "step total_steps - 1; the default anneal is 'cos'")

    @pytest.mark.ordinary
    def test_linear_anneal(self, check):
        # peak = 0.35 * 10 - 1 = 2.5: step 1 is 1/2.5 of the way from 0.1 to 2.5 -> 1.06
        check.matches(lambda m: [m.schedules.one_cycle_lr(t, 2.5, 10, pct_start=0.35,
                                                          anneal="linear") for t in range(10)],
                      "one_cycle_lr over 10 steps (max_lr 2.5, pct_start=0.35, anneal='linear')",
                      expected=torch_one_cycle(2.5, 10, pct_start=0.35, anneal_strategy="linear"),
                      rtol=1e-12, atol=1e-15,
                      hint="the warmup ends at step pct_start * total_steps - 1, a float")


@pytest.mark.exercise("schedules.reduce_on_plateau_step")
def test_reduce_after_patience_runs_out(check):
    # patience 2: the 3rd epoch in a row without improvement cuts the rate (0.1 -> 0.01)
    def run(m):
        state, lrs = {"lr": 0.1}, []
        for metric in (1.0, 0.9, 0.95, 0.92, 0.91, 0.93):
            lr, state = m.schedules.reduce_on_plateau_step(metric, state, patience=2)
            lrs.append(lr)
        return lrs

    check.matches(run, "learning rates over 6 epochs (patience 2)",
                  expected=[0.1, 0.1, 0.1, 0.1, 0.01, 0.01], rtol=1e-12, mistakes=[
                      Mistake("plateau_at_patience", "reduces once num_bad_epochs reaches "
                              "patience, one epoch early",
                              "reduce only when num_bad_epochs > patience (strictly)",
                              [0.1, 0.1, 0.1, 0.01, 0.01, 0.001]),
                      Mistake("plateau_no_reset", "keeps num_bad_epochs after a reduction, so "
                              "the rate keeps falling", "set num_bad_epochs back to 0 after "
                              "each reduction", [0.1, 0.1, 0.1, 0.1, 0.01, 0.001])])


@pytest.mark.exercise("schedules.reduce_on_plateau_step")
@pytest.mark.supporting()  # code that computes nothing edits nothing
def test_state_left_unchanged(check):
    state = {"lr": 0.1, "best": 0.5, "num_bad_epochs": 3, "cooldown_counter": 0}
    before = dict(state)
    check.impl.schedules.reduce_on_plateau_step(0.7, state, patience=2)
    check.that(state == before, "reduce_on_plateau_step modified the state it was given",
               check="arguments unchanged", hint="return a new dict; never edit `state`")


@pytest.mark.exercise("schedules.warmup_cosine_lr")
def test_no_warmup(check):
    # no warmup: cosine_lr itself, base_lr at step 0 and half of it half-way
    check.matches(lambda m: [m.schedules.warmup_cosine_lr(t, 2.0, 0, 10) for t in (0, 5)],
                  "warmup_cosine_lr at steps 0 and 5 without warmup (warmup_steps=0, "
                  "total_steps=10)", expected=[2.0, 1.0], rtol=1e-12,
                  hint="test step < warmup_steps before dividing by warmup_steps")


@pytest.mark.exercise("schedules.warmup_cosine_lr")
@pytest.mark.ordinary  # a floor is an everyday option, as hidden
def test_warmup_with_a_floor(check):
    # with min_lr the ramp still starts from 0: base_lr * (step + 1) / warmup_steps
    check.matches(lambda m: [m.schedules.warmup_cosine_lr(t, 1.0, 4, 10, min_lr=0.2)
                             for t in (0, 2)],
                  "warmup_cosine_lr at steps 0 and 2 with 4 warmup steps and min_lr=0.2",
                  expected=[0.25, 0.75],
                  hint="the warmup is base_lr * (step + 1) / warmup_steps whatever min_lr is")


@pytest.mark.exercise("schedules.one_cycle_lr")
class TestOneCycleConventions:
    @pytest.mark.ordinary
    def test_a_peak_between_two_steps(self, check):
        # total 10, pct_start 0.25: peak = 1.5 (not rounded); initial = 1 / 25 = 0.04.
        # step 1 warms up cos-wise: pct = 1/1.5, lr = 1 + (0.04 - 1) / 2 * (cos(2 pi / 3) + 1)
        lr1 = 1 + (0.04 - 1) / 2 * (math.cos(math.pi / 1.5) + 1)
        check.matches(lambda m: [m.schedules.one_cycle_lr(t, 1.0, 10, pct_start=0.25)
                                 for t in range(10)],
                      "one_cycle_lr over 10 steps (max_lr 1, pct_start=0.25)",
                      expected=torch_one_cycle(1.0, 10, pct_start=0.25), rtol=1e-12, atol=1e-15,
                      hint=f"peak = pct_start * total_steps - 1 = 1.5, kept a float (step 1: "
                           f"{lr1:.6g}); the default anneal is 'cos'")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_phases_without_a_length_are_refused(self, check):
        for pct in (1.0, 0.1):  # peak 9 (no annealing) and peak 0 (no warmup) for 10 steps
            refuses(check, lambda m, pct=pct: m.schedules.one_cycle_lr(0, 1.0, 10, pct_start=pct),
                    f"one_cycle_lr with total_steps=10, pct_start={pct}",
                    hint="each phase needs a length: raise ValueError unless "
                         "1 < pct_start * total_steps < total_steps")


def _plateau(m, metrics, **kwargs):
    """The rates a run of reduce_on_plateau_step gives, from {"lr": 1.0}, and its last state."""
    state, rates = {"lr": kwargs.pop("lr", 1.0)}, []
    for metric in metrics:
        lr, state = m.schedules.reduce_on_plateau_step(metric, state, **kwargs)
        rates.append(lr)
    return rates, state


@pytest.mark.exercise("schedules.reduce_on_plateau_step")
class TestPlateauRules:
    def test_absolute_thresholds(self, check):
        # abs, min, threshold 0.5: 9.6 is not below 10 - 0.5 (a cut), 9.4 is; then 9.4 again is
        # a cut. For max the bar is best + 0.5.
        run = dict(factor=0.5, patience=0, threshold=0.5, threshold_mode="abs")
        check.matches(lambda m: [_plateau(m, [10, 9.6, 9.4, 9.4], **run)[0],
                                 _plateau(m, [1, 1.4, 1.6, 1.6], mode="max", **run)[0]],
                      "rates with threshold_mode='abs', threshold=0.5, mode 'min' then 'max'",
                      expected=[[1.0, 0.5, 0.5, 0.25], [1.0, 0.5, 0.5, 0.25]],
                      hint="'abs' bars: metric < best - threshold (min), metric > best + "
                           "threshold (max)")

    def test_a_metric_exactly_at_the_bar_is_no_improvement(self, check):
        # rel, threshold 0.25: from best 4, the bars are 3 (min) and 5 (max), both strict
        run = dict(factor=0.5, patience=0, threshold=0.25)
        check.matches(lambda m: [_plateau(m, [4.0, 3.0], **run)[0],
                                 _plateau(m, [4.0, 5.0], mode="max", **run)[0]],
                      "rates for a metric exactly at the relative bar, mode 'min' then 'max'",
                      expected=[[1.0, 0.5], [1.0, 0.5]],
                      hint="every comparison is strict: best * (1 - threshold) itself does not "
                           "improve")

    def test_cooldown(self, check):
        # patience 0, cooldown 2: a cut, then two epochs whose bad epochs are not counted
        check.matches(lambda m: _plateau(m, [1, 2, 3, 4, 5], factor=0.5, patience=0,
                                         cooldown=2)[0],
                      "rates with patience=0, cooldown=2 and a metric that only gets worse",
                      expected=[1.0, 0.5, 0.5, 0.5, 0.25],
                      hint="during the cooldown, num_bad_epochs is set back to 0 every epoch")

    def test_a_cut_that_min_lr_stops_still_restarts_the_count(self, check):
        # lr is min_lr already: the third epoch's cut changes nothing, but the cooldown starts
        # and the bad epochs are cleared all the same
        check.matches(lambda m: _plateau(m, [1, 2, 3], lr=0.5, min_lr=0.5, patience=1,
                                         cooldown=3)[1],
                      "the state after a cut that min_lr stops",
                      expected={"lr": 0.5, "best": 1.0, "num_bad_epochs": 0,
                                "cooldown_counter": 3},
                      hint="whether or not the rate changed, a reduction sets cooldown_counter "
                           "= cooldown and num_bad_epochs = 0")

    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_cuts_smaller_than_eps_are_skipped(self, check):
        # 2e-8 -> 1e-8 is a cut of exactly eps = 1e-8 (skipped); with eps=1e-3 a cut of 5e-4 is
        check.matches(lambda m: [_plateau(m, [1, 2], lr=2e-8, factor=0.5, patience=0)[0],
                                 _plateau(m, [1, 2], factor=0.9995, patience=0, eps=1e-3)[0]],
                      "rates when the cut is not larger than eps",
                      expected=[[2e-8, 2e-8], [1.0, 1.0]],
                      hint="apply a cut only if lr - candidate > eps, with the eps you are given")

    @pytest.mark.supporting()  # a constant state of floats passes it
    def test_a_tensor_metric_is_stored_as_a_float(self, check):
        _, state = _plateau(check.impl, [torch.tensor(2.0)], patience=0)
        python_numbers(check, [state.get("lr"), state.get("best")],
                       "the state's lr and best after a 0-dim tensor metric")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_bad_arguments_are_refused(self, check):
        for kwargs in (dict(mode="avg"), dict(threshold_mode="pct"), dict(factor=1.0)):
            refuses(check, lambda m, kw=kwargs: m.schedules.reduce_on_plateau_step(1.0, {"lr": 1.0},
                                                                                   **kw),
                    f"reduce_on_plateau_step with {kwargs}",
                    hint="raise ValueError for an unknown mode or threshold_mode and for "
                         "factor >= 1")


SCHEDULE_CALLS = {  # one call of every schedule that returns a rate alone
    "step_lr": lambda m: m.schedules.step_lr(3, 0.1, 2),
    "exponential_lr": lambda m: m.schedules.exponential_lr(2, 0.1, 0.5),
    "warmup_cosine_lr": lambda m: m.schedules.warmup_cosine_lr(5, 0.1, 2, 10),
    "one_cycle_lr": lambda m: m.schedules.one_cycle_lr(5, 0.1, 10),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.exercise(f"schedules.{n}"))
                                  for n in SCHEDULE_CALLS])
@pytest.mark.supporting()  # a constant float passes it
def test_every_schedule_returns_a_python_float(name, check):
    python_numbers(check, SCHEDULE_CALLS[name](check.impl), name)
