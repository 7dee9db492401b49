"""Hidden graders for starter/data.py.

Everything here is random, so it is graded by distributions and by properties every correct
answer has, never by particular samples:

* ``mixup``: labels are the identity matrix, so the mixed labels *are* the mixing weights: each
  row must hold a convex combination of two examples; the weights on the examples themselves,
  pooled over several calls, must follow Beta(alpha, alpha) (a two-sample Kolmogorov-Smirnov
  test against 200,000 reference draws); the inputs must be mixed with the same weights and
  partners as the labels; partners must form a permutation that ignores the batch order and the
  labels (uniform offsets perm[i] - i, a quarter of partners in the same of 4 sorted classes);
  weights of separate calls must be uncorrelated; the generator must decide it all, and without
  one the global random state.
* ``augment_points``: rotation alone must keep every distance to the origin and turn points by
  angles uniform in [-max_angle, max_angle] (KS test); jitter alone must be N(0, noise_std^2),
  independent between coordinates; both together must give the moments of the composition;
  the angles of separate calls must be uncorrelated.
* ``kfold_indices``: exact folds without shuffling (scikit-learn's KFold sizes), a partition with
  the right sizes for every fold when shuffled, every example equally likely in every fold and
  every pair equally likely to share a fold over many seeds, int64 CPU tensors, and
  reproducibility from the generator.

KS thresholds are 2.6 / sqrt(effective n): a correct answer fails one with probability about
3e-6, on every grading alike (each draws its own samples: at 2.3, about 5e-5, a correct mixup
failed one in five draws of the audit).
"""

import functools
import math

import expect
import pytest
import torch
from runs import independent_calls

from descent.diagnoses import item as item_diagnoses
from descent.diagnoses import stat as stat_diagnoses
from descent.grading import pictures

KS_C = 2.6


def _gen(device, seed):
    return torch.Generator(device=device).manual_seed(seed)


def _ks_two_sample(a: torch.Tensor, b: torch.Tensor) -> float:
    """sup |F_a - F_b| over the line, F the empirical CDFs; ``b`` is the large sample (a
    reference of BETA_REF draws), sorted only for a sample with a NaN.

    F_a - F_b only changes at sample points, and between two neighbouring points of ``a`` it
    moves one way only, so its extremes are at each point of ``a`` and just before it. The
    counts of ``b`` there come from where each point of ``b`` falls among the sorted ``a``.
    Each extreme is the count over the size, in the default dtype, as it is at the pooled points
    of both samples: the same value as evaluating there, without sorting ``b``. A NaN has no
    place among the points: a sample with one is evaluated at the pooled points themselves."""
    a, b = a.double().cpu().sort().values, b.double().cpu()
    n, m = a.numel(), b.numel()
    if bool(a.isnan().any()):
        both, b = torch.cat([a, b]), b.sort().values
        fa, fb = (
            torch.searchsorted(a, both, right=True) / n,
            torch.searchsorted(b, both, right=True) / m,
        )
        return float((fa - fb).abs().max())

    def counts_of_b(right: bool) -> torch.Tensor:  # #b <= a_j (right=False) or #b < a_j
        where = torch.bincount(torch.searchsorted(a, b, right=right), minlength=n + 1)
        return where.cumsum(0)[:n]

    at = torch.searchsorted(a, a, right=True) / n - counts_of_b(False) / m
    before = torch.searchsorted(a, a) / n - counts_of_b(True) / m
    return float(torch.maximum(at.abs().max(), before.abs().max()))


def _ks_one_sample(a: torch.Tensor, cdf) -> float:
    a = a.double().cpu().sort().values
    n = a.numel()
    f = cdf(a)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return float(torch.maximum(i / n - f, f - (i - 1) / n).max())


def _band(*sizes: int) -> float:
    return KS_C * math.sqrt(sum(1 / n for n in sizes))


def _equal(a, b) -> bool:
    """Two results (tensors, or lists and tuples of them) hold exactly the same values."""
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(u, v) for u, v in zip(a, b))
    return torch.equal(torch.as_tensor(a), torch.as_tensor(b))


def _spread(draws, expected_std, named, what):
    """The generic diagnosis of draws whose spread is off: their std read as an estimate of
    ``expected_std`` (standard error std / sqrt(2n), as for a normal sample)."""
    got = float(draws.double().std())
    error = expected_std / math.sqrt(2 * draws.numel())
    return stat_diagnoses.scaled(expected_std, got, error, named, what)


def _generator_decides(check, first, again, other, what: str, draws: str) -> None:
    """Results of three calls with generators seeded s, s and s + 1: the first two must be equal,
    the third different."""
    check.that(
        _equal(first, again),
        f"two calls with generators seeded alike gave different {what}",
        check="reproducibility",
        hint=f"draw {draws} from `generator`, never from the global random state",
    )
    check.that(
        not _equal(first, other),
        f"generators with different seeds gave the same {what}",
        check="reproducibility",
        hint=f"{draws} must come from `generator`",
    )


