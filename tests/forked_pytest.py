"""The suite's gradings forked from a warm process instead of started fresh.

Every ``conftest.grade`` is a whole ``python -m pytest`` run, and most of a small one's CPU is
start-up: the interpreter, pytest, torch and the grading plugin (about 2 CPU-s), and the fork
server its workers come from, which imports torch again. A batch avoids that with a warm parent
(:mod:`descent.commands.warm`); the suite does the same here. One warm process per suite worker
(started by the first grading that can use it) imports what a grading imports and starts a fork
server, then forks one child per grading, which runs ``pytest.main`` on the grading's arguments
in the grading's folder and environment, its output in a log. Each child is a new process that
ran no test before, so nothing one grading does reaches the next, as with a fresh process
(tests/course/test_warm_parent.py compares the two for a batch).

A grading falls back to a fresh process when the warm one cannot stand in for it: an environment
that differs from the warm process's in anything but ``PYTHONPATH``, ``OWN_EXERCISES`` and
``DESCENT_*`` (torch reads some variables once, at import, such as ``ATEN_CPU_CAPABILITY``), or
a grading already running in the warm process (a test that grades from two threads at once).
``DESCENT_TESTS_FRESH=1`` makes every grading a fresh process (to compare, or to rule this out).

Protocol, one JSON object a line. Read: ``{"args": [...], "cwd": DIR, "env": {...}, "log":
FILE}``. Written: ``{"pid": PID}`` when the child started, then ``{"exit": CODE}``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

# Variables read at run time, not at import: a grading that sets them can still be forked.
RUN_TIME = ("PYTHONPATH", "OWN_EXERCISES")
RUN_TIME_PREFIXES = ("DESCENT_",)
START_TIMEOUT = 300.0  # the warm process's imports on a loaded machine
FRESH = "DESCENT_TESTS_FRESH"  # set (to anything): every grading in a fresh process, as before


def forkable(env: dict[str, str], warm_env: dict[str, str]) -> bool:
    """Whether a grading with environment ``env`` may be forked from a process started with
    ``warm_env``: they differ only in variables read at run time."""
    keys = set(env) | set(warm_env)
    return all(
        env.get(k) == warm_env.get(k) or k in RUN_TIME or k.startswith(RUN_TIME_PREFIXES)
        for k in keys
    )


class WarmPytest:
    """The suite's side: one warm process, one grading at a time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        # the suite worker's environment as it starts, before any test changes it: the warm
        # process always starts with it, whichever grading comes first (one made inside a test
        # that set a variable would otherwise turn every later grading away)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        self.lock = threading.Lock()
        self.forked = 0  # gradings run here, not in a fresh process

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float
    ) -> int | None:
        """``pytest ARGS`` forked in ``cwd`` with ``env``, its output in ``log``: the exit code,
        or None when it must run in a fresh process instead. Raises subprocess.TimeoutExpired
        (its child killed) past ``timeout`` seconds."""
        if os.environ.get(FRESH) or not self.lock.acquire(blocking=False):
            return None
        try:
            if not forkable(env, self.env):
                return None
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            request = {"args": args, "cwd": str(cwd), "env": env, "log": str(log)}
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            started = self._read(START_TIMEOUT)
            if started is None:
                raise RuntimeError("the warm pytest process did not fork the grading")
            pid = started["pid"]
            reply = self._read(timeout)
            if reply is None:
                os.killpg(pid, signal.SIGKILL)
                self._read(60)
                raise subprocess.TimeoutExpired(args, timeout)
            self.forked += 1
            return int(reply["exit"])
        finally:
            self.lock.release()

    def close(self) -> None:
        """End the warm process (it ends on its own when the suite worker does)."""
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
            self.proc.wait(60)

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
            start_new_session=True,
            bufsize=0,  # unbuffered: a reply read ahead into a buffer would escape select()
        )

    def _read(self, timeout: float):
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the warm pytest process ended")
        return json.loads(line)


# -- the warm process ---------------------------------------------------------------------------


def _child(request: dict, channel: tuple[int, int], server) -> None:
    """In the forked child: become the grading's process, run pytest, exit with its code."""
    from descent.commands.warm import finish, redirect

    code = 1
    try:
        os.setsid()  # the suite kills the grading's group on a time-out
        redirect(request["log"], channel)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # as `python -m pytest` started here would set them: the folder first, then PYTHONPATH
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[0:1] = [request["cwd"], *extra]
        sys.argv = ["pytest", *request["args"]]
        import tempfile

        tempfile.tempdir = None
        if server is not None:
            server.lend()
        import pytest

        code = int(pytest.main(request["args"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the log shows it, as a crash of a fresh process would
        import traceback

        traceback.print_exc()
    finally:
        finish(code)


def serve() -> None:
    import gc

    from descent.commands.warm import prime, start_server, warm_up

    channel = (os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # anything printed here goes to the suite's stderr, not the protocol
    os.close(devnull)
    reader, writer = channel
    server = start_server()
    warm_up()
    prime()
    gc.collect()
    gc.freeze()
    for line in iter(os.fdopen(reader, "rb", buffering=0).readline, b""):
        pid = os.fork()
        if pid == 0:
            _child(json.loads(line), channel, server)
        os.write(writer, json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        os.write(writer, json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        if server is not None and (server.changed() or not server.reusable()):
            server.close()
            server = start_server()
    if server is not None:
        server.close()


if __name__ == "__main__":
    serve()
