"""The student's loop never hangs and never reports a false pass: an infinite loop costs one time
limit and is named, and a run stopped with Ctrl-C counts nothing that was cut short as passed."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import KIT, Run, grade, kit_package

from descent.authoring.bundle import build_student_bundle
from descent.calls import timelimit
from descent.isolation import confinement


def _with_loop(folder: Path, module: str, header: str, marker: Path | None = None) -> None:
    """Put an infinite loop at the top of the function whose ``def`` line is ``header``; with
    ``marker``, the function first creates that file, so a test can wait until the loop runs."""
    path = folder / f"{module}.py"
    text = path.read_text()
    assert header in text, header
    body = " " * (len(header) - len(header.lstrip()) + 4)
    loop = f"{body}while True:  # the student's bug\n{body}    pass\n"
    if marker is not None:
        loop = f"{body}open({str(marker)!r}, 'w').close()\n" + loop
    path.write_text(text.replace(header, header + loop, 1))


@pytest.fixture(scope="module")
def looping_bundle(tmp_path_factory):
    """A student bundle whose starter is the solutions, with `step_lr` looping forever."""
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp("loop") / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    _with_loop(
        bundle / "starter",
        "schedules",
        "def step_lr(step, base_lr, step_size, gamma=0.1):\n",
        marker=bundle / "in-the-loop",
    )
    return bundle


def _hear_ctrl_c() -> None:
    """In the child: take Ctrl-C again where the suite was started with it ignored (a
    shell's background job), so the tests that press it see what a student would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _pytest(bundle: Path, *args: str, **kw) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=bundle,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=_hear_ctrl_c,
        **kw,
    )


def test_an_infinite_loop_costs_one_time_limit_and_is_named(looping_bundle):
    # what is under test is that the loop costs one limit and its retry, whatever the limit: a
    # 2 s limit costs the suite 4 CPU-s where the default (10 s) would cost 20
    limit = 2
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, _ = _pytest(looping_bundle, f"--call-timeout={limit}").communicate(timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # its CPU time, whatever the machine's load: the loop's limit and its one retry
    # (descent.calls.timelimit), not one limit per test that calls it
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu < 2 * limit + 30, out[-2000:]
    # the table wraps long messages to the terminal's width: the name starts its cell
    assert "`step_lr` did not return" in out
    doc = json.loads((looping_bundle / ".descent" / "results.json").read_text())
    exercises = {e["id"]: e for e in doc["implementations"][0]["exercises"]}
    assert exercises["schedules.step_lr"]["points"] == 0
    assert (
        f"`step_lr` did not return within {limit:g} s"
        in exercises["schedules.step_lr"]["first_failure"]
    )
    assert exercises["schedules.cosine_lr"]["status"] == "passed"  # the others go on
    assert doc["interrupted"] is False


@pytest.mark.skipif(
    not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="needs POSIX signals"
)
def test_ctrl_c_never_counts_the_interrupted_test_as_passed(looping_bundle):
    entered = looping_bundle / "in-the-loop"
    entered.unlink(missing_ok=True)  # an earlier test's run may have made it
    proc = _pytest(
        looping_bundle, "exercises/test_schedules.py", "-k", "StepLR", start_new_session=True
    )
    # press Ctrl-C inside the loop, before its limit: wait for the loop itself, not a fixed time
    # (a loaded machine can take longer than the limit just to import torch)
    deadline = time.monotonic() + 120
    while not entered.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entered.exists(), "the looping step_lr was never called"
    time.sleep(min(timelimit.CALL_TIMEOUT_S / 4, 1))
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    doc = json.loads((looping_bundle / ".descent" / "results.json").read_text())
    assert doc["interrupted"] is True, out[-2000:]
    step_lr = [t for t in doc["tests"] if t["exercise"] == "schedules.step_lr"]
    assert step_lr and not any(t["outcome"] == "passed" for t in step_lr), step_lr
    assert any("interrupted" in t["message"] for t in step_lr)
    assert doc["implementations"][0]["points"] == 0


@pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)
def test_a_hidden_grade_of_a_looping_backward_costs_one_limit(tmp_path):
    submission = tmp_path / "alice"
    shutil.copytree(KIT / "solutions", submission)
    _with_loop(submission, "autograd", "    def backward(self):\n")
    limit = 2.0
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "graders/test_autograd.py",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--impl={submission}",
            f"--call-timeout={limit}",
            f"--results={tmp_path / 'r.json'}",
        ],
        cwd=KIT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["environment"]["isolation"] == "worker", proc.stdout[-2000:]
    tests = doc["tests"]
    assert tests and all(t["points"] == 0 for t in tests)
    assert sum("not called again" in t["message"] for t in tests) >= len(tests) - 2
    # one batch limit (3x the call limit), plus the run itself
    assert elapsed < 4 * timelimit.BATCH_FACTOR * limit + 30, elapsed


