"""A shared check for the graders: a call that must refuse its arguments with ValueError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descent.check_diagnoses import refused


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
