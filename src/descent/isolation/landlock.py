"""Landlock: which files a worker may read and write, no TCP, and (ABI 6) no signals or abstract
unix sockets outside its own domain. Driven through its three syscalls; no root needed (kernel
5.13 or later)."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
import struct
from collections.abc import Sequence

from .syscalls import PR_SET_NO_NEW_PRIVS, X86_64
from .syscalls import libc as _libc

SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
FS = {
    name: 1 << i
    for i, name in enumerate(
        (
            "EXECUTE",
            "WRITE_FILE",
            "READ_FILE",
            "READ_DIR",
            "REMOVE_DIR",
            "REMOVE_FILE",
            "MAKE_CHAR",
            "MAKE_DIR",
            "MAKE_REG",
            "MAKE_SOCK",
            "MAKE_FIFO",
            "MAKE_BLOCK",
            "MAKE_SYM",
            "REFER",
            "TRUNCATE",
            "IOCTL_DEV",
        )
    )
}
_FS_BY_ABI = {
    1: (1 << 13) - 1,
    2: (1 << 14) - 1,
    3: (1 << 15) - 1,
    4: (1 << 15) - 1,
    5: (1 << 16) - 1,
}
_FILE_RIGHTS = FS["EXECUTE"] | FS["WRITE_FILE"] | FS["READ_FILE"] | FS["TRUNCATE"] | FS["IOCTL_DEV"]
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2
READ = FS["READ_FILE"] | FS["READ_DIR"]
WRITE = (
    FS["WRITE_FILE"]
    | FS["REMOVE_DIR"]
    | FS["REMOVE_FILE"]
    | FS["MAKE_DIR"]
    | FS["MAKE_REG"]
    | FS["TRUNCATE"]
)


def landlock_abi() -> int:
    if not X86_64 and platform.machine() not in ("aarch64", "riscv64"):
        return 0
    v = _libc.syscall(
        SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION),
    )
    return int(v) if v > 0 else 0


def apply_landlock(read: list[str], write: list[str], devices: Sequence[str] = ()) -> int:
    """Restrict this thread (the worker is single-threaded here) to the given paths, no TCP,
    and (ABI >= 6) no signals or abstract sockets outside its own domain. Returns the ABI."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available")
    fs = _FS_BY_ABI.get(abi, (1 << 16) - 1)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack("<QQQ", fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    buf = ctypes.create_string_buffer(attr[:size], size)
    fd = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in (
            (read, READ),
            (write, READ | WRITE),
            (devices, READ | FS["WRITE_FILE"] | FS["IOCTL_DEV"]),
        ):
            for path in paths:
                _add_path_rule(fd, path, rights & fs)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(fd)
    return abi


def _add_path_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # an optional path that does not exist here
    try:
        if not stat.S_ISDIR(os.fstat(pfd).st_mode):
            rights &= _FILE_RIGHTS
        rule = struct.pack("<Qi", rights, pfd)
        buf = ctypes.create_string_buffer(rule, len(rule))
        if (
            _libc.syscall(
                SYS_LANDLOCK_ADD_RULE,
                ctypes.c_int(ruleset),
                ctypes.c_int(1),
                buf,
                ctypes.c_uint32(0),
            )
            != 0
        ):
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(pfd)
