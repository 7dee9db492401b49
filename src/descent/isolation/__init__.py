"""Isolated grading: submission code runs in a confined worker, never in the grader's process.

Modules, one job each. The worker's side (runs confined):

* :mod:`.server`       the fork server (pre-imported torch) and the worker bootstrap.
* :mod:`.confinement`  what confinement this machine offers (probe); the steps, each importing
  only those above it:

  * :mod:`.syscalls`    the C library and the x86_64 syscall numbers.
  * :mod:`.limits`      every number a worker is held to, and the rlimits.
  * :mod:`.landlock`    the files a worker may read and write, no TCP.
  * :mod:`.seccomp`     the syscall filter (classic BPF).
  * :mod:`.namespaces`  network, IPC, UTS, mount and user namespaces; the scratch tmpfs.
  * :mod:`.privileges`  a uid of the worker's own, or no capabilities; private folders covered.
  * :mod:`.cgroups`     a cgroup per worker (root): memory, pids, the kill sweep.

* :mod:`.task_cap`     the cap on a worker's threads and processes, in every mode.
* :mod:`.held`         the objects a worker holds by handle, and snapshots of their attributes.
* :mod:`.submission`   the submission's modules in the worker, a variant's overrides, its errors.
* :mod:`.edit_watch`   whether a call edited its arguments, re-encoded when it did.
* :mod:`.operations`   the worker's per-operation request handlers.
* :mod:`.worker`       the worker's request loop: replies, pipelined requests, callbacks.
* :mod:`.tripwire`     runtime wrappers around forbidden APIs.
* :mod:`.cells`        notebook cells (the labs).

Both sides: :mod:`.protocol` (frames: a length-prefixed JSON header plus raw bytes; caps) and
:mod:`.encoding` (values as JSON and raw tensor bytes; caps; no pickle). The worker's stack,
each importing only those above it: protocol, encoding, held, submission, edit_watch,
operations, worker. The trusted side, each importing only those above it:

* :mod:`.errors`       ``WorkerFailure`` and exceptions rebuilt from the worker's description.
* :mod:`.edits`        edits of a call's arguments copied back into the grader's objects.
* :mod:`.handles`      proxies of modules, functions and objects in the worker.
* :mod:`.pipeline`     requests sent without waiting, and the shapes that allow it.
* :mod:`.codec`        handles, described callables and callbacks on the wire.
* :mod:`.connection`   one worker as a channel of requests: time limits, failures, restarts.
* :mod:`.import_limits` imports out of time, recorded for every worker of one grading.
* :mod:`.remote`       ``WorkerImplementation``: the ``Implementation`` interface on a connection.
* :mod:`.pool`         starting the fork server, spawning and killing workers.
* :mod:`.uid_lease`    worker uids leased machine-wide, never shared by two live workers.
* :mod:`.vitals`       a process's limits, priority, scheduling and I/O class, read from outside.
* :mod:`.manager`      picking the confinement mode, refusing without one, settings.
* :mod:`.intake`       which files of a submission are taken, and what was ignored.
* :mod:`.scan`         AST scan for borrowed library operations.
* :mod:`.scopes`       the names a scope of a student's module binds, read for the scan.

Nothing here imports pytest or the grading plugin; the plugin's glue is
``descent/grading/plugin_workers.py``.

See ``docs/explanation/isolation/``.
"""
