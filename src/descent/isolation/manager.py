"""Choosing and recording the confinement mode; starting workers for implementations.

Modes, strongest first (what this machine offers is probed once per run, with a confined probe
child, and recorded in the results):

``landlock+seccomp`` (plus ``root`` extras)  Landlock filesystem/TCP/signal rules, a seccomp filter
    (no sockets, no new processes, no ptrace...), rlimits, new network/IPC/UTS/mount namespaces
    with a size-capped tmpfs scratch (without root: inside a user namespace, where the kernel
    allows one), an empty capability set; as root also a cgroup (memory, pids) and a dedicated
    uid per worker slot (when the interpreter is readable by other users).
``unconfined``  a separate process with rlimits only: used only with ``--insecure``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..calls import timelimit
from . import confinement, uid_lease
from .limits import Limits
from .pool import ForkServer, IsolationUnavailable, WorkerProcess


@dataclass
class Settings:
    insecure: bool = False
    call_timeout: float = timelimit.CALL_TIMEOUT_S
    # Run workers on the CPU of the grading process (see colocate()).
    colocate: bool = True
    # Even as root, confine workers only with what an unprivileged user has (see privileged()).
    unprivileged: bool = False
    devices: tuple[str, ...] = ("cpu",)
    limits: Limits = field(default_factory=Limits)


class IsolationManager:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.call_timeout = self.settings.call_timeout
        self._server: ForkServer | None = None
        self._mode: dict | None = None
        self.slot = 0
        self.live: list = []  # connections with a running worker, oldest first
        self.max_live = 4
        self.cpu: int | None = None  # the CPU shared with the workers, once colocated
        self.preload: tuple[str, ...] = ()  # modules the fork server imports besides its own
        # Workers started ahead of need (prestart), each for one process of a split grading:
        # (what it loads, the side it is for, the worker). ``side``: this process's.
        self.spares: list[tuple[tuple, int, WorkerProcess]] = []
        self.wanted: list[tuple[tuple, int]] = []
        self.side = 0

    @property
    def server(self) -> ForkServer:
        if self._server is None or not self._server.alive():
            lent = ForkServer.lent  # a warm parent's (descent.commands.warm), when it still runs
            if lent is not None and lent.alive():
                self._server = lent
            else:
                self._server = ForkServer(self.preload)
        return self._server

    def warm(self, preload: tuple[str, ...] = ()) -> None:
        """Start the fork server now: its import of torch overlaps the grading process's own
        imports and collection (see grading.start_early). ``preload``: modules it imports too
        (and again if it is ever started anew)."""
        self.preload = tuple(preload)
        _ = self.server

    def base_config(self) -> dict:
        info = self.mode()
        cfg: dict[str, Any] = {
            "limits": self._limits_dict(),
            "confine": info["confined"],
            "landlock": info["static"]["landlock_abi"] > 0,
            "seccomp": bool(info["static"]["seccomp"]),
            "namespaces": True,
            "userns": info["userns"],
            "cuda": "cuda" in self.settings.devices,
            "no_fork": True,
        }
        if self.cpu is not None:
            cfg["cpu"] = self.cpu
        return cfg

    def colocate(self) -> int | None:
        """Pin this process, and the workers it starts, to the CPU it is running on.

        A call into a worker is synchronous: the grader sleeps until the reply. On one CPU the
        hand-over is a local context switch; across CPUs each direction wakes an idle CPU, which
        on a virtual machine costs 50 to 300 µs and dominated the cost of isolation here. The
        grader's own torch then uses one thread, as the workers do. The CPU is the one the
        scheduler had picked, so parallel grading processes stay spread out.
        """
        if self.cpu is not None or not self.settings.colocate:
            return self.cpu
        cpu = current_cpu()
        return None if cpu is None else self.pin(cpu)

    def pin(self, cpu: int) -> int | None:
        """Pin this process, and the workers it starts from now on, to ``cpu`` (one it may run
        on); None where it cannot. The grader's own torch then uses one thread, as workers do."""
        if not hasattr(os, "sched_setaffinity"):
            return None
        try:
            if cpu not in os.sched_getaffinity(0):
                return None
            os.sched_setaffinity(0, {cpu})
        except OSError:
            return None
        # start-up: torch only for a pinned process; the manager loads without it
        import torch

        torch.set_num_threads(1)
        self.cpu = cpu
        return cpu

    def forked(self, side: int = 1) -> None:
        """In a copy of the grading process made by fork (descent.grading.split): forget the
        workers and the CPU inherited from the original. Those workers stay the original's;
        this process starts its own and never stops the original's. It takes the spare
        workers started for ``side`` (:meth:`prestart`)."""
        self.live = []
        self.cpu = None
        if self._server is not None:
            self._server.lend()
        self.take_side(side)

    # -- workers started ahead of need ------------------------------------------------------
    def want_spares(self, keys: list[tuple], sides: int) -> None:
        """Ask for a worker for each of ``keys`` (a
        :attr:`~descent.isolation.connection.Connection.key`: what it loads and may read) for
        each of ``sides`` processes, to be started by :meth:`prestart`."""
        self.wanted = [(key, side) for key in keys for side in range(sides)]

    def prestart(self, enough: Callable[[], bool] = lambda: False) -> None:
        """Start the workers :meth:`want_spares` asked for, in that order, without waiting for
        them: a grading does it while it collects, when the other CPU is idle, and the first
        test of each process then finds its worker confined and waiting instead of starting it
        (about 30 ms each here). It stops early once ``enough()`` (collection has ended: what
        is left is started when first needed, as without spares). A worker that cannot be
        started here is not: the first test starts it as it would have, and reports why it
        cannot. Called from the confinement check's thread, before anything else uses the
        spares."""
        wanted, self.wanted = self.wanted, []
        elsewhere = _another_cpu()  # not where this process is collecting
        for key, side in wanted:
            if enough():
                return
            folder, variant, read_extra = key
            try:
                worker = self._spawn(folder, variant, read_extra, wait=False, cpu=elsewhere)
                self.spares.append((key, side, worker))
            except Exception:  # noqa: BLE001 - the first test meets it again, and says so
                return

    def take_side(self, side: int) -> None:
        """This process is ``side`` of a split grading: keep the spares started for it, and
        leave the others to the process they were started for (:meth:`WorkerProcess.disown`)."""
        self.side = side
        kept = []
        for key, owner, worker in self.spares:
            if owner == side:
                kept.append((key, owner, worker))
                if worker not in worker.server.workers:  # lend() forgot the server's workers
                    worker.server.workers.append(worker)
            else:
                worker.disown()
        self.spares = kept

    def drop_spares(self) -> None:
        """Stop the spares no test took (a process of a split grading at its end)."""
        spares, self.spares = self.spares, []
        for _, _, worker in spares:
            worker.kill()

    def _spare_for(self, conn) -> WorkerProcess | None:
        """A spare started for what ``conn`` loads and for this process, confined and placed
        as a worker started now would be: on this process's CPU, or where the fork server may
        run when this process is not pinned (``--worker-cpu any``); None when there is none (or
        it failed: it is stopped, and the caller starts a worker as it would have without it)."""
        for n, (wanted, side, worker) in enumerate(self.spares):
            if wanted == conn.key and side == self.side:
                del self.spares[n]
                try:
                    worker.ready()
                    cpus = {self.cpu} if self.cpu is not None else worker.server.cpus()
                    os.sched_setaffinity(worker.pid, cpus)
                except (IsolationUnavailable, OSError):
                    worker.kill()
                    return None
                return worker
        return None

    def _limits_dict(self) -> dict:
        lim = self.settings.limits
        d = dict(vars(lim))
        if "cuda" in self.settings.devices:
            d["address_space"] = None
        return d

    def precheck(self) -> None:
        """Fail now, without waiting for the fork server, if this machine cannot confine a
        worker at all. The confined probe that :meth:`mode` runs confirms it later (after
        collection, so the fork server's start overlaps it)."""
        if self._mode is not None or self.settings.insecure:
            return
        static = confinement.probe()
        if not (static["landlock_abi"] > 0 and static["seccomp"]):
            self.mode()  # raises IsolationUnavailable with the full reason

    def privileged(self, static: dict) -> bool:
        """Whether workers get the mechanisms that need root: a cgroup, a dedicated uid, and
        namespaces made without a user namespace. Without root (or with the ``unprivileged``
        setting, which lets a root machine check that mode) a worker makes its network and mount
        namespaces and its scratch tmpfs inside a user namespace, where the kernel allows it."""
        return bool(static["root"]) and not self.settings.unprivileged

    def mode(self) -> dict:
        """What confinement workers get here; raises IsolationUnavailable when there is none
        and ``insecure`` is not set."""
        if self._mode is not None:
            return self._mode
        hello = self.server.hello()
        static = hello.get("static") or confinement.probe()
        root = self.privileged(static)
        confinable = static["landlock_abi"] > 0 and static["seccomp"]
        probe: dict = {}
        userns = not root
        if confinable:
            probe = self._probe(userns)
            if userns and not _held(probe):
                # A policy that allows the user namespace but breaks what follows: go without.
                userns, probe = False, self._probe(False)
            confinable = _held(probe)
        if confinable:
            name = "landlock+seccomp" + ("+root" if root else "")
        elif self.settings.insecure:
            name = "unconfined (--insecure)"
        else:
            why = []
            if not static["landlock_abi"]:
                why.append("Landlock is not available in this kernel")
            if not static["seccomp"]:
                why.append("seccomp filtering is not available (x86_64 Linux only)")
            if probe.get("error"):
                why.append(f"the confined probe failed: {probe['error']}")
            elif probe:
                why.append(
                    "the confined probe could still "
                    + ", ".join(
                        k
                        for k, v in probe.items()
                        if k != "applied" and v == "allowed" and k != "write_scratch"
                    )
                )
            raise IsolationUnavailable(
                "refusing to grade untrusted code without confinement: "
                + "; ".join(why)
                + ". Pass --insecure to run it in an unconfined worker anyway (only for code "
                "you trust, e.g. your own)."
            )
        self._mode = {
            "mode": name,
            "confined": confinable,
            "static": static,
            "root": root,
            "userns": userns,
            "probe": probe,
            "preload_s": hello.get("preload_s"),
        }
        return self._mode

    def _probe(self, userns: bool) -> dict:
        return self.server.probe(
            {
                "limits": self._limits_dict(),
                "confine": True,
                "landlock": True,
                "seccomp": True,
                "namespaces": True,
                "userns": userns,
                "no_fork": True,
            }
        )

    def start_worker(self, conn) -> WorkerProcess:
        """A worker for ``conn`` (a :class:`~descent.isolation.connection.Connection`: its
        ``folder``, ``variant`` and ``read_extra`` say what the worker loads and may read)."""
        # Keep a handful of workers alive; an idle one is restarted on its next call.
        self.live = [
            c for c in self.live if c is not conn and c.process is not None and c.process.alive
        ]
        while len(self.live) >= self.max_live:
            self.live.pop(0).close()
        self.live.append(conn)
        self.mode()
        self.colocate()
        spare = self._spare_for(conn)
        if spare is not None:
            return spare
        return self._spawn(conn.folder, conn.variant, tuple(conn.read_extra))

    def _spawn(
        self, folder, variant, read_extra: tuple, wait: bool = True, cpu: int | None = None
    ) -> WorkerProcess:
        """A worker that loads ``folder`` (with ``variant``) and may read ``read_extra``; it
        confines itself on ``cpu`` where one is given (else on this process's, if pinned)."""
        info = self.mode()
        cfg = self.base_config()
        if cpu is not None:
            cfg["cpu"] = cpu
        cfg["folder"] = folder
        cfg["variant"] = variant
        cfg["read_extra"] = list(read_extra)
        lease = None
        if info["root"] and info["static"].get("uid_drop"):
            self.slot += 1
            lease = _lease_uid(self.slot)
            cfg["uid"] = cfg["gid"] = lease.uid
        use_cgroup = bool(info["root"] and info["static"].get("cgroup"))
        try:
            return WorkerProcess(
                self.server, cfg, self.settings.limits, use_cgroup, lease, wait=wait
            )
        except BaseException:
            if lease is not None:
                lease.release()
            raise

    def reap(self) -> None:
        """Finish stopping the workers killed without waiting (see :meth:`ForkServer.reap`)."""
        if self._server is not None:
            self._server.reap()

    def close(self, wait: bool = True) -> None:
        """Stop the workers and the fork server (``wait``: see :meth:`ForkServer.close`)."""
        self.spares = []  # the server's workers: stopped with it
        if self._server is not None:
            self._server.close(wait)
            self._server = None


