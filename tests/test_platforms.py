"""The student's loop on Windows and macOS, and what a grading says where it needs Linux
(``descent.platforms``).

Windows and macOS are simulated on this Linux machine (tests/simulated_platforms.py): their
Python's missing modules, calls and signals are taken away in every process a test starts. Under
each, a fresh bundle's ``pytest exercises/`` grades the stubs without crashing, stops an infinite
loop by its time limit and names it, and gives the same table as on Linux; Ctrl-C counts nothing
cut short as passed; ``descent grade`` of a submission says that it needs Linux, and grades one's
own code in-process with ``--insecure``.
"""

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
from simulated_platforms import env

from descent import platforms
from descent.authoring.bundle import build_student_bundle
from descent.calls import timelimit
from descent.grading import plugin_workers
from descent.options import AUTO, NONE, WORKER

SYSTEMS = ["windows", "macos"]


# -- what a system can run (in this process) ---------------------------------------------------


def test_this_linux_machine_can_run_workers():
    if sys.platform != "linux":
        pytest.skip("the kit's own machines are Linux")
    assert platforms.workers_missing() is None


def test_what_a_system_lacks_for_a_worker_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "fcntl", None)
    monkeypatch.delattr(os, "fork")
    assert platforms.workers_missing() == "fcntl, os.fork"
    monkeypatch.undo()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert platforms.workers_missing() == "Landlock, seccomp"


def test_insecure_grades_in_process_only_where_no_worker_can_start(monkeypatch):
    assert platforms.isolation_mode(AUTO, True) == AUTO  # Linux: an unconfined worker
    monkeypatch.setattr(sys, "platform", "win32")
    assert platforms.isolation_mode(AUTO, True) == NONE
    assert platforms.isolation_mode(AUTO, False) == AUTO  # refused, below
    assert platforms.isolation_mode(WORKER, True) == WORKER  # asked for: refused, below


def test_a_grading_that_needs_a_worker_says_it_needs_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    why = plugin_workers.refusal(["submissions/alice"], AUTO, False)
    assert why is not None and "needs Linux (missing here: Landlock, seccomp)" in why
    assert "--insecure" in why and "WSL" in why
    assert plugin_workers.refusal(["submissions/alice"], WORKER, True) == why
    assert plugin_workers.refusal(["submissions/alice"], AUTO, True) is None  # in-process
    assert plugin_workers.refusal(["starter"], AUTO, False) is None  # the kit's own: in-process


# -- the student's loop, simulated ---------------------------------------------------------------


def _run(args: list[str], cwd: Path, system: str | None, tmp: Path, **kw) -> subprocess.Popen:
    environment = env(tmp / f"shim-{system}", system) if system else None
    if environment is None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def _results(bundle: Path) -> dict:
    return json.loads((bundle / ".descent" / "results.json").read_text())


def _table(doc: dict) -> dict[str, tuple]:
    return {
        e["id"]: (e["points"], e["status"], e.get("first_failure"))
        for e in doc["implementations"][0]["exercises"]
    }


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_simulation_takes_away_what_the_system_lacks(system, tmp_path):
    probe = (
        "import importlib.util, os, signal, sys; "
        "print(sys.platform, importlib.util.find_spec('fcntl') is None, hasattr(os, 'fork'), "
        "hasattr(signal, 'setitimer'), __import__('multiprocessing').get_start_method())"
    )
    out, _ = _run(["-c", probe], tmp_path, system, tmp_path).communicate(timeout=120)
    expected = {"windows": "linux True False False spawn", "macos": "darwin False True True spawn"}
    assert out.strip().splitlines()[-1] == expected[system], out


@pytest.fixture(scope="module")
def stub_bundle(tmp_path_factory) -> Path:
    return build_student_bundle(KIT, tmp_path_factory.mktemp("stubs") / "student")


