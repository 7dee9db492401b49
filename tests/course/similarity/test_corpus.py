"""What is compared (``descent.course.similarity.corpus``): an assignment, or a list of modules and
exercises, names only what exists, and the comparison then reads only those exercises."""

from __future__ import annotations

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    corpus,
    engine,
)

from ..conftest import KIT  # noqa: E402
from . import similarity_class  # noqa: E402


def test_an_unknown_assignment_is_named():
    with pytest.raises(corpus.CorpusError, match="'regresion'"):
        corpus.selection("regresion", KIT)
    with pytest.raises(corpus.CorpusError, match="regression.minibatch"):
        corpus.selection("regression.minibatch", KIT)
    chosen = corpus.selection("regression.minibatches,losses", KIT)
    assert chosen.modules == ("regression", "losses")
    assert "regression.minibatches" in chosen.exercises and "losses.mse" in chosen.exercises
    assert "regression.linear_regression_closed_form" not in chosen.exercises


def test_an_assignment_of_some_exercises_compares_only_those(sample):
    def flagged(assignment):
        found = corpus.read(sample, KIT, corpus.selection(assignment, KIT))
        return [{p.a, p.b} for p in engine.analyse(found).flagged]

    shared = set(similarity_class.SHARED_FUNCTION[:2])
    assert shared in flagged("regression.linear_regression_closed_form")
    assert shared not in flagged("regression.minibatches,regression.train_linear_regression")
