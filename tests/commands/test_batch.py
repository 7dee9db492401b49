"""``descent batch`` (``descent.commands.batch``), with the batch stood in for: its options
checked by argparse before anything starts, handed on whole, and Ctrl-C answered with exit 130.
(Real batches: tests/course/test_batch.py and the term tests.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from descent.commands import batch, main

from .conftest import PLAN

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def runs(monkeypatch):
    seen = []
    monkeypatch.setattr(batch, "run", lambda opts, root, console: seen.append(opts) or 0)
    return seen


def test_the_options_reach_the_batch(runs, tmp_path):
    argv = ["batch", str(tmp_path), "--out", str(tmp_path / "o"), "-j", "2", "--timeout", "30"]
    assert main([*argv, "-k", "mse", "--regrade", "--no-reports", "--call-timeout", "4"]) == 0
    [opts] = runs
    assert (opts.submissions, opts.out, opts.jobs, opts.timeout_s) == (
        tmp_path,
        tmp_path / "o",
        2,
        30.0,
    )
    assert (opts.selection, opts.regrade, opts.reports, opts.call_timeout) == (
        "mse",
        True,
        False,
        4.0,
    )
    assert opts.gradebook is None and opts.scheduler is None and not opts.insecure
    assert opts.input_seed is None  # inputs keyed to each submission's code
    assert main(["batch", str(tmp_path), "--input-seed", "term-1"]) == 0
    assert runs[-1].input_seed == "term-1"


@pytest.mark.parametrize(
    "argv",
    [["-j", "-1"], ["--timeout", "0"], ["-k", "mse and ("], ["-j", "2", "--scheduler", "h:1"],
     ["--scheduler", "nowhere"]],
)  # fmt: skip
def test_a_bad_option_stops_the_command_before_anything_starts(runs, argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["batch", "subs", *argv])
    assert stopped.value.code == 2 and runs == []


def test_an_assignment_of_the_plan_goes_to_the_assignment_run(tmp_path, monkeypatch):
    (tmp_path / "course.toml").write_text(PLAN)
    seen = []
    monkeypatch.setattr(
        batch, "run_assignment",
        lambda opts, plan, item, root, console, replace_plan: seen.append((item.id, replace_plan)) or 1,
    )  # fmt: skip
    argv = ["batch", str(tmp_path), "--plan", str(tmp_path / "course.toml"), "--assignment", "a1"]
    assert main([*argv, "--replace-plan"]) == 1 and seen == [("a1", True)]


def test_the_similarity_step_reads_the_plan_named_by_plan(tmp_path, monkeypatch):
    """`--similarity --plan FILE --assignment ID` run outside the course folder compares the
    assignment of that plan (it looked for course.toml in the working folder and stopped)."""
    (tmp_path / "course.toml").write_text(PLAN)
    seen = []
    monkeypatch.setattr(
        batch, "run_assignment",
        lambda opts, plan, item, root, console, replace_plan: seen.append(opts) or 0,
    )  # fmt: skip
    monkeypatch.chdir(tmp_path / "..")
    plan = str(tmp_path / "course.toml")
    argv = ["batch", str(tmp_path), "--similarity", "--plan", plan, "--assignment", "a1"]
    assert main(argv) == 0
    [opts] = seen
    assert (opts.similarity, opts.similarity_assignment, opts.similarity_plan) == (True, "a1", plan)


def test_ctrl_c_is_exit_130(monkeypatch, capsys):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run", interrupted)
    assert main(["batch", str(Path("subs"))]) == 130
    assert "interrupted" in capsys.readouterr().out
