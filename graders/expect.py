"""Shared checks for the graders: a call that must refuse its arguments with ValueError, a call
that must leave its arguments unchanged, and results that must be plain Python numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descent.calls.impl import SubmissionError
from descent.diagnoses.check import refused
from descent.diagnoses.exception import typed


def value_error(check, call: Callable[[Any], Any], what: str, hint: str) -> None:
    """Require ``call(check.impl)`` to raise ValueError; any other outcome fails, named. When the
    call returned a value instead, the failure names the catalogued bug that returns the same."""
    try:
        got = call(check.impl)
    except ValueError:
        return
    except (NotImplementedError, SubmissionError):  # a stub, a module missing or not importable:
        raise  # reported as what it is, not as a wrong error
    except Exception as exc:  # a torch shape error is not the clear refusal the docstring promises
        raised = type(exc)  # `exc` is unbound once the block ends, before `generic` runs
        check.fail(
            f"{what} raised {type(exc).__name__} instead of ValueError",
            check="errors",
            hint=hint,
            generic=lambda: refused(raised),
        )
    check.fail(
        f"{what} returned {type(got).__name__} instead of raising ValueError",
        check="errors",
        hint=hint,
        diagnosis=lambda: check.diagnose(call, got, what=what),
    )


def arguments_unchanged(check, call: Callable[[Any], Any], what: str) -> Any:
    """Run ``call(check.impl)`` once and require every tensor it closes over (and those one
    level inside its lists and dicts) to come out unchanged; returns what the call returned.

    Nothing else is compared, so a failure is about the edit alone: it says which tensors were
    edited (by shape), and names the catalogued bug that edits the very same ones, whose values
    are otherwise right (``Checker.diagnose``). A ``with check.unmodified(...)`` block sees the
    edit too but cannot replay the call on a bug, so it names nothing."""
    returned: list = []

    def recipe(m: Any) -> int:
        # The same 0 for every implementation, even one that raises: a slip weighed on this
        # check later (a re-run of the reference with a mistake) must find nothing to refute.
        try:
            returned.append(call(m))
        except Exception as exc:  # noqa: BLE001 - the student's own is raised below
            returned.append(exc)
        return 0

    check.matches(recipe, what, expected=0, check="arguments unchanged")
    if isinstance(returned[0], Exception):
        raise returned[0]  # the student's code failed: reported as its exception, as before
    return returned[0]


def python_numbers(check, values: Any, kind: type, what: str, hint: str) -> None:
    """Require ``values`` (one value, or a list or tuple of them) to be exactly of the Python
    type ``kind`` (``float`` or ``int``) where a docstring promises plain Python numbers:
    ``type(v) is kind``, so a ``numpy.float64`` (a subclass of float), a ``numpy.int64``, a bool
    or a 0-dim tensor fails. ``None`` entries are left to the value checks (an epoch that may be
    None). A failure says which types came back and names the likely conversion."""
    got = list(values) if isinstance(values, (list, tuple)) else [values]
    names = [_type_name(v) for v in got if v is not None]
    check.that(
        all(type(v) is kind for v in got if v is not None),
        f"{what}: expected Python {kind.__name__}s, got {', '.join(sorted(set(names)))}",
        check="shape and type",
        hint=hint,
        generic=lambda: typed([kind.__name__] * len(names), names),
    )


def _type_name(value: Any) -> str:
    # An object kept in an isolated worker names its own class there (descent.isolation).
    return (
        value.descent_type_name
        if hasattr(type(value), "descent_type_name")
        else type(value).__name__
    )
