"""A cause is named only once it is verified: the one place where the feedback decides what a
failure names.

A failing check offers *claims* about its mistake: the catalogued bug whose output equals the
student's on that check (:meth:`descent.grading.checker.Checker.diagnose`, or a public check's own
``Mistake``) and the generic diagnosis (:mod:`descent.diagnoses.values` and the re-runs beside it).
One comparison is no proof, so none is shown yet. Every comparison a check makes between an
implementation's result and the expected one is a :class:`~.ledger.Record` in the
:class:`~.ledger.Ledger` of its implementation and exercise (:mod:`descent.diagnoses.ledger`):
the recipe, what the implementation returned, the expected value, whether it failed. A reported failure also brings a *neighbour*: the same recipe with its batch
one example shorter, run on the student's code and on the reference (:func:`neighbour`).

Once every test has run, :func:`settle` weighs each claim against every record of its exercise:

- a *slip* (a catalogued bug, or a diagnosis found by re-running the reference with a mistake,
  ``Diagnosis.rerun``) is run on each record's recipe; it reproduces a record when it gives what
  the student's code gave there, and is contradicted by a record the student passed where it
  gives something that record's check would reject;
- a *reading* of the values (a factor, a transpose, a step behind) reproduces a failing record
  when the same reading, numbers and argument names aside, holds there too;
- a *fact* the check witnessed itself (:data:`descent.diagnoses.base.FACTS`: an argument seen
  edited, NaN, a wrong dtype) is shown as it is, and a claim that a check offered through such
  a fact alone (its values right, a marker in place of them, a refusal missing) is verified
  by it on that check (:func:`_fact_alone`): no re-run could reproduce values there (a
  marker in place of values is no such fact: it does not say which argument was edited).

A claim is **verified** when it reproduces every failing record of the exercise it can be
weighed on and no record the student passed contradicts it (it is checked against every
comparison of the exercise, not read off one: one failing record is enough only where it is the
only one that holds values to weigh it on); the failure then names it ("likely mistake: ..."). When no claim explains every failing record but verified claims and
facts together do, each failure names the one that explains it and says that the code fails
other checks for another reason. Anything else is worded as what it observes ("observed: your
result is twice the expected"), never as a cause, and records no kind. A public check's
``Mistake`` is its author's value of the slip on that check's own input (the student's bundle
has no reference to re-run): it is named when every failing check that declares it agrees.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from .. import variants
from . import repair
from .anchored import anchored_all
from .base import Diagnosis, NotApplicable, leaves, non_finite, observed, witnessed
from .claims import UNNAMED, Claim, sliced_alike, unnamed
from .item import zero_everywhere
from .ledger import Ledger, Record, agree
from .linear import factor_readings
from .located import (
    floor_written,
    line_alone,
    module_text,
    parting_of,
    placed,
    repaired,
    student_source,
    trap_of,
    trapped,
)
from .mutant import mutants, written_into
from .order import MUTANT_PREEMPTS, PLACES
from .parameter import _inert, _scant
from .pattern import HANDED_BACK
from .values import either, inputs_of

_PROPORTIONAL = "your result is the expected " + UNNAMED  # that ratio, of the whole result
_INPUTS = 2  # failing records a claim must reproduce: one comparison is no evidence
_COMPOSITE_GENERAL = 3  # telling records a bug with a slip of a general kind must reproduce


def _bug_claims(variant: Any, reference: Any) -> list[Claim]:
    """The claim of one catalogued bug (re-run on the reference), or of a public check's
    Mistake (its value alone)."""
    text = f"your result matches code that {variant.title}"
    out: list[Claim] = []
    if hasattr(variant, "apply") and reference is not None:
        slipped = variant.apply(reference)
        out.append(
            Claim(
                ("bug", variant.id),
                text,
                misconception=variant.id,
                hint=variant.hint,
                rerun=functools.partial(_run_on, slipped),
            )
        )
    elif not hasattr(variant, "apply"):  # a public check's Mistake: its value, no re-run
        out.append(
            Claim(("mistake", variant.id), text, misconception=variant.id, hint=variant.hint)
        )
    return out


def claims_of(record: Record, reference: Any) -> list[Claim]:
    """The claims a reported failure makes: its catalogued bug (or Mistake), then its generic
    diagnosis."""
    failure, out = record.failure, []
    for variant in [failure.variant, *getattr(failure, "other_variants", ())]:
        if variant is not None:
            out += _bug_claims(variant, reference)
    found = failure.found
    if found is None or found.place is None:
        return out + _generic_claims(found, failure)
    # a fit found after a place: both weighed, the fit tentatively (see Claim.tentative)
    fits = [replace(c, tentative=True) for c in _generic_claims(found, failure)]
    return out + fits + _generic_claims(found.place, failure)


def _generic_claims(found: Diagnosis | None, failure: Any) -> list[Claim]:
    """The claims of a check's generic diagnosis: each slip that fits, else the diagnosis."""
    out: list[Claim] = []
    slips = [f for f in found.fits if f.rerun is not None] if found is not None else []
    if slips:  # several slips fit this check: the exercise's other checks may tell them apart
        out += [
            Claim(("generic", f.kind, _masked(f.text)), f.text, f.kind, rerun=f.rerun)
            for f in slips
        ]
        return out
    # a ratio no quantity of the call names is weighed only as the whole result's: that of one
    # change of a trajectory (Adam's bias correction alone gives 1.344) comes from any slip
    ratio = found is not None and UNNAMED in found.text
    if (
        found is not None
        and found.kind != "ambiguous"
        and (not ratio or found.text.startswith(_PROPORTIONAL))
    ):
        key = ("generic", found.kind, _masked(found.text))
        if UNNAMED in found.text:  # one claim whatever each check's own ratio
            key = ("generic", found.kind, re.sub(r"\d+\.\d+", "#", key[2]))
        if found.rerun is not None:
            out.append(Claim(key, found.text, found.kind, rerun=found.rerun))
        else:
            out.append(
                Claim(
                    key,
                    found.text,
                    found.kind,
                    reading=found,
                    values=observed(found) is not None,
                    fact=witnessed(found, failure.check),
                )
            )
    return out


