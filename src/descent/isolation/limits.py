"""Every number a worker is held to (:class:`Limits`), and the rlimits among them.

The cgroup's memory and pids limits (:mod:`.cgroups`) and the scratch tmpfs's size
(:mod:`.namespaces`) are read from the same :class:`Limits`; ``processes`` is set from ``pids`` by
:func:`descent.isolation.task_cap.nproc` where it is left None.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass


@dataclass
class Limits:
    address_space: int | None = 4 << 30  # bytes (None on CUDA: it reserves huge ranges)
    # At least this much beyond what the worker has mapped when it is confined (None: the flat
    # cap alone). A CUDA build of torch maps about 3.8 GB at import even for CPU work, which
    # under a flat 4 GiB left a worker a few hundred MB; a CPU build maps about 0.6 GB.
    address_headroom: int | None = 2 << 30
    cpu_seconds: int = 600
    file_size: int = 32 << 20
    open_files: int = 256
    processes: int | None = None  # RLIMIT_NPROC; None: what task_cap.nproc makes of ``pids``
    memory: int = 3 << 30  # cgroup memory limit
    pids: int = 64  # threads and processes: the cgroup's pids limit, and RLIMIT_NPROC's
    scratch_size: int = 64 << 20  # tmpfs for the scratch dir (root mode)


def mapped_bytes() -> int | None:
    """The address space this process has mapped now (``VmSize``); None where /proc is absent."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) << 10
    except OSError:
        pass
    return None


def address_cap(limits: Limits) -> int | None:
    """``RLIMIT_AS`` for ``limits``: ``address_space``, raised where needed so that the process
    keeps ``address_headroom`` beyond what it has already mapped; None: no cap."""
    if not limits.address_space:
        return None
    mapped = mapped_bytes() if limits.address_headroom else None
    if mapped is None:
        return limits.address_space
    return max(limits.address_space, mapped + (limits.address_headroom or 0))


def apply_rlimits(limits: Limits) -> None:
    def set_(res, soft, hard=None):
        hard = soft if hard is None else hard
        cur_soft, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        resource.setrlimit(res, (soft, hard))

    if cap := address_cap(limits):
        set_(resource.RLIMIT_AS, cap)
    set_(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5)
    set_(resource.RLIMIT_FSIZE, limits.file_size)
    set_(resource.RLIMIT_NOFILE, limits.open_files)
    set_(resource.RLIMIT_CORE, 0)
    if limits.processes:
        set_(resource.RLIMIT_NPROC, limits.processes)
