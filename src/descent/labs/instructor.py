"""The instructor's side of the nbgrader labs and quizzes (the ``descent labs`` commands).

* :func:`preflight` and :func:`report`: what each submission shows before grading (not a
  notebook, locked cells deleted or edited, links, exchange files) and after (the confined
  executor's findings, nbgrader's rejections), as one table per assignment;
* :func:`autograde`: ``nbgrader autograde`` with one progress line per student, and
  :func:`rejections`, why nbgrader rejected a submission, read from its log;
* :func:`rubrics`: the rubric of every manually graded cell.

The grades that nbgrader exports are joined with the code exercises' by
:mod:`descent.course.merge`.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..errors import DescentError
from . import collected, exchange, findings, private, submissions
from .cellmeta import grade_id, nbgrader, source
from .submissions import refused

NOT_A_NOTEBOOK = "not a valid notebook"


def course_folder(option: str | None) -> Path:
    """``--course``, else the working directory when it is the course folder, else ./labs."""
    course = Path(option or ("." if Path("nbgrader_config.py").is_file() else "labs")).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise DescentError(f"{course} has no nbgrader_config.py (use --course)")
    return course


def _grade_cells(nb) -> dict[str, dict]:
    return {gid: c for c in nb.cells if (gid := grade_id(c))}


def _notebook(path: Path):
    import nbformat  # optional dependency: descent[labs]

    return nbformat.read(path, as_version=4)


def _notebook_or_none(path: Path):
    try:
        return _notebook(path)
    except Exception:  # noqa: BLE001 - no source notebook: its copies cannot be recognised
        return None


def preflight(course: Path, assignment: str) -> dict[str, list[str]]:
    """Problems of each submission that nbgrader would report late, unclearly, or not at all:
    ``{student: [problem, ...]}`` for every student with a submission folder. A problem that
    starts with ``descent.labs.submissions.REFUSED`` keeps the submission from being graded."""
    problems: dict[str, list[str]] = {}
    release = course / "release" / assignment
    released = {p.name: _grade_cells(_notebook(p)) for p in sorted(release.glob("*.ipynb"))}
    sources = {name: _notebook_or_none(course / "source" / assignment / name) for name in released}
    collector = _owner(course / "submitted")
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        found = problems.setdefault(student, [])
        found += submissions.links(folder)
        others = private.written_by_others(folder, collector)
        if others:
            found.append(
                f"{submissions.REFUSED}written by another account after nbgrader collect: "
                + ", ".join(others[:5])
                + (" ..." if len(others) > 5 else "")
            )
        for name, cells in released.items():
            path = folder / name
            if path.is_symlink():
                continue  # refused above
            if not path.is_file():
                found.append(f"{name}: missing (scores 0)")
                continue
            try:
                nb = _notebook(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
                found.append(
                    f"{name}: {NOT_A_NOTEBOOK} ({type(exc).__name__}: "
                    f"{(str(exc).splitlines() or [''])[0][:80]}); nbgrader cannot grade "
                    f"it, every cell stays 'needs manual grade'"
                )
                continue
            refusals = submissions.notebook_problems(name, nb, sources[name])
            found += refusals or _locked_cell_problems(name, cells, _grade_cells(nb))
    for student, lines in exchange.problems(course, assignment).items():
        problems.setdefault(student, []).extend(lines)
    for student, why in _refused_at_collect(course, assignment).items():
        problems.setdefault(student, []).insert(0, why)
    return problems


def _refused_at_collect(course: Path, assignment: str) -> dict[str, str]:
    """The students whose last copy the course's ``nbgrader collect`` refused
    (:mod:`.collect`), with why: a copy collected earlier is not theirs to be graded by until
    the instructor has looked (the exchange copy may be gone by now)."""
    out = {}
    for record in collected.records(course, assignment):
        if record.refused:
            out[record.student] = (
                f"{submissions.REFUSED}nbgrader collect refused the exchange copy "
                f"{record.copy}: {record.refused}"
            )
        else:
            out.pop(record.student, None)
    return out


def _owner(path: Path) -> int:
    """Who collected the submissions (the owner of ``submitted/``; this account if none)."""
    try:
        return path.stat().st_uid
    except OSError:
        return os.geteuid()


def _locked_cell_problems(name: str, released: dict, mine: dict) -> list[str]:
    found = []
    locked = [gid for gid, c in released.items() if nbgrader(c).get("locked")]
    deleted = [gid for gid in locked if gid not in mine]
    edited = [gid for gid in locked if gid in mine and source(mine[gid]) != source(released[gid])]
    if deleted:
        found.append(
            f"{name}: deleted locked cells {', '.join(deleted)}; their points "
            f"stay 'needs manual grade' in formgrader"
        )
    if edited:
        found.append(
            f"{name}: edited locked cells {', '.join(edited)}; nbgrader restores "
            f"the originals before grading"
        )
    flags = ("grade", "solution", "locked", "points")
    unlocked = [
        gid
        for gid in locked
        if gid in mine
        and any(nbgrader(mine[gid]).get(k) != nbgrader(released[gid]).get(k) for k in flags)
    ]
    if unlocked:
        found.append(
            f"{name}: changed the nbgrader flags of locked cells {', '.join(unlocked)} "
            f"(unlocked them); the flags are put back before grading"
        )
    return found


def released(course: Path, patterns: list[str]) -> list[str]:
    """The released assignments whose names match one of the glob ``patterns``."""
    names = (
        sorted(p.name for p in (course / "release").iterdir() if p.is_dir())
        if (course / "release").is_dir()
        else []
    )
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, pat) for pat in patterns)]
    if not chosen:
        raise DescentError(
            f"no released assignment matches {' '.join(patterns)} in "
            f"{course / 'release'} (run nbgrader generate_assignment first)"
        )
    return chosen


def report(course: Path, assignments: list[str], console=None) -> dict[str, dict[str, list[str]]]:
    """Print one table per assignment: each submission's score, autograde status and problems
    (what the submission itself shows, what the confined executor noticed, and why nbgrader
    rejected it). Returns the problems found, ``{assignment: {student: [problem, ...]}}``."""
    found = {}
    rejected = _read_rejections(course)
    for assignment in assignments:
        problems = found[assignment] = preflight(course, assignment)
        for student, lines in problems.items():
            lines += _graded_findings(course, assignment, student)
        failed = {(assignment, s) for s in rejected.get(assignment, {})}
        for student, reason in rejected.get(assignment, {}).items():
            problems.setdefault(student, []).append(f"nbgrader rejected it: {reason}")
        scores = _scores(course, assignment)
        table = Table(
            "student",
            "autograde",
            "score",
            "problems",
            title=Text(f"{assignment}: {len(problems)} submission(s)"),
        )
        for student in sorted(problems):
            score, top, manual = scores.get(student, (None, None, False))
            unreadable = any(NOT_A_NOTEBOOK in line for line in problems[student])
            status = (
                Text("refused", style="red")
                if refused(problems[student])
                else (
                    Text("failed", style="red")
                    if (assignment, student) in failed or unreadable
                    else Text("not graded" if score is None else "ok")
                )
            )
            text = (
                ""
                if score is None
                else f"{score:g}/{top:g}" + (" (needs manual grade)" if manual else "")
            )
            # everything a student can name (their id, file names, paths) is text, not markup
            table.add_row(Text(student), status, text, Text("\n".join(problems[student]) or "-"))
        if console is not None:
            console.print(table)
    return found


def _graded_findings(course: Path, assignment: str, student: str) -> list[str]:
    """What the confined executor noted in the autograded notebooks (descent.labs.findings)."""
    out = []
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        out += [f"{path.name}: {line}" for line in findings.lines(findings.read(path))]
    return out


REJECTIONS = Path(".descent") / "autograde-rejections.json"


def _read_rejections(course: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads((course / REJECTIONS).read_text())
    except (OSError, ValueError):
        return {}


def save_rejections(
    course: Path, assignment: str, graded: set[str], reasons: dict[str, str]
) -> None:
    """Keep, per assignment, why nbgrader rejected each submission of its latest run (the
    report shows it later without grading again)."""
    table = _read_rejections(course)
    kept = {s: r for s, r in table.get(assignment, {}).items() if s not in graded}
    table[assignment] = {**kept, **reasons}
    (course / REJECTIONS).parent.mkdir(exist_ok=True)
    (course / REJECTIONS).write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")


def rejections(stderr_lines: list[str]) -> dict[str, str]:
    """``{student: reason}`` from nbgrader autograde's log. nbgrader logs, per failed
    submission, "There was an error processing assignment: <course>/submitted/<student>/<a>"
    and then the traceback, whose last line is the reason; at the end it lists the students
    again ("... for student 'x'"), which only adds those whose traceback was not found."""
    reasons, current, in_traceback = {}, None, False
    for line in stderr_lines:
        text = line.strip()
        if "There was an error processing assignment: " in text:
            folder = text.split("There was an error processing assignment: ", 1)[1].strip()
            current, in_traceback = Path(folder).parent.name, False
            reasons[current] = "see nbgrader's log"
        elif "for student '" in text and "There was an error processing assignment" in text:
            reasons.setdefault(text.split("for student '")[1].split("'")[0], "see nbgrader's log")
            current = None
        elif "Traceback (most recent call last)" in text:
            in_traceback = True
        elif (
            current
            and in_traceback
            and text
            and not line.startswith("[")
            and ":" in text
            and not text.startswith(("File ", "^", "~", "The above exception"))
        ):
            reasons[current] = text[:300]  # the exception line ends the traceback
    return reasons


# nbgrader's own console script, less one import. jsonschema (under nbformat) imports
# rfc3987_syntax where it is installed (jupyter's packages install it), which builds about 40
# parsers for the "iri" formats at import: 1.3 of the 2.4 CPU-s an `nbgrader --version` took
# here. Neither nbformat nor nbgrader checks formats, so nothing they do reads those parsers.
IRI_PARSERS = "rfc3987_syntax"
NBGRADER_MAIN = (
    f"import sys; sys.modules[{IRI_PARSERS!r}] = None; sys.argv[0] = 'nbgrader'; "
    "from nbgrader.apps.nbgraderapp import main; sys.exit(main())"
)


def without_iri_parsers() -> None:
    """For the process of a ``descent labs`` command, which reads notebooks with nbformat:
    nbformat loads without those parsers, as nbgrader does when :func:`nbgrader_command`
    starts it (not done on import: a program that imports the kit keeps its jsonschema whole)."""
    if IRI_PARSERS not in sys.modules:
        sys.modules[IRI_PARSERS] = None  # type: ignore[assignment]  # None: importing it raises ImportError


def nbgrader_command() -> tuple[list[str], dict[str, str]]:
    """The ``nbgrader`` command line (before its subcommand) and the environment to run it
    in: nbgrader of this Python, else the ``nbgrader`` on the PATH."""
    if importlib.util.find_spec("nbgrader") is not None:
        command = [sys.executable, "-c", NBGRADER_MAIN]
    else:
        command = [shutil.which("nbgrader") or str(Path(sys.executable).parent / "nbgrader")]
    # nbgrader calls `alembic` and `jupyter` by name: they live beside this Python.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return command, env


EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def autograde(
    nbgrader: list[str],
    assignment: str,
    course: Path,
    env: dict,
    students: list[str],
    console,
    left_out: list[str] | tuple[()] = (),
) -> tuple[int, list[str]]:
    """Run ``nbgrader autograde`` (without the students ``left_out``) with one progress line
    per student; returns its exit code and its log lines."""
    command = [*nbgrader, "autograde", assignment]
    if left_out:
        command.append(f"--CourseDirectory.student_id_exclude={','.join(left_out)}")
    if not students:
        return 0, []
    proc = subprocess.Popen(
        command, cwd=course, env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    log, seen = [], set()
    for line in proc.stderr or ():
        log.append(line.rstrip("\n"))
        if "| INFO] Sanitizing " in line:
            student = Path(line.split("Sanitizing ", 1)[1].strip()).parent.parent.name
            if student not in seen:
                seen.add(student)
                console.print(f"  \\[{len(seen)}/{len(students)}] {escape(student)}")
    return proc.wait(), log


def _scores(course: Path, assignment: str) -> dict[str, tuple[float, float, bool]]:
    from nbgrader.api import Gradebook, MissingEntry  # optional dependency: descent[labs]

    out: dict[str, tuple[float, float, bool]] = {}
    db = course / "gradebook.db"
    if not db.is_file():
        return out
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return out
        for sub in submissions:
            out[sub.student.id] = (sub.score, sub.max_score, bool(sub.needs_manual_grade))
    return out


def rubrics(course: Path, assignment: str) -> list[tuple[str, float, str]]:
    """``(grade_id, points, rubric)`` of each manually graded cell of the source notebooks."""
    import nbformat  # optional dependency: descent[labs]

    out = []
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and meta.get("solution"):
                text = cell.source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
                out.append((meta["grade_id"], float(meta.get("points", 0)), text.strip()))
    return out


# --------------------------------------------------------------------------------- wiring
