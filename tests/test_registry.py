"""The exercise registry (``descent.registry``): ids and modules, which exercise owns a function,
what every exercise may not borrow, and a mistyped id answered with the known ones."""

from __future__ import annotations

import pytest

from descent import registry

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_an_id_is_its_module_and_a_name_and_the_modules_keep_the_registrys_order():
    for ex_id, ex in registry.EXERCISES.items():
        assert ex.id == ex_id and ex_id == f"{ex.module}.{ex_id.split('.', 1)[1]}"
    first_seen = list(dict.fromkeys(ex.module for ex in registry.EXERCISES.values()))
    assert list(registry.MODULES) == first_seen and "losses" in registry.MODULES


def test_a_pair_is_a_forward_and_a_backward_that_may_not_use_autograd():
    mse = registry.get("losses.mse")
    assert mse.functions == ("mse_forward", "mse_backward") and mse.points == 10.0
    assert set(registry.BACKWARD_FORBIDDEN) <= set(mse.forbidden)


def test_the_owner_of_a_function_is_found_by_module_or_by_name_alone():
    assert registry.exercise_of("losses", "mse_backward").id == "losses.mse"
    assert registry.exercise_of("activations", "mse_backward") is None  # another module's
    assert registry.exercise_of("losses", "_helper") is None
    assert registry.exercise_of_function("mse_forward").id == "losses.mse"
    assert registry.exercise_of_function("no_such_function") is None


def test_a_method_is_owned_by_the_exercise_of_its_class():
    owner = next(ex for ex in registry.EXERCISES.values() if "Value" in ex.functions)
    assert registry.exercise_of(owner.module, "Value.backward") is owner


def test_an_unknown_id_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown exercise 'losses.msee'; known: basics."):
        registry.get("losses.msee")


def test_the_capstone_may_run_longer_and_says_which_argument_is_its_budget():
    capstone = registry.get("train.train_classifier")
    assert capstone.call_timeout_s > 10 and capstone.budget_argument == "time_budget_s"
    assert all(
        ex.budget_argument is None for ex in registry.EXERCISES.values() if ex is not capstone
    )
