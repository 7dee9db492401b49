"""The worker's syscall filter (:mod:`descent.isolation.seccomp`): the rules it holds, as data."""

from __future__ import annotations

import errno

import pytest

from descent.isolation import seccomp

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_filter_names_every_call_it_was_reviewed_for():
    """The rules are data: a call added to the review without a rule fails here."""
    reviewed = set(seccomp.SELF_ONLY) | set(seccomp.DENY_EPERM)
    for name in (
        "prlimit64 setpriority getpriority sched_setparam sched_getparam sched_setscheduler "
        "sched_getscheduler sched_rr_get_interval sched_setaffinity sched_getaffinity "
        "sched_setattr sched_getattr ioprio_set ioprio_get getpgid getsid get_robust_list "
        "clock_gettime clock_getres clock_nanosleep timer_create memfd_create execveat "
        "process_mrelease"
    ).split():
        assert name in reviewed, name
    assert errno.EPERM  # the errno every one of them gives
