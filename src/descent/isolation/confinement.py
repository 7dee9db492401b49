"""Confinement of a worker process: what this machine offers, and where each step lives.

Everything is applied by the worker to itself, in a freshly forked single-threaded child, before
any submission code is imported (:func:`descent.isolation.server.confine`, in this order):

* :mod:`.cgroups`     a cgroup of its own (root): memory and pids;
* :mod:`.namespaces`  network, IPC, UTS and mount namespaces, a tmpfs scratch, a user namespace;
* :mod:`.limits`      the rlimits (and every other number a worker is held to);
* :mod:`.privileges`  a uid of its own (root), or no capabilities;
* :mod:`.landlock`    the files it may read and write, no TCP;
* :mod:`.seccomp`     the syscall filter.

They need only ctypes and the kernel (no binaries, no extra wheels), through :mod:`.syscalls`.
:func:`probe` reports what this machine offers (the availability checks it is made of are named
here too, for the tests' skip conditions); the fork server also runs a confined probe child at
start and records what actually held (:mod:`descent.isolation.server`).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path

from .landlock import landlock_abi
from .namespaces import user_namespaces_allowed
from .privileges import readable_by_others
from .seccomp import seccomp_available

__all__ = [
    "interpreter_paths",
    "landlock_abi",
    "probe",
    "readable_by_others",
    "seccomp_available",
    "tool",
    "user_namespaces_allowed",
]


def tool(name: str) -> str | None:
    return shutil.which(name)


def probe() -> dict:
    """Mechanisms available to workers started from this process (static checks only)."""
    root = os.geteuid() == 0
    info = {
        "platform": f"{sys.platform}-{platform.machine()}",
        "kernel": platform.release(),
        "root": root,
        "landlock_abi": landlock_abi() if sys.platform == "linux" else 0,
        "seccomp": sys.platform == "linux" and seccomp_available(),
        "cgroup": None,
        "uid_drop": False,
        "uid_drop_reason": "",
        "userns": sys.platform == "linux" and user_namespaces_allowed(),
        "bwrap": tool("bwrap"),
        "nsjail": tool("nsjail"),
    }
    if root and sys.platform == "linux":
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():
            info["cgroup"] = "v2"
        elif Path("/sys/fs/cgroup/memory").is_dir() and Path("/sys/fs/cgroup/pids").is_dir():
            info["cgroup"] = "v1"
        ok, why = readable_by_others(interpreter_paths(), cover=True)
        info["uid_drop"], info["uid_drop_reason"] = ok, why
    return info


def interpreter_paths() -> list[str]:
    """Files the worker must read: the interpreter's prefixes and the import path."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import sysconfig

    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    # audited as it stands: the isolation core's imports are not moved without a review
    import descent

    paths.add(str(Path(descent.__file__).resolve().parent))
    return sorted(str(Path(p).resolve()) for p in paths if os.path.exists(p))
