"""A confined worker cannot change file metadata or make links, as root or as another user.

Landlock governs reading and writing contents; the owner of a file may still change its mode,
owner, times and extended attributes, and link to it, without any capability. These attacks
worked from student code before the seccomp filter refused them: the gradebook and
the keys' folder went to 0777, a key to 0666, a root-owned binary got the setuid bit, a file's
time went back to 1970. Each case here confines a forked child exactly as a worker is confined
and tries the call on a file and a folder outside its scratch folder (readable, as the
interpreter's own files are) and inside it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from descent.isolation import confinement, server

from .forked import in_child, outcome

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine (Landlock and seccomp needed)",
)

NOBODY = 65534
AT_FDCWD = -100
SYS_FCHMODAT2 = 452  # x86_64 (Linux 6.6 and later)


def _fchmodat2(path: str, mode: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(SYS_FCHMODAT2, AT_FDCWD, path.encode(), mode, 0) != 0:
        raise OSError(ctypes.get_errno(), "fchmodat2")


def _fchmod(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fchmod(fd, 0o4777)
    finally:
        os.close(fd)


def _attacks(outside: Path, scratch: Path) -> dict:
    """Each attack the issue names, as a thunk; ``outside`` holds ``key`` and ``keys/``."""
    key, keys, own = str(outside / "key"), str(outside / "keys"), str(scratch / "own")
    return {
        "chmod file": lambda: os.chmod(key, 0o666),
        "chmod folder": lambda: os.chmod(keys, 0o777),
        "setuid bit": lambda: os.chmod(key, 0o4755),
        "fchmod": lambda: _fchmod(key),
        "fchmodat folder": lambda: os.chmod(keys, 0o777, follow_symlinks=True),
        "fchmodat2": lambda: _fchmodat2(key, 0o777),
        "chown": lambda: os.chown(key, os.getuid(), os.getgid()),
        "lchown": lambda: os.lchown(key, os.getuid(), os.getgid()),
        "utime": lambda: os.utime(key, (0, 0)),
        "utime now": lambda: os.utime(key),
        "setxattr": lambda: os.setxattr(key, "user.descent", b"x"),
        "removexattr": lambda: os.removexattr(key, "user.descent"),
        "link in": lambda: os.link(key, str(scratch / "hard")),
        "symlink in": lambda: os.symlink(key, str(scratch / "soft")),
        "symlink out": lambda: os.symlink("/etc/passwd", str(outside / "soft")),
        "mknod": lambda: os.mkfifo(str(scratch / "fifo")),
        "rename out": lambda: os.rename(key, str(scratch / "stolen")),
        "rename in": lambda: os.rename(own, str(outside / "planted")),
        "chmod scratch": lambda: os.chmod(own, 0o4777),
    }


def _snapshot(outside: Path) -> dict:
    return {
        p.name: (oct(p.lstat().st_mode), p.lstat().st_mtime_ns, p.lstat().st_uid)
        for p in sorted(outside.iterdir())
    }


def _confined_attempts(
    tmp_path: Path, uid: int | None, worker_uid: int | None = None
) -> tuple[dict, dict, dict]:
    """Confine a child as a worker (as ``uid`` when given; as root with the worker's own
    ``worker_uid`` when given) and try every attack."""
    outside, scratch = tmp_path / "grader", Path(tempfile.mkdtemp(dir=tmp_path))
    (outside / "keys").mkdir(parents=True, mode=0o700)
    (outside / "key").write_text("answers")
    os.chmod(outside / "key", 0o600)
    (scratch / "own").write_text("mine")
    if uid is not None:  # an ordinary user who owns what it attacks, like a grader without root
        for path in (
            tmp_path,
            outside,
            outside / "keys",
            outside / "key",
            scratch,
            scratch / "own",
        ):
            os.chown(path, uid, uid)
    os.chmod(tmp_path, 0o755)
    if worker_uid is not None:
        os.chmod(scratch, 0o777)
        os.chown(scratch, worker_uid, worker_uid)
    before = _snapshot(outside)

    def attempt(keep: int) -> dict:
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        config = {"scratch": str(scratch), "namespaces": uid is None, "read_extra": [str(outside)]}
        if worker_uid is not None:
            config["uid"] = config["gid"] = worker_uid
        applied = server.confine(config, keep=keep)["applied"]
        seen = {name: outcome(fn) for name, fn in _attacks(outside, scratch).items()}
        return {**seen, "uid": os.getuid(), "applied": applied}

    return in_child(attempt), before, _snapshot(outside)


LANES = ["root", "root, worker uid", "ordinary user"]
WORKER_UID = 61999


@pytest.fixture
def base():
    """A folder another uid can reach (pytest's own temporary folder is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="descent-metadata-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("lane", LANES)
def test_metadata_and_link_calls_are_refused(base, lane):
    if os.geteuid() != 0:
        if lane == "root":
            pytest.skip("not root: the ordinary-user lane is this run's own uid")
        uid = None
    elif lane == "ordinary user":
        uid = NOBODY
    else:
        uid = None
    worker_uid = WORKER_UID if lane == "root, worker uid" and os.geteuid() == 0 else None
    if lane == "root, worker uid" and worker_uid is None:
        pytest.skip("not root: no worker uid to drop to")
    seen, before, after = _confined_attempts(base, uid, worker_uid)
    assert "error" not in seen, seen
    applied, got_uid = seen.pop("applied"), seen.pop("uid")
    if worker_uid is not None:  # the worker's own uid, even with the interpreter under /root
        assert got_uid == worker_uid and f"uid-{worker_uid}" in applied, applied
        if not confinement.readable_by_others(confinement.interpreter_paths())[0]:
            assert any(a.startswith("cover:") for a in applied), applied
    renames = {k: seen.pop(k) for k in ("rename out", "rename in")}
    assert set(seen.values()) == {"EACCES"}, seen
    # Landlock, not seccomp, refuses a rename across the scratch folder's edge (EXDEV or EACCES):
    # a rename inside the scratch folder stays possible.
    assert "allowed" not in renames.values(), renames
    assert after == before, "a file outside the scratch folder changed"


def test_a_rename_inside_the_scratch_folder_still_works(tmp_path):
    scratch = Path(tempfile.mkdtemp(dir=tmp_path))

    def attempt(keep: int) -> dict:
        server.confine({"scratch": str(scratch), "namespaces": False}, keep=keep)
        Path("draft").write_text("x")
        os.rename("draft", "final")
        return {"final": Path("final").read_text(), "mode": oct(os.stat("final").st_mode)}

    seen = in_child(attempt)
    assert seen.get("final") == "x", seen
    assert not int(seen["mode"], 8) & stat.S_ISUID
