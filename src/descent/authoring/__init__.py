"""What an author runs on the kit's content: audits, budget, scaffold, stubs, bundle.

* :mod:`.audit`          ``descent audit``: the graders graded with every catalogued variant.
* :mod:`.audit_public`   the public half of the audit: the tests in ``exercises/``.
* :mod:`.audit_labelled` ``--labelled``: the feedback measured on labelled real submissions.
* :mod:`.budget`         the graders' work budget, counted per grader module.
* :mod:`.bundle`         the student bundle: what a student downloads, nothing held back.
* :mod:`.diagnosis_table` the list of generic diagnoses in the docs, made from the order.
* :mod:`.exercise_table` the exercise tables of ``docs/exercises.md``.
* :mod:`.generic_names`  the pre-emption guard: each variant's generic names, recorded, compared.
* :mod:`.reuses`         the parts each exercise may call (``registry.PARTS``), from ``solutions/``.
* :mod:`.scaffold`       ``descent new-exercise``: every file a new exercise needs.
* :mod:`.stubgen`        ``starter/`` generated from ``solutions/``.
"""
