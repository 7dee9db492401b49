"""The cap on a worker's threads and processes, in every mode: ``RLIMIT_NPROC``.

The kernel checks ``RLIMIT_NPROC`` whenever a task starts another (a thread or a process), and
counts the tasks whose real uid is the caller's. Since Linux 5.14 it keeps that count per user
namespace, and checks each level up to the initial one: a task in a namespace of its own is
measured at the first level against its own limit, counting only the tasks of its uid in that
namespace (and at each level above against the limit its creator had). Uid 0 is never checked,
nor a task with ``CAP_SYS_RESOURCE`` or ``CAP_SYS_ADMIN`` in the initial namespace. So:

* as root with a uid of its own (61001 to 61999, leased to one worker): the uid's tasks are the
  worker's, and the limit is the cap (as root the cgroup's ``pids.max`` also holds);
* without root, in a user namespace of its own (the usual case): the tasks counted at the first
  level are the worker's own, so the limit is the cap, whatever else the grader's user runs;
* without root and without a user namespace: every task of the grader's user is counted. The
  limit is the user's other tasks when the worker starts plus the cap, so the worker has at most
  the cap, plus as many as the user's other tasks end meanwhile (never tens of thousands);
* uid 0 without a uid of its own (root where the interpreter is private, or
  ``--unprivileged-workers`` as root): exempt from the limit; root's workers have the cgroup.

``tests/isolation/test_task_cap.py`` starts threads in a confined worker in each of these.
"""

from __future__ import annotations

import os


def nproc(cap: int, *, own_uid: bool, userns: bool) -> int | None:
    """The ``RLIMIT_NPROC`` that holds a worker to ``cap`` tasks (its first thread included),
    or None where the kernel does not check it (uid 0)."""
    if own_uid or userns:
        return cap
    if os.getuid() == 0:
        return None
    return tasks_of(os.getuid()) - 1 + cap  # this task is among those counted


def tasks_of(uid: int) -> int:
    """The threads and processes whose real uid is ``uid`` (what the limit counts), read from
    ``/proc``; a process that ends while it is read is not counted."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as status:
                fields = dict(
                    line.split(b":", 1) for line in status.read().splitlines() if b":" in line
                )
        except OSError:
            continue
        try:
            if int(fields[b"Uid"].split()[0]) == uid:
                count += int(fields[b"Threads"])
        except (KeyError, IndexError, ValueError):
            continue
    return count
