"""Generic diagnoses of random draws (``descent.diagnoses.stat``) and of chunk sizes
(``descent.diagnoses.split``): each hypothesis names its mistake on values that show it (a fit)
and stays silent on values that come close but do not (a near miss); an estimate read two ways
is offered both ways, never one."""

import math

import numpy as np
import pytest
import torch

from descent.diagnoses import stat as stat_diagnoses
from descent.diagnoses.base import Estimate
from descent.diagnoses.stat import Z, scaled
from descent.grading import checker
from descent.grading.compare import GradingFailure, assert_like

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

FANS = {"gain": math.sqrt(2), "fan_in": 1024, "fan_out": 256}
SE = 0.001  # the relative standard error of an estimate (a spread: it scales with the value)


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


# -- scaled: an estimate against its expected value ---------------------------------------------
@pytest.mark.parametrize(
    "ratio, words",
    [
        (1 / math.sqrt(3), "divided by sqrt(3), a uniform's bound over its standard deviation"),
        (math.sqrt(3), "sqrt(3) times the expected"),
        (1 / math.sqrt(2), "divided by `gain`"),  # the named gain, not the constant sqrt(2)
        (2.0, "sqrt(`fan_in`/`fan_out`) times the expected: `fan_out` used where `fan_in`"),
        (1 / 32, "divided by sqrt(`fan_in`)"),
        (math.pi / 180, "pi/180 times the expected"),
    ],
)
def test_scaled_names_the_factor(ratio, words):
    found = scaled(1.0, ratio * (1 + SE), SE, FANS)
    assert found is not None and found.kind == "factor"
    assert words in found.text


@pytest.mark.parametrize("ratio", [1 / math.sqrt(3), 2.0, 1 / 32, 3.7])
def test_scaled_near_miss_is_silent(ratio):
    # Z + 2 standard errors away from the candidate (or near no candidate at all).
    assert scaled(1.0, ratio * (1 + (Z + 2) * SE), SE, FANS) is None


def test_scaled_needs_a_ratio_clearly_away_from_one():
    named = {"p": 1.002}  # a candidate within the sampling error of 1 is no evidence
    assert scaled(1.0, 1.002, 0.001, named) is None


def test_scaled_offers_two_readings_together():
    # sqrt(2) and a named quantity of 1.41 are both within the sampling error of 1.41.
    found = scaled(1.0, 1.41, 0.01, {"noise_std": 1.41})
    assert found is not None and found.kind == "ambiguous"
    assert "`noise_std`" in found.text and "sqrt(2)" in found.text


def test_scaled_without_constants_skips_them():
    assert scaled(1.0, 1 / math.sqrt(3), 1e-4, {}, constants=False) is None


def test_scaled_complement_reciprocal_and_normal_draw():
    p = 0.3
    keep = scaled(p, 0.7003, 0.001, {"p": p}, constants=False)
    assert keep is not None and keep.kind == "argument" and "1 - `p`" in keep.text
    assert scaled(p, 0.72, 0.001, {"p": p}, constants=False) is None  # near miss
    recip = scaled(1 / 0.7, 0.7, 1e-9, {"p": 0.3}, constants=False)
    assert recip is not None and recip.kind == "factor" and "reciprocal" in recip.text
    phi = 0.5 * (1 + math.erf(p / math.sqrt(2)))
    normal = scaled(p, phi, 0.001, {"p": p}, constants=False)
    assert normal is not None and normal.kind == "distribution" and "randn" in normal.text
    assert scaled(p, phi + 0.01, 0.001, {"p": p}, constants=False) is None
    # (issue 50) p taken as the chance to keep, with normal draws: a rate of 1 - Phi(p)
    above = scaled(p, 1 - phi, 0.001, {"p": p}, constants=False)
    assert above is not None and above.kind == "distribution" and "1 - Phi(`p`)" in above.text


@pytest.mark.parametrize("p", [0.05, 0.3, 0.75])
def test_a_normal_draw_compared_with_the_chance_to_keep_is_read_too(p):
    # (issue 57) a mask kept where randn < 1 - p (the right threshold for a uniform draw) drops
    # 1 - Phi(1 - p) of the entries: the same mistake as randn < p, in the other convention
    rate = 1 - 0.5 * (1 + math.erf((1 - p) / math.sqrt(2)))
    found = scaled(p, rate, 0.002, {"p": p}, constants=False)
    assert found is not None and found.kind == "distribution" and "randn" in found.text
    assert "1 - `p`" in found.text
    miss = scaled(p, rate + 0.02, 0.002, {"p": p}, constants=False)  # a near miss
    assert miss is None or "randn" not in miss.text


