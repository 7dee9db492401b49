"""Edits of a call's arguments copied back into the grader's objects
(:mod:`descent.isolation.edits`): the same objects change, as they would in-process, and the
ones that changed are logged."""

from __future__ import annotations

import pytest
import torch

from descent.isolation.edits import apply_edits, apply_inplace, note_changes

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_tensor_edited_in_the_worker_is_edited_here_in_place():
    x, y = torch.zeros(3), torch.ones(2)
    log: list[int] = []
    apply_edits([x, y], {}, [torch.tensor([1.0, 2.0, 3.0]), torch.ones(2)], {}, log)
    assert torch.equal(x, torch.tensor([1.0, 2.0, 3.0])) and torch.equal(y, torch.ones(2))
    assert log == [id(x)]  # y came back unchanged


def test_a_tensor_of_another_shape_replaces_the_data_of_the_same_object():
    x = torch.zeros(3)
    kept = apply_inplace(x, torch.ones(2, 2, dtype=torch.float64))
    assert kept is x and x.shape == (2, 2) and x.dtype == torch.float64


def test_containers_are_edited_in_place_and_logged():
    inner = torch.zeros(2)
    items, state = [inner], {"lr": 0.1, "gone": 1}
    log: list[int] = []
    apply_edits([items], {"state": state}, [[torch.ones(2), 5]], {"state": {"lr": 0.05}}, log)
    assert items[0] is inner and torch.equal(inner, torch.ones(2)) and items[1] == 5
    assert state == {"lr": 0.05}
    assert set(log) == {id(items), id(inner), id(state)}


def test_a_tuple_with_a_replaced_item_is_a_new_tuple_and_an_unchanged_one_is_kept():
    t = torch.zeros(1)
    pair = (t, 1.5)
    out = apply_inplace(pair, (torch.ones(1), 2.5))
    assert out is not pair and out[0] is t and out[1] == 2.5 and torch.equal(t, torch.ones(1))
    alone = (t,)
    assert apply_inplace(alone, (torch.full((1,), 3.0),)) is alone and t.item() == 3.0


def test_mismatched_structures_are_left_alone():
    x = torch.zeros(2)
    log: list[int] = []
    apply_edits([x], None, [torch.ones(2), torch.ones(2)], "not a dict", log)
    assert torch.equal(x, torch.zeros(2)) and log == []


def test_values_that_compare_equal_are_no_change_nan_included():
    x = torch.tensor([float("nan"), 1.0])
    log: list[int] = []
    note_changes(x, x.clone(), log)
    note_changes({"a": [x]}, {"a": [x.clone()]}, log)
    assert log == []
    note_changes(x, x.to(torch.float64), log)
    assert log == [id(x)]  # same values, another dtype
