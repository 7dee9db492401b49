"""One mistake, one charge: a test of an exercise that calls other exercises (a composite).

A student's MLP may call their own linear layer, activation and cross-entropy, AdamW their Adam
step, SiLU their sigmoid, the warmup schedule their ``cosine_lr``, the training loop their
``minibatches``; the capstone calls most of the kit. Which parts an exercise may call is derived
from the reference solutions and the docstrings (``registry.PARTS``). A mistake in a part makes
the composite wrong too, and charging both would count the mistake twice and send the student to
the wrong file. So when a test of a composite fails, the grading plugin runs it once more with
the kit's stand-ins in place of the student's own parts (:func:`again_with_parts`,
:mod:`descent.calls.stand_ins`): when it passes that way, the failure is the parts' and
:class:`ChargedElsewhere` names those whose stand-ins the composite called (one alone when one
is enough). The evidence is always the kit's part, never the student's own, so a part that is
wrong only for the inputs a composite gives it cannot make an unwritten composite look right.

The plugin then gives the test its points back when one of the parts named loses points in the
same run (the charge is theirs), and keeps the failure, naming them, when their own tests all
passed or none of them was graded in the run (the composite's check is then the only one here
that caught it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from .. import registry
from ..calls import timelimit
from .compare import GradingFailure


class ChargedElsewhere(GradingFailure):
    """A composite's test fails only through the parts it calls: ``charged_to`` names their
    exercises."""

    def __init__(self, message: str, charged_to: tuple[str, ...], check: str):
        super().__init__(message, check=check)
        self.charged_to = charged_to


def again_with_parts(
    impl: Any, exercise: str | None, error: BaseException, run: Callable[[], Any]
) -> ChargedElsewhere | None:
    """The charge for ``error``, a failure of a test of ``exercise``, when ``run()`` (the test
    once more, with fresh fixtures) passes with the kit's stand-ins in place of the parts the
    exercise may call; ``None`` when it fails that way too (the composite's own mistake), when
    no stand-in was called, or when ``impl`` cannot take stand-ins (a catalogued variant)."""
    parts = registry.PARTS.get(exercise or "")
    if not parts or not isinstance(error, (Exception, timelimit.CallTimeout)):
        return None
    called = _passes(impl, parts, run)
    if not called:
        return None
    if len(called) > 1:  # one part alone is the likelier reading, and the precise charge
        called = next(([p] for p in called if _passes(impl, (p,), run) is not None), called)
    return _charged(error, tuple(called))


def _passes(impl: Any, parts: Sequence[str], run: Callable[[], Any]) -> list[str] | None:
    """The parts whose stand-ins were called, when ``run()`` passes with the kit's stand-ins
    for ``parts``; ``None`` when it fails (or stand-ins cannot be put in place)."""
    standing = impl.stand_in(parts)
    if standing is None:
        return None
    with standing as called:
        try:
            run()
            impl.flush()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - whatever stops the test, it did not pass
            passed = False
        else:
            passed = True
    return list(called) if passed else None


def _charged(error: BaseException, parts: tuple[str, ...]) -> ChargedElsewhere:
    if isinstance(error, GradingFailure):
        first, check = error.message.splitlines()[0], error.check
    else:
        first, check = f"your code raised {type(error).__name__}: {error}", "errors"
    named = " and ".join(parts)
    return ChargedElsewhere(
        f"{first}\nwith the kit's own {named} in place of yours it passes: the mistake is in "
        f"{named}, whose own checks tell what to change",
        parts,
        check,
    )


# -- a training loop built on its batches (regression.train_linear_regression calls minibatches) -----
def drawn_batches(n: int, batch_size: int, generator: torch.Generator) -> list:
    """One epoch's batches as ``minibatches``' docstring draws them: the whole order from
    ``generator`` at once (``torch.randperm``), cut in pieces of ``batch_size``."""
    order = torch.randperm(n, generator=generator, device=generator.device)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def valid_epochs(epochs: Sequence[Sequence[Any]], n: int, batch_size: int) -> bool:
    """Whether ``epochs`` (a list of batches per epoch, as a training loop's ``minibatches``
    gave them) are what some correct way of drawing gives: each epoch every index 0..n-1 once,
    in batches of ``batch_size`` (the last one shorter), and no two epochs in a row in the same
    order when there are several orders to draw from. A training loop may be replayed from the
    student's own batches only then: batches that are not (none at all, the same order every
    epoch) cannot be the evidence that a loop is right."""
    orders = []
    for batches in epochs:
        try:
            pieces = [torch.as_tensor(b).reshape(-1).tolist() for b in batches]
        except (TypeError, ValueError, RuntimeError):
            return False
        sizes = [len(p) for p in pieces]
        whole = -(-n // batch_size)
        if len(pieces) != whole or any(s != batch_size for s in sizes[:-1]):
            return False
        order = [i for p in pieces for i in p]
        if sorted(order) != list(range(n)):
            return False
        orders.append(order)
    return n < 3 or all(a != b for a, b in zip(orders, orders[1:]))