@pytest.mark.parametrize(
    "system, command",
    [("windows", "pytest"), ("windows", "check"), ("macos", "pytest")],
)
def test_a_fresh_bundle_grades_its_stubs(stub_bundle, system, command, tmp_path):
    args = ["-m", "pytest", "exercises/"] if command == "pytest" else ["-m", "descent", "check"]
    proc = _run(args, stub_bundle, system, tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "INTERNALERROR" not in out and "Traceback" not in out, out
    assert "\\u2500" not in out and "\\n" not in out  # a table, not pytest's escapes of one
    if command == "pytest":
        lines = out.replace("|", " ").splitlines()
        assert any(line.split()[:2] == ["total", "0/700"] for line in lines), out
    table = _table(_results(stub_bundle))
    assert len(table) > 60 and {s for _, s, _ in table.values()} == {"not_implemented"}
    if command == "check":
        assert "next: basics." in out  # the progress table, as on Linux


def test_a_message_a_windows_log_cannot_write_is_shown_not_a_crash(stub_bundle, tmp_path):
    bundle = tmp_path / "student"
    shutil.copytree(stub_bundle, bundle, ignore=shutil.ignore_patterns(".descent"))
    basics = bundle / "starter" / "basics.py"
    stub = 'raise NotImplementedError("basics.gradient_descent_1d'
    basics.write_text(basics.read_text().replace(stub, 'raise ValueError("σ ≤ 0"); ' + stub, 1))
    proc = _run(["-m", "descent", "check"], bundle, "windows", tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "Traceback" not in out, out
    assert "ValueError" in out and "? ? 0" in out  # what cp1252 lacks, replaced


def _loop(folder: Path, module: str, header: str) -> None:
    path = folder / f"{module}.py"
    text = path.read_text()
    assert header in text, header
    path.write_text(
        text.replace(header, header + "    while True:  # the student's bug\n        pass\n", 1)
    )


@pytest.fixture(scope="module")
def looping_bundle(tmp_path_factory) -> Path:
    """The solutions as a student's finished set, but for a loop in `step_lr` and one at the top
    of clipping.py."""
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp("loops") / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    _loop(bundle / "starter", "schedules", "def step_lr(step, base_lr, step_size, gamma=0.1):\n")
    clipping = bundle / "starter" / "clipping.py"
    clipping.write_text("while True:  # at import\n    pass\n" + clipping.read_text())
    return bundle


@pytest.fixture(scope="module")
def looping_tables(looping_bundle, tmp_path_factory) -> dict:
    """Linux's, Windows' and macOS's run of the looping bundle: its table and output."""
    tables = {}
    for system in [None, *SYSTEMS]:
        tmp = tmp_path_factory.mktemp(f"run-{system}")
        proc = _run(["-m", "pytest", "exercises/", "--call-timeout=1"], looping_bundle, system, tmp)
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 1, out[-3000:]
        tables[system or "linux"] = (_table(_results(looping_bundle)), out)
    return tables


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_infinite_loop_is_stopped_and_named(looping_tables, system):
    table, out = looping_tables[system]
    assert "INTERNALERROR" not in out
    points, status, message = table["schedules.step_lr"]
    assert points == 0 and "`step_lr` did not return within 1 s" in message
    points, status, message = table["clipping.clip_grad_norm"]
    assert points == 0 and "clipping.py could not be imported" in message
    assert "(clipping.py line 1)" in message
    assert table["schedules.cosine_lr"][:2] == (10, "passed")  # the others go on


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_table_points_and_messages_are_the_same_as_on_linux(looping_tables, system):
    assert looping_tables[system][0] == looping_tables["linux"][0]


def test_a_long_sleep_at_import_costs_one_ceiling_on_windows(tmp_path_factory, tmp_path):
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp("sleep") / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    activations = bundle / "starter" / "activations.py"
    activations.write_text("import time\ntime.sleep(600)\n" + activations.read_text())
    limit = 0.5  # a sleep waits out the wall-clock ceiling: WALL_FACTOR times the limit
    started = time.monotonic()
    args = ["-m", "pytest", "exercises/test_activations.py", f"--call-timeout={limit}"]
    out, _ = _run(args, bundle, "windows", tmp_path).communicate(timeout=300)
    elapsed = time.monotonic() - started
    messages = [t["message"] for t in _results(bundle)["tests"]]
    assert messages and all("activations.py could not be imported" in m for m in messages), out
    assert f"did not finish within {limit * timelimit.WALL_FACTOR:g} s" in messages[0]
    assert elapsed < limit * timelimit.WALL_FACTOR + 60, elapsed


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="presses Ctrl-C with a POSIX signal")
def test_ctrl_c_on_windows_never_counts_the_interrupted_test_as_passed(tmp_path_factory, tmp_path):
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp("ctrl-c") / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    entered = bundle / "in-the-loop"
    header = "def step_lr(step, base_lr, step_size, gamma=0.1):\n"
    _loop(bundle / "starter", "schedules", header)
    schedules = bundle / "starter" / "schedules.py"  # the loop, once it has made this file
    schedules.write_text(
        schedules.read_text().replace(header, header + f"    open({str(entered)!r}, 'w')\n", 1)
    )
    args = ["-m", "pytest", "exercises/test_schedules.py", "-k", "StepLR"]
    proc = _run(
        args,
        bundle,
        "windows",
        tmp_path,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not entered.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entered.exists(), "the looping step_lr was never called"
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    doc = _results(bundle)
    assert doc["interrupted"] is True, out[-2000:]
    step_lr = [t for t in doc["tests"] if t["exercise"] == "schedules.step_lr"]
    assert step_lr and not any(t["outcome"] == "passed" for t in step_lr), step_lr
    assert doc["implementations"][0]["points"] == 0


@pytest.mark.parametrize("system", SYSTEMS)
def test_grading_a_submission_needs_linux_or_insecure(system, tmp_path):
    submission = tmp_path / "alice"
    shutil.copytree(KIT / "solutions", submission)
    grade = ["-m", "descent", "grade", str(submission), "-k", "mse", "--results"]
    proc = _run([*grade, str(tmp_path / "refused.json")], tmp_path, system, tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 2 and "needs Linux" in " ".join(out.split()), out
    assert "Traceback" not in out
    results = tmp_path / "own.json"
    proc = _run([*grade, str(results), "--insecure"], tmp_path, system, tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    doc = json.loads(results.read_text())
    assert doc["environment"]["isolation"] == "in-process"
    assert {e["status"] for e in doc["implementations"][0]["exercises"]} == {"passed"}


def test_an_import_error_is_read_as_a_missing_posix_module_only_when_it_is_one():
    assert platforms.posix_module_missing(ModuleNotFoundError("x", name="fcntl")) == "fcntl"
    assert platforms.posix_module_missing(ModuleNotFoundError("x", name="nbgrader")) is None


def test_an_instructors_verb_on_windows_says_it_needs_linux(tmp_path):
    out, _ = _run(["-m", "descent", "--help"], tmp_path, "windows", tmp_path).communicate(
        timeout=120
    )
    assert "Traceback" not in out and "needs Linux (this system has no fcntl)" in out, out
    for verb in ("batch", "similarity"):  # refused as its module loads, or as it runs
        proc = _run(["-m", "descent", verb, "subs", "--out", "g"], tmp_path, "windows", tmp_path)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 2 and "Traceback" not in out, out
        assert f"descent {verb} runs on Linux (this system has no fcntl)" in " ".join(out.split())
