"""The entry point of one grading process of a batch: ``python -m descent.commands.child
--parent PID --cpu N|- -- grade PATH ...`` (started by :mod:`descent.course.runner` where no warm
parent grades, on a Dask worker; :mod:`descent.commands.warm` forks the same process instead).

It asks the kernel to kill it when the thread that started it dies (``PR_SET_PDEATHSIG``), so a
batch killed with SIGKILL leaves no grading behind; it pins itself to the CPU the batch chose,
so parallel gradings do not share one; then it runs the ``descent`` command line.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys


def die_with_parent(parent: int) -> bool:
    """Ask the kernel for SIGKILL when the thread that started this process dies; False when
    ``parent`` is already gone (it died before the request took effect)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    return os.getppid() == parent


def pin(cpu: str) -> None:
    """Run on CPU ``cpu`` only ("-": anywhere)."""
    if cpu != "-" and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {int(cpu)})
        except OSError:
            pass  # the CPU went away: grade unpinned rather than not at all


def main(argv: list[str]) -> int:
    parent = int(argv[argv.index("--parent") + 1])
    cpu = argv[argv.index("--cpu") + 1]
    rest = argv[argv.index("--") + 1 :]
    if not die_with_parent(parent):
        return 3
    pin(cpu)
    from . import main as descent  # after the pinning: the command line imports pytest and torch

    return descent(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
