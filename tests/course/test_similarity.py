"""``descent similarity`` on a sample class (tests/course/similarity_class.py): the copied pairs
are ranked first, the one shared function is found where it is, no independent solution is
flagged, the evidence pages escape what students wrote, and bad input gets a plain answer.
A copy rewritten by an automated obfuscator (dead code, reordering, unused functions) scores
as the plainly renamed copy does, and so does a copy hidden by any evasion of the corpus
(tests/course/similarity_evasions.py: wrappers that do nothing, writes nothing reads, helpers
split off or inlined); a ring of students sharing one module is named as a group; one enormous
file costs a bounded amount of work and is reported as cut."""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from itertools import combinations
from pathlib import Path

import pytest
from rich.console import Console

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    bound,
    corpus,
    engine,
    normalize,
    run,
    unwrap,
)
from descent.course.similarity import pages as evidence  # noqa: E402
from descent.course.similarity.fingerprints import exported_names  # noqa: E402

from . import similarity_class  # noqa: E402
from .conftest import KIT  # noqa: E402
from .similarity_evasions import EVASIONS, evade  # noqa: E402


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


def test_an_entry_it_cannot_read_is_left_out_with_the_reason_and_the_rest_compared(
    sample, tmp_path
):
    """A 400 KB notebook of nested lists (RecursionError out of intake) or an entry named in
    Latin-1 bytes (`Jos\\xe9`: "can't encode '\\udce9'") stopped the comparison of the whole
    class: a traceback or exit 2, no report for anyone."""
    folder = tmp_path / "subs"
    for student in ("alice", "bob"):
        shutil.copytree(sample / student, folder / student)
    (folder / "deep.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    latin = folder / os.fsdecode(b"Jos\xe9")
    shutil.copytree(sample / "alice", latin)
    code, out = _run(folder, tmp_path / "out")
    assert code == 0 and "Traceback" not in out, out
    assert "deep: left out of the comparison: deep.ipynb: not a readable notebook" in out
    assert "Jos\\xe9: left out of the comparison: Jos\\xe9/: its name is not valid UTF-8" in out
    assert "2 students, 1 pairs compared" in out
    index = (tmp_path / "out" / "index.html").read_text()
    assert "nested 200001 levels deep" in index and "Jos\\xe9" in index


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


OBFUSCATIONS = ("dead", "reordered", "unused")


def _canonical(text: str, module: str = "regression") -> str:
    starter = (KIT / "starter" / f"{module}.py").read_text()
    return normalize.canonical(ast.parse(text), exported_names(module, starter)).text


@pytest.mark.parametrize("how", OBFUSCATIONS)
@pytest.mark.parametrize("module", similarity_class.MODULES)
def test_an_obfuscators_rewrite_leaves_the_canonical_code_unchanged(sample, how, module):
    original = (sample / "bob" / f"{module}.py").read_text()
    rewritten = similarity_class.obfuscate(original, how)
    assert ast.dump(ast.parse(rewritten)) != ast.dump(ast.parse(original))  # it did rewrite
    assert _canonical(rewritten, module) == _canonical(original, module)


def test_normalization_drops_dead_code_and_keeps_what_computes():
    code = _canonical(
        """
import torch
import itertools


def _unused(x):
    return x.sum()


def _square(x):
    return x * x


def minibatches(n, batch_size, generator, drop_last=False):
    "A docstring."
    junk = [n]
    junk.append(batch_size)
    order = torch.randperm(n, generator=generator)
    history = []
    _ = len(order)
    for start in range(0, n, batch_size):
        history.append(order[start:start + batch_size])
        if False:
            history = None
        n += 0
    loss = _square(order.float()).mean()
    loss.backward()
    return history
    print("unreachable")


def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    global CALLS
    CALLS = 1
    unused = yield X
    step = yield y
    return step
"""
    )
    for dead in ("junk", "_unused", "itertools", "_ = ", "None", "n += 0", "unreachable"):
        assert dead not in code
    for live in (
        "import torch",
        "def _square",
        "torch.randperm",
        "history = []",
        "loss.backward()",
    ):
        assert live in code
    assert "history.append(order[start:start + batch_size])" in code
    assert code.index("def minibatches") < code.index("def _square")  # the kit's functions first


@pytest.mark.parametrize("how", [e for e in EVASIONS if e not in ("renamed", "all")])
def test_an_evasion_leaves_the_canonical_code_unchanged(sample, how):
    rewritten = 0
    for module in similarity_class.MODULES:
        original = (sample / "bob" / f"{module}.py").read_text()
        hidden = evade(original, how)
        rewritten += ast.dump(ast.parse(hidden)) != ast.dump(ast.parse(original))
        assert _canonical(hidden, module) == _canonical(original, module), module
    assert rewritten  # the evasion changed the text of one module at least


@pytest.fixture(scope="module")
def evasion_scores(sample, tmp_path_factory) -> dict[str, engine.Pair]:
    """Each evasion of the corpus: the sample class with carol's copy of bob hidden by it (and
    renamed), and the pair bob & carol as the comparison scores it."""
    scores = {}
    for how in EVASIONS:
        folder = tmp_path_factory.mktemp(how) / "submissions"
        shutil.copytree(sample, folder)
        (folder / "carol.ipynb").unlink()
        (folder / "carol").mkdir()
        for module in similarity_class.MODULES:
            text = evade((folder / "bob" / f"{module}.py").read_text(), how)
            text = text if how == "all" else similarity_class.disguise(text)
            (folder / "carol" / f"{module}.py").write_text(text)
        found = engine.analyse(corpus.read(folder, KIT, similarity_class.MODULES))
        independent = [
            p for p in found.pairs if {p.a, p.b} not in ({"bob", "carol"}, {"alice", "dave"})
        ]
        assert not any(p.flagged for p in independent), how
        scores[how] = _pair(found, *similarity_class.COPIED)
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
    written; `all` holds every one of them)."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for module in similarity_class.MODULES:
        text = evade((sample / "bob" / f"{module}.py").read_text(), "all")
        (hidden / f"{module}.py").write_text(text)
    original = _graded(sample / "bob", tmp_path / "bob.json")
    assert len(original) > 50 and any(points for _, points in original.values())
    assert _graded(hidden, tmp_path / "hidden.json") == original


