"""A warm parent for the gradings of a batch: ``python -m descent.commands.warm --parent PID``
(started by :mod:`descent.course.warm_parent`, one per local job of ``descent batch``).

Every grading process would otherwise pay the same start-up: the interpreter, the imports of
pytest and its plugins, hypothesis, torch, the grading plugin, and a fork server that imports
torch again. The warm parent pays it once: it imports all of that and starts one fork server,
then forks one grading process per request, which runs ``descent grade ...`` exactly as
:mod:`descent.commands.child` does, in a session, folder, environment and log of its own. Each
grading is a new process, forked from a parent that has imported modules and run no test, so
nothing one grading does reaches the next; the student's code still runs only in the confined
workers of the fork server, which is a fresh ``python -I`` as always. A grading borrows the
parent's fork server (:meth:`descent.isolation.pool.ForkServer.lend`); the next one borrows it
only when the last one ended normally and left no worker or unread reply behind
(:meth:`~descent.isolation.pool.ForkServer.reusable`), else the parent starts a fresh server.
After each grading the parent also reads its server's limits, nice value, scheduling, CPUs and
I/O class, and its own (:mod:`descent.isolation.vitals`): if any differs from what it was at the
start, the reply says so, the grading is not recorded and the batch grades that submission
again on a fresh server (a fresh parent, when the parent itself was changed).

Protocol, one JSON object a line. Read on stdin: ``{"argv": [...], "cwd": DIR, "env": {...},
"log": FILE, "cpu": "N" or "-"}``. Written on stdout: ``{"pid": PID}`` once the grading started,
then ``{"exit": CODE}`` when it ended (minus the signal's number when it was killed), with
``"changed": [...]`` when the server's or the parent's vitals changed meanwhile, and
``"ends": true`` when the parent's own did: it then ends at once. Otherwise the parent ends when
its stdin closes, taking its fork server with it.
"""

from __future__ import annotations

import gc
import io
import json
import os
import sys
import tempfile
import traceback
from typing import NoReturn

from ..isolation import vitals
from .child import die_with_parent, pin

# What a grading imports beyond the command line (found by listing sys.modules after one):
# pytest and its own plugins, torch, hypothesis, the grading plugin, the helpers the graders
# import, the isolation's trusted side, and matplotlib for the capstone's loss-curve picture (~1 CPU-s).
# Loading a module here cannot change what a grading draws: the grading plugin empties
# hypothesis's pool of constants read from loaded modules (descent.grading.hypothesis_profiles).
WARM_MODULES = (
    "pytest",
    "hypothesis",
    "torch",
    "numpy.ma",
    "numpy.typing",
    "pdb",
    "descent.grading.plugin",
    "descent.grading.plugin_workers",
    "descent.grading.compare",
    "descent.grading.gradcheck",
    "descent.grading.inputs",
    "descent.grading.strategies",
    "descent.diagnoses.check",
    "descent.isolation.manager",
    "descent.isolation.remote",
    "descent.commands",
)


def warm_up() -> None:
    """Import what every grading would import, so that each forked grading finds it loaded.
    Nothing runs but imports: no test, no tensor operation (a forked child must not inherit
    threads or a half-used thread pool)."""
    # start-up: this is the one place that loads them, before any grading is forked
    import importlib
    import importlib.metadata

    import _pytest.config

    for name in WARM_MODULES:
        importlib.import_module(name)
    for name in _pytest.config.default_plugins:
        importlib.import_module(f"_pytest.{name}")
    # pytest loads its plugins from the entry points of every installed distribution: the scan
    # of their metadata is cached per folder, and each plugin module stays imported
    for entry in importlib.metadata.entry_points(group="pytest11"):
        try:
            entry.load()
        except Exception:  # noqa: BLE001 - pytest reports a broken plugin in the grading itself
            pass
    try:
        # optional: the capstone draws its loss curves when matplotlib is there, on this backend
        import matplotlib

        matplotlib.use("Agg")
        # optional, after the backend is chosen, as the capstone grader imports them
        import matplotlib.backends.backend_agg
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass


def prime() -> None:
    """Work every forked grading would otherwise repeat, with the same outcome, done once here
    after :func:`warm_up`: matplotlib's first figure (about 0.035 CPU-s of each grading)."""
    _first_figure()


def _first_figure() -> None:
    """Draw one throw-away figure like the capstone's loss curves (log scale, legend), so the
    fonts and text caches a first figure loads are loaded here."""
    try:
        # optional, as in warm_up: the capstone's picture needs matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return
    fig = Figure(figsize=(6, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot([2.0, 1.0, 0.5], label="train")
    ax.axhline(0.7, linestyle="--", label="target")
    ax.set_yscale("log")
    ax.set_title("warm-up")
    ax.legend()
    fig.tight_layout()
    fig.savefig(io.BytesIO(), format="png")


def start_server():
    """A fork server for the gradings to borrow, started now so its import of torch overlaps
    the parent's own; None where it cannot start (each grading then starts its own)."""
    # start-up: the isolation's process machinery loads with the warm-up, never before
    from ..grading.plugin_workers import WORKER_PRELOAD
    from ..isolation.pool import ForkServer, IsolationUnavailable

    try:
        return ForkServer(WORKER_PRELOAD)
    except (OSError, IsolationUnavailable):
        return None


def grade(request: dict, channel: tuple[int, int], server) -> int:
    """Fork one grading; returns its pid (the child never returns)."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()  # a session of its own: the batch kills the grading's group on a time-out
        if not die_with_parent(parent):
            os._exit(3)
        pin(request.get("cpu", "-"))
        redirect(request["log"], channel)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # TMPDIR is this grading's folder now
        if server is not None:
            server.lend()
        from . import main as descent  # after the fork: loaded by warm_up, in sys.modules

        code = descent(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported in the grading's log, as a crash would be
        traceback.print_exc()
    finally:
        finish(code)


def finish(code: object) -> NoReturn:
    """End a forked grading: flush what it printed, exit with ``code`` (1 unless an int in
    0..255), running no exit handler the parent registered."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or broken stream must not keep it alive
            pass
    os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)


def redirect(log: str, channel: tuple[int, int]) -> None:
    """stdin from /dev/null, stdout and stderr to the grading's log, the parent's channel
    closed."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in (devnull, out, *channel):
        os.close(fd)


def serve(channel: tuple[int, int]) -> None:
    reader, writer = channel
    lines = os.fdopen(reader, "rb", buffering=0)
    server = start_server()
    warm_up()
    prime()
    gc.collect()
    gc.freeze()  # what every grading inherits is never traversed again by its collector
    mine = vitals.of(os.getpid())  # what every grading forked from here inherits
    for line in iter(lines.readline, b""):
        request = json.loads(line)
        pid = grade(request, channel, server)
        _send(writer, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        changed = server.changed() if server is not None else []
        own = [f"warm parent: {c}" for c in vitals.changes(mine, vitals.of(os.getpid()))]
        reply = {"exit": code, "changed": changed + own} if changed or own else {"exit": code}
        _send(writer, dict(reply, ends=True) if own else reply)
        if own:
            break  # every later grading would inherit it: the batch starts another parent
        if server is not None and (changed or not server.reusable()):
            server.close()
            server = start_server()
    if server is not None:
        server.close()


def _send(fd: int, message: dict) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def main(argv: list[str]) -> int:
    parent = int(argv[argv.index("--parent") + 1])
    if not die_with_parent(parent):
        return 3
    # the protocol keeps stdin and stdout for itself; anything printed goes to stderr
    channel = (os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    serve(channel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
