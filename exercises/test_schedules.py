"""Public checks for starter/schedules.py.

A few values per schedule that you can work out on paper. The hidden graders compare whole
sequences with PyTorch's schedulers and check every boundary step (end of warmup, start of the
cosine, the end and past it).

Run with ``pytest exercises/test_schedules.py``; add ``-k cosine`` to focus on one exercise.
"""

import pytest

from descent.checker import Mistake

ONE_STEP_EARLY = "counts steps from 1, so every change comes one step early"
STEPS_FROM_0 = "steps count from 0: the first call is step 0"


@pytest.mark.exercise("schedules.step_lr")
class TestStepLR:
    def test_drops_every_step_size(self, check):
        # step_size 3, gamma 0.5: steps 0-2 -> 1.0, steps 3-5 -> 0.5, step 6 -> 0.25
        check.matches(lambda m: [m.schedules.step_lr(t, 1.0, 3, 0.5) for t in range(7)],
                      "step_lr for steps 0..6", expected=[1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25],
                      rtol=1e-12, mistakes=[
                          Mistake("step_lr_early_drop", ONE_STEP_EARLY,
                                  f"{STEPS_FROM_0}; the rate is base_lr * gamma ** (step // "
                                  f"step_size)", [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25])])


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
    def test_start_middle_end(self, check):
        # 0.1 + (1.0 - 0.1) * (1 + cos(pi * t / 4)) / 2 at t = 0, 2, 4, and min_lr after the end
        check.matches(lambda m: [m.schedules.cosine_lr(t, 1.0, 4, 0.1) for t in (0, 2, 4, 9)],
                      "cosine_lr at steps 0, 2, 4 and 9 (total_steps=4, min_lr=0.1)",
                      expected=[1.0, 0.55, 0.1, 0.1], rtol=1e-12, atol=1e-15, mistakes=[
                          Mistake("cosine_lr_t_minus_1", "divides by total_steps - 1, so the "
                                  "minimum is reached one step early",
                                  "the cosine runs over t / total_steps: min_lr is reached at "
                                  "step total_steps, not total_steps - 1",
                                  [1.0, 0.325, 0.1, 0.1])])

    @pytest.mark.supporting()  # any float passes it
    def test_returns_a_float(self, check):
        check.that(type(check.impl.schedules.cosine_lr(1, 0.5, 4)) is float,
                   "cosine_lr must return a Python float", hint="use math.cos, not torch.cos")


@pytest.mark.exercise("schedules.warmup_cosine_lr")
class TestWarmupCosineLR:
    def test_warmup_then_cosine(self, check):
        # warmup 4: 0.25, 0.5, 0.75, 1.0; then the cosine over 8 - 4 = 4 steps: 1.0, ~0.85,
        # 0.5, ~0.15, 0.0 (step 8 is the end)
        half = 0.5 * (1 + 0.5 ** 0.5)
        check.matches(lambda m: [m.schedules.warmup_cosine_lr(t, 1.0, 4, 8) for t in range(9)],
                      "warmup_cosine_lr for steps 0..8 (warmup_steps=4, total_steps=8)",
                      expected=[0.25, 0.5, 0.75, 1.0, 1.0, half, 0.5, 1 - half, 0.0],
                      rtol=1e-12, atol=1e-15, mistakes=[
                          Mistake("warmup_starts_at_zero", "ramps as base_lr * step / "
                                  "warmup_steps, so step 0 has a zero rate",
                                  "the warmup is base_lr * (step + 1) / warmup_steps: step 0 "
                                  "already trains", [0.0, 0.25, 0.5, 0.75, 1.0, half, 0.5,
                                                     1 - half, 0.0])])


@pytest.mark.exercise("schedules.one_cycle_lr")
class TestOneCycleLR:
    def test_start_peak_and_end(self, check):
        # max_lr 1, 11 steps, pct_start 0.2: peak at step 0.2 * 11 - 1 = 1.2; starts at 1/25,
        # ends at step 10 at 1/25 / 1e4 = 4e-6
        check.matches(lambda m: [m.schedules.one_cycle_lr(t, 1.0, 11, pct_start=0.2)
                                 for t in (0, 10)],
                      "one_cycle_lr at the first and last steps", expected=[0.04, 4e-06],
                      rtol=1e-12, hint="initial = max_lr / div_factor; final = initial / "
                                       "final_div_factor, reached at step total_steps - 1")

    def test_linear_warmup(self, check):
        # peak = 0.5 * 10 - 1 = 4: step 2 is halfway from 0.1 to 2.5 -> 1.3
        check.matches(lambda m: m.schedules.one_cycle_lr(2, 2.5, 10, pct_start=0.5,
                                                         anneal="linear"),
                      "one_cycle_lr(2, 2.5, 10, pct_start=0.5, anneal='linear')", expected=1.3,
                      rtol=1e-12, hint="the warmup ends at step pct_start * total_steps - 1")


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
