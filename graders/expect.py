"""Shared checks for the graders: a call that must refuse its arguments with ValueError, and
results that must be plain Python numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descent.check_diagnoses import refused
from descent.exception_diagnoses import typed


def value_error(check, call: Callable[[Any], Any], what: str, hint: str) -> None:
    """Require ``call(check.impl)`` to raise ValueError; any other outcome fails, named. When the
    call returned a value instead, the failure names the catalogued bug that returns the same."""
    try:
        got = call(check.impl)
    except ValueError:
        return
    except NotImplementedError:  # a stub: reported as "not implemented", not as a wrong error
        raise
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
