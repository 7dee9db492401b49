"""Public checks for starter/init.py.

Gains and fans are exact numbers you can work out by hand. The initializers are random, so they
are checked the way the hidden graders check them: by their statistics on a large tensor (the
hidden graders use several shapes, gains, modes and both dtypes, and tighter bands).

Run with ``pytest exercises/test_init.py``; add ``-k kaiming`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.grading.checker import Mistake

from . import follows_the_generator, python_numbers


@pytest.mark.exercise("init.calculate_gain")
class TestCalculateGain:
    def test_table_values(self, check):
        check.matches(lambda m: m.init.calculate_gain("relu"), "calculate_gain('relu')",
                      expected=math.sqrt(2))
        check.matches(lambda m: m.init.calculate_gain("tanh"), "calculate_gain('tanh')",
                      expected=5 / 3)
        check.matches(lambda m: m.init.calculate_gain("conv2d"), "calculate_gain('conv2d')",
                      expected=1.0)

    def test_leaky_relu(self, check):
        # slope 1 makes leaky ReLU the identity: sqrt(2 / (1 + 1)) = 1
        check.matches(lambda m: m.init.calculate_gain("leaky_relu", 1.0),
                      "calculate_gain('leaky_relu', 1.0)", expected=1.0)
        check.matches(lambda m: m.init.calculate_gain("leaky_relu"),
                      "calculate_gain('leaky_relu') (default slope 0.01)",
                      expected=math.sqrt(2 / (1 + 0.01 ** 2)))

    def test_unknown_name(self, check):
        with pytest.raises(ValueError):
            check.impl.init.calculate_gain("not-a-nonlinearity")


@pytest.mark.exercise("init.fans")
class TestFans:
    # The fans are Python ints in every check, as in the hidden graders: a NumPy integer is
    # wrong wherever the fans are used, not in one check of its own.
    def test_linear(self, check):
        # a (out=3, in=7) weight: each output sees 7 inputs, each input feeds 3 outputs
        got = check.matches(lambda m: tuple(m.init.fans((3, 7))), "fans((3, 7))", expected=(7, 3))
        python_numbers(check, got, "fans((3, 7))", int)

    def test_conv(self, check):
        # (out=8, in=4, 3, 5): receptive field 15, fan_in 4*15 = 60, fan_out 8*15 = 120
        got = check.matches(lambda m: tuple(m.init.fans((8, 4, 3, 5))), "fans((8, 4, 3, 5))",
                            expected=(60, 120))
        python_numbers(check, got, "fans((8, 4, 3, 5))", int)


def _fan_out(std):
    """He init that divides by fan_out for the default mode='fan_in', giving ``std``."""
    return Mistake("he_uses_fan_out", "swaps the fans: divides by fan_out for mode='fan_in'",
                   "fan_in = shape[1] * (the product of shape[2:]); fan_out = shape[0] * the same "
                   "product; the default mode='fan_in' divides by fan_in", std, rtol=0.03)


def _sample(m, name, shape, seed=0, **kwargs):
    return getattr(m.init, name)(shape, generator=torch.Generator().manual_seed(seed), **kwargs)


@pytest.mark.exercise("init.xavier")
class TestXavier:
    def test_uniform_bound_and_std(self, check):
        shape = (200, 600)  # fan_in 600, fan_out 200: a = sqrt(6 / 800)
        w = _sample(check.impl, "xavier_uniform", shape).double()
        a = math.sqrt(6 / 800)
        check.that(w.shape == shape and w.abs().max() <= a * (1 + 1e-6),
                   f"xavier_uniform{shape}: values must lie in [-{a:.4f}, {a:.4f}]")
        check.that(abs(float(w.std()) / (a / math.sqrt(3)) - 1) < 0.02,
                   f"xavier_uniform{shape}: std {float(w.std()):.4f}, expected "
                   f"{a / math.sqrt(3):.4f}")

    def test_normal_std_and_dtype(self, check):
        w = _sample(check.impl, "xavier_normal", (200, 600), gain=2.0, dtype=torch.float64)
        check.that(w.dtype == torch.float64, "xavier_normal must honour dtype=torch.float64")
        std = 2.0 * math.sqrt(2 / 800)
        check.that(abs(float(w.std()) / std - 1) < 0.02,
                   f"xavier_normal: std {float(w.std()):.4f}, expected {std:.4f}")


@pytest.mark.exercise("init.kaiming")
class TestKaiming:
    def test_normal_std_uses_fan_in(self, check):
        shape = (32, 50, 3, 3)  # fan_in = 450, std = sqrt(2 / 450) = 1/15
        w = _sample(check.impl, "kaiming_normal", shape).double()
        std = float(w.std())
        check.that(abs(std * 15 - 1) < 0.03,
                   f"kaiming_normal{shape}: std {std:.4f}, expected 1/15 = 0.0667",
                   got=std, mistakes=[_fan_out(math.sqrt(2 / 288))])

    def test_uniform_bound(self, check):
        shape = (600, 200)  # fan_in 200: bound = sqrt(3) * sqrt(2 / 200) = sqrt(0.03)
        w = _sample(check.impl, "kaiming_uniform", shape).double()
        bound = math.sqrt(0.03)
        top = float(w.abs().max())
        check.that(bound * 0.99 <= top <= bound * (1 + 1e-6),
                   f"kaiming_uniform{shape}: max |w| {top:.4f}, the bound is {bound:.4f}",
                   got=top, mistakes=[_fan_out(math.sqrt(6 / 600))])

    def test_gain_follows_the_nonlinearity(self, check):
        # tanh has gain 5/3, not the sqrt(2) of relu: std = (5/3) / sqrt(300) = 0.0962 (fan_out
        # 600 keeps the fans' mistake far from the gain's)
        shape, expected = (600, 300), 5 / 3 / math.sqrt(300)
        w = _sample(check.impl, "kaiming_normal", shape, nonlinearity="tanh")
        std = float(w.double().std())
        check.that(abs(std / expected - 1) < 0.03,
                   f"kaiming_normal{shape}, nonlinearity='tanh': std {std:.4f}, expected "
                   f"(5/3) / sqrt(300) = {expected:.4f}", got=std, mistakes=[
                       Mistake("he_gain_hardcoded", "uses relu's gain sqrt(2) whatever the "
                               "nonlinearity and slope", "the gain comes from "
                               "calculate_gain(nonlinearity, a); sqrt(2) is only relu's",
                               math.sqrt(2 / 300), rtol=0.03),
                       _fan_out(5 / 3 / math.sqrt(600))])

    @pytest.mark.supporting()  # a constant tensor is reproducible too
    def test_same_seed_same_tensor(self, check):
        a = _sample(check.impl, "kaiming_normal", (5, 4), seed=7)
        b = _sample(check.impl, "kaiming_normal", (5, 4), seed=7)
        check.that(torch.equal(a, b), "the same generator seed must give the same tensor")


@pytest.mark.exercise("init.calculate_gain")
def test_selu_gain(check):
    check.matches(lambda m: m.init.calculate_gain("selu"), "calculate_gain('selu')",
                  expected=0.75, hint="PyTorch's value for selu is 3/4, not relu's sqrt(2)")


@pytest.mark.exercise("init.xavier")
@pytest.mark.supporting()  # a constant tensor passes part of it
def test_xavier_draws_from_the_generator(check):
    follows_the_generator(check, lambda m, g: m.init.xavier_uniform((4, 3), generator=g),
                          "xavier_uniform((4, 3), generator=g)")


@pytest.mark.exercise("init.kaiming")
class TestKaimingConventions:
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_fan_out_and_a_leaky_slope(self, check):
        # mode fan_out = 300, leaky_relu with a = 0.5: gain sqrt(2 / 1.25), std gain / sqrt(300)
        shape, expected = (300, 600), math.sqrt(2 / 1.25) / math.sqrt(300)
        w = _sample(check.impl, "kaiming_normal", shape, a=0.5, mode="fan_out",
                    nonlinearity="leaky_relu")
        std = float(w.double().std())
        # no mistake named here: fans swapped and mode ignored both divide by fan_in = 600; the
        # hint says which fan the values show, and blames the gain only when the fan is not it
        by_fan_in = abs(std / (expected * math.sqrt(300 / 600)) - 1) < 0.03
        hint = (
            "your std is what fan_in = 600 gives: with mode='fan_out' the fan is fan_out = 300"
            if by_fan_in
            else "the gain is calculate_gain('leaky_relu', a) and the fan follows mode"
        )
        check.that(abs(std / expected - 1) < 0.03,
                   f"kaiming_normal{shape}, a=0.5, mode='fan_out', nonlinearity='leaky_relu': "
                   f"std {std:.4f}, expected sqrt(2 / (1 + 0.5^2)) / sqrt(300) = {expected:.4f}",
                   hint=hint)

    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_dtype_is_the_one_asked_for(self, check):
        w = check.impl.init.kaiming_uniform((3, 2), generator=torch.Generator().manual_seed(0),
                                            dtype=torch.float64)
        check.that(w.dtype == torch.float64, f"kaiming_uniform(dtype=float64) returned {w.dtype}",
                   check="shape and type",
                   hint="draw with dtype= and device= (torch.empty fills torch's default dtype)")

    @pytest.mark.supporting()  # a constant tensor passes part of it
    def test_draws_from_the_generator(self, check):
        follows_the_generator(check, lambda m, g: m.init.kaiming_normal((4, 3), generator=g),
                              "kaiming_normal((4, 3), generator=g)")


@pytest.mark.exercise("init.calculate_gain")
@pytest.mark.supporting()  # a constant float passes it
def test_gain_is_a_python_float(check):
    python_numbers(check, check.impl.init.calculate_gain("tanh"), "calculate_gain('tanh')")


@pytest.mark.exercise("init.fans")
@pytest.mark.supporting()  # a constant pair of ints passes it
def test_fans_are_python_ints(check):
    python_numbers(check, tuple(check.impl.init.fans((8, 4, 3))), "fans((8, 4, 3))", int)
