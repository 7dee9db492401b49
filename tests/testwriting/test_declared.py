"""The write-the-tests exercises' declarations (``descent.testwriting.declared``): one per
exercise tested, its id, title, file and functions from the registry, and a cache position that
is where its forward really returns the cache."""

from __future__ import annotations

import pytest
import torch

from descent import registry
from descent.calls.impl import FolderImplementation
from descent.testwriting import declared

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_at_least_eight_exercises_across_the_topics():
    modules = {w.module for w in declared.EXERCISES.values()}
    assert len(declared.EXERCISES) >= 8
    assert {
        "losses",
        "layers",
        "optim",
        "normalization",
        "regularization",
        "schedules",
        "clipping",
    } <= modules


def test_ids_files_and_titles_follow_the_exercise_tested():
    written = declared.get("losses.mse.tests")
    assert (written.target, written.module, written.file) == ("losses.mse", "losses", "test_mse.py")
    assert written.title == "Write the tests: Mean squared error"
    assert written.functions == ("mse_forward", "mse_backward")
    assert declared.by_file("test_mse.py") is written and declared.by_file("losses.py") is None
    assert declared.titles()[written.id] == written.title and declared.points()[written.id] == 10


def test_an_unknown_id_is_refused_naming_the_known_ones():
    with pytest.raises(KeyError, match="losses.mse.tests"):
        declared.get("losses.nope.tests")


def test_no_id_clashes_with_the_registry_and_no_file_with_a_module():
    for written in declared.EXERCISES.values():
        assert written.id not in registry.EXERCISES and written.target in registry.EXERCISES
        assert written.file.removesuffix(".py") not in registry.MODULES


@pytest.mark.parametrize(
    "exercise", [w for w in declared.EXERCISES.values() if w.caches], ids=lambda w: w.id
)
def test_each_cache_position_is_where_the_forward_returns_the_backward_s_cache(exercise):
    """Run the reference's forward and its backward with the item at the declared position:
    any other position would hand the backward a tensor instead of its cache."""
    reference = getattr(FolderImplementation(KIT / "solutions"), exercise.module)
    ((forward, at),) = exercise.caches.items()
    backward = getattr(reference, exercise.functions[1])
    args = {
        "losses.mse.tests": (torch.randn(3), torch.randn(3)),
        "losses.cross_entropy.tests": (torch.randn(3, 4), torch.tensor([0, 1, 3])),
        "layers.linear.tests": (torch.randn(3, 2), torch.randn(4, 2), torch.randn(4)),
        "normalization.batchnorm.tests": (
            torch.randn(3, 2),
            torch.ones(2),
            torch.zeros(2),
            torch.zeros(2),
            torch.ones(2),
            True,
        ),
        "regularization.dropout.tests": (torch.randn(3, 2), 0.5),
    }[exercise.id]
    out = getattr(reference, forward)(*args)
    backward(torch.ones_like(out[0]), out[at])
