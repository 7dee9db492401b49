"""Privileges: a uid of the worker's own (as root) or an empty capability set, and the private
folders above what a worker with its own uid must read, covered in its mount namespace."""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct
from collections.abc import Sequence
from pathlib import Path

from .namespaces import MS_NODEV, MS_NOSUID, MS_REC
from .syscalls import NR, X86_64
from .syscalls import libc as _libc

PR_CAPBSET_DROP = 24
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def drop_capabilities() -> None:
    """Empty the bounding, effective, permitted and inheritable sets (uid 0 keeps no power)."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    header = struct.pack("<Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)
    hbuf, dbuf = ctypes.create_string_buffer(header, 8), ctypes.create_string_buffer(data, 24)
    if _libc.syscall(NR["capset"] if X86_64 else 91, hbuf, dbuf) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def drop_uid(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _private(path: Path) -> bool:
    """Whether other users cannot pass through ``path`` (a folder without o+x)."""
    mode = path.stat().st_mode
    return stat.S_ISDIR(mode) and not mode & stat.S_IXOTH


def readable_by_others(paths: list[str], cover: bool = False) -> tuple[bool, str]:
    """Whether a uid other than the owner can reach ``paths`` (every folder on the way o+x).
    With ``cover``, a private folder strictly above a path does not count: the worker covers
    it in its own mount namespace (:func:`cover_private_folders`)."""
    for p in paths:
        path = Path(p).resolve()
        try:
            if _private(path) or (not cover and any(_private(d) for d in path.parents)):
                blocker = next(d for d in [*reversed(path.parents), path] if _private(d))
                mode = blocker.stat().st_mode
                return False, (
                    f"{blocker} is not searchable by other users (mode {oct(mode & 0o777)})"
                )
        except OSError:
            return False, f"cannot stat {path}"
    return True, ""


MS_BIND, MS_REMOUNT, MS_RDONLY = 4096, 32, 1


def cover_private_folders(read: list[str], write: Sequence[str] = ()) -> list[str]:
    """Let a worker that has dropped to its own uid reach ``read`` and ``write`` when a folder
    above them is private to root (a home such as ``/root``, mode 0700, holding the
    interpreter). In this process's own mount namespace (root, after
    :func:`.namespaces.unshare_namespaces`), each topmost such folder is covered by a tmpfs that
    holds only the way down to the paths under it, and each path is bound back from the original,
    the ``read`` ones read-only. Nothing changes on disk or outside the namespace, and nothing
    else in the private folder is visible. Returns the folders covered; raises OSError."""
    wanted = {str(Path(p).resolve()): False for p in read if os.path.exists(p)}
    wanted.update({str(Path(p).resolve()): True for p in write if os.path.exists(p)})
    groups: dict[Path, list[str]] = {}
    for p in sorted(wanted):
        top = next((d for d in reversed(Path(p).parents) if _private(d)), None)
        if top is not None and not any(p.startswith(q + "/") for q in groups.get(top, [])):
            groups.setdefault(top, []).append(p)
    for top, paths in groups.items():
        fds = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in paths}
        try:
            _mount(b"tmpfs", str(top), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=0755")
            for p, fd in fds.items():
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(p, 0o755, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(p), 0o755, exist_ok=True)
                    open(p, "a").close()
                _mount(f"/proc/self/fd/{fd}".encode(), p, None, MS_BIND | MS_REC, None)
                if not wanted[p]:
                    _mount(None, p, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
        finally:
            for fd in fds.values():
                os.close(fd)
    return [str(top) for top in groups]


def _mount(source, target: str, kind, flags: int, options) -> None:
    if _libc.mount(source, target.encode(), kind, flags, options) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount on {target}: {os.strerror(err)}")
