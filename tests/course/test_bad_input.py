"""Bad input a batch must answer clearly (the gradebook's own cases are in test_gradebook.py,
Ctrl-C in test_batch.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import KIT, command, copy_modules, env, run_batch

QUICK = "test_losses and mse"


def test_an_empty_or_missing_submissions_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("")
    result = run_batch(tmp_path / "empty", tmp_path / "out")
    assert result.code == 2 and "no submissions to grade" in result.output
    missing = run_batch(tmp_path / "nowhere", tmp_path / "out")
    assert missing.code == 2 and "no such folder" in missing.output
    assert "Traceback" not in result.output + missing.output


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("losses.py", b"#" * (200 << 20))  # 200 MiB of comment in about 200 KiB


@pytest.fixture(scope="module")
def bad_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    subs = root / "subs"
    copy_modules(KIT / "solutions", subs / "Zoë Ng (late)")
    (subs / "frank").mkdir()
    (subs / "frank" / "readme.txt").write_text("I did the exercises on paper.\n")
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    _bomb(subs / "bomb.zip")
    (subs / "notjson.ipynb").write_text('{"cells": [')
    # 400 KB of nested lists: RecursionError out of intake's json.loads (an INTERNALERROR)
    (subs / "deep.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    (subs / "huge").mkdir()
    (subs / "huge" / "losses.py").write_text("x = 1\n" * (400 << 10))
    (subs / "notes.txt").write_text("grading notes\n")
    result = run_batch(subs, root / "out", "-k", QUICK, "--jobs", "2")
    assert result.code == 0, result.output
    return result


def _row(batch, student):
    (row,) = batch.rows(
        "SELECT status, points, max_points, results FROM submissions WHERE student = ?", student
    )
    return row


@pytest.mark.parametrize(
    "student, refusal",
    [
        ("corrupt", "not a readable zip archive"),
        ("bomb", "zip bomb"),
        ("notjson", "not a readable notebook"),
        ("deep", "nested 200001 levels deep"),
        ("huge", "exceeds the 1048576-byte limit"),
    ],
)
def test_unreadable_submissions_score_zero_and_say_why(bad_class, student, refusal):
    status, points, _, results = _row(bad_class, student)
    assert status == "graded" and points == 0
    assert refusal in results
    assert refusal in (bad_class.out / "reports" / f"{student}.html").read_text()
    assert "no exercise modules found in the submission" in bad_class.output


def test_a_folder_without_exercise_modules_scores_zero_with_a_note(bad_class):
    status, points, _, _ = _row(bad_class, "frank")
    assert status == "graded" and points == 0
    assert "no exercise modules found" in (bad_class.out / "reports" / "frank.html").read_text()


def test_a_name_with_spaces_and_accents_is_graded_and_gets_a_safe_report_name(bad_class):
    _, points, top, _ = _row(bad_class, "Zoë Ng (late)")
    assert points == top > 0
    (page,) = [p for p in (bad_class.out / "reports").iterdir() if p.name.startswith("Zoë_Ng")]
    assert " " not in page.name and "(" not in page.name
    assert "Zoë Ng (late)" in page.read_text()


def test_entries_that_are_no_submission_are_listed_not_graded(bad_class):
    assert "not graded (not a folder, .zip, .py or .ipynb): notes.txt" in bad_class.output
    assert not bad_class.rows("SELECT 1 FROM students WHERE id LIKE 'notes%'")


# A submission over the time limit: test_hardening.py (a time-out is retried once, then kept).


def _private_mount(options: str, folder: Path, cmd: list[str]) -> list[str]:
    """``cmd`` run with a fresh tmpfs mounted (``options``) on ``folder``, in a mount namespace
    of its own (root only: the only way to get a read-only or full folder that root cannot
    write through)."""
    script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"'
    return [
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        options,
        str(folder),
        *cmd,
    ]


def _mount_works(tmp_path) -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    return (
        subprocess.run(_private_mount("size=64k", probe, ["true"]), capture_output=True).returncode
        == 0
    )


def test_a_read_only_output_folder_is_refused_before_grading(tmp_path, reference_losses):
    out = tmp_path / "out"
    out.mkdir()
    if _mount_works(tmp_path):
        cmd = _private_mount("ro,size=64k", out, command(reference_losses, out))
    elif os.geteuid() != 0:
        out.chmod(0o555)
        cmd = command(reference_losses, out)
    else:
        pytest.skip("root without mount namespaces: no folder is read-only for root")
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env(), timeout=120)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "cannot write to the output folder" in text and "grading" not in text
    assert "Traceback" not in text


def test_a_full_output_folder_stops_the_batch_clearly_and_keeps_the_gradebook(tmp_path):
    if not _mount_works(tmp_path):
        pytest.skip("needs root and mount namespaces to make a small full folder")
    subs = tmp_path / "subs"
    copy_modules(KIT / "solutions", subs / "ada", modules=("losses", "activations"))
    out = tmp_path / "out"
    out.mkdir()
    script = command(subs, out, "--jobs", "1", "-k", "test_losses or test_activations")
    proc = subprocess.run(
        _private_mount("size=96k", out, script),
        cwd=KIT,
        capture_output=True,
        text=True,
        env=env(),
        timeout=300,
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "is the disk full?" in text and "run the same command again" in text
    assert "Traceback" not in text