def _random_without_generator(check, function, args, what: str, draws: str) -> None:
    """Two calls of ``function(impl)`` with ``generator=None`` in a row must draw from the global
    random state, which moves on between them: equal results mean a fixed seed stands in for the
    missing generator."""

    def twice(m):
        return independent_calls(function(m), [[*args, None], [*args, None]], fresh=True)

    first, second = twice(check.impl)
    check.that(
        not _equal(first, second),
        f"two calls without a generator gave the same {what}",
        check="reproducibility",
        hint=f"with generator=None draw {draws} from PyTorch's global random state "
        "(pass generator=None on to torch.rand and the like), never from a generator "
        "seeded inside the function",
        recipe=twice,
        got=[first, second],
    )


def _correlations(draws: list[torch.Tensor]) -> float:
    """The largest |Pearson correlation| between the draws of two different calls."""
    flat = torch.stack([d.double().cpu().flatten() for d in draws])
    r = torch.corrcoef(flat)
    off = r - torch.diag(torch.diag(r))
    return float(off.abs().max())


# ---------------------------------------------------------------------------------------- mixup
MIX_N, MIX_CALLS, BETA_REF = 400, 5, 200_000


@functools.cache  # read only; the same draws for every implementation a process grades
def _beta_reference(alpha: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(1234)
    c = torch.full((BETA_REF,), alpha, dtype=torch.float64)
    g1, g2 = torch._standard_gamma(c, generator=g), torch._standard_gamma(c, generator=g)
    return g1 / (g1 + g2)


def _mix_eye(m, inputs, n, calls, alpha, features=(3,), offset=0):
    """mixup of x (n, *features) against the identity labels, once per seed."""
    x = inputs.randn(n, *features)
    eye = torch.eye(n, dtype=x.dtype, device=x.device)
    return x, independent_calls(
        m.data.mixup,
        [[x, eye, alpha, _gen(x.device, inputs.seed + offset + c)] for c in range(calls)],
        fresh=True,
    )


def _convex_rows(y_mixed: torch.Tensor) -> str:
    """'' when every row is a convex combination of at most two one-hot rows, else why not."""
    tol = 16 * torch.finfo(y_mixed.dtype).eps if y_mixed.is_floating_point() else 0.0
    if bool((y_mixed < -tol).any()) or bool((y_mixed > 1 + tol).any()):
        return "entries outside [0, 1]"
    if float((y_mixed.sum(1) - 1).abs().max()) > tol:
        return f"row sums up to {float(y_mixed.sum(1).max()):.6g} (label mass must stay 1)"
    if int((y_mixed != 0).sum(1).max()) > 2:
        return "a row with more than two labels (each example mixes with one partner)"
    return ""


def _partners(y_mixed: torch.Tensor) -> torch.Tensor:
    """With identity labels, row i's other nonzero column is its partner (i itself if none)."""
    off = y_mixed.clone()
    off.fill_diagonal_(0)
    has = off.abs().sum(1) > 0
    return torch.where(has, off.abs().argmax(1), torch.arange(off.shape[0], device=off.device))


def _weights_redrawn(x, x_mixed, y_mixed):
    """The generic diagnosis (``stat_diagnoses.redrawn_values``) of the weights y_mixed keeps on
    each example with a partner against those x_mixed keeps on it: x_mixed[i] read as
    a * x[i] + (1 - a) * x[partner], a fitted by least squares (identity labels, so y_mixed's
    diagonal is the label's weight); ``None`` when some x_mixed[i] is no such mix (off the line
    through x[i] and x[partner])."""
    p = _partners(y_mixed)
    rows = p != torch.arange(len(p), device=p.device)
    d, r = (x - x[p]).flatten(1)[rows], (x_mixed - x[p]).flatten(1)[rows]
    a = (r * d).sum(1) / (d * d).sum(1)
    off = float((r - a[:, None] * d).abs().max()) if bool(rows.any()) else 0.0
    if off > 1e-8:
        return None
    return stat_diagnoses.redrawn_values(
        y_mixed.diagonal()[rows], a, "weights of the inputs and of their labels"
    )


@pytest.mark.exercise("data.mixup")
class TestMixup:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    @pytest.mark.parametrize("alpha", [0.2, 1.0, 2.0])
    def test_weights_follow_beta(self, alpha, check, inputs):
        def weights(m):
            _, results = _mix_eye(m, inputs, MIX_N, MIX_CALLS, alpha)
            return [y for _, y in results]

        ys = weights(check.impl)
        for y in ys:
            check.like(
                y,
                torch.eye(MIX_N, dtype=torch.float64, device=inputs.device),
                "mixup y_mixed for (400, 400) labels",
            )
            why = _convex_rows(y)
            check.that(
                not why,
                f"mixup(alpha={alpha}) with one-hot labels: {why}",
                check="convex combination",
                hint="y_mixed[i] = lam_i * y[i] + (1 - lam_i) * y[perm[i]] with lam_i in [0, 1]",
            )
        w = torch.cat([y.diagonal() for y in ys])
        d, band = _ks_two_sample(w, _beta_reference(alpha)), _band(w.numel(), BETA_REF)
        check.that(
            d <= band,
            f"mixup(alpha={alpha}): the weights examples keep on themselves do not follow "
            f"Beta({alpha}, {alpha}) (Kolmogorov-Smirnov distance {d:.3f}, allowed "
            f"{band:.3f}; mean {float(w.mean()):.3f}, expected 0.5)",
            check="statistics",
            hint="draw one weight per example from Beta(alpha, alpha), e.g. g1 / (g1 + g2) "
            "with g1, g2 from torch._standard_gamma, and mix the labels with it",
            recipe=lambda m: torch.cat([y.diagonal() for y in weights(m)]),
            got=w,
            sample=(w, lambda: _beta_reference(alpha), f"Beta({alpha}, {alpha})"),
            generic=lambda: (
                item_diagnoses.handed_back(torch.eye(MIX_N).to(ys[0]), ys, "y_mixed", "y")
                or stat_diagnoses.repeated(
                    [y.diagonal() for y in ys], "weights", support=(0.0, 1.0)
                )
                or stat_diagnoses.uniform_instead(
                    w, 0.0, 1.0, f"Beta({alpha}, {alpha})", _band(w.numel()), "weights"
                )
            ),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # the input handed back passes it
    @pytest.mark.points(2)
    def test_inputs_mixed_like_the_labels(self, check, inputs):
        # With identity labels y_mixed is the mixing matrix itself: x_mixed must equal it times x.
        def mixed(m):
            return _mix_eye(m, inputs, 40, 3, 0.7, features=(3, 2))

        x, results = mixed(check.impl)
        for x_mixed, y_mixed in results:
            check.like(x_mixed, x, "mixup x_mixed")
            expected = torch.einsum("ij,jab->iab", y_mixed.to(x.dtype), x)
            err = float((x_mixed - expected).abs().max())
            check.that(
                err <= 1e-10,
                f"x_mixed is not mixed with the weights and partners of y_mixed (largest "
                f"difference {err:.3g} from y_mixed applied to x, for x of shape "
                f"{tuple(x.shape)})",
                check="convex combination",
                hint="use the same lam_i and the same partner perm[i] for x and for the "
                "labels, with lam_i broadcast over all of x's trailing dimensions",
                recipe=lambda m: [ym for _, ym in mixed(m)[1]],
                got=[ym for _, ym in results],
                generic=lambda: (
                    item_diagnoses.handed_back(torch.eye(40).to(x), y_mixed, "y_mixed", "y")
                    or _weights_redrawn(x, x_mixed, y_mixed)
                ),
            )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # the input handed back passes it (its partners are the identity)
    @pytest.mark.points(2)
    def test_partners_form_a_permutation(self, check, inputs):
        def partners(m):
            return [_partners(y) for _, y in _mix_eye(m, inputs, 60, 4, 1.0)[1]]

        found = partners(check.impl)
        for got in found:
            partners_sorted = got.sort().values.cpu()
            repeated = 60 - int(partners_sorted.unique().numel())
            check.that(
                repeated == 0,
                f"{repeated} of 60 examples were never chosen as a partner while others "
                f"were chosen several times",
                check="statistics",
                hint="draw the partners as a permutation (torch.randperm(N, ...)), not "
                "independently (torch.randint), so every example is used once",
                recipe=partners,
                got=found,
                generic=lambda: stat_diagnoses.duplicated(got, "partners"),
            )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # random values of the right shape pass it
    @pytest.mark.points(2)
    def test_partners_ignore_order_and_labels(self, check, inputs):
        # x is the identity, so x_mixed is the mixing matrix itself and shows every partner; the
        # labels are 4 classes in sorted blocks. For a uniformly random permutation each
        # example's partner is any example with probability 1/N, whatever its position or class:
        # the offsets perm[i] - i (mod N) are uniform, and a partner shares the example's class
        # a quarter of the time. A partner picked by position (the batch reversed, the next
        # example) fails both.
        n, classes, calls = 48, 4, 25
        x = torch.eye(n, dtype=torch.float64, device=inputs.device)
        block = torch.arange(n, device=inputs.device) // (n // classes)
        y = torch.nn.functional.one_hot(block, classes).to(x.dtype)

        def partners(m):
            results = independent_calls(
                m.data.mixup,
                [[x, y, 1.0, _gen(x.device, inputs.seed + 50 + c)] for c in range(calls)],
                fresh=True,
            )
            return torch.stack([_partners(x_mixed) for x_mixed, _ in results]).cpu()

        found = partners(check.impl)
        index = torch.arange(n)
        counts = torch.bincount(((found - index) % n).flatten(), minlength=n).double()
        chi2 = float(((counts - calls) ** 2 / calls).sum())
        dof = n - 1
        band = dof + 6 * math.sqrt(2 * dof)
        check.that(
            chi2 <= band,
            f"over {calls} calls with a batch of {n}, the offsets perm[i] - i (mod {n}) "
            f"from each example to its partner are not uniform (chi-square {chi2:.0f}, "
            f"allowed {band:.0f}; the most common offset occurred {int(counts.max())} "
            f"times, {calls} expected): partners depend on the position in the batch",
            check="statistics",
            hint="draw the partners with torch.randperm(N, generator=generator); a fixed "
            "pairing (x.flip(0), torch.roll) is not random",
            recipe=partners,
            got=found,
            generic=lambda: stat_diagnoses.repeated(list(found), "partners"),
        )
        same = float((block.cpu()[found] == block.cpu()).double().mean())
        band = 6 * math.sqrt(0.25 * 0.75 / found.numel())
        check.that(
            abs(same - 0.25) <= band,
            f"with labels of {classes} classes in sorted blocks, {same:.0%} of the "
            f"partners share the example's class where a random permutation gives 25% "
            f"(+-{band:.0%}): partners depend on the batch order",
            check="statistics",
            hint="partners come from a random permutation, independent of the order of "
            "the batch and of the labels",
            recipe=partners,
            got=found,
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # random values of the right shape pass it
    def test_weights_fresh_every_call(self, check, inputs):
        # Weights of calls with different generators are independent draws: the weights example
        # i keeps in one call must not predict those it keeps in another.
        n, calls = 300, 4

        def weights(m):
            _, results = _mix_eye(m, inputs, n, calls, 1.0, offset=70)
            return [y.diagonal() for _, y in results]

        found = weights(check.impl)
        r, band = _correlations(found), 6 / math.sqrt(n)
        check.that(
            r <= band,
            f"the weights of {calls} calls with differently seeded generators are "
            f"correlated (largest |r| = {r:.3f} between two calls, allowed {band:.3f}): "
            f"the weights are not drawn anew at every call",
            check="statistics",
            hint="draw the weights inside the function at every call, from `generator`; "
            "never keep them from an earlier call",
            recipe=weights,
            got=found,
            generic=lambda: stat_diagnoses.repeated(found, "weights", support=(0.0, 1.0)),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # the input handed back passes it
    @pytest.mark.points(2)
    def test_labels_float32_and_unchanged(self, check, inputs):
        x = inputs.randn(30, 4, dtype=torch.float32)
        y = torch.nn.functional.one_hot(inputs.randint(5, 30), 5).to(torch.float32)

        def run(m):
            return tuple(m.data.mixup(x, y, 0.4, _gen(x.device, inputs.seed)))

        with check.unmodified(x, y, who="mixup"):
            x_mixed, y_mixed = run(check.impl)
        dtypes = (x_mixed.dtype, y_mixed.dtype)
        check.that(
            dtypes == (x.dtype, y.dtype),
            f"mixup of float32 inputs returned {dtypes[0]} and {dtypes[1]}",
            check="shape and type",
            recipe=run,
            got=(x_mixed, y_mixed),
            generic=lambda: (
                stat_diagnoses.float64_draws(x, x_mixed) or stat_diagnoses.float64_draws(y, y_mixed)
            ),
            hint="results keep the inputs' dtypes: cast the weights to each tensor's "
            "dtype before mixing",
        )
        check.like((x_mixed, y_mixed), (x, y), "mixup (x_mixed, y_mixed) for float32 inputs")
        why = _convex_rows(y_mixed)
        check.that(
            not why,
            f"mixup with one-hot labels of 5 classes: {why}",
            check="convex combination",
            hint="mix whole label rows: lam_i * y[i] + (1 - lam_i) * y[perm[i]]",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # deterministic code passes it
    def test_generator_decides(self, check, inputs):
        x = inputs.randn(25, 3)
        y = torch.eye(25, dtype=x.dtype, device=x.device)
        runs = independent_calls(
            check.impl.data.mixup, [[x, y, 0.5, _gen(x.device, inputs.seed + s)] for s in (0, 0, 1)]
        )
        _generator_decides(check, *runs, "mixings", "the weights and the permutation")

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # random values pass it
    def test_global_random_state_without_generator(self, check, inputs):
        x = inputs.randn(25, 3)
        y = torch.eye(25, dtype=x.dtype, device=x.device)
        _random_without_generator(
            check, lambda m: m.data.mixup, [x, y, 0.5], "mixings", "the weights and the permutation"
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize(
        "case", ["alpha-0", "alpha-negative", "integer-labels", "label-indices", "batch-mismatch"]
    )
    def test_rejects_bad_arguments(self, case, check, inputs):
        x = inputs.randn(6, 3)
        y = torch.eye(6, dtype=x.dtype, device=x.device)
        args = {
            "alpha-0": (x, y, 0.0),
            "alpha-negative": (x, y, -0.5),
            "integer-labels": (x, y.long(), 0.4),
            "label-indices": (x, torch.arange(6, device=x.device), 0.4),
            "batch-mismatch": (x[:5], y, 0.4),
        }[case]
        expect.value_error(
            check,
            lambda m: m.data.mixup(*args, _gen(x.device, inputs.seed)),
            f"mixup with bad arguments ({case})",
            hint="raise ValueError for alpha <= 0, labels that are not a "
            "floating (N, C) tensor, and batch sizes that differ",
        )


# ------------------------------------------------------------------------------ augment_points
AUG_N = 4000


def _ring(inputs, n):
    """Points at distances 0.5 to 2 from the origin, in every direction."""
    r = inputs.uniform(n, low=0.5, high=2.0)
    phi = inputs.uniform(n, low=-math.pi, high=math.pi)
    return torch.stack([r * torch.cos(phi), r * torch.sin(phi)], dim=1)


def _angles(x, x_aug):
    cross = x[:, 0] * x_aug[:, 1] - x[:, 1] * x_aug[:, 0]
    dot = (x * x_aug).sum(1)
    return torch.atan2(cross, dot)


def _augment(m, x, inputs, offset=0, **kwargs):
    return m.data.augment_points(x, _gen(x.device, inputs.seed + offset), **kwargs)


@pytest.mark.exercise("data.augment_points")
class TestAugmentPoints:
    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_rotation_angles(self, check, inputs):
        a = 0.5
        x = _ring(inputs, AUG_N)
        with check.unmodified(x, who="augment_points"):
            x_aug = _augment(check.impl, x, inputs, max_angle=a, noise_std=0.0)
        check.like(x_aug, x, "augment_points result")
        r_err = float(((x_aug.norm(dim=1) - x.norm(dim=1)) / x.norm(dim=1)).abs().max())
        check.that(
            r_err <= 1e-9,
            f"with noise_std=0 a rotation must keep every distance to the origin; "
            f"found a relative change of {r_err:.3g}",
            check="rotation",
            hint="rotate about the origin: (cos t * x0 - sin t * x1, sin t * x0 + cos t * "
            "x1), with the same t for both coordinates of a point",
        )
        theta = _angles(x, x_aug)
        d, band = _ks_one_sample(theta, lambda t: ((t + a) / (2 * a)).clamp(0, 1)), _band(AUG_N)
        check.that(
            d <= band,
            f"augment_points(max_angle={a}): the rotation angles are not uniform on "
            f"[-{a}, {a}] (Kolmogorov-Smirnov distance {d:.3f}, allowed {band:.3f}; "
            f"angles from {float(theta.min()):.3g} to {float(theta.max()):.3g})",
            check="statistics",
            hint="draw one angle per point, uniform in [-max_angle, max_angle], in "
            "radians: (2 * rand - 1) * max_angle",
            recipe=lambda m: _angles(x, _augment(m, x, inputs, max_angle=a, noise_std=0.0)),
            got=theta,
            sample=(theta, pictures.uniform(-a, a), f"U(-{a}, {a})"),
            generic=lambda: (
                stat_diagnoses.repeated([theta], "angles", support=(-a, a))
                or stat_diagnoses.one_sided(theta, -a, a, "angles")
                or _spread(theta, a / math.sqrt(3), {}, "the std of your angles")
            ),
        )

    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_jitter(self, check, inputs):
        s = 0.3
        x = _ring(inputs, AUG_N)
        noise = _augment(check.impl, x, inputs, max_angle=0.0, noise_std=s) - x
        check.like(noise, x, "augment_points result")
        d = _ks_one_sample(noise.flatten(), lambda t: 0.5 * (1 + torch.erf(t / (s * math.sqrt(2)))))
        band = _band(2 * AUG_N)
        check.that(
            d <= band,
            f"augment_points(noise_std={s}, max_angle=0): the jitter is not N(0, {s}^2) "
            f"(Kolmogorov-Smirnov distance {d:.3f}, allowed {band:.3f}; its standard "
            f"deviation is {float(noise.std()):.4f})",
            check="statistics",
            hint="add torch.randn(N, 2, ...) * noise_std: noise_std is the standard "
            "deviation, not the variance",
            recipe=lambda m: _augment(m, x, inputs, max_angle=0.0, noise_std=s) - x,
            got=noise,
            sample=(noise, pictures.normal(s), f"N(0, {s}^2)"),
            generic=lambda: _spread(noise, s, {"noise_std": s}, "the std of your jitter"),
        )
        r = float(torch.corrcoef(noise.T.cpu())[0, 1])
        band = 6 / math.sqrt(AUG_N)
        check.that(
            abs(r) <= band,
            f"the jitter of the two coordinates is correlated (r = {r:.3f}, allowed +-{band:.3f})",
            check="statistics",
            hint="draw independent noise for each coordinate: shape (N, 2), not (N, 1)",
            recipe=lambda m: _augment(m, x, inputs, max_angle=0.0, noise_std=s) - x,
            got=noise,
            generic=lambda: stat_diagnoses.shared(noise, 1, "jitter values"),
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_rotation_and_jitter_together(self, check, inputs):
        # Every point at (1, 0): x_aug = (cos t + e0, sin t + e1) with t ~ U(-a, a).
        a, s, n = 0.8, 0.1, 20_000
        x = torch.zeros(n, 2, dtype=torch.float64, device=inputs.device)
        x[:, 0] = 1.0
        x_aug = _augment(check.impl, x, inputs, max_angle=a, noise_std=s).double()
        mean_cos = math.sin(a) / a
        var = [
            0.5 + math.sin(2 * a) / (4 * a) - mean_cos**2 + s * s,
            0.5 - math.sin(2 * a) / (4 * a) + s * s,
        ]
        means, variances = x_aug.mean(0).tolist(), x_aug.var(0).tolist()
        for axis, (mu, want_mu, v, want_v) in enumerate(
            zip(means, [mean_cos, 0.0], variances, var)
        ):
            mu_band = 6 * math.sqrt(want_v / n)
            v_band = 6 * want_v * math.sqrt(2 / n) * 1.5
            check.that(
                abs(mu - want_mu) <= mu_band and abs(v - want_v) <= v_band,
                f"augment_points(max_angle={a}, noise_std={s}) on the point (1, 0): "
                f"coordinate {axis} has mean {mu:.4f} and variance {v:.5f}; a uniform "
                f"angle plus N(0, {s}^2) jitter gives {want_mu:.4f} +- {mu_band:.4f} and "
                f"{want_v:.5f} +- {v_band:.5f}",
                check="statistics",
                hint="angles uniform in [-max_angle, max_angle] radians, one per point; "
                "jitter with standard deviation noise_std",
            )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # deterministic code passes it
    def test_generator_decides(self, check, inputs):
        x = _ring(inputs, 50)
        runs = independent_calls(
            check.impl.data.augment_points,
            [[x, _gen(x.device, inputs.seed + s), 0.3, 0.1] for s in (0, 0, 1)],
        )
        _generator_decides(check, *runs, "points", "the angles and the jitter")

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # random values of the right shape pass it
    def test_angles_fresh_every_call(self, check, inputs):
        # The angles of calls with different generators are independent: the angle a point
        # turns by in one call must not predict the angle it turns by in another.
        n, calls, a = 1500, 3, 0.5
        x = _ring(inputs, n)

        def angles(m):
            runs = independent_calls(
                m.data.augment_points,
                [[x, _gen(x.device, inputs.seed + 30 + c), a, 0.0] for c in range(calls)],
            )
            return [_angles(x, x_aug) for x_aug in runs]

        found = angles(check.impl)
        r, band = _correlations(found), 6 / math.sqrt(n)
        check.that(
            r <= band,
            f"the rotation angles of {calls} calls with differently seeded generators "
            f"are correlated (largest |r| = {r:.3f} between two calls, allowed "
            f"{band:.3f}): the angles are not drawn anew at every call",
            check="statistics",
            hint="draw the angles inside the function at every call, from `generator`; "
            "never keep them from an earlier call",
            recipe=angles,
            got=found,
            generic=lambda: stat_diagnoses.repeated(found, "angles", support=(-a, a)),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # random values pass it
    def test_global_random_state_without_generator(self, check, inputs):
        _random_without_generator(
            check,
            lambda m: m.data.augment_points,
            [_ring(inputs, 30)],
            "points",
            "the angles and the jitter",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # the input handed back passes it
    def test_float32_kept(self, check, inputs):
        x = _ring(inputs, 40).float()

        def run(m):
            return _augment(m, x, inputs, max_angle=0.2, noise_std=0.05)

        with check.unmodified(x, who="augment_points"):
            got = run(check.impl)
        check.that(
            got.dtype == x.dtype,
            f"augment_points of float32 points returned {got.dtype}",
            check="shape and type",
            recipe=run,
            got=got,
            hint="draw the angles and the jitter with dtype=x.dtype",
            generic=lambda: stat_diagnoses.float64_draws(x, got),
        )
        check.like(got, x, "augment_points result for float32 points")

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize(
        "case", ["three-columns", "one-dim", "negative-angle", "negative-noise"]
    )
    def test_rejects_bad_arguments(self, case, check, inputs):
        x = _ring(inputs, 8)
        args = {
            "three-columns": (inputs.randn(8, 3), 0.2, 0.05),
            "one-dim": (x[:, 0], 0.2, 0.05),
            "negative-angle": (x, -0.2, 0.05),
            "negative-noise": (x, 0.2, -0.05),
        }[case]
        expect.value_error(
            check,
            lambda m: m.data.augment_points(args[0], _gen(x.device, inputs.seed), *args[1:]),
            f"augment_points with bad arguments ({case})",
            hint="raise ValueError unless x is (N, 2) and max_angle, noise_std are >= 0",
        )


# ------------------------------------------------------------------------------- kfold_indices
def _kfold_expected(n, k):
    """scikit-learn's KFold(n_splits=k) without shuffling: consecutive blocks, the first n % k
    folds one longer."""
    folds, start = [], 0
    for f in range(k):
        size = n // k + (1 if f < n % k else 0)
        val = torch.arange(start, start + size)
        train = torch.cat([torch.arange(0, start), torch.arange(start + size, n)])
        folds.append((train, val))
        start += size
    return folds


def _sorted_folds(folds):
    return [(torch.as_tensor(t).sort().values, torch.as_tensor(v).sort().values) for t, v in folds]


def _partition_problem(folds, n, k) -> str:
    """'' when the folds are k (train, val) pairs partitioning range(n), else what is wrong."""
    if len(folds) != k:
        return f"{len(folds)} folds instead of {k}"
    seen = torch.zeros(n, dtype=torch.long)
    for f, (train, val) in enumerate(folds):
        train, val = torch.as_tensor(train).cpu(), torch.as_tensor(val).cpu()
        if train.dtype != torch.long or val.dtype != torch.long:
            return f"fold {f}: indices must be int64 tensors, got {train.dtype} and {val.dtype}"
        both = torch.cat([train, val])
        if both.numel() and (int(both.min()) < 0 or int(both.max()) >= n):
            return f"fold {f}: an index outside 0..{n - 1}"
        if both.numel() != n or int(both.unique().numel()) != n:
            return (
                f"fold {f}: train ({train.numel()}) and validation ({val.numel()}) must "
                f"split the {n} examples between them, each exactly once"
            )
        seen[val] += 1
    if bool((seen != 1).any()):
        return (
            f"{int((seen == 0).sum())} examples are never validated on and "
            f"{int((seen > 1).sum())} more than once"
        )
    return ""


def _validation_sets(check, m, n, k, seeds) -> list[list[torch.Tensor]]:
    """The validation folds of ``m``'s shuffled kfold_indices(n, k), one list per seed, each
    split first checked to be a partition."""
    results = independent_calls(
        m.data.kfold_indices,
        [[n, k, _gen("cpu", s)] for s in seeds],
        stack=True,  # read only
    )
    for folds in results:
        why = _partition_problem(folds, n, k)
        check.that(not why, f"kfold_indices({n}, {k}) with shuffling: {why}", check="partition")
    return [[torch.as_tensor(val).cpu() for _, val in folds] for folds in results]


def _n_k(inputs, kind: str) -> tuple[int, int]:
    """A drawn (n, k): a few folds, several, one example each, or many examples; but for one
    example each, n is not a multiple of k, so the longer first folds always show."""
    if kind == "one-each":
        n = inputs.integer(5, 12)
        return n, n
    ks, quotients = {
        "small": ((3, 4), (2, 4)),
        "mid": ((5, 7), (3, 6)),
        "large": ((6, 10), (9, 13)),
    }[kind]
    k = inputs.integer(*ks)
    return k * inputs.integer(*quotients) + inputs.integer(1, k - 1), k


@pytest.mark.exercise("data.kfold_indices")
class TestKFold:
    @pytest.mark.points(2)
    @pytest.mark.parametrize("kind", ["small", "mid", "one-each", "large"])
    def test_unshuffled_folds(self, kind, check, inputs):
        n, k = _n_k(inputs, kind)
        check.matches(
            lambda m: _sorted_folds(m.data.kfold_indices(n, k, None, shuffle=False)),
            f"kfold_indices({n}, {k}, shuffle=False), indices sorted",
            expected=_kfold_expected(n, k),
            rtol=0,
            atol=0,
            hint="without shuffling fold f validates on the f-th consecutive block; "
            "the first n % k blocks have n // k + 1 examples, the rest n // k",
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("kind", ["small", "mid", "one-each", "large"])
    def test_shuffled_partition(self, kind, check, inputs):
        n, k = _n_k(inputs, kind)
        folds = check.impl.data.kfold_indices(n, k, _gen("cpu", inputs.seed))
        why = _partition_problem(folds, n, k)
        check.that(
            not why,
            f"kfold_indices({n}, {k}) with shuffling: {why}",
            check="partition",
            hint="cut one shuffled order of range(n) into k consecutive chunks; each "
            "fold trains on everything outside its chunk",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting("test_unshuffled_folds", "test_shuffled_partition")  # hollow sizes
    @pytest.mark.parametrize("kind", ["small", "mid", "large"])
    def test_fold_sizes(self, kind, check, inputs):
        n, k = _n_k(inputs, kind)
        check.matches(
            lambda m: [
                int(torch.as_tensor(v).numel())
                for _, v in m.data.kfold_indices(n, k, _gen("cpu", inputs.seed))
            ],
            f"validation fold sizes of kfold_indices({n}, {k})",
            expected=[n // k + 1] * (n % k) + [n // k] * (k - n % k),
            rtol=0,
            atol=0,
            check="fold sizes",
            hint="sizes differ by at most one, and the first n % k folds are the "
            "longer ones (scikit-learn's KFold)",
        )

    @pytest.mark.ordinary
    @pytest.mark.points(3)
    def test_shuffling_is_uniform(self, check, inputs):
        # Over 300 seeds each example must land in each of the 4 folds about equally often.
        n, k, seeds, first = 12, 4, 300, inputs.integer(0, 10**6)

        def tally(m):
            counts = torch.zeros(n, k)
            for vals in _validation_sets(check, m, n, k, range(first, first + seeds)):
                for f, val in enumerate(vals):
                    counts[val, f] += 1
            return counts

        counts = tally(check.impl)
        p = 1 / k
        band = 6 * math.sqrt(seeds * p * (1 - p))
        worst = float((counts - seeds * p).abs().max())
        check.that(
            worst <= band,
            f"over {seeds} seeds, some example was validated in some fold {worst:.0f} "
            f"times away from the {seeds * p:.0f} expected (allowed {band:.0f})",
            check="statistics",
            hint="shuffle the examples themselves with torch.randperm(n, "
            "generator=generator) before cutting the folds",
            recipe=tally,
            got=counts,
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    def test_fold_membership_is_joint_random(self, check, inputs):
        # A random partition puts any two examples in the same validation fold equally often:
        # with 12 examples in 4 folds of 3, a pair shares a fold with probability 2/11,
        # neighbours or not. Folds cut from consecutive runs of the index (the folds shuffled
        # instead of the examples) keep neighbours together although every example still
        # lands in every fold equally often.
        n, k, seeds, first = 12, 4, 200, inputs.integer(0, 10**6)

        def together(m):
            """How often each pair shared a validation fold, and (to tell the mistakes apart)
            how often each example was validated in each fold."""
            counts, folds = torch.zeros(n, n), torch.zeros(n, k)
            for vals in _validation_sets(check, m, n, k, range(first, first + seeds)):
                for f, val in enumerate(vals):
                    member = torch.zeros(n)
                    member[val] = 1.0
                    counts += torch.outer(member, member)
                    folds[:, f] += member
            return counts, folds

        found = together(check.impl)
        counts = found[0]
        p = (n // k - 1) / (n - 1)
        band = 8 * math.sqrt(seeds * p * (1 - p))  # the largest of 66 deviations: wider than 6
        pairs = counts[~torch.eye(n, dtype=torch.bool)]
        worst = float((pairs - seeds * p).abs().max())
        check.that(
            worst <= band,
            f"over {seeds} seeds, some pair of examples shared a validation fold "
            f"{worst:.0f} times away from the {seeds * p:.0f} expected (allowed "
            f"{band:.0f}): fold membership depends on the index order",
            check="statistics",
            hint="shuffle the examples themselves (torch.randperm(n, "
            "generator=generator)) and cut the folds from that order; shuffling "
            "the order of the folds leaves neighbours together",
            recipe=together,
            got=found,
            generic=lambda: stat_diagnoses.neighbours(counts, "a validation fold"),
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting("test_unshuffled_folds", "test_shuffled_partition")  # zeros pass it
    @pytest.mark.parametrize("shuffle", [True, False])
    def test_returns_int64_cpu_tensors(self, shuffle, check, inputs):
        n, k = _n_k(inputs, "small")
        folds = check.impl.data.kfold_indices(n, k, _gen("cpu", inputs.seed), shuffle=shuffle)
        check.like(
            folds,
            _kfold_expected(n, k),
            f"kfold_indices({n}, {k}, shuffle={shuffle}): {k} (train, val) pairs of "
            f"int64 CPU tensors",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # random folds pass it
    def test_global_random_state_without_generator(self, check, inputs):
        _random_without_generator(
            check,
            lambda m: m.data.kfold_indices,
            list(_n_k(inputs, "mid")),
            "folds",
            "the permutation",
        )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # deterministic code passes it
    def test_generator_decides(self, check, inputs):
        runs = independent_calls(
            check.impl.data.kfold_indices,
            [[30, 4, _gen("cpu", inputs.seed + s)] for s in (0, 0, 1)],
        )
        _generator_decides(check, *runs, "folds", "the permutation (with shuffle=True)")

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize("case", ["k-1", "k-0", "k-above-n", "k-float"])
    def test_rejects_bad_arguments(self, case, check, inputs):
        n = inputs.integer(4, 30)
        k = {
            "k-1": 1,
            "k-0": 0,
            "k-above-n": n + inputs.integer(1, 5),
            "k-float": float(inputs.integer(2, n)),
        }[case]
        expect.value_error(
            check,
            lambda m: m.data.kfold_indices(n, k, _gen("cpu", 0)),
            f"kfold_indices({n}, {k!r})",
            hint="k-fold needs ints with 2 <= k <= n: raise ValueError otherwise",
        )
