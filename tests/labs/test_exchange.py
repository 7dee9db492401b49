"""The course's exchange and feedback release: where the exchange lives, the students.csv
template, and ``descent labs release-feedback`` with a submission placed by hand."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from course import nbexchange as nx  # tests/course: a package beside this one
from isolation.forked import in_child, outcome  # tests/isolation: a package beside this one
from isolation.ordinary_user import account

from descent import commands as cli
from descent.labs import instructor

pytest.importorskip("nbgrader")
from nbgrader.utils import notebook_hash  # noqa: E402

LABS = Path(__file__).resolve().parents[2] / "labs"
BIN = Path(sys.executable).parent
NBGRADER = instructor.nbgrader_command()[0]  # nbgrader as `descent labs` runs it
QUIZ = "quiz1_loss"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with the kit's config, one released quiz and no exchange yet."""
    return _course(tmp_path, monkeypatch)


@pytest.fixture
def shared_course(monkeypatch):
    """The same in a folder other accounts can pass through, as on a shared server (pytest's
    own temporary folder is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="descent-course-"))
    os.chmod(base, 0o755)
    yield _course(base, monkeypatch)
    shutil.rmtree(base, ignore_errors=True)


def _course(base: Path, monkeypatch) -> Path:
    root = base / "course"
    (root / "release" / QUIZ).mkdir(parents=True)
    shutil.copy(LABS / "nbgrader_config.py", root)
    nx.gradebook(root)  # as nbgrader makes it (no `alembic heads` for each test)
    monkeypatch.delenv("DESCENT_EXCHANGE", raising=False)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(name, str(base / name.lower()))
    return root


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*NBGRADER, *args], cwd=course, capture_output=True, text=True, timeout=120
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


# nbgrader parses "HST" as UTC-10: this copy is a day later than its name sorts.
LATER_HST = "2026-11-23 23:00:00.000000 HST"  # 2026-11-24 09:00 UTC
EARLIER_UTC = "2026-11-24 08:00:00.000000 UTC"


def _released(course: Path) -> Path:
    """Release the quiz into the course's private exchange; its inbound folder."""
    shutil.copytree(LABS / "source" / QUIZ, course / "source" / QUIZ)
    shutil.copy(LABS / "source" / QUIZ / f"{QUIZ}.ipynb", course / "release" / QUIZ)
    released = nbgrader(course, "release_assignment", QUIZ, "--force")
    assert released.returncode == 0, released.stderr[-2000:]
    inbound = course / "exchange" / "descent" / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    return inbound


def _copy(inbound: Path, student: str, stamp: str, tail: str, owner: int | None = None) -> Path:
    folder = inbound / f"{student}+{QUIZ}+{stamp}+{tail}"
    folder.mkdir()
    shutil.copy(LABS / "source" / QUIZ / f"{QUIZ}.ipynb", folder / f"{QUIZ}.ipynb")
    if owner is not None:
        for path in (folder, folder / f"{QUIZ}.ipynb"):
            os.chown(path, owner, owner)
    return folder


def _refusals(found: dict, student: str) -> list[str]:
    return [line for line in found.get(student, []) if line.startswith("refused before grading")]


def test_the_copy_collect_takes_is_the_one_inspected(course, tmp_path):
    """A planted copy whose name sorts before the decoy's but whose time is later holds a link
    to a classmate's notebook: collect takes it (nbgrader's own collect copied what the link
    names; the course's refuses it); the preflight used to inspect the decoy, sorted by name,
    and flagged nothing."""
    from descent.labs import exchange, instructor

    inbound = _released(course)
    classmate = tmp_path / "classmate.ipynb"
    shutil.copy(LABS / "source" / QUIZ / f"{QUIZ}.ipynb", classmate)
    classmate.write_text(classmate.read_text().replace('"metadata": {', '"metadata": {"x": 1,', 1))
    planted = inbound / f"mallory+{QUIZ}+{LATER_HST}+aaa"
    planted.mkdir()
    (planted / f"{QUIZ}.ipynb").symlink_to(classmate)
    decoy = _copy(inbound, "mallory", EARLIER_UTC, "zzz")
    assert [c.path for c in exchange.candidates(inbound, QUIZ)["mallory"]] == [planted, decoy]
    collected = nbgrader(course, "collect", QUIZ)
    assert collected.returncode == 0, collected.stderr[-2000:]
    assert not (course / "submitted" / "mallory").exists()  # the planted copy is refused
    at_collect, refusal = _refusals(instructor.preflight(course, QUIZ), "mallory")
    assert at_collect.startswith(
        f"refused before grading: nbgrader collect refused the exchange copy {planted.name}: "
    )
    assert refusal.startswith(
        f"refused before grading: exchange copy {planted.name} (the one collect takes): "
    ) and refusal.endswith(f"{QUIZ}.ipynb is a symbolic link (to {classmate})"), refusal