def test_unwrapping_keeps_what_computes():
    code = _canonical(
        """
import contextlib
from contextlib import nullcontext as nc, suppress

SEEN = []
_trail = []
_calls = 0


def minibatches(n, batch_size, generator, drop_last=False):
    global _calls
    _calls += 1
    _trail.append(n)
    try:
        a = n * 2
    except ZeroDivisionError:
        raise
    except ValueError as exc:
        raise exc
    try:
        b = n * 3
    except KeyError:
        b = 0
    try:
        c = n * 4
    finally:
        generator.release()
    with nc(batch_size) as size, contextlib.nullcontext():
        d = size + 1
    with suppress(ValueError):
        e = int(n)
    generator.history.append(a)
    SEEN.append(b)
    return a + b + c + d + e + _read()


def _read():
    return len(SEEN)
"""
    )
    for gone in ("_trail", "_calls", "ZeroDivisionError", "raise exc", "nullcontext()", "nc("):
        assert gone not in code, gone
    for kept in (
        "except KeyError",  # a handler that does something
        "finally:\n        generator.release()",  # a finally that does something
        "size = batch_size",  # what `as` bound
        "with suppress(ValueError)",  # a context that does something
        "generator.history.append(a)",  # an argument's object, seen by the caller
        "SEEN.append(b)",  # a list something reads
        "return len(SEEN)",  # the helper inlined: `return a + ... + _read()` is no whole call
    ):
        assert kept in code, kept


