"""Course gradebook commands: the nbgrader labs and quizzes, and one grade per student.

    descent labs autograde ASSIGNMENT... [--course DIR]   (DIR: the course folder, by default
        the working directory if it holds nbgrader_config.py, else ./labs)
        check every submission first (valid notebook? test cells deleted or edited?), run
        ``nbgrader autograde`` for each assignment, and print one line per submission
    descent labs report ASSIGNMENT... [--course DIR]
        the same table from the gradebook, without grading again (exit 1 if problems were found)
    descent labs release-feedback ASSIGNMENT... [--course DIR]
        ``nbgrader release_feedback`` for the submissions that came through the exchange; lists
        the others (placed in submitted/ by hand), whose feedback you hand out yourself
    descent labs rubrics ASSIGNMENT [--course DIR]
        print the grading rubric of every manually graded cell (instructor only)
    descent gradebook merge --grades grades.csv --code RESULTS_DIR [--component NAME=GLOB,...]
                            [--weight NAME=W ...] [--pass ASSIGNMENT=FRACTION ...]
                            [--keep ASSIGNMENT ...] [--out merged.csv] [--per-student DIR]
        join nbgrader's exported grades with the code exercises' results into one row per
        student (and, with --per-student, one CSV per student); an assignment nobody submitted
        is left out as not released, unless --keep names it

Merge inputs
  ``--grades``  the CSV that ``nbgrader export`` writes: one row per (assignment, student) with
                the columns ``assignment``, ``student_id``, ``score`` and ``max_score``.
  ``--code``    a folder of ``<student_id>.json`` files, each a ``descent.results/1`` document
                (``descent grade --results``); the student's code score is the first entry of
                ``implementations`` (``points`` of ``max_points``).

Components and weights
  Every nbgrader assignment is a component of its own, and ``code`` is one more. ``--component
  labs=lab*`` gathers the assignments matching the glob patterns (comma separated) into one
  component whose points and maximum are the sums. ``--weight labs=0.3`` sets a component's
  weight; without any --weight all components weigh the same, otherwise a component that gets
  no weight is reported but does not count. The total is the weighted mean of the components'
  percentages. A missing submission or results file counts as 0 points.
"""

from __future__ import annotations

import csv
import fnmatch
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CODE = "code"
NOT_A_NOTEBOOK = "not a valid notebook"


# --------------------------------------------------------------------------------- merge


@dataclass
class Component:
    name: str
    patterns: list[str]
    weight: float = 1.0
    assignments: list[str] = field(default_factory=list)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise SystemExit(f"descent: {what} must look like NAME=VALUE (got {item!r})")
        out[name.strip()] = value.strip()
    return out


def read_nbgrader_grades(path: str | Path, keep: frozenset[str] = frozenset()
                         ) -> tuple[dict[tuple[str, str], tuple[float, float]], list[str]]:
    """``{(student_id, assignment): (score, max_score)}`` from ``nbgrader export``'s CSV, and
    notes. nbgrader exports every assignment of its database, released or not, with a row of 0
    points for each student who did not submit; an assignment that *nobody* submitted (every
    ``timestamp`` empty) is taken as not released yet and left out, unless it is in ``keep``."""
    grades, submitted = {}, set()
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"assignment", "student_id", "score", "max_score"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"descent: {path} is not an nbgrader export (missing columns: "
                             f"{', '.join(sorted(missing))})")
        for number, row in enumerate(reader, 2):
            where = f"{path} line {number} ({row.get('student_id')!r}, {row.get('assignment')!r})"
            grades[(row["student_id"], row["assignment"])] = checked_points(
                row["score"] or 0, row["max_score"] or 0, where)
            if (row.get("timestamp") or "").strip() or "timestamp" not in row:
                submitted.add(row["assignment"])
    left_out = sorted({a for _, a in grades} - submitted - set(keep))
    notes = [f"{a}: nobody submitted it (not released yet?); left out of the totals "
             f"(--keep {a} counts it as 0 for everyone)" for a in left_out]
    return {k: v for k, v in grades.items() if k[1] not in left_out}, notes


