"""The new generic kinds (issue 38): a slip written into the reference's own code
(``descent.diagnoses.mutant``), a log floored at a constant (a slip of the same module), a
gradient gated on the wrong band of its input (``descent.diagnoses.gate``), and the parameter
re-runs that read a mode flag or an eps. Each student below writes the whole function in their
own way with one mistake; the checks are two inputs, and the cause is named once verified on
both (``descent.diagnoses.verified``)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from descent import catalogue
from descent.calls.impl import FolderImplementation, PatchedImplementation
from descent.diagnoses import mutant as mutant_diagnoses
from descent.diagnoses.gate import gated_on_wrong_region
from descent.diagnoses.values import Inputs
from descent.diagnoses.verified import Ledger, settle
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure
from descent.kit import kit_root

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

REFERENCE = FolderImplementation(kit_root() / "solutions", "reference")
GEN = torch.Generator().manual_seed(11)


def _t(*shape):
    return torch.randn(*shape, generator=GEN, dtype=torch.float64)


def _named(exercise: str, function: str | dict, student, recipes) -> list[GradingFailure]:
    """Grade ``student`` (the exercise's ``function``; or a dict of functions by name, with no
    ``student``) on ``recipes``, then settle."""
    module = exercise.split(".")[0]
    functions = function if isinstance(function, dict) else {function: student}
    impl = PatchedImplementation(
        REFERENCE, "student", {(module, name): f for name, f in functions.items()}
    )
    book, failures = Ledger(exercise), []
    for recipe in recipes:
        try:
            Checker(impl, REFERENCE, exercise, ledger=book).matches(recipe, "the result")
        except GradingFailure as failure:
            book.reported(failure.resolve(), None)
            failures.append(failure)
    settle({("student", exercise): book}, REFERENCE)
    assert failures, "the student's code passed"
    return failures


def _steps(name, **hyper):
    """Recipes: four steps of an optimizer from two starts (parameters and gradients)."""

    def make(p0, grads):
        def recipe(m):
            p, state, out = p0, {}, []
            for g in grads:
                p, state = getattr(m.optim, name)(p, g, state, **hyper)
                out.append(p)
            return out

        return recipe

    return [make(_t(3, 4), [_t(3, 4) for _ in range(4)]) for _ in range(2)]


def _kinds(failures):
    return {f.diagnosis for f in failures}


def test_rmsprop_without_its_square_root_is_an_operation_left_out():
    def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        v = alpha * state.get("square_avg", torch.zeros_like(grad)) + (1 - alpha) * grad**2
        return param - lr * grad / (v + eps), {**state, "square_avg": v}

    failures = _named("optim.rmsprop", "rmsprop_step", rmsprop_step, _steps("rmsprop_step"))
    assert _kinds(failures) == {"omitted"} and "with no square root" in str(failures[0])


def test_the_learning_rate_where_one_minus_the_decay_belongs_is_a_swap():
    def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        v = alpha * state.get("square_avg", torch.zeros_like(grad)) + lr * grad * grad
        return param - lr * grad / (v.sqrt() + eps), {**state, "square_avg": v}

    # (alpha = 0.9: at the default 0.99, 1 - alpha is the default lr, and the slip is invisible)
    recipes = _steps("rmsprop_step", alpha=0.9)
    failures = _named("optim.rmsprop", "rmsprop_step", rmsprop_step, recipes)
    assert _kinds(failures) == {"swapped"}
    assert "`lr` used where `1 - alpha` belongs" in str(failures[0])


def test_adam_dividing_by_one_minus_beta_leaves_the_power_out():
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        t = state.get("step", 0) + 1
        m = b1 * state.get("exp_avg", torch.zeros_like(grad)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(grad)) + (1 - b2) * grad * grad
        update = (m / (1 - b1)) / ((v / (1 - b2)).sqrt() + eps)
        return param - lr * update, {"step": t, "exp_avg": m, "exp_avg_sq": v}

    def state_after_three(p0, grads):  # the step it stores advances as it should
        def recipe(m):
            p, state = p0, {}
            for g in grads:
                p, state = m.optim.adam_step(p, g, state, lr=0.1)
            return float(state["step"])

        return recipe

    recipes = _steps("adam_step", lr=0.1) + [state_after_three(_t(3, 4), [_t(3, 4)] * 3)]
    failures = _named("optim.adam", "adam_step", adam_step, recipes)
    # a counter that never advances gives the same parameters, but the passing state check
    # contradicts it: the power left out is the one explanation of every check
    assert _kinds(failures) == {"omitted"} and "every power `** t` left out" in str(failures[0])
    assert "(1 - beta1) instead of (1 - beta1 ** t)" in str(failures[0])  # the stub's names
    assert "first update" not in str(failures[0])


def _adam_then_state(p0, grads):
    """A recipe: the parameters after three Adam steps, and the step count stored."""

    def recipe(m):
        p, state = p0, {}
        for g in grads:
            p, state = m.optim.adam_step(p, g, state, lr=0.1)
        return [p, float(state["step"])]

    return recipe


def test_adam_whose_step_never_advances_is_frozen():
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        t = 1  # the count is stored but never read back
        m = b1 * state.get("exp_avg", torch.zeros_like(grad)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(grad)) + (1 - b2) * grad * grad
        update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
        return param - lr * update, {"step": t, "exp_avg": m, "exp_avg_sq": v}

    recipes = _steps("adam_step", lr=0.1) + [_adam_then_state(_t(3, 4), [_t(3, 4)] * 3)]
    failures = _named("optim.adam", "adam_step", adam_step, recipes)
    assert _kinds(failures) == {"frozen"} and "never incremented" in str(failures[0])


def test_adam_that_stores_its_step_count_as_it_read_it_is_frozen():
    # an optimizer object that computes t = self.t + 1 for the update but keeps self.t: the
    # stored count stays 0, so every step is bias-corrected as the first
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        count = state.get("step", 0)
        t = count + 1
        m = b1 * state.get("exp_avg", torch.zeros_like(grad)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(grad)) + (1 - b2) * grad * grad
        update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
        return param - lr * update, {"step": count, "exp_avg": m, "exp_avg_sq": v}

    recipes = _steps("adam_step", lr=0.1) + [_adam_then_state(_t(3, 4), [_t(3, 4)] * 3)]
    failures = _named("optim.adam", "adam_step", adam_step, recipes)
    assert _kinds(failures) == {"frozen"}, [str(f) for f in failures]
    assert "stored back as it was read" in str(failures[0])


def test_a_sum_of_squares_rebuilt_on_every_call_is_an_assignment_for_an_accumulation():
    def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
        s = grad * grad  # the running sum is overwritten, never added to
        return param - lr * grad / (s.sqrt() + eps), {**state, "step": 1, "sum": s}

    failures = _named("optim.adagrad", "adagrad_step", adagrad_step, _steps("adagrad_step"))
    assert _kinds(failures) <= {"accumulate", "argument"}, [str(f) for f in failures]
    assert "accumulate" in _kinds(failures) or "argument" in _kinds(failures)


def test_layer_norm_without_eps_is_an_eps_left_out():
    def layernorm_forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        xhat = (x - mu) / var.sqrt()
        return gamma * xhat + beta, (xhat, gamma, 1 / var.sqrt())

    def case(n, d):
        x, gamma, beta = 0.01 * _t(n, d), _t(d), _t(d)
        return lambda m: m.normalization.layernorm_forward(x, gamma, beta)[0]

    failures = _named(
        "normalization.layernorm", "layernorm_forward", layernorm_forward, [case(4, 5), case(6, 3)]
    )
    assert _kinds(failures) == {"eps"} and "`eps`" in str(failures[0])


def test_batch_norm_with_the_batch_statistics_in_evaluation_is_a_mode_slip():
    original = REFERENCE.module("normalization").batchnorm_forward

    def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, **kwargs):
        return original(x, gamma, beta, running_mean, running_var, True, **kwargs)

    def case(n, d):
        x, gamma, beta, rm, rv = _t(n, d), _t(d), _t(d), _t(d), _t(d).abs() + 0.5
        return lambda m: m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, False)[0]

    failures = _named(
        "normalization.batchnorm", "batchnorm_forward", batchnorm_forward, [case(5, 3), case(4, 6)]
    )
    assert _kinds(failures) == {"mode"}


def test_batch_statistics_in_evaluation_with_the_running_ones_kept_is_a_mode_slip():
    # the NumPy student: eval normalizes with the batch's statistics, while the running
    # statistics come back as they were (forcing `training` would also update them)
    original = REFERENCE.module("normalization").batchnorm_forward

    def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, **kwargs):
        y, new_mean, new_var, cache = original(x, gamma, beta, running_mean, running_var, True)
        if training:
            return y, new_mean, new_var, cache
        return y, running_mean.clone(), running_var.clone(), cache

    def case(n, d):
        x, gamma, beta, rm, rv = _t(n, d), _t(d), _t(d), _t(d), _t(d).abs() + 0.5
        return lambda m: m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, False)[:3]

    failures = _named(
        "normalization.batchnorm", "batchnorm_forward", batchnorm_forward, [case(5, 3), case(4, 6)]
    )
    assert _kinds(failures) == {"mode"} and "running statistics" in str(failures[0])


def test_the_log_of_a_softmax_clamped_at_a_floor_is_a_clamp():
    def log_softmax_forward(x, dim=-1):
        p = torch.softmax(x, dim)
        return torch.log(p.clamp(min=1e-10)), (p,)

    def case(n, c):
        x = 40 * _t(n, c)  # logits far apart: some probabilities under the floor
        return lambda m: m.losses.log_softmax_forward(x)[0]

    failures = _named(
        "losses.log_softmax", "log_softmax_forward", log_softmax_forward, [case(4, 5), case(3, 6)]
    )
    # the values themselves show the floor (a fact of the check), and the slip reproduces them
    assert _kinds(failures) == {"clamp"} and "at 1e-10" in str(failures[0])


@pytest.mark.parametrize("floor", [1e-12, 1e-13])  # (issue 57) a floor of any power of ten
def test_a_cross_entropy_through_the_log_of_a_softmax_plus_a_floor_is_a_clamp(floor):
    # (issue 50) log(softmax + 1e-12), as real learners write it: every loss moves a little,
    # and one whose probability underflows stops near 27.63
    def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
        e = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
        p = e / e.sum(dim=1, keepdim=True)
        picked = p[torch.arange(logits.shape[0]), target]
        return -torch.log(picked + floor).mean(), (p, target)

    def case(n, c, scale):
        x, y = scale * _t(n, c), torch.randint(c, (n,), generator=GEN)
        return lambda m: m.losses.cross_entropy_forward(x, y)[0]

    def small(gaps):  # true-class probabilities near 1e-10: the added 1e-12 moves the loss
        x = torch.tensor([[0.0, -g] for g in gaps], dtype=torch.float64)
        y = torch.ones(len(gaps), dtype=torch.int64)
        return lambda m: m.losses.cross_entropy_forward(x, y)[0]

    recipes = [case(5, 3, 60.0), small([23.0, 21.0, 20.0]), small([22.0, 24.0])]
    failures = _named(
        "losses.cross_entropy", "cross_entropy_forward", cross_entropy_forward, recipes
    )
    assert _kinds(failures) == {"clamp"} and f"log(p + {floor:g})" in str(failures[0])


def test_a_gradient_gated_between_zero_and_one_is_read_as_a_gate():
    x = torch.linspace(-2, 2, 12, dtype=torch.float64).reshape(3, 4)
    dy = torch.full_like(x, 1.5)
    expected = torch.where(x > 0, dy, torch.zeros_like(dy))
    got = torch.where(x > 1, dy, torch.zeros_like(dy))
    found = gated_on_wrong_region(expected, got, Inputs(tensors=[("x", x)]))
    assert found.kind == "gate" and "zero exactly where `x` is between 0 and 1" in found.text
    assert gated_on_wrong_region(expected, expected * 2, Inputs(tensors=[("x", x)])) is None


def test_texts_quote_only_what_the_students_stub_shows():
    texts = [m.text for m in mutant_diagnoses.mutants(REFERENCE, "optim.adam")]
    assert any("`beta1 ** t`" in t for t in texts)  # in adam_step's docstring
    assert not any("bias1" in t or "denom" in t for t in texts)  # the reference's own names
    assert math.isfinite(len(texts)) and len(texts) <= mutant_diagnoses.MAX_MUTANTS


def _backward_cases(name, forward_args):
    """Recipes: the backward of ``name`` on two inputs, through the student's own forward."""

    def make(x, dy):
        def recipe(m):
            module = m.activations
            _, cache = getattr(module, f"{name}_forward")(x, *forward_args)
            return getattr(module, f"{name}_backward")(dy, cache)

        return recipe

    return [make(_t(4, 5), _t(4, 5)), make(_t(3, 6), _t(3, 6))]


