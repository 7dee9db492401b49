"""The trusted side of ``impl`` (``descent.testwriting.dispatch``): each call served on copies
of its arguments, answered with an envelope of plain data (the result with caches as tokens, the
builtin type of what it raised, its edits, torch's random state after it), and refused when it
is not data, too large or one call too many."""

from __future__ import annotations

import pytest
import torch

from descent.testwriting import dispatch
from descent.testwriting.dispatch import Dispatcher
from descent.testwriting.harness import CACHE_KEY

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class Layer:
    """An object-style cache, as a catalogued alternative keeps one."""

    def __init__(self, x):
        self.x = x


def forward(x):
    return x * 2, Layer(x)


def backward(dy, cache):
    return dy * 2 + 0 * cache.x


def bump(x, state):
    x.add_(1)
    state["step"] = state.get("step", 0) + 1
    return x


def draw(n):
    return torch.rand(n)


class LinAlgError(RuntimeError):
    pass


def refuse(x):
    raise LinAlgError("singular")


def served():
    return Dispatcher(
        {"forward": forward, "backward": backward, "bump": bump, "draw": draw, "refuse": refuse},
        {"forward": 1},
    )


RNG = torch.get_rng_state()


def test_a_cache_crosses_as_a_token_and_comes_back_as_itself():
    d = served()
    out = d.serve("forward", [torch.ones(2)], {}, RNG)
    assert torch.equal(out["ok"][0], torch.full((2,), 2.0)) and out["ok"][1] == {CACHE_KEY: 1}
    back = d.serve("backward", [torch.ones(2), out["ok"][1]], {}, RNG)
    assert torch.equal(back["ok"], torch.full((2,), 2.0)) and "edited" not in back


def test_arguments_compared_with_what_came_are_not_edits_for_being_copies():
    """An edit is told from the arguments as they came, not from a second copy: the copy made
    for the call (contiguous, no longer needing a gradient) is no edit."""
    d = served()
    x = torch.ones(4, requires_grad=True)[::2]  # a view that needs a gradient
    out = d.serve("forward", [x], {}, RNG)
    assert "raised" not in out and "edited" not in out, out


def test_edits_come_back_only_when_a_call_made_them():
    d = served()
    x, state = torch.zeros(2), {}
    out = d.serve("bump", [x, state], {}, RNG)
    assert torch.equal(x, torch.zeros(2)) and state == {}  # the call had copies
    (args, kwargs) = out["edited"]
    assert torch.equal(args[0], torch.ones(2)) and args[1] == {"step": 1} and kwargs == {}


def test_the_implementation_draws_from_the_test_s_random_state_and_leaves_ours_alone():
    d = served()
    torch.manual_seed(1)
    theirs = torch.get_rng_state()
    torch.manual_seed(2)
    ours = torch.get_rng_state()
    out = d.serve("draw", [3], {}, theirs)
    assert torch.equal(torch.get_rng_state(), ours)
    torch.set_rng_state(theirs)
    assert torch.equal(out["ok"], torch.rand(3)) and torch.equal(out["rng"], torch.get_rng_state())


def test_what_it_raises_is_named_by_its_builtin_type():
    out = served().serve("refuse", [torch.ones(1)], {}, RNG)
    assert (out["raised"], out["message"]) == ("RuntimeError", "singular")


@pytest.mark.parametrize(
    "call, why",
    [
        (("nope", [], {}), "impl has no function 'nope'"),
        (("draw", [Layer(1)], {}), "impl takes data only"),
        (("draw", [lambda: 0], {}), "got a function"),
        (("draw", [torch.zeros(dispatch.MAX_NUMBERS + 1)], {}), "at most"),
    ],
)
def test_a_call_that_is_not_data_or_too_large_is_refused(call, why):
    out = served().serve(*call, RNG)
    assert out["raised"] == "RuntimeError" and why in out["message"]


def test_a_run_that_calls_without_end_is_stopped(monkeypatch):
    monkeypatch.setattr(dispatch, "MAX_CALLS", 3)
    d = served()
    answers = [d.serve("draw", [1], {}, RNG) for _ in range(4)]
    assert "ok" in answers[2] and "more than 3 calls" in answers[3]["message"]
