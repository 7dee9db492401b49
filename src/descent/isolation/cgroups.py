"""A cgroup per worker (as root): memory and pids limits, and the kill that sweeps the group."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .limits import Limits

# A worker's cgroup is named after the grading process that made it (pool.WorkerProcess).
WORKER_NAME = re.compile(r"descent-(\d+)-\d+")
STALE_AFTER_S = 60.0  # a younger one may be about to be used (see sweep_stale)
_swept: set[str] = set()  # the parents this process has swept


def _own_cgroup(controller: str) -> str | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            if controller in ctrls.split(","):
                return path
    except OSError:
        pass
    return None


@dataclass
class Cgroup:
    """A per-worker cgroup (v1 memory + pids controllers, or a v2 group)."""

    dirs: dict[str, str] = field(default_factory=dict)  # controller -> directory
    version: int = 1

    @classmethod
    def create(cls, name: str, limits: Limits) -> Cgroup | None:
        if os.geteuid() != 0:
            return None
        root = Path("/sys/fs/cgroup")
        if (root / "cgroup.controllers").exists():  # pure v2
            base = root / (_own_cgroup("") or "/").lstrip("/")
            _sweep_once(base)
            d = base / name
            try:
                d.mkdir(exist_ok=True)
                (d / "memory.max").write_text(str(limits.memory))
                (d / "pids.max").write_text(str(limits.pids))
                try:
                    (d / "memory.swap.max").write_text("0")
                except OSError:
                    pass
            except OSError:
                return None
            return cls({"unified": str(d)}, 2)
        dirs = {}
        for ctrl in ("memory", "pids"):
            top = root / ctrl
            own = _own_cgroup(ctrl)
            if not top.is_dir() or own is None:
                continue
            _sweep_once(top / own.lstrip("/"))
            d = top / own.lstrip("/") / name
            try:
                d.mkdir(exist_ok=True)
                if ctrl == "memory":
                    (d / "memory.limit_in_bytes").write_text(str(limits.memory))
                    try:
                        (d / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
                    except OSError:
                        pass
                else:
                    (d / "pids.max").write_text(str(limits.pids))
            except OSError:
                continue
            dirs[ctrl] = str(d)
        return cls(dirs, 1) if dirs else None

    def join(self, pid: int = 0) -> None:
        for d in self.dirs.values():
            Path(d, "cgroup.procs").write_text(str(pid or os.getpid()))

    def pids(self) -> set[int]:
        found = set()
        for d in self.dirs.values():
            try:
                found |= {int(x) for x in Path(d, "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def signal_all(self) -> set[int]:
        """SIGKILL every process in the group once, without waiting for any to end; returns the
        pids the group listed (those not gone yet)."""
        # audited as it stands: the isolation core's imports are not moved without a review
        import signal

        if self.version == 2:
            try:
                Path(self.dirs["unified"], "cgroup.kill").write_text("1")
            except OSError:
                pass
        left = self.pids()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left

    def kill_all(self, rounds: int = 50) -> bool:
        """SIGKILL every process in the group until it is empty."""
        # audited as it stands: the isolation core's imports are not moved without a review
        import time

        for _ in range(rounds):
            if not self.signal_all():
                return True
            time.sleep(0.005)
        return not self.pids()

    def oom_killed(self) -> bool:
        try:
            if self.version == 2:
                text = Path(self.dirs["unified"], "memory.events").read_text()
            elif "memory" in self.dirs:
                text = Path(self.dirs["memory"], "memory.oom_control").read_text()
            else:
                return False
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip() != "0":
                return True
        return False

    def remove(self) -> None:
        for d in self.dirs.values():
            try:
                os.rmdir(d)
            except OSError:
                pass


def _sweep_once(parent: Path) -> None:
    if str(parent) not in _swept:
        _swept.add(str(parent))
        sweep_stale(parent)


def sweep_stale(parent: Path, now: float | None = None) -> list[str]:
    """Remove the worker cgroups under ``parent`` left by grading processes that no longer run:
    one that died before it could remove them (killed, or the copy of a split grading that
    died) leaves them behind, empty, for good. Only a group named after a process that is gone,
    made over :data:`STALE_AFTER_S` ago, is removed: the kernel refuses to remove one that
    still holds a process, and a young one may belong to a grading in another pid namespace
    that is about to put its worker in it. Returns the names removed."""
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = WORKER_NAME.fullmatch(entry.name)
        if match is None or os.path.exists(f"/proc/{match.group(1)}"):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_S:
                continue
            os.rmdir(entry.path)
        except OSError:
            continue
        removed.append(entry.name)
    return removed
