"""Hidden graders for starter/optim.py: every optimizer against ``torch.optim``, step for step
(or, for one with no twin there, against an oracle of this file).

Each optimizer runs on a quadratic ``0.5 p^T A p - c^T p`` (A symmetric positive definite), so the
gradient of every step depends on where the previous steps went, beside the same optimizer of
PyTorch on a clone; one entry of it, with a small gradient, is the same on every draw, so that
where eps enters is judged alike on every draw (see LEAST_GRADIENT). Every check finds its
optimizer by name in ``OPTIMIZERS``: adding one is adding its entry there. Scenarios
(docs/authoring.md): the first step from an empty state, a 12-step trajectory, the same with
the learning rate cut midway, with gradients scaled by 1e-5 (where eps enters matters), and
zero gradients. Plus the state the student returns, the defaults, and a check that no argument
(nor the state dict) is modified in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import torch
from expect import arguments_unchanged, python_numbers
from runs import trajectory
from torch_oracles import optimizer_steps

from descent import registry
from descent.calls import callables

F64 = dict(rtol=1e-7, atol=1e-9)
SHAPE = (3, 4)  # 12 parameters, not square


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: int
    scale: float = 1.0  # multiplies every gradient
    lr_cut_at: int | None = None  # from this step on the learning rate is 0.3 * lr
    hint: str = ""
    ordinary: bool = True  # everyday steps; tiny and zero gradients are extremes


SCENARIOS = [
    Scenario(
        "first-step",
        1,
        hint="look at the very first call (state == {}): how buffers "
        "start, and t = 1 in any bias correction",
    ),
    Scenario(
        "trajectory",
        12,
        hint="the state you return must be exactly what the next call "
        "needs: buffers, sums and the step counter carried from call to call",
    ),
    Scenario(
        "lr-change",
        12,
        lr_cut_at=4,
        hint="the learning rate may change between calls: "
        "multiply the update by the current lr, never store lr inside a buffer",
    ),
    Scenario(
        "tiny-gradients",
        12,
        scale=1e-5,
        hint="with tiny gradients the place of eps "
        "decides the step: add eps after the square root, as documented",
        ordinary=False,
    ),
    Scenario(
        "zero-gradients",
        3,
        scale=0.0,
        hint="a zero gradient must give a finite result, "
        "and without weight decay leave the parameter unchanged: avoid 0/0",
        ordinary=False,
    ),
]


# step(param, grad, state, **hyperparameters) -> (new_param, new_state): the exercise's own
# contract, for an oracle written here.
Step = Callable[..., tuple[torch.Tensor, dict]]


@dataclass(frozen=True)
class Optimizer:
    """One optimizer exercise and how it is graded.

    ``torch_cls`` names its twin in ``torch.optim`` (the oracle), or is ``""`` when ``oracle``
    is a step function of this file instead. ``configs``: name -> hyperparameters of each graded
    configuration; ``state_keys``: the state entries compared after a run. ``hints``: its own
    hint for a check where the shared one would mislead, by scenario name, ``"state"`` or
    ``"defaults"``. ``in_place``: the hyperparameters of the check that nothing is edited in
    place (default: its first configuration with weight decay, else its first).
    """

    exercise: str
    torch_cls: str
    configs: dict[str, dict] = field(default_factory=dict)
    state_keys: tuple[str, ...] = ()
    hints: dict[str, str] = field(default_factory=dict)
    in_place: dict | None = None
    oracle: Step | None = None
    # Configurations in a rare mode (docs/authoring.md, "ordinary checks"): their checks are not
    # marked ordinary. The others are the optimizer's everyday use.
    rare: tuple[str, ...] = ()

    @property
    def function(self) -> str:
        return registry.get(self.exercise).functions[0]

    def hint(self, check: str, shared: str) -> str:
        return self.hints.get(check, shared)

    def in_place_hyperparameters(self) -> dict:
        if self.in_place is not None:
            return self.in_place
        decaying = [hp for hp in self.configs.values() if hp.get("weight_decay")]
        return (decaying or list(self.configs.values()) or [{}])[0]


OPTIMIZERS = [
    Optimizer(
        "optim.sgd",
        "SGD",
        {
            "plain": dict(lr=0.1),
            "momentum": dict(lr=0.1, momentum=0.9),
            "dampening": dict(lr=0.1, momentum=0.9, dampening=0.5),
            "nesterov": dict(lr=0.1, momentum=0.8, nesterov=True),
            "momentum-weight-decay": dict(lr=0.1, momentum=0.9, weight_decay=0.1),
            "nesterov-weight-decay": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05),
        },
        ("momentum_buffer",),
        hints={
            "tiny-gradients": "SGD's step is lr times the gradient (or the momentum buffer) "
            "whatever its size: nothing compares it with a threshold or divides by it",
        },
        in_place=dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.1),
        rare=("dampening",),
    ),
    Optimizer(
        "optim.adagrad",
        "Adagrad",
        {
            "lr-0.1": dict(lr=0.1),
            "weight-decay": dict(lr=0.1, weight_decay=0.1),
        },
        ("step", "sum"),
        rare=("weight-decay",),
    ),
    Optimizer(
        "optim.rmsprop",
        "RMSprop",
        {
            "lr-0.01": dict(lr=0.01),
            "alpha-0.9": dict(lr=0.01, alpha=0.9, eps=1e-6),
            "weight-decay": dict(lr=0.01, weight_decay=0.1),
        },
        ("step", "square_avg"),
        rare=("weight-decay",),
    ),
    Optimizer(
        "optim.adam",
        "Adam",
        {
            "lr-0.05": dict(lr=0.05),
            "betas": dict(lr=0.05, betas=(0.8, 0.99), eps=1e-7),
            "weight-decay": dict(lr=0.05, weight_decay=0.1),
        },
        ("step", "exp_avg", "exp_avg_sq"),
        rare=("weight-decay",),
    ),
    Optimizer(
        "optim.adamw",
        "AdamW",
        {
            "lr-0.05": dict(lr=0.05),
            "strong-decay": dict(lr=0.05, weight_decay=0.1),
            "no-decay": dict(lr=0.05, weight_decay=0.0),
        },
        ("step", "exp_avg", "exp_avg_sq"),
    ),
]


# -- the problem and the two runners ---------------------------------------------------------------
# Where eps enters shows where a gradient entry, or a parameter, is near 0, and a drawn one came
# that near on some draws only: a mistake in eps's place then lost an everyday check on those
# draws alone. So no drawn entry comes near 0, and one entry, the same on every draw, does:
# - every drawn entry's first gradient is at least LEAST_GRADIENT in size, and stays at least
#   0.25 with weight decay 0.1, as every drawn parameter starts 0.5 to 2.5 from 0. AdaGrad's sum
#   only grows, so eps = 1e-10 inside its root moves a step by at most lr * eps / (2 * 0.25^2),
#   below the comparison's atol; with zero gradients, weight decay alone (0.1 * p, p at least
#   0.2 after three steps) keeps it below the comparison's tolerance too;
# - one entry, at a drawn inner place, has a curvature of its own (no other entry moves it, so its
#   path is the same on every draw), starts near 0 (where the tolerance is least; not at 0, so
#   that weight decay alone still gives it a gradient rather than 0/0) with a first gradient of
#   a few hundredths, everyday. There a wrong default eps in AdaGrad, eps inside Adam's or
#   RMSprop's root, or eps added to the parameter moves the first step by more than the
#   comparison allows, while AdaGrad's eps (1e-10) inside its root does not (its catalogue entry
#   is an edge mistake, caught by the tiny gradients). The gradient is negative, so the
#   parameter rises: eps added to the parameter then adds to what eps in the denominator takes
#   off the step, where on the other side the two nearly cancel.
LEAST_GRADIENT = 0.5
LEAST_PARAMETER = 0.5
SMALL_GRADIENT = -0.035
SMALL_PARAMETER = 0.01
SMALL_CURVATURE = 0.0175  # the small entry's optimum is 2 away: its path leaves 0 steadily


class Quadratic:
    """0.5 p^T A p - c^T p over the flattened parameter; gradient A p - c, times ``scale``.

    ``p0`` has SHAPE; the first gradient's entries and the one small entry follow the rules
    written above LEAST_GRADIENT."""

    def __init__(self, inputs, scale: float = 1.0):
        n = SHAPE[0] * SHAPE[1]
        # an inner place, never first or last along a dimension: a mistake seen on this entry
        # alone must not read as an off-by-one at an edge
        inner = [r * SHAPE[1] + c for r in range(1, SHAPE[0] - 1) for c in range(1, SHAPE[1] - 1)]
        small = inner[inputs.integer(0, len(inner) - 1)]
        others = [i for i in range(n) if i != small]
        q, _ = torch.linalg.qr(inputs.randn(n - 1, n - 1))
        self.A = torch.zeros(n, n, dtype=q.dtype, device=q.device)
        self.A[small, small] = SMALL_CURVATURE
        rows = torch.tensor(others)
        self.A[rows.unsqueeze(1), rows] = (q * inputs.uniform(n - 1, low=0.5, high=3.0)) @ q.T
        p0 = inputs.signed(n, LEAST_PARAMETER, 2.5)
        p0[small] = SMALL_PARAMETER
        g0 = inputs.signed(n, LEAST_GRADIENT, 2.0)
        g0[small] = SMALL_GRADIENT
        self.c = self.A @ p0 - g0
        self.p0 = p0.reshape(SHAPE)
        self.scale = scale

    def grad(self, p: torch.Tensor) -> torch.Tensor:
        return ((self.A @ p.reshape(-1) - self.c) * self.scale).reshape(SHAPE)


def _lr_at(hp: dict, scenario: Scenario, k: int) -> dict:
    if scenario.lr_cut_at is not None and k >= scenario.lr_cut_at:
        return {**hp, "lr": 0.3 * hp["lr"]}
    return hp


MODIFIED = "arguments edited in place"


def _steps(fn, problem: Quadratic, kwargs_per_step: list[dict]) -> list:
    """``[(param, edited), ..., ((param, state), edited)]``: one optimizer step per entry of
    kwargs_per_step from ``(problem.p0, {})``, each with the gradient at the parameters the
    previous step returned. Only the last step's state is kept."""
    advance = callables.make(
        "quadratic_descent", problem.A, problem.c, problem.scale, list(SHAPE), list(kwargs_per_step)
    )
    # a copy per run: code that edits its parameter in place must not move p0 for the next
    return trajectory(fn, advance, len(kwargs_per_step), start=(problem.p0.clone(), {}), pick=0)


