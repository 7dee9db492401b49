"""``descent new-exercise MODULE NAME`` (``descent.commands.new_exercise``): what the scaffold
wrote, shown from the kit's folder, a note when ruff could not format it, and the next steps for
this module and name, ``--record-generic`` among them. (The scaffold itself:
tests/authoring/test_scaffold.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from descent.commands import main, new_exercise

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_files_written_and_the_next_steps_are_shown(kit_copy, tmp_path, capsys, monkeypatch):
    asked = []

    def create(root, module, name, *, title, pair):
        asked.append((module, name, title, pair))
        written = [root / "solutions" / f"{module}.py", tmp_path / "elsewhere.py"]
        return SimpleNamespace(written=written, unformatted=[])

    monkeypatch.setattr(new_exercise, "create", create)
    assert main(["new-exercise", "losses", "hinge", "--title", "Hinge [loss]", "--pair"]) == 0
    out = capsys.readouterr().out
    assert asked == [("losses", "hinge", "Hinge [loss]", True)]
    assert "wrote solutions/losses.py" in out and f"wrote {tmp_path / 'elsewhere.py'}" in out
    assert "descent audit --module losses --record-generic" in out
    assert "course.toml: put losses.hinge in an assignment" in out
    assert "graders/catalogue/literal.py: the docstring's formula typed literally" in out
    assert "descent budget: the graders' work on the solutions against graders/budget.toml" in out


def test_files_ruff_could_not_format_are_named(kit_copy, capsys, monkeypatch):
    monkeypatch.setattr(
        new_exercise,
        "create",
        lambda *a, **k: SimpleNamespace(written=[], unformatted=["solutions/losses.py"]),
    )
    assert main(["new-exercise", "losses", "hinge"]) == 0
    assert "ruff is not installed" in capsys.readouterr().out
