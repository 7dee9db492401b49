"""The capstone's loss curves written as data (``descent.reports.loss_curves``): a run's
histories with a gap for each entry that is not a finite number, and nothing for a run without
one."""

from __future__ import annotations

import json
import math

import pytest

from descent.reports import loss_curves

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_loss_curves_are_written_as_data_with_gaps_for_bad_entries(tmp_path):
    out = {"train_loss": [1.0, math.nan, 0.5], "val_loss": [2.0, "x", 0.25]}
    path = loss_curves.write(tmp_path, "bug:a b", out, 0.3)
    assert path is not None and path.name == "capstone_bug_a_b.json"
    data = json.loads(path.read_text())
    assert data == {
        "implementation": "bug:a b",
        "target": 0.3,
        "train_loss": [1.0, None, 0.5],
        "val_loss": [2.0, None, 0.25],
    }
    assert loss_curves.write(tmp_path, "x", {"params": []}, 0.3) is None
    assert loss_curves.write(tmp_path, "x", None, 0.3) is None


def test_each_curve_file_is_drawn_once_and_an_unreadable_one_is_passed_over(tmp_path):
    pytest.importorskip("matplotlib")
    path = loss_curves.write(tmp_path, "ada", {"train_loss": [1.0, 0.5], "val_loss": [1.2]}, 0.3)
    (tmp_path / "capstone_broken.json").write_text("{not json")
    assert loss_curves.draw_all(tmp_path) == [path.with_suffix(".png")]
    assert path.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    assert loss_curves.draw_all(tmp_path) == []  # the picture is newer than its data
