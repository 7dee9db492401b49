"""Grading with pytest: the plugin and everything graders and public tests call.

* :mod:`.capstone`            what the capstone's public tests and graders decide about a training run.
* :mod:`.checker`             the ``check`` fixture: every assertion of a grader or public test.
* :mod:`.compare`             the one comparison of values, shapes, dtypes and devices.
* :mod:`.composite`           one mistake, one charge: exercises that call other exercises.
* :mod:`.early_interrupt`     the bundle's ``.pth`` at Python's start: in pytest, the Ctrl-C handler at once.
* :mod:`.gradcheck`           gradient checks of a hand-written forward/backward pair, in float64.
* :mod:`.hypothesis_profiles` the hypothesis profiles of grading runs and of the kit's tests.
* :mod:`.input_seed`          the secret a grading of a submission draws its hidden inputs from.
* :mod:`.inputs`              seeded input builders.
* :mod:`.interrupt`           Ctrl-C before the first test: one line, not a traceback.
* :mod:`.outcomes`            a graded test's report made its record: outcome, message, diagnosis.
* :mod:`.pictures`            what a failed check's picture holds (a line, a histogram), leak rule included.
* :mod:`.plugin`              the pytest plugin that turns a test run into grades (``pytest11`` entry).
* :mod:`.plugin_workers`      which implementations run in a confined worker (the way to isolation).
* :mod:`.progress`            the student's progress view (``descent check``).
* :mod:`.results_document`    the results document of a grading run, built from its records.
* :mod:`.run_state`           what the plugin knows of a run, and reads of a collected test.
* :mod:`.running`             a graded test's run: its time limit, second try, a composite's parts.
* :mod:`.split`               one grading's tests shared by two processes, one per CPU.
* :mod:`.split_side`          what the plugin hands over and takes in when two processes share a grading.
* :mod:`.strategies`          hypothesis strategies shared by the tests.
* :mod:`.work_count`          counts the work each test makes an implementation do (the budget's data).
"""
