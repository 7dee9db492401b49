"""nbgrader configuration of the Descent course (labs, quizzes, module test, chapter checks).

Run every nbgrader command from this folder. The answer keys live in keys/ and the checks of the
labs in graders/, beside this file: the grading process reads them while autograding; they are
never released and never reach a notebook (see docs/explanation/labs-grading.md).
"""

import atexit
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

c = get_config()  # noqa: F821 - provided by nbgrader

# Students' cells run in a confined worker (descent.isolation: no network, no files outside its
# scratch folder, no new processes, time and memory limits); test cells are scored here, in the
# grading process, by the trusted checks. nbgrader's Execute (an unconfined kernel with the
# instructor's rights) is not used. EscapeMarkdown shows HTML in students' markdown as text.
# DropForgedMetadata removes nbgrader metadata a student invented (a "test cell" of their own).
# (Named, not imported: only autograde loads them, and with them torch.)
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    "descent.labs.execute.RestoreCellMetadata",
    OverwriteCells,
    "descent.labs.execute.DropForgedMetadata",
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    "descent.labs.execute.ConfinedExecute",
    "descent.labs.execute.EscapeMarkdown",
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

c.CourseDirectory.course_id = "descent"

# The exchange (release_assignment, submit, collect, release_feedback). nbgrader's default is a
# system folder that every user of the machine can write; this course never uses it by accident:
# DESCENT_EXCHANGE names the shared exchange of a multi-user server
# (docs/how-to/labs-exchange.md), and without it the exchange is a private folder beside this
# file (mode 0700), enough to try the workflow as one user.
_here = os.path.dirname(os.path.abspath(__file__))
_reading = os.environ.get("DESCENT_READING_NBGRADER_CONFIG")  # descent reading settings only
_exchange = os.environ.get("DESCENT_EXCHANGE")
if not _exchange:
    _exchange = os.path.join(_here, "exchange")
if not _reading and not os.environ.get("DESCENT_EXCHANGE"):
    os.makedirs(_exchange, mode=0o700, exist_ok=True)
    # nbgrader's release_assignment makes the exchange's root 0777 (for a multi-user exchange);
    # this one is private to the instructor, so it goes back to 0700 when every nbgrader
    # command ends (this file runs inside each of them).
    os.chmod(_exchange, 0o700)

    def _private_again(folder=_exchange):
        if os.path.isdir(folder):  # a course folder removed meanwhile (a test's) has none
            os.chmod(folder, 0o700)

    atexit.register(_private_again)
c.Exchange.root = _exchange

# nbgrader collect never follows a link and keeps a record of when each copy was written
# (docs/how-to/labs-exchange.md): nbgrader's own collect copied what a symbolic link in a
# student's exchange copy named (the source notebook, a classmate's collected one) as theirs.
c.ExchangeFactory.collect = "descent.labs.collect.CheckedCollect"

# The keys, the labs' checks, the gradebook and the students' collected and autograded work are
# private to this account from the first nbgrader command on: nbgrader collect copies the modes
# of the exchange (a shared one leaves submitted/<student>/<assignment> at 0777 and its files
# 0644), so they are made private as each command starts and again as it ends
# (descent.labs.private.guard; docs/how-to/labs-exchange.md).
if not _reading:
    from descent.labs.private import guard

    guard(_here)

# The times nbgrader submit writes (the exchange's folder names and timestamp.txt) are in
# Exchange.timezone (default UTC). descent reads them in the zone set here, whatever it is
# (docs/reference/lab-times.md); the students' nbgrader must use the same
# configuration (on a shared server, /etc/jupyter/nbgrader_config.py). Left at UTC, nbgrader's
# own gradebook and export are right too; in a zone with an abbreviation (AEDT, CEST, EDT) they
# hold local clock time as if it were UTC, which descent never reads.
# c.Exchange.timezone = "UTC"

# A test cell that shows anything on stderr scores 0 in nbgrader. The test cells already silence
# warnings while they call student code; this drops whatever still reaches stderr (a PyTorch
# warning printed from C++, a student's print(..., file=sys.stderr)) before grades are computed.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# The labs train small models on CPU; leave each cell generous time. A cell that runs longer
# has its worker killed; the notebook goes on in a fresh one (docs/explanation/labs-grading.md).
c.ConfinedExecute.timeout = 180

# How much a notebook keeps (docs/reference/labs-limits.md): the output of all its
# own cells together in the autograded copy, and the text of its own cells on the feedback page.
# A notebook of 1500 printing cells would otherwise become a feedback page of about 200 MB.
c.ConfinedExecute.max_notebook_output = 1_000_000
c.GenerateFeedback.preprocessors = [
    GetGrades,
    "descent.labs.caps.CapFeedback",
    CSSHTMLHeaderPreprocessor,
]
c.CapFeedback.max_chars = 2_000_000

# Formgrader and generate_feedback render notebooks with nbconvert's HTMLExporter, which by
# default passes raw HTML in markdown and outputs through: a second line of defence after
# EscapeMarkdown, for anything that still carries HTML (docs/how-to/labs-write-ups.md).
c.HTMLExporter.sanitize_html = True

# Released write-up cells get this placeholder instead of the instructor's rubric.
c.ClearSolutions.text_stub = "YOUR ANSWER HERE (replace this line)"
