"""A failed check's picture record (``descent.grading.pictures``): which checks get one, what it
holds, and what a hidden check's may show. Drawing it: tests/reports/test_pictures.py."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pytest
import torch

from descent.grading import pictures
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure
from descent.reports import pictures as drawing

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

WARMUP = "schedules.warmup_cosine_lr"


def _warmup_cosine(step, base_lr=1.0, warmup=4, total=12, start=1):
    """The schedule; ``start=0`` is the classic slip whose warmup begins at a zero rate."""
    if step < warmup:
        return base_lr * (step + start) / warmup
    return base_lr * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) / 2


def _failure(got, expected, exercise=WARMUP, **kwargs) -> GradingFailure:
    """The failure of a value check whose student code returned ``got``."""
    checker = Checker(SimpleNamespace(name="ada"), None, exercise)
    with pytest.raises(GradingFailure) as info:
        checker.matches(
            lambda m: got, "warmup_cosine_lr for steps 0..11", expected=expected, **kwargs
        )
    return info.value


def _schedules():
    right = [_warmup_cosine(t) for t in range(12)]
    wrong = [_warmup_cosine(t, start=0) for t in range(12)]
    return wrong, right


def test_a_wrong_warmup_is_a_line_of_both_series_with_the_warmup_marked():
    wrong, right = _schedules()
    picture = pictures.record(_failure(wrong, right).picture, WARMUP, hidden=False)
    assert picture["kind"] == "line"
    assert picture["student"] == pytest.approx(wrong) and picture["expected"] == pytest.approx(
        right
    )
    assert picture["wrong"] == [0, 1, 2, 3]  # the warmup steps, and only those
    _drawn(picture)


def _drawn(picture: dict) -> None:
    """The record draws as a PNG, wherever matplotlib (the labs extra) is installed."""
    pytest.importorskip("matplotlib")
    assert drawing.png(picture, "a title").startswith(b"\x89PNG")


def _numbers_in(picture: dict) -> list[float]:
    return [v for v in picture["expected"] if v is not None]


@pytest.mark.parametrize("as_tensor", [False, True], ids=["list", "tensor"])
def test_a_hidden_check_shows_no_expected_value_its_message_does_not(as_tensor):
    """A hidden check's message names one entry (a list's first that differs, a tensor's worst)
    with its expected value: that one is all of the reference the picture holds."""
    wrong, right = _schedules()
    if as_tensor:
        wrong, right = torch.tensor(wrong), torch.tensor(right)
    failure = _failure(wrong, right)
    picture = pictures.record(failure.picture, WARMUP, hidden=True)
    shown = _numbers_in(picture)
    assert len(shown) == 1
    message_numbers = {float(x) for x in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", failure.message)}
    assert all(any(math.isclose(v, m, rel_tol=1e-5) for m in message_numbers) for v in shown)
    hidden_values = [float(v) for v in right][1:]  # the reference's other entries
    assert not any(math.isclose(v, h) for v in shown for h in hidden_values if h != shown[0])
    assert picture["student"] == pytest.approx([float(v) for v in wrong])  # the student's own
    assert picture["wrong"] == [0, 1, 2, 3] and picture["hidden"] is True


def test_an_initializer_with_the_wrong_spread_is_a_histogram_against_the_asked_distribution():
    std = 0.05
    w = torch.randn(4000, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2 * std
    checker = Checker(SimpleNamespace(name="ada"), None, "init.kaiming")
    with pytest.raises(GradingFailure) as info:
        checker.estimate(
            float(w.std()),
            std,
            "kaiming_normal: std 0.1, expected 0.05",
            error=std / 100,
            sigmas=7,
            sample=(w, pictures.normal(std), f"N(0, {std}^2)"),
        )
    picture = pictures.record(info.value.picture, "init.kaiming", hidden=True)
    assert picture["kind"] == "histogram" and picture["expected_label"] == "N(0, 0.05^2)"
    assert len(picture["edges"]) == pictures.BINS + 1
    assert sum(picture["student"]) == 4000 and sum(picture["expected"]) == pytest.approx(
        4000, rel=1e-3
    )
    # the student's draws spread twice as wide: the outer bins hold theirs, not the expected's
    outer = [i for i, e in enumerate(picture["edges"][:-1]) if abs(e) > 3 * std]
    assert sum(picture["student"][i] for i in outer) > 5 * sum(
        picture["expected"][i] for i in outer
    )
    _drawn(picture)


def test_a_passing_check_raises_nothing_so_records_no_picture():
    _, right = _schedules()
    checker = Checker(SimpleNamespace(name="ada"), None, WARMUP)
    assert checker.matches(lambda m: list(right), "warmup", expected=right) == right
    assert pictures.record(None, WARMUP, hidden=True) is None


def test_a_scalar_result_or_an_exercise_without_pictures_gets_none():
    scalar = _failure(0.5, 0.25)
    assert scalar.picture is not None  # the failure offers its values ...
    assert pictures.record(scalar.picture, WARMUP, hidden=False) is None  # ... none a line
    short = _failure([0.5, 1.0], [0.25, 1.0])
    assert pictures.record(short.picture, WARMUP, hidden=False) is None
    wrong, right = _schedules()
    mse = _failure(wrong, right, exercise="losses.mse")
    assert pictures.record(mse.picture, "losses.mse", hidden=False) is None


def test_a_nested_result_is_pictured_where_the_message_points():
    """minibatches' coverage check compares (indices, batch sizes) pairs: the sizes that differ
    are the line, the index the message names the hidden check's one expected value."""
    got = [(torch.arange(10), [4, 4, 2, 0])]
    expected = [(torch.arange(10), [4, 4, 2, 2])]
    failure = _failure(got, expected, exercise="regression.minibatches", check_dtype=False)
    picture = pictures.record(failure.picture, "regression.minibatches", hidden=True)
    assert picture["student"] == [4, 4, 2, 0] and picture["expected"] == [None, None, None, 2]
    assert picture["wrong"] == [3] and "[0][1][3]" in failure.message


