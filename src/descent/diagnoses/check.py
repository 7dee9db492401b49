"""Generic diagnoses named by the kind of the failed check alone.

Some checks watch the mistake itself rather than a value: ``arguments unchanged`` sees an
argument edited in place, ``reproducibility`` sees draws that do not follow the generator (equal
seeds giving different results, or different seeds the same), ``errors`` sees an argument that
had to be refused with ValueError go through. ``Checker.fail`` gives such a failure the name in
:data:`BY_CHECK` when no hypothesis on values names it.
A call that raised an exception (ZeroDivisionError: a denominator of 0 in a case the docstring
allows; a TypeError of an operand that is None: a case not handled) is named by
:mod:`descent.diagnoses.exception`, in the plugin where the error is classified.
"""

from __future__ import annotations

from collections.abc import Callable

from .values import Diagnosis


def modified() -> Diagnosis:
    """The diagnosis of a check that saw the call change its own arguments: no value hypothesis
    is needed, the edit was seen."""
    return Diagnosis(
        "inplace",
        "your code changes an argument it was given: an in-place "
        "operation (x -= m, x.clamp_(), x[mask] = 0, add_ or mul_) on an "
        "argument, or an edit of a dict (a state) it was handed; build "
        "new tensors and a new dict instead",
    )


def unseeded() -> Diagnosis:
    """The diagnosis of a reproducibility check (equal seeds must give equal draws, different
    seeds different ones): whichever way it failed, the draws do not follow the generator."""
    return Diagnosis(
        "random",
        "your random draws do not follow the generator you were given: "
        "drawn from torch's global random state (equal seeds then give "
        "different results), or fixed by a seed, an order or a value of "
        "your own (different seeds then give the same result); pass "
        "generator=generator to every draw",
    )


def refused(raised: type | None) -> Diagnosis:
    """The diagnosis of a call that had to raise ``ValueError`` and instead returned
    (``raised`` is ``None``) or raised another exception type."""
    if raised is None:
        return Diagnosis(
            "validation",
            "your function accepts arguments it must refuse: the "
            "check of the documented conditions is missing or "
            "misses this case; test them first and raise "
            "ValueError with a clear message",
        )
    return Diagnosis(
        "validation",
        f"your function has no check of its own for these "
        f"arguments: the {raised.__name__} came from deeper in the "
        "computation; test the documented conditions first and "
        "raise ValueError with a clear message",
    )


#: The diagnosis a failed check names from its kind alone when no value hypothesis does
#: (``Checker.fail``): what such a check watches is the mistake itself.
BY_CHECK: dict[str, Callable[[], Diagnosis]] = {
    "arguments unchanged": modified,
    "reproducibility": unseeded,
    "reproducible": unseeded,
    "errors": lambda: refused(None),  # the call had to raise ValueError and did not
}
