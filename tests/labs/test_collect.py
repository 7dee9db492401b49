"""The course's ``nbgrader collect`` (``descent.labs.collect``, named in the course's
``nbgrader_config.py``) through nbgrader 0.9.6's real exchange, as root and as an ordinary
user, replaying round six's breaks (issue 58):

* **a link to the instructor's source**: eve's exchange copy holds a symbolic link to the
  source notebook; collect copied the source as hers, and once she deleted her copy nothing
  showed it. Now collect refuses her copy and says why, nothing of hers is collected, and
  ``descent labs autograde``'s preflight lists the refusal after the copy is gone;
* **a link to a classmate's collected notebook, over two collects**: after the first collect
  mal submits again with her notebook a link to ``submitted/ann/quiz1_loss/quiz1_loss.ipynb``;
  the second collect (``--update``) gave her ann's 5/5 (her own answers were wrong). Now that
  copy is refused, her own first copy stays, and she is refused before grading;
* **a time the student sets**: fi makes a copy by hand in the exchange, named 19 hours before
  she makes it, and sets its files' modification times back with ``touch -d``; it was read as
  handed in then (on time, unflagged) while cy, who handed in the same notebook at the same
  moment, was 17 hours late. Now fi's time is when collect found her copy written: the same
  penalty as cy's, and flagged.

The submissions are made on the real clock (a file's change time cannot be set), a few seconds
apart; the course is released once for both lanes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from course import nbexchange as nx  # tests/course: a package beside this one
from isolation.ordinary_user import account, give, run_as

pytest.importorskip("nbgrader")

QUIZ = "quiz1_loss"
STUDENTS = [(s, s.title(), "Doe") for s in ("ann", "cy", "eve", "fi", "mal")]
UTC = timezone.utc


def _answers(course: Path, right: bool | int) -> str:
    """The released quiz, every answer right (or every one wrong; or the first ``right``)."""
    nb = json.loads((course / "release" / QUIZ / f"{QUIZ}.ipynb").read_text())
    key = json.loads((nx.LABS / "keys" / f"{QUIZ}.json").read_text())["questions"]
    count = len(key) if right is True else int(right)
    for n, (qid, entry) in enumerate(key.items()):
        answer = entry["answer"] if n < count else "ABCD".replace(entry["answer"], "")[0]
        for cell in nb["cells"]:
            if "".join(cell["source"]).startswith(f"{qid} = "):
                cell["source"] = f"{qid} = {answer!r}"
    return json.dumps(nb)


def _collect(course: Path, user, *more: str) -> str:
    argv = [*nx.NBGRADER, "collect", QUIZ, *more]
    kw = dict(cwd=course, env=nx.environment(course.parent), capture_output=True, text=True)
    if user is not None:
        give(user, course.parent)
    run = subprocess.run(argv, **kw) if user is None else run_as(user, argv, **kw)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stderr


def _submit(course: Path, *handed: tuple[str, datetime, bool | int]) -> list[Path]:
    """Each (student, moment, every answer right? or how many) submitted in turn, in one
    process."""
    config = nx.student_config(course, None)
    return nx.submit(
        course,
        [
            dict(student=s, assignment=QUIZ, at=at.isoformat(), config=config,
                 files={f"{QUIZ}.ipynb": _answers(course, right)})
            for s, at, right in handed
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def released():
    """The course with the quiz released, made once (three nbgrader commands, one process)."""
    path = Path(tempfile.mkdtemp(prefix="descent-collect-course-"))
    try:
        yield nx.make_course(path, [QUIZ], STUDENTS, None)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def course(released):
    """A copy of it in a folder of /tmp that the ordinary account can pass through."""
    path = Path(tempfile.mkdtemp(prefix="descent-collect-"))
    os.chmod(path, 0o755)
    shutil.copytree(released, path / "course", symlinks=True)
    yield path / "course"
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("lane", ["root", "ordinary user"])
def test_collect_never_follows_a_link_and_times_rest_on_what_the_instructor_recorded(course, lane):
    from descent.course import lateness, nbrecords
    from descent.course import plan as plan_mod
    from descent.labs import instructor

    user = account() if lane == "ordinary user" else None
    inbound = course / "exchange" / nx.COURSE_ID / "inbound"
    now = datetime.now(UTC).replace(microsecond=0)
    _, mine = _submit(course, ("ann", now, True), ("mal", now, False))
    _collect(course, user)
    mal_first = (course / "submitted" / "mal" / QUIZ / f"{QUIZ}.ipynb").read_text()
    assert json.loads(mal_first) != json.loads(_answers(course, right=True))
    # mal submits again (her notebook then a link to ann's collected one), eve once (hers a
    # link to the instructor's source), cy once; fi makes her copy by hand, named 19 hours
    # before, its files' modification times set back
    cy_at = datetime.now(UTC)
    again, eve, _ = _submit(
        course, ("mal", now + timedelta(minutes=1), False), ("eve", now, False), ("cy", cy_at, True)
    )
    (again / f"{QUIZ}.ipynb").unlink()
    (again / f"{QUIZ}.ipynb").symlink_to(course / "submitted" / "ann" / QUIZ / f"{QUIZ}.ipynb")
    (eve / f"{QUIZ}.ipynb").unlink()
    (eve / f"{QUIZ}.ipynb").symlink_to(course / "source" / QUIZ / f"{QUIZ}.ipynb")
    claimed = cy_at - timedelta(hours=19)
    forged = inbound / f"fi+{QUIZ}+{claimed.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC+forged"
    forged.mkdir()
    (forged / f"{QUIZ}.ipynb").write_text(_answers(course, right=True))
    (forged / "timestamp.txt").write_text(f"{claimed.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC")
    (forged / "submission_secret.txt").write_text("x" * 64)
    nx.touch(forged, claimed.isoformat())  # touch -d: the modification times only
    log = _collect(course, user, "--update")
    for copy in (again, eve):
        shutil.rmtree(copy)  # the links gone after collect: nothing in the exchange shows them

    # nothing a link named was collected; mal keeps her own first copy
    assert not (course / "submitted" / "eve").exists()
    assert (course / "submitted" / "mal" / QUIZ / f"{QUIZ}.ipynb").read_text() == mal_first
    for student, copy in (("eve", eve), ("mal", again)):
        assert f"descent: {student}'s exchange copy {copy.name} is not collected" in log, log
    found = instructor.preflight(course, QUIZ)
    for student, copy in (("eve", eve), ("mal", again)):
        assert found[student][0] == (
            f"refused before grading: nbgrader collect refused the exchange copy {copy.name}: "
            f"exchange copy {copy.name} (the one collect takes): {QUIZ}.ipynb is a symbolic "
            f"link (to {course / ('source' if student == 'eve' else 'submitted/ann') / QUIZ}"
            f"/{QUIZ}.ipynb)"
        ), found[student]
    assert not any(line.startswith("refused") for s in ("ann", "cy", "fi") for line in found[s])

    # fi's time is when collect found her copy written: cy's penalty, and flagged
    records = nbrecords.Records(course)
    cy, fi = (records.submitted(s, QUIZ, None).when for s in ("cy", "fi"))
    assert cy.source == lateness.TIMESTAMP and not cy.doubt, cy
    assert abs(fi.at - cy_at) < timedelta(minutes=2), (fi, cy_at)
    assert fi.doubt.startswith("counted from when it was written"), fi
    due = cy_at - timedelta(hours=17, minutes=30)
    policy = plan_mod.LatePolicy(penalty=3, per="hour", cap=100)
    assert (
        lateness.penalty(policy, due, fi.at).percent == lateness.penalty(policy, due, cy.at).percent
    )
    assert lateness.penalty(policy, due, cy.at).percent == 54  # 17 h 30 min: 18 started hours
