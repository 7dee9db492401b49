"""The warm parent of a batch's local jobs (``descent.commands.warm``): each grading it forks
gives what a fresh ``descent grade`` process gives, and one that was killed (a time-out) or that
failed changes nothing for the next, which borrows a fork server that is sound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from descent.course import runner
from descent.course.warm_parent import WarmParent

from .conftest import KIT, LOSSES, copy_modules, env

HANG = "\n\ndef mse_forward(pred, target):\n    while True:\n        pass\n"


def _summary(results) -> list[tuple]:
    doc = json.loads(results.read_text())
    return [
        (t["nodeid"], t["outcome"], t["points"], t["max_points"], t["message"], t["diagnosis"])
        for t in doc["tests"]
    ]


def _argv(sub, results, call_timeout: str = "10") -> list[str]:
    argv = ["grade", str(sub), "--results", str(results), "--exit-zero", "-k", LOSSES]
    return argv + ["--call-timeout", call_timeout]


def test_forked_gradings_match_a_fresh_one_and_a_killed_one_changes_nothing(tmp_path):
    ada = copy_modules(KIT / "solutions", tmp_path / "ada")
    bob = copy_modules(KIT / "samples" / "partial", tmp_path / "bob")
    hal = copy_modules(KIT / "solutions", tmp_path / "hal")
    with (hal / "losses.py").open("a") as module:
        module.write(HANG)
    fresh = tmp_path / "fresh.json"
    subprocess.run(
        [sys.executable, "-m", "descent", *_argv(ada, fresh)],
        cwd=KIT,
        env=env(),
        check=True,
        capture_output=True,
    )
    parent = WarmParent(str(KIT), runner.grading_folder(), runner.grading_env)
    try:

        def grade(sub, name: str, call_timeout: str = "10", limit: float | None = 300):
            results = tmp_path / f"{name}.json"
            log = tmp_path / f"{name}.log"
            pid = parent.start(
                _argv(sub, results, call_timeout), str(KIT), runner.grading_env(tmp_path), log, None
            )
            return pid, parent.wait(limit), results, log

        pid_a, code, first, _ = grade(ada, "first")
        assert code == 0 and _summary(first) == _summary(fresh)
        pid_b, code, partial, _ = grade(bob, "partial")
        assert code == 0 and pid_b != pid_a
        assert any(t[1] == "failed" for t in _summary(partial))
        # hal's mse never returns and its call may take 120 s: killed as a time-out would be
        pid_h, code, _, _ = grade(hal, "hung", call_timeout="120", limit=5)
        assert code is None
        os.killpg(pid_h, signal.SIGKILL)
        assert parent.wait(None) == -signal.SIGKILL
        _, code, again, _ = grade(ada, "again")
        assert code == 0 and _summary(again) == _summary(fresh)
        _, code, _, log = grade(tmp_path / "missing", "missing")
        assert code == 4 and "no such folder" in log.read_text()  # pytest's usage error
    finally:
        parent.close()
    assert not parent.alive() and not parent.folder.exists()
