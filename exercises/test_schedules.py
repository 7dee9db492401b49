"""Public checks for starter/schedules.py.

A few values per schedule that you can work out on paper. The hidden graders compare whole
sequences with PyTorch's schedulers and check every boundary step (end of warmup, start of the
cosine, the end and past it).

Run with ``pytest exercises/test_schedules.py``; add ``-k cosine`` to focus on one exercise.
"""

import pytest


@pytest.mark.exercise("schedules.step_lr")
class TestStepLR:
    def test_drops_every_step_size(self, check):
        # step_size 3, gamma 0.5: steps 0-2 -> 1.0, steps 3-5 -> 0.5, step 6 -> 0.25
        check.matches(lambda m: [m.schedules.step_lr(t, 1.0, 3, 0.5) for t in range(7)],
                      "step_lr for steps 0..6", expected=[1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25],
                      rtol=1e-12)


@pytest.mark.exercise("schedules.exponential_lr")
class TestExponentialLR:
    def test_first_values(self, check):
        check.matches(lambda m: [m.schedules.exponential_lr(t, 2.0, 0.5) for t in range(4)],
                      "exponential_lr for steps 0..3", expected=[2.0, 1.0, 0.5, 0.25], rtol=1e-12)


@pytest.mark.exercise("schedules.cosine_lr")
class TestCosineLR:
    def test_start_middle_end(self, check):
        # 0.1 + (1.0 - 0.1) * (1 + cos(pi * t / 4)) / 2 at t = 0, 2, 4, and min_lr after the end
        check.matches(lambda m: [m.schedules.cosine_lr(t, 1.0, 4, 0.1) for t in (0, 2, 4, 9)],
                      "cosine_lr at steps 0, 2, 4 and 9 (total_steps=4, min_lr=0.1)",
                      expected=[1.0, 0.55, 0.1, 0.1], rtol=1e-12, atol=1e-15)

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
                      rtol=1e-12, atol=1e-15)