def test_helpers_are_inlined_where_a_statement_calls_them_within_a_bound():
    split = """
def minibatches(n, batch_size, generator, drop_last=False):
    order = generator.order(n)
    return _rest(order, batch_size, drop_last=drop_last)


def _rest(order, size, drop_last=False):
    out = [order[i:i + size] for i in range(0, len(order), size)]
    return out[:-1] if drop_last else out
"""
    whole = """
def minibatches(n, batch_size, generator, drop_last=False):
    order = generator.order(n)
    out = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return out[:-1] if drop_last else out
"""
    assert "_rest" not in _canonical(split)
    assert _canonical(split).replace("size", "batch_size").count("batch_size") >= 2
    # one binding more: `size = batch_size` (`order = order` and the like are dropped)
    assert _canonical(split).count("\n") == _canonical(whole).count("\n") + 1
    # helpers that call one another twice each: inlining all would double the code 20 times
    chain = "".join(
        f"def _h{i}(x):\n    y = _h{i + 1}(x)\n    z = _h{i + 1}(y)\n    return z\n\n\n"
        for i in range(20)
    )
    chain += "def _h20(x):\n    return x + 1\n\n\ndef minibatches(n, b, g):\n    return _h0(n)\n"
    assert len(_canonical(chain)) < 3 * len(chain)
    # a chain of helpers each calling the next: inlined into one another, copies of copies grew
    # to millions of nodes; inlined only outside the helpers, the tree keeps its size
    long = "".join(f"def _h{i}(x):\n    y = _h{i + 1}(x)\n    return y\n\n\n" for i in range(2000))
    long += "def _h2000(x):\n    return x\n\n\ndef minibatches(n, b, g):\n    return _h0(n)\n"
    nodes = sum(1 for _ in ast.walk(ast.parse(long)))
    simplified = unwrap.simplify(ast.parse(long), ["minibatches"])
    assert sum(1 for _ in ast.walk(simplified)) <= nodes


def test_normalization_orders_independent_statements_and_keeps_dependent_ones():
    def body(*lines):
        return "def minibatches(n, batch_size, generator):\n" + "".join(
            f"    {line}\n" for line in lines
        )

    one = body("a = n * 2", "b = batch_size + 1", "c = a + b", "return c")
    other = body("b = batch_size + 1", "a = n * 2", "c = a + b", "return c")
    assert _canonical(one) == _canonical(other)
    first = body("a = n * 2", "a = a + 1", "b = a * 3", "return b")
    code = _canonical(first)
    assert code.index("a = n * 2") < code.index("a = a + 1") < code.index("b = a * 3")


def test_each_canonical_line_names_the_lines_it_comes_from():
    text = "import torch\n\n\ndef mse(pred, target):\n    d = pred - target\n" + (
        "    unused = 3\n    return torch.mean(d * d)\n"
    )
    found = normalize.canonical(ast.parse(text), ["mse"])
    lines = dict(zip(found.text.splitlines(), zip(found.first.tolist(), found.last.tolist())))
    assert lines["    d = pred - target"] == (5, 5)
    assert lines["    return torch.mean(d * d)"] == (7, 7)
    assert lines["import torch"] == (1, 1) and len(lines) == 4


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
    renamed = _pair(analysis, *similarity_class.COPIED)
    found = engine.analyse(corpus.read(obfuscated, KIT, similarity_class.MODULES))
    copy = _pair(found, *similarity_class.COPIED)
    assert copy.flagged and found.flagged[0] is copy
    assert copy.similarity >= renamed.similarity > 0.9
    assert copy.longest >= renamed.longest
    independent = [
        p for p in found.pairs if {p.a, p.b} not in ({"bob", "carol"}, {"alice", "dave"})
    ]
    assert not any(p.flagged for p in independent)


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
    pair = _pair(engine.analyse(corpus.read(folder, KIT, ("regression",))), a, b)
    (fragment,) = pair.modules["regression"].fragments
    assert pair.flagged and fragment.size >= 150
    assert fragment.a_function == fragment.b_function == function


