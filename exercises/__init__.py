"""Public tests (what students run)."""

import torch


def T(*values):
    """A small float64 tensor from literal values: ``T(1.0, 2.0)`` or rows ``T([1, 2], [3, 4])``."""
    return torch.tensor(values, dtype=torch.float64)


def _not_plain(value, kind):
    """The first number in ``value`` (nested lists, tuples, dicts; None skipped) whose type is
    not exactly ``kind``, or None."""
    if isinstance(value, (list, tuple)):
        return next((b for v in value if (b := _not_plain(v, kind)) is not None), None)
    if isinstance(value, dict):
        return _not_plain(list(value.values()), kind)
    return None if value is None or type(value) is kind else value


def python_numbers(check, value, what, kind=float):
    """Require plain Python numbers where the docstring promises them: a NumPy scalar or a 0-dim
    tensor prints like a number, but is not one (JSON, ``isinstance(x, int)`` and ``x is``
    comparisons tell the difference)."""
    bad = _not_plain(value, kind)
    check.that(bad is None,
               f"{what}: a {type(bad).__module__}.{type(bad).__name__} ({bad!r}) where the "
               f"docstring promises a Python {kind.__name__}",
               check="shape and type",
               hint=f"convert with {kind.__name__}(...) (or .item() for a 0-dim tensor) before "
                    f"returning")
