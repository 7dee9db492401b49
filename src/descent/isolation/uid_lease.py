"""Worker uids leased across the whole machine.

As root, each worker runs under a uid of its own, so that it cannot signal, trace or read another
student's worker. A counter per grading process is not enough for that: two gradings started side
by side (two ``descent grade`` commands, a batch's processes) would both hand out the first uid of
the range, and two students' workers would share it. A lease is an exclusive ``flock`` on one
lock file per uid in a root-only folder: the kernel drops it when the lease is released or when
the process holding it dies, so a crashed grading never keeps a uid, and no two live gradings
ever hold the same one.
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

FIRST_UID = 61001
COUNT = 999  # 61001 to 61999
FOLDER = Path("/run/descent-worker-uids")


class UidsExhausted(RuntimeError):
    """Every uid of the range is leased by a live grading."""


class UidLease:
    """One uid, held until :meth:`release` (or until this process ends)."""

    def __init__(self, uid: int, fd: int):
        self.uid = uid
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def lease(start: int = 0, folder: Path = FOLDER) -> UidLease:
    """The first free uid from ``FIRST_UID + start`` on (wrapping round the range)."""
    trusted_folder(folder)
    for i in range(COUNT):
        uid = FIRST_UID + (start + i) % COUNT
        fd = os.open(
            folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return UidLease(uid, fd)
    raise UidsExhausted(f"all {COUNT} worker uids are leased by running gradings")


def trusted_folder(folder: Path) -> None:
    """Create ``folder`` for this user alone, or refuse (PermissionError) one that another user
    could have planted or could write to (a lock there would not be ours to trust). The batch's
    CPU locks live in such a folder too (``descent.course.runner.cpu_slot``)."""
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = folder.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise PermissionError(f"{folder} is not a folder that only this user can write to")
