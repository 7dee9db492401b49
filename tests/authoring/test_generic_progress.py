"""The guard's progress lines (``descent.authoring.generic_progress``): read from a grading's
pytest log, one per module per period, on the stream given (stderr in the guard; the lines a
real grading prints: tests/authoring/test_generic_jobs.py)."""

from __future__ import annotations

import io

import pytest

from descent.authoring import generic_progress

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_progress_lines_name_the_module_its_variants_and_the_time(tmp_path):
    """A line per module every period while it is graded, read from its pytest log; lines on
    stderr leave the guard's verdict on stdout as it was."""
    now = [0.0]
    out = io.StringIO()
    progress = generic_progress.Progress(out, period=30.0, clock=lambda: now[0])
    log = tmp_path / "results-layers.log"
    log.write_text("")
    progress.started(0, ["graders/test_layers.py"], [f"bug:b{n}" for n in range(40)], log)
    log.write_text("." * 72 + " [ 25%]\n" + "..F.." + "\n")
    now[0] = 10.0
    progress.poll()  # not yet: said less than a period ago
    now[0] = 95.0
    progress.poll()
    log.write_text(log.read_text() + "." * 220 + " [100%]\n_ TestX.test_y _\n.....\n1 failed\n")
    now[0] = 130.0
    progress.ended(0, 1)
    assert out.getvalue().splitlines() == [
        "descent audit: grading layers: 40 variants",
        "descent audit: layers: about 10/40 variants (77 tests run, 25%), 1m35s",
        "descent audit: layers: about 40/40 variants (297 tests run, 100%), 2m10s: graded",
    ]


def test_the_tests_run_are_read_from_the_progress_lines_only():
    log = "." * 72 + " [ 50%]\n" + "F" * 72 + " [100%]\n\n_ TestX.test_y _\n...\n"
    assert generic_progress.tests_run(log) == (144, 100)
    assert generic_progress.tests_run("..F") == (3, None)  # a line still being written
    assert generic_progress.tests_run("") == (0, None)
