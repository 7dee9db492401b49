"""Hidden graders for starter/schedules.py.

Whole sequences against ``torch.optim.lr_scheduler`` (StepLR, ExponentialLR, CosineAnnealingLR,
SequentialLR(LinearLR, CosineAnnealingLR) for warmup then cosine, OneCycleLR with its defaults
and explicit arguments, ReduceLROnPlateau on noisy curves and on hand-made metrics at each edge
of its rule: both modes and both threshold modes exactly at their bars, a cut of exactly eps,
0-dim tensor metrics), exact values at the boundary steps (0, the last warmup step, the first
cosine step, the end, past the end), the refusals at both ends of one-cycle's pct_start range,
the Python-float return type, and hypothesis properties (bounds, monotonicity, warmup_steps = 0).
Every rate, step count and metric is drawn (``inputs``) but the plateau's edges, whose metrics
must be exact: they count only beside a drawn run of the same rule that passed.
"""

from __future__ import annotations

import math
import warnings

import expect
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

# The hypothesis tests' derandomized examples are seeded from their source text, which calls
# ``sweep``: a new name there would change the cases they draw.
from runs import schedule_values as sweep
from runs import values_with_state
from torch_oracles import LearningRates

EXACT = dict(rtol=1e-12, atol=1e-15)


def torch_lrs(make, steps: int, base_lr: float) -> list[float]:
    """The learning rate PyTorch's scheduler gives at steps 0 .. steps-1."""
    opt = LearningRates(base_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(opt)
        out = []
        for _ in range(steps):
            out.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return out


def cosine(step, base_lr, total, min_lr=0.0):
    if step >= total:
        return min_lr
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total)) / 2


def warmup_cosine(step, base_lr, warmup, total, min_lr=0.0):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    return cosine(step - warmup, base_lr, total - warmup, min_lr)


# -- against torch.optim.lr_scheduler ---------------------------------------------------------------
def python_floats(check, lrs, what):
    """A schedule's rates must be plain Python floats, as its docstring says."""
    expect.python_numbers(
        check,
        lrs,
        float,
        what,
        hint="return a Python float computed with plain arithmetic and the math module, not a "
        "tensor or a NumPy number (float(...) converts one)",
    )


