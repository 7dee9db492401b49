"""What the course notebooks import (``descent.student_notebook``, first named
``descent.labs_grading``): partial credit per part of a question, the visible checks of an
answer's form, and a hidden check that fails in a kernel the course did not configure."""

from __future__ import annotations

import sys

import pytest

from descent import student_notebook

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_parts_give_partial_credit_and_silence_stderr(capsys):
    import warnings

    parts = student_notebook.Parts()
    with parts.part("passes, noisily", 1):
        warnings.warn("noise")
        print("more noise", file=sys.stderr)
    with parts.part("fails", 2):
        assert False, "wrong value"
    with parts.part("crashes", 1):
        raise ZeroDivisionError("boom")
    with parts.part("not answered", 1):
        raise NotImplementedError
    assert parts.score() == 1.0
    out = capsys.readouterr()
    assert out.err == ""
    assert "wrong value" in out.out and "ZeroDivisionError: boom" in out.out
    assert "not answered yet" in out.out and "1 of 5 points" in out.out


def test_hidden_checks_fail_in_an_ordinary_kernel():
    """A notebook graded without the course's executor must not earn the hidden points."""
    with pytest.raises(AssertionError, match="run only when the course grades"):
        student_notebook.hidden_checks("quiz1_loss", "q1_test")


@pytest.mark.parametrize("answer", ["A", " c ", "d"])
def test_a_choice_is_one_of_four_letters_in_any_case(answer, capsys):
    student_notebook.check_choice("q1", answer)
    assert capsys.readouterr().out == f"q1: answer recorded ({answer.strip().upper()})\n"


@pytest.mark.parametrize("answer", ["E", "AB", "", 1, None])
def test_anything_else_is_refused_naming_the_question(answer):
    with pytest.raises(AssertionError, match="q1: answer with one letter"):
        student_notebook.check_choice("q1", answer)


def test_a_number_is_a_finite_int_or_float_and_not_a_bool(capsys):
    student_notebook.check_number("q2", 0.25)
    student_notebook.check_number("q2", 3)
    assert capsys.readouterr().out == "q2: answer recorded (0.25)\nq2: answer recorded (3)\n"
    for answer in (True, float("nan"), float("inf"), "0.25", None):
        with pytest.raises(AssertionError, match="q2: answer with a number"):
            student_notebook.check_number("q2", answer)