def test_a_hidden_grade_names_the_module_whose_import_did_not_return(tmp_path):
    """train.py imports schedules.py, which loops at import: the capstone's failures name
    schedules.py (not "`import train.py` did not return"), and the loop costs one limit."""
    submission = tmp_path / "carol"
    shutil.copytree(KIT / "solutions", submission)
    _prepend(submission / "schedules.py", "while True:  # the student's bug\n    pass\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "graders/test_train.py",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--impl={submission}",
            "--call-timeout=2",
            "--insecure",
            f"--results={tmp_path / 'r.json'}",
        ],
        cwd=KIT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["environment"]["isolation"] == "worker", proc.stdout[-2000:]
    failed = [t for t in doc["tests"] if t["outcome"] != "passed"]
    assert failed and all("schedules.py" in t["message"] for t in failed), [
        t["message"] for t in failed
    ]
    assert not any("import train.py" in t["message"] for t in failed)


@pytest.fixture(scope="module")
def clipping_mistake_bundle(tmp_path_factory):
    """A bundle whose starter is the solutions but clips each tensor by its own norm."""
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp("mistake") / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    path = bundle / "starter" / "clipping.py"
    right = "    return [g * scale for g in grads], total\n"
    wrong = (
        "    return [g * torch.clamp(max_norm / (g.norm() + eps), max=1.0) for g in grads], total\n"
    )
    assert right in path.read_text()
    path.write_text(path.read_text().replace(right, wrong))
    return bundle


def test_the_table_comes_last_with_the_hint_under_the_exercise(clipping_mistake_bundle):
    out, _ = _pytest(clipping_mistake_bundle).communicate(timeout=300)
    lines = out.rstrip().splitlines()
    grades = next(i for i, line in enumerate(lines) if "grades" in line and "=" in line)
    assert "short test summary info" not in out and "FAILURES" not in out
    assert all("total" not in line for line in lines[:grades])
    assert "results written to" in lines[-2] and "failed" in lines[-1]  # then pytest's count
    row = next(i for i, line in enumerate(lines) if "clipping.clip_grad_norm" in line)
    below = " ".join(" ".join(lines[row : row + 10]).split())  # the column wraps
    assert "partial" in lines[row] and "hint: measure one norm over all the tensors" in below


def test_descent_check_in_the_bundle_shows_progress(clipping_mistake_bundle):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(clipping_mistake_bundle / "src")
    proc = subprocess.run(
        [sys.executable, "-m", "descent", "check"],
        cwd=clipping_mistake_bundle,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "progress: starter" in proc.stdout and "clipping" in proc.stdout
    assert "next: clipping.clip_grad_norm" in proc.stdout


def test_selecting_an_exercise_scores_it_as_a_full_run_does(tmp_path):
    def points(*select: str) -> float:
        results = tmp_path / f"r{len(select)}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "graders/test_losses.py",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--impl={KIT / 'samples' / 'partial'}",
                "--isolation=none",
                "--insecure",
                f"--results={results}",
                "--no-grade-summary",
                *select,
            ],
            cwd=KIT,
            capture_output=True,
            timeout=600,
        )
        doc = json.loads(results.read_text())
        return next(
            e["points"]
            for e in doc["implementations"][0]["exercises"]
            if e["id"] == "losses.cross_entropy"
        )

    full = points()
    assert 0 < full < 10
    assert points("-k", "cross_entropy") == full


def _public_results(submission: Path, tmp_path: Path, *args: str) -> dict:
    """The public tests run in-process on ``submission`` (as in the student's bundle); returns
    the results document."""
    results = tmp_path / "r.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *args,
            "-q",
            "-p",
            "no:cacheprovider",
            f"--impl={submission}",
            "--isolation=none",
            "--insecure",
            f"--results={results}",
        ],
        cwd=KIT,
        capture_output=True,
        timeout=300,
    )
    return json.loads(results.read_text())