def _run_on(slipped: Any, recipe: Callable, reference: Any) -> Any:
    """A recipe run on ``slipped``, the reference with a slip (whatever reference is given)."""
    return recipe(slipped)


def _masked(text: str) -> str:
    """``text`` with its whole numbers and argument names masked: the same reading on another
    check names other sizes and other arguments."""
    return re.sub(r"(?<![\d.])\d+(?![\d.])", "#", re.sub(r"`[^`]*`", "`_`", text))


# -- weighing ----------------------------------------------------------------------------------
@dataclass
class _Verdict:
    explains: set[int]  # ids of the failing records the claim reproduces
    missed: set[int]  # ids of the failing records it was weighed on and does not reproduce
    contradicted: bool  # a record the student passed where the slip gives something else
    inputs: int = 0  # the failing records with values it might have been weighed on
    witnessed: bool = False  # a check offered it through a fact it observed itself
    seen: set[int] = field(default_factory=set)  # the records it explains through that fact
    # the failing records it reproduces where the student's result is finite, or NaN on a
    # check whose probe told how the NaN came (_behaves_alike)
    finite: int = 0


def _reproduces(claim: Claim, record: Record, reference: Any) -> bool | None:
    """Whether ``claim`` gives the student's result on ``record`` (``None``: it cannot tell,
    as when the result is a marker in place of values: an argument edited)."""
    if record.witness or _marker(record):
        return None
    if record.failed and record.expected is not None and agree(record.expected, record.got):
        return None  # it failed for something else than its values (an argument edited)
    if claim.rerun is not None and reference is not None and record.recipe is not None:
        record.restore()
        try:
            theirs = claim.rerun(record.recipe, reference)
        except NotApplicable:
            theirs = NotApplicable
        except ZeroDivisionError:  # a Python float divided by 0: a tensor formula gives NaN
            return non_finite(record.got) and not non_finite(record.expected)
        except Exception:  # noqa: BLE001 - the slip cannot run this input: not the student's
            return False
        finally:
            record.restore()
        if theirs is not NotApplicable:
            if record.agrees(theirs, record.got):
                return _behaves_alike(claim, record, reference)
            if not record.failed and _accepted(record, theirs):
                return True  # the check takes both results alike (float32 on large inputs)
            if claim.host is not None and not record.hosts(claim.host):
                return None  # the host's own rounding differs there: its slip says nothing
            return False if record.replays(reference) else None
    if claim.misconception is not None and claim.rerun is None:  # a check's Mistake
        declared = [m for m in record.mistakes if m.id == claim.misconception]
        return any(m.explains(record.got) for m in declared) if declared else None
    if not record.failed or claim.reading is None or not _readable(record):
        return None
    if record.failure is None and not claim.values:
        return None  # a neighbour is read by the value hypotheses alone
    theirs = record.reading()
    if theirs is None:
        return None  # values no hypothesis reads (too few, counts): they neither confirm nor refute
    place = theirs.place  # the reading a re-run's fit came after holds there too
    return _same_reading(theirs, claim.reading) or bool(
        place and _same_reading(place, claim.reading)
    )


