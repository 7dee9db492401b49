"""How graders reach the code under test, in the grader's process or a worker's.

* :mod:`.callables` callables handed to student code, described so a worker can rebuild them.
* :mod:`.generators` the global random generators, seeded and reset together (torch, NumPy, Python).
* :mod:`.helpers`   a submission's own helper files: which are graded, and how they are imported.
* :mod:`.impl`      ``Implementation``: the one way graders reach code under test.
* :mod:`.source_tree` one parse of each source text a grading reads (intake, scan, load order).
* :mod:`.stand_ins` the kit's stand-ins for the parts a composite calls (one mistake, one charge).
* :mod:`.stacking` a batch's results packed as one tensor per position, to cross at once.
* :mod:`.steps`     the values code computes line by line, for where a student's part from the reference's.
* :mod:`.tape`      value graphs recorded in the grader and rebuilt in the worker at once.
* :mod:`.timelimit` time limits on student code: the default, per-exercise policy, the guard.
* :mod:`.watchdog`  the guard's timer where there are no POSIX interval timers (Windows).
"""
