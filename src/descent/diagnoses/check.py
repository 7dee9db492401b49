"""Generic diagnoses named by the kind of the failed check alone.

Some checks watch the mistake itself rather than a value: ``arguments unchanged`` sees an
argument edited in place, ``reproducibility`` sees equal seeds give different draws (so the
draws do not come from the generator), ``errors`` sees an argument that had to be refused with
ValueError go through. ``Checker.fail`` gives such a failure the name its reader in
:data:`descent.diagnoses.order.BY_CHECK` finds in its message when no hypothesis on values names
it. Different seeds giving the same result name nothing: the draws may come from a seed of the
code's own, or the result may use no draw at all (a mask that keeps everything), and the
check's message already says what it saw.
A call that raised an exception (ZeroDivisionError: a denominator of 0 in a case the docstring
allows; a TypeError of an operand that is None: a case not handled) is named by
:mod:`descent.diagnoses.exception`, in the plugin where the error is classified.
"""

from __future__ import annotations

from .values import Diagnosis


def edited_argument(message: str = "") -> Diagnosis:
    """The diagnosis of a check that saw the call change its own arguments: no value hypothesis
    is needed, the edit was seen (the message adds nothing)."""
    return Diagnosis(
        "inplace",
        "your code changes an argument it was given: an in-place "
        "operation (x -= m, x.clamp_(), x[mask] = 0, add_ or mul_) on an "
        "argument, or an edit of a dict (a state) it was handed; build "
        "new tensors and a new dict instead",
    )


def unseeded(message: str = "") -> Diagnosis | None:
    """The diagnosis of a reproducibility check whose generators seeded alike gave different
    results: some draw does not come from the generator (``None`` for any other failure of the
    check, such as different seeds giving the same result, which has several causes)."""
    if not ("alike" in message or "the same seed" in message) or "different" not in message:
        return None
    return Diagnosis(
        "random",
        "your random draws do not all come from the generator you were given: "
        "generators seeded alike gave different results, so some draw uses a global "
        "random state (torch.rand(shape) without generator=, or NumPy's or Python's random "
        "module); pass generator=generator to every torch draw",
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


def not_refused(message: str = "") -> Diagnosis:
    """The diagnosis of an ``errors`` check: the call had to raise ValueError and did not. A
    call that handed back a generator says more: the function has a ``yield``, so none of its
    body ran, its checks of the arguments included (the checks may well be there)."""
    if "returned generator instead of raising" in message:
        return Diagnosis(
            "validation",
            "your function is a generator function (it has a yield): calling it runs none of "
            "its body, its checks of the arguments included, until the result is iterated; "
            "compute and return the result (a list) instead",
        )
    return refused(None)
