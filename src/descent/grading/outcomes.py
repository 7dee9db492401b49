"""How the report of a graded test becomes its record: passed, skipped (counted or not), failed
or an error, with the message, misconception and diagnosis the student reads.

A failure is classified by where it happened: an assertion of the check is a failed check; an
exception raised in the student's code (in-process or in a worker), a call Python refused for its
signature, a time-out, or an error in using what the code returned is an error of the code; a
crash of the reference solutions is a defect of the kit, kept with its full traceback.
"""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path

import pytest

from .. import registry, results
from ..calls import timelimit
from ..calls.impl import SubmissionError
from . import plugin_workers
from .run_state import STATE, GradingState, impl_of

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

CUDA_ABSENT = "CUDA is not available on this machine"


def is_hypothesis(item: pytest.Item) -> bool:
    test = getattr(item, "obj", None)
    return bool(getattr(getattr(test, "__func__", test), "is_hypothesis_test", False))


def drew(item: pytest.Item) -> bool:
    """Whether the test drew its inputs (hypothesis's examples, or the ``inputs`` fixture's
    values, seed or generator) rather than running only on inputs written into it."""
    if is_hypothesis(item):
        return True
    inputs = getattr(item, "funcargs", {}).get("inputs")
    return bool(getattr(inputs, "draws", 0))


def score(
    result: results.TestResult, report: pytest.TestReport, call: pytest.CallInfo, item: pytest.Item
) -> None:
    item.config.stash[STATE].finished.add(result.nodeid)
    if report.passed:
        result.outcome = results.PASSED
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        result.outcome, result.message = results.SKIPPED, reason
        result.counted = reason != CUDA_ABSENT
        return
    # start-up: this module may not import torch (see its imports); compare does
    from .compare import GradingFailure

    exc = root_exception(call.excinfo.value) if call.excinfo else None
    outcome, message = classify(exc, item)
    result.outcome, result.message = outcome, message
    if isinstance(exc, GradingFailure):
        exc.resolve()
        result.misconception = exc.misconception
        result.diagnosis, result.diagnosis_cut_short = exc.diagnosis, exc.cut_short
        if outcome == results.FAILED and exc.picture is not None:
            from . import pictures  # start-up: it imports torch, as compare does

            hidden = Path(str(item.fspath)).parent.name != "exercises"
            result.picture = pictures.record(exc.picture, result.exercise, hidden=hidden)
        state = item.config.stash[STATE]
        book = state.ledgers.get((result.implementation, result.exercise))
        if book is not None:  # what it names is decided once the exercise's checks have all run
            book.reported(exc, result)
        charged_to = getattr(exc, "charged_to", ())  # descent.grading.composite.ChargedElsewhere
        if charged_to:
            state.charged_to[result.nodeid] = tuple(charged_to)
    elif exc is not None and message.startswith(("your code raised", "the check could not")):
        from ..diagnoses.exception import none_operand, raised  # start-up: it imports torch
        from ..diagnoses.ledger import crashed  # (so does this)

        found = raised(exc, getattr(exc, "remote_where", None) or _student_frames(exc, item))
        if found is None and message.startswith("your code raised"):
            found = none_operand(exc)  # not of the check's own use of a None the student returned
        if found is not None:
            result.diagnosis, message = found.kind, f"{message}\nlikely mistake: {found.text}."
            result.message = message
        ledgers = item.config.stash[STATE].ledgers
        crashed(ledgers.get((result.implementation, result.exercise)), exc, result)
    if message:
        report.longrepr = message


def root_exception(exc: BaseException) -> BaseException:
    # hypothesis may group several distinct failures; grade on the first one.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def classify(exc: BaseException | None, item: pytest.Item) -> tuple[str, str]:
    if exc is None:
        return results.ERROR, "the test did not run"
    if isinstance(exc, NotImplementedError):
        return results.NOT_IMPLEMENTED, str(exc) or "not implemented yet"
    if isinstance(exc, timelimit.CallTimeout):
        return results.ERROR, _timed_out(exc, item)
    if isinstance(exc, SubmissionError):
        return results.ERROR, str(exc)
    signature = _signature_mismatch(exc)  # also when a worker refused the call
    if signature:
        return results.ERROR, signature
    if isinstance(exc, plugin_workers.RemoteException):  # raised by submission code inside a worker
        return results.ERROR, exc.describe()
    if isinstance(exc, AssertionError) and not _raised_in_student_code(exc, item):
        return results.FAILED, str(exc) or "an assertion failed"
    student = _student_frames(exc, item)
    if student:
        where = "; ".join(student[-2:])
        return results.ERROR, f"your code raised {type(exc).__name__}: {exc} ({where})"
    if not grading_the_reference(item):
        # Raised in the test while it used what the implementation returned or built (None
        # where a tuple was due, an object without an operator): the implementation's problem.
        unpacked = _returned_too_little(exc, item)
        if unpacked:
            return results.ERROR, unpacked
        return results.ERROR, (
            f"the check could not use what your code returned: "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        )
    # The reference solutions crashed a test: a defect in the kit or the test. Keep the full
    # traceback so it can be fixed, but still score the test 0 with a reason.
    return results.ERROR, ""


