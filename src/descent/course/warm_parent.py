"""The batch's side of a warm parent (:mod:`descent.commands.warm`): one per thread of the local
pool, started on the thread's first grading and kept until the batch ends, so the start-up every
grading process would pay (imports, the fork server) is paid once per job instead of once per
submission. :func:`descent.course.runner.grade_submission` asks it for each grading and falls
back to a fresh process (:mod:`descent.commands.child`) when it cannot answer.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

START_TIMEOUT = 300.0  # a warm parent's imports on a loaded machine, before its first fork


class Broken(Exception):
    """The warm parent stopped answering (it died, or said something else than the protocol)."""


class WarmParent:
    """One warm parent and the gradings it forks, one at a time."""

    def __init__(self, kit: str, folder: contextlib.AbstractContextManager, env: Callable):
        self.kit = kit
        self.stack = contextlib.ExitStack()
        self.folder = Path(self.stack.enter_context(folder))
        log = self.stack.enter_context(open(self.folder / "warm.log", "wb"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "descent.commands.warm", "--parent", str(os.getpid())],
            cwd=kit,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env(self.folder),
            start_new_session=True,
        )
        self.pending = b""
        # What the last grading's end found changed in the fork server or the parent (the
        # protocol's "changed", see descent.commands.warm): that grading must not be recorded.
        self.changed: list[str] = []

    def alive(self) -> bool:
        return self.proc.poll() is None

    def start(self, argv: list[str], cwd: str, env: dict, log: Path, cpu: int | None) -> int:
        """Fork a grading of ``descent ARGV``; its pid. Raises :class:`Broken`."""
        self.changed = []
        request = {"argv": argv, "cwd": cwd, "env": env, "log": str(log)}
        request["cpu"] = "-" if cpu is None else str(cpu)
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise Broken(f"the warm parent is not reading ({exc})") from None
        reply = self._read(START_TIMEOUT)
        if reply is None or "pid" not in reply:
            raise Broken(f"the warm parent did not start the grading ({reply})")
        return int(reply["pid"])

    def wait(self, timeout: float | None) -> int | None:
        """The exit code of the grading started last (minus the signal that killed it), or None
        when it has not ended within ``timeout`` seconds. Raises :class:`Broken`."""
        reply = self._read(timeout)
        if reply is None:
            return None
        if "exit" not in reply:
            raise Broken(f"the warm parent said {reply}")
        self.changed = [str(line) for line in reply.get("changed", [])]
        if reply.get("ends"):  # its own vitals changed: it ends now, and a fresh one follows
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        return int(reply["exit"])

    def _read(self, timeout: float | None) -> dict | None:
        """The next message, or None when none came within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise Broken("the warm parent exited")
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            raise Broken(f"the warm parent said {line[:200]!r}") from None

    def close(self) -> None:
        """End the warm parent (it ends its fork server) and remove its folder."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        with contextlib.suppress(OSError):
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        self.stack.close()


_LOCAL = threading.local()
_ALL: list[WarmParent] = []
_ALL_LOCK = threading.Lock()


def for_this_thread(kit: str, folder: Callable, env: Callable) -> WarmParent | None:
    """This thread's warm parent for ``kit`` (started now if it has none, or its last one
    died); None when none can be started."""
    parent = getattr(_LOCAL, "parent", None)
    if parent is not None and parent.kit == kit and parent.alive():
        return parent
    if parent is not None:
        discard(parent)
    try:
        parent = WarmParent(kit, folder(), env)
    except OSError:
        return None
    with _ALL_LOCK:
        _ALL.append(parent)
    _LOCAL.parent = parent
    return parent


def discard(parent: WarmParent) -> None:
    """Close a warm parent that broke; the thread starts another on its next grading."""
    if getattr(_LOCAL, "parent", None) is parent:
        _LOCAL.parent = None
    with _ALL_LOCK:
        if parent not in _ALL:
            return
        _ALL.remove(parent)
    parent.close()


def kill_all() -> None:
    """Kill every warm parent now (Ctrl-C): what it forked dies with it (PR_SET_PDEATHSIG),
    even a grading forked a moment ago; :func:`close_all` then reaps them."""
    with _ALL_LOCK:
        parents = list(_ALL)
    for parent in parents:
        with contextlib.suppress(OSError):
            os.killpg(parent.proc.pid, signal.SIGKILL)


def close_all() -> None:
    """Close every warm parent (the batch has ended, or was interrupted)."""
    with _ALL_LOCK:
        parents = list(_ALL)
        _ALL.clear()
    for parent in parents:
        parent.close()


atexit.register(close_all)
