"""The course's exchange and feedback release: where the exchange lives, the students.csv
template, and ``descent labs release-feedback`` with a submission placed by hand."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from descent import commands as cli

pytest.importorskip("nbgrader")
from nbgrader.utils import notebook_hash  # noqa: E402

LABS = Path(__file__).resolve().parents[2] / "labs"
BIN = Path(sys.executable).parent
QUIZ = "quiz1_loss"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with the kit's config, one released quiz and no exchange yet."""
    root = tmp_path / "course"
    (root / "release" / QUIZ).mkdir(parents=True)
    shutil.copy(LABS / "nbgrader_config.py", root)
    monkeypatch.delenv("DESCENT_EXCHANGE", raising=False)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    return root


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, timeout=120
    )


def feedback(course: Path, student: str, secret: str | None) -> Path:
    folder = course / "feedback" / student / QUIZ
    folder.mkdir(parents=True)
    (folder / f"{QUIZ}.html").write_text(f"<p>feedback for {student}</p>")
    if secret:
        (folder / "timestamp.txt").write_text("2026-11-02 09:30:00.000000 UTC")
        (folder / "submission_secret.txt").write_text(secret)
    return folder


def test_the_exchange_is_private_to_the_course_unless_one_is_named(course, tmp_path, monkeypatch):
    # nbgrader's own default is a system folder any user may write into; the course never
    # falls back to it
    listed = nbgrader(course, "list", "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    exchange = course / "exchange"
    assert exchange.is_dir() and stat.S_IMODE(exchange.stat().st_mode) == 0o700
    shared = tmp_path / "shared-exchange"
    shared.mkdir()
    monkeypatch.setenv("DESCENT_EXCHANGE", str(shared))
    shutil.rmtree(exchange)
    assert nbgrader(course, "list", "--json").returncode == 0
    assert not exchange.exists()


def test_the_students_template_imports(course):
    shutil.copy(LABS / "students.csv", course)
    run = nbgrader(course, "db", "student", "import", "students.csv")
    assert run.returncode == 0, run.stderr[-2000:]
    listed = nbgrader(course, "db", "student", "list")
    assert "jdoe" in listed.stdout + listed.stderr


def test_release_feedback_skips_and_names_a_submission_made_without_the_exchange(course, capsys):
    feedback(course, "ann", secret="ann-secret")
    by_hand = feedback(course, "bo", secret=None)  # placed in submitted/ by hand
    feedback(course, "cy", secret="cy-secret")
    assert cli.main(["labs", "release-feedback", QUIZ, "--course", str(course)]) == 0
    out = capsys.readouterr().out
    released = course / "exchange" / "descent" / "feedback"
    for student in ("ann", "cy"):
        page = released / f"{notebook_hash(secret=f'{student}-secret', notebook_id=QUIZ)}.html"
        assert page.read_text() == f"<p>feedback for {student}</p>"
    assert len(list(released.iterdir())) == 2
    assert "bo did not submit through the exchange" in out and str(by_hand) in " ".join(out.split())
    assert "feedback released to 2 student(s)" in out


def test_the_exchange_stays_private_after_release_and_planted_links_are_refused(course, tmp_path):
    """nbgrader's release_assignment makes the exchange's root 0777; the course's config puts it
    back when the command ends. A link planted in the exchange after ``nbgrader submit``, and
    a copy written by another account than the student it names, reach the report."""
    from descent.labs import instructor

    shutil.copytree(LABS / "source" / QUIZ, course / "source" / QUIZ)
    shutil.copy(LABS / "source" / QUIZ / f"{QUIZ}.ipynb", course / "release" / QUIZ)
    released = nbgrader(course, "release_assignment", QUIZ, "--force")
    assert released.returncode == 0, released.stderr[-2000:]
    exchange = course / "exchange"
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o700
    inbound = exchange / "descent" / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    stamp = "2026-11-23 12:00:00.000000 UTC"
    planted = inbound / f"mallory+{QUIZ}+{stamp}+abc"
    planted.mkdir()
    os.symlink(course / "source" / QUIZ / f"{QUIZ}.ipynb", planted / f"{QUIZ}.ipynb")
    hard = inbound / f"trudy+{QUIZ}+{stamp}+ghi"
    hard.mkdir()
    os.link(course / "source" / QUIZ / f"{QUIZ}.ipynb", hard / f"{QUIZ}.ipynb")
    honest = inbound / f"nobody+{QUIZ}+{stamp}+def"  # an account of this machine
    honest.mkdir()
    (honest / f"{QUIZ}.ipynb").write_text("{}")
    found = instructor.preflight(course, QUIZ)
    assert any(
        line.startswith("refused before grading: exchange copy mallory+")
        and "symbolic link" in line
        for line in found["mallory"]
    ), found
    assert any(
        line.startswith("refused before grading: exchange copy trudy+") and "hard link" in line
        for line in found["trudy"]
    ), found
    if os.geteuid() != 65534:  # the copy was written by this account, not by 'nobody'
        assert any(
            "claims to be nobody's but was written by" in line for line in found["nobody"]
        ), found
