"""The guard's cache (``descent.authoring.generic_cache``): a module's key moves with every input
that decides its variants' generic names and with nothing else; an entry is replayed only for its
exact inputs; and, on the kit itself, what a replay gives is what a grading gives, while a change
of a variant, of the module's graders, of the reference or of the diagnoses is graded again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from descent import results as results_mod
from descent.authoring import audit, generic_cache
from descent.authoring.generic_cache import Cache, Inputs

KIT = Path(__file__).resolve().parents[2]

# A kit in miniature: what each file is to the module ``losses`` (an input of its key or not).
FILES = {
    "graders/test_losses.py": "graders",
    "graders/conftest.py": "graders",
    "graders/battery.py": "graders",
    "graders/catalogue/losses.py": "variants",
    "graders/catalogue/hollow.py": "variants",
    "graders/corpus/losses.py": "variants",
    "solutions/losses.py": "reference",
    "solutions/data.py": "reference",  # imported by losses.py below
    "src/descent/diagnoses/values.py": "grading code",
    "src/descent/grading/plugin.py": "grading code",
    "src/descent/calls/impl.py": "grading code",
    "pyproject.toml": "grading code",
    # another module's, or no grading's
    "graders/test_optim.py": None,
    "graders/catalogue/optim.py": None,
    "solutions/optim.py": None,
    "src/descent/commands/audit.py": None,
    "src/descent/authoring/audit.py": None,
    "src/descent/course/batch.py": None,
    "docs/reference/generic-diagnoses.md": None,
}


def _kit(root: Path) -> Path:
    for name in FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"# {name}\n")
    (root / "solutions" / "losses.py").write_text("from .data import batches\n")
    return root


def _inputs(root: Path, module: str = "losses", **kw) -> Inputs:
    keys = kw.pop("keys", ["bug:mse_sum"])
    options = kw.pop("options", ["--device=cpu"])
    return generic_cache.inputs(root, module, keys, options, code=root / "src" / "descent")


@pytest.mark.fast
@pytest.mark.parametrize("name", sorted(FILES))
def test_a_module_s_key_moves_with_its_inputs_and_nothing_else(tmp_path, name):
    root = _kit(tmp_path)
    before = _inputs(root)
    path = root / name
    path.write_text(path.read_text() + "x = 1\n")
    after = _inputs(root)
    part = FILES[name]
    if part is None:
        assert after.key == before.key
    else:
        assert after.key != before.key
        assert after.changed(before) == [f"{part} ({name.removeprefix('src/')})"]


@pytest.mark.fast
def test_the_options_the_variants_the_environment_and_the_modules_imported_are_inputs(
    tmp_path, monkeypatch
):
    root = _kit(tmp_path)
    before = _inputs(root)
    assert _inputs(root).key == before.key  # the same inputs, the same key
    assert _inputs(root, options=["--device=cuda"]).changed(before) == ["options (0)"]
    assert _inputs(root, keys=["bug:mse_sum", "bug:new"]).changed(before) == ["variants (bug:new)"]
    monkeypatch.setenv("DESCENT_GENERIC_ONLY", "1")
    assert _inputs(root).changed(before) == ["environment ($DESCENT_GENERIC_ONLY)"]
    monkeypatch.delenv("DESCENT_GENERIC_ONLY")
    # layers imports losses: a change of the losses reference is a change of layers' inputs
    (root / "solutions" / "layers.py").write_text("from .losses import mse_forward\n")
    layers = _inputs(root, "layers")
    (root / "solutions" / "losses.py").write_text("from .data import batches\n# edited\n")
    assert _inputs(root, "layers").changed(layers) == ["reference (solutions/losses.py)"]
    assert "package torch" in before.parts["environment"]


def _doc(n: int) -> dict:
    block = {"name": "bug:mse_sum", "points": float(n), "max_points": 10.0}
    test = {"implementation": "bug:mse_sum", "exercise": "losses.mse", "outcome": "failed"}
    return {"implementations": [block], "tests": [test]}


@pytest.mark.fast
def test_an_entry_is_replayed_only_for_its_exact_inputs(tmp_path):
    cache = Cache(tmp_path / "cache")
    one = Inputs({"graders": {"graders/test_losses.py": "a"}})
    two = Inputs({"graders": {"graders/test_losses.py": "b"}})
    assert cache.replay("losses", one) is None and cache.latest("losses") is None
    cache.store("losses", one, _doc(1), seconds=3.0)
    assert cache.replay("losses", one) == _doc(1)
    assert cache.replay("losses", two) is None and cache.replay("optim", one) is None
    assert cache.latest("losses") == one and cache.seconds("losses") == 3.0
    for n in range(2, 2 + generic_cache.KEEP):  # only the newest few entries are kept
        cache.store("losses", Inputs({"graders": {"x": str(n)}}), _doc(n), seconds=1.0)
    assert len(list((tmp_path / "cache").glob("losses-*.json"))) == generic_cache.KEEP
    entry = next((tmp_path / "cache").glob("losses-*.json"))
    entry.write_text("{not json")  # a broken entry is graded again, not an error
    assert Cache(tmp_path / "cache").replay("losses", Inputs(json.loads("{}"))) is None


@pytest.mark.fast
def test_a_results_document_splits_by_module():
    doc = {
        "implementations": [{"name": "bug:a"}, {"name": "bug:b"}, {"name": "solutions"}],
        "tests": [{"implementation": "bug:a"}, {"implementation": "bug:b"}],
    }
    parts = generic_cache.split(doc, {"bug:a": "losses", "bug:b": "optim"})
    assert parts == {
        "losses": {"implementations": [{"name": "bug:a"}], "tests": [{"implementation": "bug:a"}]},
        "optim": {"implementations": [{"name": "bug:b"}], "tests": [{"implementation": "bug:b"}]},
    }


# -- on the kit ------------------------------------------------------------------------------------
def _docs(root: Path, tmp: Path, **kw) -> dict:
    audit.load_variants(root)
    graded = audit.generic_docs(
        root,
        audit.variant_modules(),
        ["basics"],
        device="cpu",
        console=Console(record=True, width=200),
        results=tmp / "results.json",
        jobs=1,
        **kw,
    )
    assert graded.code in (0, 1)
    return graded.docs


def test_a_replay_gives_what_a_grading_gives(tmp_path, monkeypatch):
    """The module ``basics`` graded, replayed, and graded again: the replay reads back the
    grading's own records, and the rows the guard compares are those of either grading."""
    monkeypatch.setattr(generic_cache, "FOLDER", tmp_path / "cache")
    graded: list = []
    real = audit.generic_jobs.run
    monkeypatch.setattr(
        audit.generic_jobs, "run", lambda *a, **k: graded.append(a) or real(*a, **k)
    )
    fresh = _docs(KIT, tmp_path, regrade=False)
    assert len(graded) == 1
    replayed = _docs(KIT, tmp_path, regrade=False)
    assert len(graded) == 1  # nothing graded: every input is the same
    again = _docs(KIT, tmp_path, regrade=True)
    assert len(graded) == 2
    assert replayed == fresh
    assert audit.summarize(replayed["basics"]) == audit.summarize(fresh["basics"])
    assert audit.summarize(again["basics"]) == audit.summarize(fresh["basics"])
    assert any(row["generic"] for row in audit.summarize(fresh["basics"]))