def _probed(record: Record) -> bool:
    """``record``'s check moved its inputs to tell how a NaN came (:func:`_behaves_alike`)."""
    found = record.failure.found if record.failure is not None else None
    return getattr(found, "probe", None) is not None


def _behaves_alike(claim: Claim, record: Record, reference: Any) -> bool:
    """A slip whose result on ``record`` equals the student's also does what the student's code
    did on the moved inputs its check read (:attr:`Diagnosis.probe`): NaN equals NaN however it
    came (an exp that overflowed, a 0 * -inf of a log of an underflowed probability), and such a
    result alone tells one formula from another no better than a coin."""
    found = record.failure.found if record.failure is not None else None
    probe = getattr(found, "probe", None)
    if probe is None or claim.rerun is None or record.recipe is None:
        return True
    rerun, recipe = claim.rerun, record.recipe
    try:
        return bool(probe.agrees(lambda: rerun(recipe, reference)))
    finally:
        record.restore()


def _accepted(record: Record, theirs: Any) -> bool:
    """The check that ``record`` comes from accepts ``theirs`` as it accepted the student's
    result: two correct float32 formulations on large inputs differ by more than a slip's match
    tolerance and less than the check's own, and must not tell a slip from the student's code."""
    try:
        return record.accepts is not None and bool(record.accepts(theirs))
    except Exception:  # noqa: BLE001 - a result of another structure: not accepted
        return False


def _fact_alone(record: Record) -> bool:
    """``record`` failed through what its check observed and not through values a slip could
    be weighed on: values equal to the expected ones (a dtype, a type, the arguments edited), or
    no comparison at all (a refusal missing). A claim the check offered there was matched
    through that fact, which is all the verification it can have. A marker in place of values
    (the string saying that some argument was edited) is not such a fact: it does not say which
    argument, and a bug that edits another gives the same string."""
    if record.witness:
        return True
    if _marker(record):
        return False
    try:
        return record.expected is not None and agree(record.expected, record.got)
    except Exception:  # noqa: BLE001 - results of another structure: values differ
        return False


def _readable(record: Record) -> bool:
    """A reading of the values is judged only on a comparison with an expected value computed
    in float64 (a float32 result is too coarse for the hypotheses' tolerance), or on the
    reported failure of a check that compares with no value (a property, a statistic): the
    reading it made of what it measured."""
    if record.expected is None:
        return record.failure is not None
    return all(
        not isinstance(v, torch.Tensor) or v.dtype == torch.float64 or not v.is_floating_point()
        for v in leaves(record.expected)
    )


def _same_reading(theirs: Diagnosis, mine: Diagnosis) -> bool:
    """Two checks read alike: the same kind from the same value hypothesis with the same
    constants (``(1.344)``; sizes and argument names may differ), or, for a reading no tier
    tagged, the same text once sizes and names are masked. A check where several readings fit
    equally well reads alike when one of them does."""
    if theirs.fits:
        return any(_same_reading(f, mine) for f in theirs.fits)
    if theirs.kind != mine.kind:
        return False
    if UNNAMED in mine.text:  # a ratio of its own on each check: the result is proportional
        return UNNAMED in theirs.text and theirs.origin == mine.origin
    if theirs.origin and mine.origin:
        return theirs.origin == mine.origin and _decimals(theirs.text) == _decimals(mine.text)
    return _masked(theirs.text) == _masked(mine.text)


def _decimals(text: str) -> list[str]:
    return re.findall(r"\d+\.\d+(?:e[-+]?\d+)?", text)


def _weigh(
    claim: Claim, records: list[Record], reference: Any, seen: Iterable[int] = ()
) -> _Verdict:
    """``claim`` weighed on every record; ``seen``: the failing records whose check offered it
    and failed through a fact it observed alone (see :func:`_fact_alone`), which it explains."""
    seen = set(seen)
    verdict = _Verdict(set(seen), set(), False, witnessed=bool(seen), seen=set(seen))
    for record in records:
        if id(record) in seen:
            continue
        verdict.inputs += record.failed and _values(claim, record)
        fits = _reproduces(claim, record, reference)
        if fits is None:
            continue
        if record.failed:
            (verdict.explains if fits else verdict.missed).add(id(record))
            verdict.finite += fits and (not non_finite(record.got) or _probed(record))
        elif not fits:
            verdict.contradicted = True
    return verdict


