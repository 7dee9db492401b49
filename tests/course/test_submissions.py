"""Reading a submissions folder, and the sample class the demo grades (no grading here)."""

from __future__ import annotations

import ast
import json
import os
import time

import pytest

from descent.course import submissions
from descent.course.demo import assemble
from descent.isolation import intake

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_entries_students_and_what_is_graded(tmp_path):
    (tmp_path / "ada" / "starter").mkdir(parents=True)
    (tmp_path / "ada" / "starter" / "losses.py").write_text("x = 1\n")
    (tmp_path / "ada" / "README.md").write_text("hi\n")
    (tmp_path / "bo.ZIP").write_bytes(b"PK")
    (tmp_path / "Zoe\u0308.ipynb").write_text("{}")  # a decomposed accent (macOS)
    (tmp_path / ".git").mkdir()
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "marks.xlsx").write_text("")
    listing = submissions.discover(tmp_path)
    by_student = {e.student: e for e in listing.entries}
    assert set(by_student) == {"ada", "bo", "Zoë"}
    assert by_student["ada"].path == tmp_path / "ada" / "starter"
    assert by_student["bo"].kind == "zip" and by_student["Zoë"].kind == "ipynb"
    assert listing.unrecognised == ["marks.xlsx"]


def test_the_newest_entry_of_a_student_wins(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "losses.py").write_text("x = 1\n")
    (tmp_path / "ada.zip").write_bytes(b"PK")
    old = time.time() - 100
    os.utime(tmp_path / "ada.zip", (old, old))
    (entry,) = submissions.discover(tmp_path).entries
    assert entry.path == tmp_path / "ada" and entry.superseded == [tmp_path / "ada.zip"]


def test_report_file_names_are_safe_and_distinct():
    assert submissions.file_stem("ada") == "ada"
    odd = ["Zoë Ng", "Zoë_Ng", "../etc", "a/b", "<x>", "...", "名前 です"]
    stems = [submissions.file_stem(s) for s in odd]
    assert len(set(stems)) == len(odd)
    assert all("/" not in s and " " not in s and not s.startswith(".") for s in stems)


def test_the_content_hash_follows_the_graded_files_only(tmp_path):
    (tmp_path / "losses.py").write_text("a = 1\n")
    first = submissions.content_hash(tmp_path)
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "notes.txt").write_text("ignored by intake\n")
    second = submissions.content_hash(tmp_path)
    (tmp_path / "deep" / "notes.txt").write_text("changed, still ignored\n")
    assert submissions.content_hash(tmp_path) == second != first
    (tmp_path / "losses.py").write_text("a = 2\n")
    assert submissions.content_hash(tmp_path) != second


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(submissions.SubmissionsError, match="no submissions to grade"):
        submissions.discover(tmp_path)


def test_the_sample_class_is_what_the_demo_promises(tmp_path):
    subs = assemble(KIT, tmp_path)
    assert sorted(p.name for p in subs.iterdir()) == [
        "dana",
        "eve.ipynb",
        "mallory",
        "oscar",
        "partial",
        "reference",
        "untouched-stubs",
    ]
    for path in (subs / "dana").glob("*.py"):
        ast.parse(path.read_text())
    with pytest.raises(SyntaxError):  # oscar is broken on purpose
        ast.parse((subs / "oscar" / "activations.py").read_text())
    hostile = (subs / "mallory" / "losses.py").read_text()
    assert "rmtree" not in hostile and "os.kill(-1" not in hostile and "unlink" not in hostile
    json.loads((subs / "eve.ipynb").read_text())
    taken = intake.take(subs / "eve.ipynb")
    try:
        assert sorted(taken.sources) == ["basics", "regularization"]
    finally:
        taken.cleanup()
