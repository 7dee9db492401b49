"""Trusted side of the process machinery: the fork server and the workers it forks.

:class:`ForkServer` starts the server (a fresh ``python -I`` interpreter, so CUDA in the grader's
process never leaks into a fork) and asks it for workers. :class:`WorkerProcess` is one worker:
its socket, its pid, its cgroup and scratch directory, and :meth:`WorkerProcess.kill`, which
kills the whole tree (cgroup sweep, process group, pid) and waits until nothing is left.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import protocol, vitals
from .cgroups import Cgroup
from .limits import Limits
from .uid_lease import UidLease

START_TIMEOUT = 120.0
_slots = itertools.count()


class IsolationUnavailable(RuntimeError):
    """Workers cannot be started or confined on this machine."""


class ForkServer:
    _shared: ForkServer | None = None
    _lock = threading.Lock()
    # The server a warm parent started and lent to this process, a grading it forked (see
    # descent.commands.warm and :meth:`lend`); None in any other process.
    lent: ForkServer | None = None

    def __init__(self, preload: tuple[str, ...] = ()):
        """``preload``: modules the server imports after its own, named by the caller (what the
        code its workers run imports first, so that no worker imports it again)."""
        self.base = Path(tempfile.mkdtemp(prefix="descent-grade-"))
        os.chmod(self.base, 0o711)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
        env.update(
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONNOUSERSITE="1",
        )
        self.log = open(self.base / "server.log", "wb")
        # The server imports the same descent as this process (a checkout on PYTHONPATH, which
        # -I ignores, rather than whichever copy is installed).
        root = str(Path(__file__).resolve().parents[2])
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                "import sys; root = sys.argv[2]; root in sys.path or sys.path.insert(0, root); "
                "from descent.isolation.server import main; "
                "main(int(sys.argv[1]), [m for m in sys.argv[3].split(',') if m])",
                str(theirs.fileno()),
                root,
                ",".join(preload),
            ],
            pass_fds=[theirs.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
            cwd=str(self.base),
        )
        theirs.close()
        # What every worker inherits from the server, as it started (see changed())
        self.vitals = vitals.of(self.proc.pid)
        self.ctrl = ours
        self._hello: dict | None = None
        self._probes: dict[str, dict] = {}  # the probe's answer per configuration
        self.lock = threading.RLock()
        # A grading whose tests two processes share (descent.grading.split) asks this server
        # for workers from both: a POSIX record lock, held by one process at a time, keeps
        # each request and its reply together on the one control channel.
        self.turns = os.open(self.base / "control.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self.workers: list[WorkerProcess] = []
        self.borrowed = False
        atexit.register(self.close)

    def lend(self) -> None:
        """In a process forked from the one that started this server (a grading forked by the
        warm parent, or a copy of a grading process, descent.grading.split): use the server as
        this process's own, but leave it running at :meth:`close` for its starter (the warm
        parent checks :meth:`reusable` and starts a fresh server when it is not). The server is
        not this process's child, so whether it runs is read from its state, never waited for."""
        self.borrowed = True
        self.workers = []
        self.lock = threading.RLock()
        atexit.unregister(self.close)
        ForkServer.lent = self

    def alive(self) -> bool:
        """Whether the server runs. A lent server is the warm parent's child, which this process
        cannot wait for (``Popen.poll`` would report it dead), so its state is read instead."""
        if not self.borrowed:
            return self.proc.poll() is None
        return _state(self.proc.pid) not in (None, "Z")

    def reusable(self) -> bool:
        """In the warm parent, once a grading that borrowed this server has ended: whether the
        next grading may borrow it. Only if it runs, no reply is left unread on the control
        channel (a grading killed while it waited for one) and no worker it forked lives on."""
        if not self.alive():
            return False
        try:
            self.ctrl.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            return False  # a reply nobody read
        except BlockingIOError:
            pass
        except OSError:
            return False
        pid = self.proc.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return False
        return all(_state(int(c)) in (None, "Z") for c in children)

    def changed(self) -> list[str]:
        """How the server's limits, nice value, scheduling, CPUs or I/O class differ from
        those it started with, one line each (:mod:`.vitals`). Workers cannot change them
        (their seccomp filter refuses it); the warm parent still checks after each grading
        it lent the server to, and grades that submission again on a fresh server if any
        did."""
        return vitals.changes(self.vitals, vitals.of(self.proc.pid))

    @classmethod
    def shared(cls) -> ForkServer:
        with cls._lock:
            if cls._shared is None or cls._shared.proc.poll() is not None:
                cls._shared = ForkServer()
            return cls._shared

    def request(self, msg: dict, fds: list[int] = (), timeout: float = 30.0) -> dict:
        with self.lock, _turn(self.turns):
            data = json.dumps(msg).encode()
            try:
                if fds:
                    socket.send_fds(self.ctrl, [data], list(fds))
                else:
                    self.ctrl.send(data)
                self.ctrl.settimeout(timeout)
                reply = self.ctrl.recv(1 << 16)
            except OSError as exc:
                raise IsolationUnavailable(f"the fork server is not answering ({exc})") from None
            finally:
                self.ctrl.settimeout(None)
            if not reply:
                raise IsolationUnavailable("the fork server exited; see " + str(self.log.name))
            return json.loads(reply)

    def hello(self) -> dict:
        if self._hello is None:
            self._hello = self.request({"op": "hello"}, timeout=START_TIMEOUT)
            if "error" in self._hello:
                raise IsolationUnavailable(
                    f"the fork server failed to start: {self._hello['error']}"
                )
        return self._hello

    def probe(self, config: dict) -> dict:
        """What actually holds on this machine for workers confined as ``config`` says: the
        confined probe child's answer, asked once per configuration."""
        key = json.dumps(config, sort_keys=True)
        if key not in self._probes:
            self.hello()
            reply = self.request({"op": "probe", "config": config}, timeout=60)
            self._probes[key] = reply["probe"]
        return self._probes[key]

    def spawn(self, config: dict) -> tuple[socket.socket, int]:
        self.hello()
        ours, theirs = socket.socketpair()
        try:
            reply = self.request({"op": "spawn", "config": config}, [theirs.fileno()])
        finally:
            theirs.close()
        return ours, int(reply["pid"])

    def status(self, pid: int, wait: float = 0.0) -> dict:
        return self.request({"op": "status", "pid": pid, "wait": wait}, timeout=wait + 30)

    def cpus(self) -> set[int]:
        """The CPUs the server may run on: those a worker it forks unpinned may use."""
        return os.sched_getaffinity(self.proc.pid)

    def reap(self) -> None:
        """Finish stopping the workers killed without waiting (:meth:`WorkerProcess.kill`):
        wait for their end and remove what they leave. :meth:`close` does it too."""
        for w in list(self.workers):
            if not w.alive:
                w.kill()

    def close(self, wait: bool = True) -> None:
        """Kill the workers and stop the server. ``wait=False`` (the end of a grading) returns
        without waiting for the server's own exit: it kills what it started and ends
        (``os._exit``), and the teardown of an address space that holds torch, about 20 ms,
        then ends no grading later; subprocess collects its exit status once it has ended, and
        it dies with this process in any case (PR_SET_PDEATHSIG)."""
        for w in list(self.workers):
            w.kill()
        if self.borrowed:  # the warm parent's: it decides whether the next grading may use it
            return
        try:
            self.ctrl.send(json.dumps({"op": "exit"}).encode())
        except OSError:
            self.proc.kill()  # it cannot be told: it is stopped
        try:
            if wait:
                self.proc.wait(timeout=5)
            else:
                self.proc.poll()
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for channel in (self.ctrl.close, lambda: os.close(self.turns)):
            try:
                channel()
            except OSError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def _turn(fd: int):
    """This process's turn on the control channel (a lock no other process holds meanwhile;
    record locks belong to a process, so a forked copy does not share the holder's)."""
    fcntl.lockf(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN)


