"""Where the gradings of a batch run: local processes or a Dask cluster.

Both run :func:`descent.course.runner.grade_submission` once per submission and hand back the
outcomes as they finish; the batch records them in the order they come. Neither is a scheduler
of its own: locally a thread pool waits on one grading process per job, each pinned to its own
CPU and forked from the job's warm parent; on a cluster Dask's scheduler places one task per
submission on its workers, each a fresh process.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from concurrent import futures as cf

from . import warm_parent
from .runner import Outcome, Request, allow_starts, grade_submission, kill_all


class ExecutorError(Exception):
    """The gradings cannot be started (no Dask, no scheduler at that address)."""


def available_cpus() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


class LocalExecutor:
    """``jobs`` gradings at a time on this machine (each takes a free CPU of its own while it
    runs, :func:`descent.course.runner.cpu_slot`). Each thread forks its gradings from a warm
    parent of its own (:mod:`descent.course.warm_parent`), closed with the pool."""

    def __init__(self, jobs: int):
        allow_starts()
        self.jobs = max(1, jobs)
        self.pool = cf.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="descent-grade")

    @property
    def slots(self) -> int:
        """Gradings at a time."""
        return self.jobs

    def describe(self) -> str:
        return f"{self.jobs} local job{'s' if self.jobs != 1 else ''}"

    def run(self, requests: Iterable[Request]) -> Iterator[Outcome]:
        pending = [
            self.pool.submit(grade_submission, dataclasses.replace(req, warm=True))
            for req in requests
        ]
        for future in cf.as_completed(pending):
            yield future.result()

    def stop(self) -> None:
        """Cancel what has not started and kill every grading that has."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        kill_all()
        self.pool.shutdown(wait=True)
        warm_parent.close_all()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        warm_parent.close_all()


class DaskExecutor:
    """One Dask task per submission on the cluster whose scheduler is at ``address``."""

    def __init__(self, address: str, *, connect_timeout_s: float = 10.0):
        try:
            # optional: distributed comes with the cluster extra
            import distributed
        except ImportError:
            raise ExecutorError("--scheduler needs Dask: pip install 'descent[cluster]'") from None
        self.distributed = distributed
        try:
            self.client = distributed.Client(
                address, timeout=connect_timeout_s, set_as_default=False
            )
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
        self.address = address
        self.futures: list = []

    @property
    def slots(self) -> int:
        """Gradings at a time: the cluster's worker threads."""
        workers = self.client.scheduler_info().get("workers", {})
        return sum(w.get("nthreads", 0) for w in workers.values())

    def describe(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        threads = self.slots
        return (
            f"Dask cluster {self.address} ({len(workers)} worker"
            f"{'s' if len(workers) != 1 else ''}, {threads} threads)"
        )

    def run(self, requests: Iterable[Request]) -> Iterator[Outcome]:
        # pure=False: the same submission graded twice (--regrade) is two tasks, never a cache
        # hit; retries=0: a task that killed its worker is reported, not run again elsewhere.
        requests = list(requests)
        self.futures = [
            self.client.submit(
                grade_submission, req, pure=False, retries=0, key=f"descent-grade-{i}-{req.student}"
            )
            for i, req in enumerate(requests)
        ]
        by_key = {f.key: req for f, req in zip(self.futures, requests)}
        for future in self.distributed.as_completed(self.futures, loop=self.client.loop):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died (memory, a lost node)
                req = by_key[future.key]
                yield Outcome(
                    req.student,
                    req.path,
                    "failed",
                    message=f"the Dask task failed: {type(exc).__name__}: {exc}",
                )

    def stop(self) -> None:
        if self.futures:
            self.client.cancel(self.futures, force=True)
        self.close()

    def close(self) -> None:
        self.client.close()
