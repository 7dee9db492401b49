"""Pairwise similarity of a class (``descent.course.similarity.engine``) on the sample class: the
copied pairs ranked first and no independent pair flagged, the one shared function found where it
is, untouched stubs sharing nothing, exercises too short to judge named and left out, and a copied
function split by inserted calls found as one fragment."""

from __future__ import annotations

import ast
import shutil
import zipfile
from itertools import combinations

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    corpus,
    engine,
)

from ..conftest import KIT  # noqa: E402
from . import similarity_class  # noqa: E402
from .conftest import pair_of  # noqa: E402


def test_the_copied_pairs_are_ranked_first_and_no_independent_pair_is_flagged(analysis):
    ranked = [{p.a, p.b} for p in analysis.flagged]
    assert ranked == [set(similarity_class.COPIED), set(similarity_class.SHARED_FUNCTION[:2])]
    copied = pair_of(analysis, *similarity_class.COPIED)
    assert copied.similarity > 0.7
    assert all(m.similarity > 0.6 for m in copied.modules.values())  # the notebook's cells too
    independent = [
        pair_of(analysis, a, b)
        for a, b in combinations(similarity_class.INDEPENDENT + ("dave",), 2)
        if {a, b} != {"alice", "dave"}
    ]
    assert not any(p.flagged for p in independent)
    assert max(p.similarity for p in independent) < copied.similarity / 4


def test_the_single_shared_function_is_found_and_located(analysis):
    a, b, function = similarity_class.SHARED_FUNCTION
    pair = pair_of(analysis, a, b)
    ((fragment, *_),) = [m.fragments for m in pair.modules.values() if m.fragments]
    assert pair.modules["regression"].fragments[0] is fragment
    assert fragment.a_function == fragment.b_function == function
    assert fragment.size >= analysis.min_fragment
    for student, lines in ((pair.a, fragment.a_lines), (pair.b, fragment.b_lines)):
        doc = analysis.docs[(student, "regression")]
        first, last = next((s, e) for s, e, name in doc.spans if name == function)
        assert first - 1 <= lines[0] < lines[1] <= last
    assert pair.modules["activations"].shared == 0


def test_untouched_stubs_share_nothing(analysis):
    assert all(
        p.similarity == 0 and not p.flagged for p in analysis.pairs if {"gus", "hana"} & {p.a, p.b}
    )


def test_short_exercises_are_named_and_not_counted(analysis):
    assert {"activations.softmax", "activations.relu", "activations.sigmoid"} <= set(
        analysis.too_short
    )
    assert {
        "regression.minibatches",
        "regression.train_linear_regression",
        "regression.linear_regression_closed_form",
    } <= set(analysis.judged)
    for doc in analysis.docs.values():
        assert not set(doc.owner.values()) & set(analysis.too_short)


def _traced(function: str) -> str:
    """``function`` with a call after each assignment, passing what it binds: live code that a
    student might add, which splits the copied run in two at every call."""
    tree = ast.parse(function)
    body = []
    for statement in tree.body[0].body:
        body.append(statement)
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            body.append(ast.parse(f"_trace({statement.targets[0].id})").body[0])
    tree.body[0].body = body
    return ast.unparse(ast.fix_missing_locations(tree))


def test_a_copied_function_split_by_inserted_calls_is_one_fragment(sample, tmp_path):
    folder = tmp_path / "submissions"
    shutil.copytree(sample, folder, ignore=shutil.ignore_patterns("dave.zip"))
    a, b, function = similarity_class.SHARED_FUNCTION
    with zipfile.ZipFile(sample / f"{b}.zip") as archive:
        text = archive.read("regression.py").decode()
    copied = similarity_class._function(text, function)
    (folder / b).mkdir()
    (folder / b / "regression.py").write_text(text.replace(copied, _traced(copied)))
    pair = pair_of(engine.analyse(corpus.read(folder, KIT, ("regression",))), a, b)
    (fragment,) = pair.modules["regression"].fragments
    assert pair.flagged and fragment.size >= 150
    assert fragment.a_function == fragment.b_function == function
