"""The order of diagnosis, declared once: which diagnosis runs where, and what it can pre-empt.

A failed check is read in stages (:data:`STAGES`, run by ``Checker``): first its values, then the
reference run again with one thing changed (:data:`RERUNS`), then the student's code with a small
argument halved, then the reference with a number moved, and last the student's code on its
float32 inputs widened to float64. The values are read in turn: the return convention and the
dtype (:data:`CONVENTIONS`); then a result read as one tensor, by its shape when that differs
(:data:`SHAPES`), else what comes before the tiers (:data:`BEFORE_TIERS`) and the value tiers
(:data:`TIERS`); then a result that is no tensor (:data:`STRUCTURES`); then the first wrong item
alone, and the items together (:data:`ITEMS`). A later
stage runs only when the earlier ones named nothing, so **anything that fits earlier pre-empts
everything after it**: a fit in a value tier stops the later tiers and every re-run. Within a
tier or the re-runs every entry runs; fits of one kind are named, fits of several kinds are
named together ("several explanations fit"). Once every test has run, verification
(:mod:`descent.diagnoses.verified`) weighs what the checks claim; a slip written into the
reference's code (:data:`MUTANT_SLIPS`) is tried only when no re-run was verified, and names the
failure over a reading of the values only when its kind is in :data:`MUTANT_PREEMPTS`.

Every entry (:class:`Entry`, written ``E(function, *kinds)``) names its function by where it
lives (``"linear.constant_factor"``: the function ``constant_factor`` of
``descent.diagnoses.linear``) and the kinds it can name, so that this file imports none of the
modules it orders: they read their order from here (:func:`resolved`). Adding a diagnosis is
one entry here, in the list whose interface its function has (what it needs, returns and costs):

- a value hypothesis (:class:`ValueHypothesis`, :data:`TIERS`, :data:`SHAPES` and
  :data:`BEFORE_TIERS`): ``(e, g, inputs) -> Diagnosis | None`` on two float64 CPU tensors (of
  one shape in a tier) and the call's :class:`~.values.Inputs`; cheap;
- a reading of raw results (:data:`CONVENTIONS`, :data:`STRUCTURES`, :data:`ITEMS`):
  ``(expected, got) -> Diagnosis | None``; cheap. In :data:`CONVENTIONS` and
  :data:`BEFORE_TIERS` a reading may also answer ``base.NOTHING``: the result is read and left
  unnamed, and no later reading runs;
- a re-run (:class:`Rerun`): ``(case) -> list[Diagnosis]``, every slip under which the reference
  gives the student's result (:class:`~.base.Case`); costly, within a time budget of its own;
- a stage (:class:`Stage`): ``(case) -> Diagnosis | None``;
- a reading of an estimate (:class:`EstimateReading`, :data:`ESTIMATES`): ``(estimate) ->
  Diagnosis | None`` on an estimate outside its check's band (:class:`~.base.Estimate`);
- a mutant slip: ``(node, context) -> Iterator[Slip]`` over the reference's syntax tree and
  what :mod:`descent.diagnoses.syntax` reads of it (:mod:`descent.diagnoses.mutant` writes it).

Every kind a diagnosis names is a key of :data:`KINDS`, with its meaning. Then run the guard:
``descent audit --module M --check-generic`` (docs/reference/generic-diagnoses.md).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:  # the order is data: it loads neither torch nor a diagnosis (descent docs)
    import torch

    from .base import Case, Diagnosis, Estimate

#: Every kind a diagnosis can have, with what it names; catalogue bugs are labelled with these
#: (``bug(generic=...)``). ``"ambiguous"`` (several explanations fit) is no kind of its own.
KINDS: dict[str, str] = {
    "zero": "a result that is zero everywhere: a term that never reaches it",
    "sign": "a sign flipped: a subtraction the wrong way round, ascent for descent",
    "sum-mean": "a sum where a mean belongs or the reverse: a division by a count missing or extra",
    "factor": "the right formula times a constant: a coefficient missing, extra or misread",
    "layout": "the right values laid out wrongly: transposed, reshaped where permuted belongs",
    "order": "the right values or items in the wrong places: an index, a reversed list",
    "step": "a sequence one step behind or ahead, a counter or a +1 one off",
    "term": "a term missing or extra, proportional to an argument",
    "offset": "the right values shifted by a constant",
    "branch": "a branch of a piecewise formula wrong, or the side its boundary belongs to",
    "edge": "right except at the edges: a boundary entry, the first or last item",
    "broadcast": "a result broadcast along the wrong dimension",
    "precision": "right only to float32 precision: part of a float64 computation in float32",
    "stability": "NaN or infinity where the expected is finite: an unstable formula",
    "structure": "the return convention: a tensor for a number, a tuple for one value",
    "reduction": "a reduction of another kind or along another dimension",
    "inplace": "an argument edited in place (seen by the check)",
    "validation": "an argument that had to be refused with ValueError went through",
    "dtype": "the right values in another dtype or on another device",
    "random": "random draws that do not all come from the generator given",
    "argument": "an argument misread: its complement, a count one off, ignored, another option",
    "distribution": "random draws of the wrong law: family, replacement, a biased shuffle",
    "sibling": "another exercise's function called where this one belongs",
    "operator": "a reflected operator (__radd__) missing, or a method looked up on `super`",
    "recursion": "a recursion as deep as the data",
    "omitted": "an operation left out: a square root, a log, a power",
    "swapped": "one hyperparameter used where another belongs (lr for 1 - alpha)",
    "clamp": "a clamp or floor that changes results (a log floored at 1e-10)",
    "eps": "an eps left out, or added under the root instead of after it (or the reverse)",
    "mode": "the statistics of the wrong mode (the batch's statistics in evaluation)",
    "frozen": "a counter or state that never advances (Adam's step)",
    "accumulate": "an assignment where accumulation belongs (= for +=)",
    "gate": "a gradient passed through a gate on the wrong region of its input",
    "precedence": "an expression grouped another way: a parenthesis misplaced or left out",
}


class ValueHypothesis(Protocol):
    """A reading of a wrong result against the expected one: both float64 CPU tensors of one
    shape, ``inputs`` the call's named tensors and numbers (and ``dtype``, the expected
    result's). Reads values only: no code is run."""

    __name__: str

    def __call__(self, e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None: ...


class Rerun(Protocol):
    """Every slip under which the reference, re-run, gives the student's result (``[]`` for
    none); each keeps to a time budget of its own and puts back what it changes."""

    __name__: str

    def __call__(self, case: Case) -> list[Diagnosis]: ...


class Stage(Protocol):
    """One stage of a failed check's diagnosis: the one diagnosis it names, or ``None``."""

    __name__: str

    def __call__(self, case: Case) -> Diagnosis | None: ...


class EstimateReading(Protocol):
    """A reading of an estimate of random draws that fell outside its band (:data:`ESTIMATES`):
    its likely mistake, or ``None``."""

    __name__: str

    def __call__(self, estimate: Estimate) -> Diagnosis | None: ...


@dataclass(frozen=True)
class Step:
    """A stage of :data:`STAGES`: ``function`` names it; ``after`` is what the stages before it
    found when it runs (``"nothing"``, or ``"nothing or stability"``: NaN alone only guesses at a
    stability problem; ``"nothing, stability or a place"``: a reading of :data:`PLACES` too);
    ``reference``: it needs the reference (not every check has one);
    ``stage``: the stage it is part of, in words (the table of diagnoses shows it)."""

    function: str
    after: str = "nothing"
    reference: bool = True
    stage: str = ""

    def __post_init__(self) -> None:
        if self.after not in _AFTER:
            raise ValueError(f"stage {self.function}: after={self.after!r}, not one of {_AFTER}")

    def runs_after(self, found: Diagnosis | None) -> bool:
        """Whether this stage runs once the stages before it have found ``found``."""
        if self.after == "always":
            return True
        if self.after == "nothing, stability or a place" and found is not None:
            return found.kind == "stability" or found.origin in PLACES
        stability = self.after == "nothing or stability" and found is not None
        return found is None or stability and found.kind == "stability"


_AFTER = ("always", "nothing", "nothing or stability", "nothing, stability or a place")

#: Readings that say where the values are wrong, not why ("right where x >= 0, wrong exactly
#: where x < 0"): the re-runs still run after them, and a fit that names a cause replaces them
#: (a leaky ReLU's slope typed in as 0.1 is wrong exactly where x < 0 too).
PLACES = frozenset({"wrong_branch"})


def followed(found: Diagnosis | None, new: Diagnosis | None) -> Diagnosis | None:
    """What a failed check is read as once a stage after ``found`` read ``new``: ``new`` where
    it read something, keeping a place ``found`` read (:data:`PLACES`) as ``new.place``, to be
    weighed too and told should ``new`` not hold on the exercise's other checks."""
    if new is None:
        return found
    return replace(new, place=found) if found is not None and found.origin in PLACES else new


class Entry(NamedTuple):
    """One diagnosis in the order: ``function`` names it (``"linear.constant_factor"``),
    ``kinds`` are the kinds it can name (keys of :data:`KINDS`; ``tests/diagnoses/
    test_order.py`` checks them against the kinds its code writes). What it needs, what it
    returns and what it costs follow from the list it is in (see the module's docstring)."""

    function: str
    kinds: tuple[str, ...]


def E(function: str, *kinds: str) -> Entry:  # noqa: N802 - one short line per entry below
    """The entry of ``function``, which names ``kinds``."""
    return Entry(function, kinds)


#: The stages of a failed value check, in order (``Checker``); each runs only when those before
#: it found nothing (or NaN alone, for those that run ``after="nothing or stability"``).
STAGES: tuple[Step, ...] = (
    Step("values.diagnose_case", after="always", reference=False, stage="values"),  # values only
    Step("parameter.rerun_slip", after="nothing, stability or a place", stage="re-runs"),
    # the student's code, an argument halved
    Step("input.first_order", reference=False, stage="scenarios"),
    Step("scenario.scenario_slip", stage="scenarios"),  # a number moved: a hair, a sign, a count
    # a tensor argument handed back unchanged: read after every re-run, which names a cause
    # where one fits (an argument read as its complement can hand an input back too)
    Step("pattern.handed_back", stage="scenarios"),
    # NaN or inf where the expected is finite, from the student's code on moved inputs (each
    # row's max at 0, entries past exp's range): an overflow, a batch-wide max, an underflowed log
    Step("input.centred", after="nothing or stability", stage="non-finite"),
    Step("input.overflow_bound", after="nothing or stability", reference=False, stage="non-finite"),
    # the student's code on its float32 inputs widened to float64: right there, the formula is
    # right and unstable in float32 (said so, over a reading of where it overflows)
    Step("input.right_in_float64", after="nothing or stability", reference=False, stage="float64"),
)

#: What the first stage (``values.diagnose``) reads first, on the raw results (``(expected, got)
#: -> Diagnosis | NOTHING | None``): the return convention and the dtype, before any value. The
#: first that answers decides: a diagnosis names the result, ``base.NOTHING`` leaves it unnamed
#: (a tensor for a number that no convention explains is read no further).
CONVENTIONS: tuple[Entry, ...] = (
    E("values.number_or_tensor", "structure"),
    E("values.retyped", "dtype"),
    E("values.numbers_as_tensors", "structure"),
)

#: Results of another shape than the expected (``values.diagnose``), read as value hypotheses
#: are; the first that fits names the result.
SHAPES: tuple[Entry, ...] = (
    E("sequence.one_item_more_or_less", "step"),
    E("pattern.sequence_cut_short", "step"),
    E("shape.reshaped", "layout", "reduction"),
    E("split.chunk_sizes", "edge", "step"),  # (also in the first tier, for one shape)
    E("item.extra_entry", "structure"),
)

#: Results that are no tensor of numbers (``(expected, got) -> Diagnosis | None`` on tuples,
#: lists, names of types), read when no tensor reading applies; the first that fits names it.
STRUCTURES: tuple[Entry, ...] = (
    E("values.wrong_return_convention", "structure"),
    E("values.items_reordered", "order"),
    E("slice.items_for_their_count", "structure"),
    E("slice.none_for_zero", "structure"),
    E("exception.typed", "structure"),
)

#: Results of several items whose first wrong item names nothing alone: the first that fits.
ITEMS: tuple[Entry, ...] = (
    E("item.zero_item", "zero"),
    E("item.held_out_kept", "branch"),
)

#: What is read of a result of the expected's shape before the tiers (``(e, g, inputs) ->
#: Diagnosis | NOTHING | None``): the first that answers decides, as in :data:`CONVENTIONS` (an
#: expected value not finite is read no further; one within tolerance, a loss of precision).
BEFORE_TIERS: tuple[Entry, ...] = (
    E("values.non_finite", "stability"),
    E("values.floored_log", "clamp"),
    E("values.within_tolerance", "precision"),
)

#: The value tiers, most specific first: the first tier in which any hypothesis fits decides
#: (and pre-empts every later tier and stage).
TIERS: tuple[tuple[Entry, ...], ...] = (
    (E("linear.all_zero", "zero"), E("split.chunk_sizes", "edge", "step")),
    (
        E("linear.constant_factor", "factor", "sign", "sum-mean"),
        E("placement.wrong_layout", "layout"),
        E("sequence.one_step_off", "step"),
        E("sequence.changes_at_other_steps", "step"),
        E("sequence.first_update", "factor", "sign", "sum-mean"),
        E("linear.extra_or_missing_term", "term"),
        E("linear.factor_entry_by_entry", "factor"),
        E("linear.complement_of_expected", "sign"),
        E("placement.wrong_branch", "branch"),
        E("values.float32_precision", "precision"),
        E("pattern.step_made_smooth", "step"),
        E("pattern.not_held", "branch"),
        E("pattern.bound_side", "branch"),
        E("pattern.argument_returned", "order"),
        E("pattern.log_base", "factor"),
        E("pattern.probability_for_log", "omitted"),
        E("pattern.frozen_step", "step"),
        E("pattern.mirrored_phases", "sign"),
        E("derivative.log_argument", "factor"),
        E("limit.at_infinity", "branch"),
    ),
    (
        E("placement.values_reordered", "order"),
        E("linear.constant_offset", "offset"),
        E("placement.wrong_edge", "edge"),
        E("placement.wrong_broadcast", "broadcast"),
        E("placement.wrong_dimension", "reduction"),
        E("operand.reciprocal", "order"),
        E("norm.standardized", "reduction", "term"),
        E("norm.blend_factor", "factor"),
        E("gate.gated_on_wrong_region", "gate", "branch"),
        E("norm.affine_left_out", "omitted"),
    ),
    (  # slice by slice, or on a telling set of entries: the last tier
        E("slice.slice_factor", "factor"),
        E("slice.slice_term", "term"),
        E("slice.slice_sums", "reduction", "term"),
        E("slice.signs_flipped", "sign"),
        E("slice.wrong_past_threshold", "branch"),
        E("slice.clamped_difference", "branch"),
        E("slice.counts_for_values", "factor"),
    ),
)

# What forcing a parameter of the exercise's functions can name (a re-run, or an estimate's).
_PARAMETER_KINDS = ("argument", "eps", "mode", "reduction", "sibling", "step", "term")

#: The re-runs :func:`~.parameter.rerun_slip` weighs together (all run; their fits are named as
#: one, or as "several explanations fit").
RERUNS: tuple[Entry, ...] = (
    # one argument of the check changed: a complement, a count one off
    E("argument.argument_fits", "argument", "step"),
    # the check's numbers scaled or combined, a matrix transposed
    E("rerun.number_fits", "argument", "factor", "reduction", "sign", "sum-mean", "term"),
    # a backward's local derivative misread; a scalar node's derivative slipped
    E("derivative.pair_fits", "argument", "term"),
    E("derivative.node_fits", "argument", "term"),
    # a tensor argument changed: a boundary moved, the tensor scaled
    E("input.input_fits", "argument", "branch"),
    E("cut.one_item_fits", "term"),  # a list argument cut to one item
    E("reuse.reused_helper_fits", "random"),  # a random helper's first result reused
    E("draw_order.draw_order_fits", "order"),  # the random draws made in another order
    E("last_call.last_call_fits", "edge"),  # the last call of an activation left out
    # a parameter of the exercise's functions forced: ignored, another option, a counter off
    E("parameter.parameter_fits", *_PARAMETER_KINDS),
)

#: The slips :mod:`~.mutant` writes into the reference's code, the most telling first (the
#: first :data:`~.mutant.MAX_MUTANTS` are tried): the rules of :mod:`~.formula`,
#: :mod:`~.bookkeeping`, :mod:`~.backward` and :mod:`~.regroup`.
MUTANT_SLIPS: tuple[Entry, ...] = (
    E("formula.operation_omitted", "omitted", "sum-mean"),
    E("formula.eps_left_out_or_moved", "eps"),
    E("formula.hyperparameter_swapped", "swapped"),
    E("bookkeeping.accumulated", "accumulate"),
    E("bookkeeping.mode_forced", "mode"),
    E("bookkeeping.statistics_of_mode", "mode"),
    E("bookkeeping.counter_frozen", "frozen"),
    E("formula.log_clamped", "clamp"),
    E("formula.softplus_of_probabilities", "clamp"),
    E("backward.gated_on_other", "gate"),
    E("bookkeeping.stored_as_read", "frozen"),
    E("bookkeeping.not_updated", "frozen"),
    E("backward.comparison_slipped", "branch", "gate"),
    E("backward.branches_swapped", "branch"),
    E("backward.reduced_over", "reduction"),
    E("backward.factor_left_out", "factor"),
    E("backward.other_quantity", "argument"),
    E("formula.floor_moved", "clamp"),
    E("regroup.regrouped", "precedence"),
    E("regroup.complement_base", "argument"),
    E("formula.term_slips", "accumulate", "eps", "factor", "frozen", "sign", "step", "term"),
    E("formula.condition_left_out", "branch"),
    E("formula.power_off_by_one", "step"),
    E("bookkeeping.whole_for_part", "edge"),
    E("formula.read_transposed", "reduction"),
)

#: The slips :mod:`~.mutant` also writes into the exercise's catalogued alternatives (correct
#: code of another form: :func:`~.mutant.hosts`), of these kinds only: those of a backward's
#: formula (its gate, an axis, a factor, another quantity of the operation). A power or a term
#: left out there is another label's mistake as often as not (``1 - y`` for ``1 - y**2``), and a
#: walk's bookkeeping changed can mimic an unrelated mistake: those go into the reference alone.
ALTERNATIVE_SLIPS: tuple[Entry, ...] = (
    E("backward.gated_on_other", "gate"),
    E("backward.comparison_slipped", "branch", "gate"),
    E("backward.reduced_over", "reduction"),
    E("backward.factor_left_out", "factor"),
    E("backward.other_quantity", "argument"),
)
ALTERNATIVE_KINDS = frozenset(("gate", "reduction", "factor", "argument"))

#: The kinds only a slip of the code names (a reading of the values cannot): a mutant of one of
#: them names a failure over a verified reading of its values; a mutant of a general kind (a
#: term, a sign, a factor) gives way to one, and needs fewer failing checks to be named.
MUTANT_PREEMPTS = frozenset(
    ("omitted", "eps", "swapped", "accumulate", "mode", "frozen", "clamp", "gate")
)

#: Checks whose kind names their mistake when no value hypothesis does (``Checker.fail``): each
#: reads the check's message, ``(message) -> Diagnosis | None``.
BY_CHECK: dict[str, Entry] = {
    "arguments unchanged": E("check.edited_argument", "inplace"),
    "reproducibility": E("check.unseeded", "random"),
    "reproducible": E("check.unseeded", "random"),
    "errors": E("check.not_refused", "validation"),
}


#: The readings of an estimate of random draws outside its band (``Checker.estimate``), in
#: order: the first that names it decides. Its ratio to the expected value is read first (cheap);
#: the parameter re-runs run only when that names nothing.
ESTIMATES: tuple[Entry, ...] = (
    E("stat.scaled_estimate", "argument", "distribution", "factor"),
    E("parameter.estimate_slip", *_PARAMETER_KINDS),
    E("stat.init_formula", "factor"),  # another initializer's spread (He's for Xavier's)
    E("stat.round_constant", "argument"),  # 0.01 * randn, Ng's bound of 0.12
)


def lists() -> tuple[tuple[str, str, tuple[Entry, ...]], ...]:
    """Every list of the order as ``(stage, where in it, entries)``, in the order a failed check
    meets them."""
    return (
        ("values", "the convention", CONVENTIONS),
        ("values", "another shape", SHAPES),
        ("values", "before the tiers", BEFORE_TIERS),
        *(("values", f"tier {i}", tier) for i, tier in enumerate(TIERS, 1)),
        ("values", "no tensor", STRUCTURES),
        ("values", "items", ITEMS),
        ("re-runs", "", RERUNS),
        ("verification", "slips of the code", MUTANT_SLIPS),
        ("by the check's kind", "", tuple(dict.fromkeys(BY_CHECK.values()))),
        ("by the estimate", "", ESTIMATES),
    )


def places(module: str) -> dict[str, list[str]]:
    """Where the order runs the functions of ``module`` (``"derivative"``): ``{stage: where in
    it}``, in the order a failed check meets them (``{"values": ["tier 2"], "re-runs": []}``)."""
    found: dict[str, list[str]] = {}
    for step in STAGES:
        if step.function.partition(".")[0] == module:
            found.setdefault(step.stage, [])
    for stage, where, entries in lists():
        if any(entry.function.partition(".")[0] == module for entry in entries):
            details = found.setdefault(stage, [])
            if where and where not in details:
                details.append(where)
    rank = list(dict.fromkeys([step.stage for step in STAGES] + [s for s, _, _ in lists()]))
    return {stage: found[stage] for stage in sorted(found, key=rank.index)}


@functools.cache
def function(name: str) -> Callable:
    """The function an entry names: ``"linear.constant_factor"`` is ``constant_factor`` of
    :mod:`descent.diagnoses.linear`."""
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(f"{__package__}.{module}"), attribute)


@functools.cache
def resolved(entries: tuple[Entry, ...]) -> tuple[Callable, ...]:
    """The functions of ``entries``, in their order."""
    return tuple(function(entry.function) for entry in entries)


def tiers() -> tuple[tuple[ValueHypothesis, ...], ...]:
    """:data:`TIERS` as functions."""
    return tuple(resolved(tier) for tier in TIERS)