def run_impl(fn, problem: Quadratic, hp: dict, scenario: Scenario):
    """The student's trajectory: parameters after each step, and the last state.

    If a call edits its param, grad or state in place, both results are the string MODIFIED
    instead: the comparison then fails, and names the in-place variant of the catalogue (whose
    numbers are otherwise correct, so it must not be taken for a near miss). Each call gets
    the gradient at the parameters its previous call returned.
    """
    steps = _steps(fn, problem, [_lr_at(hp, scenario, k) for k in range(scenario.steps)])
    if any(edited for _, edited in steps):
        return MODIFIED, MODIFIED
    last, state = steps[-1][0]
    return [p for p, _ in steps[:-1]] + [last], state


def run_oracle(opt: Optimizer, problem: Quadratic, hp: dict, scenario: Scenario):
    """The expected trajectory: parameters after each step, and the last state, from the
    optimizer's oracle (its torch.optim twin's update code, or its step function)."""
    if opt.oracle is not None:
        p, state, params = problem.p0.clone(), {}, []
        for k in range(scenario.steps):
            p, state = opt.oracle(p, problem.grad(p), state, **_lr_at(hp, scenario, k))
            params.append(p.clone())
        return params, state
    lrs = [_lr_at(hp, scenario, k) for k in range(scenario.steps)]
    return optimizer_steps(opt.torch_cls, problem.p0, problem.grad, lrs)


