"""Red team for the labs: hostile notebooks through the real ``nbgrader autograde`` path.

One course, one ``nbgrader autograde`` run per assignment (quiz 1 and lab 1), with honest
controls graded in the same runs (``ace``: all right, ``blank``: the release untouched,
``wrong``: every answer wrong). The hostile notebooks are in ``redteam_notebooks.py``: shell
escapes and magics, new processes, reading the keys, the graders, the gradebook and other
students' files, writing the gradebook and the keys, patching the grading helpers, answers and
classes that claim to equal anything, forged outputs and metadata, injected and duplicated test
cells, an infinite loop, memory and fork bombs, signals and sockets, and a script in a write-up.
For every one: no unearned point, no marker file, no byte of a key or a grader in any feedback,
the controls' grades unchanged, no surviving process, and the report names what it saw.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from course import nbexchange as nx  # tests/course: a package beside this one

from descent.isolation import confinement
from descent.labs import instructor
from descent.labs.private import make_private

from . import redteam_notebooks as R  # noqa: E402 - beside this file

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine (Landlock and seccomp needed): the course refuses "
    "to grade notebooks without it",
)

LABS = Path(__file__).resolve().parents[2] / "labs"
BIN = Path(sys.executable).parent
NBGRADER = instructor.nbgrader_command()[0]  # nbgrader as `descent labs` runs it
KEY_CANARY = "DESCENT-CANARY-KEY-4b1d9e07"
GRADER_CANARY = "DESCENT-CANARY-GRADER-a83c55f2"


def _env(course: Path) -> dict[str, str]:
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "JUPYTER_CONFIG_DIR": str(course / ".jupyter"),
        "JUPYTER_DATA_DIR": str(course / ".data"),
        "JUPYTER_RUNTIME_DIR": str(course / ".runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "TMPDIR": str(course / "tmp"),
    }  # the fork server and its workers live under it


def _full_env(course: Path) -> dict[str, str]:
    return nx.environment(course) | _env(course)  # the test's own folders, no lab keys


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*NBGRADER, *args],
        cwd=course,
        env=_full_env(course),
        capture_output=True,
        text=True,
        timeout=600,
    )


def key() -> dict:
    return json.loads((LABS / "keys" / f"{R.QUIZ}.json").read_text())["questions"]


def released(course: Path, assignment: str):
    return nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def by_id(nb, name: str):
    return next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")) == name
    )


def with_cells(nb, sources: list[str], fill: dict):
    """The notebook with these code cells after its setup cell."""
    at = nb.cells.index(by_id(nb, "setup")) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(s.format(**fill)) for s in sources]
    return nb


def forge(nb):
    """Forged outputs and metadata: test cells carry full-score outputs and 100 points, an
    ordinary cell claims to be a test cell worth 50, the notebook claims clean findings."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            meta["points"] = 100
            cell.outputs = [
                nbformat.v4.new_output(
                    "execute_result", data={"text/plain": "100"}, execution_count=1
                )
            ]
    bonus = nbformat.v4.new_code_cell("print('bonus')\n50")
    bonus.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "points": 50,
        "locked": True,
        "solution": False,
        "schema_version": 3,
    }
    nb.cells.append(bonus)
    by_id(nb, "q1_answer").metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "q1_answer",
        "points": 5,
        "solution": False,
        "locked": False,
        "schema_version": 3,
    }
    # a missing or old schema version made nbgrader stop grading every later student
    del by_id(nb, "q5_test").metadata["nbgrader"]["schema_version"]
    nb.metadata["descent"] = {"forged_metadata": [], "refused": []}
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    return nb


def inject(nb):
    """Test cells duplicated, moved and deleted: a copy of q1_test that prints a pass after the
    real one, a cell claiming q2_test at the top, q3_test deleted."""
    real = by_id(nb, "q1_test")
    copy = nbformat.v4.new_code_cell("print('q1: correct.')\n1")
    copy.metadata["nbgrader"] = dict(real.metadata["nbgrader"])
    nb.cells.insert(nb.cells.index(real) + 1, copy)
    fake = nbformat.v4.new_code_cell("1")
    fake.metadata["nbgrader"] = dict(by_id(nb, "q2_test").metadata["nbgrader"])
    nb.cells.insert(0, fake)
    nb.cells.remove(by_id(nb, "q3_test"))
    return nb


