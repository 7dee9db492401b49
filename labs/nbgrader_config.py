"""nbgrader configuration of the Descent course (labs, quizzes, module test, chapter checks).

Run every nbgrader command from this folder. The answer keys live in keys/ and the checks of the
labs in graders/, beside this file: the grading process reads them while autograding; they are
never released and never reach a notebook (see docs/labs.md).
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                    DeduplicateIds, IgnorePattern, LimitOutput,
                                    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

c = get_config()  # noqa: F821 - provided by nbgrader

# Students' cells run in a confined worker (descent.isolation: no network, no files outside its
# scratch folder, no new processes, time and memory limits); test cells are scored here, in the
# grading process, by the trusted checks. nbgrader's Execute (an unconfined kernel with the
# instructor's rights) is not used. EscapeMarkdown shows HTML in students' markdown as text.
# DropForgedMetadata removes nbgrader metadata a student invented (a "test cell" of their own).
# (Named, not imported: only autograde loads them, and with them torch.)
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
    "descent.labs.execute.DropForgedMetadata", CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    "descent.labs.execute.ConfinedExecute", "descent.labs.execute.EscapeMarkdown", IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

c.CourseDirectory.course_id = "descent"

# A test cell that shows anything on stderr scores 0 in nbgrader. The test cells already silence
# warnings while they call student code; this drops whatever still reaches stderr (a PyTorch
# warning printed from C++, a student's print(..., file=sys.stderr)) before grades are computed.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# The labs train small models on CPU; leave each cell generous time. A cell that runs longer
# has its worker killed; the notebook goes on in a fresh one (docs/labs.md).
c.ConfinedExecute.timeout = 180

# Released write-up cells get this placeholder instead of the instructor's rubric.
c.ClearSolutions.text_stub = "YOUR ANSWER HERE (replace this line)"
