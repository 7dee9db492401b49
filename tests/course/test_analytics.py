"""The class report (``descent.course.analytics``), from a gradebook filled with known results (no
grading): per exercise the mean, the pass rate and the named mistakes with how many students made
each, and the report command's table and charts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from descent.course import analytics
from descent.course.gradebook import Gradebook

from .conftest import KIT, env
from .test_handback import book_path  # noqa: F401 - a fixture


def test_per_exercise_mean_pass_rate_and_named_mistakes_with_student_counts(book_path):  # noqa: F811 - the imported fixture
    with Gradebook(book_path, writable=False) as book:
        stats = analytics.compute(book)
    assert (stats.students, stats.graded) == (4, 3)
    mse, kl = stats.exercises
    assert mse.id == "losses.mse" and mse.mean_points == pytest.approx(20 / 3)
    assert mse.pass_rate == pytest.approx(1 / 3) and mse.misconceptions == [("mse_sum", 2)]
    assert kl.misconceptions[0] == ("kl_nan_at_zero_target", 2)
    assert ("kl_wrong_direction", 1) in kl.misconceptions
    assert sorted(stats.totals) == pytest.approx([25.0, 45.0, 100.0])


def test_the_class_report_command_prints_the_table_and_writes_the_charts(book_path, tmp_path):  # noqa: F811
    pytest.importorskip("matplotlib")
    charts = tmp_path / "charts"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "report",
            "--class",
            str(book_path),
            "--charts",
            str(charts),
        ],
        cwd=KIT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mse_sum (2)" in proc.stdout and "33%" in proc.stdout
    for name in ("points_histogram.png", "pass_rate.png"):
        assert (charts / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((charts / "class.json").read_text())["graded"] == 3
