"""Hidden graders for starter/regularization.py.

Dropout is random, so it is graded by statistics on 200,000 entries (bands of at least 6 standard
errors), by exact properties that any correct mask satisfies (kept entries are exactly
x / (1 - p), the backward is the adjoint of the forward with the same mask), by its special cases
(eval, p = 0, p = 1) and by reproducibility under a seeded generator, never by particular samples:
``rand >= p``, ``rand < 1 - p`` and ``torch.bernoulli`` masks all pass. The penalties are checked
against autograd with exact zeros among the weights; early stopping on hand-made boundary
sequences and against the reference on sequences drawn by hypothesis.
"""

import math

import pytest
import torch
from battery import F64
from hypothesis import given
from hypothesis import strategies as st
from runs import independent_calls

from descent.diagnoses import check as check_diagnoses
from descent.diagnoses import stat as stat_diagnoses
from descent.grading.gradcheck import gradcheck_pair

SIGMAS = 6.5
ROWS, COLS = 400, 500  # 200,000 entries


def _gen(inputs, offset=0):
    return torch.Generator(device=inputs.device).manual_seed(inputs.seed + offset)


def _dropout(m, x, p, inputs, offset=0, training=True):
    """(y, cache) from the implementation with a freshly seeded generator."""
    return m.regularization.dropout_forward(x, p, training, _gen(inputs, offset))


def _scale_slip(values, expected, p, what):
    """The generic diagnosis of entries that share one wrong scale (none when they differ:
    that is no scale slip), read as an estimate known to rounding: float32's, since a mask
    built in float32 (``.float()``) rounds its scale to about 1e-7 even when x is float64."""
    rounding = 1e-7 * abs(expected)
    if values.numel() == 0 or float(values.max() - values.min()) > 10 * rounding:
        return None
    got = float(values.mean())
    return stat_diagnoses.scaled(expected, got, rounding, {"p": p}, what, False)


def _kept_ratio(y, x):
    """y / x over the entries of ``y`` that are not 0 (float64): 1 / (1 - p) at every one."""
    kept = y != 0
    return (y[kept] / x[kept]).double()


def _kept_error(ratio, p):
    """How far the kept entries' scale is from 1 / (1 - p), relatively, at worst."""
    return float((ratio * (1 - p) - 1).abs().max()) if ratio.numel() else 0.0


def _kept_scale_holds(ratio, p):
    """The property of a result that keeps some entries: its scale is 1 / (1 - p). (Never
    said of a result that keeps none: a repair that drops every entry passes it vacuously,
    and the share dropped is test_statistics's estimate.)"""
    return ratio.numel() > 0 and _kept_error(ratio, p) <= 1e-12


def _edited(check, x, before):
    """The generic diagnosis of a check on calls that may have edited ``x`` in place (here, or
    in a worker that logs it): the edit when there was one (it explains any wrong result), else
    ``None``."""
    edited = not torch.equal(x, before) or id(x) in getattr(check.impl, "modified_log", ())
    return lambda: check_diagnoses.edited_argument() if edited else None


def _nonzero_x(inputs, *shape, dtype=None):
    # |x| >= 0.1 everywhere, so y == 0 exactly means "dropped"
    return inputs.away_from(inputs.randn(*shape, dtype=dtype), (0.0,), margin=0.1)


