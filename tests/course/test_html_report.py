"""The per-student HTML report: what it shows, what it never shows, and that a real browser
renders it offline with its image."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from descent.course.html_report import page
from descent.registry import MODULES

from .conftest import KIT, copy_modules, env


def _doc(message: str, student: str = "ada") -> dict:
    return {
        "schema": "descent.results/1",
        "started_at": "2026-11-22T10:00:00+00:00",
        "devices": ["cpu"],
        "environment": {"torch": "2.13.0"},
        "implementations": [
            {
                "name": student,
                "points": 2.5,
                "max_points": 10.0,
                "exercises": [
                    {
                        "id": "losses.mse",
                        "title": "Mean squared error",
                        "points": 2.5,
                        "max_points": 10.0,
                        "status": "partial",
                        "first_failure": message.splitlines()[0],
                        "misconceptions": ["mse_sum"],
                    }
                ],
            }
        ],
        "tests": [
            {
                "nodeid": "graders/test_losses.py::TestMSE::test_value[cpu]",
                "implementation": student,
                "exercise": "losses.mse",
                "name": "TestMSE::test_value[cpu]",
                "outcome": "failed",
                "points": 0.0,
                "max_points": 7.5,
                "counted": True,
                "message": message,
                "misconception": "mse_sum",
                "duration_s": 0.1,
            }
        ],
    }


def test_the_page_shows_the_table_lines_escapes_everything_and_nothing_more():
    message = (
        "[reference value] mse <b>output</b>: expected 1, got 2\n"
        "reference source: SECRET-LINE-FROM-THE-GRADER\n"
        "likely mistake: your result matches code that sums.\n"
        "hint: divide by the number of elements."
    )
    html = page("<script>alert(1)</script>", _doc(message, "<script>alert(1)</script>"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;output&lt;/b&gt;" in html
    assert "2.5 / 10 points (25%)" in html and "mse_sum" in html
    assert "likely mistake: your result matches code that sums." in html
    assert "hint: divide by the number of elements." in html
    assert "SECRET-LINE-FROM-THE-GRADER" not in html  # the terminal table never shows it
    assert "graders/test_losses.py" not in html
    assert not re.search(r"""(src|href)\s*=\s*['"](https?:|//)""", html)  # nothing fetched


def _long_lines(folder: Path) -> set[str]:
    lines = set()
    for path in folder.rglob("*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) > 40 and not line.startswith(("#", '"', "'")):
                lines.add(line)
    return lines


@pytest.fixture(scope="module")
def graded_page(tmp_path_factory):
    """``descent grade --html`` on a correct submission (capstone included, so the page has its
    loss curves) next to one with the partial sample's mistakes."""
    tmp = tmp_path_factory.mktemp("html")
    sub = copy_modules(KIT / "solutions", tmp / "ada", modules=MODULES)
    cmd = [
        sys.executable,
        "-m",
        "descent",
        "grade",
        str(sub),
        "--results",
        str(tmp / "results.json"),
        "--html",
        str(tmp / "ada.html"),
        "--exit-zero",
        "-k",
        "test_train or (test_losses and mse)",
    ]
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env(), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp / "ada.html"


def test_grade_html_writes_one_self_contained_page_without_grader_source(graded_page):
    html = graded_page.read_text()
    assert "data:image/png;base64," in html and "capstone" in html
    leaked = [
        line
        for line in _long_lines(KIT / "graders") | _long_lines(KIT / "solutions")
        if line in html
    ]
    assert not leaked, leaked[:3]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_headless_chromium_renders_the_page_and_its_image(graded_page, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Debian's `chromium` is not installed (.ci/run installs it with apt-get)")
    pixels = screenshot(browser, graded_page, tmp_path / "shot.png", "1000,2600")
    header = _near(pixels, (0x24, 0x40, 0x5F))
    train = _near(pixels, (0x1F, 0x77, 0xB4))  # matplotlib's blue
    validation = _near(pixels, (0xFF, 0x7F, 0x0E))  # and orange
    assert header > 20_000, "the page's header band is not on the screenshot"
    assert train > 200 and validation > 200, "the loss-curve image is not on the screenshot"


def screenshot(browser: str, page, shot, size: str) -> np.ndarray:
    """``page`` rendered by headless Chromium in a window of ``size`` ("W,H"), as RGB pixels.
    No network: a page that needed any would render without it."""
    from PIL import Image

    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        f"--screenshot={shot}",
        f"--window-size={size}",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.exists(), proc.stderr[-2000:]
    return np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)


def _near(pixels, colour, tolerance=24) -> int:
    """How many pixels are within ``tolerance`` of ``colour`` on every channel."""
    return int((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=-1).sum())


def _written_doc() -> dict:
    """A grading of a write-the-tests exercise whose tests miss one hidden mistake."""
    doc = _doc("ok")
    doc["tests"] = [
        {
            **doc["tests"][0],
            "exercise": "losses.mse.tests",
            "name": "test_written_tests[losses.mse.tests-chaff-mse_mean_over_rows]",
            "points": 0.0,
            "max_points": 5.0,
            "message": "[written tests] no test of yours catches code that divides by the rows",
            "misconception": None,
        }
    ]
    return doc


def test_a_write_the_tests_check_shows_no_hidden_id_or_weight():
    """The check's id names the hidden mistake (mse_mean_over_rows) and its points tell how
    much that mistake counts: the page shows which kind of check and the message, in words."""
    html = page("ada", _written_doc())
    assert "mse_mean_over_rows" not in html and "chaff" not in html and "/5<" not in html
    assert "a mistake no test of yours catches" in html
    assert "no test of yours catches code that divides by the rows" in html


@pytest.fixture(scope="module")
def pictured_grading(tmp_path_factory):
    """``descent grade --html`` of the catalogued warmup that starts at a zero rate, its
    schedule checks only, in-process: the run's output, results folder and page."""
    pytest.importorskip("matplotlib")
    tmp = tmp_path_factory.mktemp("pictured")
    cmd = [
        sys.executable,
        "-m",
        "descent",
        "grade",
        "bug:warmup_starts_at_zero",
        "--results",
        str(tmp / "results.json"),
        "--html",
        str(tmp / "warmup.html"),
        "--exit-zero",
        "--isolation",
        "none",
        "--insecure",
        "-k",
        "warmup_cosine_lr",
    ]
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env(), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, tmp, tmp / "warmup.html"


def test_failed_schedule_checks_get_pictures_beside_the_results_and_passed_ones_none(
    pictured_grading,
):
    import json

    out, folder, _ = pictured_grading
    tests = json.loads((folder / "results.json").read_text())["tests"]
    failed = [t for t in tests if t["outcome"] == "failed"]
    sweeps = [t for t in failed if "test_against_torch" in t["name"]]  # a whole schedule each
    assert sweeps and all(t["picture"]["kind"] == "line" for t in sweeps)
    # a boundary check compares one step's rate: a number, no picture
    assert any(t["picture"] is None for t in failed if "test_boundaries" in t["name"])
    assert all(t["picture"] is None for t in tests if t["outcome"] == "passed")
    pngs = sorted(folder.glob("picture_*.png"))
    assert len(pngs) == sum(t["picture"] is not None for t in tests)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert str(folder / "picture_") in " ".join(out.split())  # the terminal says where


def test_the_report_embeds_each_picture_and_chromium_draws_it(pictured_grading, tmp_path):
    _, folder, html_path = pictured_grading
    html = html_path.read_text()
    assert html.count("<img class='curves picture'") == html.count("<figure>") >= 1
    assert "Pictures of the checks that lost points" in html
    assert not re.search(r"""(src|href)\s*=\s*['"](https?:|//)""", html)  # nothing fetched
    browser = _chromium()
    if browser is None:
        pytest.skip("Debian's `chromium` is not installed (.ci/run installs it with apt-get)")
    pixels = screenshot(browser, html_path, tmp_path / "shot.png", "1000,3000")
    student = _near(pixels, (0xFF, 0x7F, 0x0E))  # the student's orange line
    expected = _near(pixels, (0x1F, 0x77, 0xB4))  # the expected value's blue point
    shaded = _near(pixels, (0xF6, 0xC8, 0xC0), tolerance=6)  # the positions that differ
    assert student > 300 and expected > 40 and shaded > 2_000, (student, expected, shaded)


def _pictured_doc() -> dict:
    """A recorded grading whose failed check carries a hidden check's line picture."""
    doc = _doc("[reference value] step_lr for steps 0..4[1]: expected 0.5, got 1")
    doc["tests"][0]["picture"] = {
        "kind": "line",
        "student": [1.0, 1.0, 0.25, 0.125, 0.0625],
        "expected": [None, 0.5, None, None, None],
        "wrong": [1],
        "hidden": True,
    }
    return doc


def test_a_recorded_picture_is_embedded_and_without_matplotlib_left_out(monkeypatch):
    pytest.importorskip("matplotlib")
    html = page("ada", _pictured_doc())
    assert html.count("<img class='curves picture'") == 1 and "data:image/png;base64," in html
    assert "<figcaption>[reference value] step_lr for steps 0..4[1]" in html
    assert "<figure>" not in page("ada", _doc("expected 1, got 2"))  # no record, no picture
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    html = page("ada", _pictured_doc())
    assert "<figure>" not in html and "Checks that lost points" in html


def test_a_picture_the_grading_drew_is_shown_as_drawn_not_drawn_again(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)  # cannot draw
    html = page("ada", _pictured_doc(), images={"picture_01.png": b"\x89PNG stored"})
    assert html.count("<figure>") == 1 and "iVBORyBzdG9yZWQ=" in html  # those bytes, base64
