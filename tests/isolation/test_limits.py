"""Every number a worker is held to, and the rlimits among them (:mod:`descent.isolation.limits`).

The rlimits are set in a forked child: they cannot be raised again."""

from __future__ import annotations

import mmap
import os
import resource

import pytest

from descent.isolation.limits import Limits, apply_rlimits, mapped_bytes

from .forked import in_child

pytestmark = [
    pytest.mark.fast,  # the fast lane: ./dev test --fast
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the rlimits are set in a forked child"),
]


def test_the_defaults_are_the_documented_numbers():
    lim = Limits()
    assert lim.address_space == 4 << 30 and lim.memory == 3 << 30
    assert lim.address_headroom == 2 << 30
    assert (lim.cpu_seconds, lim.open_files, lim.pids) == (600, 256, 64)
    assert lim.file_size == 32 << 20 and lim.scratch_size == 64 << 20
    assert lim.processes is None  # task_cap.nproc makes it from pids


def _applied(limits: Limits):
    def child(_):
        apply_rlimits(limits)
        names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")
        out = {name: list(resource.getrlimit(getattr(resource, name))) for name in names}
        out["RLIMIT_NPROC"] = list(resource.getrlimit(resource.RLIMIT_NPROC))
        return out

    return in_child(child)


def test_each_rlimit_is_set_from_the_limits():
    flat = Limits(address_space=3 << 30, address_headroom=None)
    got = _applied(Limits(**{**vars(flat), "cpu_seconds": 7, "open_files": 50, "processes": 40}))
    assert "error" not in got, got
    assert got["RLIMIT_AS"] == [3 << 30, 3 << 30]
    assert got["RLIMIT_CPU"] == [7, 12]  # a hard limit 5 s later: SIGXCPU first, then SIGKILL
    assert got["RLIMIT_FSIZE"] == [32 << 20, 32 << 20]
    assert got["RLIMIT_NOFILE"] == [50, 50]
    assert got["RLIMIT_CORE"] == [0, 0]
    assert got["RLIMIT_NPROC"] == [40, 40]


def test_no_address_space_limit_and_no_process_limit_where_none_is_given():
    before = {
        "RLIMIT_AS": list(resource.getrlimit(resource.RLIMIT_AS)),
        "RLIMIT_NPROC": list(resource.getrlimit(resource.RLIMIT_NPROC)),
    }
    got = _applied(Limits(address_space=None, processes=None))
    assert "error" not in got, got
    assert got["RLIMIT_AS"] == before["RLIMIT_AS"]
    assert got["RLIMIT_NPROC"] == before["RLIMIT_NPROC"]


def test_a_limit_above_the_current_hard_limit_is_held_to_it():
    def child(_):
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))
        apply_rlimits(Limits(open_files=1000))
        return {"nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE))}

    assert in_child(child) == {"nofile": [100, 100]}


def _maps(size: int) -> str:
    """``"mapped"`` when ``size`` more bytes of address space can be had, else the error."""
    try:
        mmap.mmap(-1, size, prot=mmap.PROT_READ).close()  # address space only: no page is touched
        return "mapped"
    except OSError as exc:
        return type(exc).__name__


def test_a_worker_that_mapped_much_before_it_was_confined_keeps_its_headroom():
    """A CUDA build of torch maps about 3.8 GB at import, CPU work or not (seen on an H200
    machine's image): under a flat 4 GiB a worker forked after it could map only a few hundred
    MB more. Here 3.5 GiB of untouched mappings stand in for those libraries."""

    def child(_):
        libraries = mmap.mmap(-1, 7 << 29, prot=mmap.PROT_READ)
        apply_rlimits(Limits())
        cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        out = {"cap_over_4GiB": cap > 4 << 30, "1 GiB": _maps(1 << 30), "3 GiB": _maps(3 << 30)}
        libraries.close()
        return out

    assert in_child(child) == {"cap_over_4GiB": True, "1 GiB": "mapped", "3 GiB": "OSError"}


def test_the_cap_is_the_flat_limit_or_the_headroom_above_what_is_mapped_whichever_is_more():
    def child(_):
        mapped = mapped_bytes()
        apply_rlimits(Limits())
        return {"cap": resource.getrlimit(resource.RLIMIT_AS)[0], "mapped": mapped}

    got = in_child(child)
    assert got["mapped"] and got["cap"] == max(4 << 30, got["mapped"] + (2 << 30)), got

    def flat(_):
        apply_rlimits(Limits(address_space=3 << 30, address_headroom=None))
        return {"cap": resource.getrlimit(resource.RLIMIT_AS)[0]}

    # a flat limit alone, as the labs kernel sets for an instructor's memory_mb
    assert in_child(flat) == {"cap": 3 << 30}