def test_an_edit_while_the_guard_grades_is_said_and_nothing_is_kept(copy, tmp_path, monkeypatch):
    """Editing the diagnoses while the guard grades mixed old and new code with no warning
    (issue 83): the inputs are read again once the gradings end, and a change stops the guard
    with what changed; nothing goes into the cache."""
    monkeypatch.chdir(copy)
    monkeypatch.setattr(generic_cache, "FOLDER", tmp_path / "cache")
    monkeypatch.setattr(generic_cache, "CODE", copy / "src" / "descent")
    path = copy / "src" / "descent" / "diagnoses" / "values.py"
    text = path.read_text()

    def run(root, runs, *, device, jobs):
        path.write_text(text + "\n# edited while grading\n")
        for _, _, results in runs:
            results.write_text(json.dumps({"schema": results_mod.SCHEMA, **_doc(1)}))
        return [1 for _ in runs]

    monkeypatch.setattr(audit.generic_jobs, "run", run)
    console = Console(record=True, width=200)
    audit.load_variants(copy)
    try:
        graded = audit.generic_docs(
            copy, audit.variant_modules(), ["basics"], device="cpu", console=console,
            results=tmp_path / "results.json", jobs=1, regrade=False,
        )  # fmt: skip
    finally:
        path.write_text(text)
    assert graded.code == audit.TREE_CHANGED and graded.docs == {}
    said = console.export_text()
    assert "the kit changed while basics was graded" in said and "values.py" in said
    assert not list((tmp_path / "cache").glob("**/*.json"))


