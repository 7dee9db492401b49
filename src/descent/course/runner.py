"""Grade one submission: ``descent grade`` in a process group of its own, with a wall-clock cap.

:func:`grade_submission` is the unit of work of a batch, the same whether it runs in a thread of
the batch (``--jobs``) or as a task on a Dask worker. It starts ``python -m descent.commands.child
... -- grade PATH --results ...`` (so the submission goes through the confined worker exactly as
when one student is graded), waits at most ``timeout_s``, and returns an :class:`Outcome` made
of plain data (the results document, the capstone's loss-curve PNG, timings), never objects from
the submission.

The grading process's entry point is :mod:`descent.commands.child`: it dies with the thread
that started it (``PR_SET_PDEATHSIG``), so a batch killed with SIGKILL leaves no grading behind,
and it can pin itself to one CPU so parallel gradings do not share one. A request marked ``warm``
(the local jobs of a batch, on CPU) is instead forked by this thread's warm parent
(:mod:`descent.course.warm_parent`), the same process with its start-up already paid; where
that parent cannot answer, the grading starts afresh as above.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import results as results_mod
from ..grading import input_seed
from ..isolation.uid_lease import trusted_folder
from ..reports import pictures
from . import warm_parent
from .submissions import content_hash
from .version import grader_version

GRADED, TIMED_OUT, FAILED = "graded", "timed_out", "failed"
# A grading whose warm parent found its fork server (or itself) changed afterwards is never
# recorded: it runs again on a fresh server, this many times in all (descent.commands.warm).
ATTEMPTS = 2
MAX_IMAGE = 4 << 20
LOG_TAIL = 4000


@dataclass
class Request:
    student: str
    path: str  # what is graded (a folder, .zip, .py or .ipynb)
    kit: str  # the kit folder (graders/, solutions/)
    version: str  # the grader version the batch expects
    timeout_s: float = 600.0
    call_timeout: float = 10.0
    selection: str = ""  # pytest -k expression ("" = every exercise)
    device: str = "cpu"
    insecure: bool = False
    # --input-seed of descent grade: None draws a fresh secret for this grading (the default)
    input_seed: str | None = None
    # the course's secret the inputs are keyed by (descent.grading.input_seed), handed to the
    # grading process in its environment, never on its command line; "" reads the kit's own
    input_secret: str = field(default="", repr=False)
    # forked by a warm parent of this machine (the local jobs); never on a Dask worker, where a
    # parent would outlive the batch. Only on CPU: the warm parent must never touch a GPU.
    warm: bool = False


@dataclass
class Outcome:
    student: str
    path: str
    status: str  # graded, timed_out or failed
    message: str = ""
    results: dict | None = None
    images: dict[str, bytes] = field(default_factory=dict)
    content_hash: str = ""
    version: str = ""
    duration_s: float = 0.0
    host: str = ""
    log_tail: str = ""


_LIVE: set = set()  # the gradings running now (Popen or _Forked)
_LIVE_LOCK = threading.Lock()


_STOPPED = False  # kill_all was called: no grading starts after it


def kill_all() -> None:
    """Kill every grading started by this process (Ctrl-C, a fatal error in the batch), and
    the warm parents, with whatever they were forking."""
    global _STOPPED
    _STOPPED = True
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _kill_group(proc)
    warm_parent.kill_all()


def allow_starts() -> None:
    """A new batch in this process: gradings may start again after a :func:`kill_all`."""
    global _STOPPED
    _STOPPED = False


def _kill_group(proc) -> None:
    """Kill the process group of ``proc`` (a grading: a ``Popen`` or a ``_Forked``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@functools.lru_cache(maxsize=8)
def _local_version(kit: str, selection: str, device: str) -> str:
    return grader_version(kit, selection=selection, device=device)


def grade_submission(req: Request) -> Outcome:
    """Grade ``req.path``; never raises for anything the submission does."""
    start = time.monotonic()
    out = Outcome(req.student, req.path, FAILED, host=socket.gethostname())
    try:
        out.version = _local_version(req.kit, req.selection, req.device)
    except OSError as exc:
        out.message = f"the kit is not readable on {out.host}: {exc}"
        return out
    if out.version != req.version:
        out.message = (
            f"the graders on {out.host} ({out.version}) differ from the batch's "
            f"({req.version}): install the same kit on every machine"
        )
        return out
    out.content_hash = content_hash(req.path)
    changed: list[str] = []
    for _ in range(ATTEMPTS):
        with grading_folder() as tmp, cpu_slot() as cpu:
            results = tmp / "results.json"
            log = tmp / "grade.log"
            code, changed = _run(req, cpu, results, log, out)
            out.duration_s = round(time.monotonic() - start, 3)
            out.log_tail = log.read_text(errors="replace")[-LOG_TAIL:] if log.exists() else ""
            if changed:  # the fork server it ran on was changed: its result is not to be trusted
                out.status, out.message = FAILED, ""
                continue
            if out.status != TIMED_OUT:
                _collect(req, code, results, out)
            return out
    out.message = (
        f"not recorded: each of {ATTEMPTS} gradings left the process that forks the "
        f"submission's workers changed ({'; '.join(changed)[:300]}); a submission that "
        f"reaches beyond its worker? Look at it before grading it again"
    )
    return out


FOLDER_PREFIX = "descent-batch-"
STALE_AFTER_S = 60.0  # a folder this old without its lock held belongs to a dead batch


@contextlib.contextmanager
def grading_folder():
    """A temporary folder for one grading: its results, its log and, through ``TMPDIR``, every
    temporary file the grading and its workers make (the copies of the student's code among
    them). Removed when the grading ends, even when it was killed for time; after a kill -9 of
    the batch, by the next grading on this machine (:func:`remove_stale`): each folder holds
    an ``flock`` on its ``.lock`` while in use, which the kernel releases when its holder dies."""
    remove_stale()
    with tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX) as tmp:
        fd = os.open(Path(tmp) / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield Path(tmp)
        finally:
            os.close(fd)


def remove_stale(parent: str | None = None) -> list[Path]:
    """Remove the grading folders left by batches that died (see :func:`grading_folder`): those
    whose lock nobody holds, once they are a minute old (a folder that young may be one another
    grading is still setting up)."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            info = folder.lstat()
            if (
                info.st_uid != os.geteuid()  # another user's: neither opened nor removed
                or not stat.S_ISDIR(info.st_mode)
                or time.time() - info.st_mtime < STALE_AFTER_S
                or _in_use(folder)
            ):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _in_use(folder: Path) -> bool:
    try:
        fd = os.open(folder / ".lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def cpu_slot():
    """A CPU of this machine that no other grading holds (an ``flock`` on a file per CPU, so
    gradings of any batch of this user, local job or Dask worker, spread over the CPUs), or
    None when every CPU is taken: the grading then runs unpinned. The lock files live in
    :func:`lock_folder` and are opened without following links, so another account cannot
    have them create or open a file of its choosing; where that folder cannot be trusted,
    every grading runs unpinned."""
    folder = lock_folder()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    for cpu in cpus if folder is not None else []:
        try:
            fd = os.open(
                folder / f"descent-cpu-{cpu}.lock",
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
            )
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            yield cpu
        finally:
            os.close(fd)
        return
    yield None


def lock_folder() -> Path | None:
    """``descent-locks-UID`` in the temporary folder, made for this user alone (mode 0700);
    None when it is a link, or another user made it or can write into it."""
    folder = Path(tempfile.gettempdir()) / f"descent-locks-{os.geteuid()}"
    try:
        trusted_folder(folder)
    except OSError:
        return None
    return folder


_BYTECODE: list[Path] = []  # this process's bytecode cache, made on first use
_BYTECODE_LOCK = threading.Lock()


def bytecode_cache() -> Path:
    """A private folder (mode 0700) for the compiled modules of the gradings this process
    starts. It is locked while the process lives and removed when it exits; after a kill -9,
    the next grading removes it as a stale grading folder (:func:`remove_stale`)."""
    with _BYTECODE_LOCK:
        if not _BYTECODE:
            folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX + "pycache-"))
            fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)  # the descriptor stays open: held until exit
            atexit.register(shutil.rmtree, folder, True)
            _BYTECODE.append(folder)
        return _BYTECODE[0]


def grading_env(tmp: Path) -> dict[str, str]:
    """The environment of one grading process: its temporary files in ``tmp``, no
    ``PYTEST_ADDOPTS`` of the batch's shell. Where ``PYTHONDONTWRITEBYTECODE`` is set (many
    container images set it), every grading would compile the kit's modules and rewrite the
    graders' assertions again, about 2 CPU-seconds a submission; the gradings then share a
    bytecode cache of the batch's own instead (``PYTHONPYCACHEPREFIX``), so nothing is
    written beside any source file, as that setting intends. The confined workers never use
    it: the fork server runs with ``python -I``."""
    env = dict(os.environ, COLUMNS="140", TMPDIR=str(tmp))
    env.pop("PYTEST_ADDOPTS", None)
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        del env["PYTHONDONTWRITEBYTECODE"]
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache())
    return env


def _grade_argv(req: Request, cpu: int | None, results: Path) -> list[str]:
    """The ``descent`` command line of one grading."""
    argv = [
        "grade",
        req.path,
        "--results",
        str(results),
        "--exit-zero",
        "--call-timeout",
        f"{req.call_timeout:g}",
        "--device",
        req.device,
        "--loss-curves",  # the capstone's picture, kept in the gradebook for the reports
        # a class keeps every CPU busy with gradings of its own: one process per grading
        "--test-processes",
        "1",
    ]
    if cpu is None:  # more gradings than CPUs: let the kernel spread them
        argv += ["--worker-cpu", "any"]
    if req.selection:
        argv += ["-k", req.selection]
    if req.insecure:
        argv.append("--insecure")
    if req.input_seed is not None:
        argv += ["--input-seed", req.input_seed]
    return argv


def _run(
    req: Request, cpu: int | None, results: Path, log: Path, out: Outcome
) -> tuple[int | None, list[str]]:
    """Run one grading; its exit code (None: none) and what its warm parent found changed in
    the processes it lends (a grading forked afresh lends nothing: never any)."""
    argv = _grade_argv(req, cpu, results)
    env = grading_env(results.parent)
    if req.input_secret:
        env[input_seed.ENV] = req.input_secret
    if req.warm and req.device == "cpu":
        parent = warm_parent.for_this_thread(req.kit, _warm_folder, grading_env)
        if parent is not None:
            try:
                pid = parent.start(argv, req.kit, env, log, cpu)
            except warm_parent.Broken:
                warm_parent.discard(parent)  # no grading began: start this one afresh below
            else:
                return _wait_warm(parent, _Forked(pid), req, out), parent.changed
    return _run_fresh(req, cpu, argv, env, log, out), []


def _run_fresh(req: Request, cpu: int | None, argv, env, log: Path, out: Outcome) -> int | None:
    """:func:`_run` in a process of its own (``descent.commands.child``)."""
    if _STOPPED:  # interrupted meanwhile: start nothing new
        return None
    cmd = [sys.executable, "-m", "descent.commands.child", "--parent", str(os.getpid())]
    cmd += ["--cpu", "-" if cpu is None else str(cpu), "--", *argv]
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(
            cmd,
            cwd=req.kit,
            stdin=subprocess.DEVNULL,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            return proc.wait(timeout=req.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.wait()
            _timed_out(req, out)
            return None
        finally:
            _kill_group(proc)  # anything the grading left behind in its group
            with _LIVE_LOCK:
                _LIVE.discard(proc)


@dataclass(frozen=True)
class _Forked:
    """A grading forked by a warm parent (not this process's child: the parent reaps it)."""

    pid: int


def _wait_warm(parent, grading: _Forked, req: Request, out: Outcome) -> int | None:
    """:func:`_run`'s wait, for a grading that ``parent`` forked."""
    with _LIVE_LOCK:
        _LIVE.add(grading)
    try:
        code = parent.wait(req.timeout_s)
        if code is None:
            _kill_group(grading)
            parent.wait(None)  # its exit, now that it was killed
            _timed_out(req, out)
        return code
    except warm_parent.Broken:  # the grading died with its parent (PR_SET_PDEATHSIG)
        warm_parent.discard(parent)
        return -signal.SIGKILL
    finally:
        _kill_group(grading)  # anything the grading left behind in its group
        with _LIVE_LOCK:
            _LIVE.discard(grading)


def _timed_out(req: Request, out: Outcome) -> None:
    out.status = TIMED_OUT
    out.message = f"grading took longer than {req.timeout_s:g} s and was stopped"


def _warm_folder():
    """A warm parent's folder: its log and its fork server's files; held (and so never taken
    for a dead batch's) while the parent lives."""
    return grading_folder()


def _collect(req: Request, code: int | None, results: Path, out: Outcome) -> None:

    try:
        doc = results_mod.load(results)
    except (OSError, ValueError) as exc:
        last = out.log_tail.strip().splitlines()[-1:] or [f"exit code {code}"]
        out.message = f"grading did not complete (exit code {code}): {last[0][:300]}"
        if not isinstance(exc, FileNotFoundError):
            out.message += f"; results unreadable: {exc}"
        return
    if code != 0 or doc.get("interrupted"):
        out.message = f"grading did not complete (exit code {code})"
        return
    # the name the grading drew its pictures under, before the student's replaces it
    graded_as = doc["implementations"][0]["name"] if doc["implementations"] else None
    for block in doc["implementations"]:
        block["name"] = req.student
    for test in doc["tests"]:
        test["implementation"] = req.student
    out.results = doc
    for png in sorted(results.parent.glob("capstone_*.png")):
        if png.stat().st_size <= MAX_IMAGE:
            out.images["capstone.png"] = png.read_bytes()
    # drawn by the grading (in parallel with the others): a report shows them as they are
    if graded_as is not None:
        pictured = pictures.read_beside(results.parent, graded_as)
        out.images.update((k, v) for k, v in pictured.items() if len(v) <= MAX_IMAGE)
    out.status = GRADED
