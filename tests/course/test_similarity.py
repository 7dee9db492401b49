"""``descent similarity`` on a sample class (tests/course/similarity_class.py): the copied pairs
are ranked first, the one shared function is found where it is, no independent solution is
flagged, the evidence pages escape what students wrote, and bad input gets a plain answer."""

from __future__ import annotations

import io
import shutil
from itertools import combinations
from pathlib import Path

import pytest
from rich.console import Console

pytest.importorskip("copydetect")

from descent.course.similarity import corpus, engine, run  # noqa: E402
from descent.course.similarity import pages as evidence  # noqa: E402

from . import similarity_class  # noqa: E402
from .conftest import KIT  # noqa: E402


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return similarity_class.build(tmp_path_factory.mktemp("class") / "submissions", KIT)


@pytest.fixture(scope="module")
def analysis(sample):
    return engine.analyse(corpus.read(sample, KIT, similarity_class.MODULES))


def _pair(analysis, a, b):
    return next(p for p in analysis.pairs if {p.a, p.b} == {a, b})


def _run(folder: Path, out: Path, **options) -> tuple[int, str]:
    sink = io.StringIO()
    code = run.run(folder, out, KIT, Console(file=sink, width=200), **options)
    return code, sink.getvalue()


def test_the_copied_pairs_are_ranked_first_and_no_independent_pair_is_flagged(analysis):
    ranked = [{p.a, p.b} for p in analysis.flagged]
    assert ranked == [set(similarity_class.COPIED), set(similarity_class.SHARED_FUNCTION[:2])]
    copied = _pair(analysis, *similarity_class.COPIED)
    assert copied.similarity > 0.7
    assert all(m.similarity > 0.6 for m in copied.modules.values())  # the notebook's cells too
    independent = [
        _pair(analysis, a, b)
        for a, b in combinations(similarity_class.INDEPENDENT + ("dave",), 2)
        if {a, b} != {"alice", "dave"}
    ]
    assert not any(p.flagged for p in independent)
    assert max(p.similarity for p in independent) < copied.similarity / 4


def test_the_single_shared_function_is_found_and_located(analysis):
    a, b, function = similarity_class.SHARED_FUNCTION
    pair = _pair(analysis, a, b)
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


def test_the_report_links_an_evidence_page_per_flagged_pair(sample, tmp_path):
    code, out = _run(sample, tmp_path / "sim", assignment="regression,activations")
    assert code == 0, out
    assert "2 flagged" in out and "too short to judge" in out
    index = (tmp_path / "sim" / "index.html").read_text()
    for pair in (similarity_class.COPIED, similarity_class.SHARED_FUNCTION[:2]):
        name = f"pair-{'--'.join(sorted(pair))}.html"
        assert f"href='{name}'" in index
        page = (tmp_path / "sim" / name).read_text()
        assert page.count("<div class='file'>") >= 2 and "<mark class='f0'" in page
        assert "<svg" in page and "this pair" in page
    assert "activations.softmax" in index and "changes no grade" in index


def test_student_text_is_escaped(sample, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    bob = (sample / "bob" / "regression.py").read_text()
    payload = bob.replace("import torch", "import torch\nNOTE = '</pre><script>alert(1)</script>'")
    for name in ("<img src=x onerror=alert(1)>mallory", "trudy"):
        (folder / name).mkdir()
        (folder / name / "regression.py").write_text(payload)
    code, out = _run(folder, tmp_path / "sim")
    assert code == 0, out
    pages = [p.read_text() for p in (tmp_path / "sim").glob("*.html")]
    assert len(pages) == 2
    for page in pages:
        assert "<script>" not in page and "<img" not in page
    assert any("&lt;script&gt;" in page for page in pages)
    assert evidence.highlighted("a<b", [((1, 2), 0)]).count("&lt;") == 1


def test_bad_input_gets_a_clear_message(sample, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = _run(empty, tmp_path / "o1")
    assert code == 2 and "no submissions" in out and "Traceback" not in out

    one = tmp_path / "one"
    shutil.copytree(sample / "alice", one / "alice")
    code, out = _run(one, tmp_path / "o2")
    assert code == 2 and "at least two submissions" in out and "found 1 (alice)" in out

    mixed = tmp_path / "mixed"
    shutil.copytree(sample / "alice", mixed / "alice")
    shutil.copytree(sample / "erin", mixed / "erin")
    (mixed / "binary").mkdir()
    (mixed / "binary" / "regression.py").write_bytes(b"\x7fELF\x00\x01\xff" * 100)
    (mixed / "huge").mkdir()
    (mixed / "huge" / "regression.py").write_text("x = 1\n" * 400_000)
    code, out = _run(mixed, tmp_path / "o3")
    assert code == 0, out
    assert "binary: left out of the comparison: regression.py: contains NUL bytes" in out
    assert "huge: left out" in out and "exceeds" in out
    assert "2 students, 1 pairs compared" in out
    index = (tmp_path / "o3" / "index.html").read_text()
    assert "Left out of the comparison" in index and "binary: regression.py" in index

    code, out = _run(tmp_path / "missing", tmp_path / "o4")
    assert code == 2 and "no such folder" in out


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


def test_headless_chromium_shows_the_pair_side_by_side_with_its_fragment(sample, tmp_path):
    from .test_html_report import _chromium, _near, screenshot

    browser = _chromium()
    if browser is None:
        pytest.skip("Debian's `chromium` is not installed (.ci/run installs it with apt-get)")
    code, out = _run(sample, tmp_path / "sim", assignment="regression")
    assert code == 0, out
    pixels = screenshot(
        browser, tmp_path / "sim" / "pair-alice--dave.html", tmp_path / "shot.png", "1400,1600"
    )
    assert _near(pixels, (0x24, 0x40, 0x5F)) > 20_000, "no header band"
    assert _near(pixels, (0xFF, 0xD5, 0x4F), tolerance=8) > 20_000, "no highlighted fragment"
