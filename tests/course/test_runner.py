"""One grading of a batch (``descent.course.runner``), the parts that need no grading: the
temporary folder of each grading and those a killed batch left, the private bytecode cache, the
CPU locks and their folder, the command line of a grading, what a grading's results become, and a
machine whose graders differ from the batch's."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time

import pytest

from descent.course import runner

from .conftest import KIT


def test_grading_folders_of_a_killed_batch_are_removed_by_the_next_grading(tmp_path):
    stale = tmp_path / f"{runner.FOLDER_PREFIX}dead"
    (stale / "descent-sub-x" / "submission").mkdir(parents=True)
    (stale / ".lock").touch()
    live = tmp_path / f"{runner.FOLDER_PREFIX}live"
    live.mkdir()
    young = tmp_path / f"{runner.FOLDER_PREFIX}young"
    young.mkdir()
    old = time.time() - 2 * runner.STALE_AFTER_S
    for folder in (stale, live):
        os.utime(folder, (old, old))
    fd = os.open(live / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert runner.remove_stale(str(tmp_path)) == [stale]
    finally:
        os.close(fd)
    assert live.exists() and young.exists() and not stale.exists()


def test_a_grading_keeps_every_temporary_file_in_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with runner.grading_folder() as folder:
        assert folder.parent == tmp_path and (folder / ".lock").exists()
        assert runner.remove_stale(str(tmp_path)) == []  # in use
    assert not folder.exists()


def test_gradings_share_a_private_bytecode_cache_where_bytecode_is_not_written(monkeypatch):
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    plain = runner.grading_env(KIT)
    assert "PYTHONPYCACHEPREFIX" not in plain and plain["TMPDIR"] == str(KIT)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = runner.grading_env(KIT)
    cache = env["PYTHONPYCACHEPREFIX"]
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert runner.grading_env(KIT)["PYTHONPYCACHEPREFIX"] == cache  # one cache per process
    folder = runner.bytecode_cache()
    assert str(folder) == cache and folder.stat().st_mode & 0o777 == 0o700
    old = time.time() - 2 * runner.STALE_AFTER_S
    os.utime(folder, (old, old))
    assert folder not in runner.remove_stale(str(folder.parent))  # held while this process lives


def test_cpu_locks_live_in_a_folder_only_this_user_can_write_and_follow_no_link(
    tmp_path, monkeypatch
):
    """The CPU locks were ``descent-cpu-N.lock`` in the shared temporary folder, opened with
    create and following links: another account's link there made root create a file of its
    choosing (where fs.protected_symlinks is 0)."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    target = tmp_path / "chosen-by-another-account"
    (tmp_path / "descent-cpu-0.lock").symlink_to(target)  # where the old lock went
    folder = tmp_path / f"descent-locks-{os.geteuid()}"
    with runner.cpu_slot() as cpu:
        assert cpu is not None and not target.exists()
        assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
        lock = folder / f"descent-cpu-{cpu}.lock"
        assert lock.stat().st_mode & 0o777 == 0o600 and not lock.is_symlink()
    lock.unlink()
    lock.symlink_to(target)  # a link inside the folder is not followed either
    with runner.cpu_slot() as other:
        assert other != cpu and not target.exists()
    for planted in ("a link", "another user's"):
        shutil.rmtree(folder) if folder.is_dir() and not folder.is_symlink() else folder.unlink()
        if planted == "a link":
            folder.symlink_to(tmp_path / "elsewhere")
        else:
            folder.mkdir(mode=0o777)
            os.chown(folder, 65534, 65534) if os.geteuid() == 0 else os.chmod(folder, 0o777)
        with runner.cpu_slot() as cpu:
            assert cpu is None, planted  # graded unpinned rather than locked where it is unsafe
        assert not (tmp_path / "elsewhere").exists()