def test_a_relu_gradient_gated_on_the_upstream_gradient_is_a_gate():
    def relu_backward(dy, cache):
        return torch.where(dy > 0, dy, torch.zeros_like(dy))  # tested on dy, not on x

    failures = _named(
        "activations.relu", "relu_backward", relu_backward, _backward_cases("relu", ())
    )
    assert _kinds(failures) == {"gate"} and "tested on `dy` where it belongs on `x`" in str(
        failures[0]
    )


def test_leaky_relu_branches_exchanged_are_a_branch_slip():
    def leaky_relu_backward(dy, cache):
        x, slope = cache
        return torch.where(x > 0, slope * dy, dy)

    failures = _named(
        "activations.leaky_relu",
        "leaky_relu_backward",
        leaky_relu_backward,
        _backward_cases("leaky_relu", (0.1,)),
    )
    assert _kinds(failures) == {"branch"} and "branches of a choice exchanged" in str(failures[0])


X_ONE, DY_ONE = _t(4, 5), _t(4, 5)  # module globals: a recipe over them has no neighbour


def test_a_slip_of_a_general_kind_needs_two_inputs_and_a_specific_one_is_named_on_one():
    def leaky_relu_backward(dy, cache):
        x, slope = cache
        return torch.where(x > 0, slope * dy, dy)  # the branches exchanged: kind branch

    def one(m):
        _, cache = m.activations.leaky_relu_forward(X_ONE, 0.1)
        return m.activations.leaky_relu_backward(DY_ONE, cache)

    alone = _named("activations.leaky_relu", "leaky_relu_backward", leaky_relu_backward, [one])
    assert _kinds(alone) == {None}  # one input: exchanged branches or some other slip
    both = _named(
        "activations.leaky_relu",
        "leaky_relu_backward",
        leaky_relu_backward,
        _backward_cases("leaky_relu", (0.1,)),
    )
    assert _kinds(both) == {"branch"}

    def relu_backward(dy, cache):
        return torch.where(dy > 0, dy, torch.zeros_like(dy))  # gated on dy: kind gate

    def once(m):
        _, cache = m.activations.relu_forward(X_ONE)
        return m.activations.relu_backward(DY_ONE, cache)

    assert _kinds(_named("activations.relu", "relu_backward", relu_backward, [once])) == {"gate"}


