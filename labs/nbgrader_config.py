"""nbgrader configuration of the Descent course (labs, quizzes, module test, chapter checks).

Run every nbgrader command from this folder. The answer keys of the quizzes live in keys/, beside
this file: they are read while autograding and are never released (see docs/labs.md).
"""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "descent"

# A test cell that shows anything on stderr scores 0 in nbgrader. The test cells already silence
# warnings while they call student code; this drops whatever still reaches stderr (a PyTorch
# warning printed from C++, a student's print(..., file=sys.stderr)) before grades are computed.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# The labs train small models on CPU; leave each cell generous time.
c.Execute.timeout = 180

# Released write-up cells get this placeholder instead of the instructor's rubric.
c.ClearSolutions.text_stub = "YOUR ANSWER HERE (replace this line)"
