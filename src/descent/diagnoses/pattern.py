"""Generic value hypotheses about where a result goes wrong: a step function made smooth, a
final value not held past the end, a bound crossed on one side only, an argument handed back.

Each is a function ``(expected, got, inputs) -> Diagnosis | None`` over float64 CPU tensors of
one shape, like those of :mod:`descent.diagnoses.values` (whose first tier lists them); ``inputs`` is a
:class:`descent.diagnoses.values.Inputs` (the call's named tensors and numbers). A sequence is a 1-D
result of at least 4 items (a schedule's rates over its steps); results made only of whole
numbers (counts, indices, epochs) are no schedule and are left alone.

- :func:`step_made_smooth`: the expected is piecewise constant and ``got`` agrees with it wherever it
  changes, but moves in between (``step / step_size`` where ``step // step_size`` belongs).
- :func:`not_held`: the expected settles at a final value and stays there; ``got`` is right up
  to that point and then keeps moving (a missing ``min(step, total_steps)`` or floor).
- :func:`bound_side`: the wrong entries are exactly those of an argument ``x`` beyond one bound
  ``-a`` or ``a`` given by a number ``a`` of the call (a clamp kept on one side only, the sign of
  the clamped values lost).
- :func:`argument_returned`: a single number (no whole number: epochs and counts meet arguments by chance)
  equal to a number of the call that the expected is not (the value read after it was capped
  by that argument, or the argument returned).
- :func:`input_returned`: a tensor equal to one tensor argument of the call, and to no other,
  that the expected is not: that argument handed back unchanged, the computation skipped on
  this path (an evaluation mode that returns its input, an upstream gradient passed through).
- :func:`log_base`: a constant factor that is the ratio of two logarithms (log10 for log);
- :func:`probability_for_log`: ``exp(-expected)``, a probability where its negative log belongs.
- :func:`frozen_step`: a trajectory whose every step is the expected's first one (a gradient
  computed once and reused).
- :func:`mirrored_phases`: a sequence in two or three phases, each run from its end to its
  start (the start and end of a phase swapped in its formula).
- :func:`sequence_cut_short`: a sequence right as far as it goes that stops two or more items early
  (read by :func:`descent.diagnoses.values.diagnose` for results of another length).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .base import _ATOL, _RTOL, Diagnosis, patterned, same, wrong_entries
from .values import _as_pair, inputs_of


def _sequence(e: torch.Tensor) -> bool:
    """A 1-D result of at least 4 items with some value that is not a whole number."""
    return e.dim() == 1 and len(e) >= 4 and not bool((e == e.round()).all())


def _change_steps(x: torch.Tensor) -> list[int]:
    moved = ~torch.isclose(x[1:], x[:-1], rtol=_RTOL, atol=_ATOL)
    return [int(i) + 1 for i in moved.nonzero().flatten()]


def _monotone(x: torch.Tensor) -> bool:
    d = x[1:] - x[:-1]
    return bool((d <= 0).all()) or bool((d >= 0).all())


def step_made_smooth(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``expected`` is piecewise constant (two runs two steps long or more, and short runs
    on average) and ``got``, monotone like it, equals it at the first step of every run and nowhere
    else: a step function turned smooth."""
    if not _sequence(e) or not _monotone(e):
        return None
    starts = [0] + _change_steps(e)
    runs = [b - a for a, b in zip(starts, starts[1:] + [len(e)])]
    if sum(n >= 2 for n in runs) < 2 or len(starts) > len(e) // 2:
        return None  # a step function has two plateaus at least
    if not same(g[starts], e[starts]) or not _monotone(g):
        return None
    inside = [i for i in range(len(e)) if i not in starts]
    if not inside or bool(torch.isclose(g[inside], e[inside], rtol=1e-6, atol=1e-12).any()):
        return None  # right somewhere inside a run: no smooth function does that
    return Diagnosis(
        "step",
        "your sequence agrees with the expected at every step where the expected changes, but "
        "moves in between, where the expected stays constant: a step function made smooth (a "
        "division where integer division or a floor belongs: a fraction of a block where the "
        "number of completed blocks belongs)",
    )


