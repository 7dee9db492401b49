"""Where a result goes wrong (``descent.diagnoses.pattern``): each hypothesis names its mistake
through ``diagnose`` and stays silent on a near miss."""

import math

import pytest
import torch

from descent.diagnoses import pattern
from descent.diagnoses.base import Case
from descent.diagnoses.values import Inputs, diagnose

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def step_lr(t, base=0.3, size=3, gamma=0.5, floor=True):
    return base * gamma ** ((t // size) if floor else (t / size))


def cosine(t, total=8, base=1.0, low=0.1, clamp=True):
    t = min(t, total) if clamp else t
    return low + (base - low) * (1 + math.cos(math.pi * t / total)) / 2


def test_a_step_function_made_smooth():
    expected = [step_lr(t) for t in range(13)]
    found = diagnose(expected, [step_lr(t, floor=False) for t in range(13)], Inputs())
    assert found.kind == "step" and "step function made smooth" in found.text
    # near miss: a rate that is one block late is wrong at run starts, not a smoothing
    late = [step_lr(max(t - 1, 0)) for t in range(13)]
    assert diagnose(expected, late, Inputs()).text.startswith("your sequence runs one step")
    # near miss: right inside one run, wrong elsewhere: no smooth function does that
    patched = [step_lr(t, floor=False) for t in range(13)]
    patched[1] = expected[1]
    found = diagnose(expected, patched, Inputs())
    assert found is None or "smooth" not in found.text


def test_a_final_value_not_held_past_the_end():
    expected = [cosine(t) for t in range(12)]
    found = diagnose(expected, [cosine(t, clamp=False) for t in range(12)], Inputs())
    assert found.kind == "branch" and "right up to item 8" in found.text
    # near miss: wrong before the end too (another amplitude) is no missing clamp
    off = [cosine(t, clamp=False, base=1.1) for t in range(12)]
    found = diagnose(expected, off, Inputs())
    assert found is None or found.kind != "branch"


def test_one_bound_of_a_clamp():
    x = torch.tensor([[-2.0, -0.1, 0.3], [1.7, -0.9, 0.2], [0.4, 2.5, -0.6]], dtype=torch.float64)
    inputs = Inputs(tensors=[("grads[0]", x)], numbers=[("clip_value", 0.5)])
    expected = x.clamp(-0.5, 0.5)
    found = diagnose(expected, x.clamp(max=0.5), inputs)
    assert found.kind == "branch" and "where `grads[0]` < -`clip_value`" in found.text
    lost_sign = torch.where(x.abs() > 0.5, torch.full_like(x, 0.5), x)
    assert "< -`clip_value`" in diagnose(expected, lost_sign, inputs).text
    # near miss: wrong beyond both bounds (a wrong bound value) is not one side
    found = diagnose(expected, x.clamp(-0.6, 0.6), inputs)
    assert found is None or "exactly where `grads[0]`" not in found.text


def test_an_argument_handed_back():
    inputs = Inputs(numbers=[("max_norm", 1.5), ("norm_type", 2.0)])
    found = diagnose(5.05, 1.5, inputs)
    assert found.kind == "order" and "equals the argument `max_norm`" in found.text
    assert diagnose(5.05, 1.4, inputs) is None  # no number of the call
    # two arguments of that value: which one is unknown, nothing is said
    same_value = Inputs(numbers=[("max_norm", 1.5), ("beta", 1.5)])
    assert diagnose(5.05, 1.5, same_value) is None


def test_one_epoch_for_another_is_no_factor():
    inputs = Inputs(numbers=[("min_delta", 0.25)])
    assert diagnose((3, 0), (4, 0), inputs) is None  # 4/3 = 1/(1 - min_delta) by chance
    assert diagnose((0.3, 0.0), (0.4, 0.0), inputs).kind == "factor"  # not counts: a factor


def test_a_logarithm_in_another_base():
    expected = torch.tensor([2.0, 3.0, 10.0], dtype=torch.float64).log()
    found = diagnose(expected, expected / math.log(10), Inputs())
    assert found.kind == "factor"
    found = diagnose(float(expected[0]), float(expected[0]) / math.log(10), Inputs())
    assert found.kind == "factor" and "base-10 logarithm" in found.text  # even one number
    assert diagnose(float(expected[0]), float(expected[0]) * 0.45, Inputs()) is None


def test_a_probability_where_its_negative_log_belongs():
    loss = math.log(10.0)  # uniform logits over 10 classes: the loss is ln 10
    found = diagnose(loss, 0.1, Inputs())  # the probability 1/10 returned
    assert found.kind == "omitted" and "-log left out" in found.text
    losses = torch.tensor([0.3, 1.2, 2.5], dtype=torch.float64)
    assert diagnose(losses, torch.exp(-losses), Inputs()).kind == "omitted"
    # near misses: a negative expected is no -log of a probability; another value is none
    assert pattern.probability_for_log(-losses, torch.exp(losses), Inputs()) is None
    assert pattern.probability_for_log(losses, torch.exp(-losses) * 1.01, Inputs()) is None
    # answers of ones and zeros fit exp(-loss) only where it rounds to 1 or 0: no reading
    tiny, huge = torch.full((3,), 1e-17).double(), torch.full((3,), 800.0).double()
    assert pattern.probability_for_log(tiny, torch.ones(3).double(), Inputs()) is None
    assert pattern.probability_for_log(huge, torch.zeros(3).double(), Inputs()) is None


def descent_1d(w, lr=0.1, steps=8, once=False):
    out, g0 = [w], 2 * (w - 3)
    for _ in range(steps):
        w = w - lr * (g0 if once else 2 * (w - 3))
        out.append(w)
    return out


def test_a_step_computed_once_and_reused():
    found = diagnose(descent_1d(0.5), descent_1d(0.5, once=True), Inputs())
    assert found.kind == "step" and "repeats its first step" in found.text
    # near miss: a trajectory with another rate moves by other steps from the first on
    found = diagnose(descent_1d(0.5), descent_1d(0.5, lr=0.2), Inputs())
    assert found is None or "repeats" not in found.text


def test_a_sequence_that_stops_early():
    found = diagnose(descent_1d(0.5), descent_1d(0.5)[:3], Inputs())
    assert found.kind == "step" and "stops 6 items early" in found.text
    assert diagnose(descent_1d(0.5), descent_1d(0.6)[:3], Inputs()) is None  # wrong values too
    # the hypothesis alone (the order's SHAPES): one item short is another's (a step off)
    e = torch.tensor(descent_1d(0.5), dtype=torch.float64)
    assert pattern.sequence_cut_short(e, e[:3]).kind == "step"
    assert pattern.sequence_cut_short(e, e[:8]) is None


def one_cycle(t, peak=4, total=12, reverse=False):
    start, end, pct = (
        (0.1, 1.0, t / peak) if t <= peak else (1.0, 0.01, (t - peak) / (total - peak))
    )
    if reverse:
        start, end = end, start
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def test_phases_run_backwards():
    expected = [one_cycle(t) for t in range(13)]
    found = diagnose(expected, [one_cycle(t, reverse=True) for t in range(13)], Inputs())
    assert found.kind == "sign" and "2 phases of your sequence runs backwards" in found.text
    # near miss: the peak moved (a phase of another length) is no mirror
    found = diagnose(expected, [one_cycle(t, peak=5) for t in range(13)], Inputs())
    assert found is None or "backwards" not in found.text


def test_a_tensor_argument_handed_back_unchanged():
    # (issue 57) an evaluation mode that returns its input un-normalized: the result is `x`
    g = torch.Generator().manual_seed(4)
    x = torch.randn(6, 4, generator=g, dtype=torch.float64)
    gamma = torch.randn(4, generator=g, dtype=torch.float64)
    expected = (x - 0.3) / 1.7 * gamma
    inputs = Inputs(tensors=[("x", x), ("gamma", gamma)])
    found = pattern.input_returned(expected, x.clone(), inputs)
    assert found is not None and found.kind == "omitted" and "`x` handed back" in found.text
    # near misses: a result close to but not `x`, and one equal to two arguments alike
    assert pattern.input_returned(expected, x + 1e-3, inputs) is None
    twin = Inputs(tensors=[("x", x), ("y", x.clone())])
    assert pattern.input_returned(expected, x.clone(), twin) is None


def test_the_handed_back_stage_reads_a_failed_check_s_call():
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)

    def recipe(impl):
        return impl(x)

    found = pattern.handed_back(Case(recipe, x.clone(), torch.tanh(x), torch.tanh))
    assert found is not None and "`x` handed back" in found.text
    assert pattern.handed_back(Case(recipe, x * 2, torch.tanh(x), torch.tanh)) is None
