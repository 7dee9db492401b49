"""The changes of a parameter that the parameter re-run tries (``descent.diagnoses.
parameter_changes``): an argument read nowhere, a string option taken for another (in its own
branch only), another default (one of the same name elsewhere in the kit), a step counter one
off, another exercise's function with the same parameters. Each is found by
``parameter_fits`` on a toy reference and named; a near miss names nothing."""

import math

import pytest
import torch

from descent.diagnoses import parameter_changes
from descent.diagnoses.base import Case
from descent.diagnoses.parameter import parameter_fits, rerun_slip

from .test_parameter import INIT, X, _one, _Reference, calculate_gain

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_string_option_taken_for_another_names_every_value_that_fits():
    def recipe(m):
        return m.init.calculate_gain("tanh")

    found = _one(parameter_fits(Case(recipe, 1.0, 5.0 / 3, INIT, "init.calculate_gain")))
    assert "`nonlinearity` = 'linear' or 'sigmoid' where the call passes 'tanh'" in found.text
    assert parameter_fits(Case(recipe, 1.5, 5.0 / 3, INIT, "init.calculate_gain")) == []


def test_a_string_option_taken_for_another_leaves_the_other_options_alone():
    # 'tanh' read as 'linear' in its own branch: the re-run must still give relu's gain, or the
    # checks the student passes on relu would refute the very slip the tanh checks show
    found = _one(
        parameter_fits(
            Case(lambda m: m.init.calculate_gain("tanh"), 1.0, 5.0 / 3, INIT, "init.calculate_gain")
        )
    )
    assert found.rerun is not None
    relu = found.rerun(lambda m: m.init.calculate_gain("relu"), INIT)
    assert relu == math.sqrt(2.0)


def test_a_left_out_parameter_with_another_default_and_two_fits_said_as_such():
    def recipe(m):
        return m.init.calculate_gain("leaky_relu")

    expected = recipe(INIT)
    # a missing slope taken as 0 gives relu's gain: the default 0 and 'relu' both fit
    found = rerun_slip(Case(recipe, math.sqrt(2.0), expected, INIT, "init.calculate_gain"))
    assert found.kind == "argument"  # both an argument misread: the kind is certain
    assert found.text.startswith("several explanations fit")
    assert "`param`, left out by the call, defaults to 0 instead of None" in found.text
    assert "`nonlinearity` = 'relu'" in found.text


def rmsnorm_forward(x, gamma, eps=1e-6):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * gamma, None


def layernorm_forward(x, gamma, beta, eps=1e-5):  # only its default is read
    raise NotImplementedError


NORM = _Reference(
    normalization={"rmsnorm_forward": rmsnorm_forward, "layernorm_forward": layernorm_forward}
)


def test_a_default_taken_from_a_parameter_of_the_same_name_elsewhere():
    x, gamma = 1e-3 * X, torch.ones(5, dtype=torch.float64)

    def recipe(m):
        return m.normalization.rmsnorm_forward(x, gamma)[0]

    expected = recipe(NORM)
    found = _one(
        parameter_fits(
            Case(
                recipe, rmsnorm_forward(x, gamma, 1e-5)[0], expected, NORM, "normalization.rmsnorm"
            )
        )
    )
    assert "defaults to 1e-05 instead of 1e-06" in found.text
    assert "the default of `eps` in normalization.layernorm_forward" in found.text
    # a default no function of the kit has is not guessed
    got = rmsnorm_forward(x, gamma, 1e-3)[0]
    assert parameter_fits(Case(recipe, got, expected, NORM, "normalization.rmsnorm")) == []


def _adam_like(shift):
    """A bias-corrected step whose counter is ``shift`` off where it is used (Python floats, as
    the reference's are: t = 0 divides by zero) or, for the student, tensor arithmetic."""

    def adam_step(param, grad, state, lr=0.1):
        t = state.get("step", 0) + 1 + shift
        m = 0.5 * state.get("m", torch.zeros_like(grad)) + 0.5 * grad
        correction = 1 - 0.5**t
        step = m / torch.tensor(correction, dtype=torch.float64)
        return param - lr * step, {**state, "step": t - shift, "m": m}

    return adam_step


OPTIM = _Reference(optim={"adam_step": _adam_like(0)})


def _trajectory(m):
    p, state, out = X, {}, []
    for k in range(3):
        p, state = m.optim.adam_step(p, X * (k + 1), state)
        out.append(p)
    return out