def checked_points(points, top, where: str) -> tuple[float, float]:
    """``(points, max)`` as floats, or a clear error: both finite, the maximum not negative and
    the points within ``[0, max]`` (a results file or an export edited by hand, or written by
    anything but the grader, must not move a total)."""
    try:
        points, top = float(points), float(top)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: points {points!r} of {top!r} are not numbers") from None
    if not (math.isfinite(points) and math.isfinite(top)) or top < 0 or not 0 <= points <= top:
        raise ValueError(f"{where}: points {points:g} of {top:g} are not within [0, maximum]")
    return points, top


def read_code_results(folder: str | Path) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """``{student_id: (points, max_points)}`` from a folder of results files, and the problems
    found (a file that cannot be read is reported and counts as missing)."""
    from . import results

    scores, problems = {}, []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            block = results.load(path)["implementations"][0]
            scores[path.stem] = checked_points(block["points"], block["max_points"], path.name)
        except (ValueError, KeyError, IndexError, TypeError, OSError) as exc:
            problems.append(f"{path.name}: unreadable results file ({exc}); counted as missing")
    return scores, problems


def merge(grades: dict[tuple[str, str], tuple[float, float]],
          code: dict[str, tuple[float, float]] | None,
          components: dict[str, str] | None = None,
          weights: dict[str, float] | None = None,
          passes: dict[str, float] | None = None) -> tuple[list[str], list[dict], list[str]]:
    """Rows (one per student) of the merged gradebook, their columns, and notes."""
    notes: list[str] = []
    assignments = sorted({a for _, a in grades})
    comps: list[Component] = [Component(name, [p.strip() for p in pats.split(",") if p.strip()])
                              for name, pats in (components or {}).items()]
    for comp in comps:
        comp.assignments = [a for a in assignments
                            if any(fnmatch.fnmatchcase(a, p) for p in comp.patterns)]
        if not comp.assignments:
            notes.append(f"component {comp.name!r} matches no assignment in the grades file")
    grouped = {a for comp in comps for a in comp.assignments}
    comps += [Component(a, [a], assignments=[a]) for a in assignments if a not in grouped]
    if code is not None:
        comps.append(Component(CODE, []))
    names = {c.name for c in comps}
    for name in weights or {}:
        if name not in names:
            raise SystemExit(f"descent: --weight {name}: no such component (have: "
                             f"{', '.join(sorted(names))})")
    for comp in comps:
        comp.weight = (weights or {}).get(comp.name, 0.0 if weights else 1.0)
    unweighted = [c.name for c in comps if c.weight == 0]
    if unweighted:
        notes.append(f"weight 0 (reported, not counted): {', '.join(unweighted)}")

    # The maximum of an assignment is the same for everyone; a missing row takes it from others.
    assignment_max = {a: max(m for (_, b), (_, m) in grades.items() if b == a) for a in assignments}
    code_max = max((m for _, m in (code or {}).values()), default=0.0)
    students = sorted({s for s, _ in grades} | set(code or {}))

    columns = ["student_id"]
    for comp in comps:
        columns += [f"{comp.name}_points", f"{comp.name}_max", f"{comp.name}_percent"]
    columns += [f"{a}_passed" for a in (passes or {})] + ["total_percent"]
    rows = []
    for student in students:
        row: dict = {"student_id": student}
        weighted = total_weight = 0.0
        for comp in comps:
            if comp.name == CODE and not comp.assignments:
                if student not in code:
                    notes.append(f"{student}: no code results file; code counts 0")
                points, top = code.get(student, (0.0, code_max))
            else:
                points = sum(grades.get((student, a), (0.0, 0.0))[0] for a in comp.assignments)
                top = sum(assignment_max[a] for a in comp.assignments)
            percent = 100.0 * points / top if top else 0.0
            row.update({f"{comp.name}_points": round(points, 4), f"{comp.name}_max": round(top, 4),
                        f"{comp.name}_percent": round(percent, 2)})
            weighted += comp.weight * percent
            total_weight += comp.weight
        for assignment, fraction in (passes or {}).items():
            score, top = grades.get((student, assignment), (0.0, assignment_max.get(assignment, 0)))
            row[f"{assignment}_passed"] = "yes" if top and score >= fraction * top - 1e-9 else "no"
        row["total_percent"] = round(weighted / total_weight, 2) if total_weight else 0.0
        rows.append(row)
    return columns, rows, notes