def _values(claim: Claim, record: Record) -> bool:
    """``record`` holds values ``claim`` could be weighed on, whether or not it was in the end
    (a recipe to re-run the slip on, or values to read): one of the inputs it must reproduce."""
    if record.witness:
        return False  # no values: only the fact the check saw
    marker = _marker(record)
    if marker and claim.reading is None:
        return False  # a marker in place of values (an argument edited): no slip to re-run
    if claim.rerun is not None:
        return record.recipe is not None
    # a reading must hold on two failing checks where two fail, a marker's check included (an
    # argument edited): one check's values may show a pattern by chance
    return claim.reading is not None and (record.failure is not None or _readable(record))


def _mutant_claim(book: Ledger, reference: Any) -> Claim | None:
    """The first slip written into the reference's code (:mod:`descent.diagnoses.mutant`, in
    the order of its rules) that gives the student's result on every failing record, on two
    telling ones at least where there are two (one where there is one, for a slip of a specific
    kind), and contradicts no passing one: each is tried on the failing records
    first and dropped at its first miss. Slips that give the same results everywhere are one
    explanation as far as the checks can tell, so the first is named. A slip of a general kind
    (a term, a sign, a factor) gives way to a reading of the values that is verified too."""
    failing = [r for r in book.records if r.failed and not r.witness]
    needed = min(_INPUTS, sum(_telling(r) for r in failing))  # two where there are two
    if needed == 0:
        return None
    singular = any(non_finite(r.got) for r in failing)
    for mutant in mutants(reference, book.exercise):
        if singular and mutant.kind == "branch":
            continue  # NaN where a guard belongs: a guard missing and one moved look alike
        claim = Claim(
            ("mutant", mutant.kind, mutant.text),
            f"your result is what {mutant.source} gives with " + mutant.text,
            mutant.kind,
            rerun=functools.partial(_run_on, mutant.apply(reference)),
            host=mutant.host,
        )
        # a slip of a general kind (a term, a sign) fits one input too easily: two always
        if _fits_every(claim, book, reference, needed if mutant.kind in MUTANT_PREEMPTS else 0):
            return claim
    return None


def _fits_every(claim: Claim, book: Ledger, reference: Any, needed: int) -> bool:
    """``claim`` gives the student's result on every failing record of ``book``, on ``needed``
    telling ones at least (two when 0 is given), and contradicts no passing one: tried on the
    failing records first and dropped at its first miss."""
    failing = [r for r in book.records if r.failed and not r.witness]
    telling = 0
    for record in failing + [r for r in book.records if not r.failed]:
        fits = _reproduces(claim, record, reference)
        if fits is False:
            return False
        telling += bool(fits) and record.failed and _telling(record)
    return telling >= (needed or _INPUTS)


def _on_failing_paths(claims: list[Claim], verdicts: dict, book: Ledger) -> list[Claim]:
    """The one catalogued bug that gives the student's result exactly on every failing record it
    can be weighed on, two telling ones at least (or the fact a check saw itself: the arguments
    it edits, edited alike), and is contradicted only by records the student passed: the student's code is that bug on the paths the failing checks take and right on
    others (lr kept in a momentum buffer, the step's other options right). Named with that said;
    nothing when two bugs do (they explain the failing checks equally well)."""
    telling = {id(r) for r in book.records if r.failed and not r.witness and _telling(r)}
    # a failing check whose result is a marker (arguments edited in place) fails for another
    # reason than a bug seen in values alone: "every check that fails" would not hold
    marked = {id(r) for r in book.records if r.failed and _marker(r)}
    fits = [
        claim
        for claim in claims
        if claim.key[0] == "bug"
        and claim.rerun is not None
        and (verdict := verdicts.get(claim.key)) is not None
        and verdict.contradicted
        and not verdict.missed
        and (marked <= verdict.explains or verdict.witnessed)
        # two telling checks, or the fact a check saw itself (the arguments it edits, edited)
        # in a function the bug replaces (an edit seen in a backward is no forward's bug)
        and (
            len((verdict.explains - verdict.seen) & telling) >= _INPUTS
            or (verdict.witnessed and _edits_where_seen(claim, verdict, book))
        )
    ]
    if len(fits) != 1:  # none, or rivals that explain the failing checks equally well
        return []
    (claim,) = fits
    return [
        Claim(
            ("paths",) + claim.key,
            f"{claim.text}, on every check of this exercise that fails (not on some you pass: "
            "part of your code does this, the rest does not)",
            misconception=claim.misconception,
            hint=claim.hint,
            rerun=claim.rerun,
        )
    ]


