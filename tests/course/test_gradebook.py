"""The SQLite gradebook on its own: transactions, versions, locks (no grading runs here)."""

from __future__ import annotations

import sqlite3

import pytest

from descent.course import gradebook
from descent.course.gradebook import Gradebook, GradebookError
from descent.course.runner import Outcome

from .conftest import run_batch

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def outcome(student="ada", digest="h1", points=7.5, status="graded") -> Outcome:
    doc = {
        "schema": "descent.results/1",
        "implementations": [
            {
                "name": student,
                "points": points,
                "max_points": 10.0,
                "exercises": [
                    {
                        "id": "losses.mse",
                        "title": "MSE",
                        "points": points,
                        "max_points": 10.0,
                        "status": "partial",
                        "first_failure": "x",
                        "misconceptions": ["mse_sum"],
                    }
                ],
            }
        ],
        "tests": [
            {
                "nodeid": "graders/test_losses.py::t[cpu]",
                "implementation": student,
                "exercise": "losses.mse",
                "name": "t[cpu]",
                "outcome": "failed",
                "points": 0.0,
                "max_points": 2.5,
                "counted": True,
                "message": "m",
                "misconception": "mse_sum",
                "duration_s": 0.1,
            }
        ],
    }
    return Outcome(
        student,
        f"/subs/{student}",
        status,
        results=doc,
        content_hash=digest,
        version="v1",
        images={"capstone.png": b"\x89PNG"},
    )


def test_one_row_per_student_content_and_graders_and_the_newest_is_current(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        first = book.record(outcome(), source="/subs/ada", submitted=1.0, superseded=[])
        assert book.graded("ada", "h1", "v1") == first
        assert book.graded("ada", "h1", "v2") is None
        again = book.record(outcome(points=10.0), source="/subs/ada", submitted=1.0, superseded=[])
        newer = book.record(
            outcome(digest="h2"), source="/subs/ada.zip", submitted=2.0, superseded=["ada"]
        )
        rows = book.db.execute("SELECT id FROM submissions").fetchall()
        assert sorted(r[0] for r in rows) == sorted([again, newer])
        (row,) = book.current()
        assert row["id"] == newer and row["superseded"] == ["ada"]
        assert book.images(newer) == {"capstone.png": b"\x89PNG"}
        assert book.results(newer)["implementations"][0]["points"] == 7.5
        tests = book.db.execute("SELECT count(*) FROM test_results").fetchone()[0]
        assert tests == 2  # the replaced row's tests went with it


def test_a_failed_grading_is_not_final(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(outcome(status="failed"), source="s", submitted=1.0, superseded=[])
        assert book.graded("ada", "h1", "v1") is None


def test_an_error_inside_the_transaction_records_nothing(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        broken = outcome()
        broken.results["tests"].append(dict(broken.results["tests"][0]))  # duplicate key
        with pytest.raises(GradebookError):
            book.record(broken, source="s", submitted=1.0, superseded=[])
        for table in ("students", "submissions", "exercise_results", "test_results", "images"):
            assert book.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_a_second_batch_on_the_same_gradebook_is_refused_with_the_holder(tmp_path):
    with Gradebook(tmp_path / "g.sqlite"):
        with pytest.raises(GradebookError, match=r"in use by another batch \(pid \d+"):
            Gradebook(tmp_path / "g.sqlite")
    Gradebook(tmp_path / "g.sqlite").close()  # released


def test_a_gradebook_locked_by_another_program_is_answered_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(gradebook, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "g.sqlite"
    Gradebook(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(GradebookError, match="locked by another program"):
            with Gradebook(path) as book:
                book.record(outcome(), source="s", submitted=1.0, superseded=[])
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("version", [0, 2])
def test_a_gradebook_of_another_schema_is_refused_and_left_untouched(tmp_path, version):
    path = tmp_path / "g.sqlite"
    Gradebook(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    before = path.read_bytes()
    newer = "newer" if version > gradebook.SCHEMA else "older"
    with pytest.raises(GradebookError, match=f"schema {version}.*use the {newer} Descent"):
        Gradebook(path)
    with pytest.raises(GradebookError, match=f"schema {version}"):
        Gradebook(path, writable=False)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_gradebook_is_left_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my grading notes\n" * 200)
    with pytest.raises(GradebookError, match="not a Descent gradebook"):
        Gradebook(path)
    assert path.read_text() == "these are my grading notes\n" * 200
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(GradebookError, match="SQLite file but not a Descent gradebook"):
        Gradebook(other)


def test_the_batch_answers_a_gradebook_of_another_version_and_a_locked_one(
    tmp_path, reference_losses
):
    out = tmp_path / "out"
    path = out / "gradebook.sqlite"
    Gradebook(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    before = path.read_bytes()
    result = run_batch(reference_losses, out)
    said = " ".join(result.output.split())  # the terminal wraps the line where the path ends it
    assert result.code == 2 and "schema 7" in said and "Traceback" not in said
    assert path.read_bytes() == before
    path.unlink()
    with Gradebook(path):
        held = run_batch(reference_losses, out)
    assert held.code == 2 and "in use by another batch" in " ".join(held.output.split())
