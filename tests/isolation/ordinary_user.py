"""Running a command as an ordinary user, for the red-team lanes that need one (a batch run by
an instructor's own account, where the workers share the grader's uid).

The account is ``descent-redteam``, created on first use where this suite runs as root (with
``useradd``); elsewhere the tests that need it skip and say why. On this kind of machine the
interpreter lives under ``/root`` (mode 0700), which the account cannot reach: the command runs
in a mount namespace of its own where ``/root`` is covered by a tmpfs holding only the way
down to the interpreter (``privileges.cover_private_folders``, as a worker with a uid of its
own does), so nothing changes for any other process.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from descent.isolation import confinement, namespaces, privileges

ACCOUNT = "descent-redteam"


def account() -> pwd.struct_passwd:
    """The ordinary account, created now if need be; skips the test where that cannot be."""
    if os.geteuid() != 0:
        pytest.skip("not root: this run's own user is the ordinary user (run the suite as root)")
    try:
        return pwd.getpwnam(ACCOUNT)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        pytest.skip("no useradd to create the ordinary account descent-redteam")
    made = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ACCOUNT],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0 and "already exists" not in made.stderr:
        pytest.skip(f"useradd could not create {ACCOUNT}: {made.stderr.strip()}")
    return pwd.getpwnam(ACCOUNT)


def give(user: pwd.struct_passwd, *paths: Path) -> None:
    """Make ``paths`` and everything under them the account's (they must lie in a folder it
    can pass through, such as one made by ``tempfile.mkdtemp`` in /tmp)."""
    for path in paths:
        for top, dirs, files in os.walk(path):
            for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
                os.lchown(name, user.pw_uid, user.pw_gid)


def run_as(
    user: pwd.struct_passwd, argv: list[str], **kw
) -> subprocess.CompletedProcess:  # pragma: no cover - the child side runs after fork
    """``subprocess.run(argv, **kw)`` as ``user``, with the interpreter reachable."""
    reads = confinement.interpreter_paths()
    libc = ctypes.CDLL(None, use_errno=True)

    def become() -> None:
        if libc.unshare(namespaces.CLONE_NEWNS) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
        if libc.mount(None, b"/", None, namespaces.MS_REC | namespaces.MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
        privileges.cover_private_folders(reads)
        os.setgroups([])
        os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
        os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)

    home = Path(tempfile.mkdtemp(prefix="descent-redteam-home-"))
    os.chown(home, user.pw_uid, user.pw_gid)  # the caches the command writes stay in it
    env = dict(kw.pop("env", None) or os.environ, HOME=str(home), USER=ACCOUNT, LOGNAME=ACCOUNT)
    try:
        return subprocess.run(argv, preexec_fn=become, env=env, **kw)
    finally:
        shutil.rmtree(home, ignore_errors=True)