def _edits_where_seen(claim: Claim, verdict: _Verdict, book: Ledger) -> bool:
    """Every check whose own fact verified ``claim`` names, in its message, a function the
    catalogued bug replaces (the call in which the edit was seen)."""
    try:
        functions = list(variants.get(claim.misconception or "").functions)
    except KeyError:
        return False
    seen = [r for r in book.records if id(r) in verdict.explains and r.failure is not None]
    return bool(seen) and all(
        any(f in str(r.failure).split("\n", 1)[0] for f in functions) for r in seen
    )


def _composite_claim(book: Ledger, reference: Any, bugs: list[Claim]) -> Claim | None:
    """A catalogued bug that explains some failing records and a slip written into its own
    code (:func:`~.mutant.written_into`) that, with it, gives the student's result on every
    failing record and contradicts no passing one: two mistakes, one the catalogue knows (often
    a convention another course teaches) and one of the student's own. On two telling records at
    least for a slip of a kind a reading cannot name (:data:`~.order.MUTANT_PREEMPTS`), three for
    one of a general kind (a term, a sign, a count: it fits a partial explanation too easily)."""
    failing = [r for r in book.records if r.failed and not r.witness]
    telling = sum(_telling(r) for r in failing)
    if telling < _INPUTS:
        return None
    for bug in bugs:
        try:
            variant = variants.get(bug.misconception or "")
        except KeyError:
            continue
        if not hasattr(variant, "apply") or variant.exercise != book.exercise:
            continue
        for mutant in written_into(reference, variant, book.exercise):
            # a slip of a general kind (a count, a factor) fits a partial explanation too
            # easily: it must reproduce three telling checks at least, beside the bug
            needed = _INPUTS if mutant.kind in MUTANT_PREEMPTS else _COMPOSITE_GENERAL
            if telling < needed:
                continue
            # no generic kind of its own: the catalogued bug names it, the slip is in its text
            claim = Claim(
                ("composite", variant.id, mutant.kind, mutant.text),
                f"your result matches code that {variant.title}, with {mutant.text}",
                None,
                misconception=variant.id,
                hint=bug.hint,
                rerun=functools.partial(_run_on, mutant.apply(reference)),
            )
            if _fits_every(claim, book, reference, needed):
                return claim
    return None


def _telling(record: Record) -> bool:
    """A failing result that can tell slips apart: finite (many slips give NaN), not all zeros
    or one repeated item, not a handful of labels or whole numbers."""
    got = record.got
    return not (non_finite(got) or _inert(got) or _scant(got, record.expected))


def _verified(claim: Claim, verdict: _Verdict) -> str | None:
    """``"all"`` when ``claim`` reproduces every failing record it can be weighed on and no
    passing record contradicts it (checked against all the exercise's comparisons), two of them
    at least where two failing records hold values it might be weighed on (a recipe to re-run,
    values to read: a record may still say nothing, a recipe that no longer replays, values no
    hypothesis reads) and one where one does, ``"some"`` when it reproduces
    two at least and misses others, ``None`` otherwise. (A slip written into the reference's
    code is held to telling records instead: see :func:`_mutant_claim`.)"""
    if verdict.contradicted or not verdict.explains:
        return None
    if unnamed(claim):
        return "all" if not verdict.missed and len(verdict.explains) >= _INPUTS else None
    # a check's own fact (an argument edited, a dtype) is its verification: no second input
    needed = 1 if verdict.witnessed else min(_INPUTS, verdict.inputs)
    if not verdict.missed:  # two inputs where there are two: one only where it is all there is
        return "all" if len(verdict.explains) >= needed else None
    if claim.misconception is not None and claim.rerun is None:  # a Mistake: its own checks
        return None
    if not (verdict.finite or verdict.witnessed):
        # NaN equals NaN however it came: a cause that leaves other checks unexplained needs a
        # finite result of its own (an Adam that squares the first moment gave NaN on zero
        # gradients, as a counter started at 0 does, and was told that counter)
        return None
    return "some" if len(verdict.explains) >= _INPUTS or verdict.witnessed else None


# -- settling ----------------------------------------------------------------------------------
def settle(ledgers: dict, reference: Any, impls: Iterable[Any] = ()) -> None:
    """Decide what every reported failure in ``ledgers`` (keyed by implementation name and
    exercise) names (see the module's docstring) and write it into the failure and its results
    record (message, misconception, diagnosis). ``impls``: the implementations whose own code a
    repair search may edit where nothing else is verified (:mod:`~.repair`)."""
    by_name = {getattr(impl, "name", None): impl for impl in impls}
    for key, book in ledgers.items():
        try:
            _settle(book, reference, by_name.get(key[0]) if isinstance(key, tuple) else None)
        except Exception:  # noqa: BLE001 - a weighing that breaks leaves the observations
            for record in book.records:
                if record.failure is not None:
                    _write(record, None, None, [])


