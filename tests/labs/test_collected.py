"""The copy the course's collect makes and the record it keeps (``descent.labs.collected``, and
the plugin that makes it, ``descent.labs.collect``, without nbgrader's commands): a
link, a FIFO or a hard link anywhere refuses the copy, a plain copy is copied whole with its
files' times, the newest change time of its entries is read as it is copied, and a collected
folder finds its record only while its files are those collect copied. (Through nbgrader's real
exchange: test_collect.py.)"""

from __future__ import annotations

import os
import time

import pytest

from descent.labs import collected

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast
QUIZ = "quiz1_loss"


def _copy(tmp_path):
    source = tmp_path / "inbound" / "ann+quiz+2026-11-25 10:00:00.000000 UTC+abc"
    (source / "sub").mkdir(parents=True)
    (source / "quiz.ipynb").write_text("{}")
    (source / "timestamp.txt").write_text("2026-11-25 10:00:00.000000 UTC")
    (source / "sub" / "data.csv").write_text("1,2\n")
    return source


def test_a_plain_copy_is_copied_with_its_times_and_hashed(tmp_path):
    source = _copy(tmp_path)
    past = time.time() - 86400
    os.utime(source / "quiz.ipynb", (past, past))  # touch -d: the modification time only
    found = collected.copy_checked(source, tmp_path / "dest")
    dest = tmp_path / "dest"
    assert (dest / "sub" / "data.csv").read_text() == "1,2\n"
    assert (dest / "quiz.ipynb").stat().st_mtime == pytest.approx(past)
    assert sorted(found.files) == ["quiz.ipynb", "sub/data.csv", "timestamp.txt"]
    assert found.files == collected.hashes(dest) == collected.hashes(source)
    # the change time moved forward with the touch: it says when the copy was last written
    newest = max(p.lstat().st_ctime for p in [source, *source.rglob("*")])
    assert found.written == newest == collected.written_now(source)
    assert found.written > past + 3600


@pytest.mark.parametrize("kind", ["symlink", "dir symlink", "fifo", "hard link", "top link"])
def test_anything_but_plain_files_and_folders_refuses_the_copy(tmp_path, kind):
    source = _copy(tmp_path)
    secret = tmp_path / "source.ipynb"
    secret.write_text('{"the instructor": 1}')
    if kind == "symlink":
        (source / "quiz.ipynb").unlink()
        (source / "quiz.ipynb").symlink_to(secret)
        said = "quiz.ipynb is a symbolic link"
    elif kind == "dir symlink":
        (source / "more").symlink_to(tmp_path)
        said = "more is a symbolic link"
    elif kind == "fifo":
        os.mkfifo(source / "sub" / "pipe")  # opened to copy, it would stall collect
        said = "sub/pipe is a FIFO"
    elif kind == "hard link":
        os.link(secret, source / "linked.ipynb")
        said = "linked.ipynb is a hard link (2 names on the file system)"
    else:
        link = tmp_path / "inbound" / "mal+quiz+2026-11-25 10:00:00.000000 UTC+x"
        link.symlink_to(source)
        source, said = link, "cannot be opened without following a link"
    with pytest.raises(collected.Refused, match=said.replace("(", r"\(").replace(")", r"\)")):
        collected.copy_checked(source, tmp_path / "dest")
    assert not any(
        p.read_text() == secret.read_text() for p in (tmp_path / "dest").rglob("*") if p.is_file()
    )


def test_ignored_names_and_the_size_limit(tmp_path):
    source = _copy(tmp_path)
    (source / ".ipynb_checkpoints").mkdir()
    found = collected.copy_checked(
        source, tmp_path / "dest", lambda folder, names: {".ipynb_checkpoints"}
    )
    assert not (tmp_path / "dest" / ".ipynb_checkpoints").exists() and found.files
    with pytest.raises(collected.Refused, match="over 10 bytes"):
        collected.copy_checked(source, tmp_path / "again", max_bytes=10)


def test_a_collected_folder_finds_its_record_while_its_files_are_the_ones_copied(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    source = _copy(tmp_path)
    folder = course / "submitted" / "ann" / "quiz"
    folder.parent.mkdir(parents=True)
    found = collected.copy_checked(source, folder)
    taken = collected.Record("ann", source.name, 100.0, found.written, found.files)
    collected.append(course, "quiz", taken)
    collected.append(course, "quiz", collected.Record("bo", "bo+quiz+x+y", 101.0, refused="no"))
    assert collected.find(course, "quiz", "ann", folder) == taken
    assert collected.latest(course, "quiz", "bo").refused == "no"
    assert (course / collected.LOG).stat().st_mode & 0o077 == 0  # the instructor's own
    (folder / "quiz.ipynb").write_text('{"changed": "after collect"}')
    assert collected.find(course, "quiz", "ann", folder) is None
    assert collected.find(course, "quiz", "bo", folder) is None  # refused: nothing taken


def test_the_plugins_copy_refuses_a_link_and_records_why(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    from descent.labs import collect, collected

    course = tmp_path / "course"
    course.mkdir()
    copy = tmp_path / "inbound" / f"mal+{QUIZ}+2026-11-25 10:00:00.000000 UTC+x"
    copy.mkdir(parents=True)
    (copy / f"{QUIZ}.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    (tmp_path / "elsewhere.ipynb").write_text("{}")
    coursedir = CourseDirectory(root=str(course))
    coursedir.assignment_id = QUIZ
    plugin = collect.CheckedCollect(coursedir=coursedir, authenticator=Authenticator())
    dest = course / "submitted" / "mal" / QUIZ
    dest.parent.mkdir(parents=True)
    plugin.do_copy(str(copy), str(dest))
    assert not dest.exists()
    (record,) = collected.records(course, QUIZ)
    assert (record.student, record.copy) == ("mal", copy.name)
    assert record.refused == f"{QUIZ}.ipynb is a symbolic link"
    (copy / f"{QUIZ}.ipynb").unlink()
    (copy / f"{QUIZ}.ipynb").write_text("{}")
    plugin.do_copy(str(copy), str(dest))
    assert collected.find(course, QUIZ, "mal", dest).files == collected.hashes(copy)
