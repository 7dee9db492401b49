"""Where in the student's code a failure's cause is, for :mod:`descent.diagnoses.verified`:
the line of a verified repair (:mod:`~.repair`) as the cause where nothing verified names one,
else as where the named cause is; where no edit repairs the code, the line a float error first
stopped it on (:mod:`~.float_trap`), else the line where its values first part from the
reference's (:mod:`~.diverged`)."""

from __future__ import annotations

import ast
import math
import re
from dataclasses import replace
from typing import Any

from .. import registry
from . import diverged, float_trap, repair
from .anchored import written
from .base import LOG_PROBABILITIES
from .claims import Claim, unnamed
from .edit_context import aliases, bases, functions, instances, reached
from .ledger import Ledger


def placed(
    found: repair.Repair | None,
    whole: list,
    parts: list,
    facts: dict,
    explains: dict,
) -> tuple[list, list, dict]:
    """The claims and facts with a repair of the student's code in place: a whole repair as
    the cause or where it is (:func:`_located`), a partial one where it holds; a fact a check
    saw (a NaN read slice by slice) too, where the edit makes that check pass."""
    if found is None:
        return whole, parts, facts
    fixed = repair_claim(found)
    if found.partial:  # a cause verified on every failing check gets the line where it holds
        whole = [_at(c, fixed) if _holds(c, found, explains) else c for c in whole]
        parts = _with_part(fixed, found, parts, explains, whole)
    else:
        whole, parts = _located(fixed, found, whole, parts, explains)
    there = explains.get(fixed.key, set()) if found.partial else {id(r) for r in found.fixed}
    facts = {
        k: f and (replace(f, located=f.located or fixed.text) if k in there else f)
        for k, f in facts.items()
    }
    return whole, parts, facts


def repair_claim(found: repair.Repair) -> Claim:
    """The edit of ``found`` as a cause: its line and the kind of change."""
    edit = found.edit
    return Claim(("repair", edit.kind, edit.line, edit.text), edit.text, "repair")


def line_alone(found: repair.Repair | None, record: Any) -> Claim | None:
    """A whole repair's line for a check that it makes pass and that no verified cause is said
    of (an Adam whose moments stay zero: its parameters' numbers read no cause, the line
    holds there too)."""
    if found is None or found.partial or not any(r is record for r in found.fixed):
        return None
    return repair_claim(found)


def _holds(claim: Claim, found: repair.Repair, explains: dict) -> bool:
    """``found`` makes pass every check ``claim`` explains that it was run on (some)."""
    ran = {id(r) for r in found.searched} & explains.get(claim.key, set())
    return bool(ran) and ran <= {id(r) for r in found.fixed}


def _located(
    fixed: Claim, found: repair.Repair, whole: list, parts: list, explains: dict
) -> tuple[list, list]:
    """``fixed``, an edit of the student's code that makes every check pass (:mod:`.repair`):
    the cause where nothing verified names one for every failing check and no catalogued bug
    explains some, else where the verified cause or catalogued bug is in the code."""
    catalogued = any(c.misconception for c in whole + parts)
    if not catalogued and not any(map(_names_a_cause, whole)):
        explains[fixed.key] = {id(r) for r in found.fixed}
        return [fixed], []
    return [_at(c, fixed) for c in whole], [_at(c, fixed) for c in parts]


def _at(claim: Claim, fixed: Claim) -> Claim:
    """``claim`` with the repair's line as where it is, when it names a kind or a catalogued
    bug (a claim of neither says nothing a line could place)."""
    return replace(claim, located=fixed.text) if claim.kind or claim.misconception else claim


# readings that say where the values are wrong, not why ("right except where |x| is large: the
# branch past a threshold", which holds of any formula off for large inputs), or what shape
# their error has, slice by slice ("a constant plus a multiple of `x`", which a layer's weights
# stepped before its input gradient is computed shows too): a verified repair of the code says
# more; so does one of the entries whose sign is flipped (a menu of the ways a sign goes wrong,
# which a parameter and a rate swapped in a step shows on its first step too). A branch read at
# a boundary (x < 0) names which case is wrong: it stays
WHERE_ONLY = frozenset({"wrong_past_threshold", "slice_term", "signs_flipped"})


def _names_a_cause(claim: Claim) -> bool:
    """``claim``, verified on every failing check, names a cause: a catalogued bug, a slip
    re-run, a fact a check saw, or a reading other than a bare ratio or a place
    (:data:`WHERE_ONLY`; where none does, a verified repair of the student's own code says
    more)."""
    return bool(
        claim.misconception
        or claim.rerun
        or claim.fact
        or claim.reading
        and not unnamed(claim)
        and claim.reading.origin not in WHERE_ONLY
    )


def repaired(book: Ledger, impl: Any) -> repair.Repair | None:
    """The edit of the student's code that makes the exercise's checks pass (or some)."""
    if impl is None:
        return None
    try:
        return repair.search(book, impl)
    except Exception:  # noqa: BLE001 - a search that breaks (a tree too deep to copy) finds nothing
        return None