def test_a_schedule_that_counts_one_drop_too_many_is_a_power_one_too_high():
    # counts a drop at every s % step_size == 0 up to the step, step 0 included: every rate has
    # one drop too many
    def step_lr(step, base_lr, step_size, gamma=0.1):
        drops = sum(1 for s in range(step + 1) if s % step_size == 0)
        return float(base_lr * gamma**drops)

    def rates(step_size, *gamma):
        return lambda m: [m.schedules.step_lr(s, 0.3, step_size, *gamma) for s in range(15)]

    # (with gamma passed on every check, "times `gamma`" reads the values as well: a factor; the
    # default gamma's check reads as a constant, and only the slip explains both)
    failures = _named("schedules.step_lr", "step_lr", step_lr, [rates(3, 0.5), rates(4)])
    assert _kinds(failures) == {"step"}, [str(f) for f in failures]
    assert "a power one too high" in str(failures[0])


def test_early_stopping_whose_best_never_moves_is_frozen():
    # records the improving epoch but never lowers best: every epoch is compared with epoch 0
    def early_stopping(val_losses, patience, min_delta=0.0):
        losses = [float(v) for v in val_losses]
        best, best_epoch = losses[0], 0
        for epoch in range(1, len(losses)):
            if losses[epoch] < best - min_delta:
                best_epoch = epoch
            elif epoch - best_epoch == patience:
                return epoch, best_epoch
        return None, best_epoch

    def every_prefix(losses, patience):  # (stop, best) after each epoch: enough to tell slips
        return lambda m: [
            m.regularization.early_stopping(losses[:k], patience) for k in range(1, len(losses))
        ]

    recipes = [
        every_prefix([4.0, 3.0, 3.5, 2.5, 2.75, 2.9, 2.0, 2.2, 2.3], 2),
        every_prefix([1.0, 0.9, 0.95, 0.8, 0.85, 0.7, 0.75, 0.76, 0.77], 3),
    ]
    failures = _named("regularization.early_stopping", "early_stopping", early_stopping, recipes)
    assert _kinds(failures) == {"frozen"}, [str(f) for f in failures]
    assert "`best` never updated" in str(failures[0])