_NOT_A_TUPLE = re.compile(
    r"0-dim tensor|not subscriptable|cannot unpack|values to unpack|not iterable"
)
_INDEXED_CALL = re.compile(r"(\w+)\((?:[^()]|\([^()]*\))*\)\s*\[")


def _returned_too_little(exc: BaseException, item: pytest.Item) -> str | None:
    """The message for a test that could not index or unpack what an exercise function returned
    (a forward returning its loss alone, where ``(loss, cache)`` is due): the function is named
    from the test's own line, and nothing else of that line is shown."""
    if not isinstance(exc, (IndexError, TypeError, ValueError)) or not _NOT_A_TUPLE.search(
        str(exc)
    ):
        return None
    in_test = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(item.path)]
    line = (in_test[-1].line or "") if in_test else ""
    named = [n for n in re.findall(r"(\w+)\(", line) if registry.exercise_of_function(n)]
    indexed = [n for n in _INDEXED_CALL.findall(line) if n in named]
    if not named:
        return None
    name = (indexed or named)[-1]
    return (
        f"the check could not use what your code returned: {type(exc).__name__}: "
        f"{str(exc)[:120]}; `{name}` returned what the test could not index or unpack as its "
        f"docstring's Returns says: return exactly what that section lists, for a forward the "
        f"pair (loss, cache) or (y, cache)"
    )


_CALL_ERROR = re.compile(r"^(?:\w+\.)?(\w+)\(\) (?:takes|missing|got an unexpected|got multiple)")


def _signature_mismatch(exc: BaseException) -> str | None:
    """The message for a call that Python refused before entering the student's function."""
    match = _CALL_ERROR.match(str(exc)) if isinstance(exc, TypeError) else None
    if match is None or registry.exercise_of_function(match.group(1)) is None:
        return None
    return (
        f"calling your `{match.group(1)}` failed: {exc}; keep the signature the docstring "
        f"gives (names, order and defaults of the arguments)"
    )


def _timed_out(exc: timelimit.CallTimeout, item: pytest.Item) -> str:
    """The message for student code that ran out of time; a test-wide timeout is blamed on the
    innermost student function it interrupted, which is then not called again."""
    if exc.name is not None:
        return str(exc)
    frames = [
        f
        for f in traceback.walk_tb(exc.__traceback__)
        if _is_student_file(Path(f[0].f_code.co_filename), item)
    ]
    if not frames:
        return str(exc)
    frame = frames[-1][0]
    owner = frame.f_locals.get("self")
    # A method is not called again through its class, the name a test reaches.
    key = type(owner).__name__ if owner is not None else frame.f_code.co_name
    name = f"{key}.{frame.f_code.co_name}" if owner is not None else key
    guarded = getattr(impl_of(item), "guarded", None)
    if guarded is not None:
        guarded.hung.setdefault(key, timelimit.CallTimeout(name, exc.seconds))
    where = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"
    return f"{timelimit.describe(name, exc.seconds)} ({where})"


def _is_student_file(path: Path, item: pytest.Item) -> bool:
    roots = item.config.stash[STATE].roots
    return path in roots or any(folder in roots for folder in path.parents)


def grading_the_reference(item: pytest.Item) -> bool:
    state: GradingState = item.config.stash[STATE]
    folder = getattr(impl_of(item), "folder", None)
    return (
        folder is not None
        and state.reference is not None
        and folder == getattr(state.reference, "folder", None)
    )


def _raised_in_student_code(exc: BaseException, item: pytest.Item | None) -> bool:
    """Whether the traceback passes through the submission's code: the student's own
    ``assert``, or one of a library the student called (torch's "not compiled with CUDA" is an
    AssertionError), is an error in their code, as it is when a worker runs it, not a failed
    check. A check's own assertion runs after the student's code has returned."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(item is not None and any(_is_student_file(Path(f.filename), item) for f in frames))


def _student_frames(exc: BaseException, item: pytest.Item) -> list[str]:
    return [
        f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
        if _is_student_file(Path(frame.filename), item)
    ]
