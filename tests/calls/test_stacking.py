"""A batch's results packed as one tensor per position (``descent.calls.stacking``) come back as
the values and containers they stand for, only where nothing would be lost, and a skeleton that
does not fit (it comes from a worker) is refused before anything is built."""

from __future__ import annotations

import pytest
import torch

from descent.calls.stacking import (
    MAX_DEPTH,
    MAX_LEAVES,
    stack_chain,
    stack_results,
    unstack_chain,
    unstack_results,
)

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _same(a, b) -> bool:
    """Equal values in the same containers, tensor for tensor."""
    if isinstance(a, torch.Tensor):
        return type(b) is torch.Tensor and a.dtype == b.dtype and torch.equal(a, b)
    return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))


TENSORS = [torch.full((2,), float(k)) for k in range(3)]


@pytest.mark.parametrize(
    "results",
    [
        TENSORS,
        [(t, t * 2) for t in TENSORS],  # (output, cache) pairs
        [[t, t[:1]] for t in TENSORS],  # an epoch's minibatches, the last one shorter
        [[(t, t[:1].long()), (t[:1], t)] for t in TENSORS],  # k-fold (train, val) pairs
        [[[[t]]] for t in TENSORS],
    ],
    ids=["tensors", "pairs", "lists", "lists of pairs", "nested"],
)
def test_stacked_results_come_back_as_what_they_stand_for(results):
    skeleton, stacked = stack_results(results)
    assert all(s.shape[0] == 3 for s in stacked)
    assert _same(unstack_results(skeleton, stacked, 3), results)


@pytest.mark.parametrize(
    "results",
    [
        [torch.ones(2), torch.ones(3)],  # shapes differ
        [torch.ones(2), torch.ones(2, dtype=torch.float64)],
        [[torch.ones(2)], (torch.ones(2),)],  # a list, then a tuple
        [[torch.ones(2)], [torch.ones(2)] * 2],
        [[torch.ones(2), 1.0]] * 2,  # not only tensors
        [[]] * 2,
        [torch.ones(2, requires_grad=True)] * 2,
        [torch.ones(2)],  # one result: nothing to gain
        [[torch.ones(1)] * (MAX_LEAVES + 1)] * 2,
    ],
)
def test_what_would_lose_something_is_sent_as_the_list(results):
    assert stack_results(results) is None


def _deep(levels):
    skeleton = "T"
    for _ in range(levels):
        skeleton = ["l", [skeleton]]
    return skeleton


@pytest.mark.parametrize(
    ("skeleton", "leaves"),
    [
        ("T", 2),  # two stacked tensors for one
        (["t", ["T", "T"]], 1),
        (["x", ["T"]], 1),
        (["l", []], 0),
        (["l", "T"], 1),
        (3, 1),
        (_deep(MAX_DEPTH + 1), 1),
        (["l", ["T"] * (MAX_LEAVES + 1)], MAX_LEAVES + 1),
        (["l", [["l", ["T"] * MAX_LEAVES]] * 100], 1),  # refused at the first part past the cap
    ],
)
def test_a_skeleton_that_does_not_fit_is_refused(skeleton, leaves):
    with pytest.raises(ValueError, match="malformed"):
        unstack_results(skeleton, [torch.zeros(3, 2)] * leaves, 3)


def test_parts_that_do_not_fit_the_count_are_refused():
    skeleton, stacked = stack_results(TENSORS)
    for bad in ([stacked[0][:2]], [torch.zeros(())], "x", [[1, 2, 3]]):
        with pytest.raises(ValueError, match="malformed"):
            unstack_results(skeleton, bad, 3)


def test_a_stacked_chain_comes_back_as_its_entries():
    entries = [([torch.full((2,), float(k)), torch.ones(1)], k == 1) for k in range(3)]
    skeleton, payload = stack_chain(entries)
    back = unstack_chain(skeleton, payload, 3)
    assert [edited for _, edited in back] == [False, True, False]
    assert _same([result for result, _ in back], [result for result, _ in entries])
    watched = [(torch.zeros(2), False, k == 2) for k in range(3)]  # (result, edited, moved)
    assert [entry[1:] for entry in unstack_chain(*stack_chain(watched), 3)] == [
        (False, False),
        (False, False),
        (False, True),
    ]
    assert stack_chain([(torch.zeros(2), False), (torch.zeros(3), False)]) is None
    for bad in ([payload[0], [[False, True]]], [payload[0], [["no"] * 3]], [payload[0]], "x"):
        with pytest.raises(ValueError, match="malformed"):
            unstack_chain(skeleton, bad, 3)
