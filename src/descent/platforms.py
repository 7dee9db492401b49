"""What this system can run: the student's own run needs nothing POSIX; a grading worker needs Linux.

Students run ``pytest exercises/`` and ``descent check`` on Windows, macOS and Linux: that path
runs their code in-process and imports nothing POSIX-only (tests/test_platforms.py runs it with
Windows' missing APIs taken away). A submission graded for an instructor runs in a confined worker
(:mod:`descent.isolation`), which forks a server and confines it with Linux's own APIs; on a
system without them the grading says so, once, before anything starts.
"""

from __future__ import annotations

import importlib
import os
import sys

from .options import AUTO, NONE

# What the kit's POSIX-only modules import (the worker's, a class's batch) and Windows' Python lacks.
POSIX_MODULES = ("fcntl", "resource", "termios")
_WORKER_MODULES = ("fcntl", "resource")
_WORKER_CALLS = ("fork",)


def workers_missing() -> str | None:
    """What this system lacks to run a grading worker (``"fcntl, os.fork"``), or None."""
    missing = [m for m in _WORKER_MODULES if not _imports(m)]
    missing += [f"os.{name}" for name in _WORKER_CALLS if not hasattr(os, name)]
    if sys.platform != "linux":  # macOS has the rest, but not the kernel's confinement
        missing.append("Landlock, seccomp")
    return ", ".join(missing) or None


def _imports(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def needs_linux(missing: str) -> str:
    """What a grading that needs a worker says where there can be none."""
    return (
        f"grading a submission runs it in a confined worker, which needs Linux (missing here: "
        f"{missing}): grade on Linux or in WSL, or add --insecure to run code you trust (your "
        f"own) in this process"
    )


def isolation_mode(mode: str, insecure: bool) -> str:
    """The ``--isolation`` a run uses: ``auto`` with ``--insecure`` runs in-process where no
    worker can start (the one way to grade one's own code on Windows); otherwise ``mode``."""
    if mode == AUTO and insecure and workers_missing():
        return NONE
    return mode


def posix_module_missing(exc: ImportError) -> str | None:
    """The POSIX-only module whose absence raised ``exc`` (``"fcntl"``), or None for any other
    import error."""
    return exc.name if exc.name in POSIX_MODULES else None


def verb_needs_linux(verb: str, missing: str) -> str:
    """What ``descent VERB`` says on a system without ``missing``."""
    return (
        f"descent {verb} runs on Linux (this system has no {missing}): run it on Linux or in "
        f"WSL; a student's commands (descent check, pytest exercises/) work here"
    )
