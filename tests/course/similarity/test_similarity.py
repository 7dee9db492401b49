"""``descent similarity`` against copies hidden on purpose, on the sample class
(similarity_class.py): a copy rewritten by an automated obfuscator (dead code, reordering, unused
functions) scores as the plainly renamed copy does, and so does a copy hidden by any evasion of the
corpus (similarity_evasions.py: wrappers that do nothing, writes nothing reads, helpers split off
or inlined), which grades exactly as the copy it hides. Each module's own tests are in the test
file of its name beside this one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    corpus,
    engine,
    pages,
)

from ..conftest import KIT  # noqa: E402
from . import similarity_class  # noqa: E402
from .conftest import pair_of  # noqa: E402
from .similarity_evasions import EVASIONS, HOSTS, INDIRECTIONS, evade, hide  # noqa: E402
from .test_normalize import OBFUSCATIONS  # noqa: E402


def _with_carol(sample: Path, folder: Path, files: dict[str, str]):
    """The sample class in ``folder`` with carol's files replaced by ``files`` (module -> text),
    compared; the analysis and its independent pairs."""
    shutil.copytree(sample, folder)
    (folder / "carol.ipynb").unlink()
    (folder / "carol").mkdir()
    for module, text in files.items():
        (folder / "carol" / f"{module}.py").write_text(text)
    found = engine.analyse(corpus.read(folder, KIT, similarity_class.MODULES))
    independent = [
        p for p in found.pairs if {p.a, p.b} not in ({"bob", "carol"}, {"alice", "dave"})
    ]
    return found, independent


def _bobs(sample: Path) -> dict[str, str]:
    return {m: (sample / "bob" / f"{m}.py").read_text() for m in similarity_class.MODULES}


@pytest.fixture(scope="module")
def evasion_scores(sample, tmp_path_factory) -> dict[str, engine.Pair]:
    """Each evasion of the corpus: the sample class with carol's copy of bob hidden by it (and
    renamed), and the pair bob & carol as the comparison scores it."""
    scores = {}
    for how in EVASIONS:
        files = {m: evade(text, how) for m, text in _bobs(sample).items()}
        if how != "all":
            files = {m: similarity_class.disguise(text) for m, text in files.items()}
        folder = tmp_path_factory.mktemp(how) / "submissions"
        found, independent = _with_carol(sample, folder, files)
        assert not any(p.flagged for p in independent), how
        scores[how] = pair_of(found, *similarity_class.COPIED)
    return scores


@pytest.mark.parametrize("how", EVASIONS)
def test_a_copy_hidden_by_an_evasion_is_flagged_at_least_as_high_as_the_renamed_copy(
    evasion_scores, how
):
    """Before, a `try: ... except ZeroDivisionError: raise` around every assignment, if and for
    took the pair from 0.945 to 0.227, `with contextlib.nullcontext():` around every statement to
    0.161, an append to a list nothing reads after every statement to 0.657, a global counter to
    0.538, a split of each function into two to 0.637, and all of them at once to 0.161."""
    renamed, copy = evasion_scores["renamed"], evasion_scores[how]
    assert copy.flagged and renamed.similarity > 0.9
    assert copy.similarity >= renamed.similarity, (how, copy.similarity, renamed.similarity)
    assert copy.longest >= renamed.longest


@pytest.fixture(scope="module")
def indirection_scores(sample, tmp_path_factory) -> dict[str, tuple]:
    """Each of round six's indirections: the sample class with carol's copy of bob hidden by
    it; the pair bob & carol as the comparison scores it, the highest independent pair of the
    same comparison, the code it lists as run from text built at run time, and the analysis."""
    starter = {m: (KIT / "starter" / f"{m}.py").read_text() for m in HOSTS.values()}
    scores = {}
    for how in INDIRECTIONS:
        folder = tmp_path_factory.mktemp(how) / "submissions"
        found, independent = _with_carol(sample, folder, hide(_bobs(sample), how, starter))
        assert not any(p.flagged for p in independent), how
        top = max(p.similarity for p in independent)
        scores[how] = (pair_of(found, *similarity_class.COPIED), top, found.dynamic, found)
    return scores


@pytest.mark.parametrize("how", [h for h in INDIRECTIONS if h != "dynamic"])
def test_a_copy_read_through_indirection_is_flagged_above_every_independent_pair(
    indirection_scores, evasion_scores, how
):
    """Before (issue 58): every attribute read through getattr 0.177, the text run from a string
    with exec 0.0, the code moved into modules the original left empty 0.0, all three 0.069;
    none flagged, each grading exactly as the copy it hides. getattr with a constant name is the
    attribute, a literal given to exec is compiled, and a student's modules are compared across
    modules, the names one imports from another kept."""
    copy, top, dynamic, _ = indirection_scores[how]
    assert copy.flagged and copy.similarity > top, (how, copy.similarity, top)
    assert copy.similarity >= evasion_scores["renamed"].similarity, (how, copy.similarity)
    assert not dynamic, dynamic
    if how in ("moved", "indirect_all"):  # the evidence: the two files the code moved between
        moved = {m: x for m, x in copy.modules.items() if x.modules}
        assert set(moved) == {f"{m} / {host}" for m, host in HOSTS.items()}, copy.modules
        assert all(x.fragments for x in moved.values())


def test_code_run_from_text_built_at_run_time_is_named(indirection_scores):
    """exec of base64: what it runs cannot be known without running it; the report names it
    (it shares nothing the comparison can see)."""
    copy, _, dynamic, found = indirection_scores["dynamic"]
    assert dynamic == {
        ("carol", m): ("line 3: exec() of text built at run time",)
        for m in similarity_class.MODULES
    }
    page = pages.class_page(found, {})
    assert "Code run from text built at run time" in page
    assert "carol: regression.py, line 3: exec() of text built at run time" in page


def test_the_pair_page_shows_the_two_files_code_moved_between(indirection_scores):
    copy, _, _, found = indirection_scores["moved"]
    page = pages.pair_page(found, copy, 1)
    assert "regression / losses (code moved between modules)" in page
    assert "bob: regression.py" in page and "carol: losses.py" in page
    assert "code moved: regression / losses" in pages.class_page(found, {})


def _graded(folder: Path, results: Path) -> dict[str, tuple[str, float]]:
    """Each test's outcome and points for ``folder``, graded in-process on the regression and
    activations graders."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "grade",
            str(folder),
            "-k",
            "test_regression or test_activations",
            "--isolation",
            "none",
            "--insecure",
            "--test-processes",
            "1",
            "--results",
            str(results),
        ],
        cwd=KIT,
        capture_output=True,
        timeout=600,
        check=False,
    )
    tests = json.loads(results.read_text())["tests"]
    return {t["nodeid"]: (t["outcome"], t["points"]) for t in tests}


