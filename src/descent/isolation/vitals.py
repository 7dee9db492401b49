"""What the kernel holds about a process that its children inherit or that decides how it runs:
resource limits, nice value, scheduling policy and priority, CPUs, I/O class and OOM score.

A fork server is lent to one grading after another (:meth:`.pool.ForkServer.lend`), and every
worker forked from it inherits these. A worker that could lower its server's address-space
limit or renice it would wreck the gradings after its own, so the worker's seccomp filter
refuses every such call on any process but itself (``seccomp.SELF_ONLY``); and before a
server is lent again its vitals are read once more and compared with those it started with
(:func:`changes`), in case some other path was missed.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from .syscalls import NR, X86_64

IOPRIO_WHO_PROCESS = 1
_libc = ctypes.CDLL(None, use_errno=True)


def of(pid: int) -> dict | None:
    """The vitals of process ``pid``, or None when it has gone."""
    try:
        return {
            "limits": _limits(pid),
            "nice": os.getpriority(os.PRIO_PROCESS, pid),
            "policy": os.sched_getscheduler(pid),
            "priority": os.sched_getparam(pid).sched_priority,
            "cpus": sorted(os.sched_getaffinity(pid)),
            "io class": _ioprio(pid),
            "oom score": Path(f"/proc/{pid}/oom_score_adj").read_text().strip(),
        }
    except (OSError, AttributeError):  # gone, or not Linux
        return None


def changes(before: dict | None, after: dict | None) -> list[str]:
    """What differs between two readings, one line each ("nice 0 -> 19"); a process that has
    gone since is not a change (it is not lent again anyway)."""
    if before is None or after is None:
        return []
    out = []
    for key, was in before.items():
        now = after.get(key)
        if key == "limits":
            now = now or {}
            out += [
                f"{name} {was[name]} -> {now.get(name)}"
                for name in was
                if now.get(name) != was[name]
            ]
        elif now != was:
            out.append(f"{key} {was} -> {now}")
    return out


def _limits(pid: int) -> dict[str, str]:
    """``/proc/PID/limits`` as ``{"Max address space": "4294967296 4294967296 bytes"}``."""
    rows = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    # The name is the first column (25 characters wide); soft, hard and units follow.
    return {row[:26].strip(): " ".join(row[26:].split()) for row in rows if row.strip()}


def _ioprio(pid: int) -> int | None:
    if not X86_64:
        return None
    value = _libc.syscall(NR["ioprio_get"], IOPRIO_WHO_PROCESS, pid)
    return None if value < 0 else int(value)
