"""Intake: which files of a submission are taken (folders, zips, notebooks by tag), and what is
ignored or refused, with the reason."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest

from descent.isolation import intake

from .forked import in_child

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GOOD = "import torch\n\ndef mse_forward(pred, target):\n    return ((pred - target) ** 2).mean(), None\n"


def _reasons(result):
    return {e["path"]: e["reason"] for e in result.ignored + result.refused}


def test_only_exercise_modules_are_taken(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(GOOD)
    for name in (
        "conftest.py",
        "pytest.ini",
        "pyproject.toml",
        "sitecustomize.py",
        "evil.pth",
        "test_bonus.py",
        "numpy.py",
        "json.py",
        "__init__.py",
        "notes.txt",
    ):
        (sub / name).write_text("x = 1\n")
    (sub / "torch").mkdir()
    (sub / "torch" / "__init__.py").write_text("")
    os.symlink("/etc/passwd", sub / "activations.py")
    result = intake.take(sub, tmp_path)
    assert result.taken == ["losses.py"]
    assert sorted(os.listdir(result.folder)) == ["losses.py"]
    reasons = _reasons(result)
    assert "symbolic link" in reasons["activations.py"]
    assert "pytest" in reasons["conftest.py"] and ".pth" in reasons["evil.pth"]
    assert "shadow" in reasons["numpy.py"] and "shadow" in reasons["torch/__init__.py"]
    assert "a test file: never run as a module" in reasons["test_bonus.py"]
    assert "shadow the `json`" in reasons["json.py"]
    assert {r["path"] for r in result.refused} >= {"numpy.py", "json.py", "torch/__init__.py"}
    result.cleanup()


HELPED = "from ._util import ident\nfrom .helpers.ops import twice\n\n" + GOOD


def test_the_helper_files_the_modules_import_are_taken_with_them(tmp_path):
    """A student's own helper file was dropped: `descent grade` gave 0/80 for a losses.py that
    imports its `_util.py`, which the public tests had graded 80/80 (issue 55)."""
    sub = tmp_path / "sub"
    (sub / "helpers" / "deeper").mkdir(parents=True)
    (sub / "losses.py").write_text(HELPED)
    (sub / "_util.py").write_text("import _shared\n\ndef ident(x):\n    return x\n")
    (sub / "_shared.py").write_text("K = 1\n")
    (sub / "helpers" / "__init__.py").write_text("")
    (sub / "helpers" / "ops.py").write_text("def twice(x):\n    return 2 * x\n")
    (sub / "helpers" / "deeper" / "more.py").write_text("")
    (sub / "helpers" / "notes.md").write_text("")
    (sub / "scratch.py").write_text("print('notes')\n")
    (sub / "data").mkdir()
    (sub / "data" / "points.csv").write_text("1,2\n")
    result = intake.take(sub, tmp_path)
    assert result.taken == [
        "losses.py",
        "_shared.py",
        "_util.py",
        "helpers/__init__.py",
        "helpers/ops.py",
    ]
    copied = sorted(str(p.relative_to(result.folder)) for p in Path(result.folder).rglob("*.py"))
    assert copied == [
        "_shared.py",
        "_util.py",
        "helpers/__init__.py",
        "helpers/ops.py",
        "losses.py",
    ]
    reasons = _reasons(result)
    assert "not imported by any exercise module" in reasons["scratch.py"]
    assert "nested too deep" in reasons["helpers/deeper/"]
    assert "without Python files" in reasons["data/"]
    # the one list of what runs: the key of the inputs, the library-use scan and similarity
    # read every file taken, helpers too (a table in _tab.py kept its key as it grew)
    assert result.sources == {
        "losses": HELPED,
        "_shared": "K = 1\n",
        "_util": "import _shared\n\ndef ident(x):\n    return x\n",
        "helpers": "",
        "helpers.ops": "def twice(x):\n    return 2 * x\n",
    }
    result.cleanup()


def test_a_folder_named_like_an_exercise_module_is_refused_with_the_reason(tmp_path):
    """losses.py the stub and losses/__init__.py the code: Python imports the package, so it
    was what got graded while the key, the scan and similarity read the stub."""
    sub = tmp_path / "sub"
    (sub / "losses").mkdir(parents=True)
    (sub / "losses.py").write_text(HELPED)
    (sub / "losses" / "__init__.py").write_text("from .impl import *\n")
    (sub / "losses" / "impl.py").write_text("def mse_forward(p, t):\n    return 0, None\n")
    result = intake.take(sub, tmp_path)
    assert result.taken == ["losses.py"] and result.sources == {"losses": HELPED}
    reasons = _reasons(result)
    assert "named like the exercise module losses.py" in reasons["losses/__init__.py"]
    assert not (Path(result.folder) / "losses").exists()
    result.cleanup()


def test_a_zipped_folder_brings_its_helpers_too(tmp_path):
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("alice/losses.py", HELPED)
        zf.writestr("alice/_util.py", "def ident(x):\n    return x\n")
        zf.writestr("alice/helpers/ops.py", "def twice(x):\n    return 2 * x\n")
        zf.writestr("alice/helpers/deep/x.py", "")
        zf.writestr("alice/unused.py", "")
        zf.writestr("alice/numpy.py", "")
    result = intake.take(z, tmp_path)
    assert result.taken == ["losses.py", "_util.py", "helpers/ops.py"]
    reasons = _reasons(result)
    assert "not imported" in reasons["unused.py"] and "nested too deep" in reasons["helpers/deep/"]
    assert "would shadow the `numpy` module" in reasons["numpy.py"]
    result.cleanup()


def test_hardlinks_and_oversized_files_are_refused(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "x.py").write_text(GOOD)
    os.link(tmp_path / "x.py", sub / "losses.py")
    (sub / "layers.py").write_text("#" * (intake.MAX_FILE + 1))
    reasons = _reasons(intake.take(sub, tmp_path))
    assert "hard link" in reasons["losses.py"]
    assert "exceeds" in reasons["layers.py"]


def test_what_cannot_be_read_is_refused_with_the_reason():
    """As an ordinary user (root reads everything): an unreadable module or folder ended the
    grading with "pytest exit code 3" and no reason."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    base = Path(tempfile.mkdtemp(prefix="descent-intake-"))
    try:
        (base / "sub").mkdir()
        (base / "sub" / "losses.py").write_text(GOOD)
        (base / "sub" / "activations.py").write_text("x = 1\n")
        os.chmod(base / "sub" / "losses.py", 0)
        (base / "shut").mkdir(mode=0)
        os.chmod(base, 0o755)

        def taken(_: int) -> dict:
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            found = {}
            for name in ("sub", "shut"):
                result = intake.take(base / name)
                found[name] = {"taken": result.taken, "refused": _reasons(result)}
                result.cleanup()
            return found

        seen = in_child(taken)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert seen["sub"] == {
        "taken": ["activations.py"],
        "refused": {"losses.py": "cannot be read (Permission denied)"},
    }, seen
    assert seen["shut"] == {
        "taken": [],
        "refused": {str(base / "shut"): "cannot be read (Permission denied)"},
    }, seen