def _fn(opt: Optimizer):
    return lambda m: getattr(m.optim, opt.function)


def _describe(hp: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in hp.items())


def _params(with_scenarios: bool = True):
    out = []
    for opt in OPTIMIZERS:
        for cname, hp in opt.configs.items():
            for sc in SCENARIOS if with_scenarios else [None]:
                pid = f"{opt.function}-{cname}" + (f"-{sc.name}" if sc else "")
                marks = [pytest.mark.exercise(opt.exercise)]
                if sc is not None and sc.name in ("trajectory", "lr-change"):
                    marks.append(pytest.mark.points(2))
                if sc is not None and sc.name == "zero-gradients":
                    # parameters handed back unchanged are right here, whatever the code does
                    marks.append(pytest.mark.supporting())
                if cname not in opt.rare and (sc is None or sc.ordinary):
                    marks.append(pytest.mark.ordinary)
                out.append(pytest.param(opt, hp, sc, id=pid, marks=marks))
    return out


class TestAgainstTorchOptim:
    @pytest.mark.parametrize("opt,hp,scenario", _params())
    def test_scenario(self, opt, hp, scenario, check, inputs):
        problem = Quadratic(inputs, scenario.scale)
        expected, _ = run_oracle(opt, problem, hp, scenario)
        fn = _fn(opt)
        check.matches(
            lambda m: run_impl(fn(m), problem, hp, scenario)[0],
            f"{opt.function} parameters after each of {scenario.steps} steps "
            f"({scenario.name}; {_describe(hp)})",
            expected=expected,
            check=f"scenario {scenario.name}",
            hint=opt.hint(scenario.name, scenario.hint),
            **F64,
        )

    # Plain SGD keeps no state: an empty dict would be compared with an empty dict.
    @pytest.mark.parametrize(
        "opt,hp,scenario",
        [
            p
            for p in _params(False)
            if p.values[0].function != "sgd_step" or p.values[1].get("momentum", 0) != 0
        ],
    )
    def test_returned_state(self, opt, hp, scenario, check, inputs):
        sc = SCENARIOS[2]  # the lr-change trajectory
        problem = Quadratic(inputs)
        _, torch_state = run_oracle(opt, problem, hp, sc)
        keys = [k for k in opt.state_keys if k in torch_state]
        fn = _fn(opt)

        def state_of(m):
            state = run_impl(fn(m), problem, hp, sc)[1]
            return {k: state.get(k) for k in keys} if isinstance(state, dict) else state

        got = check.matches(
            state_of,
            f"{opt.function} state after {sc.steps} steps ({_describe(hp)})",
            expected={k: torch_state[k] for k in keys},
            check="returned state",
            hint=opt.hint(
                "state",
                "keys follow PyTorch; 'step' is a Python int counting completed steps; state "
                "tensors have the parameter's shape",
            ),
            **F64,
        )
        if "step" in keys:
            python_numbers(
                check,
                got["step"],
                int,
                f"{opt.function} state['step']",
                hint="count steps with a Python int (state.get('step', 0) + 1), not a float, a "
                "tensor or a NumPy number",
            )