def write_csv(path: str | Path, columns: list[str], rows: list[dict]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def cmd_merge(args) -> int:
    from rich.markup import escape

    from .terminal import console

    passes = {a: float(v) for a, v in _pairs(args.passing, "--pass").items()}
    weights = {a: float(v) for a, v in _pairs(args.weight, "--weight").items()}
    try:
        grades, skipped = read_nbgrader_grades(args.grades, frozenset(args.keep or ()))
    except ValueError as exc:
        raise SystemExit(f"descent: {exc}") from None
    code, problems = (read_code_results(args.code) if args.code else (None, []))
    problems = skipped + problems
    columns, rows, notes = merge(grades, code, _pairs(args.component, "--component"), weights,
                                 passes)
    write_csv(args.out, columns, rows)
    if args.per_student:
        for row in rows:
            comps = [c[: -len("_percent")] for c in columns if c.endswith("_percent")
                     and c != "total_percent"]
            per = [{"component": c, "points": row[f"{c}_points"], "max_points": row[f"{c}_max"],
                    "percent": row[f"{c}_percent"],
                    "weight": weights.get(c, 0.0 if weights else 1.0)} for c in comps]
            per.append({"component": "total", "points": "", "max_points": "",
                        "percent": row["total_percent"], "weight": ""})
            write_csv(Path(args.per_student) / f"{row['student_id']}.csv",
                      ["component", "points", "max_points", "percent", "weight"], per)
    for line in problems + notes:
        console.print(f"[yellow]note:[/yellow] {escape(line)}")
    console.print(f"merged {len(rows)} student(s) into {args.out}")
    return 0


# --------------------------------------------------------------------------------- labs


def _course(args) -> Path:
    """--course, else the working directory when it is the course folder, else ./labs."""
    course = Path(args.course or ("." if Path("nbgrader_config.py").is_file() else "labs")).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise SystemExit(f"descent: {course} has no nbgrader_config.py (use --course)")
    return course


def _grade_cells(nb) -> dict[str, dict]:
    from .labs.cellmeta import grade_id

    return {gid: c for c in nb.cells if (gid := grade_id(c))}


def _notebook(path: Path):
    import nbformat

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
    from .labs import submissions

    problems: dict[str, list[str]] = {}
    release = course / "release" / assignment
    released = {p.name: _grade_cells(_notebook(p)) for p in sorted(release.glob("*.ipynb"))}
    sources = {name: _notebook_or_none(course / "source" / assignment / name) for name in released}
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        found = problems.setdefault(student, [])
        found += submissions.links(folder)
        for name, cells in released.items():
            path = folder / name
            if path.is_symlink():
                continue   # refused above
            if not path.is_file():
                found.append(f"{name}: missing (scores 0)")
                continue
            try:
                nb = _notebook(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
                found.append(f"{name}: {NOT_A_NOTEBOOK} ({type(exc).__name__}: "
                             f"{(str(exc).splitlines() or [''])[0][:80]}); nbgrader cannot grade "
                             f"it, every cell stays 'needs manual grade'")
                continue
            refusals = submissions.notebook_problems(name, nb, sources[name])
            found += refusals or _locked_cell_problems(name, cells, _grade_cells(nb))
    for student, lines in submissions.exchange_problems(course, assignment).items():
        problems.setdefault(student, []).extend(lines)
    return problems


def _locked_cell_problems(name: str, released: dict, mine: dict) -> list[str]:
    from .labs.cellmeta import nbgrader, source

    found = []
    locked = [gid for gid, c in released.items() if nbgrader(c).get("locked")]
    deleted = [gid for gid in locked if gid not in mine]
    edited = [gid for gid in locked if gid in mine and source(mine[gid]) != source(released[gid])]
    if deleted:
        found.append(f"{name}: deleted locked cells {', '.join(deleted)}; their points "
                     f"stay 'needs manual grade' in formgrader")
    if edited:
        found.append(f"{name}: edited locked cells {', '.join(edited)}; nbgrader restores "
                     f"the originals before grading")
    flags = ("grade", "solution", "locked", "points")
    unlocked = [gid for gid in locked if gid in mine and any(
        nbgrader(mine[gid]).get(k) != nbgrader(released[gid]).get(k) for k in flags)]
    if unlocked:
        found.append(f"{name}: changed the nbgrader flags of locked cells {', '.join(unlocked)} "
                     f"(unlocked them); the flags are put back before grading")
    return found


def _assignments(course: Path, patterns: list[str]) -> list[str]:
    names = sorted(p.name for p in (course / "release").iterdir() if p.is_dir()) \
        if (course / "release").is_dir() else []
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, pat) for pat in patterns)]
    if not chosen:
        raise SystemExit(f"descent: no released assignment matches {' '.join(patterns)} in "
                         f"{course / 'release'} (run nbgrader generate_assignment first)")
    return chosen


