"""What several verbs share (``descent.commands.shared``): the default results file, and the
course plan and assignment of ``--plan`` / ``--assignment``, where a broken plan or an unknown
assignment ends the command with its problems listed (exit 2), never a traceback."""

from __future__ import annotations

from argparse import Namespace

import pytest

from descent.commands import shared
from descent.course import plan as plan_mod

from .conftest import PLAN

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_results_file_is_the_one_given_or_the_kits_own(tmp_path):
    assert shared.results_path(Namespace(results=str(tmp_path / "r.json"))) == tmp_path / "r.json"
    default = shared.results_path(Namespace(results=None))
    assert default.parts[-2:] == (".descent", "results.json")


def test_the_assignment_is_the_plans_item_and_none_without_the_option(tmp_path):
    (tmp_path / "course.toml").write_text(PLAN)
    args = Namespace(command="grade", plan=str(tmp_path / "course.toml"), assignment="a1")
    item = shared.assignment(args)
    assert item.id == "a1" and item.kind == plan_mod.CODE
    assert shared.assignment(Namespace(command="grade", plan=None, assignment=None)) is None


def test_an_unknown_assignment_or_a_broken_plan_ends_the_command_with_exit_2(tmp_path, capsys):
    (tmp_path / "course.toml").write_text(PLAN)
    args = Namespace(command="grade", plan=str(tmp_path / "course.toml"), assignment="a9")
    with pytest.raises(SystemExit) as stopped:
        shared.assignment(args)
    assert stopped.value.code == 2 and capsys.readouterr().out.startswith("descent grade: ")
    (tmp_path / "course.toml").write_text(PLAN.replace('timezone = "UTC"', 'timezone = "Mars"'))
    args.assignment = "a1"
    with pytest.raises(SystemExit) as stopped:
        shared.assignment(args)
    assert stopped.value.code == 2 and "Mars" in capsys.readouterr().out