def test_a_short_batch_averaged_over_batch_size_is_a_piece_taken_for_the_whole():
    # averages every batch's gradient over batch_size, the short last batch included
    def train_linear_regression(X, y, lr, epochs, batch_size, generator):
        w, b, losses = X.new_zeros(X.shape[1]), X.new_zeros(()), []
        for _ in range(epochs):
            for idx in torch.randperm(X.shape[0], generator=generator).split(batch_size):
                r = X[idx] @ w + b - y[idx]
                losses.append(float((r * r).mean()))
                w = w - lr * (2 / batch_size) * (X[idx].T @ r)
                b = b - lr * (2 / batch_size) * r.sum()
        return w, b, losses

    def run(n, batch_size):
        X, y = _t(n, 3), _t(n)
        return lambda m: m.regression.train_linear_regression(
            X, y, 0.05, 2, batch_size, torch.Generator().manual_seed(3)
        )

    failures = _named(
        "regression.train_linear_regression",
        "train_linear_regression",
        train_linear_regression,
        [run(11, 4), run(17, 5)],
    )
    assert _kinds(failures) == {"edge"}, [str(f) for f in failures]
    assert "`batch_size` used where the length of each piece belongs" in str(failures[0])


# -- slips written into correct code of another form (the exercise's catalogued alternatives) ---
def _graded(exercise: str, functions: dict, recipes) -> list[GradingFailure]:
    """``_named`` for a student who replaces several functions (``{name: object}``), with the
    catalogue loaded (its alternatives are where these slips are written)."""
    catalogue.load(kit_root() / "graders" / "catalogue")
    return _named(exercise, functions, None, recipes)


