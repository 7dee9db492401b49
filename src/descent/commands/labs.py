"""``descent labs autograde | report | release-feedback | rubrics ASSIGNMENT... [--course DIR]``:
the nbgrader labs and quizzes (the work is :mod:`descent.labs.instructor`).

    descent labs autograde ASSIGNMENT... [--course DIR]   (DIR: the course folder, by default
        the working directory if it holds nbgrader_config.py, else ./labs)
        make the keys, the hidden checks, the gradebook and the students' work private to
        this account, check every submission first (valid notebook? test cells deleted or
        edited? the exchange copy nbgrader collected?), run ``nbgrader autograde`` for each
        assignment, and print one line per submission
    descent labs report ASSIGNMENT... [--course DIR]
        the same table from the gradebook, without grading again (exit 1 if problems were found)
    descent labs release-feedback ASSIGNMENT... [--course DIR]
        ``nbgrader release_feedback`` for the submissions that came through the exchange; lists
        the others (placed in submitted/ by hand), whose feedback you hand out yourself
    descent labs rubrics ASSIGNMENT [--course DIR]
        print the grading rubric of every manually graded cell (instructor only)
"""

from __future__ import annotations

import subprocess

from rich.markup import escape

from ..labs.instructor import (
    EXCHANGE_FILES,
    autograde,
    course_folder,
    nbgrader_command,
    preflight,
    rejections,
    released,
    report,
    rubrics,
    save_rejections,
    without_iri_parsers,
)
from ..labs.private import make_private
from ..labs.submissions import refused
from ..terminal import console


def register(subparsers) -> None:
    default_course = None  # see descent.labs.instructor.course_folder

    labs = subparsers.add_parser("labs", help="nbgrader labs and quizzes (see docs/how-to/labs.md)")
    sub = labs.add_subparsers(dest="labs_command", required=True)
    p = sub.add_parser("autograde", help="check the submissions, run nbgrader autograde, report")
    p.add_argument("assignment", nargs="+", help="assignment names or globs, e.g. 'quiz*'")
    p.add_argument(
        "--course",
        default=default_course,
        help="course folder with nbgrader_config.py (default: here, or ./labs)",
    )
    p.set_defaults(func=cmd_autograde)
    p = sub.add_parser("report", help="scores and problems of the submissions, without grading")
    p.add_argument("assignment", nargs="+", help="assignment names or globs, e.g. 'quiz*'")
    p.add_argument("--course", default=default_course)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser(
        "release-feedback",
        help="nbgrader release_feedback, skipping (and "
        "listing) submissions made without the exchange",
    )
    p.add_argument("assignment", nargs="+", help="assignment names or globs, e.g. 'quiz*'")
    p.add_argument("--course", default=default_course)
    p.set_defaults(func=cmd_release_feedback)
    p = sub.add_parser("rubrics", help="print the rubrics of an assignment's write-ups")
    p.add_argument("assignment")
    p.add_argument("--course", default=default_course)
    p.set_defaults(func=cmd_rubrics)


def cmd_report(args) -> int:
    without_iri_parsers()
    course = course_folder(args.course)
    found = report(course, released(course, args.assignment), console=console)
    return 1 if any(p for per in found.values() for p in per.values()) else 0


def cmd_autograde(args) -> int:
    without_iri_parsers()
    course = course_folder(args.course)
    assignments = released(course, args.assignment)
    nbgrader, env = nbgrader_command()
    changed = make_private(course)  # before anything is read: see descent.labs.private
    if changed:
        console.print(
            f"made private to this account ({len(changed)}): "
            + escape(", ".join(changed[:8]) + (" ..." if len(changed) > 8 else ""))
        )
    code = 0
    for assignment in assignments:
        students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}"))
        checked = preflight(course, assignment)
        left_out = sorted(s for s in students if refused(checked.get(s, [])))
        students = [s for s in students if s not in left_out]
        console.print(
            f"nbgrader autograde {assignment}: {len(students)} submission(s)"
            + (f"; refused before grading: {escape(', '.join(left_out))}" if left_out else "")
        )
        returncode, log = autograde(nbgrader, assignment, course, env, students, console, left_out)
        code = code or returncode
        reasons = rejections(log)
        save_rejections(course, assignment, set(students), reasons)
        restored = sum("Attribute 'checksum' for cell" in line for line in log)
        if restored:
            console.print(
                f"  nbgrader put back the hidden tests of {restored} test cell(s) (its "
                f'"checksum has changed" warnings; expected, see docs/reference/labs-reports.md)'
            )
    report(course, assignments, console)
    if code:
        console.print(
            f"[red]nbgrader autograde exited with {code}: some submissions could not be "
            f"graded (see the table for nbgrader's reason); all the others were "
            f"graded[/red]"
        )
    return code


def cmd_release_feedback(args) -> int:
    """``nbgrader release_feedback`` for the submissions that came through the exchange; the
    others are listed with the folder to hand out by hand. (nbgrader stops at the first
    feedback folder without the files that ``nbgrader submit`` writes, releasing nothing for
    the students after it.)"""
    course = course_folder(args.course)
    nbgrader, env = nbgrader_command()
    code = 0
    for assignment in released(course, args.assignment):
        folders = sorted(p.parent for p in (course / "feedback").glob(f"*/{assignment}/*.html"))
        by_hand = sorted(
            {
                f.parent.name
                for f in folders
                if not all((f / name).is_file() for name in EXCHANGE_FILES)
            }
        )
        through = sorted({f.parent.name for f in folders} - set(by_hand))
        for student in by_hand:
            console.print(
                f"{assignment}: {escape(student)} did not submit through the exchange; hand "
                f"out {escape(str(course / 'feedback' / student / assignment))} yourself"
            )
        if not through:
            console.print(f"{assignment}: no feedback to release through the exchange")
            continue
        command = [*nbgrader, "release_feedback", assignment]
        if by_hand:
            command.append(f"--CourseDirectory.student_id_exclude={','.join(by_hand)}")
        run = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
        if run.returncode:
            console.print(
                f"[red]{assignment}: nbgrader release_feedback failed:[/red]\n"
                f"{escape(run.stderr.strip()[-2000:])}"
            )
            code = run.returncode
        else:
            console.print(f"{assignment}: feedback released to {len(through)} student(s)")
    return code


def cmd_rubrics(args) -> int:
    without_iri_parsers()
    found = rubrics(course_folder(args.course), args.assignment)
    if not found:
        console.print(f"{args.assignment}: no manually graded cells")
    for grade_id, points, text in found:
        console.rule(f"{grade_id} ({points:g} points)")
        console.print(text, markup=False, highlight=False)
    return 0
