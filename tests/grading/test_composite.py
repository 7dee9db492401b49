"""The composite rule on toy implementations, in-process and fast (descent.grading.composite): a
failed test of a composite is charged to a part only when it passes with the kit's stand-ins in
place of the student's parts, and then to the one part alone that is enough; a student's own part
is never the evidence; a training loop is replayed from the student's batches only when they are
what some correct draw gives."""

from __future__ import annotations

import contextlib

import pytest
import torch

from descent.grading.compare import GradingFailure
from descent.grading.composite import (
    ChargedElsewhere,
    again_with_parts,
    drawn_batches,
    valid_epochs,
)

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class _Toy:
    """An implementation whose ``stand_in`` records which parts stand in: the test's ``run``
    passes when those parts are ``fixes`` (any of its sets), and calls every part it stands in
    for except those in ``unused``."""

    def __init__(self, *fixes: set, unused: frozenset = frozenset(), able: bool = True):
        self.fixes, self.unused, self.able = fixes, unused, able
        self.standing: tuple[str, ...] = ()
        self.tries: list[tuple[str, ...]] = []

    def stand_in(self, parts):
        if not self.able:
            return None

        @contextlib.contextmanager
        def block():
            self.standing = tuple(parts)
            self.tries.append(self.standing)
            called: list = []
            try:
                yield called
            finally:
                called += [p for p in parts if p not in self.unused]
                self.standing = ()

        return block()

    def flush(self):
        pass

    def run(self):
        if not any(fix <= set(self.standing) for fix in self.fixes):
            raise GradingFailure("[reference value] still wrong", check="reference value")


FAILED = GradingFailure("[reference value] two_layer_net: wrong\nmore", check="reference value")


def test_a_failure_that_the_kits_part_fixes_is_charged_to_that_part_alone():
    toy = _Toy({"activations.relu"})
    charged = again_with_parts(toy, "layers.two_layer_net", FAILED, toy.run)
    assert isinstance(charged, ChargedElsewhere)
    assert charged.charged_to == ("activations.relu",) and charged.check == "reference value"
    assert "with the kit's own activations.relu in place of yours it passes" in charged.message
    assert toy.tries[0] == ("activations.relu", "layers.linear", "losses.bce_with_logits")


def test_two_parts_that_are_both_needed_are_both_named():
    toy = _Toy({"activations.relu", "layers.linear"})
    charged = again_with_parts(toy, "layers.residual_block", FAILED, toy.run)
    assert charged.charged_to == ("activations.relu", "layers.linear")


def test_the_composites_own_mistake_stays_its_own():
    """A student relu that is wrong only for the inputs the networks give it made an unwritten
    backward look right: the evidence was the student's own relu (issue 58)."""
    toy = _Toy()  # nothing the kit's parts do makes it pass
    assert again_with_parts(toy, "layers.two_layer_net", FAILED, toy.run) is None


def test_no_stand_in_called_is_no_evidence():
    toy = _Toy(set(), unused=frozenset({"activations.relu", "layers.linear"}))
    assert again_with_parts(toy, "layers.residual_block", FAILED, toy.run) is None


def test_an_exercise_without_parts_or_a_variant_is_never_run_again():
    toy = _Toy({"activations.relu"})
    assert again_with_parts(toy, "losses.mse", FAILED, toy.run) is None
    assert toy.tries == []
    variant = _Toy({"activations.relu"}, able=False)
    assert again_with_parts(variant, "layers.two_layer_net", FAILED, variant.run) is None


def test_a_crash_is_charged_with_what_the_code_raised():
    toy = _Toy({"layers.mlp_loss_and_grads"})
    crash = TypeError("linear_forward() takes 3 positional arguments but 65 were given")
    charged = again_with_parts(toy, "train.train_classifier", crash, toy.run)
    assert charged.charged_to == ("layers.mlp_loss_and_grads",) and charged.check == "errors"
    assert charged.message.startswith("your code raised TypeError: linear_forward()")


def test_a_stop_that_is_not_a_failure_is_not_run_again():
    toy = _Toy({"activations.relu"})
    assert again_with_parts(toy, "layers.two_layer_net", KeyboardInterrupt(), toy.run) is None
    assert toy.tries == []


def _epochs(draw, n=7, size=3, epochs=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [list(draw(n, size, g)) for _ in range(epochs)]


def test_batches_some_correct_draw_gives_are_valid_epochs():
    def argsort(n, size, g):  # the other correct draw the docstring names
        order = torch.argsort(torch.rand(n, generator=g))
        return [order[i : i + size] for i in range(0, n, size)]

    assert valid_epochs(_epochs(drawn_batches), 7, 3)
    assert valid_epochs(_epochs(argsort), 7, 3)
    assert valid_epochs([[]], 0, 3)


@pytest.mark.parametrize(
    "epochs",
    [
        [[]] * 3,  # no batches at all: a loop that trains on nothing would match
        [[torch.arange(7)]] * 3,  # one batch, not batches of 3
        [[torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]), torch.tensor([6, 6])]] * 3,
        [[torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]), torch.tensor([6])]] * 3,  # the same
    ],
)
def test_batches_no_correct_draw_gives_are_never_the_evidence(epochs):
    assert not valid_epochs(epochs, 7, 3)
