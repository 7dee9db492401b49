"""The runtime tripwire (:mod:`descent.isolation.tripwire`): a wrapped library operation called
while an exercise's code runs is recorded when the exercise may not borrow it. The wrappers are
made here by hand: installing them would wrap torch in this test process."""

from __future__ import annotations

import pytest

from descent import registry
from descent.isolation import tripwire

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_name_is_under_a_prefix_only_at_a_dot():
    prefixes = ("torch.nn.functional", "torch.softmax")
    assert tripwire._under("torch.nn.functional.mse_loss", prefixes)
    assert tripwire._under("torch.softmax", prefixes)
    assert not tripwire._under("torch.softmaxed", prefixes)
    assert not tripwire._under("torch.nn", prefixes)


def test_what_an_exercise_may_not_borrow_includes_what_none_may():
    forbidden = tripwire.forbidden_for("losses.mse")
    assert set(registry.EXERCISES["losses.mse"].forbidden) <= set(forbidden)
    assert set(registry.ALWAYS_FORBIDDEN) <= set(forbidden)
    assert tripwire.forbidden_for("no.such.exercise") == ()


def test_a_forbidden_call_is_recorded_once_by_its_outermost_wrapper():
    inner = tripwire._make(lambda x: x * 2, ("torch.nn.functional.relu",))
    outer = tripwire._make(lambda x: inner(x) + 1, ("torch.nn.functional.mse_loss",))
    assert outer.__descent_tripwire__ == ("torch.nn.functional.mse_loss",)
    assert outer(1) == 3  # outside a watch: nothing recorded, nothing changed
    with tripwire.watch("losses.mse") as hits:
        assert outer(2) == 5
    assert hits == {"torch.nn.functional.mse_loss"}


def test_an_allowed_call_and_an_unknown_exercise_record_nothing():
    allowed = tripwire._make(lambda: 1, ("torch.tanh",))
    with tripwire.watch("losses.mse") as hits:
        allowed()
    assert hits == set()
    forbidden = tripwire._make(lambda: 1, ("torch.nn.functional.mse_loss",))
    with tripwire.watch(None) as hits:
        forbidden()
    assert hits == set()


def test_a_watch_inside_another_restores_the_outer_one():
    wrapped = tripwire._make(lambda: None, ("torch.autograd.grad",))
    with tripwire.watch("losses.mse") as outer:
        with tripwire.watch("basics.gradient_descent_1d") as inner:  # may use autograd
            wrapped()
        assert inner == set() and outer == set()
        wrapped()
    assert outer == {"torch.autograd.grad"}