@pytest.mark.parametrize("p", [0.05, 0.3, 0.75])
def test_a_scale_with_p_and_its_complement_swapped_is_read(p):
    """(issue 57) kept entries divided by p (the drop rate) where 1 - p (the keep rate) belongs:
    a scale (1 - p)/p times the expected, which no reading named."""
    found = scaled(1 / (1 - p), 1 / p, 1e-9 / (1 - p), {"p": p}, "the scale", constants=False)
    assert found is not None and found.kind == "factor", found
    assert "`p` and (1 - `p`) swapped (a division by `p` where the division by (1 - `p`)" in (
        found.text
    )
    back = scaled(1 / p, 1 / (1 - p), 1e-9 / p, {"p": p}, "the scale", constants=False)
    assert back is not None and "a division by (1 - `p`) where the division by `p`" in back.text
    near = scaled(1 / (1 - p), 1.01 / p, 1e-9 / (1 - p), {"p": p}, constants=False)
    assert near is None or "swapped" not in near.text


def test_a_rate_of_exactly_zero_is_a_comparison_that_never_holds():
    # (issue 50) rand < p / p: the division comes first, the threshold is 1, nothing is dropped
    found = scaled(0.3, 0.0, 0.001, {"p": 0.3}, constants=False)
    assert found is not None and found.kind == "argument" and "keeps every entry" in found.text
    assert scaled(0.3, 0.0, 0.001, {}, constants=False) is None  # no probability to read it by


# -- the draws themselves -----------------------------------------------------------------------
def test_repeated_one_value_per_call():
    per_call = [torch.full((50,), v, dtype=torch.float64) for v in (0.2, 0.7, 0.4)]
    found = stat_diagnoses.repeated(per_call, "weights", support=(0.0, 1.0))
    assert found is not None and found.kind == "random" and "one value" in found.text
    # the same value in every call, or a value on the edge of the support, is no draw at all
    same = [torch.ones(50, dtype=torch.float64)] * 3
    assert stat_diagnoses.repeated(same, "weights", support=(0.0, 1.0)) is None
    fresh = [torch.rand(50, generator=_g(s), dtype=torch.float64) for s in range(3)]
    assert stat_diagnoses.repeated(fresh, "weights") is None


def test_repeated_draws_reused_across_calls():
    w = torch.rand(50, generator=_g(), dtype=torch.float64)
    other = w.clone()
    other[:3] = 1.0  # a few entries decided by something else (a partner that is itself)
    found = stat_diagnoses.repeated([w, other], "weights")
    assert found is not None and "same in calls" in found.text
    half = w.clone()
    half[:25] = torch.rand(25, generator=_g(1), dtype=torch.float64)
    assert stat_diagnoses.repeated([w, half], "weights") is None


def test_shared_along_a_dimension():
    noise = torch.randn(100, 1, generator=_g(), dtype=torch.float64).expand(100, 2)
    found = stat_diagnoses.shared(noise, 1, "jitter values")
    assert found is not None and found.kind == "random" and "dimension 1 (size 2)" in found.text
    near = noise.clone()
    near[0, 1] += 0.5
    assert stat_diagnoses.shared(near, 1) is None


def test_duplicated_indices():
    with_replacement = torch.randint(0, 20, (20,), generator=_g())
    found = stat_diagnoses.duplicated(with_replacement, "partners")
    assert found is not None and found.kind == "distribution" and "randperm" in found.text
    assert stat_diagnoses.duplicated(torch.randperm(20, generator=_g())) is None
    assert stat_diagnoses.duplicated(torch.tensor([0, 1, 1, 7])) is None  # not in 0 .. n-1


def test_family_by_kurtosis():
    normal = torch.randn(5000, generator=_g(), dtype=torch.float64)
    uniform = torch.rand(5000, generator=_g(), dtype=torch.float64)
    found = stat_diagnoses.family(normal, "uniform")
    assert found is not None and found.kind == "distribution" and "randn" in found.text
    assert stat_diagnoses.family(uniform, "uniform") is None
    assert stat_diagnoses.family(uniform, "normal") is not None
    laplace = torch.distributions.Laplace(0.0, 1.0).sample((5000,))  # kurtosis 6: neither
    assert stat_diagnoses.family(laplace, "uniform") is None


