"""The student's loop never hangs and never reports a false pass: an infinite loop costs one time
limit and is named, and a run stopped with Ctrl-C counts nothing that was cut short as passed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import KIT
from descent import timelimit
from descent.bundle import build_student_bundle
from descent.isolation import confinement

def _with_loop(folder: Path, module: str, header: str) -> None:
    """Put an infinite loop at the top of the function whose ``def`` line is ``header``."""
    path = folder / f"{module}.py"
    text = path.read_text()
    assert header in text, header
    body = " " * (len(header) - len(header.lstrip()) + 4)
    loop = f"{body}while True:  # the student's bug\n{body}    pass\n"
    path.write_text(text.replace(header, header + loop, 1))


@pytest.fixture(scope="module")
def looping_bundle(tmp_path_factory):
    """A student bundle whose starter is the solutions, with `step_lr` looping forever."""
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp("loop") / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    _with_loop(bundle / "starter", "schedules", "def step_lr(step, base_lr, step_size, gamma=0.1):\n")
    return bundle


def _pytest(bundle: Path, *args: str, **kw) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                            cwd=bundle, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, **kw)


def test_an_infinite_loop_costs_one_time_limit_and_is_named(looping_bundle):
    started = time.monotonic()
    out, _ = _pytest(looping_bundle).communicate(timeout=300)
    elapsed = time.monotonic() - started
    assert elapsed < 2 * timelimit.CALL_TIMEOUT_S + 30, out[-2000:]
    assert f"`step_lr` did not return within {timelimit.CALL_TIMEOUT_S:g} s" in out
    doc = json.loads((looping_bundle / ".descent" / "results.json").read_text())
    exercises = {e["id"]: e for e in doc["implementations"][0]["exercises"]}
    assert exercises["schedules.step_lr"]["points"] == 0
    assert exercises["schedules.cosine_lr"]["status"] == "passed"   # the others go on
    assert doc["interrupted"] is False


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32",
                    reason="needs POSIX signals")
def test_ctrl_c_never_counts_the_interrupted_test_as_passed(looping_bundle):
    proc = _pytest(looping_bundle, "exercises/test_schedules.py", "-k", "StepLR",
                   start_new_session=True)
    time.sleep(min(timelimit.CALL_TIMEOUT_S / 2, 5) + 2)   # inside the loop, before its limit
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    doc = json.loads((looping_bundle / ".descent" / "results.json").read_text())
    assert doc["interrupted"] is True, out[-2000:]
    step_lr = [t for t in doc["tests"] if t["exercise"] == "schedules.step_lr"]
    assert step_lr and not any(t["outcome"] == "passed" for t in step_lr), step_lr
    assert any("interrupted" in t["message"] for t in step_lr)
    assert doc["implementations"][0]["points"] == 0


@pytest.mark.skipif(not (confinement.landlock_abi() and confinement.seccomp_available()),
                    reason="no confinement on this machine")
def test_a_hidden_grade_of_a_looping_backward_costs_one_limit(tmp_path):
    submission = tmp_path / "alice"
    shutil.copytree(KIT / "solutions", submission)
    _with_loop(submission, "autograd", "    def backward(self):\n")
    limit = 2.0
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "graders/test_autograd.py", "-q", "-p", "no:cacheprovider",
         f"--impl={submission}", f"--call-timeout={limit}", f"--results={tmp_path / 'r.json'}"],
        cwd=KIT, capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.monotonic() - started
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["environment"]["isolation"] == "worker", proc.stdout[-2000:]
    tests = doc["tests"]
    assert tests and all(t["points"] == 0 for t in tests)
    assert sum("not called again" in t["message"] for t in tests) >= len(tests) - 2
    # one batch limit (3x the call limit), plus the run itself
    assert elapsed < 4 * timelimit.BATCH_FACTOR * limit + 30, elapsed
