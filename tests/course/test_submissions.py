"""Reading a submissions folder (``descent.course.submissions``; no grading here; the sample class the
demo grades: test_demo.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from isolation.forked import in_child  # tests/isolation: a package beside this one

from descent.course import submissions

from .conftest import KIT

NOBODY = 65534

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


def _module(folder, text: str = "x = 1\n"):
    folder.mkdir(parents=True)
    (folder / "losses.py").write_text(text)
    return folder


def test_entries_that_map_to_one_student_are_all_held_and_none_is_graded(tmp_path):
    """No rule picks one of a student's twin entries: newest-wins let a planted twin stand
    in for the honest one (José in NFD beside José in NFC, carl.ipynb beside carl/)."""
    _module(tmp_path / "ada")
    (tmp_path / "ada.zip").write_bytes(b"PK")
    _module(tmp_path / "carl")
    (tmp_path / "carl.ipynb").write_text("{}")
    nfc, nfd = "Jos\u00e9", "Jose\u0301"
    _module(tmp_path / nfc)
    _module(tmp_path / nfd, "x = 2\n")
    _module(tmp_path / "bo")
    listing = submissions.discover(tmp_path)
    assert [e.student for e in listing.entries] == ["bo"]
    assert set(listing.held) == {"ada", "carl", nfc}
    assert listing.students == sorted(["ada", "bo", "carl", nfc])
    assert listing.held["ada"] == [
        "2 entries map to this student (ada/, ada.zip; one name once written in one Unicode "
        "form): none is graded until only one is left"
    ]
    assert "carl/, carl.ipynb" in listing.held["carl"][0]
    assert f"{nfd}/ (decomposed accents, NFD)" in listing.held[nfc][0]
    assert sorted(p.name for p in listing.held_entries[nfc]) == sorted([nfc, nfd])


def test_names_that_differ_in_case_are_one_student_where_the_file_system_folds_case(
    tmp_path, monkeypatch
):
    _module(tmp_path / "carl")
    (tmp_path / "Carl.zip").write_bytes(b"PK")
    assert not submissions.folds_case(tmp_path, ["carl", "Carl.zip"])  # this file system
    assert {e.student for e in submissions.discover(tmp_path).entries} == {"carl", "Carl"}
    monkeypatch.setattr(submissions, "folds_case", lambda folder, names: True)
    listing = submissions.discover(tmp_path)
    assert listing.entries == [] and set(listing.held) == {"carl", "Carl"}
    assert "one name once written in one Unicode form and case" in listing.held["carl"][0]


def test_a_symbolic_link_among_the_entries_is_refused_and_its_student_held(tmp_path):
    _module(tmp_path / "ada")
    (tmp_path / "eve.zip").symlink_to(KIT / "solutions")
    (tmp_path / "mal").symlink_to(tmp_path / "ada")
    listing = submissions.discover(tmp_path)
    assert [e.student for e in listing.entries] == ["ada"]
    assert set(listing.held) == {"eve", "mal"}
    (reason,) = listing.held["eve"]
    assert reason.startswith(f"eve.zip: a symbolic link (to {KIT / 'solutions'}): refused")


def test_an_entry_whose_name_is_not_utf8_is_held_and_shown_escaped(tmp_path):
    """`Jos\\xe9` (Latin-1 bytes) beside two honest students stopped `descent batch` and
    `descent similarity` with "can't encode '\\udce9'": nobody was graded."""
    _module(tmp_path / "ada")
    _module(tmp_path / "bo")
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"Jos\xe9"))
    (tmp_path / os.fsdecode(b"Jos\xe9") / "losses.py").write_text("x = 1\n")
    (tmp_path / os.fsdecode(b"notes\xff.txt")).write_text("x\n")
    listing = submissions.discover(tmp_path)
    assert [e.student for e in listing.entries] == ["ada", "bo"]
    assert listing.held == {
        "Jos\\xe9": [
            "Jos\\xe9/: its name is not valid UTF-8 (Jos\\xe9, the bytes that are not shown "
            "escaped): rename it in UTF-8 to have it graded"
        ]
    }
    assert listing.unrecognised == ["notes\\xff.txt"]
    for text in [*listing.students, *listing.held["Jos\\xe9"], *listing.unrecognised]:
        text.encode("utf-8")  # storable and printable as it is


def test_an_unreadable_entry_holds_its_student_with_the_reason_and_the_rest_are_listed():
    """As an ordinary user (root reads everything): an unreadable folder, and a folder whose
    module cannot be read, crashed the whole batch or gave "pytest exit code 3"."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    base = Path(tempfile.mkdtemp(prefix="descent-unreadable-"))
    try:
        _module(base / "ada")
        os.chmod(_module(base / "bo"), 0)
        os.chmod(_module(base / "cy") / "losses.py", 0)
        (base / "dee.py").write_text("x = 1\n")
        os.chmod(base / "dee.py", 0)
        os.chmod(base, 0o755)

        def listed(_: int) -> dict:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            listing = submissions.discover(base)
            return {"graded": [e.student for e in listing.entries], "held": listing.held}

        seen = in_child(listed)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert seen.get("graded") == ["ada"], seen
    assert seen["held"] == {
        "bo": ["bo/: bo cannot be read (Permission denied) by the account that grades"],
        "cy": ["cy/: losses.py cannot be read (Permission denied) by the account that grades"],
        "dee": ["dee.py: dee.py cannot be read (Permission denied) by the account that grades"],
    }


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


def test_a_change_to_a_helper_package_is_a_new_submission(tmp_path):
    """A helper package one folder down is graded when a module imports it (issue 55): editing
    it must regrade the student, as editing losses.py does."""
    (tmp_path / "losses.py").write_text("from .helpers.ops import f\n")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "ops.py").write_text("def f():\n    return 1\n")
    before = submissions.content_hash(tmp_path)
    (tmp_path / "helpers" / "ops.py").write_text("def f():\n    return 2\n")
    assert submissions.content_hash(tmp_path) != before


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(submissions.SubmissionsError, match="no submissions to grade"):
        submissions.discover(tmp_path)


def test_a_folder_of_test_files_alone_is_graded_where_they_are(tmp_path):
    """A write-the-tests assignment's entry holds test files and no module: the batch grades the
    folder that holds them, as it would one of modules."""
    (tmp_path / "ada" / "starter").mkdir(parents=True)
    (tmp_path / "ada" / "starter" / "test_mse.py").write_text("def test_a(impl):\n    pass\n")
    (tmp_path / "ada" / "starter" / "test_helpers.py").write_text("")  # not an exercise's
    listing = submissions.discover(tmp_path)
    assert [e.path for e in listing.entries] == [tmp_path / "ada" / "starter"]