def process_cpu_clock(pid: int) -> int:
    """The id of ``pid``'s CPU-time clock, for ``time.clock_gettime``: the user and system time
    of all its threads, in nanoseconds (what Linux's ``clock_getcpuclockid`` gives, which Python
    does not wrap: ``~pid << 3`` marks another process's clock, 2 its scheduler's count). Any
    process of the same pid namespace may read it; a pid with no process reads as ``EINVAL``."""
    return (~pid << 3) | 2


def _state(pid: int) -> str | None:
    """A process's state letter (``R``, ``S``, ``Z``...), None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


class WorkerProcess:
    """One confined worker; replies are read with a deadline; :meth:`kill` leaves nothing."""

    def __init__(
        self,
        server: ForkServer,
        config: dict,
        limits: Limits,
        use_cgroup: bool,
        lease: UidLease | None = None,
        *,
        wait: bool = True,
    ):
        """Ask ``server`` for a worker confined as ``config`` says. ``wait``: until it has
        confined itself and said so; else :meth:`ready` waits later (a worker started ahead of
        need, :meth:`IsolationManager.prestart`)."""
        self.server = server
        self.lease = lease  # the worker's uid, released once the worker is dead (kill)
        self.slot = next(_slots)
        self.scratch = tempfile.mkdtemp(prefix=f"w{self.slot}-", dir=server.base)
        os.chmod(self.scratch, 0o777 if config.get("uid") is not None else 0o700)
        if config.get("uid") is not None:
            os.chown(self.scratch, config["uid"], config.get("gid", config["uid"]))
        self.cgroup = (
            Cgroup.create(f"descent-{os.getpid()}-{self.slot}", limits) if use_cgroup else None
        )
        config = dict(config, scratch=self.scratch)
        if self.cgroup is not None:
            config["cgroup"] = {"dirs": self.cgroup.dirs, "version": self.cgroup.version}
        self.sock, self.pid = server.spawn(config)
        self.alive = True
        self._unreaped = False  # killed without waiting (kill)
        self._status_at_kill: dict | None = None  # what the server said just before the kill
        self.exit_reason: str | None = None
        self.applied: list[str] | None = None  # what its first frame said took effect
        server.workers.append(self)
        if wait:
            self.ready()

    def ready(self) -> WorkerProcess:
        """This worker, once its first frame says it is confined and serving; raises
        :class:`IsolationUnavailable` (the worker killed) when it is not."""
        if self.applied is not None:
            return self
        try:
            header, _ = protocol.recv_frame(self.sock, time.monotonic() + 60)
        except (protocol.ProtocolError, protocol.Timeout) as exc:
            reason = self.kill()
            raise IsolationUnavailable(f"the worker did not start ({reason or exc})") from None
        if "fatal" in header:
            self.kill()
            raise IsolationUnavailable(f"the worker could not be confined: {header['fatal']}")
        applied = header.get("ready", {}).get("applied", [])
        self.applied = applied if isinstance(applied, list) else []
        return self

    def kill(self, wait: bool = True) -> str | None:
        """Kill the worker and everything it started; returns why it ended if it had died.
        ``wait=False`` (a worker no test needs any more): the kill is sent and the rest, waiting
        for its end and removing its cgroup and folder, is left to the next ``kill()``, which
        the fork server's close makes for each of its workers. The worker's address space,
        torn down meanwhile, may use any CPU its fork server may (about 15 ms of a CPU)."""
        if self.alive:
            self._signal()
        if wait and self._unreaped:
            self._reap()
        return self.exit_reason

    def _signal(self) -> None:
        """Send the kill, first reading whether the worker had ended by itself."""
        self.alive = False
        status = None
        try:
            status = self.server.status(self.pid)
        except Exception:  # noqa: BLE001
            pass
        # The worker first, so that it starts nothing after the group is read; then what the
        # group holds besides it, once: the reap (_reap) waits until the group is empty.
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.cgroup is not None:
            self.cgroup.signal_all()
        self._spread()
        self._unreaped, self._status_at_kill = True, status

    def _spread(self) -> None:
        """Let the killed worker (pinned beside the grading process that used it) be torn down
        on any CPU its fork server may use, an idle one rather than its grading process's. Sent
        after the kill, so no code of the worker runs elsewhere; the fork server collects a
        dead worker only when next asked something, and the kernel hands out pids in turn, so
        the pid is still the worker's."""
        try:
            os.sched_setaffinity(self.pid, self.server.cpus())
        except OSError:  # gone already, or not ours to move
            pass

    def _reap(self) -> None:
        """Wait for the killed worker's end, say why it ended if it ended by itself, and remove
        what it leaves: its cgroup, folder, uid lease and this process's descriptors of it."""
        status, self._unreaped = self._status_at_kill, False
        died_itself = status is not None and not status.get("running")
        if not died_itself:
            try:
                status = self.server.status(self.pid, wait=5.0)
            except Exception:  # noqa: BLE001
                status = None
        self.exit_reason = _describe(status, self.cgroup) if died_itself else None
        if self.cgroup is not None:
            oom = self.cgroup.oom_killed()
            if oom and self.exit_reason:
                self.exit_reason = "worker ran out of memory"
            self.cgroup.kill_all()
            self.cgroup.remove()
        self.let_go()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.lease is not None:
            self.lease.release()
        if self in self.server.workers:
            self.server.workers.remove(self)

    def cpu_seconds(self) -> float | None:
        """The CPU time the worker has used (user and system, all its threads), from its
        CPU-time clock; None when it cannot be read (the call limits then count wall-clock time:
        ``descent.calls.timelimit.Budget``)."""
        # Read at every request: a clock read is one system call, a twentieth of reading and
        # parsing /proc/PID/stat. Once the worker is marked dead nothing is read (its pid may
        # come back as another process's).
        if not self.alive:
            return None
        try:
            return time.clock_gettime(process_cpu_clock(self.pid))
        except (OSError, AttributeError):  # gone, or no such clock here
            return None

    def let_go(self) -> None:
        """Close this process's descriptor of the worker (its socket) without stopping it: a
        forked copy of the grading process leaves the original's worker alone."""
        try:
            self.sock.close()
        except OSError:
            pass

    def disown(self) -> None:
        """Leave this worker to the other process of a split grading, which started with a copy
        of this object: close this process's descriptors of it (socket, uid lease)
        and forget it. The other process stops it, and removes its cgroup and scratch folder;
        the uid stays leased until that process releases it too (one lock, two descriptors)."""
        self.let_go()
        if self.lease is not None:
            self.lease.release()
        if self in self.server.workers:
            self.server.workers.remove(self)

    def died_reason(self) -> str:
        """After the socket closed: wait for the exit status and describe it."""
        try:
            status = self.server.status(self.pid, wait=2.0)
        except Exception:  # noqa: BLE001
            status = None
        oom = self.cgroup.oom_killed() if self.cgroup is not None else False
        reason = "worker ran out of memory" if oom else _describe(status, self.cgroup)
        self.exit_reason = reason
        self.kill()
        self.exit_reason = reason
        return reason


def _describe(status: dict | None, cgroup) -> str:
    if not status or status.get("running") or status.get("unknown"):
        return "the worker stopped answering"
    if "signal" in status:
        sig = status["signal"]
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        if sig == signal.SIGXCPU:
            return "worker used up its CPU time"
        if sig == signal.SIGKILL:
            return "worker was killed (SIGKILL: memory or CPU limit)"
        return f"worker crashed (signal {name})"
    return f"student process exited (status {status.get('exit')})"
