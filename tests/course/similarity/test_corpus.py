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


def test_a_module_outside_the_selection_that_a_chosen_one_imports_is_read(tmp_path):
    """Code moved into a module outside the selection (imported from there) is compared too;
    a module nothing chosen imports is not read."""
    for student in ("ann", "bo"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "regression.py").write_text("x = 1\n")
    (tmp_path / "ann" / "regression.py").write_text("from .losses import *\n")
    (tmp_path / "ann" / "losses.py").write_text("def fit(X, y):\n    return X\n")
    (tmp_path / "ann" / "optim.py").write_text("def step():\n    return 0\n")
    (tmp_path / "bo" / "losses.py").write_text("def other():\n    return 1\n")
    found = corpus.read(tmp_path, KIT, ("regression",))
    assert sorted(found.modules["ann"]) == ["losses", "regression"]
    assert sorted(found.modules["bo"]) == ["regression"]
    assert found.template["losses"] == (KIT / "starter" / "losses.py").read_text()


def test_a_copied_test_file_is_compared_and_flagged(tmp_path):
    """A write-the-tests file is the student's work as much as a module: two students with
    the same suite for test_mse.py are flagged; a student without one is left alone."""
    suite = (KIT / "solutions" / "test_mse.py").read_text().replace("# BEGIN SOLUTION\n", "")
    suite = suite.replace("# END SOLUTION\n", "")
    for student in ("ann", "bo", "cy"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "losses.py").write_text(
            f"def mse_forward(p, t):\n    return {student!r}\n"
        )
    (tmp_path / "ann" / "test_mse.py").write_text(suite)
    (tmp_path / "bo" / "test_mse.py").write_text(suite)
    found = corpus.read(tmp_path, KIT, corpus.selection("losses", KIT))
    assert "test_mse" in found.modules["ann"] and "test_mse" in found.modules["bo"]
    assert "test_mse" not in found.modules["cy"] and found.problems == {}
    assert found.template["test_mse"] == (KIT / "starter" / "test_mse.py").read_text()
    assert [{p.a, p.b} for p in engine.analyse(found).flagged] == [{"ann", "bo"}]


def test_a_classmates_modules_copied_into_a_helper_file_are_compared(tmp_path):
    """losses.py re-exports `from ._impl import *`, and _impl.py is a classmate's losses.py:
    similarity read only the one-line module (0.0) and never the helper."""
    code = (KIT / "solutions" / "losses.py").read_text()
    for student in ("ann", "bo"):
        (tmp_path / student).mkdir()
    (tmp_path / "ann" / "losses.py").write_text(code)
    (tmp_path / "bo" / "losses.py").write_text("from ._impl import *  # noqa: F403\n")
    (tmp_path / "bo" / "_impl.py").write_text(code)
    found = corpus.read(tmp_path, KIT, corpus.selection("losses", KIT))
    assert found.modules["bo"]["_impl"] == code
    assert [{p.a, p.b} for p in engine.analyse(found).flagged] == [{"ann", "bo"}]
