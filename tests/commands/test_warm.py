"""The warm parent of a batch's local jobs (``python -m descent.commands.warm``), spoken to by its
protocol as ``descent.course.warm_parent`` speaks to it: one JSON line in, the grading's pid and
then its exit code out; it ends when its input closes, and refuses to start once its parent is
gone. (Forked gradings equal fresh ones: tests/course/test_warm_parent.py.) It imports what every
grading would, so a run takes seconds: not in the fast lane."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def test_a_warm_parent_whose_parent_is_gone_does_not_start():
    done = subprocess.run(
        [sys.executable, "-m", "descent.commands.warm", "--parent", "1"],
        capture_output=True, text=True, timeout=120, env=_env(),
    )  # fmt: skip
    assert done.returncode == 3


def test_one_request_is_one_grading_process_and_its_exit_code(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-m", "descent.commands.warm", "--parent", str(os.getpid())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(),
    )  # fmt: skip
    try:
        request = {
            "argv": ["report", str(tmp_path / "missing.json")],
            "cwd": str(tmp_path),
            "env": _env(),
            "log": str(tmp_path / "grading.log"),
            "cpu": "-",
        }
        parent.stdin.write(json.dumps(request).encode() + b"\n")
        parent.stdin.flush()
        started = json.loads(parent.stdout.readline())
        ended = json.loads(parent.stdout.readline())
        assert started["pid"] not in (parent.pid, os.getpid()) and ended == {"exit": 2}
        assert "descent report:" in (tmp_path / "grading.log").read_text()
        parent.stdin.close()
        assert parent.wait(timeout=120) == 0
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