def not_held(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``expected`` changes and then settles on a final value for its last items (the first of
    them at index ``k``, two more at least); ``got`` is right up to ``k`` and wrong after it."""
    if not _sequence(e):
        return None
    changes = _change_steps(e)
    if not changes or changes[-1] > len(e) - 3:
        return None
    k = changes[-1]
    if not same(g[: k + 1], e[: k + 1]) or bool(
        torch.isclose(g[k + 1 :], e[k + 1 :], rtol=1e-3, atol=1e-6).any()
    ):
        return None
    return Diagnosis(
        "branch",
        f"your sequence is right up to item {k}, where the expected reaches its final value "
        "and stays there, and keeps changing after it: the branch that holds the final value "
        "is missing or its condition misses this case (a clamp such as min(step, total_steps), "
        "a floor such as max(lr, min_lr), a test for steps past the end or for a change too "
        "small to apply, a strict comparison where a non-strict one belongs)",
    )


def bound_side(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """The wrong entries (two at least, and two right) are exactly those where an argument
    ``x`` of the result's shape is below ``-a`` or above ``a``, for a positive number ``a`` of
    the call: the formula is wrong beyond that one bound."""
    wrong = wrong_entries(e, g)
    if wrong is None or not patterned(wrong):
        return None
    fits = set()
    for name, x in inputs.tensors:
        if x.shape != e.shape or not x.is_floating_point():
            continue
        for arg, a in inputs.numbers:
            if a <= 0:
                continue
            bound = f"`{arg}`" if not arg.startswith("a constant") else "(a number of the call)"
            for cond, side in ((x < -a, f"< -{bound}"), (x > a, f"> {bound}")):
                if torch.equal(wrong, cond):
                    fits.add((name, side))
    if len(fits) != 1:
        return None  # none, or several bounds explain it: say nothing
    name, side = fits.pop()
    return Diagnosis(
        "branch",
        f"your result is wrong exactly where `{name}` {side} and right everywhere else: the "
        "formula is wrong beyond that bound only (a clamp applied on one side, or the value "
        "past the bound given the wrong sign)",
    )


def argument_returned(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """A single number, no whole number, equal to one number of the call (and only one) that
    the expected is not: the value was read after it was capped or set by that argument, or the
    argument was returned."""
    if e.numel() != 1 or bool(g == e) or bool(g == g.round()):
        return None  # a whole number (an epoch, a count) equals some argument by chance
    names = {
        name
        for name, a in inputs.numbers
        if same(g.reshape(()), torch.tensor(a, dtype=g.dtype)) and a not in (0.0, 1.0)
    }
    if len(names) != 1:
        return None
    (name,) = names
    return Diagnosis(
        "order",
        f"your result equals the argument `{name}`: it was read after it was capped or set "
        f"by `{name}` (the value after the clipping or the update, where the value before it "
        f"is asked for), or `{name}` itself was returned",
    )


#: The origin of :func:`input_returned`'s reading: it names the argument of its own check's call,
#: and holds on no other check unless read there (``verified`` does not carry it).
HANDED_BACK = "handed back"


def handed_back(case: Any) -> Diagnosis | None:
    """The stage of :func:`input_returned`: a failed check's result read against the call's
    tensors, once no re-run has named it."""
    expected, got = case.expected, case.got
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
        # several results (a backward's gradients): the first one that is wrong
        pairs = [(e, g, _as_pair(e, g)) for e, g in zip(expected, got)]
        wrong = [(e, g) for e, g, p in pairs if p is not None and not torch.equal(p[0], p[1])]
        if any(p is None for _, _, p in pairs) or not wrong:
            return None
        expected, got = wrong[0]
    pair = _as_pair(expected, got)
    if pair is None or pair[0].shape != pair[1].shape:
        return None
    return input_returned(pair[0], pair[1], inputs_of(case.recipe))


def input_returned(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got`` is one tensor argument of the call (and only one), entry for entry, where the
    expected is not: the argument handed back unchanged, the function's work skipped on this
    path. A result of several entries, not all equal (a constant meets a constant argument)."""
    if g.numel() < 4 or bool((g == g.flatten()[0]).all()) or same(g, e):
        return None
    names = [
        name
        for name, t in inputs.tensors
        if t.shape == g.shape and same(g, t.detach().to(g.dtype)) and not same(e, t.to(e.dtype))
    ]
    if len(names) != 1:
        return None
    return Diagnosis(
        "omitted",
        origin=HANDED_BACK,
        text=f"your result is `{names[0]}` handed back unchanged: the computation is skipped on this "
        f"path (a branch that returns its input as it came, such as an evaluation mode that "
        f"forgets to normalize, or a gradient passed through where the local derivative belongs)",
    )


_LOGS = (
    (1 / math.log(10), "the base-10 logarithm where the natural one belongs (log10 for log)"),
    (1 / math.log(2), "the base-2 logarithm where the natural one belongs (log2 for log)"),
    (math.log(10), "the natural logarithm where the base-10 one belongs (log for log10)"),
    (math.log(2), "the natural logarithm where the base-2 one belongs (log for log2)"),
)


def log_base(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got == c * expected`` for ``c`` the ratio of two logarithms' bases (1/ln 10, 1/ln 2,
    ln 10, ln 2): a logarithm in another base. The constant is odd enough to count even for a
    single number."""
    if not bool((e != 0).any()):
        return None
    for c, what in _LOGS:
        if same(g, c * e):
            return Diagnosis(
                "factor",
                f"your result is the expected times {c:.4g}, the ratio of two logarithms: {what}",
            )
    return None


def probability_for_log(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got == exp(-expected)`` with the expected positive (a loss that is a negative log of
    a probability): the probability returned where its negative log belongs. ``exp`` of a
    number is odd enough to count even for a single one, once it is told apart from 1 and from
    0: below a loss of 1e-6 exp(-loss) is within rounding of 1 (an answer of ones fits it), above
    700 it is below 1e-304 (an answer of zeros fits it)."""
    if not bool(((e > 1e-6) & (e < 700)).all()) or same(g, e):
        return None
    if not same(g, torch.exp(-e)):
        return None
    return Diagnosis(
        "omitted",
        "your result is exp(-expected): a probability where its negative log belongs (the "
        "-log left out: the mean of the probabilities where the mean of -log(probability) "
        "belongs)",
    )


def frozen_step(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """A trajectory (1-D, at least 4 items) that starts right and takes the expected's first
    step every time, while the expected's steps change: the step was computed once and reused."""
    if not _sequence(e) or not same(g[:2], e[:2]) or same(g, e):
        return None
    steps, first = g[1:] - g[:-1], e[1] - e[0]
    if bool(first == 0) or not same(steps, first.expand_as(steps)):
        return None
    if same(e[1:] - e[:-1], first.expand_as(steps)):
        return None  # the expected moves by equal steps too: nothing to tell apart
    return Diagnosis(
        "step",
        "your sequence repeats its first step at every step: the step (a gradient, an update) "
        "is computed once, before the loop, and reused instead of recomputed at each iterate",
    )


def sequence_cut_short(e: torch.Tensor, g: torch.Tensor, inputs: Any = None) -> Diagnosis | None:
    """A sequence (1-D, at least 4 items expected) that is right as far as it goes and stops
    two or more items early: a loop left before its end (a break on a condition)."""
    short = e.dim() == g.dim() == 1 and len(e) >= 4 and 1 <= len(g) <= len(e) - 2
    if not short or not same(g, e[: len(g)]):
        return None  # not a sequence cut short, or wrong before the cut
    return Diagnosis(
        "step",
        f"your sequence is right for its {len(g)} items and stops {len(e) - len(g)} items "
        "early: a loop left before its end (a break on a condition the docstring does not "
        "ask for, such as a gradient near 0, or a range that stops too soon)",
    )


def mirrored_phases(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """A sequence cut into two or three phases (3 items each at least) in each of which
    ``got + expected`` is one constant while the expected moves: each phase runs from its end
    to its start (``c - expected`` with ``c`` the phase's start plus its end)."""
    if not _sequence(e) or same(g, e):
        return None
    total = g + e
    starts = [0] + _change_steps(total) + [len(e)]
    if not 3 <= len(starts) <= 4:
        return None  # one constant is the complement hypothesis; many are no phases
    for a, b in zip(starts, starts[1:]):
        if b - a < 3 or same(e[a:b], e[a].expand(b - a)):
            return None
    return Diagnosis(
        "sign",
        f"each of the {len(starts) - 1} phases of your sequence runs backwards: within a "
        "phase your value plus the expected is constant (the phase's start plus its end), so "
        "the start and the end of the phase are swapped in its formula",
    )