def test_a_run_of_the_public_tests_draws_its_pictures_and_says_where(tmp_path):
    """The student's ``pytest exercises/``: a public check shows both series in full."""
    pytest.importorskip("matplotlib")
    import json
    import subprocess
    import sys

    from course.conftest import KIT, env

    cmd = [sys.executable, "-m", "pytest", "exercises/test_schedules.py", "-p", "no:cacheprovider"]
    cmd += ["--impl", "bug:warmup_starts_at_zero", "-k", "test_the_warmup"]
    cmd += ["--results", str(tmp_path / "results.json")]
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env(), timeout=300)
    said = (
        f"pictures of 1 failed check(s), your values against the expected: {tmp_path}/picture_*.png"
    )
    assert said in proc.stdout, proc.stdout[-2000:]
    (png,) = tmp_path.glob("picture_*.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    (test,) = json.loads((tmp_path / "results.json").read_text())["tests"]
    assert test["picture"]["hidden"] is False and None not in test["picture"]["expected"]


def test_a_public_loss_curve_check_draws_its_curve_a_hidden_one_nothing():
    """diagnose_loss_curve returns a label: the picture is the curve it was handed, which a
    public check's file holds and a hidden check keeps hidden."""
    train = [2.0, 1.5, 1.2, float("nan"), float("nan")]
    checker = Checker(SimpleNamespace(name="ada"), None, "diagnostics.diagnose_loss_curve")
    with pytest.raises(GradingFailure) as info:
        checker.matches(
            lambda m: "healthy",
            "diagnose_loss_curve (expected 'diverged')",
            expected="diverged",
            shows={"training loss": train, "validation loss": None},
        )
    source = info.value.picture
    public = pictures.record(source, "diagnostics.diagnose_loss_curve", hidden=False)
    assert public == {
        "kind": "curves",
        "series": {"training loss": [2.0, 1.5, 1.2, None, None]},
        "hidden": False,
    }
    assert pictures.record(source, "diagnostics.diagnose_loss_curve", hidden=True) is None
    _drawn(public)
