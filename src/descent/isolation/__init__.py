"""Isolated grading: submission code runs in a confined worker, never in the grader's process.

Modules, one job each:

* :mod:`.protocol`     length-prefixed JSON headers plus raw tensor bytes; caps; no pickle.
* :mod:`.confinement`  rlimits, capabilities/uid, Landlock, seccomp, cgroups, namespaces; probe.
* :mod:`.server`       the fork server (pre-imported torch) and the worker bootstrap.
* :mod:`.worker`       the worker's request loop, handle table and in-place write-back.
* :mod:`.pool`         trusted side: starting the server, spawning and killing workers.
* :mod:`.remote`       trusted side: ``WorkerImplementation`` and its proxies.
* :mod:`.manager`      picking the confinement mode, refusing without one, settings.
* :mod:`.intake`       which files of a submission are taken, and what was ignored.
* :mod:`.scan`         AST scan for borrowed library operations.
* :mod:`.tripwire`     runtime wrappers around forbidden APIs (in the worker).
* :mod:`.callables`    callables that graders pass to student code.

See ``docs/isolation.md``.
"""
