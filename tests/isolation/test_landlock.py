"""Landlock (:mod:`descent.isolation.landlock`): the rights it grants, the ABI this kernel has,
and a forked child held to the paths it was given."""

from __future__ import annotations

import errno
import os

import pytest

from descent.isolation import landlock

from .forked import in_child, outcome

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

NO_LANDLOCK = pytest.mark.skipif(
    not hasattr(os, "fork") or landlock.landlock_abi() < 1, reason="no Landlock on this machine"
)


def test_the_rights_are_distinct_bits_and_reading_never_writes():
    bits = list(landlock.FS.values())
    assert bits == [1 << i for i in range(len(bits))]
    assert landlock.READ == landlock.FS["READ_FILE"] | landlock.FS["READ_DIR"]
    assert not landlock.READ & landlock.WRITE
    assert not landlock.WRITE & landlock.FS["EXECUTE"]  # a worker never gets to execute


def test_each_abi_handles_at_least_the_rights_of_the_one_before():
    masks = [landlock._FS_BY_ABI[abi] for abi in sorted(landlock._FS_BY_ABI)]
    assert all(a & b == a for a, b in zip(masks, masks[1:]))
    assert masks[0] & landlock.FS["REFER"] == 0 and masks[1] & landlock.FS["REFER"]


def test_the_abi_is_a_number_and_no_abi_is_refused(monkeypatch):
    assert isinstance(landlock.landlock_abi(), int) and landlock.landlock_abi() >= 0
    monkeypatch.setattr(landlock, "landlock_abi", lambda: 0)
    with pytest.raises(OSError) as info:
        landlock.apply_landlock([], [])
    assert info.value.errno == errno.ENOSYS


@NO_LANDLOCK
def test_a_restricted_child_reads_and_writes_only_where_it_was_let(tmp_path):
    readable, writable, other = (tmp_path / n for n in ("read", "write", "other"))
    for folder in (readable, writable, other):
        folder.mkdir()
        (folder / "f.txt").write_text("x")

    def child(_):
        abi = landlock.apply_landlock([str(readable)], [str(writable)])
        return {
            "abi": abi,
            "read": outcome(lambda: open(readable / "f.txt").read()),
            "write where read only": outcome(lambda: open(readable / "new", "w").close()),
            "write": outcome(lambda: open(writable / "new", "w").close()),
            "read elsewhere": outcome(lambda: open(other / "f.txt").read()),
        }

    report = in_child(child)
    assert report["abi"] == landlock.landlock_abi(), report
    assert report["read"] == "allowed" and report["write"] == "allowed", report
    assert report["write where read only"] == "EACCES", report
    assert report["read elsewhere"] == "EACCES", report
    assert not (readable / "new").exists() and (writable / "new").exists()
