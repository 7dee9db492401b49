"""The entry point of one grading process of a batch: ``python -m descent.commands.child
--parent PID --cpu N|- -- grade PATH ...`` (started by :mod:`descent.course.runner`).

It asks the kernel to kill it when the thread that started it dies (``PR_SET_PDEATHSIG``), so a
batch killed with SIGKILL leaves no grading behind; it pins itself to the CPU the batch chose,
so parallel gradings do not share one; then it runs the ``descent`` command line.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys


def main(argv: list[str]) -> int:
    parent = int(argv[argv.index("--parent") + 1])
    cpu = argv[argv.index("--cpu") + 1]
    rest = argv[argv.index("--") + 1 :]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the batch
    if os.getppid() != parent:  # the batch died before the line above
        return 3
    if cpu != "-" and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {int(cpu)})
        except OSError:
            pass  # the CPU went away: grade unpinned rather than not at all
    from . import main as descent  # after the pinning: the command line imports pytest and torch

    return descent(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
