"""Privileges (:mod:`descent.isolation.privileges`): whether other users can reach a path, and a
forked child left with no capabilities."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from descent.isolation import privileges

from .forked import in_child

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def open_dir():
    """A folder every user can reach (pytest's own tmp_path sits in a private one)."""
    path = Path(tempfile.mkdtemp(prefix="descent-privileges-"))
    path.chmod(0o755)
    private = [p for p in path.parents if not p.stat().st_mode & 0o001]
    if private:
        shutil.rmtree(path)
        pytest.skip(f"{private[0]} is private on this machine")
    yield path
    shutil.rmtree(path)


def test_a_private_folder_on_the_way_keeps_other_users_out(open_dir):
    private = open_dir / "home"
    (private / "lib").mkdir(parents=True)
    private.chmod(0o700)
    try:
        ok, why = privileges.readable_by_others([str(private / "lib")])
        assert not ok and why == f"{private} is not searchable by other users (mode 0o700)"
        # covered in the worker's mount namespace: a private folder above the path is no bar
        assert privileges.readable_by_others([str(private / "lib")], cover=True) == (True, "")
        # the path itself private is, covered or not
        ok, why = privileges.readable_by_others([str(private)], cover=True)
        assert not ok and why.startswith(f"{private} is not searchable")
    finally:
        private.chmod(0o755)


def test_open_folders_and_missing_paths(open_dir):
    (open_dir / "open").mkdir()
    assert privileges.readable_by_others([str(open_dir / "open")]) == (True, "")
    ok, why = privileges.readable_by_others([str(open_dir / "nothing")])
    assert not ok and why == f"cannot stat {open_dir / 'nothing'}"


def _capabilities() -> dict:
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return {k: int(fields[k], 16) for k in ("CapEff", "CapPrm", "CapInh", "CapBnd")}


@pytest.mark.skipif(
    not hasattr(os, "fork") or not os.path.exists("/proc/self/status"), reason="Linux only"
)
def test_dropping_capabilities_leaves_none():
    def child(_):
        privileges.drop_capabilities()
        return _capabilities()

    caps = in_child(child)
    assert "error" not in caps, caps
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapInh"] == 0
    if os.geteuid() == 0:  # the bounding set needs CAP_SETPCAP to be emptied
        assert caps["CapBnd"] == 0