def solved(course: Path, assignment: str):
    nb = released(course, assignment)
    if assignment == R.QUIZ:
        for qid, entry in key().items():
            by_id(nb, f"{qid}_answer").source = f"{qid} = {entry['answer']!r}"
        return nb
    source = nbformat.read(LABS / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = {
        c.metadata.nbgrader["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") in answers:
            c.source = answers[c.metadata.nbgrader["grade_id"]]
    return nb


def wrong(course: Path):
    nb = released(course, R.QUIZ)
    for qid, entry in key().items():
        by_id(nb, f"{qid}_answer").source = f"{qid} = {'ABCD'.replace(entry['answer'], '')[0]!r}"
    return nb


def submissions(course: Path, fill: dict) -> dict[tuple[str, str], object]:
    subs = {
        ("ace", R.QUIZ): solved(course, R.QUIZ),
        ("ace", R.LAB): solved(course, R.LAB),
        ("blank", R.QUIZ): released(course, R.QUIZ),
        ("blank", R.LAB): released(course, R.LAB),
        ("wrong", R.QUIZ): wrong(course),
    }
    for student, cells in R.QUIZ_CASES.items():
        subs[(student, R.QUIZ)] = with_cells(released(course, R.QUIZ), cells, fill)
    subs[("forgery", R.QUIZ)] = forge(subs[("forgery", R.QUIZ)])
    subs[("injection", R.QUIZ)] = inject(subs[("injection", R.QUIZ)])
    for student, qid in (("loop", "q1"), ("memory", "q2")):
        by_id(subs[(student, R.QUIZ)], f"{qid}_answer").source = f"{qid} = {key()[qid]['answer']!r}"
    fake = released(course, R.LAB)
    for gid in ("task1_answer", "task2_answer", "task3_answer", "task4_answer"):
        by_id(fake, gid).source = "pass"
    subs[("fakeclass", R.LAB)] = with_cells(fake, [R.FAKE_CLASSES], fill)
    script = released(course, R.LAB)
    by_id(script, "w1").source = R.SCRIPT
    script.cells.append(nbformat.v4.new_markdown_cell(R.SCRIPT))
    script.cells.append(
        nbformat.v4.new_code_cell("print(\"<script>alert('descent-xss')</script>\")")
    )
    script.cells.append(
        nbformat.v4.new_raw_cell('<a href="https://phish.example/login">your real grade</a>')
    )
    subs[("script", R.LAB)] = script
    claimed = solved(course, R.LAB)  # every loss plain BCE, RESULTS written by hand
    by_id(claimed, "task4_answer").source = R.CLAIMED_RESULTS
    subs[("claimed", R.LAB)] = claimed
    listed = released(course, R.QUIZ)  # a grade_id that is a list
    by_id(listed, "q1_text").metadata.nbgrader["grade_id"] = ["q1_text", "x"]
    subs[("listid", R.QUIZ)] = listed
    unlocked = released(course, R.QUIZ)  # a test cell unlocked and edited; q1 answered right
    by_id(unlocked, "q1_answer").source = f"q1 = {key()['q1']['answer']!r}"
    test_cell = by_id(unlocked, "q1_test")
    test_cell.metadata.nbgrader.update(grade=False, locked=False, points=0)
    test_cell.source = "print('all tests passed')"
    subs[("unlock", R.QUIZ)] = unlocked
    return subs


def earned(student: str) -> float:
    """What each quiz-1 student may legitimately score (``patch`` answers "A" in its own cell,
    but the answer cells after it leave every answer blank)."""
    return {"ace": 5.0, "loop": 1.0, "memory": 1.0, "unlock": 1.0}.get(student, 0.0)


class Listener:
    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(4)
        self.tcp.setblocking(False)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.setblocking(False)

    def heard(self) -> bool:
        for attempt in (lambda: self.tcp.accept(), lambda: self.udp.recv(100)):
            try:
                attempt()
                return True
            except BlockingIOError:
                pass
        return False


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam")
    (root / "tmp").mkdir()
    shutil.copytree(LABS / "source", root / "source")
    shutil.copytree(LABS / "graders", root / "graders")
    shutil.copytree(LABS / "keys", root / "keys")
    for path in (root / "keys").glob("*.json"):  # canaries: never seen outside the grader
        data = json.loads(path.read_text())
        data["canary"] = KEY_CANARY
        path.write_text(json.dumps(data))
    for path in (root / "graders").glob("*.py"):
        path.write_text(path.read_text() + f"\n# {GRADER_CANARY}\n")
    shutil.copy(LABS / "nbgrader_config.py", root)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(
            "c.ConfinedExecute.timeout = 10\nc.ConfinedExecute.call_timeout = 10\n"
            "c.ConfinedExecute.memory_mb = 1536\n"
        )
    nx.gradebook(root)
    generate = [["generate_assignment", name, "--create"] for name in (R.QUIZ, R.LAB)]
    nx.set_up(root, *generate, env=_full_env(root))
    marker = root / "tmp" / "MARKER"
    listener = Listener()
    fill = {"course": str(root), "marker": str(marker), "port": listener.port}
    subs = submissions(root, fill)
    for (student, assignment), nb in subs.items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    linked = root / "submitted" / "linker" / R.LAB  # a symlink to the source
    linked.mkdir(parents=True)
    os.symlink(root / "source" / R.LAB / f"{R.LAB}.ipynb", linked / f"{R.LAB}.ipynb")
    # descent labs autograde makes the keys private first (descent.labs.private); after that,
    # nothing a notebook does may change them
    make_private(root)
    guarded = {p: p.stat() for p in (root / "keys", root / "keys" / f"{R.QUIZ}.json")}
    written = (root / "submitted" / "ace" / R.QUIZ / f"{R.QUIZ}.ipynb").read_bytes()
    # one nbgrader run per assignment, through descent's wrapper (progress and report)
    from descent import commands as cli

    with pytest.MonkeyPatch.context() as env:
        for name, value in _env(root).items():
            env.setenv(name, value)
        env.delenv("DESCENT_LABS_KEYS", raising=False)
        code = cli.main(["labs", "autograde", R.QUIZ, R.LAB, "--course", str(root)])
    feedback = nbgrader(root, "generate_feedback", R.QUIZ)
    feedback_lab = nbgrader(root, "generate_feedback", R.LAB)
    export = nbgrader(root, "export")
    assert export.returncode == 0, export.stderr[-2000:]
    with open(root / "grades.csv", newline="") as handle:
        grades = {
            (r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(handle)
        }
    return {
        "root": root,
        "written": written,
        "grades": grades,
        "marker": marker,
        "code": code,
        "guarded": {p: (before, p.stat()) for p, before in guarded.items()},
        "listener": listener,
        "feedback": (feedback, feedback_lab),
    }


def test_no_unearned_points_and_controls_unchanged(course):
    grades = course["grades"]
    for student in ["ace", "blank", "wrong", "unlock", *R.QUIZ_CASES]:
        assert grades[(student, R.QUIZ)] == earned(student), student
    assert grades[("ace", R.LAB)] == 9.0
    for student in ("blank", "fakeclass", "script"):
        assert grades[(student, R.LAB)] == 0.0, student
    assert grades[("claimed", R.LAB)] == 7.0  # all but task 4's 2 points


def test_nothing_escaped_the_sandbox(course):
    root = course["root"]
    assert not course["marker"].exists()
    assert not (root / "MARKER").exists() and not (root / "graders" / "evil.py").exists()
    assert json.loads((root / "keys" / f"{R.QUIZ}.json").read_text())["questions"] == key()
    assert not course["listener"].heard()
    for path, (before, after) in course["guarded"].items():  # no chmod, utime or chown
        assert (before.st_mode, before.st_mtime_ns, before.st_uid) == (
            after.st_mode,
            after.st_mtime_ns,
            after.st_uid,
        ), path
    assert (root / "submitted" / "ace" / R.QUIZ / f"{R.QUIZ}.ipynb").read_bytes() == course[
        "written"
    ]


def test_no_surviving_process(course):
    tmp = str(course["root"] / "tmp")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        assert not cwd.startswith(tmp), f"process {proc.name} still runs in {cwd}"
    assert not list(Path(tmp).glob("descent-grade-*")), "a fork server left its folder"


def _feedback(root: Path, student: str, assignment: str) -> str:
    path = root / "feedback" / student / assignment / f"{assignment}.html"
    return path.read_text() if path.is_file() else ""


def _text(html_text: str) -> str:
    """What a reader of the page sees: no styles or scripts, no tags, entities decoded."""
    html_text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html_text, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", html_text)))


def test_no_key_or_grader_byte_in_any_feedback(course):
    root = course["root"]
    shown = (LABS / "source" / R.LAB / f"{R.LAB}.ipynb").read_text()
    secret_lines = [
        ln.strip()
        for ln in (LABS / "graders" / f"{R.LAB}.py").read_text().splitlines()
        if len(ln.strip()) > 30 and ln.strip() not in shown
    ]
    k = key()
    texts = {p: _text(p.read_text()) for p in (root / "feedback").rglob("*") if p.is_file()}
    assert len(texts) >= 15, "feedback is missing"
    for path, text in texts.items():
        student = path.relative_to(root / "feedback").parts[0]
        assert KEY_CANARY not in text and GRADER_CANARY not in text, path
        assert '"answer":' not in text and "Traceback" not in text, path
        for line in secret_lines:
            assert line not in text, (path, line)
        if student in ("ace", "blank", "wrong"):  # hostile cells quote the path themselves
            assert str(root) not in text and "site-packages" not in text, path
        if student not in ("ace", "loop", "memory", "unlock"):  # nobody else answered right
            for entry in k.values():
                assert entry["right"][:60] not in text, (path, entry["right"][:60])


def test_wrong_answers_get_the_sentence_not_a_traceback(course):
    text = _text(_feedback(course["root"], "wrong", R.QUIZ))
    for qid, entry in key().items():
        assert f"{qid}: not this one. {entry['wrong'][:60]}" in text, qid
    assert "AssertionError" not in text and "Traceback" not in text


def test_script_in_a_write_up_is_shown_as_text(course):
    root = course["root"]
    text = _feedback(root, "script", R.LAB)
    assert text, "no feedback for the script notebook"
    assert not re.search(r"<script>\s*alert|<img[^>]*onerror|href=\"javascript:", text)
    assert "&lt;script&gt;alert" in text and "[click]" in text
    assert 'href="https://phish.example' not in text and "phish.example/login" in text
    graded = nbformat.read(root / "autograded" / "script" / R.LAB / f"{R.LAB}.ipynb", as_version=4)
    assert "<script>" not in by_id(graded, "w1").source  # what formgrader renders


def test_a_replaced_cell_runner_cannot_grow_the_graded_notebook(course):
    """Every field of a cell's reply is capped on the grading side, whatever the worker's own
    cell runner became (the output budget is ConfinedExecute.max_notebook_output)."""
    path = course["root"] / "autograded" / "flood" / R.QUIZ / f"{R.QUIZ}.ipynb"
    assert path.stat().st_size < 2_500_000, path.stat().st_size
    graded = nbformat.read(path, as_version=4)
    names = [o.ename for c in graded.cells for o in c.get("outputs", []) if "ename" in o]
    assert len(names) >= 6 and all(len(name) <= 100 for name in names), names
    refused = graded.metadata["descent"]["refused"]
    assert refused and all(len(line) <= 320 for line in refused)


def test_report_names_the_tampering(course):
    from descent.labs import instructor

    found = instructor.report(course["root"], [R.QUIZ, R.LAB])
    quiz = {s: " ".join(p) for s, p in found[R.QUIZ].items()}
    assert "redefined grading name" in quiz["patch"] and "hidden_checks" in quiz["patch"]
    assert "confinement refused" in quiz["keys"] and "keys/quiz1_loss.json" in quiz["keys"]
    assert "confinement refused: cell" in quiz["gradebook"] and "gradebook.db" in quiz["gradebook"]
    assert "forged nbgrader metadata" in quiz["forgery"] and "bonus" in quiz["forgery"]
    assert "schema version None put back" in quiz["forgery"]
    assert "deleted locked cells q3_test" in quiz["injection"]
    assert "restarted" in quiz["loop"]
    assert quiz["ace"] == "" and quiz["blank"] == "" and quiz["wrong"] == ""
    assert "refused before grading" in quiz["listid"] and "grade_id is a list" in quiz["listid"]
    assert "q1_test" in quiz["unlock"] and "put back" in quiz["unlock"]
    assert "nbgrader rejected" not in quiz["unlock"]
    lab = " ".join(found[R.LAB]["linker"])
    assert "refused before grading" in lab and "symbolic link" in lab
    assert course["grades"].get(("linker", R.LAB), 0.0) == 0.0
    assert course["grades"].get(("listid", R.QUIZ), 0.0) == 0.0
    assert course["code"] == 0, "no notebook should have been rejected"
