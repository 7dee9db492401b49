"""What an author runs on the kit's content: audits, budget, scaffold, stubs, bundle.

* :mod:`.audit`          ``descent audit``: the graders graded with every catalogued variant.
* :mod:`.audit_public`   the public half of the audit: the tests in ``exercises/``.
* :mod:`.audit_draws`    ``--draws K``: points and causes under K secrets; the share on fixed inputs.
* :mod:`.audit_labelled` ``--labelled``: the feedback measured on labelled real submissions.
* :mod:`.budget`         the graders' work budget, counted per grader module.
* :mod:`.bundle`         the student bundle: what a student downloads, nothing held back.
* :mod:`.column_table`   the table of the CSV's columns in ``docs/how-to/export.md``.
* :mod:`.completeness`   what the catalogue must hold (literal alternatives, a bug per kind).
* :mod:`.course_reference` ``docs/reference/course-toml.md``: the course plan's declared keys.
* :mod:`.diagnosis_table` the list of generic diagnoses in the docs, made from the order.
* :mod:`.exercise_table` the exercise tables of ``docs/reference/exercises.md``.
* :mod:`.generated_page` a docs page made whole by ``descent docs``: its header, its check.
* :mod:`.generic_names`  the pre-emption guard: each variant's generic names, recorded, compared.
* :mod:`.results_reference` ``docs/reference/results-schema.md``: the results document's keys.
* :mod:`.reuses`         the parts each exercise may call (``registry.PARTS``), from ``solutions/``.
* :mod:`.sample`         a fixed stratified choice of the catalogue (the kit's default lane).
* :mod:`.generic_cache`  the guard's gradings kept per module, replayed while their inputs stay.
* :mod:`.generic_jobs`   the guard's gradings in processes of their own, side by side.
* :mod:`.generic_progress` the guard's lines on stderr: how far each module's grading is.
* :mod:`.scaffold`       ``descent new-exercise``: every file a new exercise needs.
* :mod:`.signatures`     the arguments a new function takes, read from its module's own.
* :mod:`.scaffold_written` ``descent new-exercise --tests``: a write-the-tests exercise's files.
* :mod:`.stubgen`        ``starter/`` generated from ``solutions/``.
"""
