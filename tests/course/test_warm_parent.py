"""The warm parent of a batch's local jobs (``descent.commands.warm``): each grading it forks
gives what a fresh ``descent grade`` process gives, and one that was killed (a time-out) or that
failed changes nothing for the next, which borrows a fork server that is sound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

from descent.course import runner, warm_parent
from descent.course.version import grader_version
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
    # the default draws: the same code gets the same inputs in every grading, so the gradings
    # compare message for message
    return argv + ["--call-timeout", call_timeout]


def test_forked_gradings_match_a_fresh_one_and_a_killed_one_changes_nothing(tmp_path):
    ada = copy_modules(KIT / "solutions", tmp_path / "ada")
    bob = copy_modules(KIT / "samples" / "partial", tmp_path / "bob")
    hal = copy_modules(KIT / "solutions", tmp_path / "hal")
    with (hal / "losses.py").open("a") as module:
        module.write(HANG)
    fresh = tmp_path / "fresh.json"  # bob graded by a fresh process, as a Dask worker does
    subprocess.run(
        [sys.executable, "-m", "descent.commands.child", "--parent", str(os.getpid())]
        + ["--cpu", "-", "--", *_argv(bob, fresh)],
        cwd=KIT,
        env=env(),
        check=True,
        capture_output=True,
    )
    assert any(t[1] == "failed" for t in _summary(fresh))
    parent = WarmParent(str(KIT), runner.grading_folder(), runner.grading_env)
    try:

        def grade(sub, name: str, call_timeout: str = "10", limit: float | None = 300):
            results = tmp_path / f"{name}.json"
            log = tmp_path / f"{name}.log"
            pid = parent.start(
                _argv(sub, results, call_timeout), str(KIT), runner.grading_env(tmp_path), log, None
            )
            return pid, parent.wait(limit), results, log

        pid_b, code, first, _ = grade(bob, "first")
        assert code == 0 and _summary(first) == _summary(fresh)
        pid_a, code, solved, _ = grade(ada, "solved")
        assert code == 0 and pid_a != pid_b
        assert {t[1] for t in _summary(solved)} == {"passed"}
        # hal's mse never returns and its call may take 120 s: killed as a time-out would be
        pid_h, code, _, _ = grade(hal, "hung", call_timeout="120", limit=5)
        assert code is None
        os.killpg(pid_h, signal.SIGKILL)
        assert parent.wait(None) == -signal.SIGKILL
        _, code, again, _ = grade(bob, "again")
        assert code == 0 and _summary(again) == _summary(fresh)
        _, code, _, log = grade(tmp_path / "missing", "missing")
        assert code == 4 and "no such folder" in log.read_text()  # pytest's usage error
    finally:
        parent.close()
    assert not parent.alive() and not parent.folder.exists()


LOADED = """
import json, sys
from pathlib import Path

def kit():  # the modules of the kit loaded in this process, its virtualenv's left out
    root = Path.cwd().resolve()
    files = {n: Path(getattr(m, "__file__", None) or "/").resolve() for n, m in sys.modules.items()}
    return sorted(n for n, f in files.items()
                  if f.is_relative_to(root) and "site-packages" not in f.parts)

if sys.argv[1] == "warm":
    from descent.commands import warm
    warm.warm_up()
    warm.prime()
else:
    from descent.commands import main
    main(sys.argv[2:])
print(json.dumps(kit()))
"""


def test_the_warm_parent_loads_no_module_of_the_kit_that_a_grading_never_loads(tmp_path):
    """Every grading forked from the warm parent inherits what it imported: a module of the kit
    that a grading never loads would be work for nothing, and whatever its import does would
    reach every grading. (Which of them a grading loads first no longer matters: the grading
    plugin empties hypothesis's pool of constants read from loaded modules.)"""
    bob = copy_modules(KIT / "samples" / "partial", tmp_path / "bob")
    argv = ["grade", str(bob), "--results", str(tmp_path / "r.json"), "-k", "mse"]

    def modules(*mode: str) -> set[str]:
        run = subprocess.run(
            [sys.executable, "-c", LOADED, *mode],
            cwd=KIT,
            env=env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return set(json.loads(run.stdout.strip().splitlines()[-1]))

    warm, fresh = modules("warm"), modules("fresh", *argv)
    assert "descent.grading.plugin" in warm and "descent.grading.strategies" in fresh
    assert warm - fresh <= {"descent.commands.warm", "descent.commands.child"}


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _fork_servers(parent_pid: int) -> list[int]:
    """The fork servers a warm parent started (its children running the server's module)."""
    found = []
    for pid in _children(parent_pid):
        try:
            if b"descent.isolation.server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


def _renice_servers(done: threading.Event, times: int, reniced: list[int]) -> None:
    """Renice, from outside, each fork server a warm parent of this process starts (the first
    ``times`` of them), as a worker of a submission did before its seccomp filter refused it:
    while a grading uses it (it has forked a worker), long after it started."""
    while not done.is_set() and len(reniced) < times:
        for parent in list(warm_parent._ALL):
            for pid in _fork_servers(parent.proc.pid):
                if pid not in reniced and _children(pid):
                    nice = os.getpriority(os.PRIO_PROCESS, pid)
                    os.setpriority(os.PRIO_PROCESS, pid, min(19, nice + 3))
                    reniced.append(pid)
        time.sleep(0.02)


def _grade_while_renicing(sub: Path, times: int) -> tuple[runner.Outcome, list[int]]:
    selection = "test_losses and mse"
    request = runner.Request(
        "ada",
        str(sub),
        str(KIT),
        grader_version(KIT, selection=selection, device="cpu"),
        timeout_s=300,
        selection=selection,
        warm=True,
    )
    done, reniced = threading.Event(), []
    spy = threading.Thread(target=_renice_servers, args=(done, times, reniced))
    spy.start()
    try:
        with futures.ThreadPoolExecutor(1) as pool:  # a thread of its own, as a batch's job
            outcome = pool.submit(runner.grade_submission, request).result()
    finally:
        done.set()
        spy.join()
        warm_parent.close_all()
    return outcome, reniced


def test_a_grading_whose_fork_server_was_changed_is_graded_again_on_a_fresh_one(tmp_path):
    """Before each lending the warm parent compares its fork server's limits, nice value,
    scheduling and I/O class with those it started with: a grading that ran on a server found
    changed is not recorded but graded again on a fresh server, and never recorded when that
    happens every time."""
    ada = copy_modules(KIT / "solutions", tmp_path / "ada")
    outcome, reniced = _grade_while_renicing(ada, times=1)
    assert outcome.status == runner.GRADED, outcome
    block = outcome.results["implementations"][0]
    assert block["points"] == block["max_points"] > 0
    assert len(reniced) == 1 and not Path(f"/proc/{reniced[0]}").exists()  # not lent again

    outcome, reniced = _grade_while_renicing(ada, times=runner.ATTEMPTS)
    assert outcome.status == runner.FAILED and outcome.results is None, outcome
    assert "not recorded" in outcome.message and "nice " in outcome.message, outcome
    assert len(reniced) == runner.ATTEMPTS