def _slipped(tmp_path: Path, name: str, module: str, right: str, wrong: str) -> Path:
    """A copy of the solutions named ``name`` with ``right`` replaced by ``wrong`` in ``module``."""
    submission = tmp_path / name
    shutil.copytree(KIT / "solutions", submission)
    path = submission / f"{module}.py"
    assert right in path.read_text(), (module, right)
    path.write_text(path.read_text().replace(right, wrong))
    return submission


# Slips graded by the public tests in one run (``public_slips``): folder name -> (module, right,
# wrong, the exercise graded). Each folder is graded on its exercise alone, as ``-k`` would.
PUBLIC_SLIPS = {
    "bob": ("losses", "def mse_forward(pred, target):", "def mse_forward(pred):", "losses.mse"),
    "carol": (
        "activations",
        "    return y, (y, dim)\n",
        "    y = torch.softmax(x, dim=dim)\n    return y, (y, dim)\n",
        "activations.softmax",
    ),
    "hal": (
        "losses",
        "    return diff.abs().mean(), (diff,)",
        "    return diff.abs().mean()",
        "losses.mae",
    ),
}


@pytest.fixture(scope="module")
def public_slips(tmp_path_factory) -> Run:
    """The public tests over every slip of PUBLIC_SLIPS and FORWARD_SLIPS, in-process, in one
    run (one start-up of pytest and torch instead of one a slip)."""
    tmp = tmp_path_factory.mktemp("public-slips")
    slips = {
        **PUBLIC_SLIPS,
        **{f"gus-{e.split('.')[1]}": (*s, e) for e, s in FORWARD_SLIPS.items()},
    }
    folders = [_slipped(tmp, name, *slip[:3]) for name, slip in slips.items()]
    suites = sorted({f"exercises/test_{module}.py" for module, *_ in slips.values()})
    own = {name: [slip[3]] for name, slip in slips.items()}
    return grade(tmp, suites, [str(f) for f in folders], "--isolation=none", "--insecure", own=own)


def _exercise(run: Run, name: str, exercise: str) -> dict:
    return next(e for e in run.block(name)["exercises"] if e["id"] == exercise)


def test_a_wrong_signature_is_named_as_such(public_slips):
    first = _exercise(public_slips, "bob", "losses.mse")["first_failure"]
    assert first.startswith("calling your `mse_forward` failed"), first


def _solutions_bundle(tmp_path_factory, name: str) -> Path:
    bundle = build_student_bundle(KIT, tmp_path_factory.mktemp(name) / "student")
    shutil.rmtree(bundle / "starter")
    shutil.copytree(KIT / "solutions", bundle / "starter")
    return bundle


def _prepend(path: Path, code: str) -> None:
    path.write_text(code + path.read_text())


def test_a_module_that_hangs_at_import_is_not_imported_again(tmp_path_factory):
    bundle = _solutions_bundle(tmp_path_factory, "hang")
    _prepend(bundle / "starter" / "schedules.py", "while True:  # the student's bug\n    pass\n")
    started = time.monotonic()
    out, _ = _pytest(bundle, "exercises/test_schedules.py", "--call-timeout=1").communicate(
        timeout=300
    )
    elapsed = time.monotonic() - started
    doc = json.loads((bundle / ".descent" / "results.json").read_text())
    messages = [t["message"] for t in doc["tests"]]
    assert len(messages) > 5 and all("schedules.py could not be imported" in m for m in messages), (
        out[-2000:]
    )
    assert sum("not imported again" in m for m in messages) == len(messages) - 1
    assert "the import did not finish within 1 s" in messages[0]  # the call limit, once
    assert elapsed < 1 + 30, elapsed


