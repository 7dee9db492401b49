"""Callables handed to student code and the values around its calls (``descent.calls.callables``):
a described callable rebuilds from its name and data, a chain of calls tells which call edited its
arguments or moved a global generator, and copies are deep where a call could edit."""

from __future__ import annotations

import random

import pytest
import torch

from descent.calls import callables

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_described_callable_is_rebuilt_from_its_name_and_data():
    w = torch.tensor([1.0, 2.0], dtype=torch.float64)
    f = callables.make("weighted_cubes", w)
    assert f.__descent_remote__ == ("weighted_cubes", (w,))
    x = torch.tensor([2.0, -1.0], dtype=torch.float64)
    assert f(x).item() == pytest.approx(1.0 * 8 + 2.0 * -1)
    rebuilt = callables.Described(*f.__descent_remote__)
    assert rebuilt(x).item() == f(x).item()
    with pytest.raises(KeyError, match="no callable factory 'nowhere'"):
        callables.make("nowhere")


def test_a_chain_feeds_each_call_the_previous_result_and_tells_which_call_edited():
    def step(p, g, state):
        if state == 1:
            g.zero_()  # the second call edits its argument in place
        return p - g, state + 1

    a, c = torch.eye(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    advance = callables.make("quadratic_descent", a, c, 0.5, [2], [{}, {}, {}])
    p0 = torch.tensor([4.0, -2.0], dtype=torch.float64)
    out = callables.run_chain(step, advance, 3, (p0, 0))
    assert [edited for _, edited in out] == [False, True, False]
    # each step gets the gradient of 0.5 |p|^2 (scaled by 0.5) at the last step's parameters
    assert torch.equal(out[0][0][0], p0 / 2) and torch.equal(out[1][0][0], p0 / 2)
    assert torch.equal(out[2][0][0], p0 / 4)
    picked = callables.run_chain(step, advance, 3, (p0, 0), pick=1)
    assert [entry[0] for entry in picked[:-1]] == [1, 2] and picked[-1][0][1] == 3


def test_a_chain_with_a_watching_advance_tells_which_call_moved_a_global_generator():
    def shuffle(n, generator=None):
        if n == 3:
            random.random()  # draws from Python's global generator, not the one given
        return torch.randperm(n, generator=generator)

    advance = callables.make("generator_calls", [3], {}, [7, None], "cpu")
    moved = [entry[2] for entry in callables.run_chain(shuffle, advance, 2)]
    assert moved == [True, True]
    quiet = callables.make("generator_calls", [4], {}, [7, None], "cpu")
    out = callables.run_chain(lambda n, generator: torch.randperm(n, generator=generator), quiet, 2)
    assert [entry[2] for entry in out] == [False, False]
    # the second call, seeded None, goes on with the generator the first call moved
    again = torch.Generator().manual_seed(7)
    assert [torch.equal(r, torch.randperm(4, generator=again)) for r, *_ in out] == [True, True]


def test_a_fresh_copy_shares_nothing_a_call_could_edit():
    gen = torch.Generator().manual_seed(1)
    value = [torch.ones(2), {"g": gen, "n": (torch.zeros(1), 3)}]
    copy = callables.fresh(value)
    copy[0].add_(1)
    copy[1]["n"][0].add_(1)
    torch.rand(1, generator=copy[1]["g"])
    assert torch.equal(value[0], torch.ones(2)) and value[1]["n"][0].item() == 0.0
    assert torch.equal(gen.get_state(), torch.Generator().manual_seed(1).get_state())
    assert callables.copy_value(value)[1]["g"] is gen  # generators only when asked


def test_same_value_compares_values_and_layout_with_nan_equal_to_nan():
    nan = torch.tensor([float("nan"), 1.0])
    assert callables.same_value([nan, {"a": 1}], [nan.clone(), {"a": 1}])
    assert not callables.same_value([torch.ones(2)], (torch.ones(2),))
    assert not callables.same_value(torch.ones(2), torch.ones(2, dtype=torch.float64))
    assert not callables.same_value({"a": torch.ones(1)}, {"a": torch.zeros(1)})
    assert not callables.same_value(nan, nan.flip(0))  # a NaN moved is an edit
    leaf = torch.ones(3, requires_grad=True)
    assert callables.same_value(leaf.detach().clone(), leaf)