def test_slips_written_into_an_alternative_leave_the_alternative_as_catalogued():
    # the alternative's source carries its @variant.replaces lines: compiled again with a slip,
    # they would register the slipped copy as the alternative (which then failed its own tests)
    catalogue.load(kit_root() / "graders" / "catalogue")
    variant = catalogue.get("relu_mask_from_output")
    before = dict(variant.functions)
    written = list(mutant_diagnoses._written(variant.apply(REFERENCE), "activations.relu", True))
    assert written, "no slip written into the alternative: the test checks nothing"
    assert variant.functions == before


def _layernorm(dxhat_of):
    """A textbook layer norm whose backward takes ``dxhat_of(dy, gamma)`` for dy * gamma."""

    def layernorm_forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(-1, keepdim=True)
        std = (((x - mu) ** 2).mean(-1, keepdim=True) + eps).sqrt()
        xhat = (x - mu) / std
        return gamma * xhat + beta, (xhat, gamma, std)

    def layernorm_backward(dy, cache):
        xhat, gamma, std = cache
        g = dxhat_of(dy, gamma)
        dx = (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True)) / std
        flat = dy.reshape(-1, dy.shape[-1])
        return dx, (flat * xhat.reshape(flat.shape)).sum(0), flat.sum(0)

    return {"layernorm_forward": layernorm_forward, "layernorm_backward": layernorm_backward}


