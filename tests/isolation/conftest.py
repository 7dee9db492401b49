"""Shared fixtures of the isolation tests: a fork-server manager per module, a worker grading
the kit's solutions per test, and the CPUs and torch threads the session had (workers pin the
grading process to one CPU, IsolationManager.colocate; later tests and the subprocesses they
start must not stay confined to it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from descent.isolation.manager import IsolationManager, Settings
from descent.isolation.remote import WorkerImplementation

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


@pytest.fixture(scope="module")
def manager():
    m = IsolationManager(Settings(call_timeout=5.0))
    yield m
    m.close()


@pytest.fixture
def remote(manager):
    impl = WorkerImplementation("remote", manager, folder=str(SOLUTIONS))
    yield impl
    impl.close()


@pytest.fixture(autouse=True, scope="module")
def _restore_cpus():
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    threads = torch.get_num_threads()
    yield
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    torch.set_num_threads(threads)
