"""Generic diagnoses of random draws: an estimate against its expected value, and the shape of
the randomness itself (draws reused, shared, or of the wrong dtype).

A random result is graded by a statistic of it (a spread, a rate, a scale), never by its values,
so the value hypotheses of :mod:`descent.diagnoses.values` cannot read it. Here an *estimate* (a number
measured on the draws, with its standard error) is compared with the number it should be:

* :func:`scaled`: the ratio of the estimate to the expected value is, within the sampling error,
  a constant that says where it comes from: a quantity the grader names (``gain``, ``fan_in``,
  ``noise_std``, ``p``) to the power +-1/2 or +-1, the ratio of two of them (``fan_out`` used
  where ``fan_in`` belongs), ``1 - p`` or its inverse, sqrt(3) (a uniform's bound over its std),
  sqrt(2), pi/180 (degrees for radians); or the estimate is the reciprocal of the expected (a
  multiplication where a division belongs), ``1 - p`` for a rate that must be ``p`` (an argument
  read as its complement), or Phi(p) for it (a normal draw compared with a threshold where a
  uniform one belongs). A fit must lie within :data:`Z` standard errors of the candidate and the
  candidate well away from 1; two candidates that both fit are offered together (``either``).

* :func:`round_constant`: an initializer's spread that is a round constant written into the
  code (a std of 0.01, a uniform bound of 0.12), not a formula of the layer's fans.

The others read the draws themselves, for the checks that watch independence:

* :func:`repeated`: the draws of separate calls are equal (drawn once and reused, or fixed by
  position), or every call draws one value for its whole batch;
* :func:`uniform_instead`: draws that should follow another law on [a, b] are uniform there;
* :func:`one_sided`: draws that should be uniform on [-b, b] fill [0, b];
* :func:`neighbours`: items next to each other in the input share a group far too often;
* :func:`orders`: a shuffle that reaches only n of the n! orders, or favours some;
* :func:`shared`: the columns (or rows) of one call's draws are equal: one draw shared by the
  coordinates of a point, or one mask for every example;
* :func:`family`: draws that should be uniform have a normal's kurtosis, or the reverse;
* :func:`duplicated`: indices that must form a permutation repeat (drawn with replacement);
* :func:`redrawn`: a mask that must repeat an earlier draw is a new, independent one;
* :func:`float64_draws`: a float32 input handed back as float64 (draws made in the default
  float64 of a NumPy or a Python float, or of a dtype never passed on).

Each is a small function of numbers or tensors the grader measured; texts never print the
expected value beyond what the check's own message shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from .base import STD_AS_BOUND, Diagnosis, Estimate
from .values import either, mistyped

#: How many standard errors an estimate may lie from a candidate and still fit it.
Z = 3.0

# Constants that a scale slip multiplies by, with where each comes from.
_CONSTANTS: tuple[tuple[float, str, str], ...] = (
    (
        math.sqrt(3.0),
        "sqrt(3) times the expected, and sqrt(3) is a uniform's bound over its standard "
        "deviation: a bound used as a standard deviation",
        "the expected divided by sqrt(3), a uniform's bound over its standard deviation: a "
        + STD_AS_BOUND,
    ),
    (
        math.sqrt(2.0),
        "sqrt(2) times the expected: a variance doubled (or a factor sqrt(2) too many)",
        "the expected divided by sqrt(2): a variance halved (or a factor sqrt(2) left out)",
    ),
    (
        math.pi / 180,
        "pi/180 times the expected: a value already in radians converted as if in degrees",
        "180/pi times the expected: a value in radians read as degrees",
    ),
)


def _forms(named: Mapping[str, float], constants: bool) -> list[tuple[float, str]]:
    """Every candidate ratio with the sentence saying where it comes from: the named quantities
    first (a named ``gain`` of sqrt(2) is read as the gain, not as the constant), then (with
    ``constants``) the constants of :data:`_CONSTANTS`."""
    out: list[tuple[float, str]] = []
    items = [(f"`{k}`", float(v)) for k, v in named.items() if math.isfinite(v) and v > 0]
    for n, a in items:
        if a == 1:
            continue
        out += [
            (a, f"{n} times the expected: a factor {n} too many, or a division by {n} left out"),
            (
                1 / a,
                f"the expected divided by {n}: a factor {n} left out, or a division by it too many",
            ),
            (math.sqrt(a), f"sqrt({n}) times the expected: {n} left out under a square root"),
            (
                1 / math.sqrt(a),
                f"the expected divided by sqrt({n}): a division by sqrt({n}) too many, or "
                f"{n} where sqrt({n}) belongs (a variance read as a standard deviation)",
            ),
        ]
        if 0 < a < 1:
            out += [
                (
                    1 - a,
                    f"(1 - {n}) times the expected: a division by (1 - {n}) left out, or a "
                    f"factor (1 - {n}) too many",
                ),
                (
                    1 / (1 - a),
                    f"the expected divided by (1 - {n}): a factor (1 - {n}) left out, or a "
                    f"division by (1 - {n}) too many",
                ),
                # the two complements swapped: a keep rate's scale read off the drop rate
                (
                    (1 - a) / a,
                    f"(1 - {n})/{n} times the expected: {n} and (1 - {n}) swapped (a division "
                    f"by {n} where the division by (1 - {n}) belongs, or a factor (1 - {n}) "
                    f"where {n} belongs)",
                ),
                (
                    a / (1 - a),
                    f"{n}/(1 - {n}) times the expected: {n} and (1 - {n}) swapped (a division "
                    f"by (1 - {n}) where the division by {n} belongs, or a factor {n} where "
                    f"(1 - {n}) belongs)",
                ),
            ]
    for n, a in items:
        for m, b in items:
            if n != m and a != b:
                out += [
                    (a / b, f"{n}/{m} times the expected: {m} used where {n} belongs"),
                    (
                        math.sqrt(a / b),
                        f"sqrt({n}/{m}) times the expected: {m} used where {n} belongs "
                        "under the square root",
                    ),
                ]
    for c, times, divided in _CONSTANTS if constants else ():
        out += [(c, times), (1 / c, divided)]
    return out


def scaled_estimate(estimate: Estimate) -> Diagnosis | None:
    """:func:`scaled` read off ``estimate``: how the student's estimate relates to the expected
    one (a constant, a complement, a reciprocal)."""
    e = estimate
    return scaled(e.expected, e.got, e.error, e.named, e.what, e.constants)


def scaled(
    expected: float,
    got: float,
    error: float,
    named: Mapping[str, float] = {},  # noqa: B006 - read only
    what: str = "your estimate",
    constants: bool = True,
) -> Diagnosis | None:
    """The likely mistake behind an estimate ``got`` (standard error ``error``) that should be
    ``expected``, read from how the two relate; ``named`` maps the quantities the check's call
    depends on (``gain``, ``fan_in``, ``p``) to their values. ``constants=False`` leaves out the
    constants that only a spread can be off by (sqrt(3), sqrt(2), pi/180): a rate or a scale is
    not. ``None`` when nothing fits."""
    # The tolerance is relative: Z standard errors of the expected, scaled by the candidate (the
    # standard error of a spread grows with it; for a rate near the expected it is close enough).
    if not all(math.isfinite(v) for v in (expected, got, error)) or expected == 0:
        return None
    if got == 0:
        return _never(named, what, expected)
    tol = Z * max(abs(error), 1e-12 * abs(expected))
    fits: list[tuple[float, Diagnosis]] = []
    for name, a in named.items():
        if 0 < a < 1 and a != 0.5 and abs(expected - a) <= 1e-9 and abs(got - (1 - a)) <= tol:
            fits.append((1 - a, _complement(name, what)))
        if abs(expected - a) > 1e-9:
            continue
        for law, found in _normal_laws(a, name, what):
            if abs(got - law) <= tol and abs(law - a) > 2 * tol and abs(law - (1 - a)) > 2 * tol:
                fits.append((law, found))
    rel = tol / abs(expected)
    if abs(expected) != 1 and abs(got * expected - 1) <= rel:
        fits.append((1 / expected, _reciprocal(what)))
    for c, text in _forms(named, constants):
        if abs(math.log(c)) > 2 * rel and abs(got / expected - c) <= rel * c:
            fits.append((c * expected, Diagnosis("factor", f"{what} is {text}")))
    distinct: list[tuple[float, Diagnosis]] = []
    for value, found in fits:  # one value read two ways (gain = sqrt(2)): the first reading
        if all(abs(value - v) > 1e-9 * abs(v) for v, _ in distinct):
            distinct.append((value, found))
    if len(distinct) > 1:
        return either(d for _, d in distinct)
    return distinct[0][1] if distinct else None


# The spreads initializers are made of: (k, fan, whose) for a std of sqrt(k / fan), gain aside.
_FORMULAS: tuple[tuple[float, str, str], ...] = (
    (1.0, "fan_in", "LeCun's"),
    (2.0, "fan_in", "He's (Kaiming's)"),
    (1.0, "fan_out", "LeCun's on fan_out"),
    (2.0, "fan_out", "He's (Kaiming's) with mode='fan_out'"),
    (2.0, "fan_in + fan_out", "Xavier's (Glorot's)"),
    (6.0, "fan_in + fan_out", "Xavier's uniform bound"),
    (6.0, "fan_in", "He's uniform bound"),
    (3.0, "fan_in", "LeCun's uniform bound"),
)


def init_formula(estimate: Estimate) -> Diagnosis | None:
    """A spread (the std of an initializer's draws) that is exactly another initializer's,
    with or without the call's ``gain``: sqrt(2 / fan_in), He's, where Xavier's sqrt(2 / (fan_in
    + fan_out)) belongs, and the like (:data:`_FORMULAS`). Read off ``named``'s ``fan_in`` and
    ``fan_out`` (``gain`` when given); one formula alone must fit, within :data:`Z` standard
    errors, and lie away from the expected."""
    e, named = estimate, estimate.named
    if not {"fan_in", "fan_out"} <= set(named) or not all(
        math.isfinite(v) for v in (e.expected, e.got, e.error)
    ):
        return None
    tol = Z * max(abs(e.error), 1e-12 * abs(e.expected))
    fans = {"fan_in": named["fan_in"], "fan_out": named["fan_out"]}
    fans["fan_in + fan_out"] = fans["fan_in"] + fans["fan_out"]
    gain = float(named.get("gain", 1.0))
    fits = []
    for k, fan, whose in _FORMULAS:
        for g in dict.fromkeys((gain, 1.0)):
            value = g * math.sqrt(k / fans[fan]) if fans[fan] > 0 else math.nan
            if abs(e.got - value) <= tol and abs(e.expected - value) > 2 * tol:
                times = " times `gain`" if g != 1.0 else ""
                fits.append(
                    f"{e.what} is sqrt({k:g} / {fan}){times}, {whose} formula: another "
                    "initializer's spread where this one's belongs (check which fans and which "
                    "constant the docstring's formula takes)"
                )
    return Diagnosis("factor", fits[0]) if len(fits) == 1 else None


# The spreads learners write in by hand: a std (0.01 * randn) or a uniform bound (Ng's 0.12).
_ROUND = (1.0, 0.5, 0.2, 0.12, 0.1, 0.05, 0.02, 0.01, 0.001)
# and how near a spread must lie to one, relative to it, whatever the sampling error: on a small
# weight the error allows 0.001 for draws that are all zeros
ROUND_WITHIN = 0.02


def round_constant(estimate: Estimate) -> Diagnosis | None:
    """An initializer's spread (``named`` holds ``fan_in``) that is a constant written into the
    code: a std of one of :data:`_ROUND` (``0.01 * randn``), or a uniform bound of one (a std
    of c / sqrt(3)), within :data:`Z` standard errors and :data:`ROUND_WITHIN` of it, and away
    from the expected; the spread then follows no fan of the layer."""
    e = estimate
    if "fan_in" not in e.named or not all(math.isfinite(v) for v in (e.expected, e.got, e.error)):
        return None
    tol = Z * max(abs(e.error), 1e-12 * abs(e.expected))
    for c in _ROUND:
        for spread, as_what in ((c, "a std of"), (c / math.sqrt(3.0), "a uniform bound of")):
            near = abs(e.got - spread) <= min(tol, ROUND_WITHIN * spread)
            if near and abs(e.expected - spread) > 2 * tol:
                return Diagnosis(
                    "argument",
                    f"{e.what} is that of {as_what} {c:g}, as a constant written into the "
                    "code gives (the same spread whatever the layer's size), where the "
                    "docstring's formula computes it from fan_in and fan_out",
                )
    return None


def _phi(a: float) -> float:
    return 0.5 * (1 + math.erf(a / math.sqrt(2)))


def _complement(name: str, what: str) -> Diagnosis:
    return Diagnosis(
        "argument",
        f"{what} is 1 - `{name}` where `{name}` is expected: `{name}` is read as its "
        "complement (the probability of keeping for that of dropping)",
    )


def _normal_laws(a: float, name: str, what: str) -> list[tuple[float, Diagnosis]]:
    """The rates a standard normal draw gives where a uniform one belongs, compared with the
    threshold `name` or with its complement, on either side: a rate read as `name` (the chance
    to drop) or as 1 - `name` (the chance to keep, the other convention), each with its reading.
    """
    keep = f"1 - `{name}`"
    return [
        (_phi(a), _normal_draw(name, what)),
        (1 - _phi(a), _normal_draw(name, what, above=True)),
        (1 - _phi(1 - a), _normal_against(keep, what, "above", "it is the chance to keep")),
        (_phi(1 - a), _normal_against(keep, what, "below", f"`{name}` read as the chance to keep")),
    ]


def _normal_against(threshold: str, what: str, side: str, reading: str) -> Diagnosis:
    """A normal draw compared with ``threshold`` (an expression of the call's probability)."""
    return Diagnosis(
        "distribution",
        f"{what} is the chance that a standard normal draw is {side} {threshold}: a normal "
        f"draw (randn) is compared with {threshold} where a uniform one (rand) belongs "
        f"({reading}); a uniform draw is below {threshold} with chance {threshold} itself",
    )


def _normal_draw(name: str, what: str, above: bool = False) -> Diagnosis:
    if above:  # the complement too: `p` taken as the chance to keep
        return Diagnosis(
            "distribution",
            f"{what} is 1 - Phi(`{name}`), the chance that a standard normal draw is above "
            f"`{name}`: a normal draw (randn) is compared with the threshold where a uniform one "
            f"(rand) belongs, and `{name}` is read as the chance to keep",
        )
    return Diagnosis(
        "distribution",
        f"{what} is Phi(`{name}`), the chance that a standard normal draw is below `{name}`: a "
        "normal draw (randn) is compared with the threshold where a uniform one (rand), whose "
        f"chance to be below `{name}` is `{name}` itself, belongs",
    )


def _never(named: Mapping[str, float], what: str, expected: float) -> Diagnosis | None:
    """An estimate of a rate that is exactly 0 where a probability it depends on (``named``)
    is expected: the draw's comparison never selects anything."""
    name = next((n for n, a in named.items() if 0 < a < 1 and abs(expected - a) <= 1e-9), None)
    if name is None:
        return None
    return Diagnosis(
        "argument",
        f"{what} is 0 where `{name}` is expected: your mask keeps every entry, its test of the "
        "random draws decided alike for all of them (a threshold out of reach, as in "
        "`rand < p / p`, which compares with 1 as the division comes first), or the mask is "
        "never applied",
    )


def _reciprocal(what: str) -> Diagnosis:
    return Diagnosis(
        "factor",
        f"{what} is the reciprocal of the expected: a multiplication where a division belongs "
        "(x * s for x / s), or the reverse",
    )


def _constant(x: torch.Tensor) -> float | None:
    """The value nine in ten of the entries of ``x`` take (up to rounding), or ``None``."""
    flat = x.detach().double().flatten()
    if flat.numel() < 3:
        return None
    mid = flat.median()
    if float(torch.isclose(flat, mid, rtol=1e-6, atol=1e-9).double().mean()) < 0.9:
        return None
    return float(mid)


def _mostly_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Nine in ten entries of ``a`` and ``b`` are equal (a draw reused, give or take the few
    entries something else decides)."""
    a, b = a.detach().double().flatten(), b.detach().double().flatten()
    close = torch.isclose(a, b, rtol=1e-6, atol=1e-9)
    return a.shape == b.shape and a.numel() >= 3 and float(close.double().mean()) >= 0.9


def repeated(
    draws: Sequence[torch.Tensor],
    what: str = "draws",
    support: tuple[float, float] | None = None,
) -> Diagnosis | None:
    """``draws`` holds one tensor per call (from differently seeded generators). Each call takes
    one value for its whole batch (a value inside ``support``, and not the same in every call:
    that would be no draw at all), or the calls repeat one another: drawn once and kept, or
    fixed by the position in the batch. One call is enough to see a single value."""
    found = [_constant(d) for d in draws]
    values = [v for v in found if v is not None]
    if draws and len(values) == len(found):
        inside = support is None or all(support[0] < v < support[1] for v in values)
        if inside and (len(values) == 1 or len(set(values)) > 1):
            return Diagnosis(
                "random",
                f"your {what} take one value for the whole batch in each call: a single draw "
                "(shape () or (1,)) where the docstring asks for one per example; draw one "
                "value per example",
            )
        return None
    if any(_mostly_equal(a, b) for i, a in enumerate(draws) for b in draws[i + 1 :]):
        return Diagnosis(
            "random",
            f"your {what} are the same in calls with differently seeded generators: not drawn "
            "from `generator` at every call (drawn once and kept in a cache, a default "
            "argument or a global; or fixed by the position in the batch: a flip, a roll, "
            "an arange)",
        )
    return None


def uniform_instead(
    samples: torch.Tensor, low: float, high: float, asked: str, band: float, what: str = "draws"
) -> Diagnosis | None:
    """Draws that should follow ``asked`` (a distribution on ``[low, high]``) are uniform on
    ``[low, high]``: their Kolmogorov-Smirnov distance to that uniform is within ``band`` (the
    check's own band for its distribution), so the sampler is rand and its parameters unused."""
    x = samples.detach().to("cpu", torch.float64).flatten().sort().values
    n = x.numel()
    if n < 100 or high <= low:
        return None
    f = ((x - low) / (high - low)).clamp(0, 1)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    if float(torch.maximum(i / n - f, f - (i - 1) / n).max()) > band:
        return None
    return Diagnosis(
        "distribution",
        f"your {what} are uniform on [{low:g}, {high:g}] where {asked} is asked: drawn with "
        f"rand, so the parameters of {asked} are not used",
    )


def one_sided(
    samples: torch.Tensor, low: float, high: float, what: str = "draws"
) -> Diagnosis | None:
    """Draws that should be uniform on ``[low, high]`` (``low = -high``) all lie on one side of
    0 and fill that half: ``rand * high`` where ``(2 * rand - 1) * high`` belongs."""
    x = samples.detach().double().flatten()
    if x.numel() < 100 or low != -high or high <= 0:
        return None
    lo, hi = float(x.min()), float(x.max())
    if not ((lo >= 0 and hi > 0.9 * high) or (hi <= 0 and lo < 0.9 * low)):
        return None
    return Diagnosis(
        "distribution",
        f"your {what} all lie on one side of 0, from {lo:.3g} to {hi:.3g}: drawn uniformly on "
        "[0, bound] where [-bound, bound] belongs; draw (2 * rand - 1) * bound",
    )


def neighbours(together: torch.Tensor, what: str = "groups") -> Diagnosis | None:
    """``together[i, j]`` counts how often items ``i`` and ``j`` fell in one group over many
    random splits: items next to each other in the input order share a group more than twice
    as often as the others (and at least once in three splits): the groups are cut from runs
    of the input order whose order alone is shuffled."""
    c = together.detach().double()
    n = c.shape[0]
    if c.dim() != 2 or c.shape[1] != n or n < 4:
        return None
    near = c.diagonal(1).mean()
    off = ~torch.eye(n, dtype=torch.bool)
    off &= ~torch.eye(n, dtype=torch.bool).roll(1, 1) & ~torch.eye(n, dtype=torch.bool).roll(-1, 1)
    far = c[off].mean()
    if not (near > 2 * far and near >= c.diagonal().mean() / 3):
        return None
    return Diagnosis(
        "random",
        f"items next to each other in the input order share {what} far more often than "
        "others: the items stay in runs of their input order (not shuffled, or only the "
        "order of the runs, the folds or the batches, shuffled); shuffle the items "
        "(randperm(n)) and cut the groups from that order",
    )


def orders(counts: Sequence[int], possible: int, n: int) -> Diagnosis | None:
    """The orders a shuffle of ``n`` items produced (``counts``: how often each order that
    occurred did; ``possible``: how many orders exist) are far from uniform: one order (no
    shuffle), at most ``n`` distinct orders (one draw decides the whole order: a random
    rotation or start), or every order but some far more often than the uniform share (a
    biased shuffle). Read only once a check has found the orders non-uniform."""
    total = sum(counts)
    if len(counts) == 1:
        return Diagnosis(
            "random",
            "your shuffle gives the same order at every call: not shuffled at all, or "
            "shuffled by a generator seeded anew inside the function; draw from `generator`",
        )
    if len(counts) <= n < possible:
        return Diagnosis(
            "distribution",
            f"your shuffle produced only {len(counts)} of the {possible} possible orders: "
            "one draw decides the whole order (a random rotation or starting point of a "
            "fixed order, or only the order of fixed blocks shuffled), so the same items "
            "always stay neighbours; draw a uniform permutation (randperm)",
        )
    if len(counts) == possible and max(counts) > 1.3 * total / possible:
        return Diagnosis(
            "distribution",
            "your shuffle reaches every order, but some far more often than others: a biased "
            "shuffle (each place swapped with a place drawn from all n rather than from the "
            "places not yet fixed); draw a uniform permutation (randperm)",
        )
    return None


def shared(draws: torch.Tensor, dim: int, what: str = "draws") -> Diagnosis | None:
    """Every slice of ``draws`` along ``dim`` equals the first: one draw shared where each
    slice needs its own (the coordinates of a point, the examples of a batch)."""
    if draws.dim() < 2 or draws.shape[dim] < 2:
        return None
    d = draws.detach().double()
    first = d.narrow(dim, 0, 1)
    if (
        not bool(torch.allclose(d, first.expand_as(d), rtol=1e-6, atol=1e-9))
        or _constant(d) is not None
    ):
        return None
    return Diagnosis(
        "random",
        f"your {what} are the same along dimension {dim} (size {draws.shape[dim]}): one draw "
        f"of a smaller shape broadcast where every entry needs its own; draw the full shape",
    )


def duplicated(indices: torch.Tensor, what: str = "indices") -> Diagnosis | None:
    """Indices that must form a permutation of ``0 .. n-1`` (``n`` their count) all lie in that
    range and some repeat: drawn independently (with replacement) instead of as a permutation."""
    flat = indices.detach().flatten().long()
    n = flat.numel()
    if n < 2 or bool((flat < 0).any() or (flat >= n).any()) or flat.unique().numel() == n:
        return None
    return Diagnosis(
        "distribution",
        f"your {what} repeat some values and miss others: drawn independently, with "
        "replacement (randint), where a permutation (randperm) is asked for",
    )


def repeated_in_last_batch(epochs: Sequence[Sequence[torch.Tensor]]) -> Diagnosis | None:
    """Epochs of batches in which every repeated index is one the last batch shares with the
    batches before it (none repeats within a batch or between two earlier ones), in every epoch
    that repeats one, two at least: the last batch filled up or appended twice. Indices drawn
    with replacement repeat anywhere, so some epoch among many shows a repeat elsewhere."""
    shared_by_epoch = []
    for batches in epochs:
        lists = [[int(i) for i in torch.as_tensor(b).flatten().tolist()] for b in batches]
        every = [i for b in lists for i in b]
        if len(set(every)) == len(every):
            continue  # no repeat in this epoch
        last, before = lists[-1], [i for b in lists[:-1] for i in b]
        if len(lists) < 2 or len(set(last)) != len(last) or len(set(before)) != len(before):
            return None  # a repeat elsewhere: not the last batch's
        shared_by_epoch.append((len(set(last) & set(before)), len(last)))
    if len(shared_by_epoch) < 2:
        return None
    whole = all(shared == size for shared, size in shared_by_epoch)
    return Diagnosis(
        "edge",
        "in every epoch that repeats an index, the repeats are indices your last batch shares "
        "with the batches before it, and nothing else repeats: "
        + (
            "the last batch appended again"
            if whole
            else "a short last batch filled up to batch_size with indices already used "
            "(order[n - batch_size:])"
        )
        + ", where the last batch keeps only the n % batch_size indices left over",
    )


def family(samples: torch.Tensor, expected: str, what: str = "values") -> Diagnosis | None:
    """Draws that should be ``"uniform"`` (kurtosis 1.8) or ``"normal"`` (kurtosis 3) have the
    other family's kurtosis (within 0.3; the sample kurtosis of 1000 draws or more is far
    closer): ``rand`` where ``randn`` belongs, or the reverse."""
    x = samples.detach().double().flatten()
    if x.numel() < 1000 or expected not in _KURTOSIS:
        return None
    z = (x - x.mean()) / x.std()
    kurtosis = float((z**4).mean())
    other = "normal" if expected == "uniform" else "uniform"
    if abs(kurtosis - _KURTOSIS[other]) > 0.3:
        return None
    return Diagnosis(
        "distribution",
        f"your {what} are {other}ly distributed where the docstring asks for a {expected} "
        f"distribution (their kurtosis is {kurtosis:.2f}, a {other} one's "
        f"{_KURTOSIS[other]}): drawn with {_SAMPLER[other]} where {_SAMPLER[expected]} belongs",
    )


_KURTOSIS = {"uniform": 1.8, "normal": 3.0}
_SAMPLER = {"uniform": "rand (or uniform_)", "normal": "randn (or normal_)"}


def globals_moved(moved: bool) -> Diagnosis | None:
    """A call given a generator that changed a global random generator (torch's, NumPy's or
    Python's): it reseeds one, or draws from one where the generator belongs."""
    if not moved:
        return None
    return Diagnosis(
        "random",
        "your code changes a global random generator when it is given its own: a reseed "
        "(np.random.seed(...), torch.manual_seed(...), random.seed(...)) or a draw from the "
        "global state (np.random.rand, torch.rand without generator=); every draw must come from "
        "`generator`, and the caller's global state must be left as it was",
    )


def not_advanced(first: torch.Tensor, second: torch.Tensor) -> Diagnosis | None:
    """Two calls with one generator gave the same values, where drawing from it moves its
    state: the draws do not come from that generator's state (a seed read from it, such as
    ``generator.initial_seed()``, handed to NumPy or to a generator of one's own)."""
    if not torch.equal(first, second):
        return None
    return Diagnosis(
        "random",
        "two calls with one generator gave the same values: your draws do not come from the "
        "generator's state, which each draw would move (a seed read from it, "
        "generator.initial_seed(), given to NumPy or to a generator of your own, starts over "
        "on every call); draw from `generator` itself",
    )


def redrawn(first: torch.Tensor, second: torch.Tensor, what: str = "mask") -> Diagnosis | None:
    """Two boolean masks that must be the same draw (a forward's dropped entries and those its
    backward zeroes) have about the same rate but agree only as often as independent draws do:
    the second was drawn anew instead of reusing the first."""
    a, b = first.detach().flatten().double(), second.detach().flatten().double()
    if a.shape != b.shape or a.numel() < 100:
        return None
    pa, pb = float(a.mean()), float(b.mean())
    if not (0.05 < pa < 0.95) or abs(pa - pb) > 0.05:
        return None
    agree = float((a == b).double().mean())
    if abs(agree - (pa * pb + (1 - pa) * (1 - pb))) > 0.05:
        return None
    return Diagnosis(
        "random",
        f"your {what} is a new draw, as often set as the first one but independent of it: "
        "drawn again where the one drawn first must be reused (keep it, in the cache)",
    )


def float64_draws(template: torch.Tensor, got: torch.Tensor) -> Diagnosis | None:
    """A result in float64 for a float32 input (its values not judged): draws made in float64
    and never cast, which promote the result."""
    if got.dtype != torch.float64 or template.dtype != torch.float32:
        return mistyped(template, got)
    found = mistyped(template, got)
    if found is None:
        return None
    return Diagnosis(
        "dtype",
        "the result is torch.float64 for a float32 input: random draws (or weights) made in "
        "float64 (the default of NumPy, of torch.tensor of a Python float, or torch.float64 "
        "hard-coded) promote it; draw with dtype=x.dtype or cast them before they meet x",
    )


def redrawn_values(
    first: torch.Tensor, second: torch.Tensor, what: str = "weights"
) -> Diagnosis | None:
    """Two sets of values that must be one draw (the weight that mixes an input and the one
    that mixes its label), at least 30 of them, each spread over its range (a real draw), that
    differ and are uncorrelated: the second was drawn anew instead of reusing the first."""
    a, b = first.detach().flatten().double(), second.detach().flatten().double()
    if a.shape != b.shape or a.numel() < 30 or _mostly_equal(a, b):
        return None
    if float(a.std()) < 1e-3 or float(b.std()) < 1e-3:
        return None  # a constant is no draw
    r = float(torch.corrcoef(torch.stack([a, b]))[0, 1])
    if abs(r) > Z / math.sqrt(a.numel()):
        return None  # related values: something else than a second draw
    return Diagnosis(
        "random",
        f"your {what} are two independent draws where one draw must serve both: the second "
        "is drawn anew instead of reusing the first (draw once, use it for both)",
    )