def report(course: Path, assignments: list[str], console=None) -> dict[str, dict[str, list[str]]]:
    """Print one table per assignment: each submission's score, autograde status and problems
    (what the submission itself shows, what the confined executor noticed, and why nbgrader
    rejected it). Returns the problems found, ``{assignment: {student: [problem, ...]}}``."""
    from rich.table import Table
    from rich.text import Text

    from .labs.submissions import refused

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
        table = Table("student", "autograde", "score", "problems",
                      title=Text(f"{assignment}: {len(problems)} submission(s)"))
        for student in sorted(problems):
            score, top, manual = scores.get(student, (None, None, False))
            unreadable = any(NOT_A_NOTEBOOK in line for line in problems[student])
            status = Text("refused", style="red") if refused(problems[student]) else (
                Text("failed", style="red") if (assignment, student) in failed or unreadable
                else Text("not graded" if score is None else "ok"))
            text = "" if score is None else f"{score:g}/{top:g}" + (
                " (needs manual grade)" if manual else "")
            # everything a student can name (their id, file names, paths) is text, not markup
            table.add_row(Text(student), status, text, Text("\n".join(problems[student]) or "-"))
        if console is not None:
            console.print(table)
    return found


def _graded_findings(course: Path, assignment: str, student: str) -> list[str]:
    """What the confined executor noted in the autograded notebooks (descent.labs.findings)."""
    from .labs import findings

    out = []
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        out += [f"{path.name}: {line}" for line in findings.lines(findings.read(path))]
    return out


REJECTIONS = Path(".descent") / "autograde-rejections.json"


def _read_rejections(course: Path) -> dict[str, dict[str, str]]:
    import json

    try:
        return json.loads((course / REJECTIONS).read_text())
    except (OSError, ValueError):
        return {}


def _save_rejections(course: Path, assignment: str, graded: set[str],
                     reasons: dict[str, str]) -> None:
    """Keep, per assignment, why nbgrader rejected each submission of its latest run (the
    report shows it later without grading again)."""
    import json

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
        elif current and in_traceback and text and not line.startswith("[") and ":" in text \
                and not text.startswith(("File ", "^", "~", "The above exception")):
            reasons[current] = text[:300]   # the exception line ends the traceback
    return reasons


