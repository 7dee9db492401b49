"""What confinement this machine offers (:mod:`descent.isolation.confinement`): the static probe
and the files a worker must be let read."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import descent
from descent.isolation import confinement

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_probe_is_well_formed_and_agrees_with_its_checks():
    info = confinement.probe()
    assert set(info) == {
        "platform", "kernel", "root", "landlock_abi", "seccomp", "cgroup", "uid_drop",
        "uid_drop_reason", "userns", "bwrap", "nsjail",
    }  # fmt: skip
    assert info["root"] is (os.geteuid() == 0)
    assert info["platform"].startswith(sys.platform)
    assert info["cgroup"] in (None, "v1", "v2")
    if sys.platform == "linux":
        assert info["landlock_abi"] == confinement.landlock_abi()
        assert info["seccomp"] == confinement.seccomp_available()
        assert info["userns"] == confinement.user_namespaces_allowed()
    if not info["root"]:
        assert info["cgroup"] is None and info["uid_drop"] is False
    else:
        ok, why = confinement.readable_by_others(confinement.interpreter_paths(), cover=True)
        assert (info["uid_drop"], info["uid_drop_reason"]) == (ok, why)


def test_a_tool_is_found_on_the_path_or_not_at_all():
    assert confinement.tool("sh") is not None and os.access(confinement.tool("sh"), os.X_OK)
    assert confinement.tool("no-such-tool-descent") is None


def test_the_worker_reads_the_interpreter_and_the_kit_and_nothing_that_is_not_there():
    paths = confinement.interpreter_paths()
    assert paths == sorted(set(paths))
    assert str(Path(sys.prefix).resolve()) in paths
    assert str(Path(descent.__file__).resolve().parent) in paths
    assert all(os.path.exists(p) and os.path.isabs(p) for p in paths)