def _settle(book: Ledger, reference: Any, impl: Any = None) -> None:
    reported = [r for r in book.records if r.failure is not None]
    if not reported:  # crashes alone: a repair that makes them run says where
        repair.told(repaired(book, impl) if book.crashed else None, book.crashed)
        return
    source = student_source(book, impl)  # a floor read off the values must be written there
    own = {
        id(r): [c for c in claims_of(r, reference) if floor_written(c, source)] for r in reported
    }
    claims = list({c.key: c for r in reported for c in own[id(r)] if not c.fact}.values())
    facts = {id(r): next((c for c in own[id(r)] if c.fact), None) for r in reported}
    status, explains, weighed, verdicts = {}, {}, set(), {}
    for claim in claims:
        seen = {
            id(r) for r in reported if _fact_alone(r) and claim.key in {c.key for c in own[id(r)]}
        }
        verdict = verdicts[claim.key] = _weigh(claim, book.records, reference, seen)
        status[claim.key] = _verified(claim, verdict)
        explains[claim.key] = verdict.explains
        if status[claim.key] is not None or not claim.tentative:
            weighed |= verdict.explains | verdict.missed
    status.update(_one_kind(claims, verdicts))
    whole = [c for c in claims if status[c.key] == "all"]
    if reference is not None and not any(c.kind and c.rerun for c in whole):
        mutant = _mutant_claim(book, reference)  # a slip written into the reference's code
        # a reading that read the values of half the failing checks with telling float64 values
        # at least; one verified on fewer and carried over to the others, whose values it cannot
        # read (a moving average's factor shown on gradients), gives way to a slip that
        # reproduces them all
        readable = {
            id(r) for r in reported if r.failed and not r.witness and _readable(r) and _telling(r)
        }
        read = any(
            c.kind and c.reading and 2 * len(explains[c.key] & readable) >= len(readable)
            for c in whole
        )
        if mutant is not None and (mutant.kind in MUTANT_PREEMPTS or not read):
            whole.append(mutant)
            explains[mutant.key] = _weigh(mutant, book.records, reference).explains
    if reference is not None and not any(c.rerun for c in whole):  # a bug and a slip of one's own
        bugs = [c for c in claims if status[c.key] == "some" and c.key[0] == "bug"]
        composite = _composite_claim(book, reference, bugs) if bugs else None
        if composite is not None:
            whole.append(composite)
            explains[composite.key] = _weigh(composite, book.records, reference).explains
    if not whole:  # a catalogued bug on every failing path, not on some passing one
        whole += _on_failing_paths(claims, verdicts, book)
    # Several reasons: slips that each reproduce some failing checks are named on those; a
    # reading that holds on some checks only is named when those readings and the facts account
    # for every failing check weighed (alone, half the expected on two checks is a coincidence)
    parts = [c for c in claims if status[c.key] == "some" and c.reading is None]
    readings = [c for c in claims if status[c.key] == "some" and c.reading is not None]
    found = repaired(book, impl)  # a partial one accounts for the checks it makes pass
    covered = set().union(
        *(explains[c.key] for c in parts + readings),
        (k for k, f in facts.items() if f),
        (id(r) for r in (found.fixed if found is not None and found.partial else ())),
    )
    if readings and covered >= weighed:
        parts += readings
    parts = _undominated(parts, explains)
    repair.told(found, book.crashed)
    whole, parts, facts = placed(found, whole, parts, facts, explains)
    text = module_text(book, impl) if source else None  # a floor named: the lines writing it
    whole, parts, facts = anchored_all(whole, parts, facts, source, text, book.exercise)
    if found is None or found.partial:  # a float error's line, else where the values part
        trap = trap_of(book, impl)  # (on the checks a partial repair leaves failing too)
        trap = trap or (parting_of(book, impl, reference) if found is None else None)
        whole, facts = trapped(trap, whole, bool(parts), facts, explains)
    for record in reported:
        _decide(record, whole, parts, facts, explains, found)