def test_zip_members_are_checked(tmp_path):
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../evil.py", "x")
        zf.writestr("/abs/losses.py", "x")
        zf.writestr("sub/losses.py", GOOD)
        zf.writestr("big.ipynb", "0" * (intake.MAX_NOTEBOOK + 10))
    result = intake.take(z, tmp_path)
    reasons = _reasons(result)
    assert "`..`" in reasons["../evil.py"] and "absolute" in reasons["/abs/losses.py"]
    assert "zip bomb" in reasons["big.ipynb"]
    assert result.taken == ["losses.py"]


def test_notebook_cells_by_tag_without_magics(tmp_path):
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"tags": ["descent:losses"]},
                "source": ["!cat /etc/passwd\n", "%env A=1\n", GOOD],
                "outputs": [],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "import os; os._exit(0)",
                "outputs": [],
            },
            {"cell_type": "code", "metadata": {"tags": ["descent:nonsense"]}, "source": "x=1"},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "work.ipynb"
    path.write_text(json.dumps(nb))
    result = intake.take(path, tmp_path)
    text = Path(result.folder, "losses.py").read_text()
    assert "def mse_forward" in text and "!cat" not in text and "%env" not in text
    assert "os._exit" not in text
    assert any("magic" in e["reason"] for e in result.ignored)


def test_a_deeply_nested_notebook_is_refused_with_the_reason(tmp_path):
    """400 KB of nested lists let RecursionError out of json.loads: the grading ended in an
    INTERNALERROR and `descent similarity` of the whole class in a traceback."""
    deep = tmp_path / "deep.ipynb"
    deep.write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + ', "nbformat": 4}')
    shallow = tmp_path / "ok.ipynb"
    cell = {"cell_type": "code", "metadata": {"tags": ["descent:losses"]}, "source": GOOD}
    shallow.write_text(json.dumps({"cells": [cell], "metadata": {"x": [[[["[{"]]]]}}))
    result = intake.take(deep, tmp_path)
    assert result.taken == [] and "nested 200001 levels deep" in _reasons(result)["deep.ipynb"]
    assert intake.take(shallow, tmp_path).taken == ["ok.ipynb:losses.py"]  # brackets in strings
    assert intake.json_depth('{"a": [1, {"b": "]]]][[[[\\"["}], "c": []}') == 3


def test_resource_forks_in_a_zip_are_never_graded(tmp_path):
    """A `__MACOSX/losses.py` earlier in the archive was graded over the student's
    `sub/losses.py`."""
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("__MACOSX/losses.py", "def mse_forward(pred, target):\n    return 42\n")
        zf.writestr("__MACOSX/sub/._losses.py", b"\x00\x05\x16\x07")
        zf.writestr("._losses.py", b"\x00\x05\x16\x07")
        zf.writestr("sub/._work.ipynb", b"\x00\x05\x16\x07")
        zf.writestr("sub/losses.py", GOOD)
    result = intake.take(z, tmp_path)
    assert result.taken == ["losses.py"] and not result.refused
    assert result.sources["losses"] == GOOD
    reasons = _reasons(result)
    for member in ("__MACOSX/losses.py", "._losses.py", "sub/._work.ipynb"):
        assert "resource fork" in reasons[member], reasons


def test_helper_candidates_are_capped_however_many_folders(tmp_path, monkeypatch):
    """Every folder of a submission is now read one level down for helper files: their number
    and size are capped across all folders, as an archive's members are."""
    monkeypatch.setattr(intake, "MAX_ARCHIVE_MEMBERS", 5)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text(GOOD)
    for folder in ("a", "b"):
        (sub / folder).mkdir()
        for i in range(4):
            (sub / folder / f"m{i}.py").write_text("x = 1\n")
    result = intake.take(sub, tmp_path)
    assert result.taken == ["losses.py"]
    assert any("too large" in r["reason"] for r in result.refused), result.refused
    result.cleanup()
