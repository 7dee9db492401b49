"""The values code computes, line by line (``descent.calls.steps``): each line's new or changed
local, a function's arguments and each result it returns; what a worker says of them is
checked before it is read."""

from __future__ import annotations

import numpy as np
import torch

from descent.calls import steps


def _softmax(x):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    e /= e.sum(axis=1, keepdims=True)
    n = len(x)
    return e, n


def test_each_bound_or_changed_value_is_a_step_of_its_line():
    found: list = []
    with steps.watched(__file__.rsplit("/", 1)[0], found):
        _softmax(np.arange(6.0).reshape(2, 3))
    kinds = [(s.kind, s.name, s.shape) for s in found]
    assert kinds == [
        ("argument", "x", (2, 3)),
        ("line", "m", (2, 1)),
        ("line", "e", (2, 3)),
        ("line", "e", (2, 3)),  # changed in place: a step of its own
        ("return", "", (2, 3)),  # the tuple's array; the count is no value
    ]
    assert torch.allclose(found[-1].values.reshape(2, 3).sum(dim=1), torch.ones(2).double())
    assert len({s.line for s in found[1:4]}) == 3


def test_only_well_formed_steps_of_a_worker_are_kept():
    good = [
        "activations.py",
        4,
        "f",
        "line",
        "v",
        [2, 2],
        torch.zeros(4, dtype=torch.float64),
        1,
        0,
    ]
    said = [
        good,
        [
            "activations.py",
            "4",
            "f",
            "line",
            "v",
            [2, 2],
            torch.zeros(4),
            1,
            0,
        ],  # a line that is text
        ["activations.py", 4, "f", "line", "v", [-1], torch.zeros(4), 1, 0],  # a negative size
        ["activations.py", 4, "f", "line", "v", [2], torch.zeros(2, 2), 1, 0],  # values not flat
        ["activations.py", 4, "f" * 300, "line", "v", [2], torch.zeros(2), 1, 0],  # a name too long
        ["activations.py", 4, "f", "line", "v", [400], torch.zeros(steps.MOST_VALUES + 1), 1, 0],
        "not a step",
    ]
    kept = steps.checked(said)
    assert [s.line for s in kept] == [4] and kept[0].shape == (2, 2)
    assert steps.checked({"not": "a list"}) == []


def test_a_list_of_floats_is_a_value_and_a_list_of_counts_is_not():
    """A Purdue course's optimizer computes with Python floats in lists: such a list is a value
    of its own (a wrapper that turns it into a tensor only converts it); a list of counts or of
    flags is not, nor a list too long to look at entry by entry."""
    assert torch.equal(steps.flat([0.5, np.float64(2.0)]), torch.tensor([0.5, 2.0]).double())
    assert steps.flat([3, 4]) is None and steps.flat([True, 1.0]) is None
    assert steps.flat([]) is None and steps.flat([0.5] * 5000) is None
