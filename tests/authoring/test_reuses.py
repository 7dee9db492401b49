"""The parts each exercise may call (``descent.authoring.reuses``), derived from the reference
solutions' own calls and their docstrings: the reuses the docstrings invite are there, a mention
that invites nothing is not, and the table in ``registry.py`` is the derivation's."""

from __future__ import annotations

from pathlib import Path

import pytest

from descent import registry
from descent.authoring import reuses

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]
DERIVED = reuses.derive(KIT)


@pytest.mark.parametrize(
    "composite,part",
    [
        ("optim.adamw", "optim.adam"),  # "the Adam update of adam_step" (a shared helper)
        ("activations.silu", "activations.sigmoid"),  # "see sigmoid_forward"
        ("losses.cross_entropy", "losses.log_softmax"),  # "log_softmax(logits)"
        ("layers.two_layer_net", "activations.relu"),  # called by name
        ("layers.two_layer_net", "losses.bce_with_logits"),
        ("layers.mlp_loss_and_grads", "activations.gelu"),  # getattr(_act, f"{name}_forward")
        ("schedules.warmup_cosine_lr", "schedules.cosine_lr"),
        ("regression.train_linear_regression", "regression.minibatches"),
        ("train.train_classifier", "layers.mlp_loss_and_grads"),  # the capstone's own calls
        ("train.train_classifier", "optim.sgd"),  # "# or sgd_step" in its module's docstring
        ("train.train_classifier", "layers.linear"),  # "linear_*"
    ],
)
def test_an_invited_reuse_is_derived(composite, part):
    assert part in DERIVED[composite]


@pytest.mark.parametrize(
    "exercise,not_a_part",
    [
        ("clipping.clip_grad_value", "clipping.clip_grad_norm"),  # "that is what ... is for"
        ("optim.adam", "optim.adamw"),  # the helper is shared, but adam's docstring names no adamw
        ("losses.focal_loss", "losses.bce_with_logits"),
        ("train.train_classifier", "regression.linear_regression_closed_form"),  # not linear_*
        ("autograd.value", "activations.relu"),  # a Value method called relu is its own
    ],
)
def test_a_mention_that_invites_no_call_is_not_a_part(exercise, not_a_part):
    assert not_a_part not in DERIVED.get(exercise, ())


def test_no_exercise_is_its_own_part_and_every_part_is_an_exercise():
    for exercise, parts in DERIVED.items():
        assert exercise not in parts
        assert set(parts) <= set(registry.EXERCISES)


def test_the_registry_holds_the_derived_table():
    assert registry.PARTS == DERIVED
    assert not reuses.update(KIT, check=True)