def test_a_layer_norm_backward_without_gamma_is_a_factor_left_out():
    def case(n, d):
        x, gamma, beta, dy = _t(n, d), _t(d), _t(d), _t(n, d)

        def recipe(m):
            y, cache = m.normalization.layernorm_forward(x, gamma, beta)
            return m.normalization.layernorm_backward(dy, cache)

        return recipe

    functions = _layernorm(lambda dy, gamma: dy)  # dy where dy * gamma belongs
    failures = _graded("normalization.layernorm", functions, [case(4, 5), case(6, 3)])
    assert _kinds(failures) == {"factor"}
    assert "the factor `gamma` left out" in str(failures[0])
    assert "a correct solution written another way" in str(failures[0])


def _residual(db2_dim):
    def residual_block_forward(x, W1, b1, W2, b2):
        z = x @ W1.T + b1
        a = z.clamp(min=0)
        return x + a @ W2.T + b2, (x, W1, W2, z, a)

    def residual_block_backward(dy, cache):
        x, W1, W2, z, a = cache
        dz = (dy @ W2) * (z > 0)
        return dy + dz @ W1, dz.T @ x, dz.sum(0), dy.T @ a, dy.sum(db2_dim)

    return {
        "residual_block_forward": residual_block_forward,
        "residual_block_backward": residual_block_backward,
    }


def test_a_bias_gradient_summed_over_the_features_is_a_reduction_over_another_axis():
    def case(n, d, h):
        x, W1, b1, W2, b2, dy = _t(n, d), _t(h, d), _t(h), _t(d, h), _t(d), _t(n, d)

        def recipe(m):
            _, cache = m.layers.residual_block_forward(x, W1, b1, W2, b2)
            return m.layers.residual_block_backward(dy, cache)

        return recipe

    failures = _graded("layers.residual_block", _residual(1), [case(5, 3, 4), case(7, 4, 6)])
    assert _kinds(failures) == {"reduction"}
    assert "a sum over dimension 1 where it belongs over dimension 0" in str(failures[0])