def test_uniform_instead_and_one_sided():
    u = torch.rand(4000, generator=_g(), dtype=torch.float64)
    found = stat_diagnoses.uniform_instead(u, 0.0, 1.0, "Beta(2, 2)", 0.05, "weights")
    assert found is not None and found.kind == "distribution" and "Beta(2, 2)" in found.text
    beta = torch.distributions.Beta(0.3, 0.3).sample((4000,)).double()
    assert stat_diagnoses.uniform_instead(beta, 0.0, 1.0, "Beta(2, 2)", 0.05) is None
    found = stat_diagnoses.one_sided(0.5 * u, -0.5, 0.5, "angles")
    assert found is not None and found.kind == "distribution"
    assert stat_diagnoses.one_sided(u - 0.5, -0.5, 0.5) is None


def test_neighbours_kept_together():
    n = 12
    blocks = torch.zeros(n, n)
    for start in range(0, n, 3):  # folds cut from runs of the index
        blocks[start : start + 3, start : start + 3] = 100.0
    found = stat_diagnoses.neighbours(blocks, "a fold")
    assert found is not None and found.kind == "random"
    uniform = torch.full((n, n), 18.0)
    uniform.fill_diagonal_(100.0)
    assert stat_diagnoses.neighbours(uniform) is None


def test_orders():
    assert stat_diagnoses.orders([300, 300, 300, 300], 24, 4).kind == "distribution"
    assert "same order" in stat_diagnoses.orders([1200], 24, 4).text
    biased = [50] * 23 + [80]
    assert "far more often" in stat_diagnoses.orders(biased, 24, 4).text
    assert stat_diagnoses.orders([50] * 23 + [55], 24, 4) is None
    assert stat_diagnoses.orders([200] * 6, 24, 4) is None  # more than n orders, not all


def test_float64_draws():
    x = torch.zeros(4, 2)
    found = stat_diagnoses.float64_draws(x, x.double())
    assert found is not None and found.kind == "dtype" and "float32 input" in found.text
    assert stat_diagnoses.float64_draws(x, x) is None


# -- the checker's helper -----------------------------------------------------------------------
def test_checker_estimate_passes_and_names():
    check = checker.Checker(impl=None, reference=None, exercise=None)  # type: ignore[arg-type]
    check.estimate(1.0005, 1.0, "a std", error=0.001, sigmas=7)  # within the band: no failure
    with pytest.raises(GradingFailure) as failure:
        check.estimate(1 / math.sqrt(3), 1.0, "a std", error=0.001, sigmas=7, estimated="the std")
    failure.value.resolve()  # one estimate: the reading is shown as what it observes
    assert failure.value.found.kind == "factor" and failure.value.diagnosis is None
    assert "observed: the std is the expected divided by sqrt(3)" in str(failure.value)


def test_redrawn_mask():
    g = _g()
    first = torch.rand(400, generator=g) < 0.3
    again = torch.rand(400, generator=g) < 0.3
    found = stat_diagnoses.redrawn(first, again, "backward's mask")
    assert found is not None and found.kind == "random" and "new draw" in found.text
    assert stat_diagnoses.redrawn(first, first) is None
    assert stat_diagnoses.redrawn(first, torch.zeros(400, dtype=torch.bool)) is None  # no mask


# -- stat_diagnoses.redrawn_values: two draws where one belongs -----------------------------------
def test_two_independent_draws_where_one_belongs_are_named():
    a, b = (
        torch.rand(200, generator=torch.Generator().manual_seed(0)),
        torch.rand(200, generator=torch.Generator().manual_seed(1)),
    )
    found = stat_diagnoses.redrawn_values(a, b)
    assert found is not None and found.kind == "random"
    assert stat_diagnoses.redrawn_values(a, a.clone()) is None  # one draw
    assert stat_diagnoses.redrawn_values(a, 1 - a) is None  # related: the complement
    assert stat_diagnoses.redrawn_values(a, torch.full((200,), 0.5)) is None  # no draw


def test_numpy_array_where_a_tensor_belongs():
    with pytest.raises(GradingFailure) as failure:
        assert_like(np.zeros(3), torch.zeros(3), what="the result")
    failure.value.resolve()
    assert failure.value.diagnosis == "structure" and "NumPy ndarray" in str(failure.value)
    with pytest.raises(GradingFailure) as failure:
        assert_like([0, 1, 2], torch.zeros(3), what="the result")
    failure.value.resolve()
    assert failure.value.diagnosis is None