def trapped(
    trap: float_trap.Trap | None, whole: list, parted: bool, facts: dict, explains: dict
) -> tuple[list, dict]:
    """The claims and facts with the line a float error stopped the student's code on: the
    cause where nothing verified names one (and no partial causes are told), else where the
    named cause is in the code, unless it is placed already (the line that writes the floor it
    names says more than the log after it); a fact a check saw on the comparisons it stopped on."""
    if trap is None:
        return whole, facts
    stopped = {id(r) for r in trap.records}
    line = Claim(("trap", trap.text), trap.text, "trap")
    named = any(c.misconception for c in whole) or any(map(_names_a_cause, whole))
    # the line is said of the checks that stopped on it alone: in place of causes that explain
    # no others, or where a cause every check of which stopped there is in the code
    within = all(set() < explains.get(c.key, set()) <= stopped for c in whole)
    if whole and not named and within or not whole and not parted:
        explains[line.key] = stopped
        whole = [line]
    else:
        whole = [
            _at(c, _said_of(c, line))
            if not c.located and set() < explains.get(c.key, set()) <= stopped and _fits(c, trap)
            else c
            for c in whole
        ]
    facts = {
        k: f
        and (
            replace(f, located=f.located or _said_of(f, line).text)
            if k in stopped and _fits(f, trap)
            else f
        )
        for k, f in facts.items()
    }
    return whole, facts


_FLOORS_WRITTEN = re.compile(r"log|clip|clamp|maximum")
_LOG_OF_PROBABILITY = re.compile(f"{LOG_PROBABILITIES}|the log of a softmax")
_LOG_OF_0 = "takes the log of 0 on this input"


def _said_of(claim: Claim, line: Claim) -> Claim:
    """The trap's line as where ``claim`` is: a log of 0 under a cause that names the log of a
    probability is that log (a held-out course's loss, `-np.log(p[target])`, was told only
    that it takes the log of 0, beside a cause that says to compute the log from the scores)."""
    if not (_LOG_OF_0 in line.text and _LOG_OF_PROBABILITY.search(claim.text)):
        return line
    said = "takes the log of a probability, 0 on this input: the log to compute from the scores"
    return replace(line, text=line.text.replace(_LOG_OF_0, said))


def _fits(claim: Claim, trap: float_trap.Trap) -> bool:
    """``trap``'s line can be where ``claim`` is: a log floored (kind ``clamp``) is on a line
    with a log or a floor. A held-out Korea University loss floors its log at 1e-9 and was told
    the floor, then sent to its softmax's exp as where its values part."""
    return claim.kind != "clamp" or not trap.code or bool(_FLOORS_WRITTEN.search(trap.code))


def trap_of(book: Ledger, impl: Any) -> float_trap.Trap | None:
    """The line a float error stops the student's code on (:func:`.float_trap.located`)."""
    try:
        return float_trap.located(book, impl)
    except Exception:  # noqa: BLE001 - a re-run that breaks finds nothing
        return None


def parting_of(book: Ledger, impl: Any, reference: Any) -> float_trap.Trap | None:
    """The line where the student's values first part from the reference's
    (:func:`.diverged.located`)."""
    try:
        return diverged.located(book, impl, reference)
    except Exception:  # noqa: BLE001 - a re-run that breaks finds nothing
        return None


def _with_part(
    fixed: Claim, found: repair.Repair, parts: list, explains: dict, whole: list
) -> list:
    """``parts`` and a partial repair (``fixed``): a part whose checks the edit makes pass gets
    its line (:func:`_holds`); the edit is named on the others it makes pass and no cause
    explains (a held-out loss read as "15 times the expected" on its backward, every check its
    values could be weighed on, and repaired on its forward's logs, which that reading never
    weighed)."""
    ids = {id(r) for r in found.fixed}
    parts = [_at(c, fixed) if _holds(c, found, explains) else c for c in parts]
    mine = ids - set().union(*(explains.get(c.key, set()) for c in parts + whole))
    if not mine:
        return parts
    explains[fixed.key] = mine
    return [*parts, fixed]


_FLOOR_READ = re.compile(r"= -?log\((\d[\d.e+-]*)\)")


def floor_written(claim: Claim, source: list[ast.AST] | None) -> bool:
    """A floor read off the values (kind ``clamp``: "stops at 13.816 = -log(1e-06)") is the
    student's where their code writes that number, or where there is no code to read (a
    catalogued variant): a held-out Korea University loss floors its log at 1e-9 and, averaged
    over rows two thirds of which saturate, stops at -log(1e-06) too."""
    found = _FLOOR_READ.search(claim.text) if claim.kind == "clamp" else None
    if found is None or not source:
        return True
    floor = float(found.group(1))
    return any(math.isclose(n, floor, rel_tol=1e-9) for n in _numbers(source))


def student_source(book: Ledger, impl: Any) -> list[ast.AST] | None:
    """The code of the student's that ``book``'s exercise runs: its functions, those they call
    (as a repair search reaches them) and the module's top-level statements that are no
    definition (``EPS = 1e-9``); ``None`` for the kit's own code."""
    exercise = registry.EXERCISES.get(book.exercise or "")
    try:
        source = impl.source(exercise.module) if impl is not None and exercise else None
        tree = ast.parse(source) if source else None
    except Exception:  # noqa: BLE001 - a module that cannot be read has no numbers to read
        return None
    if tree is None or exercise is None or not isinstance(source, str):
        return None
    defs = functions(source)
    roots = tuple(d for d in defs if d.partition(".")[0] in exercise.functions)
    ran = reached(defs, roots, aliases(source), bases(source), instances(source))
    tops = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    return [*(defs[n] for n in ran), *tops]


def module_text(book: Ledger, impl: Any) -> str | None:
    """The source of the student's module ``book``'s exercise is in; ``None`` for the kit's
    own code."""
    exercise = registry.EXERCISES.get(book.exercise or "")
    try:
        text = impl.source(exercise.module) if impl is not None and exercise else None
    except Exception:  # noqa: BLE001 - a module that cannot be read has no lines to point at
        return None
    return text if isinstance(text, str) else None


def _numbers(code: list[ast.AST]) -> set[float]:
    """The numbers ``code`` writes: literals, and powers of literals (``10 ** -9``)."""
    found = (written(node) for part in code for node in ast.walk(part))
    return {value for value in found if value is not None}
