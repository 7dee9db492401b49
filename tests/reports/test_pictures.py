"""Drawing a failed check's picture (``descent.reports.pictures``): PNGs of both kinds, the files
beside a results document (an earlier grading's removed), and nothing drawn, nothing failing,
without matplotlib."""

from __future__ import annotations

import sys

import pytest

from descent.reports import pictures

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

LINE = {
    "kind": "line",
    "student": [0.0, 0.25, 0.5, None, 1.0],
    "expected": [0.25, 0.5, 0.75, 1.0, 1.0],
    "wrong": [0, 1, 2, 3],
    "hidden": False,
}
HISTOGRAM = {
    "kind": "histogram",
    "edges": [-1.0, -0.5, 0.0, 0.5, 1.0],
    "student": [0.0, 10.0, 10.0, 0.0],
    "expected": [5.0, 5.0, 5.0, 5.0],
    "expected_label": "U(-1, 1)",
    "hidden": True,
}


def _doc(*records: dict) -> dict:
    tests = [
        {"implementation": "ada", "exercise": "schedules.step_lr", "name": f"t{k}", "picture": r}
        for k, r in enumerate(records)
    ]
    tests.append({"implementation": "ada", "exercise": "losses.mse", "name": "u", "picture": None})
    return {"implementations": [{"name": "ada"}], "tests": tests}


@pytest.mark.parametrize("record", [LINE, HISTOGRAM, {**LINE, "hidden": True}], ids=str)
def test_each_kind_draws_as_a_png(record):
    pytest.importorskip("matplotlib")
    assert pictures.png(record, "a title").startswith(b"\x89PNG\r\n\x1a\n")
    assert pictures.png({"kind": "pie"}, "unknown") is None


def test_one_png_per_pictured_check_beside_the_results_and_none_left_from_before(tmp_path):
    pytest.importorskip("matplotlib")
    stale = tmp_path / "picture_ada_07_schedules.step_lr.png"
    stale.write_bytes(b"old")
    other = tmp_path / "picture_bob_01_schedules.step_lr.png"
    other.write_bytes(b"bob's")
    written = pictures.write_beside(_doc(LINE, HISTOGRAM), tmp_path)
    assert [p.name for p in written] == [
        "picture_ada_01_schedules.step_lr.png",
        "picture_ada_02_schedules.step_lr.png",
    ]
    assert not stale.exists() and other.read_bytes() == b"bob's"


def test_without_matplotlib_nothing_is_drawn_and_nothing_fails(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    assert pictures.figure() is None and pictures.png(LINE, "warmup") is None
    assert pictures.write_beside(_doc(LINE), tmp_path) == [] and not list(tmp_path.iterdir())


def test_the_pictures_beside_the_results_are_read_back_by_their_number(tmp_path):
    pytest.importorskip("matplotlib")
    written = pictures.write_beside(_doc(LINE, HISTOGRAM), tmp_path)
    found = pictures.read_beside(tmp_path, "ada")
    assert (
        sorted(found)
        == [pictures.stored_name(1), pictures.stored_name(2)]
        == [
            "picture_01.png",
            "picture_02.png",
        ]
    )
    assert found["picture_02.png"] == written[1].read_bytes()
    assert pictures.read_beside(tmp_path, "bob") == {}


def test_a_grading_without_pictures_leaves_none_of_an_earlier_one(tmp_path):
    stale = tmp_path / "picture_ada_01_schedules.step_lr.png"
    stale.write_bytes(b"old")
    assert pictures.write_and_say(_doc(), tmp_path) is None
    assert not stale.exists()


@pytest.mark.parametrize(
    "values,scale",
    [([2e-3, 1e-9, 4e-17], "log"), ([0.5, 0.25, 0.1], "linear"), ([1.0, 0.0, 1e-6], "linear")],
)
def test_values_spread_over_orders_of_magnitude_get_a_log_scale(values, scale):
    """Gradient norms that vanish layer by layer: a linear scale would flatten all but one."""
    pytest.importorskip("matplotlib")
    ax = pictures.figure().subplots()
    pictures._log_if_spread(ax, values)
    assert ax.get_yscale() == scale


def test_an_implementation_whose_name_goes_on_from_another_keeps_its_pictures(tmp_path):
    """``ada``'s files start like ``ada_01``'s and ``ada_01_layers``'s (``picture_ada_01_...``):
    a grading of ``ada`` neither deletes nor reads theirs."""
    theirs = [
        tmp_path / "picture_ada_01_01_schedules.step_lr.png",
        tmp_path / "picture_ada_01_layers_01_losses.mse.png",
    ]
    for path in theirs:
        path.write_bytes(b"not ada's")
    (tmp_path / "picture_ada_03_losses.mse.png").write_bytes(b"ada's")
    assert pictures.read_beside(tmp_path, "ada") == {"picture_03.png": b"ada's"}
    assert pictures.write_and_say(_doc(), tmp_path) is None  # ada's pictures removed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in theirs)
    assert pictures.read_beside(tmp_path, "ada_01") == {"picture_01.png": b"not ada's"}