def test_a_step_counter_one_ahead_or_behind():
    expected = _trajectory(OPTIM)
    ahead = _trajectory(_Reference(optim={"adam_step": _adam_like(1)}))
    found = _one(parameter_fits(Case(_trajectory, ahead, expected, OPTIM, "optim.adam")))
    assert found.kind == "step" and "one ahead (t = 2 on the first call)" in found.text

    # t = 0: the student's tensors hold infinities where the reference divides by zero
    def float_step(param, grad, state, lr=0.1):
        t = state.get("step", 0) + 1
        m = 0.5 * state.get("m", torch.zeros_like(grad)) + 0.5 * grad
        return param - lr / (1 - 0.5**t) * m, {**state, "step": t, "m": m}

    reference = _Reference(optim={"adam_step": float_step})
    behind = _trajectory(_Reference(optim={"adam_step": _adam_like(-1)}))
    found = _one(parameter_fits(Case(_trajectory, behind, expected, reference, "optim.adam")))
    assert found.kind == "step" and "one behind (t = 0 on the first call)" in found.text

    # no bias correction at all: the counter so large that 0.5**t is 0
    def uncorrected(param, grad, state, lr=0.1):
        m = 0.5 * state.get("m", torch.zeros_like(grad)) + 0.5 * grad
        return param - lr * m, {**state, "step": state.get("step", 0) + 1, "m": m}

    plain = _trajectory(_Reference(optim={"adam_step": uncorrected}))
    found = _one(parameter_fits(Case(_trajectory, plain, expected, reference, "optim.adam")))
    assert found.kind == "term" and "beta**t is 0" in found.text
    # a finite result the counter does not explain
    near = [p + 1e-3 for p in ahead]
    assert parameter_fits(Case(_trajectory, near, expected, reference, "optim.adam")) == []


def l2_penalty(params, lam):
    return lam * sum((p * p).sum() for p in params)


def l1_penalty(params, lam):
    return lam * sum(p.abs().sum() for p in params)


PENALTIES = _Reference(regularization={"l2_penalty": l2_penalty, "l1_penalty": l1_penalty})


def test_another_exercise_function_with_the_same_parameters():
    params = [X, X[:2]]

    def recipe(m):
        return m.regularization.l2_penalty(params, 0.1)

    expected, exercise = recipe(PENALTIES), "regularization.l2_penalty"
    found = _one(
        parameter_fits(Case(recipe, l1_penalty(params, 0.1), expected, PENALTIES, exercise))
    )
    assert found.kind == "sibling" and "replaced by `l1_penalty`" in found.text
    assert (
        parameter_fits(Case(recipe, l1_penalty(params, 0.2), expected, PENALTIES, exercise)) == []
    )
    # the halves of a forward/backward pair are never swapped for another pair's
    pairs = _Reference(losses={"mse_forward": lambda pred, target: ((pred - target) ** 2).mean()})
    pairs.modules["losses"].mae_forward = lambda pred, target: (pred - target).abs().mean()
    got = X.abs().mean()

    def loss(m):
        return m.losses.mse_forward(X, torch.zeros_like(X))

    assert parameter_fits(Case(loss, got, loss(pairs), pairs, "losses.mse")) == []


def test_the_changes_tried_follow_what_the_calls_received():
    """What a recording run saw decides the changes: a parameter passed can be ignored or taken
    as another option; one never passed, only given another default; a tensor is no setting."""
    calls = parameter_changes.Calls(passed={"nonlinearity": ["tanh"], "x": [X]}, calls=1)
    calls.left_out.add("param")
    tried = parameter_changes.changes_of("calculate_gain", calculate_gain, calls, INIT)
    names = {(c.name, c.value) for c in tried}
    assert ("nonlinearity", "linear") in names and ("nonlinearity", "sigmoid") in names
    assert not any(c.name == "x" for c in tried)  # a tensor argument: not a setting
    changed = parameter_changes.with_argument(calculate_gain, "nonlinearity", lambda _: "linear")
    assert changed("tanh") == 1.0 and calculate_gain("tanh") == pytest.approx(5 / 3)


def test_a_parameter_forced_to_zero_also_says_what_it_scales_may_go_nowhere():
    # an update computed with lr and stored under another key leaves the parameter as lr = 0
    # would: the words may not claim that lr itself is missing from the code
    def step(param, grad, lr=0.1):
        return param - lr * grad

    calls = parameter_changes.Calls(passed={"lr": [0.1]}, calls=1)
    changes = parameter_changes.changes_of("optim.sgd", step, calls, _Reference())
    texts = [c.text for c in changes]
    zero = next(t for t in texts if "`lr` = {values}" in t and "left out" in t)
    assert "never reaches the result" in zero