def cmd_report(args) -> int:
    from .terminal import console

    course = _course(args)
    found = report(course, _assignments(course, args.assignment), console=console)
    return 1 if any(p for per in found.values() for p in per.values()) else 0


def _nbgrader() -> tuple[str, dict[str, str]]:
    """The ``nbgrader`` command and the environment to run it in."""
    nbgrader = shutil.which("nbgrader") or str(Path(sys.executable).parent / "nbgrader")
    # nbgrader calls `alembic` and `jupyter` by name: they live beside this Python.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return nbgrader, env


def cmd_autograde(args) -> int:
    from .terminal import console

    course = _course(args)
    assignments = _assignments(course, args.assignment)
    nbgrader, env = _nbgrader()
    code = 0
    from rich.markup import escape

    from .labs.submissions import refused

    for assignment in assignments:
        students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}"))
        checked = preflight(course, assignment)
        left_out = sorted(s for s in students if refused(checked.get(s, [])))
        students = [s for s in students if s not in left_out]
        console.print(f"nbgrader autograde {assignment}: {len(students)} submission(s)"
                      + (f"; refused before grading: {escape(', '.join(left_out))}"
                         if left_out else ""))
        returncode, log = _autograde(nbgrader, assignment, course, env, students, console,
                                     left_out)
        code = code or returncode
        reasons = rejections(log)
        _save_rejections(course, assignment, set(students), reasons)
        restored = sum("Attribute 'checksum' for cell" in line for line in log)
        if restored:
            console.print(f"  nbgrader put back the hidden tests of {restored} test cell(s) (its "
                          f"\"checksum has changed\" warnings; expected, see docs/labs.md)")
    report(course, assignments, console)
    if code:
        console.print(f"[red]nbgrader autograde exited with {code}: some submissions could not be "
                      f"graded (see the table for nbgrader's reason); all the others were "
                      f"graded[/red]")
    return code


EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def cmd_release_feedback(args) -> int:
    """``nbgrader release_feedback`` for the submissions that came through the exchange; the
    others are listed with the folder to hand out by hand. (nbgrader stops at the first
    feedback folder without the files that ``nbgrader submit`` writes, releasing nothing for
    the students after it.)"""
    from rich.markup import escape

    from .terminal import console

    course = _course(args)
    nbgrader, env = _nbgrader()
    code = 0
    for assignment in _assignments(course, args.assignment):
        folders = sorted(p.parent for p in (course / "feedback").glob(f"*/{assignment}/*.html"))
        by_hand = sorted({f.parent.name for f in folders
                          if not all((f / name).is_file() for name in EXCHANGE_FILES)})
        through = sorted({f.parent.name for f in folders} - set(by_hand))
        for student in by_hand:
            console.print(f"{assignment}: {escape(student)} did not submit through the exchange; hand "
                          f"out {escape(str(course / 'feedback' / student / assignment))} yourself")
        if not through:
            console.print(f"{assignment}: no feedback to release through the exchange")
            continue
        command = [nbgrader, "release_feedback", assignment]
        if by_hand:
            command.append(f"--CourseDirectory.student_id_exclude={','.join(by_hand)}")
        run = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
        if run.returncode:
            console.print(f"[red]{assignment}: nbgrader release_feedback failed:[/red]\n"
                          f"{escape(run.stderr.strip()[-2000:])}")
            code = run.returncode
        else:
            console.print(f"{assignment}: feedback released to {len(through)} student(s)")
    return code