# ------------------------------------------------------------------------------------ dropout
@pytest.mark.exercise("regularization.dropout")
class TestDropout:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    @pytest.mark.parametrize("p", [0.3, 0.75, 0.05])
    def test_statistics(self, p, check, inputs):
        # One long row: the rate of dropping and the scale of the kept entries, whatever the
        # mask's layout. A mask drawn once and shared by every row of a batch drops the right
        # share on average but its rate then rests on one row's draws, so on a batch it would
        # pass here on some draws and fail on others; the independence of the entries is
        # test_entries_are_dropped_independently's, on a batch.
        x = _nonzero_x(inputs, 1, ROWS * COLS)
        with check.unmodified(x, who="dropout_forward"):
            y, _ = _dropout(check.impl, x, p, inputs)
        check.like(y, x, f"dropout_forward output (p={p})")
        n = x.numel()
        dropped = y == 0
        frac = float(dropped.double().mean())
        error = math.sqrt(p * (1 - p) / n)
        check.estimate(
            frac,
            p,
            f"dropout_forward(p={p}) zeroed {frac:.4f} of the entries, expected {p} "
            f"+- {SIGMAS * error:.4f}",
            error=error,
            sigmas=SIGMAS,
            named={"p": p},
            estimated="the share of entries you dropped",
            constants=False,
            hint="p is the probability of dropping an entry: keep where rand >= p "
            "(or rand < 1 - p)",
            recipe=lambda m: float((_dropout(m, x, p, inputs)[0] == 0).double().mean()),
        )
        ratio = _kept_ratio(y, x)
        worst = _kept_error(ratio, p)
        check.that(
            worst <= 1e-12,
            f"dropout_forward(p={p}): kept entries must equal x / (1 - p) = "
            f"x * {1 / (1 - p):.6g}; found y / x up to {float(ratio.max()):.6g} and "
            f"down to {float(ratio.min()):.6g}",
            check="statistics",
            hint="inverted dropout divides the kept entries by 1 - p (the keep "
            "probability), so the expected output equals x",
            recipe=lambda m: _dropout(m, x, p, inputs)[0],
            got=y,
            generic=lambda: _scale_slip(ratio, 1 / (1 - p), p, "the scale of your kept entries"),
            accepts=lambda theirs: _kept_scale_holds(_kept_ratio(theirs, x), p),
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_entries_are_dropped_independently(self, check, inputs):
        p = 0.4
        x = _nonzero_x(inputs, ROWS, COLS)
        dropped = (_dropout(check.impl, x, p, inputs)[0] == 0).double()
        same = p * p + (1 - p) * (1 - p)  # P(two independent entries agree)
        for axis, name in ((0, "rows"), (1, "columns")):
            a, b = (
                dropped.narrow(axis, 0, dropped.shape[axis] - 1),
                dropped.narrow(axis, 1, dropped.shape[axis] - 1),
            )
            agree = float((a == b).double().mean())
            band = SIGMAS * math.sqrt(same * (1 - same) / a.numel())
            check.that(
                abs(agree - same) <= band,
                f"neighbouring {name} share their dropped entries {agree:.3%} of the "
                f"time; independent draws agree {same:.3%} of the time (+- {band:.2%})",
                check="statistics",
                hint="draw one independent random number per entry: the mask has x's "
                "full shape, not one row or column broadcast over the others",
                generic=lambda: stat_diagnoses.shared(dropped, axis, "dropped entries"),
            )

    @pytest.mark.ordinary
    @pytest.mark.supporting(
        "test_statistics"
    )  # self-consistency with the student's own forward: counts once the forward's statistics are right
    @pytest.mark.points(2)
    @pytest.mark.parametrize("p", [0.2, 0.6])
    def test_backward_is_adjoint_of_forward(self, p, check, inputs):
        x = inputs.randn(60, 70)
        dy = inputs.randn(60, 70)
        x_before = x.clone()  # x edited in place (here or in a worker) explains any ratio
        y, cache = _dropout(check.impl, x, p, inputs)
        dx = check.impl.regularization.dropout_backward(dy, cache)
        check.like(dx, x, "dropout_backward result")
        lhs, rhs = float((dy * y).sum()), float((dx * x).sum())
        edited = _edited(check, x, x_before)
        check.that(
            abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)),
            f"adjoint test: <dy, y> = {lhs:.10g} but <dx, x> = {rhs:.10g} "
            f"(ratio {rhs / lhs if lhs else float('nan'):.6g})",
            check="adjoint",
            hint="dropout is linear in x: the backward must multiply dy by exactly the "
            "scaled mask this forward call used (same mask, same 1 / (1 - p))",
            generic=lambda: (
                edited()
                or stat_diagnoses.redrawn(y == 0, dx == 0, "backward's mask")
                or _scale_slip(
                    torch.tensor([rhs], dtype=torch.float64),
                    lhs,
                    p,
                    "your <dx, x> (<dy, y> expected)",
                )
            ),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting(
        "test_statistics"
    )  # self-consistency with the student's own forward: counts once the forward's statistics are right
    @pytest.mark.points(2)
    def test_backward_values(self, check, inputs):
        p = 0.35
        x = _nonzero_x(inputs, 30, 40)
        dy = inputs.randn(30, 40)

        def residual(m):
            # with the forward's own mask, dx = dy * (y / x) exactly (|x| >= 0.1 everywhere)
            y, cache = _dropout(m, x, p, inputs)
            return m.regularization.dropout_backward(dy, cache) - dy * (y / x)

        check.matches(
            residual,
            "dropout_backward - dy * (y / x) (must be 0: dy times the forward's own scaled mask)",
            expected=torch.zeros_like(x),
            check="adjoint",
            rtol=0,
            atol=1e-12,
            hint="dx = dy * keep / (1 - p) with the mask this forward call drew",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting(
        "test_statistics"
    )  # self-consistency with the student's own forward: counts once the forward's statistics are right
    def test_gradcheck_with_fixed_mask(self, check, inputs):
        x = inputs.randn(5, 7)
        # every forward call gets its own copy of the generator: the same mask each time, unless
        # the forward draws from elsewhere; then that, not the backward, is what to fix
        first, again = (_dropout(check.impl, x, 0.4, inputs)[0] for _ in range(2))
        check.that(
            torch.equal(first, again),
            "dropout_forward gave two different masks for generators seeded alike, so its "
            "gradient cannot be checked: the mask does not come from `generator` alone",
            check="reproducibility",
            hint="draw the mask with torch.rand(..., generator=generator); never from a global "
            "random state (torch's, NumPy's or Python's)",
        )
        gradcheck_pair(
            check.impl.regularization.dropout_forward,
            check.impl.regularization.dropout_backward,
            [x, 0.4, True, _gen(inputs)],
            [0],
            kwargs={},
            split=None,
            what="dropout_backward",
            checker=check,
        )

    # Evaluation mode is everyday (every inference); p = 0 is an edge. Not p = 0.5: there a
    # missing (or extra) factor 1 - p is a factor 2, and two causes read alike.
    @pytest.mark.supporting()  # the input handed back passes it
    @pytest.mark.points(2)
    @pytest.mark.parametrize("p", [pytest.param(0.3, marks=pytest.mark.ordinary), 0.0])
    def test_eval_mode_is_identity(self, p, check, inputs):
        x = inputs.randn(7, 9)
        with check.unmodified(x, who="dropout_forward"):
            check.matches(
                lambda m: _dropout(m, x, p, inputs, training=False)[0],
                f"dropout_forward(training=False, p={p})",
                expected=x,
                rtol=0,
                atol=0,
                check="eval identity",
                hint="with training=False dropout does nothing: return x unchanged",
            )

    # A backward after an evaluation-mode forward is rare (inference computes no gradient).
    @pytest.mark.supporting()  # dy handed back passes it
    @pytest.mark.parametrize("p", [0.3, 0.0])
    def test_backward_after_eval_mode(self, p, check, inputs):
        x, dy = inputs.randn(7, 9), inputs.randn(7, 9)
        check.matches(
            lambda m: m.regularization.dropout_backward(
                dy, _dropout(m, x, p, inputs, training=False)[1]
            ),
            "dropout_backward after an eval-mode forward",
            expected=dy,
            rtol=0,
            atol=0,
            check="eval identity",
        )

    @pytest.mark.supporting()  # the input handed back passes it
    @pytest.mark.points(2)
    def test_p_zero_is_identity(self, check, inputs):
        x, dy = inputs.randn(7, 9), inputs.randn(7, 9)
        check.matches(
            lambda m: _dropout(m, x, 0.0, inputs)[0],
            "dropout_forward(p=0)",
            expected=x,
            rtol=0,
            atol=0,
            check="edge case",
            hint="p = 0 drops nothing and scales by 1 / (1 - 0) = 1",
        )
        check.matches(
            lambda m: m.regularization.dropout_backward(dy, _dropout(m, x, 0.0, inputs)[1]),
            "dropout_backward after p=0",
            expected=dy,
            rtol=0,
            atol=0,
            check="edge case",
        )

    @pytest.mark.supporting()  # zeros pass it
    @pytest.mark.points(2)
    def test_p_one_gives_zeros_without_nan(self, check, inputs):
        x, dy = inputs.randn(7, 9), inputs.randn(7, 9)
        check.matches(
            lambda m: _dropout(m, x, 1.0, inputs)[0],
            "dropout_forward(p=1)",
            expected=torch.zeros_like(x),
            rtol=0,
            atol=0,
            check="edge case",
            hint="p = 1 drops everything: return zeros without dividing by 1 - p = 0 "
            "(0 * inf is NaN)",
        )
        check.matches(
            lambda m: m.regularization.dropout_backward(dy, _dropout(m, x, 1.0, inputs)[1]),
            "dropout_backward after p=1",
            expected=torch.zeros_like(dy),
            rtol=0,
            atol=0,
            check="edge case",
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_same_seed_same_mask(self, check, inputs):
        x = _nonzero_x(inputs, 50, 60)
        x_before = x.clone()
        first = _dropout(check.impl, x, 0.5, inputs)[0]
        again = _dropout(check.impl, x, 0.5, inputs)[0]
        other = _dropout(check.impl, x, 0.5, inputs, offset=1)[0]
        # x edited in place by the first call changes what the others are given: that is the
        # mistake then, not the generator (the check's kind would name the generator)
        edited = _edited(check, x, x_before)
        check.that(
            torch.equal(first, again),
            "two calls with generators seeded alike dropped different entries",
            check="reproducibility",
            hint="draw the mask from `generator` (torch.rand(x.shape, generator="
            "generator, ...)), never from the global random state",
            generic=edited,
        )
        check.that(
            not torch.equal(first, other),
            "generators with different seeds dropped the same entries",
            check="reproducibility",
            hint="the mask must come from `generator`",
            generic=edited,
        )

    @pytest.mark.ordinary  # the default call
    def test_without_generator(self, check, inputs):
        x = _nonzero_x(inputs, 100, 200)
        # The global state is seeded from this test's inputs so that a borderline rate (a mask
        # shared by every example varies ~10x more) gives the same verdict on every run: the
        # generator of the process that runs the code, a worker's as well as this one's
        check.impl.seed_global(inputs.seed)
        y, cache = check.impl.regularization.dropout_forward(x, 0.5)
        check.like(y, x, "dropout_forward(x, 0.5) output")
        frac = float((y == 0).double().mean())
        check.that(
            0.45 < frac < 0.55,
            f"dropout_forward(x, 0.5) with the default arguments zeroed {frac:.3f} of the entries",
            check="statistics",
            hint="training defaults to True; generator=None uses the global RNG",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # checks dtype and shape only
    def test_float32_and_3d(self, check, inputs):
        x = _nonzero_x(inputs, 4, 30, 50, dtype=torch.float32)
        y, cache = _dropout(check.impl, x, 0.25, inputs)
        check.like(y, x, "dropout_forward output for a float32 3-D x")
        dx = check.impl.regularization.dropout_backward(torch.ones_like(x) * 2, cache)
        check.like(dx, x, "dropout_backward result for a float32 3-D x")
        check.that(
            bool(torch.equal(dx == 0, y == 0)),
            "dropout_backward must zero exactly the entries the forward dropped",
            check="adjoint",
            generic=lambda: stat_diagnoses.redrawn(y == 0, dx == 0, "backward's mask"),
        )


# -------------------------------------------------------------------------------- penalties
def _params(inputs, zeros=False):
    ps = [inputs.randn(5, 3), inputs.randn(4), inputs.randn(2, 3, 6)]
    if zeros:  # exact zeros, where |w| has no derivative
        ps = [torch.where(inputs.uniform(*p.shape) < 0.3, torch.zeros_like(p), p) for p in ps]
        ps[1] = ps[1].clone()
        ps[1][0] = 0.0
    return ps


def _oracle(params, lam, kind):
    leaves = [p.detach().clone().requires_grad_(True) for p in params]
    if kind == "l2":
        loss = 0.5 * lam * sum((w**2).sum() for w in leaves)
        grads = torch.autograd.grad(loss, leaves)
    else:
        loss = lam * sum(w.abs().sum() for w in leaves)
        grads = torch.autograd.grad(loss, leaves)  # autograd's |w|' at 0 is sign(0) = 0
    return loss.detach(), [g.detach() for g in grads]


PENALTY_HINT = {
    "l2": "loss = 0.5 * lam * sum of w^2 over every tensor; grads = lam * w",
    "l1": "loss = lam * sum of |w| over every tensor; grads = lam * sign(w), with "
    "exactly 0 where w == 0",
}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("l2", marks=pytest.mark.exercise("regularization.l2_penalty")),
        pytest.param("l1", marks=pytest.mark.exercise("regularization.l1_penalty")),
    ],
)
class TestPenalties:
    # Everyday parameters have no exact zeros: test_l1_subgradient_at_exact_zeros and
    # test_lam_zero hold them.
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    @pytest.mark.parametrize("lam", [0.03, 2.5])
    def test_reference_value(self, kind, lam, check, inputs):
        params = _params(inputs)
        with check.unmodified(*params, who=f"{kind}_penalty"):
            check.matches(
                lambda m: tuple(getattr(m.regularization, f"{kind}_penalty")(params, lam)),
                f"{kind}_penalty(params, lam={lam}) (loss, grads)",
                expected=_oracle(params, lam, kind),
                **F64,
                hint=PENALTY_HINT[kind],
            )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # any result of the right shape passes it
    def test_shapes_and_types(self, kind, check, inputs):
        params = _params(inputs)
        got = getattr(check.impl.regularization, f"{kind}_penalty")(params, 0.1)
        check.that(
            isinstance(got, tuple) and len(got) == 2,
            f"{kind}_penalty must return (loss, grads)",
            check="shape and type",
        )
        loss, grads = got
        check.like(loss, params[0].new_tensor(0.0), f"{kind}_penalty loss (a 0-dim tensor)")
        check.that(
            isinstance(grads, list),
            f"{kind}_penalty grads must be a list, got {type(grads).__name__}",
            check="shape and type",
        )
        check.like(tuple(grads), tuple(params), f"{kind}_penalty grads")

    @pytest.mark.ordinary
    def test_single_float32_parameter(self, kind, check, inputs):
        params = [inputs.randn(6, 5, dtype=torch.float32)]
        loss, grads = _oracle([p.double() for p in params], 0.2, kind)
        check.matches(
            lambda m: tuple(getattr(m.regularization, f"{kind}_penalty")(params, 0.2)),
            f"{kind}_penalty of one float32 tensor",
            expected=(loss.float(), [g.float() for g in grads]),
            rtol=1e-5,
            atol=1e-6,
        )

    @pytest.mark.supporting()  # zeros pass it
    def test_lam_zero(self, kind, check, inputs):
        params = _params(inputs, zeros=True)
        check.matches(
            lambda m: tuple(getattr(m.regularization, f"{kind}_penalty")(params, 0.0)),
            f"{kind}_penalty with lam=0",
            expected=(params[0].new_tensor(0.0), [torch.zeros_like(p) for p in params]),
            rtol=0,
            atol=0,
        )


@pytest.mark.exercise("regularization.l1_penalty")
def test_l1_subgradient_at_exact_zeros(check, inputs):
    w = inputs.tensor([[0.0, -2.0, 0.0, 3.0], [1e-300, -0.0, 0.5, 0.0]])
    check.matches(
        lambda m: m.regularization.l1_penalty([w], 0.7)[1][0],
        "l1_penalty gradient with exact zeros",
        expected=0.7 * inputs.tensor([[0.0, -1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]]),
        rtol=0,
        atol=0,
        check="edge case",
        hint="use sign(0) = 0: torch.sign(w), not w / |w| (NaN) or a >= 0 test",
    )


# --------------------------------------------------------------------------- early stopping
ES_CASES = [
    # (losses, patience, min_delta, expected (stop_epoch, best_epoch), id)
    ([1.0, 0.8, 0.9, 0.85, 0.7], 2, 0.0, (3, 1), "docstring-patience-2"),
    ([1.0, 0.8, 0.9, 0.85, 0.7], 3, 0.0, (None, 4), "docstring-patience-3"),
    ([1.0, 0.5, 0.6, 0.7], 2, 0.0, (3, 1), "stop-on-last-epoch"),
    ([1.0, 0.5, 0.6], 2, 0.0, (None, 1), "one-epoch-short"),
    ([2.0, 2.0, 2.0, 2.0], 3, 0.0, (3, 0), "ties-never-improve"),
    ([1.0, 0.9, 0.9, 0.9, 0.8], 2, 0.0, (3, 1), "tie-after-improvement"),
    ([3.0, 2.0, 2.0], 1, 0.0, (2, 1), "patience-1"),
    ([0.5], 4, 0.0, (None, 0), "single-epoch"),
    ([5.0, 4.0, 3.0, 2.0, 1.0], 1, 0.0, (None, 4), "always-improving"),
    ([1.0, 2.0, 3.0, 0.5], 3, 0.0, (None, 3), "improves-exactly-at-patience"),
    ([1.0, 2.0, 3.0, 4.0, 0.1], 3, 0.0, (3, 0), "later-improvement-not-seen"),
    ([1.0, 0.875, 0.625, 0.5, 0.5, 0.5], 2, 0.25, (4, 2), "min-delta"),
    ([1.0, 0.875, 0.75, 0.5, 0.25], 2, 0.25, (2, 0), "min-delta-stop-early"),
    ([1.0, 0.875, 0.75, 0.625, 0.5], 9, 0.25, (None, 3), "min-delta-no-stop"),
    ([1.0, 0.75, 0.5, 0.25], 2, 0.25, (None, 2), "gain-equal-to-min-delta"),
    ([1.0, 0.875, 0.8125, 0.5, 0.25, 0.125], 10, 0.25, (None, 5), "best-is-last-improving-loss"),
    ([1.0, 0.95, 0.88, 0.86, 0.84, 0.79], 3, 0.1, (5, 2), "min-delta-no-ties"),
    # bad epochs that never come patience in a row, and no ties: a count of bad epochs that an
    # improvement does not reset runs out here, which ties counted as improvements cannot explain
    ([1.0, 1.25, 0.875, 1.0, 0.75, 0.875, 0.625], 2, 0.0, (None, 6), "bad-epochs-apart"),
]
# Cases at an edge: exact ties (with best, or with best - min_delta) and a single epoch. The
# others are everyday sequences (ordinary).
ES_EDGE = {
    "ties-never-improve",
    "tie-after-improvement",
    "patience-1",
    "single-epoch",
    "min-delta-stop-early",
    "min-delta-no-stop",
    "gain-equal-to-min-delta",
    "best-is-last-improving-loss",
}


def _moved(inputs, losses, min_delta):
    """The same scenario on other numbers: every loss scaled by a drawn power of two and shifted
    by a drawn multiple of 2^-10 (min_delta scaled alike). Losses that are multiples of 1/16
    stay exact, so ties and gains of exactly min_delta stay what they were; the others keep
    their order by far more than any rounding."""
    scale, shift = 2.0 ** inputs.integer(-2, 3), inputs.integer(-(2**20), 2**20) / 2**10
    return [scale * v + shift for v in losses], scale * min_delta


def _trivial(expected) -> list:
    """(None, 0) and (None, 1) are what code returning zeros, ones or its input gives: cases that
    expect them count once a case with a real answer passes."""
    return [pytest.mark.supporting()] if expected in ((None, 0), (None, 1)) else []


@pytest.mark.exercise("regularization.early_stopping")
class TestEarlyStopping:
    @pytest.mark.points(2)
    @pytest.mark.parametrize(
        "losses,patience,min_delta,expected",
        [
            pytest.param(
                *c[:4],
                id=c[4],
                marks=_trivial(c[3]) + ([] if c[4] in ES_EDGE else [pytest.mark.ordinary]),
            )
            for c in ES_CASES
        ],
    )
    def test_boundary_sequences(self, losses, patience, min_delta, expected, check, inputs):
        losses, min_delta = _moved(inputs, losses, min_delta)
        got = check.matches(
            lambda m: tuple(
                m.regularization.early_stopping(list(losses), patience, min_delta=min_delta)
            ),
            f"early_stopping(<{len(losses)} losses>, patience={patience}, min_delta={min_delta:g})",
            expected=expected,
            check="scenario",
            hint="epoch 0 improves; a later epoch improves only when its loss "
            "< best - min_delta; stop at the first e with e - best_epoch "
            "== patience, else None",
        )
        check.that(
            all(v is None or type(v) is int for v in got),
            "early_stopping must return Python ints (or None)",
            check="shape and type",
        )

    @pytest.mark.ordinary
    def test_accepts_a_tensor(self, check, inputs):
        moved, _ = _moved(inputs, [1.0, 0.5, 0.75, 0.625, 0.875], 0.0)
        losses = torch.tensor(moved, dtype=torch.float64)
        got = check.matches(
            lambda m: tuple(m.regularization.early_stopping(losses, 3)),
            "early_stopping of a 1-D tensor with patience 3",
            expected=(4, 1),
            check="scenario",
        )
        check.that(
            all(v is None or type(v) is int for v in got),
            "early_stopping must return Python ints (use int(...), not tensor indices)",
            check="shape and type",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_leaves_the_list_alone(self, check, inputs):
        losses, _ = _moved(inputs, [1.0, 0.5, 0.75, 0.625, 0.875], 0.0)
        before = list(losses)
        check.impl.regularization.early_stopping(losses, 2)
        check.that(
            losses == before,
            "early_stopping modified val_losses",
            check="arguments unchanged",
        )

    @pytest.mark.points(2)
    @given(
        steps=st.lists(st.integers(-3, 3), min_size=1, max_size=25),
        patience=st.integers(3, 6),
        delta_eighths=st.integers(1, 2),
    )
    def test_against_reference_on_drawn_sequences(self, steps, patience, delta_eighths, check):
        # a random walk in multiples of 1/8 (exact in binary), so ties and gains equal to
        # min_delta really occur. Every draw starts with the epochs each misreading of the rule
        # shows on, within the patience (3 or more; the boundary sequences have 1 and 2): a gain
        # that lowers the best, then a tie with it (+ min_delta for - min_delta; and a gain on
        # the first epoch's loss, for a best never lowered), a gain short of min_delta (min_delta
        # left out), a gain of exactly min_delta (<= for <). Left to the walk, a best never
        # lowered showed on some draws only.
        min_delta = delta_eighths / 8
        best = 4.0 - 3 * min_delta
        losses = [4.0, best, best, best - min_delta / 2, best - min_delta]
        level = losses[-1]
        for s in steps:
            level += s / 8
            losses.append(level)
        # every prefix of the sequence (each one epoch longer): the answers epoch by epoch are
        # enough numbers to tell one misreading of the rules from another. The prefixes are
        # sliced anew on every run: code that edits its list must not empty them for the next
        check.matches(
            lambda m: [
                tuple(pair)
                for pair in independent_calls(
                    m.regularization.early_stopping,
                    [(losses[:k], patience) for k in range(1, len(losses) + 1)],
                    {"min_delta": min_delta},
                )
            ],
            f"early_stopping on each prefix of a drawn sequence of {len(losses)} losses "
            f"(patience={patience}, min_delta={min_delta})",
            check="property",
            hint="compare with the rules in the docstring, epoch by epoch",
        )