def _decide(
    record: Record, whole: list, parts: list, facts: dict, explains: dict, found: Any
) -> None:
    """What one reported check is told: the causes of every failing check (``whole``), the
    partial ones that explain it (``parts``), what it saw itself (``facts``), or the line of
    a repair (``found``) that makes it pass."""
    mended = found is not None and not found.partial  # one edit makes every check pass
    mine = [c for c in parts if id(record) in explains[c.key]]
    # (a catalogued bug, or one with a slip of the student's own on top: it has a kind too)
    bug = _first(c for c in whole + mine if c.misconception is not None)
    # what this check saw itself comes first (an argument edited): a slip explains values
    here = [c for c in whole if c.key not in explains or id(record) in explains[c.key]]
    carried = [c for c in whole if _carries(c, record)]
    if any(c.rerun for c in mine) and all(_where(c) for c in here + carried):
        here, carried = [], []  # a fit re-run on this check says why; a place says only where
    generic = facts[id(record)] or _generic(here or carried) or _generic(mine)
    if bug is None and generic is None:
        generic = line_alone(found, record)
    others = []
    # several reasons: say which explains what (an edit that makes every check pass is one)
    if parts and not whole and not mended:
        others = [c for c in parts if c not in mine] + [
            f for k, f in facts.items() if f is not None and k != id(record)
        ]
    # a check whose result holds no values (a marker: some argument edited) can say neither
    # that a cause found elsewhere is its own nor that it is not
    unweighed = _marker(record)
    partial = bool(mine) and not whole and not mended
    _write(record, bug, generic, others, partial=partial, unweighed=unweighed)


def _where(claim: Claim) -> bool:
    """``claim`` reads where the values are wrong, not why (:data:`.order.PLACES`)."""
    return claim.reading is not None and claim.reading.origin in PLACES


def _undominated(parts: list[Claim], explains: dict) -> list[Claim]:
    """The partial causes less those another one outdoes: one whose failing checks are a
    strict subset of another's adds nothing (a textbook's eps typed in as 1e-6 also reads as
    "eps squared" on one check and "a default of 1e-6" on others: the constant explains all)."""
    return [
        c for c in parts if not any(explains[c.key] < explains[d.key] for d in parts if d is not c)
    ]


def _carries(claim: Claim, record: Record) -> bool:
    """``claim``, verified on the checks it could be weighed on, may be shown on ``record``,
    which it does not reproduce: a slip only where no recipe could re-run it (a check that
    compared no values, or a marker in their place); not a reading of non-finite values (NaN or
    inf where the expected is finite) on a check whose own result is finite, nor one that names
    an argument of its own check's call (an argument handed back), nor on a result of another
    shape than the expected. What the values show holds where they show it; such a reading says
    nothing of a rate or a count measured elsewhere."""
    if claim.rerun is not None:  # a slip: where it could be re-run, only if it reproduced
        return record.recipe is None or _marker(record)
    if claim.kind == "trap":  # a line a float error stopped on: said of the checks it stopped
        return False
    if claim.reading is None:
        return True
    if claim.reading.origin == HANDED_BACK:  # it names an argument of its own check's call
        return False
    alike = sliced_alike(claim.reading, record.got)  # (the slices a reading names are there)
    if _shapes(record.got) != _shapes(record.expected) or not alike:
        return False  # a result of the wrong shape is its own finding: no values to read there
    if not _passed_what_it_names(claim, record):
        return False
    if claim.kind == "zero" and not any(map(zero_everywhere, leaves(record.got))):
        return False  # (an Adam whose moments stay zero: its parameters are not)
    if claim.reading.origin == "constant_factor" and not _factor_holds(claim.reading, record):
        return False
    return not (claim.kind == "stability" and not non_finite(record.got))


def _factor_holds(reading: Diagnosis, record: Record) -> bool:
    """A constant factor's reading ("5 times the expected") is said of an unweighed check (one
    in float32) only where its result is that factor times the expected, to float32's
    precision: a loss summed where a mean belongs, whose large inputs' check a floor under its
    log caps, is not 5 times the expected there. A result that is no one tensor says nothing."""
    e, g = record.expected, record.got
    if not (isinstance(e, torch.Tensor) and isinstance(g, torch.Tensor)) or record.recipe is None:
        return True
    if e.shape != g.shape or not (e.is_floating_point() and g.is_floating_point()):
        return True
    e, g = e.detach().double().cpu(), g.detach().double().cpu()
    if not bool(torch.isfinite(g).all() and torch.isfinite(e).all()):
        return False
    denominator = float((e * e).sum())
    if denominator == 0:
        return True
    c = float((g * e).sum()) / denominator
    if not torch.allclose(g, c * e, rtol=1e-4, atol=0):
        return False  # not proportional at all
    if UNNAMED in reading.text:
        return True  # a constant no quantity names: proportional is all it says
    fits = factor_readings(c, e, inputs_of(record.recipe))
    return any(_same_reading(replace(d, origin=reading.origin), reading) for d in fits)