def _autograde(nbgrader: str, assignment: str, course: Path, env: dict, students: list[str],
               console, left_out: list[str] = ()) -> tuple[int, list[str]]:
    """Run ``nbgrader autograde`` (without the students ``left_out``) with one progress line
    per student; returns its exit code and its log lines."""
    from rich.markup import escape

    command = [nbgrader, "autograde", assignment]
    if left_out:
        command.append(f"--CourseDirectory.student_id_exclude={','.join(left_out)}")
    if not students:
        return 0, []
    proc = subprocess.Popen(command, cwd=course, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log, seen = [], set()
    for line in proc.stderr:
        log.append(line.rstrip("\n"))
        if "| INFO] Sanitizing " in line:
            student = Path(line.split("Sanitizing ", 1)[1].strip()).parent.parent.name
            if student not in seen:
                seen.add(student)
                console.print(f"  \\[{len(seen)}/{len(students)}] {escape(student)}")
    return proc.wait(), log


def _scores(course: Path, assignment: str) -> dict[str, tuple[float, float, bool]]:
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
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
    import nbformat

    out = []
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and meta.get("solution"):
                text = cell.source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
                out.append((meta["grade_id"], float(meta.get("points", 0)), text.strip()))
    return out


def cmd_rubrics(args) -> int:
    from .terminal import console

    found = rubrics(_course(args), args.assignment)
    if not found:
        console.print(f"{args.assignment}: no manually graded cells")
    for grade_id, points, text in found:
        console.rule(f"{grade_id} ({points:g} points)")
        console.print(text, markup=False, highlight=False)
    return 0


# --------------------------------------------------------------------------------- wiring


def register(subparsers) -> None:
    default_course = None  # see _course

    labs = subparsers.add_parser("labs", help="nbgrader labs and quizzes (see docs/labs.md)")
    sub = labs.add_subparsers(dest="labs_command", required=True)
    p = sub.add_parser("autograde", help="check the submissions, run nbgrader autograde, report")
    p.add_argument("assignment", nargs="+", help="assignment names or globs, e.g. 'quiz*'")
    p.add_argument("--course", default=default_course,
                   help="course folder with nbgrader_config.py (default: here, or ./labs)")
    p.set_defaults(func=cmd_autograde)
    p = sub.add_parser("report", help="scores and problems of the submissions, without grading")
    p.add_argument("assignment", nargs="+", help="assignment names or globs, e.g. 'quiz*'")
    p.add_argument("--course", default=default_course)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("release-feedback", help="nbgrader release_feedback, skipping (and "
                                                "listing) submissions made without the exchange")
    p.add_argument("assignment", nargs="+", help="assignment names or globs, e.g. 'quiz*'")
    p.add_argument("--course", default=default_course)
    p.set_defaults(func=cmd_release_feedback)
    p = sub.add_parser("rubrics", help="print the rubrics of an assignment's write-ups")
    p.add_argument("assignment")
    p.add_argument("--course", default=default_course)
    p.set_defaults(func=cmd_rubrics)

    book = subparsers.add_parser("gradebook", help="merge nbgrader grades with code grades")
    sub = book.add_subparsers(dest="gradebook_command", required=True)
    p = sub.add_parser("merge", help="one row per student: labs, quizzes and code, weighted")
    p.add_argument("--grades", required=True, help="nbgrader export CSV")
    p.add_argument("--code", help="folder of <student_id>.json results files")
    p.add_argument("--component", action="append", metavar="NAME=GLOB[,GLOB]",
                   help="group assignments into one component (repeatable)")
    p.add_argument("--weight", action="append", metavar="NAME=W", help="component weight")
    p.add_argument("--pass", dest="passing", action="append", metavar="ASSIGNMENT=FRACTION",
                   help="add ASSIGNMENT_passed (yes/no) at this fraction, e.g. module_test=0.8")
    p.add_argument("--keep", action="append", metavar="ASSIGNMENT",
                   help="count an assignment nobody submitted (0 for everyone) instead of "
                        "leaving it out as not released")
    p.add_argument("--out", default="merged_grades.csv")
    p.add_argument("--per-student", help="also write DIR/<student_id>.csv")
    p.set_defaults(func=cmd_merge)

