"""Where a float first went wrong in the student's code (``descent.diagnoses.float_trap``): a
cross-entropy whose probabilities come from one function and whose log is taken in another
(a CMU 10-601 learner's `_cross_entropy(y, y_hat)`, Udacity's `error_formula`) has no small edit
that repairs it; the failing stability check names the line of the log, through the worker and
in-process. The line's words come from NumPy's own; torch code is told nothing."""

from __future__ import annotations

import contextlib
import re
import shutil
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import KIT, grade, grade_in_process

from descent.calls.timelimit import CallTimeout
from descent.diagnoses import float_trap
from descent.diagnoses.ledger import Record

SOLUTIONS = KIT / "solutions"
ANCHOR = "    return -torch.dot(a.reshape(-1), logp.reshape(-1)), (logp, a)\n"
STUDENT = (
    "    loss = -torch.dot(a.reshape(-1), logp.reshape(-1))\n"
    "    if weight is None and not label_smoothing:\n"
    "        p = _probabilities(logits.detach().cpu().numpy())\n"
    "        loss = logits.new_tensor(_nll(p, target.cpu().numpy()))\n"
    "    return loss, (logp, a)\n"
)
HELPERS = """

import numpy as np


def _probabilities(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _nll(p, y):
    return -np.mean(np.log(p[np.arange(len(y)), y]))
"""
SAID = r"in your code, line \d+ \(in `_nll`\): `return -np.mean\(np.log\(p\[np.arange\(len\(y\)\), y\]\)\)` takes the log of a probability, 0 on this input: the log to compute from the scores"


def _student(tmp_path: Path) -> Path:
    folder = tmp_path / "subs" / "log_of_handed_probabilities"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / "losses.py"
    text = path.read_text()
    assert ANCHOR in text, "the solution's text moved"
    path.write_text(text.replace(ANCHOR, STUDENT, 1) + HELPERS)
    return folder


def _lost(run) -> list[str]:
    return [
        t["message"] or ""
        for t in run.results["tests"]
        if t["exercise"] == "losses.cross_entropy" and t["points"] < t["max_points"]
    ]


@pytest.mark.parametrize("where", ["worker", "in-process"])
def test_the_line_of_a_log_of_a_probability_handed_in_is_told(tmp_path, where):
    folder = _student(tmp_path)
    suites = ["graders/test_losses.py", "-k", "cross_entropy"]
    if where == "worker":
        run = grade(tmp_path / "run", suites, [str(folder)])
    else:
        run = grade_in_process(tmp_path / "run", suites, folder)
    lost = _lost(run)
    assert lost, "the unstable log lost no points"
    assert any(re.search(SAID, m) for m in lost), lost[0]


def test_numpy_s_words_are_made_the_kit_s_and_only_the_student_s_file_is_read():
    """A worker's exception carries its frames as text; the deepest in the student's file is
    the line. A float error of another kind than the table's, or in no file of the student's,
    is told nothing."""
    remote = FloatingPointError("divide by zero encountered in log")
    remote.remote_where = ["losses.py:12 in cost", "losses.py:40 in _nll"]  # type: ignore[attr-defined]
    assert float_trap._where(remote, "losses.py") == (
        40,
        "_nll",
        "takes the log of 0 on this input",
    )
    assert float_trap._where(remote, "optim.py") is None
    odd = FloatingPointError("underflow encountered in multiply")
    odd.remote_where = ["losses.py:3 in f"]  # type: ignore[attr-defined]
    assert float_trap._where(odd, "losses.py") is None
    try:
        with np.errstate(invalid="raise"):
            np.log(np.array([-1.0]))
    except FloatingPointError as exc:
        here = float_trap._where(exc, Path(__file__).name)
    assert here is not None and here[1:] == (
        "test_numpy_s_words_are_made_the_kit_s_and_only_the_student_s_file_is_read",
        "takes the log of a negative number or NaN on this input",
    )


def _book(recipe) -> types.SimpleNamespace:
    """A ledger of one failing comparison: NaN where 1.0 is expected, made by ``recipe``."""
    record = Record(recipe, float("nan"), 1.0, failed=True)
    return types.SimpleNamespace(exercise="losses.cross_entropy", records=[record])


def _log_of_zero(impl):
    exc = FloatingPointError("divide by zero encountered in log")
    exc.remote_where = ["losses.py:2 in _nll"]  # type: ignore[attr-defined]
    raise exc


def _impl(source):
    return types.SimpleNamespace(source=lambda module: source, strict_floats=contextlib.nullcontext)