def _lease_uid(slot: int) -> uid_lease.UidLease:
    """A uid no other live grading on this machine holds (see :mod:`.uid_lease`)."""
    try:
        return uid_lease.lease(slot)
    except (OSError, uid_lease.UidsExhausted) as exc:
        raise IsolationUnavailable(f"no worker uid could be leased: {exc}") from None


def _held(probe: dict) -> bool:
    """Whether the confined probe child was stopped where it had to be."""
    return (
        "error" not in probe
        and probe.get("read_outside", "").startswith("blocked")
        and probe.get("tcp_socket", "").startswith("blocked")
        and probe.get("udp_socket", "").startswith("blocked")
        and probe.get("fork", "").startswith("blocked")
        and probe.get("write_scratch") == "allowed"
    )


def _another_cpu() -> int | None:
    """A CPU this process may use other than the one it runs on, or None."""
    here = current_cpu()
    try:
        return next(iter(sorted(os.sched_getaffinity(0) - {here})), None)
    except (AttributeError, OSError):
        return None


def current_cpu() -> int | None:
    """The CPU this process last ran on (field 39 of /proc/self/stat)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None


_MANAGER: IsolationManager | None = None


def close_shared(wait: bool = True) -> None:
    """Stop the shared manager's fork server and workers (the end of a grading run)."""
    global _MANAGER
    if _MANAGER is not None:
        _MANAGER.close(wait)
        _MANAGER = None


def shared(settings: Settings | None = None) -> IsolationManager:
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = IsolationManager(settings)
    elif settings is not None:
        _MANAGER.settings = settings
        _MANAGER.call_timeout = settings.call_timeout
    return _MANAGER