@pytest.mark.parametrize("first", ["activations", "layers"])
def test_a_hanging_import_is_tried_once_even_through_another_module(tmp_path_factory, first):
    """activations.py sleeps at its top level and layers.py imports it: whichever is imported
    first, activations.py is executed once, within one call limit, and layers.py is reported
    as failing because of it, with no second wait."""
    bundle = _solutions_bundle(tmp_path_factory, f"hang-{first}")
    attempts = bundle / "attempts.txt"
    _prepend(
        bundle / "starter" / "activations.py",
        f"import time\nopen({str(attempts)!r}, 'a').write('.')\ntime.sleep(600)\n",
    )
    files = ["exercises/test_activations.py", "exercises/test_layers.py"]
    limit = 1  # a sleep waits out the limit's wall-clock ceiling: WALL_FACTOR times the limit
    started = time.monotonic()
    out, _ = _pytest(
        bundle, *(files if first == "activations" else files[::-1]), f"--call-timeout={limit}"
    ).communicate(timeout=300)
    elapsed = time.monotonic() - started
    assert attempts.read_text() == ".", out[-2000:]  # one import attempt in the whole run
    doc = json.loads((bundle / ".descent" / "results.json").read_text())
    by_module: dict[str, list[str]] = {}
    for t in doc["tests"]:
        by_module.setdefault(t["exercise"].split(".")[0], []).append(t["message"])
    assert all(
        m.startswith("activations.py could not be imported") for m in by_module["activations"]
    )
    assert all(
        m.startswith("layers.py could not be imported: importing activations.py failed")
        for m in by_module["layers"]
    ), by_module["layers"][:2]
    everything = " ".join(by_module["activations"] + by_module["layers"])
    # a sleep is waiting, not work: it runs to the limit's wall-clock ceiling
    assert f"the import did not finish within {limit * timelimit.WALL_FACTOR} s" in everything
    assert "(activations.py line 3)" in everything  # the sleep's line, in the file that has it
    assert elapsed < limit * timelimit.WALL_FACTOR + 30, elapsed


def test_a_syntax_error_is_reported_in_its_own_file(tmp_path_factory):
    bundle = _solutions_bundle(tmp_path_factory, "syntax")
    path = bundle / "starter" / "losses.py"
    lines = path.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines) if text.startswith("def mse_forward")) + 1
    lines[line - 1] = "def mse_forward(pred, target:\n"
    path.write_text("".join(lines))
    _pytest(bundle, "exercises/test_losses.py", "exercises/test_layers.py").communicate(timeout=300)
    doc = json.loads((bundle / ".descent" / "results.json").read_text())
    messages = {t["exercise"].split(".")[0]: t["message"] for t in doc["tests"]}
    assert messages["losses"].startswith(
        f"losses.py could not be imported: SyntaxError at line {line}"
    )
    assert messages["layers"].startswith(
        f"layers.py could not be imported: importing losses.py failed: SyntaxError at line {line}"
    ), messages["layers"]


def test_os_exit_at_import_cannot_end_the_run_silently(tmp_path_factory):
    bundle = _solutions_bundle(tmp_path_factory, "exit")
    results = bundle / ".descent" / "results.json"
    results.parent.mkdir()
    results.write_text('{"stale": true}')  # a previous run's file must not survive
    _prepend(bundle / "starter" / "clipping.py", "import os\nos._exit(0)\n")
    proc = _pytest(bundle, "exercises/test_clipping.py", "exercises/test_schedules.py")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1, out[-2000:]
    doc = json.loads(results.read_text())
    clipping = [t for t in doc["tests"] if t["exercise"].startswith("clipping.")]
    assert clipping and all(
        "clipping.py could not be imported: os._exit(0) was called" in t["message"]
        for t in clipping
    )
    assert "(clipping.py line 2)" in clipping[0]["message"]
    assert all(
        t["outcome"] == "passed" for t in doc["tests"] if t["exercise"].startswith("schedules.")
    )


def test_a_borrowed_library_call_is_named_in_the_public_run(public_slips):
    """The student's own run applies the instructor's library-use rules: the call and its line."""
    _, right, wrong, _ = PUBLIC_SLIPS["carol"]
    text = (KIT / "solutions" / "activations.py").read_text().replace(right, wrong)
    line = text.splitlines().index("    y = torch.softmax(x, dim=dim)") + 1
    softmax = _exercise(public_slips, "carol", "activations.softmax")
    assert softmax["points"] == 0
    assert f"torch.softmax (activations.py line {line})" in softmax["first_failure"]


def test_descent_grade_exits_non_zero_when_points_are_lost():
    from descent.commands.grade import grade_exit_code

    full = {"implementations": [{"points": 10.0, "max_points": 10.0}]}
    flagged = {
        "implementations": [
            {"points": 10.0, "max_points": 10.0},
            {"points": 0.0, "max_points": 10.0},
        ]
    }
    assert grade_exit_code(0, full) == 0
    assert grade_exit_code(0, flagged) == 1  # pytest passed, a flag took the points after
    assert grade_exit_code(2, full) == 2