def test_nothing_is_told_without_the_student_s_source_and_a_timeout_is_no_line():
    """A catalogued variant is the kit's own code: no source, nothing told. A re-run that runs
    out of time (a BaseException, so that a student's `except Exception` cannot swallow it)
    stops on no line and is told nothing: it must not break the weighing of the others."""
    source = "def _nll(p):\n    return -np.log(p)\n"
    found = float_trap.located(_book(_log_of_zero), _impl(source))  # type: ignore[arg-type]
    assert found is not None and found.text.startswith("line 2 (in `_nll`): `return -np.log(p)`")
    assert float_trap.located(_book(_log_of_zero), _impl(None)) is None  # type: ignore[arg-type]

    def slow(impl):
        raise CallTimeout("_nll", 1.0)

    assert float_trap.located(_book(slow), _impl(source)) is None  # type: ignore[arg-type]


OVERFLOWING = """

def _nll(z, y):
    # no shift by the row's maximum: exp overflows in float32, and the log of inf is inf
    return np.mean(np.log(np.sum(np.exp(z), axis=1)) - z[np.arange(len(y)), y])
"""
OVERFLOW_SAID = r"in your code, line \d+ \(in `_nll`\): `return np.mean\(np.log\(np.sum\(np.exp\(z\).*` takes the exp of a number past the float's range"


@pytest.mark.parametrize("where", ["worker", "in-process"])
def test_an_overflow_that_leaves_no_nan_is_found_on_a_second_run(tmp_path, where):
    """A log of a sum of exps overflows to inf with no NaN after it: the first run, with a log
    of 0 and 0 / 0 raised, stops nowhere; the second raises the overflow and finds its line."""
    folder = tmp_path / "subs" / "overflowing_log_sum_exp"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / "losses.py"
    text = path.read_text()
    student = STUDENT.replace(
        "        p = _probabilities(logits.detach().cpu().numpy())\n"
        "        loss = logits.new_tensor(_nll(p, target.cpu().numpy()))\n",
        "        z = logits.detach().cpu().numpy()\n"
        "        loss = logits.new_tensor(float(_nll(z, target.cpu().numpy())))\n",
    )
    path.write_text(
        text.replace(ANCHOR, student, 1) + HELPERS.split("\n\ndef _probabilities")[0] + OVERFLOWING
    )
    suites = ["graders/test_losses.py", "-k", "cross_entropy and stable"]
    if where == "worker":
        run = grade(tmp_path / "run", suites, [str(folder)])
    else:
        run = grade_in_process(tmp_path / "run", suites, folder)
    lost = [t["message"] or "" for t in run.results["tests"] if t["outcome"] == "failed"]
    assert lost, "the overflowing log-sum-exp failed no check"
    assert any(re.search(OVERFLOW_SAID, m) for m in lost), lost[0]


def test_an_inf_alone_is_traced_to_a_log_of_0_not_to_a_nan_the_code_replaced():
    """A held-out Bogazici loss computes a softmax that is NaN for large scores, catches the NaN
    and computes it again stably, then takes the log of a probability that underflowed: its
    result is inf, not NaN, so 0 / 0 is not raised and the log's line is told; a NaN result
    raises 0 / 0 and stops on the division."""
    raised: list[tuple[str, ...]] = []

    @contextlib.contextmanager
    def strict(kinds):
        raised.append(tuple(kinds))
        yield

    def recipe(impl):
        if "invalid" in raised[-1]:
            exc = FloatingPointError("invalid value encountered in divide")
            exc.remote_where = ["losses.py:2 in _nll"]  # type: ignore[attr-defined]
        else:
            exc = FloatingPointError("divide by zero encountered in log")
            exc.remote_where = ["losses.py:5 in _nll"]  # type: ignore[attr-defined]
        raise exc

    source = "def _nll(z, y):\n    p = e / s\n    if np.isnan(p).any():\n        p = q\n    return -np.log(p[y])\n"
    impl = types.SimpleNamespace(source=lambda module: source, strict_floats=strict)
    inf = types.SimpleNamespace(
        exercise="losses.cross_entropy", records=[Record(recipe, float("inf"), 1.0, failed=True)]
    )
    found = float_trap.located(inf, impl)  # type: ignore[arg-type]
    assert found is not None and found.text.startswith("line 5 (in `_nll`)"), found
    assert raised == [("divide",)]
    nan = types.SimpleNamespace(
        exercise="losses.cross_entropy", records=[Record(recipe, float("nan"), 1.0, failed=True)]
    )
    found = float_trap.located(nan, impl)  # type: ignore[arg-type]
    assert found is not None and found.text.startswith("line 2 (in `_nll`)"), found