# Parameters of each optimizer with its defaults: a few small-gradient steps, so that a wrong
# default eps or alpha shows.
DEFAULTS = [
    pytest.param(opt, id=opt.function, marks=pytest.mark.exercise(opt.exercise))
    for opt in OPTIMIZERS
    if opt.function != "sgd_step"
]


class TestDefaults:
    @pytest.mark.parametrize("opt", DEFAULTS)
    def test_default_hyperparameters(self, opt, check, inputs):
        problem = Quadratic(inputs, scale=1e-4)
        expected, _ = run_oracle(opt, problem, {}, Scenario("defaults", 4))

        def recipe(m):
            steps = _steps(getattr(m.optim, opt.function), problem, [{}] * 4)
            if any(edited for _, edited in steps):  # as run_impl: the edit, not its numbers
                return MODIFIED
            return [param for param, _ in steps[:-1]] + [steps[-1][0][0]]

        check.matches(
            recipe,
            f"{opt.function} with its default hyperparameters",
            expected=expected,
            check="defaults",
            **F64,
            hint=opt.hint(
                "defaults",
                "the defaults in the signature are PyTorch's (lr, betas/alpha, eps, "
                "weight_decay): keep them as documented",
            ),
        )


# -- arguments and state are never modified in place ------------------------------------------------
IN_PLACE = [
    pytest.param(
        opt,
        opt.in_place_hyperparameters(),
        id=opt.function,
        marks=pytest.mark.exercise(opt.exercise),
    )
    for opt in OPTIMIZERS
]


def _one_step(function: str, param, grad, state: dict, hp: dict) -> Callable:
    """A recipe for one call of the optimizer ``function`` on these arguments (each call gets
    its own, so a recipe weighed after the loop still reads this step's arguments)."""
    return lambda m: getattr(m.optim, function)(param, grad, state, **hp)


def _state_written(function: str, param, grad, state: dict, hp: dict) -> Callable:
    """A recipe for what one call of ``function`` leaves in a copy of ``state``, the dict it is
    given: the copy itself when the call writes nothing into it."""

    def recipe(m):
        given = callables.copy_value(state)
        getattr(m.optim, function)(param.clone(), grad.clone(), given, **hp)
        return given

    return recipe


class TestPure:
    @pytest.mark.ordinary  # every call edits what it edits, whatever its hyperparameters
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    @pytest.mark.parametrize("opt,hp", IN_PLACE)
    def test_arguments_and_state_unchanged(self, opt, hp, check, inputs):
        # Each step's tensors are checked by replaying the call, so that a failure says which
        # were edited and names the catalogued bug that edits the same ones.
        problem = Quadratic(inputs)
        p, state = problem.p0.clone(), {}
        for k in range(3):
            g = problem.grad(p)
            before = callables.copy_value(state)
            new_p, new_state = arguments_unchanged(
                check, _one_step(opt.function, p, g, state, hp), f"{opt.function} (step {k + 1})"
            )
            check.that(
                callables.same_value(before, state),
                f"{opt.function} changed the state dict it was given (step {k + 1})",
                check="arguments unchanged",
                hint="build and return a new dict ({**state, 'step': t} or dict(state)); "
                "the caller may still hold the old state",
                recipe=_state_written(opt.function, p, g, before, hp),
                got=callables.copy_value(state),
            )
            p, state = new_p, new_state