def test_every_evasion_at_once_grades_exactly_as_the_copy_it_hides(sample, tmp_path):
    """The corpus hides a copy without changing what it computes: every test has the same
    outcome and points (each evasion alone was checked the same way when the corpus was
    written; `all` holds every one of them), and so does the copy hidden by round six's
    indirections at once (getattr, exec of a string, moved into other modules)."""
    hidden, indirect = tmp_path / "hidden", tmp_path / "indirect"
    hidden.mkdir()
    indirect.mkdir()
    texts = {m: (sample / "bob" / f"{m}.py").read_text() for m in similarity_class.MODULES}
    for module, text in texts.items():
        (hidden / f"{module}.py").write_text(evade(text, "all"))
    starter = {m: (KIT / "starter" / f"{m}.py").read_text() for m in HOSTS.values()}
    for module, text in hide(texts, "indirect_all", starter).items():
        (indirect / f"{module}.py").write_text(text)
    original = _graded(sample / "bob", tmp_path / "bob.json")
    assert len(original) > 50 and any(points for _, points in original.values())
    assert _graded(hidden, tmp_path / "hidden.json") == original
    # the hosts' stubs are there now (layers.py: TestMLP's "activations" tests, selected by the
    # -k above, say "not implemented" where bob's missing layers.py errs): 0 points alike
    indirectly = _graded(indirect, tmp_path / "indirect.json")
    assert {t: points for t, (_, points) in indirectly.items()} == {
        t: points for t, (_, points) in original.items()
    }
    kept = [t for t in original if not t.startswith("graders/test_layers.py")]
    assert {t: indirectly[t] for t in kept} == {t: original[t] for t in kept}


@pytest.fixture(scope="module")
def obfuscated(sample, tmp_path_factory) -> Path:
    """The sample class, with carol's copy of bob also rewritten by every obfuscation."""
    folder = tmp_path_factory.mktemp("obfuscated") / "submissions"
    shutil.copytree(sample, folder)
    (folder / "carol.ipynb").unlink()
    (folder / "carol").mkdir()
    for module in similarity_class.MODULES:
        text = similarity_class.disguise((folder / "bob" / f"{module}.py").read_text())
        for how in OBFUSCATIONS:
            text = similarity_class.obfuscate(text, how)
        (folder / "carol" / f"{module}.py").write_text(text)
    return folder


def test_an_obfuscated_copy_is_flagged_as_high_as_the_renamed_copy(analysis, obfuscated):
    renamed = pair_of(analysis, *similarity_class.COPIED)
    found = engine.analyse(corpus.read(obfuscated, KIT, similarity_class.MODULES))
    copy = pair_of(found, *similarity_class.COPIED)
    assert copy.flagged and found.flagged[0] is copy
    assert copy.similarity >= renamed.similarity > 0.9
    assert copy.longest >= renamed.longest
    independent = [
        p for p in found.pairs if {p.a, p.b} not in ({"bob", "carol"}, {"alice", "dave"})
    ]
    assert not any(p.flagged for p in independent)
