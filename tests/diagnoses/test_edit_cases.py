"""Edits for a case the docstring allows that the code does not take
(``descent.diagnoses.edit_cases``): a division by what is 0 there, and a refusal of it. Each
edited function is run in that case: it gives the reference's result."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from descent.diagnoses.edits import edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


ZERO_DIVISORS = """
import numpy as np
import torch


def mask(x, p, eps=1e-8):
    keep = np.random.binomial(1, 1 - p, x.shape) / (1 - p)
    return x * keep / np.sqrt(x.shape[0] + eps)


def scaled(x, keep):
    return (1 / keep) * x


def l1(w):
    return w / np.abs(w)


def drawn(x):
    return x / np.random.rand()
"""


def _zero(function: str) -> list:
    """(words, the edited function run as code) of each zero-divisor edit of ``function``."""
    found = []
    for edit in edits(ZERO_DIVISORS, function):
        if edit.kind == "zero":
            space: dict = {"np": np, "torch": torch}
            exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
            found.append((edit.text, space[function]))
    return found


def test_a_division_by_what_is_zero_in_an_allowed_case_is_given_a_value_of_its_own():
    """FAU and Fudan learners' dropout at p == 1 (0 / 0 in an array, ZeroDivisionError in a
    Python float) and a Rice learner's L1 subgradient `w / |w|` at w == 0: zero there, and the
    same quotient elsewhere, for a number, an array and a tensor."""
    [(words, mask)] = _zero("mask")  # not the root of a count with eps
    assert "`np.random.binomial(1, 1 - p, x.shape) / (1 - p)` divides by `1 - p`" in words
    assert "that case needs a value of its own" in words
    with np.errstate(all="raise"):
        assert np.array_equal(mask(np.ones((3, 2)), 1.0), np.zeros((3, 2)))
    [(_, scaled)] = _zero("scaled")
    assert np.array_equal(scaled(np.ones(4), 0.0), np.zeros(4))
    assert np.allclose(scaled(np.ones(4), 0.5), 2 * np.ones(4))
    assert torch.equal(scaled(torch.ones(2), torch.tensor(0.0)), torch.zeros(2))
    [(_, l1)] = _zero("l1")
    w = np.array([-2.0, 0.0, 3.0])
    with np.errstate(all="raise"):
        assert np.array_equal(l1(w), np.sign(w))
    assert _zero("drawn") == []  # a draw written three times over is three draws


REFUSALS = """
import numpy as np


class Dropout:
    def __init__(self, keep):
        if not 0 < keep <= 1:
            raise ValueError("keep must be in (0, 1]")
        self.keep = keep


def backward(dy, y):
    assert dy.ndim == 3
    return dy * y * (1 - y)


def checked(x):
    if x.ndim != 2:
        x = x.reshape(len(x), -1)
        raise ValueError("not a matrix")
    return x
"""


def test_a_refusal_of_an_allowed_case_is_left_out():
    """An FAU learner's dropout that refuses a keep probability of 0 (p == 1) in its
    constructor, and a Fudan learner's backward that asserts what the code never makes true:
    each left out, the code runs on. An `if` that does more than raise is left alone."""
    found = {e.function: e for e in edits(REFUSALS, "Dropout.__init__") if e.kind == "refusal"}
    [edit] = found.values()
    assert edit.line == 7 and "the test `not 0 < keep <= 1` that raises stops the code" in edit.text
    space: dict = {"np": np}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    assert space["Dropout"](0.0).keep == 0.0
    [edit] = [e for e in edits(REFUSALS, "backward") if e.kind == "refusal"]
    assert "`assert dy.ndim == 3` stops the code in a case the docstring allows" in edit.text
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    assert np.allclose(space["backward"](np.ones(2), np.full(2, 0.5)), 0.25)
    assert not [e for e in edits(REFUSALS, "checked") if e.kind == "refusal"]


OWN_CASES = """
def lr_step(base_lr, gamma, t):
    if t != 1:
        return base_lr * gamma ** t
    return base_lr


def first_moment(m, g, step, beta=0.9):
    if step == 0:
        return g
    return beta * m + (1 - beta) * g


def picked(x, mode):
    if mode == "sum":
        return x.sum()
    return x