def test_a_stale_looking_folder_of_another_user_is_neither_opened_nor_removed(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to make a folder another user owns")
    theirs = tmp_path / f"{runner.FOLDER_PREFIX}theirs"
    theirs.mkdir()
    os.mkfifo(theirs / ".lock")  # opening it to test the lock would wait for a writer
    old = time.time() - 2 * runner.STALE_AFTER_S
    os.utime(theirs, (old, old))
    os.chown(theirs, 65534, 65534)
    removed = []
    sweep = threading.Thread(target=lambda: removed.extend(runner.remove_stale(str(tmp_path))))
    sweep.start()
    sweep.join(10)
    if sweep.is_alive():  # blocked on the FIFO: a writer lets it go before the test fails
        os.close(os.open(theirs / ".lock", os.O_WRONLY | os.O_NONBLOCK))
        sweep.join()
        pytest.fail("remove_stale waited on another user's FIFO")
    assert removed == [] and theirs.exists()


def _request(tmp_path, **kw):
    return runner.Request("ann", str(tmp_path / "ann"), str(KIT), "v-batch", **kw)


def test_a_machine_whose_graders_differ_from_the_batchs_grades_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_local_version", lambda kit, selection, device: "v-here")
    monkeypatch.setattr(runner, "_run", lambda *a: pytest.fail("graded"))
    out = runner.grade_submission(_request(tmp_path))
    assert out.status == runner.FAILED and "differ from the batch's (v-batch)" in out.message


def test_the_command_line_of_a_grading(tmp_path):
    argv = runner._grade_argv(
        _request(tmp_path, selection="mse", insecure=True), 3, tmp_path / "r.json"
    )
    assert argv[:2] == ["grade", str(tmp_path / "ann")] and argv[argv.index("-k") + 1] == "mse"
    assert "--exit-zero" in argv and "--insecure" in argv and "--worker-cpu" not in argv
    assert argv[argv.index("--test-processes") + 1] == "1"
    unpinned = runner._grade_argv(_request(tmp_path), None, tmp_path / "r.json")
    assert unpinned[-2:] == ["--worker-cpu", "any"] and "-k" not in unpinned
    assert "--input-seed" not in unpinned  # inputs keyed to the code by the course's secret
    seeded = runner._grade_argv(_request(tmp_path, input_seed="s1"), 0, tmp_path / "r.json")
    assert seeded[-2:] == ["--input-seed", "s1"]


def test_the_course_secret_reaches_the_grading_in_its_environment_only(tmp_path, monkeypatch):
    seen = {}

    def run_fresh(req, cpu, argv, env, log, out):
        seen.update(argv=argv, env=env)
        return 0

    monkeypatch.setattr(runner, "_run_fresh", run_fresh)
    req = _request(tmp_path, input_secret="k3y-of-the-course")
    out = runner.Outcome("ann", "ann", runner.FAILED)
    runner._run(req, None, tmp_path / "r.json", tmp_path / "log", out)
    assert seen["env"]["DESCENT_INPUT_SECRET"] == "k3y-of-the-course"
    assert not any("k3y" in a for a in seen["argv"]) and "k3y" not in repr(req)


def test_a_gradings_results_become_the_students_and_an_incomplete_one_is_no_grade(tmp_path):
    doc = {"implementations": [{"name": "/tmp/x/ann"}], "tests": [{"implementation": "/tmp/x/ann"}]}
    out = runner.Outcome("ann", "ann", runner.FAILED, log_tail="last line\n")
    runner._collect(_request(tmp_path), 1, tmp_path / "results.json", out)
    assert (
        out.status == runner.FAILED
        and out.message == "grading did not complete (exit code 1): last line"
    )
    (tmp_path / "results.json").write_text(json.dumps({**doc, "schema": "descent.results/1"}))
    runner._collect(_request(tmp_path), 0, tmp_path / "results.json", out)
    assert out.status == runner.GRADED
    assert (
        out.results["implementations"][0]["name"] == "ann"
        and out.results["tests"][0]["implementation"] == "ann"
    )
    (tmp_path / "results.json").write_text(
        json.dumps({**doc, "schema": "descent.results/1", "interrupted": True})
    )
    cut = runner.Outcome("ann", "ann", runner.FAILED)
    runner._collect(_request(tmp_path), 0, tmp_path / "results.json", cut)
    assert cut.status == runner.FAILED and cut.message == "grading did not complete (exit code 0)"


def test_the_pictures_a_grading_drew_go_to_the_gradebook_by_their_number(tmp_path):
    """The grading (one of a batch's, in parallel) drew them under its own name; the reports
    show them as drawn, whatever the student's name."""
    doc = {"implementations": [{"name": "/tmp/x/ann"}], "tests": [], "schema": "descent.results/1"}
    (tmp_path / "results.json").write_text(json.dumps(doc))
    (tmp_path / "picture__tmp_x_ann_01_schedules.step_lr.png").write_bytes(b"\x89PNG one")
    (tmp_path / "picture__tmp_x_ann_02_init.xavier.png").write_bytes(b"\x89PNG two")
    out = runner.Outcome("ann", "ann", runner.FAILED)
    runner._collect(_request(tmp_path), 0, tmp_path / "results.json", out)
    assert out.images == {"picture_01.png": b"\x89PNG one", "picture_02.png": b"\x89PNG two"}
