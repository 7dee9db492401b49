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
    cpu_seconds: int = 600
    file_size: int = 32 << 20
    open_files: int = 256
    processes: int | None = None  # RLIMIT_NPROC; None: what task_cap.nproc makes of ``pids``
    memory: int = 3 << 30  # cgroup memory limit
    pids: int = 64  # threads and processes: the cgroup's pids limit, and RLIMIT_NPROC's
    scratch_size: int = 64 << 20  # tmpfs for the scratch dir (root mode)


def apply_rlimits(limits: Limits) -> None:
    def set_(res, soft, hard=None):
        hard = soft if hard is None else hard
        cur_soft, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        resource.setrlimit(res, (soft, hard))

    if limits.address_space:
        set_(resource.RLIMIT_AS, limits.address_space)
    set_(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5)
    set_(resource.RLIMIT_FSIZE, limits.file_size)
    set_(resource.RLIMIT_NOFILE, limits.open_files)
    set_(resource.RLIMIT_CORE, 0)
    if limits.processes:
        set_(resource.RLIMIT_NPROC, limits.processes)