"""


def test_a_case_of_its_own_for_one_value_takes_the_general_path():
    """(a held-out Hebrew University learner's exponential schedule) `if t != 1:` returned the
    base rate at step 1, where base_lr * gamma ** 1 belongs: the test made to take the general
    path always, for `!=` and for `==`. A test of a string (an option) is left alone."""
    [edit] = [e for e in edits(OWN_CASES, "lr_step") if e.kind == "branch" and "own" in e.text]
    assert edit.line == 3 and "`if t != 1:` gives `t == 1` a case of its own" in edit.text
    space: dict = {}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    assert space["lr_step"](0.1, 0.5, 1) == 0.05
    [edit] = [e for e in edits(OWN_CASES, "first_moment") if "own" in e.text]
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    assert space["first_moment"](0.0, 1.0, 0) == pytest.approx(0.1)
    assert not [e for e in edits(OWN_CASES, "picked") if "a case of its own" in e.text]


BOTH_BRANCHES = """
class SGD:
    def step(self, p, g):
        if self.m > 0:
            self.v = self.m * self.v - self.lr * g
            p = p + self.v
        if self.m > 0 and self.nesterov:
            self.v = self.m * self.v - self.lr * g
            p = p + self.m * self.v - self.lr * g
        return p


def relu_grad(x):
    if x > 0:
        return 1.0
    if x <= 0:
        return 0.0
"""


def test_two_branches_that_both_run_are_made_to_exclude_each_other():
    """(a held-out learner's from-scratch framework) momentum's block and Nesterov's block both
    ran with nesterov=True, one `if` after the other: the first made to skip where the second's
    test holds, at the first's line, and the reverse at the second's. Tests that cannot both
    hold still get the edits; the repair search keeps only one that mends a failing check."""
    found = [e for e in edits(BOTH_BRANCHES, "SGD.step") if "exclude each other" in e.text]
    assert [e.line for e in found] == [4, 7]
    first = found[0]
    assert first.kind == "branch"
    assert "`if self.m > 0:` also runs where `self.m > 0 and self.nesterov` holds" in first.text
    space: dict = {}
    exec(compile(first.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    opt = space["SGD"]()
    opt.m, opt.lr, opt.v, opt.nesterov = 0.9, 0.1, 1.0, True
    # only Nesterov's step: v = 0.9 - 0.1 * 2 = 0.7; p = 1 + 0.9 * 0.7 - 0.2
    assert opt.step(1.0, 2.0) == pytest.approx(1.43)
    opt.v, opt.nesterov = 1.0, False
    assert opt.step(1.0, 2.0) == pytest.approx(1.7)  # momentum alone still runs
    assert len([e for e in edits(BOTH_BRANCHES, "relu_grad") if "exclude" in e.text]) == 2


FIRST_CALLS = """
class Momentum:
    def update(self, node, gradient):
        if node not in self.v:
            self.v[node] = gradient
        else:
            self.v[node] = self.momentum * self.v[node] - self.lr * gradient
        node.value = node.value + self.v[node]


def averages(state, key, g, b1, b2):
    if key in state:
        state[key] = b1 * state[key] + (1 - b1) * g
    else:
        state[key] = g
    return state[key]
"""


def test_a_first_call_with_a_formula_of_its_own_takes_the_general_update_from_zeros():
    """(held-out learners of MatrixSlow, a Chinese textbook's framework) the first call stores
    the gradient as the velocity, `if node not in self.v: self.v[node] = gradient`: the first
    branch made the general update with the velocity taken as 0, whichever branch is first."""
    [edit] = [e for e in edits(FIRST_CALLS, "Momentum.update") if "first call" in e.text]
    assert edit.line == 5 and edit.kind == "branch"  # the first call's own line
    assert "`if node not in self.v:` gives the first call a formula of its own" in edit.text
    assert (
        "(`self.v[node] = gradient`), where the general update from a state of zeros" in edit.text
    )
    assert "self.v[node] = self.momentum * 0 - self.lr * gradient" in edit.source
    [edit] = [e for e in edits(FIRST_CALLS, "averages") if "first call" in e.text]
    space: dict = {}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    assert space["averages"]({}, "w", 2.0, 0.9, 0.99) == pytest.approx(0.2)