# Classic mistakes written as a student would, in a copy of the solutions (module, right, wrong).
CLASSIC_SLIPS = [
    (
        "optim",
        "    bias1 = 1 - beta1 ** t\n    bias2 = 1 - beta2 ** t\n",
        "    bias1 = 1.0\n    bias2 = 1.0\n",
    ),
    (
        "schedules",
        "base_lr * gamma ** (step // step_size)",
        "base_lr * gamma ** ((step + 1) // step_size)",
    ),
    (
        "init",
        'fan = fan_in if mode == "fan_in" else fan_out',
        'fan = fan_out if mode == "fan_in" else fan_in',
    ),
    (
        "normalization",
        "        new_mean = (1 - momentum) * running_mean + momentum * mu\n",
        "        new_mean = running_mean.mul_(1 - momentum).add_(momentum * mu)\n",
    ),
]


def test_public_feedback_names_the_mistake_as_the_bundle_runs_it(tmp_path):
    """Without the catalogue (the bundle has none), the public tests still name the classic
    mistakes, and no hint written for another mistake is shown."""
    submission = tmp_path / "dana"
    shutil.copytree(KIT / "solutions", submission)
    for module, right, wrong in CLASSIC_SLIPS:
        path = submission / f"{module}.py"
        assert right in path.read_text(), (module, right)
        path.write_text(path.read_text().replace(right, wrong))
    empty = tmp_path / "no-catalogue"
    empty.mkdir()
    doc = _public_results(
        submission,
        tmp_path,
        "exercises/test_optim.py",
        "exercises/test_schedules.py",
        "exercises/test_init.py",
        "exercises/test_normalization.py",
        f"--catalogue={empty}",
        "-k",
        "adam or step_lr or kaiming or batchnorm",
    )
    failed = {}
    for t in doc["tests"]:
        if t["outcome"] != "passed":
            failed.setdefault(t["exercise"], []).append(t)
    named = {ex: {t["misconception"] for t in tests} for ex, tests in failed.items()}
    assert "adam_no_bias_correction" in named["optim.adam"]
    assert "step_lr_early_drop" in named["schedules.step_lr"]
    # named where the checks tell it apart; the mode='fan_out' check names nothing (a mode
    # ignored gives the same numbers there) and no other cause is named
    assert "he_uses_fan_out" in named["init.kaiming"], failed["init.kaiming"]
    assert named["init.kaiming"] <= {"he_uses_fan_out", None}, failed["init.kaiming"]
    messages = {ex: " ".join(t["message"] for t in tests) for ex, tests in failed.items()}
    assert "calculate_gain" not in messages["init.kaiming"]  # the gain is right
    assert messages["normalization.batchnorm"].startswith("[arguments unchanged]")
    assert "unbiased" not in messages["normalization.batchnorm"]  # the variance is right


@pytest.mark.skipif(
    not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="needs POSIX signals"
)
def test_ctrl_c_during_collection_is_one_line(tmp_path):
    marker = tmp_path / "collecting"
    (tmp_path / "test_slow_import.py").write_text(
        f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(120)\n\n"
        f"def test_never_runs():\n    pass\n"
    )
    proc = _pytest(tmp_path, "test_slow_import.py", "-q", start_new_session=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out  # pytest's status for an interrupted run
    assert out.strip().splitlines() == [
        "interrupted (Ctrl-C) before any test ran: nothing was graded"
    ], out


def test_a_selection_of_supporting_checks_never_scores_lower(tmp_path):
    results = tmp_path / "r.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "exercises/test_losses.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "--impl=solutions",
            "-k",
            "gradcheck",
            f"--results={results}",
        ],
        cwd=KIT,
        capture_output=True,
        timeout=300,
    )
    doc = json.loads(results.read_text())
    block = doc["implementations"][0]
    assert block["exercises"] and all(
        e["status"] == "skipped"
        and e["max_points"] == 0
        and e["first_failure"].startswith("partial run: not scored")
        for e in block["exercises"]
    ), block["exercises"]
    assert block["points"] == block["max_points"] == 0


