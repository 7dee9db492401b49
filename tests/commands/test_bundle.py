"""``descent bundle OUT`` (``descent.commands.bundle``): the student bundle written where asked,
a note when starter/ is behind solutions/, and a folder that is not empty refused with exit 2.
(What the bundle holds: tests/authoring/test_bundle.py.)"""

from __future__ import annotations

import pytest

from descent.commands import bundle, main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_bundle_is_written_where_asked(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bundle, "stale_starter", lambda root: [])
    assert main(["bundle", str(tmp_path / "student")]) == 0
    assert "student bundle written to" in capsys.readouterr().out
    assert (tmp_path / "student" / "starter").is_dir()


def test_a_starter_behind_its_solutions_is_noted(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bundle, "stale_starter", lambda root: ["losses.py"])
    assert main(["bundle", str(tmp_path / "student")]) == 0
    assert "losses.py" in capsys.readouterr().out


def test_a_folder_that_is_not_empty_is_refused(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["bundle", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("descent bundle: ") and "not empty" in out
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
