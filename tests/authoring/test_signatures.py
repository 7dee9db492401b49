"""The arguments a new exercise's function takes (``descent.authoring.signatures``): what its
module's functions of its naming convention take, as the references write them; the kit's when
the module has too few of them; ``x`` where nothing is shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from descent.authoring import signatures

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "module, function, arguments",
    [
        ("losses", "sketch_l1_forward", "pred, target"),  # every regression loss; not x
        ("losses", "sketch_l1_backward", "dloss, cache"),  # all but log_softmax's dy
        ("activations", "softsign_backward", "dy, cache"),
        ("optim", "sketch_lion_step", "param, grad, state"),  # lr has a default in all but sgd
        ("schedules", "linear_lr", "step, base_lr"),  # what most of them start with
        ("normalization", "groupnorm_forward", "x, gamma, beta"),
        ("init", "orthogonal", "shape"),
        ("regularization", "dropconnect_forward", "x"),  # one forward there: the kit's
        ("metrics", "accuracy_backward", "dy, cache"),  # a new module: the kit's backwards
        ("basics", "sketch_double", "x"),  # basics' functions share no argument
        ("metrics", "accuracy", "x"),
    ],
)
def test_a_function_takes_what_its_module_s_functions_of_its_kind_take(module, function, arguments):
    assert signatures.arguments(KIT, module, function) == arguments


def test_the_list_two_share_beats_the_leading_part_most_share():
    two = [("a", "b"), ("a", "c", "d"), ("a", "c", "d"), ("e",)]
    assert signatures.shared(two) == ("a", "c", "d")
    tie = [("pred", "target"), ("logits", "target"), ("logits", "target"), ("pred", "target")]
    assert signatures.shared(tie) == ("pred", "target")  # the first in the file
    most = [("step", "base_lr", "n"), ("step", "base_lr", "gamma"), ("step", "max_lr")]
    assert signatures.shared(most) == ("step", "base_lr")
    assert signatures.shared([("a", "b"), ("c",)]) is None  # nothing shared by more than half
    assert signatures.shared([("a", "b")]) is None  # one function is no convention
    assert signatures.shared([]) is None