def test_draws_that_ignore_the_generator_s_state_or_touch_the_global_ones():
    # (issue 50) a seed read from the generator starts over on every call; a reseed of NumPy
    # moves the caller's global state
    a = torch.rand(5, generator=_g(), dtype=torch.float64)
    same = stat_diagnoses.not_advanced(a, a.clone())
    assert same is not None and same.kind == "random" and "initial_seed" in same.text
    assert stat_diagnoses.not_advanced(a, a + 1) is None
    moved = stat_diagnoses.globals_moved(True)
    assert moved is not None and moved.kind == "random" and "np.random.seed" in moved.text
    assert stat_diagnoses.globals_moved(False) is None


def test_a_last_batch_that_repeats_is_told_from_draws_with_replacement():
    # (issue 50) a mini-batch list that repeats its last batch is no randint
    twice = [[torch.tensor([3, 0, 4]), torch.tensor([1, 2]), torch.tensor([1, 2])]] * 3
    found = stat_diagnoses.repeated_in_last_batch(twice)
    assert found is not None and found.kind == "edge" and "appended again" in found.text
    filled = [[torch.tensor([3, 0]), torch.tensor([4, 1]), torch.tensor([1, 2])]] * 2
    assert "filled up" in stat_diagnoses.repeated_in_last_batch(filled).text
    # with replacement some epoch repeats an index elsewhere: not the last batch's doing
    drawn = [[torch.tensor([3, 3]), torch.tensor([1, 2])], *filled]
    assert stat_diagnoses.repeated_in_last_batch(drawn) is None
    assert stat_diagnoses.repeated_in_last_batch(twice[:1]) is None  # one epoch is no pattern


@pytest.mark.parametrize(
    "k, fan, words",
    [(2.0, "fan_in", "He's"), (1.0, "fan_in", "LeCun's")],
)
def test_a_spread_that_is_another_initializer_s_is_read_as_that_formula(k, fan, words):
    # (issue 57) Xavier's std with He's or LeCun's spread: no ratio of two named quantities says
    # it (sqrt(2 fan_avg / fan_in) is none), the formulas do
    from descent.diagnoses.base import Estimate

    fan_in, fan_out = 200.0, 300.0
    named = {"gain": 1.0, "fan_in": fan_in, "fan_out": fan_out, "(fan_in + fan_out) / 2": 250.0}
    expected = math.sqrt(2.0 / (fan_in + fan_out))
    got = math.sqrt(k / (fan_in if fan == "fan_in" else fan_out))
    found = stat_diagnoses.init_formula(
        Estimate(got * 1.001, expected, 1e-3 * expected, 1.0, named)
    )
    assert found is not None and found.kind == "factor" and words in found.text
    # near miss: a spread of no formula
    assert stat_diagnoses.init_formula(Estimate(got * 1.07, expected, 1e-4, 1.0, named)) is None


@pytest.mark.parametrize(
    "std, words",
    [(0.12 / math.sqrt(3.0), "a uniform bound of 0.12"), (0.01, "a std of 0.01")],
)
def test_a_spread_written_in_as_a_constant(std, words):
    """Ng's handout bound of 0.12 and the 0.01 * randn of many courses: the spread of a
    constant, whatever the layer's fans, read on one shape's draws (a (256, 1024) weight)."""
    torch.manual_seed(0)
    n = 256 * 1024
    draws = torch.empty(n, dtype=torch.float64).uniform_(-1, 1) * std * math.sqrt(3.0)
    got = float(draws.std())
    expected = math.sqrt(2.0 / (256 + 1024))  # Xavier's std for this shape
    named = {"gain": 1.0, "fan_in": 1024.0, "fan_out": 256.0}
    rel = math.sqrt(0.8) / (2 * math.sqrt(n))
    found = stat_diagnoses.round_constant(Estimate(got, expected, rel * got, 1.0, named))
    assert found is not None and found.kind == "argument" and words in found.text
    assert "fan_in and fan_out" in found.text
    # near misses: a spread a little off the constant, and a constant where none was asked for
    off = Estimate(got * 1.03, expected, rel * got, 1.0, named)
    assert stat_diagnoses.round_constant(off) is None
    no_fans = Estimate(got, expected, rel * got, 1.0, {"p": 0.5})
    assert stat_diagnoses.round_constant(no_fans) is None
    # draws that are all zeros on a small weight, whose sampling error is wide: no constant
    zeros = Estimate(0.0, 0.117851, 0.0061 / 3, 1.0, named)
    assert stat_diagnoses.round_constant(zeros) is None