RING = ("s000", "s001", "s002", "s003", "s004")  # five who share one regression.py verbatim
TRIO = ("s010", "s011", "s012")  # three who share one function, nobody else has it


@pytest.fixture(scope="module")
def ring(tmp_path_factory):
    """A generated class of thirty: a ring of five, a trio sharing one function, the rest
    honest (each student's code their own, the common idioms common)."""
    folder = tmp_path_factory.mktemp("ring") / "submissions"
    texts = similarity_class.generate(folder, KIT, 30, modules=("regression",), seed=0)
    for student in RING[1:]:
        (folder / student / "regression.py").write_text(texts[RING[0]]["regression"])
    shared = similarity_class._function(
        texts[TRIO[0]]["regression"], "linear_regression_closed_form"
    )
    for student in TRIO[1:]:
        text = texts[student]["regression"]
        old = similarity_class._function(text, "linear_regression_closed_form")
        (folder / student / "regression.py").write_text(text.replace(old, shared))
    return engine.analyse(corpus.read(folder, KIT, ("regression",)))


def test_a_ring_of_five_in_thirty_is_flagged_as_a_group(ring):
    assert [g.members for g in ring.groups] == [RING, TRIO]
    assert "near-copies" in ring.groups[0].modules["regression"]
    assert "alone share a" in ring.groups[1].modules["regression"]
    for members, least in ((RING, 0.8), (TRIO, 0.3)):
        pairs = [_pair(ring, a, b) for a, b in combinations(members, 2)]
        assert all(p.flagged for p in pairs)
        assert min(p.similarity for p in pairs) > least  # rarity no longer hides them
    honest = [p for p in ring.pairs if not {p.a, p.b} <= set(RING) and not {p.a, p.b} <= set(TRIO)]
    assert not any(p.flagged for p in honest)
    assert max(p.similarity for p in honest) < 0.35


def test_the_class_report_names_each_group_and_its_module(ring):
    page = evidence.class_page(ring, {})
    section = page[page.index("<h2>Groups</h2>") : page.index("<h2>The class distribution")]
    assert ", ".join(RING) in section and ", ".join(TRIO) in section
    assert (
        section.count("in common): regression") == 1 and section.count("fragment: regression") == 1
    )
    assert section.count("<a href='pair-") == 10 + 3  # every pair of each group, linked
    pair_page = evidence.pair_page(ring, _pair(ring, RING[0], RING[1]), 1)
    assert "Both belong to group 1" in pair_page


def test_one_enormous_file_costs_a_bounded_amount_of_work(sample, analysis, tmp_path):
    folder = tmp_path / "submissions"
    shutil.copytree(sample, folder)
    text, functions = similarity_class.enormous((folder / "bob" / "regression.py").read_text())
    (folder / "bob" / "regression.py").write_text(text)
    assert functions > 7000 and len(text.encode()) <= 1024 * 1024  # what intake accepts
    read = corpus.read(folder, KIT, similarity_class.MODULES)
    found = engine.analyse(read)
    assert found.cut == {("bob", "regression"): (found.cut[("bob", "regression")][0], len(text))}
    assert found.cut[("bob", "regression")][0] <= bound.MAX_SOURCE
    assert found.docs[("bob", "regression")].tokens <= bound.MAX_SOURCE
    assert found.tokens <= 4 * analysis.tokens  # the class of eight, without the file
    copied = _pair(found, *similarity_class.COPIED)  # the kit's functions were compared first
    assert copied.flagged and copied.similarity > 0.9
    sink = io.StringIO()
    run.summarize(read, found, Console(file=sink, width=200))
    assert "bob: regression.py is over the cost bound" in sink.getvalue()
    assert "Compared in part" in evidence.class_page(found, {})