def _passed_what_it_names(claim: Claim, record: Record) -> bool:
    """Every plain name ``claim`` quotes (`dout`, `p`) is a tensor or a number ``record``'s
    call was passed, where it has a recipe: a backward's reading of the sign of each entry of
    `dout` was told on its forward's checks, whose calls have no `dout`."""
    if record.recipe is None:
        return True
    quoted = set(re.findall(r"`([A-Za-z_]\w*)`", claim.text))
    inputs = inputs_of(record.recipe)
    passed = {n.partition("[")[0] for n, _ in inputs.tensors + inputs.numbers}
    return quoted <= passed


def _shapes(value: Any) -> list:
    """The shape of every tensor in ``value`` (``None`` for any other leaf)."""
    return [tuple(v.shape) if isinstance(v, torch.Tensor) else None for v in leaves(value)]


def _marker(record: Record) -> bool:
    """``record``'s result is a marker (an argument was edited), no values a slip could fit."""
    return isinstance(record.got, str) and not isinstance(record.expected, str)


def _one_kind(claims: list[Claim], verdicts: dict) -> dict:
    """Readings of one kind that each hold on some failing checks and together on every failing
    check any of them was weighed on, two at least, none contradicted (a sequence one step ahead
    on most checks, changing at other steps on one): the kind is verified, each check names the
    reading that holds there. Their keys, marked ``"all"``."""
    out: dict = {}
    for kind in {c.kind for c in claims if c.reading is not None and c.kind}:
        group = [
            c
            for c in claims
            if c.kind == kind and c.reading is not None and verdicts[c.key].explains
        ]
        if len(group) < 2 or any(verdicts[c.key].contradicted for c in group):
            continue
        covered = set().union(*(verdicts[c.key].explains for c in group))
        seen = set().union(*(verdicts[c.key].explains | verdicts[c.key].missed for c in group))
        if covered >= seen and len(covered) >= _INPUTS and not any(unnamed(c) for c in group):
            out.update((c.key, "all") for c in group)
    return out


def _first(claims: Iterable[Claim]) -> Claim | None:
    return next(iter(claims), None)


def _generic(claims: list[Claim]) -> Claim | None:
    """The generic claim to show among verified ``claims``: a slip re-run before a reading of
    the values (the re-run reproduced the student's results, the reading only describes them);
    claims of several kinds are offered together, none chosen."""
    generic = [c for c in claims if c.kind is not None]
    slips = [c for c in generic if c.rerun is not None]
    generic = slips or generic
    if len({c.kind for c in generic}) > 1:
        joined = either(Diagnosis(c.kind or "", c.text) for c in generic)
        return Claim(("either",), joined.text, joined.kind)
    return generic[0] if generic else None


def _write(
    record: Record,
    bug: Claim | None,
    generic: Claim | None,
    others: list[Claim],
    partial: bool = False,
    unweighed: bool = False,
) -> None:
    """Render the failure with what was decided (``partial``: a cause of this check and some
    others) and copy it to its results record."""
    failure = record.failure
    found = failure.found
    if generic is not None and generic.reading is not None and found is not None:
        if found.kind == generic.kind and _same_reading(found, generic.reading):
            # in this check's own numbers
            generic = Claim(generic.key, found.text, generic.kind, located=generic.located)
    if generic is not None and generic.located:
        generic = replace(
            generic, text=f"{generic.text.rstrip('.')}; in your code, {generic.located}"
        )
    shown = {c.text for c in (bug, generic) if c is not None}
    elsewhere = list(dict.fromkeys(c.text for c in others if c.text not in shown))
    observation = None
    if bug is None and generic is None and found is not None and found.kind != "ambiguous":
        observation = observed(found) or (found.place and observed(found.place))
    if bug is not None and bug.located:  # (the cause shown is the bug's, whatever generic)
        bug = replace(bug, text=f"{bug.text.rstrip('.')}; in your code, {bug.located}")
    failure.show(
        misconception=bug.misconception if bug else None,
        cause=bug.text if bug else generic.text if generic else None,
        generic=generic.text if generic else None,
        kind=generic.kind if generic and generic.kind != "ambiguous" else None,
        hint=bug.hint if bug else None,
        elsewhere=elsewhere,
        observation=observation,
        partial=partial,
        unweighed=unweighed,
    )
    result = record.result
    if result is not None:
        result.message = str(failure)
        result.misconception = failure.misconception
        result.diagnosis = failure.diagnosis
