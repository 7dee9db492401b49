"""Worker uids are leased machine-wide (descent.isolation.uid_lease): two gradings side by side
never give two workers the same uid, and a grading that dies gives its uids back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from descent.isolation import uid_lease
from descent.isolation.manager import IsolationManager, Settings
from descent.isolation.remote import WorkerImplementation

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def test_two_leases_never_share_a_uid_and_a_released_one_is_free_again(tmp_path):
    first = uid_lease.lease(0, tmp_path)
    second = uid_lease.lease(0, tmp_path)
    assert first.uid == uid_lease.FIRST_UID and second.uid == uid_lease.FIRST_UID + 1
    first.release()
    again = uid_lease.lease(0, tmp_path)
    assert again.uid == uid_lease.FIRST_UID
    for held in (second, again):
        held.release()


def test_a_uid_held_by_another_process_is_skipped_until_that_process_dies(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                from pathlib import Path
                from descent.isolation import uid_lease
                held = uid_lease.lease(5, Path({str(tmp_path)!r}))
                print(held.uid, flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        theirs = int(holder.stdout.readline())
        ours = uid_lease.lease(5, tmp_path)
        assert theirs == uid_lease.FIRST_UID + 5 and ours.uid == theirs + 1
        ours.release()
    finally:
        holder.kill()  # no release: the kernel drops the lock with the process
        holder.wait()
    assert uid_lease.lease(5, tmp_path).uid == theirs


def test_the_range_wraps_and_a_full_range_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(uid_lease, "COUNT", 2)
    a = uid_lease.lease(1, tmp_path)
    b = uid_lease.lease(1, tmp_path)
    assert (a.uid, b.uid) == (uid_lease.FIRST_UID + 1, uid_lease.FIRST_UID)
    with pytest.raises(uid_lease.UidsExhausted):
        uid_lease.lease(0, tmp_path)


def test_a_lock_folder_others_could_write_or_plant_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    with pytest.raises(PermissionError):
        uid_lease.lease(0, shared)
    planted = tmp_path / "planted"
    planted.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(PermissionError):
        uid_lease.lease(0, planted)


def _worker_uid(manager: IsolationManager) -> tuple[WorkerImplementation, int, int]:
    impl = WorkerImplementation("remote", manager, folder=str(SOLUTIONS))
    impl.begin_test("uid")
    impl.losses.mse_forward  # noqa: B018 (starts the worker)
    process = manager.live[-1].process
    status = Path(f"/proc/{process.pid}/status").read_text()
    real_uid = int(next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1])
    return impl, process.lease.uid, real_uid


def test_two_gradings_side_by_side_run_their_workers_under_different_uids():
    one, two = IsolationManager(Settings(call_timeout=5.0)), IsolationManager(Settings())
    try:
        info = one.mode()
        if not (info["root"] and info["static"].get("uid_drop")):
            pytest.skip("workers get a uid of their own only as root, with a readable interpreter")
        first, leased_1, uid_1 = _worker_uid(one)
        second, leased_2, uid_2 = _worker_uid(two)
        assert leased_1 != leased_2 and (uid_1, uid_2) == (leased_1, leased_2)
        first.close()
        second.close()
    finally:
        one.close()
        two.close()