def _inputs_first(root):
    """Every node ``root`` depends on, each after its inputs (an explicit stack)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif id(v) not in seen:
            seen.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c in v.children)
    return order


def _engine(relu_gate=0.0, log_local=None, divisor_top=None):
    """A micrograd-style Value (a closure per operation), with the slips asked for."""

    class Value:
        def __init__(self, data, children=()):
            self.data, self.grad, self.children = float(data), 0.0, tuple(children)
            self._backward = lambda: None

        def _lift(self, v):
            return v if isinstance(v, Value) else type(self)(v)

        def _node(self, data, children, push):
            out = type(self)(data, children)
            out._backward = lambda: push(out)
            return out

        def __add__(self, o):
            o = self._lift(o)

            def push(out):
                self.grad += out.grad
                o.grad += out.grad

            return self._node(self.data + o.data, (self, o), push)

        __radd__ = __add__

        def __mul__(self, o):
            o = self._lift(o)

            def push(out):
                self.grad += o.data * out.grad
                o.grad += self.data * out.grad

            return self._node(self.data * o.data, (self, o), push)

        __rmul__ = __mul__

        def __truediv__(self, o):
            o = self._lift(o)
            top = self.data if divisor_top is None else divisor_top

            def push(out):
                self.grad += out.grad / o.data
                o.grad += -top / o.data**2 * out.grad

            return self._node(self.data / o.data, (self, o), push)

        def log(self):
            def push(out):
                self.grad += (log_local(self, out) if log_local else 1 / self.data) * out.grad

            return self._node(math.log(self.data), (self,), push)

        def relu(self):
            def push(out):
                self.grad += (self.data > relu_gate) * out.grad

            return self._node(max(self.data, 0.0), (self,), push)

        def backward(self):
            self.grad = 1.0
            for v in reversed(_inputs_first(self)):
                v._backward()

    return Value


def _value_recipes(build, points):
    """Recipes: the grads of every node ``build`` returns (the last is the output)."""

    def recipe_at(*leaves):
        def recipe(m):
            nodes = build(*[m.autograd.Value(v) for v in leaves])
            nodes[-1].backward()
            return [v.grad for v in nodes]

        return recipe

    return [recipe_at(*p) for p in points]


def _relu_graph(a, b):
    c = a * b
    r = c.relu()
    return [a, b, c, r, r * 1.5 + c * a]


def _log_graph(a, b):
    c = a * b
    g = c.log()
    return [a, b, c, g, g * 1.5 + c * b]


def _quotient_graph(a, b):
    q = a / b
    p = a * b
    return [a, b, q, p, q * p + q]


def test_a_relu_gradient_gated_above_one_in_a_closure_is_a_gate():
    failures = _graded(
        "autograd.value",
        {"Value": _engine(relu_gate=1.0)},
        _value_recipes(_relu_graph, [(0.6, 1.2), (0.3, 2.5), (1.7, 0.9)]),
    )
    assert _kinds(failures) == {"gate"}


def test_a_log_derivative_written_with_the_output_is_another_quantity():
    failures = _graded(
        "autograd.value",
        {"Value": _engine(log_local=lambda node, out: 1 / out.data)},
        _value_recipes(_log_graph, [(0.3, 0.7), (2.2, 1.4)]),
    )
    assert _kinds(failures) == {"argument"}
    assert "another quantity of the operation" in str(failures[0])


def test_a_divisor_gradient_without_its_numerator_is_a_factor_left_out():
    class Value(_engine()):
        def __truediv__(self, o):  # the divisor's derivative written -1 / b**2
            o = self._lift(o)

            def push(out):
                self.grad += out.grad / o.data
                o.grad += -1 / o.data**2 * out.grad

            return self._node(self.data / o.data, (self, o), push)

    failures = _graded(
        "autograd.value",
        {"Value": Value},
        _value_recipes(_quotient_graph, [(1.3, -0.45), (2.0, 0.8)]),
    )
    assert _kinds(failures) == {"factor"}
    assert "left out" in str(failures[0])


def test_a_backward_pass_in_topological_order_gets_no_slip_of_the_walk():
    class Value(_engine()):
        def backward(self):
            self.grad = 1.0
            for v in _inputs_first(self):  # not reversed
                v._backward()

    failures = _graded(
        "autograd.value",
        {"Value": Value},
        _value_recipes(_quotient_graph, [(1.3, -0.45), (2.0, 0.8)]),
    )
    # a walk's bookkeeping changed (a membership test, a count of users) can mimic this
    # mistake; it names no gate, no count one off and no other quantity
    assert not _kinds(failures) & {"gate", "step", "frozen", "argument"}


def test_a_floor_raised_above_the_formulas_is_a_clamp():
    def relative_error(a, b):
        return ((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max().item()

    def case(tiny):
        a = torch.tensor([0.0, tiny, 2.0, 0.0], dtype=torch.float64)
        b = torch.tensor([0.0, 0.0, 2.0 + 2e-9, 0.0], dtype=torch.float64)
        return lambda m: m.layers.relative_error(a, b)

    failures = _graded(
        "layers.relative_error", {"relative_error": relative_error}, [case(1e-20), case(3e-19)]
    )
    assert _kinds(failures) == {"clamp"} and "a floor higher than the 1e-12" in str(failures[0])


def test_an_argument_read_transposed_warns_for_no_rank():
    """The slip reads an argument as ``.T`` does (the axes reversed, a matrix's rows for its
    columns) without torch's deprecation warning of ``.T`` on a tensor that is not 2-D, which
    every audit printed: a vector or a scalar comes through unchanged, a 3-D tensor reversed."""
    from descent.diagnoses.rerun import transposed

    slipped = [
        m for m in mutant_diagnoses.mutants(REFERENCE, "losses.mse") if m.text == transposed("pred")
    ]
    assert len(slipped) == 1
    forward = slipped[0].apply(REFERENCE).module("losses").mse_forward
    reference = REFERENCE.module("losses").mse_forward
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch warns of .T once a process: any test may have seen it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for shape in [(), (5,), (3, 4), (2, 3, 4)]:
                pred = torch.randn(shape, generator=GEN, dtype=torch.float64)
                target = torch.randn(shape[::-1], generator=GEN, dtype=torch.float64)
                reversed_pred = pred.permute(tuple(range(pred.ndim - 1, -1, -1)))
                got, expected = forward(pred, target)[0], reference(reversed_pred, target)[0]
                assert torch.equal(got, expected), shape
    finally:
        torch.set_warn_always(always)