def test_a_copy_under_a_classmates_name_by_another_account_is_refused(course):
    """The same trick with a copy named for the classmate, written by another account, took
    the classmate from 5/5 to 1/5, unflagged. Where student ids are accounts, the copy's
    writer must be the student; where they are not, no account may write the copies of two
    students."""
    if os.geteuid() != 0:
        pytest.skip("needs root to write copies as other accounts")
    from descent.labs import instructor

    victim = account()
    inbound = _released(course)
    _copy(inbound, victim.pw_name, EARLIER_UTC, "own", victim.pw_uid)
    planted = _copy(inbound, victim.pw_name, LATER_HST, "x", 65534)
    _copy(inbound, "carol", EARLIER_UTC, "own", 61501)  # ids that are not accounts
    _copy(inbound, "mallory", EARLIER_UTC, "own", 61502)
    framed = _copy(inbound, "carol", LATER_HST, "x", 61502)
    found = instructor.preflight(course, QUIZ)
    assert _refusals(found, victim.pw_name) == [
        f"refused before grading: exchange copy {planted.name} (the one collect takes) claims "
        f"to be {victim.pw_name}'s but was written by nobody (nbgrader submit --student?)"
    ], found
    assert _refusals(found, "carol") == [
        f"refused before grading: exchange copy {framed.name} (the one collect takes) claims "
        f"to be carol's but its writer (uid 61502) also wrote the copies of mallory: one "
        f"account submitting for another?"
    ], found
    assert not _refusals(found, "mallory"), found  # mallory's own copy is hers


def test_collected_work_and_keys_are_private_from_the_first_collect(shared_course, monkeypatch):
    """On a shared server collect kept the exchange's 0777 on submitted/<student>/<quiz> and
    the keys stayed 0644 until the first ``descent labs autograde``: another account wrote into
    a classmate's collected folder and read the quiz key. The course's configuration now makes
    them private as every nbgrader command starts and ends, so right after the first collect
    the collected work is 0700 (files 0600) and the keys 0600; ``descent labs autograde`` still
    refuses a student whose collected folder another account wrote into."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another account")
    from descent.commands import labs as labs_command
    from descent.labs import instructor

    user, course = account(), shared_course
    shutil.copytree(LABS / "keys", course / "keys")
    for path in [course / "keys", *(course / "keys").iterdir()]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)  # as a checkout leaves them
    inbound = _released(course)
    _copy(inbound, "ann", EARLIER_UTC, "own")
    _copy(inbound, "bo", EARLIER_UTC, "own")
    for path in inbound.iterdir():
        os.chmod(path, 0o777)  # as nbgrader submit leaves a copy on a shared exchange
    os.chmod(course, 0o755)
    assert nbgrader(course, "collect", QUIZ).returncode == 0
    collected = course / "submitted" / "ann" / QUIZ
    for path in [course / "submitted", *(course / "submitted").rglob("*"), course / "keys",
                 *(course / "keys").iterdir()]:  # fmt: skip
        assert stat.S_IMODE(path.stat().st_mode) in (0o700, 0o600), (path, oct(path.stat().st_mode))

    def reach(_: int) -> dict:
        os.setgroups([])
        os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
        os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
        return {
            "write": outcome(lambda: (collected / "planted.txt").write_text("x")),
            "key": outcome(lambda: (course / "keys" / f"{QUIZ}.json").read_text()),
        }

    assert in_child(reach) == {"write": "EACCES", "key": "EACCES"}  # from the first collect
    # a file another account owns in a collected folder (written there before the folder was
    # private, say) still refuses that student at autograde
    os.chown(course / "submitted" / "bo" / QUIZ / f"{QUIZ}.ipynb", user.pw_uid, user.pw_gid)
    monkeypatch.setattr(labs_command, "autograde", lambda *a, **k: (0, []))
    assert cli.main(["labs", "autograde", QUIZ, "--course", str(course)]) in (0, 1)
    found = instructor.preflight(course, QUIZ)
    assert _refusals(found, "bo") == [
        f"refused before grading: written by another account after nbgrader collect: "
        f"bo/{QUIZ}/{QUIZ}.ipynb (by {user.pw_name})"
    ], found
    assert not _refusals(found, "ann"), found


def test_nbgrader_runs_from_this_python_as_descent_labs_starts_it():
    """`descent labs` starts nbgrader's own main in this Python (without jsonschema's IRI
    parsers, which nbgrader never uses); every nbgrader command of the labs' and the term's tests
    goes through the same command line."""
    command, env = instructor.nbgrader_command()
    assert command[:2] == [sys.executable, "-c"]
    run = subprocess.run([*command, "--version"], env=env, capture_output=True, text=True)
    assert run.returncode == 0 and "nbgrader version" in run.stdout, run.stderr[-2000:]


def test_a_descent_labs_command_reads_notebooks_without_the_iri_parsers():
    """The notebooks a ``descent labs`` command reads load nbformat, and with it jsonschema,
    without ``rfc3987_syntax`` (1.3 CPU-s of parsers no one here uses)."""
    probe = (
        "import sys; from descent.commands import main; "
        f"code = main(['labs', 'rubrics', '*', '--course', {str(LABS)!r}]); "
        "import jsonschema; "
        f"print(code, sys.modules.get({instructor.IRI_PARSERS!r}, 'absent'))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines()[-1] == "0 None"