def test_a_float32_intermediate_is_caught_and_shown_in_enough_digits(tmp_path):
    """Class weights kept in float32 inside a float64 loss: the result is float64 (promotion)
    but wrong in the 8th digit; the public check fails, prints digits that differ, and says
    float32."""
    submission = _slipped(
        tmp_path, "erin", "losses", "else weight.to(logits.dtype)", "else weight.float()"
    )
    doc = _public_results(
        submission, tmp_path, "exercises/test_losses.py", "-k", "float64_all_the_way"
    )
    (test,) = doc["tests"]
    assert test["outcome"] == "failed", test
    expected, got = re.search(r"expected (\S+), got (\S+) ", test["message"]).groups()
    assert expected != got, test["message"]
    assert "float32" in test["message"]


def test_the_public_optimizer_runs_are_what_torch_optim_computes():
    """exercises/test_optim.py writes out torch.optim's parameters (building an optimizer there
    would cost every student run about a second): they must stay exactly what it computes."""
    with kit_package("exercises") as public:
        optim_tests = public("test_optim")
        assert len(optim_tests.TORCH_OPTIM) == 5
        for name, (cls_name, hp, expected) in optim_tests.TORCH_OPTIM.items():
            got = optim_tests.torch_optim_run(cls_name, hp, steps=len(expected))
            assert len(expected) == 5 and all(
                torch.allclose(g, e, rtol=1e-12, atol=0) for g, e in zip(got, expected)
            ), (name, got, expected)


def test_a_selection_never_scores_an_exercise_on_part_of_its_tests(tmp_path):
    """`-k relu` selects the relu exercises whole and one test of `Value` by its name: `Value`
    is reported as a partial run, not scored, instead of 10/10 for a class that a full run
    marks down."""
    submission = _slipped(
        tmp_path, "fay", "autograd", "(other, -q / other.data)", "(other, q / other.data)"
    )
    doc = _public_results(
        submission,
        tmp_path,
        "exercises/test_autograd.py",
        "exercises/test_activations.py",
        "-k",
        "relu",
    )
    exercises = {e["id"]: e for e in doc["implementations"][0]["exercises"]}
    value = exercises["autograd.value"]
    assert value["max_points"] == 0 and value["first_failure"].startswith(
        "partial run: not scored"
    ), value
    assert (
        exercises["activations.relu"]["points"] == exercises["activations.relu"]["max_points"] > 0
    )
    value_tests = [t for t in doc["tests"] if t["exercise"] == "autograd.value"]
    assert value_tests and not any(t["counted"] for t in value_tests)


# Forward mistakes with a right backward, written in a copy of the solutions (module, right,
# wrong): the value check fails and so does the gradient check of the backward against the
# wrong forward. The value is the more basic problem, and it is the one shown first.
FORWARD_SLIPS = {
    "activations.gelu": (
        "activations",
        "    cdf = (x / math.sqrt(2)).erf_().add_(1).mul_(0.5)",
        "    cdf = (x / 2).erf_().add_(1).mul_(0.5)",
    ),
    "losses.focal_loss": (
        "losses",
        "    per = alpha_t * _sigmoid(-u) ** gamma * _softplus(-u)",
        "    per = alpha_t * _sigmoid(u) ** gamma * _softplus(-u)",
    ),
    "losses.bce_with_logits": (
        "losses",
        "    per = pw * target * _softplus(-logits) + (1 - target) * _softplus(logits)",
        "    per = target * _softplus(-logits) + pw * (1 - target) * _softplus(logits)",
    ),
}


@pytest.mark.parametrize("exercise", sorted(FORWARD_SLIPS))
def test_a_wrong_forward_is_shown_before_the_gradient_check(public_slips, exercise):
    name = exercise.split(".")[1]
    shown = _exercise(public_slips, f"gus-{name}", exercise)
    assert shown["points"] < shown["max_points"], shown
    assert not shown["first_failure"].startswith("[gradient check]"), shown["first_failure"]
    assert f"{name}_forward" in shown["first_failure"], shown["first_failure"]


def test_a_forward_returning_the_loss_alone_is_named_clearly(public_slips):
    (mae,) = public_slips.block("hal")["exercises"]
    assert "`mae_forward` returned what the test could not index" in mae["first_failure"], mae[
        "first_failure"
    ]
    assert "(loss, cache)" in mae["first_failure"]
