"""Namespaces: network (no interface up), IPC, UTS and mount, a size-capped tmpfs on the scratch
directory, and, without root, a user namespace of the worker's own to make them in."""

from __future__ import annotations

import os
from pathlib import Path

from .syscalls import libc as _libc

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS = (
    0x00020000,
    0x40000000,
    0x08000000,
    0x04000000,
)
CLONE_NEWUSER = 0x10000000
MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV = 0x4000, 1 << 18, 2, 4


def enter_user_namespace() -> bool:
    """Become the owner of a new user namespace in which this process keeps its own uid and gid.

    Lets a worker started without root create the network and mount namespaces and the tmpfs of
    :func:`unshare_namespaces`. The process holds every capability inside the new namespace
    until :func:`.privileges.drop_capabilities`; none of them reaches outside it. False when the
    kernel or its policy refuses unprivileged user namespaces (then nothing changed).
    """
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(CLONE_NEWUSER) != 0:
        return False
    try:  # setgroups must be denied before an unprivileged process may write gid_map
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError:
        # Left in a namespace without a mapping, where no file can be created: the confined
        # probe fails, and the manager then starts workers without a user namespace.
        return False
    return True


def unshare_namespaces(scratch: str | None, scratch_size: int, user: bool = False) -> list[str]:
    """New network (loopback only, down), IPC, UTS and mount namespaces; a size-capped tmpfs on the
    scratch dir. Needs root, or ``user=True`` where unprivileged user namespaces are allowed.
    Returns the names of what took effect."""
    done: list[str] = []
    if user:
        if not enter_user_namespace():
            return done
        done.append("userns")
    if _libc.unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0:
        done.append("netns")
    if _libc.unshare(CLONE_NEWNS) == 0:
        if _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0:
            done.append("mountns")
            if scratch:
                opts = f"size={scratch_size},nr_inodes=4096,mode=0777".encode()
                if (
                    _libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts)
                    == 0
                ):
                    done.append("tmpfs-scratch")
    return done


def user_namespaces_allowed() -> bool:
    """Whether the sysctls let an unprivileged process create a user namespace (a hint: a
    security module may still refuse; the worker records what took effect)."""
    try:
        if int(Path("/proc/sys/user/max_user_namespaces").read_text()) == 0:
            return False
    except (OSError, ValueError):
        return False
    try:  # a Debian and Ubuntu switch; other kernels do not have it
        return Path("/proc/sys/kernel/unprivileged_userns_clone").read_text().strip() != "0"
    except OSError:
        return True