@pytest.mark.exercise("schedules.step_lr")
@pytest.mark.ordinary  # every check here is an everyday call
class TestStepLR:
    # (step_size, gamma) bands: a drop every step too, and gentle and steep gammas, in every draw
    @pytest.mark.parametrize(
        "step_sizes,gammas",
        [((2, 4), (0.3, 0.7)), ((5, 9), (0.05, 0.3)), ((1, 1), (0.7, 0.97))],
        ids=["short", "long-steep", "every-step"],
    )
    def test_against_torch(self, step_sizes, gammas, check, inputs):
        base_lr, step_size = inputs.log_number(0.01, 3.0), inputs.integer(*step_sizes)
        gamma = inputs.number(*gammas)
        n = 5 * step_size + 4
        expected = torch_lrs(
            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma), n, base_lr
        )
        got = check.matches(
            lambda m: sweep(m.schedules.step_lr, range(n), base_lr, step_size, gamma),
            f"step_lr for steps 0..{n - 1} (step_size={step_size}, gamma={gamma})",
            expected=expected,
            check="reference value",
            **EXACT,
            hint="lr = base_lr * gamma ** (step // step_size): constant within a "
            "block, dropping at multiples of step_size",
        )
        python_floats(check, got, "step_lr")

    def test_boundaries(self, check, inputs):
        size, base, gamma = (
            inputs.integer(3, 8),
            inputs.log_number(0.01, 3.0),
            inputs.number(0.1, 0.9),
        )
        steps = [0, size - 1, size, size + 1, 2 * size - 1, 2 * size, 2 * size + 1, 4 * size + 3]
        expected = [base * gamma ** (t // size) for t in steps]
        check.matches(
            lambda m: sweep(m.schedules.step_lr, steps, base, size, gamma),
            f"step_lr at steps {', '.join(map(str, steps))} (step_size={size})",
            expected=expected,
            check="boundary values",
            **EXACT,
            hint=f"steps 0..{size - 1} use base_lr, step {size} the first drop",
        )

    def test_default_gamma(self, check, inputs):
        # a block of 2 steps or more: with 1, step / step_size is whole, floored or not
        base, size = inputs.log_number(0.01, 3.0), inputs.integer(2, 4)
        check.matches(
            lambda m: sweep(m.schedules.step_lr, range(3 * size), base, size),
            f"step_lr with the default gamma (step_size={size})",
            expected=[base * 0.1 ** (t // size) for t in range(3 * size)],
            check="defaults",
            **EXACT,
            hint="the default gamma is 0.1",
        )


@pytest.mark.exercise("schedules.exponential_lr")
@pytest.mark.ordinary  # every check here is an everyday call
class TestExponentialLR:
    @pytest.mark.parametrize("gammas", [(0.85, 0.99), (0.3, 0.7)], ids=["slow", "fast"])
    def test_against_torch(self, gammas, check, inputs):
        base_lr, gamma = inputs.log_number(0.01, 3.0), inputs.number(*gammas)
        n = 40
        expected = torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma), n, base_lr)
        check.matches(
            lambda m: sweep(m.schedules.exponential_lr, range(n), base_lr, gamma),
            f"exponential_lr for steps 0..{n - 1} (gamma={gamma})",
            expected=expected,
            check="reference value",
            **EXACT,
            hint="lr = base_lr * gamma ** step; step 0 gives base_lr",
        )

    def test_returns_a_float(self, check, inputs):
        step, base, gamma = (
            inputs.integer(1, 9),
            inputs.log_number(0.01, 3.0),
            inputs.number(0.5, 0.99),
        )
        call = f"exponential_lr({step}, {base:g}, {gamma:g})"
        got = check.matches(
            lambda m: m.schedules.exponential_lr(step, base, gamma),
            call,
            expected=base * gamma**step,
            check="return type",
            **EXACT,
            hint="return a Python float, computed with plain arithmetic",
        )
        python_floats(check, got, call)


@pytest.mark.exercise("schedules.cosine_lr")
class TestCosineLR:
    # (total_steps, min_lr as a share of base_lr) bands: no floor, a small one, a high one
    @pytest.mark.parametrize(
        "totals,floors",
        [((6, 15), (0.0, 0.0)), ((5, 9), (0.05, 0.15)), ((18, 30), (0.15, 0.3))],
        ids=["no-floor", "short", "long"],
    )
    @pytest.mark.ordinary
    def test_against_torch(self, totals, floors, check, inputs):
        base_lr, total = inputs.log_number(0.01, 3.0), inputs.integer(*totals)
        min_lr = base_lr * inputs.number(*floors) if floors[1] else 0.0
        expected = torch_lrs(
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=min_lr),
            total + 1,
            base_lr,
        )
        check.matches(
            lambda m: sweep(m.schedules.cosine_lr, range(total + 1), base_lr, total, min_lr),
            f"cosine_lr for steps 0..{total} (total_steps={total}, min_lr={min_lr})",
            expected=expected,
            check="reference value",
            **EXACT,
            hint="min_lr + (base_lr - min_lr) * (1 + cos(pi * step / total_steps)) / 2",
        )

    def test_boundaries(self, check, inputs):
        base, total = inputs.log_number(0.01, 3.0), inputs.integer(8, 16)
        low = base * inputs.number(0.05, 0.3)
        steps = [0, 1, total // 2, total - 1, total, total + 1, total + inputs.integer(5, 30)]
        check.matches(
            lambda m: sweep(m.schedules.cosine_lr, steps, base, total, low),
            f"cosine_lr at steps {', '.join(map(str, steps[:4]))}, {total} (the end), "
            f"{steps[5]} and {steps[6]} (past the end)",
            expected=[cosine(t, base, total, low) for t in steps],
            check="boundary values",
            **EXACT,
            hint="step 0 gives base_lr, step total_steps exactly min_lr, and every "
            "later step min_lr as well",
        )

    @pytest.mark.ordinary
    def test_returns_a_float(self, check, inputs):
        total, base = inputs.integer(4, 12), inputs.log_number(0.01, 3.0)
        step = inputs.integer(1, total - 1)
        call = f"cosine_lr({step}, {base:g}, {total})"
        got = check.matches(
            lambda m: m.schedules.cosine_lr(step, base, total),
            call,
            expected=cosine(step, base, total),
            check="return type",
            **EXACT,
            hint="return a Python float: use math.cos, not torch.cos",
        )
        python_floats(check, got, call)

    @given(
        base=st.sampled_from([1e-3, 0.1, 3.0]),
        total=st.integers(1, 60),
        frac=st.sampled_from([0.0, 0.1, 0.5]),
    )
    def test_bounded_and_decreasing(self, base, total, frac, check):
        low = base * frac
        lrs = check.matches(
            lambda m: sweep(m.schedules.cosine_lr, range(total + 3), base, total, low),
            f"cosine_lr (total_steps={total})",
            expected=[cosine(t, base, total, low) for t in range(total + 3)],
            **EXACT,
        )
        check.that(
            all(b <= a + 1e-15 for a, b in zip(lrs, lrs[1:]))
            and all(low - 1e-15 <= x <= base + 1e-15 for x in lrs),
            "cosine_lr must decrease from base_lr to min_lr and stay within them",
        )


@pytest.mark.exercise("schedules.warmup_cosine_lr")
class TestWarmupCosineLR:
    @pytest.mark.ordinary
    # (warmup_steps, cosine steps after it, min_lr as a share of base_lr) bands; a warmup of
    # one step in every draw
    @pytest.mark.parametrize(
        "warmups,decays,floors",
        [
            ((4, 8), (10, 20), (0.02, 0.1)),
            ((2, 4), (6, 10), (0.0, 0.0)),
            ((1, 1), (6, 10), (0.05, 0.2)),
        ],
        ids=["floor", "no-floor", "one-warmup-step"],
    )
    def test_against_torch(self, warmups, decays, floors, check, inputs):
        base_lr, warmup = inputs.log_number(0.01, 3.0), inputs.integer(*warmups)
        total = warmup + inputs.integer(*decays)
        min_lr = base_lr * inputs.number(*floors) if floors[1] else 0.0
        sched = torch.optim.lr_scheduler

        def make(o):
            ramp = sched.LinearLR(
                o, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1
            )
            return sched.SequentialLR(
                o,
                [ramp, sched.CosineAnnealingLR(o, T_max=total - warmup, eta_min=min_lr)],
                milestones=[warmup],
            )

        expected = torch_lrs(make, total + 1, base_lr)
        got = check.matches(
            lambda m: sweep(
                m.schedules.warmup_cosine_lr, range(total + 1), base_lr, warmup, total, min_lr
            ),
            f"warmup_cosine_lr for steps 0..{total} (warmup_steps={warmup}, "
            f"total_steps={total}, min_lr={min_lr})",
            expected=expected,
            check="reference value",
            **EXACT,
            hint="warmup: base_lr * (step + 1) / warmup_steps; then cosine_lr of "
            "(step - warmup_steps) over (total_steps - warmup_steps) steps",
        )
        python_floats(check, got, "warmup_cosine_lr")

    @pytest.mark.parametrize(
        "label",
        [
            # steps within the run are everyday ones; past its end is an edge
            pytest.param("step 0", marks=pytest.mark.ordinary),
            pytest.param("last warmup step", marks=pytest.mark.ordinary),
            pytest.param("first cosine step", marks=pytest.mark.ordinary),
            pytest.param("second cosine step", marks=pytest.mark.ordinary),
            pytest.param("middle", marks=pytest.mark.ordinary),
            pytest.param("end", marks=pytest.mark.ordinary),
            "past the end",
            "far past the end",
        ],
    )
    def test_boundaries(self, label, check, inputs):
        base, warmup = inputs.log_number(0.01, 3.0), inputs.integer(3, 6)
        total = warmup + inputs.integer(8, 16)
        low = base * inputs.number(0.02, 0.1)
        step = {
            "step 0": 0,
            "last warmup step": warmup - 1,
            "first cosine step": warmup,
            "second cosine step": warmup + 1,
            "middle": (warmup + total) // 2,
            "end": total,
            "past the end": total + 1,
            "far past the end": total + inputs.integer(10, 40),
        }[label]
        check.matches(
            lambda m: m.schedules.warmup_cosine_lr(step, base, warmup, total, low),
            f"warmup_cosine_lr at the {label} (step {step}; warmup_steps={warmup}, "
            f"total_steps={total})",
            expected=warmup_cosine(step, base, warmup, total, low),
            check="boundary values",
            **EXACT,
            hint="warmup gives base_lr*(step+1)/warmup_steps, so base_lr at step "
            "warmup_steps-1; the cosine restarts at its step 0 at step "
            "warmup_steps and reaches min_lr at total_steps",
        )

    def test_no_warmup_is_cosine(self, check, inputs):
        base, total = inputs.log_number(0.01, 3.0), inputs.integer(6, 14)
        low, steps = base * inputs.number(0.02, 0.2), range(total + 2)
        check.matches(
            lambda m: sweep(m.schedules.warmup_cosine_lr, steps, base, 0, total, low),
            "warmup_cosine_lr with warmup_steps=0",
            expected=[cosine(t, base, total, low) for t in steps],
            check="boundary values",
            **EXACT,
            hint="without warmup the schedule is cosine_lr itself (no division by 0)",
        )

    @given(
        warmup=st.integers(1, 12), extra=st.integers(1, 30), base=st.sampled_from([1e-3, 0.1, 2.0])
    )
    def test_ramp_then_decay(self, warmup, extra, base, check):
        total = warmup + extra
        steps = range(total + 2)
        lrs = check.matches(
            lambda m: sweep(m.schedules.warmup_cosine_lr, steps, base, warmup, total),
            f"warmup_cosine_lr (warmup_steps={warmup}, total_steps={total})",
            expected=[warmup_cosine(t, base, warmup, total) for t in steps],
            **EXACT,
        )
        ramp, decay = lrs[:warmup], lrs[warmup:]
        check.that(
            all(b > a for a, b in zip(ramp, ramp[1:]))
            and ramp[0] > 0
            and all(b <= a + 1e-15 for a, b in zip(decay, decay[1:]))
            and max(lrs) <= base * (1 + 1e-12),
            "warmup_cosine_lr must rise from a positive rate to base_lr, then decrease",
        )


# -- one-cycle and reduce-on-plateau ----------------------------------------------------------------
# Bands of (total_steps, pct_start, div_factor, final_div_factor) and the anneal: the defaults'
# neighbourhood, a short linear run whose peak falls between two steps, other factors, and a
# short warmup; every band keeps 1 < pct_start * total_steps < total_steps - 1.
ONE_CYCLE = [
    pytest.param(
        ((80, 120), (0.25, 0.35), (20.0, 30.0), (5e3, 2e4)),
        "cos",
        id="defaults",
        marks=pytest.mark.points(2),
    ),
    pytest.param(
        ((8, 14), (0.2, 0.35), (20.0, 30.0), (5e3, 2e4)), "linear", id="linear-fractional-peak"
    ),
    pytest.param(((30, 45), (0.35, 0.45), (5.0, 15.0), (50.0, 200.0)), "cos", id="other-factors"),
    pytest.param(((40, 60), (0.06, 0.12), (3.0, 8.0), (20.0, 80.0)), "linear", id="short-warmup"),
]


def _one_cycle(inputs, bands):
    """Drawn (max_lr, total_steps, pct_start, div_factor, final_div_factor) within ``bands``."""
    totals, pcts, divs, finals = bands
    return (
        inputs.log_number(0.01, 3.0),
        inputs.integer(*totals),
        inputs.number(*pcts),
        inputs.number(*divs),
        inputs.log_number(*finals),
    )


def torch_one_cycle(max_lr, total, pct_start, div, final_div, anneal):
    return torch_lrs(
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=max_lr,
            total_steps=total,
            pct_start=pct_start,
            div_factor=div,
            final_div_factor=final_div,
            anneal_strategy=anneal,
            cycle_momentum=False,
        ),
        total,
        0.1,
    )


@pytest.mark.exercise("schedules.one_cycle_lr")
class TestOneCycleLR:
    @pytest.mark.ordinary  # both anneals are everyday choices
    @pytest.mark.parametrize("bands,anneal", ONE_CYCLE)
    def test_against_torch(self, bands, anneal, check, inputs):
        max_lr, total, pct_start, div, final_div = _one_cycle(inputs, bands)
        got = check.matches(
            lambda m: sweep(
                m.schedules.one_cycle_lr,
                range(total),
                max_lr,
                total,
                pct_start,
                div,
                final_div,
                anneal,
            ),
            f"one_cycle_lr over {total} steps ({anneal}, max_lr {max_lr:g}, pct_start "
            f"{pct_start:g}, div_factor {div:g}, final_div_factor {final_div:g})",
            expected=torch_one_cycle(max_lr, total, pct_start, div, final_div, anneal),
            **EXACT,
            hint="the peak is the float pct_start * total_steps - 1; the "
            "second phase runs from it to total_steps - 1",
        )
        python_floats(check, got, "one_cycle_lr")

    @pytest.mark.ordinary
    def test_defaults(self, check, inputs):
        # 0.3 * total_steps between two steps (not a multiple of 10): rounding the peak shows
        max_lr, total = (
            inputs.log_number(0.01, 3.0),
            inputs.choice(t for t in range(31, 60) if t % 10),
        )
        check.matches(
            lambda m: sweep(m.schedules.one_cycle_lr, range(total), max_lr, total),
            f"one_cycle_lr over {total} steps with every default (pct_start, div_factor, "
            "final_div_factor, anneal)",
            expected=torch_lrs(
                lambda opt: torch.optim.lr_scheduler.OneCycleLR(
                    opt, max_lr=max_lr, total_steps=total, cycle_momentum=False
                ),
                total,
                0.1,
            ),
            check="defaults",
            **EXACT,
            hint="the defaults are PyTorch's: pct_start=0.3, div_factor=25, "
            "final_div_factor=1e4, anneal='cos'",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize(
        "case",
        [
            "past-the-end",
            "negative",
            "unknown-anneal",
            "no-warmup",
            "warmup-ends-at-step-0",
            "no-annealing",
        ],
    )
    def test_refuses(self, case, check, inputs):
        # totals whose 1 / total_steps times total_steps is exactly 1 in floating point
        total, max_lr = inputs.choice((8, 10, 16, 20, 32, 40)), inputs.log_number(0.01, 3.0)
        step, kwargs = {
            "past-the-end": (total + inputs.integer(0, 3), {}),
            "negative": (-inputs.integer(1, 5), {}),
            "unknown-anneal": (0, {"anneal": inputs.choice(("exp", "cosine", "Linear"))}),
            "no-warmup": (0, {"pct_start": inputs.number(0.1, 0.9) / total}),
            "warmup-ends-at-step-0": (0, {"pct_start": 1 / total}),
            "no-annealing": (0, {"pct_start": 1.0}),
        }[case]
        expect.value_error(
            check,
            lambda m: m.schedules.one_cycle_lr(step, max_lr, total, **kwargs),
            f"one_cycle_lr({step}, {max_lr:g}, {total}, {kwargs})",
            hint="refuse steps outside 0 .. total_steps - 1, an unknown anneal, "
            "and unless 1 < pct_start * total_steps < total_steps (a warmup "
            "that ends after step 0, an annealing phase of a step or more)",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # any float passes it
    def test_returns_a_float(self, check, inputs):
        total, max_lr = inputs.integer(10, 30), inputs.log_number(0.01, 3.0)
        step = inputs.integer(0, total - 1)
        python_floats(
            check,
            check.impl.schedules.one_cycle_lr(step, max_lr, total),
            f"one_cycle_lr({step}, {max_lr:g}, {total})",
        )


def plateau_metrics(inputs, n: int = 80, mode: str = "min", kw: dict | None = None) -> list[float]:
    """A drawn noisy curve that improves, then flattens: plateaus for the reducer to find. Its
    last epochs creep down without noise from a low level (0.04), by less per epoch than the
    absolute threshold sees within ``patience`` epochs and more than the relative one
    (``threshold * metric``) sees at once: a reducer that reads the threshold in the wrong mode
    cuts the rate there on every draw, where a noisy plateau decides it by chance."""
    kw = kw or {}
    start, floor = inputs.number(0.8, 1.5), inputs.number(0.3, 0.6)
    trend = torch.cat([torch.linspace(start, floor, n // 3), torch.full((n - n // 3,), floor)])
    values = (trend.double() + 0.02 * inputs.randn(n).cpu()).tolist()
    threshold, patience = kw.get("threshold", 1e-4), kw.get("patience", 10)
    low, creep = 0.04, patience + 3
    step = threshold * (low / (patience + 2)) ** 0.5
    values[n - creep :] = [low - k * step for k in range(creep)]
    return values if mode == "min" else [-v for v in values]


def torch_plateau(metrics, lr0, **kw):
    opt = LearningRates(lr0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    out = []
    for metric in metrics:
        opt.step()
        sched.step(metric)
        out.append(float(opt.param_groups[0]["lr"]))
    return out


def run_plateau(fn, metrics, lr0, **kw):
    """The learning rates of ``lr, state = fn(metric, state, **kw)`` over ``metrics``."""
    return values_with_state(fn, [(m,) for m in metrics], {"lr": lr0}, kw)


# (keyword arguments, mode of the metric curve, drawn on every grading). The defaults, a floor
# and a moderate threshold are everyday settings (ordinary); a cooldown is a rare mode, and the
# runs that cut the rate a dozen times reach eps, an extreme.
PLATEAU = [
    pytest.param(dict(), "min", id="defaults", marks=[pytest.mark.points(2), pytest.mark.ordinary]),
    pytest.param(dict(factor=0.5, patience=2, cooldown=1), "min", id="cooldown"),
    pytest.param(dict(mode="max", patience=3, threshold=1e-3), "max", id="max-mode"),
    pytest.param(
        dict(patience=1, factor=0.5, min_lr=0.04),
        "min",
        id="min-lr-floor",
        marks=pytest.mark.ordinary,
    ),
    pytest.param(dict(patience=0, factor=0.3, threshold=0.05), "min", id="big-threshold"),
    pytest.param(
        dict(patience=3, factor=0.5, threshold=0.02),
        "min",
        id="threshold-0.02",
        marks=pytest.mark.ordinary,
    ),
]


# Each edge of PyTorch's rule, on metrics chosen so that only that edge decides an epoch (and no
# other catalogued mistake gives the same rates there: scaled, some would). They are written
# into the test, so they count only beside a drawn run of the rule that passed
# (test_against_torch), and half as much as a drawn check.
PLATEAU_EDGES = [
    # best = -1, threshold 0.1: -0.95 is an improvement (below best * 0.9 = -0.9), though worse
    pytest.param(
        [-1.0, -0.95, -0.8, -0.8, -0.7, -0.6, -0.6],
        dict(patience=1, factor=0.5, threshold=0.1),
        id="negative-metrics",
    ),
    # 0.5 == 1.0 * (1 - 0.5) exactly: equal to the threshold is not an improvement
    pytest.param(
        [1.0, 0.5, 0.25, 0.125, 0.125, 0.0625],
        dict(patience=0, factor=0.5, threshold=0.5),
        id="exactly-at-threshold",
    ),
    # the second cut would lower the rate by 5e-9 only (min_lr): the rate stays
    pytest.param([1.0] * 5, dict(patience=0, factor=0.5, min_lr=0.05 - 5e-9), id="cut-below-eps"),
    # mode "max": 1.5 == 1.0 * (1 + 0.5) exactly is not an improvement either
    pytest.param(
        [1.0, 1.5, 2.25, 3.375, 3.375, 5.0625],
        dict(mode="max", patience=0, factor=0.5, threshold=0.5),
        id="max-at-threshold",
    ),
    # absolute bars 1.75 (met exactly: no improvement), then 1.35, 1.0 (met again), 1.0; the
    # relative bar best * 0.75 would give other epochs
    pytest.param(
        [2.0, 1.75, 1.6, 1.25, 1.0, 1.0, 0.75],
        dict(threshold_mode="abs", threshold=0.25, patience=0, factor=0.5),
        id="abs-min",
    ),
    # the same in mode "max": the bar is best + threshold, above best
    pytest.param(
        [-2.0, -1.75, -1.6, -1.25, -1.0, -1.0, -0.75],
        dict(threshold_mode="abs", mode="max", threshold=0.25, patience=0, factor=0.5),
        id="abs-max",
    ),
    # the first cut (0.1 -> 0.05) exceeds eps; the next, 0.05 - 0.025, is exactly eps = 0.025
    # and is not applied
    pytest.param([1.0] * 4, dict(patience=0, factor=0.5, eps=0.025), id="cut-of-exactly-eps"),
]


@pytest.mark.exercise("schedules.reduce_on_plateau_step")
class TestReduceOnPlateau:
    @pytest.mark.parametrize("kw,mode", PLATEAU)
    def test_against_torch(self, kw, mode, check, inputs):
        metrics = plateau_metrics(inputs, mode=mode, kw=kw)
        got = check.matches(
            lambda m: run_plateau(m.schedules.reduce_on_plateau_step, metrics, 0.1, **kw),
            f"learning rates over {len(metrics)} epochs ({kw or 'defaults'})",
            expected=torch_plateau(metrics, 0.1, **kw),
            **EXACT,
            hint="improvement is relative (best * (1 - threshold)); reduce when "
            "num_bad_epochs > patience, then reset it and start the cooldown",
        )
        python_floats(check, got, "reduce_on_plateau_step's new_lr")

    @pytest.mark.supporting("test_against_torch")
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("metrics,kw", PLATEAU_EDGES)
    def test_edges(self, metrics, kw, check):
        check.matches(
            lambda m: run_plateau(m.schedules.reduce_on_plateau_step, metrics, 0.1, **kw),
            f"learning rates over {len(metrics)} hand-made epochs ({kw})",
            expected=torch_plateau(metrics, 0.1, **kw),
            **EXACT,
            hint='improvement is metric < best * (1 - threshold) ("rel") or '
            'metric < best - threshold ("abs"), with > and 1 + threshold or '
            '+ threshold for mode "max", strictly, for a negative best too; '
            "a cut of eps or less leaves the rate as it is",
        )

    def test_tensor_metrics(self, check, inputs):
        # A validation loss often arrives as a 0-dim tensor: it is read with float(), and the
        # state holds floats, as the state of a float metric does.
        metrics = list(inputs.uniform(5, low=0.6, high=1.0).cpu().unbind())
        check.matches(
            lambda m: _states(m, metrics, patience=1, factor=0.5),
            "(rate, state) after each of 5 epochs whose metrics are 0-dim tensors",
            **EXACT,
            hint="read the metric with float(metric): the state's best is a "
            "Python float, never the tensor itself",
        )

    def test_state_at_the_floor(self, check, inputs):
        # The first cut reaches min_lr; later cuts change nothing, yet each one still restarts
        # the cooldown and clears the bad epochs.
        metrics = [inputs.number(0.2, 2.0)] * 9
        check.matches(
            lambda m: _states(m, metrics, patience=1, factor=0.1, min_lr=0.01, cooldown=2),
            "(rate, state) after each of 9 equal metrics (patience 1, cooldown 2, "
            "min_lr reached at the first cut)",
            **EXACT,
            hint="once num_bad_epochs > patience, set cooldown_counter = cooldown and "
            "num_bad_epochs = 0 whether or not the rate could still be lowered",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize(
        "kwargs",
        [dict(mode="maximum"), dict(threshold_mode="relative"), dict(factor=1.0)],
        ids=["unknown-mode", "unknown-threshold-mode", "factor-one"],
    )
    def test_refuses(self, kwargs, check, inputs):
        metric, lr = inputs.number(0.1, 2.0), inputs.log_number(1e-3, 1.0)
        expect.value_error(
            check,
            lambda m: m.schedules.reduce_on_plateau_step(metric, {"lr": lr}, **kwargs),
            f"reduce_on_plateau_step({metric:g}, {{'lr': {lr:g}}}, {kwargs})",
            hint="refuse a mode other than 'min' or 'max', a threshold_mode other "
            "than 'rel' or 'abs', and a factor >= 1 (it would never cut)",
        )

    @pytest.mark.ordinary
    def test_state_after_a_reduction(self, check, inputs):
        metrics = [inputs.number(0.2, 2.0)] * 4
        check.matches(
            lambda m: _final_state(m, metrics),
            "state after 4 equal metrics (patience 2, cooldown 3)",
            expected={"lr": 0.01, "best": metrics[0], "num_bad_epochs": 0, "cooldown_counter": 3},
            **EXACT,
            hint="after a reduction: num_bad_epochs = 0 and cooldown_counter = cooldown",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_state_left_unchanged(self, check, inputs):
        best = inputs.number(0.2, 1.0)
        state = {
            "lr": inputs.log_number(1e-3, 1.0),
            "best": best,
            "num_bad_epochs": 3,
            "cooldown_counter": 0,
        }
        before = dict(state)
        check.impl.schedules.reduce_on_plateau_step(
            best * inputs.number(1.1, 2.0), state, patience=2
        )
        check.that(
            state == before,
            "reduce_on_plateau_step modified the state it was given",
            check="arguments unchanged",
            hint="return a new dict; never edit `state`",
        )


def _states(m, metrics, **kw):
    state, out = {"lr": 0.1}, []
    for metric in metrics:
        lr, state = m.schedules.reduce_on_plateau_step(metric, state, **kw)
        out.append((lr, dict(state)))
    return out


def _final_state(m, metrics):
    state = {"lr": 0.1}
    for metric in metrics:
        _, state = m.schedules.reduce_on_plateau_step(metric, state, patience=2, cooldown=3)
    return state
