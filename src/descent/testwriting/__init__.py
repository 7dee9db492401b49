"""Write-the-tests exercises: the student writes the tests, graded against correct versions
(wheats) and catalogued mistakes (chaffs). See ``docs/reference/testwriting.md``.

Modules, one job each:

* :mod:`.declared`  the exercises (public: it names no chaff), their titles, files and caches.
* :mod:`.scan`      the behaviour-only rule: what a test file may not use, found before it runs.
* :mod:`.harness`   the student's tests beside one implementation reached as opaque callables.
* :mod:`.dispatch`  the trusted side of those callables: one implementation, served call by call.
* :mod:`.runner`    running a test file in this process or in a confined worker.
* :mod:`.sources`   where a student's test file is, read safely as text.
* :mod:`.grading`   judging a file against every wheat and chaff; what its checks say.
* :mod:`.hidden`    the wheats and chosen chaffs of an exercise, from the catalogue; weights.
* :mod:`.verdicts`  the graded checks (behaviour, wheat, chaff), shared by graders and exercises.
* :mod:`.audit`     ``descent audit --written``: each exercise's wheats and chaffs proved.
"""
