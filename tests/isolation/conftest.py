"""Workers pin the grading process to one CPU (IsolationManager.colocate); the kit's own test
session gets its CPUs and torch threads back after each module, so later tests and the
subprocesses they start are not confined to one CPU."""

from __future__ import annotations

import os

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _restore_cpus():
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    threads = torch.get_num_threads()
    yield
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    torch.set_num_threads(threads)
