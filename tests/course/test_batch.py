"""``descent batch`` end to end: isolation between students, SIGKILL and resume, skips, regrade,
two submissions of one student (held until one is left)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from descent.course import batch

from .conftest import KIT, LOSSES, command, copy_modules, env, run_batch

SAMPLES = KIT / "samples"


def per_test(batch, student: str) -> dict[str, tuple]:
    rows = batch.rows(
        "SELECT r.nodeid, r.outcome, r.points, r.max_points, r.message, r.misconception "
        "FROM test_results r JOIN students t ON r.submission = t.current_submission "
        "WHERE t.id = ?",
        student,
    )
    return {row[0]: row[1:] for row in rows}


def test_hostile_and_broken_beside_a_correct_student_change_nothing_of_its_results(
    tmp_path, reference_losses
):
    solo = run_batch(reference_losses, tmp_path / "solo", "-k", LOSSES, "--jobs", "1")
    assert solo.code == 0, solo.output
    crowded = tmp_path / "crowded"
    shutil.copytree(reference_losses, crowded)
    shutil.copytree(SAMPLES / "class" / "mallory", crowded / "mallory")
    shutil.copytree(SAMPLES / "class" / "oscar", crowded / "oscar")
    beside = run_batch(
        crowded,
        tmp_path / "beside",
        "-k",
        LOSSES,
        "--jobs",
        "2",
        "--call-timeout",
        "2",
        "--similarity",
    )
    assert beside.code == 0, beside.output
    # the similarity step read the hostile submission as text only, and wrote its report
    assert "3 students, 3 pairs compared" in beside.output
    assert (tmp_path / "beside" / "similarity" / "index.html").is_file()
    alone, together = per_test(solo, "ada"), per_test(beside, "ada")
    assert alone and alone == together
    assert all(outcome == "passed" for outcome, *_ in together.values())
    # the hostile one was graded too, and what it did is on record
    ((points,),) = beside.rows("SELECT points FROM submissions WHERE student = 'mallory'")
    assert points < 30
    events = beside.rows(
        "SELECT r.message FROM test_results r JOIN submissions s ON "
        "r.submission = s.id WHERE s.student = 'mallory' AND "
        "r.message LIKE '%did not return within%'"
    )
    assert events, "the hanging mae_forward was not stopped by its call time limit"
    assert "worker events" in beside.output


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` now (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def recorded(book: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{book}?mode=ro", uri=True, timeout=0.5)
        try:
            return db.execute("SELECT count(*) FROM submissions").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def start_and_stop(subs: Path, out: Path, sig: int, after: int, *extra: str):
    """Start a batch, wait until ``after`` students are recorded, send ``sig``; returns the
    process, every process it had under it while it ran, and the rows recorded by then."""
    proc = subprocess.Popen(
        command(subs, out, *extra),
        cwd=KIT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # a background job of a shell starts with Ctrl-C ignored: the batch must hear it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen: set[int] = set()
    deadline = time.monotonic() + 300
    while recorded(out / "gradebook.sqlite") < after:
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the batch made no progress"
        seen |= descendants(proc.pid)
        time.sleep(0.1)
    seen |= descendants(proc.pid)
    proc.send_signal(sig)
    output = proc.communicate(timeout=120)[0]
    return proc, seen, output


def small_class(root: Path, n: int) -> Path:
    subs = root / "subs"
    for i in range(n):
        source = KIT / "solutions" if i % 2 == 0 else SAMPLES / "partial"
        copy_modules(source, subs / f"student{i}")
    return subs


def test_sigkill_mid_batch_then_the_same_command_finishes_with_nothing_lost_or_duplicated(tmp_path):
    subs = small_class(tmp_path, 5)
    out = tmp_path / "out"
    args = ("-k", LOSSES, "--jobs", "1")
    proc, seen, _ = start_and_stop(subs, out, signal.SIGKILL, 2, *args)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while alive(seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(seen), "gradings outlived the killed batch"
    before = dict(
        (s, (i, g)) for i, s, g in _rows(out, "SELECT id, student, graded_at FROM submissions")
    )
    assert 2 <= len(before) < 5

    again = run_batch(subs, out, *args)
    assert again.code == 0, again.output
    assert f"{len(before)} submission(s) already graded" in again.output
    rows = again.rows("SELECT student, count(*) FROM submissions GROUP BY student")
    assert sorted(rows) == [(f"student{i}", 1) for i in range(5)]
    after = {s: (i, g) for i, s, g in again.rows("SELECT id, student, graded_at FROM submissions")}
    assert all(after[s] == before[s] for s in before), "a recorded grading was redone"
    assert len(again.rows("SELECT 1 FROM students WHERE current_submission IS NOT NULL")) == 5
    # the per-test rows are complete: every student has as many as the first one
    counts = {n for (n,) in again.rows("SELECT count(*) FROM test_results GROUP BY submission")}
    assert len(counts) == 1


def _rows(out: Path, sql: str):
    db = sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_ctrl_c_stops_cleanly_keeps_what_was_graded_and_leaves_no_worker(tmp_path):
    subs = small_class(tmp_path, 5)
    out = tmp_path / "out"
    proc, seen, output = start_and_stop(subs, out, signal.SIGINT, 1, "-k", LOSSES, "--jobs", "2")
    assert proc.returncode == 130, output
    assert "interrupted: what was graded is kept" in output
    # a worker stopped as the command ends may need a moment to be gone on a loaded machine (a CI
    # run beside two gradings saw one still there): gone within seconds, never left running
    deadline = time.monotonic() + 5
    while alive(seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(seen), "a grading process or worker outlived Ctrl-C"
    kept = recorded(out / "gradebook.sqlite")
    assert 1 <= kept < 5
    assert len(list((out / "reports").glob("*.html"))) == kept


def test_a_rerun_skips_what_is_graded_and_regrade_redoes_it(tmp_path, reference_losses):
    first = run_batch(reference_losses, tmp_path / "out", "-k", LOSSES)
    assert first.code == 0, first.output
    again = run_batch(reference_losses, tmp_path / "out", "-k", LOSSES)
    assert "1 submission(s) already graded" in again.output and "grading 1" not in again.output
    (tmp_path / "subs" / "ada" / "losses.py").write_text(
        (KIT / "samples" / "partial" / "losses.py").read_text()
    )
    changed = run_batch(reference_losses, tmp_path / "out", "-k", LOSSES)
    assert "grading 1 submission(s)" in changed.output
    redo = run_batch(reference_losses, tmp_path / "out", "-k", LOSSES, "--regrade")
    assert "grading 1 submission(s)" in redo.output
    # the same code, the same inputs: a regrade, and a batch of its own as on another day,
    # give every test the same outcome, points, message and named mistake
    graded = per_test(changed, "ada")
    assert any(row[0] != "passed" for row in graded.values())  # messages with values in them
    assert per_test(redo, "ada") == graded
    assert per_test(run_batch(reference_losses, tmp_path / "later", "-k", LOSSES), "ada") == graded
    # a new content hash is a new submission row; --regrade replaces the row of the same content
    rows = redo.rows("SELECT content_hash FROM submissions WHERE student = 'ada'")
    assert len(rows) == 2 and rows[0] != rows[1]


def test_a_batch_hands_every_grading_the_course_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("DESCENT_INPUT_SECRET", raising=False)
    secret = batch._course_secret(SimpleNamespace(input_seed=None), tmp_path)
    assert secret == (tmp_path / ".descent" / "input-secret").read_text().strip()
    assert batch._course_secret(SimpleNamespace(input_seed="term-1"), tmp_path) == ""


def test_two_submissions_of_one_student_hold_them_until_one_is_left(tmp_path):
    """The newest used to be graded: a planted newer twin then stood in for the honest entry."""
    subs = tmp_path / "subs"
    copy_modules(SAMPLES / "partial", subs / "bo")
    shutil.make_archive(str(subs / "bo"), "zip", KIT / "solutions", ".")
    result = run_batch(subs, tmp_path / "out", "-k", LOSSES)
    assert result.code == 1, result.output  # something for the instructor to resolve
    ((status, message, points),) = result.rows("SELECT status, message, points FROM submissions")
    assert status == "failed" and points == 0, (status, message)
    assert message.startswith("not graded: 2 entries map to this student (bo/, bo.zip;"), message
    assert "held, not graded until you resolve it (1): bo" in " ".join(result.output.split())
    page = (tmp_path / "out" / "reports" / "bo.html").read_text()
    assert "2 entries map to this student" in page
    (subs / "bo.zip").unlink()
    again = run_batch(subs, tmp_path / "out", "-k", LOSSES)
    assert again.code == 0, again.output
    ((status, source),) = again.rows(
        "SELECT s.status, s.source FROM students t JOIN submissions s "
        "ON s.id = t.current_submission"
    )
    assert status == "graded" and source.endswith("bo"), source


def test_the_eta_comes_from_the_measured_times_and_counts_down():
    eta = batch.Eta(slots=2)
    assert eta.estimate(10) is None
    eta.finished(30.0)
    eta.finished(10.0)
    assert eta.estimate(4) == pytest.approx(40.0, abs=0.5)  # 20 s each, 2 at a time
    eta.since -= 15
    assert eta.estimate(4) == pytest.approx(25.0, abs=0.5)  # counts down between two
