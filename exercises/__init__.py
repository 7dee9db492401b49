"""Public tests (what students run)."""

import torch

from descent.comparison import compare
from descent.calls.impl import SubmissionError


def T(*values):
    """A small float64 tensor from literal values: ``T(1.0, 2.0)`` or rows ``T([1, 2], [3, 4])``."""
    return torch.tensor(values, dtype=torch.float64)


_MISSING = object()


def _not_plain(value, kind, none_ok):
    """The first entry of ``value`` (nested lists, tuples, dicts) whose type is not exactly
    ``kind`` (None passes when ``none_ok``), or _MISSING when there is none."""
    if isinstance(value, (list, tuple)):
        found = (_not_plain(v, kind, none_ok) for v in value)
        return next((b for b in found if b is not _MISSING), _MISSING)
    if isinstance(value, dict):
        return _not_plain(list(value.values()), kind, none_ok)
    return _MISSING if (value is None and none_ok) or type(value) is kind else value


def python_numbers(check, value, what, kind=float, none_ok=True):
    """Require plain Python numbers where the docstring promises them: a NumPy scalar or a 0-dim
    tensor prints like a number, but is not one (JSON, ``isinstance(x, int)`` and ``x is``
    comparisons tell the difference). ``none_ok``: None stands where the docstring allows it."""
    bad = _not_plain(value, kind, none_ok)
    check.that(bad is _MISSING,
               f"{what}: a {type(bad).__module__}.{type(bad).__name__} ({bad!r}) where the "
               f"docstring promises a Python {kind.__name__}",
               check="shape and type",
               hint=f"convert with {kind.__name__}(...) (or .item() for a 0-dim tensor) before "
                    f"returning")


def refuses(check, call, what, hint):
    """Require ``call(check.impl)`` to raise ValueError, as the docstring's Raises says."""
    try:
        got = call(check.impl)
    except ValueError:
        return
    except (NotImplementedError, SubmissionError):  # a stub, a module that cannot be imported
        raise
    except Exception as exc:  # noqa: BLE001 - a crash deep inside is not a clear refusal
        check.that(False, f"{what} raised {type(exc).__name__} instead of ValueError",
                   check="errors", hint=hint)
    check.that(False, f"{what} returned {type(got).__name__} instead of raising ValueError",
               check="errors", hint=hint)


def _same(a, b):
    return compare(a, b, rtol=0.0, atol=0.0) is None


def follows_the_generator(check, call, what, *, none_too=False):
    """Random results come from the ``generator`` argument alone: two generators seeded alike
    give the same result whatever torch's global random state does in between, and two calls
    on one generator differ (each call draws anew). With ``none_too``, two calls without a
    generator differ too (no fixed seed of the function's own)."""
    torch.manual_seed(1)
    first = call(check.impl, torch.Generator().manual_seed(5))
    torch.manual_seed(2)
    again = call(check.impl, torch.Generator().manual_seed(5))
    check.that(_same(first, again),
               f"{what}: two generators seeded alike gave different results (torch's global "
               f"random state changed in between)", check="property",
               hint="draw every random number from `generator` (torch.rand(..., "
                    "generator=generator)), never from a global random state (torch's, "
                    "NumPy's or Python's)")
    g = torch.Generator().manual_seed(5)
    check.that(not _same(call(check.impl, g), call(check.impl, g)),
               f"{what}: two calls on one generator gave the same result", check="property",
               hint="draw anew at every call: nothing random may be kept from an earlier call")
    if none_too:
        check.that(not _same(call(check.impl, None), call(check.impl, None)),
                   f"{what}: two calls without a generator gave the same result",
                   check="property",
                   hint="without a generator, draw from torch's global random state; never "
                        "seed a generator of your own")