@pytest.mark.parametrize(
    "edited",
    [
        "graders/catalogue/basics.py",
        "graders/test_basics.py",
        "solutions/basics.py",
        "src/descent/diagnoses/values.py",
        None,
    ],
)
def test_a_change_of_an_input_is_graded_again_never_replayed(copy, tmp_path, monkeypatch, edited):
    """In a copy of the kit (``copy``, shared by the module's tests: each edit is undone), an
    edit of the variants' file, the graders file, the reference or the diagnoses makes the
    guard grade ``basics`` again; with no edit it replays. (The grading is made up here: what is
    graded, not what it gives, is the point; a real one is above.)"""
    monkeypatch.chdir(copy)
    monkeypatch.setattr(generic_cache, "FOLDER", tmp_path / "cache")
    monkeypatch.setattr(generic_cache, "CODE", copy / "src" / "descent")
    graded: list = []

    def run(root, runs, *, device, jobs):
        for suites, _, results in runs:
            graded.append(suites)
            results.write_text(json.dumps({"schema": results_mod.SCHEMA, **_doc(len(graded))}))
        return [1 for _ in runs]

    monkeypatch.setattr(audit.generic_jobs, "run", run)
    _docs(copy, tmp_path, regrade=False)
    assert graded == [["graders/test_basics.py"]]
    path = copy / edited if edited else None
    text = path.read_text() if path else ""
    try:
        if path:
            path.write_text(text + "\n# edited\n")
        _docs(copy, tmp_path, regrade=False)
    finally:
        if path:
            path.write_text(text)
    assert len(graded) == (2 if edited else 1)


def test_a_fresh_clone_after_a_one_module_edit_grades_that_module_only(copy, tmp_path, monkeypatch):
    """From a fresh clone the guard graded every module (40 minutes on 2 cores, issue 83): its
    cache was empty. The record's stamps stand in for it: in a copy of the kit recorded
    (gradings made up), then with the cache gone and ``clipping``'s graders edited, the guard
    grades ``clipping`` alone and takes every other module as checked."""
    monkeypatch.chdir(copy)
    monkeypatch.setattr(generic_cache, "CODE", copy / "src" / "descent")
    monkeypatch.setattr(audit, "kit_root", lambda: copy)
    graded: list = []

    def run(root, runs, *, device, jobs):
        for suites, _, results in runs:
            graded.append(suites[0])
            doc = {"schema": results_mod.SCHEMA, "implementations": [], "tests": []}
            results.write_text(json.dumps(doc))
        return [1 for _ in runs]

    monkeypatch.setattr(audit.generic_jobs, "run", run)
    record, edited = copy / "graders" / "generic_names.json", copy / "graders" / "test_clipping.py"
    texts = {path: path.read_text() for path in (record, edited)}
    console = Console(record=True, width=400)
    guard = dict(device="cpu", console=console, results=tmp_path / "results.json", jobs=1)
    try:
        monkeypatch.setattr(generic_cache, "FOLDER", tmp_path / "author-cache")
        assert audit.generic_guard(record=True, **guard) == 0
        assert len(graded) == len(set(audit.variant_modules().values())) > 10
        monkeypatch.setattr(generic_cache, "FOLDER", tmp_path / "fresh-clone-cache")
        edited.write_text(texts[edited] + "\n# edited\n")
        graded.clear()
        assert audit.generic_guard(record=False, **guard) == 0
    finally:
        for path, text in texts.items():
            path.write_text(text)
    assert graded == ["graders/test_clipping.py"]
    said = console.export_text()
    assert "taken as checked" in said and "activations, autograd, basics, data" in said, said
    assert "grading clipping: not graded here before, and its inputs differ" in said, said


def test_a_graders_file_grades_only_its_own_module_s_variants(catalogue_run, corpus_run):
    """What the cache stands on: a module's variants are graded by ``graders/test_<module>.py``
    alone, so a grading of that file (the guard's) gives them every test a grading of the whole
    folder does. Read from the session's runs of the whole folder (no grading of its own)."""
    strays = sorted(
        {
            (t["nodeid"].split("::")[0], t["exercise"])
            for run in (catalogue_run, corpus_run)
            for t in run.results["tests"]
            if ":" in t["implementation"]
            and Path(t["nodeid"].split("::")[0]).stem != f"test_{t['exercise'].split('.')[0]}"
        }
    )
    assert not strays, f"graders files holding tests of another module's exercises: {strays}"
