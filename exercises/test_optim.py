"""Public checks for starter/optim.py.

Each optimizer gets a first step you can work out on paper and a short run beside the PyTorch
optimizer of the same name. The hidden graders go further (long trajectories, a learning rate
that changes midway, tiny and zero gradients, weight decay, the state you return, arguments left
untouched), so passing here is necessary, not sufficient.

Run with ``pytest exercises/test_optim.py``; add ``-k adam`` to focus on one exercise.
"""

import pytest
import torch

from descent.grading.checker import Mistake

from . import T, python_numbers


P0 = T(0.3, -1.2, 2.0)


def grad(p):
    """The gradient of the loss sum(p^4)/4 - sum(p)."""
    return p ** 3 - 1


def torch_optim_run(cls_name, hp, steps=5):
    """The parameters after each of ``steps`` steps of ``torch.optim.<cls_name>(**hp)`` from P0."""
    q = P0.clone().requires_grad_(True)
    opt = getattr(torch.optim, cls_name)([q], **hp)
    out = []
    for _ in range(steps):
        q.grad = grad(q.detach())
        opt.step()
        out.append(q.detach().clone())
    return out


# What torch_optim_run gives for each optimizer below, written out: building a first torch.optim
# optimizer loads torch's compiler, which would add about a second to every run of these tests.
# The kit's own tests check that these are still exactly what torch.optim computes.
TORCH_OPTIM = {
    "sgd_step": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), [
        T(0.392435, -0.94084, 1.335),
        T(0.5210999809975633, -0.6562387970734531, 0.920469314375),
        T(0.6761754224134222, -0.3607264466158046, 0.6303702365357663),
        T(0.8427410670513971, -0.05302352176335844, 0.4305793101008934),
        T(0.9997022837757208, 0.27181101718324086, 0.30445570703796443)]),
    "adagrad_step": ("Adagrad", dict(lr=0.1), [
        T(0.39999999998972247, -1.1000000000036656, 1.9000000000014285),
        T(0.4693271521603429, -1.035037988662285, 1.8358157709563614),
        T(0.5246493735299154, -0.9843698218553625, 1.7864111925232928),
        T(0.5713338916185567, -0.9418752205802627, 1.7455464426546137),
        T(0.6119048807598122, -0.9047984257997482, 1.7104004418617373)]),
    "rmsprop_step": ("RMSprop", dict(lr=0.01), [
        T(0.3999999897225087, -1.100000003665689, 1.9000000014285714),
        T(0.46950787507089997, -1.034849437984479, 1.835626222627409),
        T(0.5251179365591249, -0.9838934423808176, 1.7859373603218214),
        T(0.5721643390732455, -0.9410404476787481, 1.7447256393177724),
        T(0.6131500285569665, -0.9035488334522845, 1.709186634664677)]),
    "adam_step": ("Adam", dict(lr=0.05), [
        T(0.34999999948612537, -1.1500000001832844, 1.9500000000714286),
        T(0.39997686983804476, -1.1001416647620106, 1.9001610835957594),
        T(0.44990320590734156, -1.0505156709884629, 1.8505985054313805),
        T(0.4997392907245123, -1.0012075554685824, 1.8014320679984563),
        T(0.5494296941079735, -0.952296039106999, 1.7527847775740302)]),
    "adamw_step": ("AdamW", dict(lr=0.05, weight_decay=0.1), [
        T(0.34849999948612537, -1.1440000001832844, 1.9400000000714286),
        T(0.3967352327298188, -1.0884437368597568, 1.8805055429020612),
        T(0.4446812828297933, -1.0334317357868794, 1.8216617090641125),
        T(0.49230298535982703, -0.9790562380110827, 1.7636185789063674),
        T(0.5395518280079675, -0.9253992267781552, 1.7065289991219208)]),
}


def run_both(name):
    """(our recipe, torch.optim's parameters) for 5 steps of ``name`` with the hyperparameters
    of TORCH_OPTIM, on the loss sum(p^4)/4 - sum(p) from P0."""
    _, hp, expected = TORCH_OPTIM[name]

    def recipe(m):
        # a copy: code that edits its parameter in place must not move P0 for the next run
        fn, p, state, out = getattr(m.optim, name), P0.clone(), {}, []
        for _ in expected:
            p, state = fn(p, grad(p), state, **hp)
            out.append(p)
        return out

    return recipe, expected


@pytest.mark.exercise("optim.sgd")
class TestSGD:
    def test_plain_step_by_hand(self, check):
        # p - lr * g = [1, -2] - 0.1 * [0.5, 1] = [0.95, -2.1]
        check.matches(lambda m: m.optim.sgd_step(T(1.0, -2.0), T(0.5, 1.0), {}, lr=0.1)[0],
                      "sgd_step without momentum", expected=T(0.95, -2.1))

    def test_two_momentum_steps_by_hand(self, check):
        # step 1: buffer = g1 = [1, 1]           -> p = [0, 0] - 0.1 * [1, 1] = [-0.1, -0.1]
        # step 2: buffer = 0.9 * [1, 1] + [2, 0] = [2.9, 0.9] -> p = [-0.39, -0.19]
        def recipe(m):
            p, s = m.optim.sgd_step(T(0.0, 0.0), T(1.0, 1.0), {}, lr=0.1, momentum=0.9)
            return m.optim.sgd_step(p, T(2.0, 0.0), s, lr=0.1, momentum=0.9)[0]
        check.matches(recipe, "sgd_step after two momentum steps", expected=T(-0.39, -0.19))

    def test_dampening_weight_decay_and_a_new_lr(self, check):
        # p = 1, g = 0 twice, weight_decay 0.5 (g + 0.5 p), momentum 0.9, dampening 0.5:
        # step 1 (lr 0.1): buffer = 0.5 (no dampening on the first step), p = 0.95
        # step 2 (lr 0.2): buffer = 0.9 * 0.5 + 0.5 * (0.5 * 0.95) = 0.6875, p = 0.95 - 0.1375
        def recipe(m):
            hp = dict(momentum=0.9, dampening=0.5, weight_decay=0.5)
            p, s = m.optim.sgd_step(T(1.0), T(0.0), {}, lr=0.1, **hp)
            return m.optim.sgd_step(p, T(0.0), s, lr=0.2, **hp)[0]
        check.matches(recipe, "two sgd_step calls with dampening, weight decay and lr 0.1 then 0.2",
                      expected=T(0.8125),
                      hint="weight decay joins the gradient before the momentum buffer; the "
                           "first step's buffer is the gradient itself (no dampening); the "
                           "buffer holds no learning rate, so a new lr applies to all of it")

    def test_three_nesterov_steps_by_hand(self, check):
        # momentum 0.9, lr 0.1, gradients [1, 1], [2, 0], [0, 1]; b = 0.9 b_old + g and the
        # direction d = g + 0.9 b with the *updated* buffer b:
        # b = [1, 1]       d = [1.9, 1.9]     p = [-0.19, -0.19]
        # b = [2.9, 0.9]   d = [4.61, 0.81]   p = [-0.651, -0.271]
        # b = [2.61, 1.81] d = [2.349, 2.629] p = [-0.8859, -0.5339]
        def recipe(m):
            p, s = T(0.0, 0.0), {}
            for g in (T(1.0, 1.0), T(2.0, 0.0), T(0.0, 1.0)):
                p, s = m.optim.sgd_step(p, g, s, lr=0.1, momentum=0.9, nesterov=True)
            return p
        check.matches(recipe, "three Nesterov sgd_step calls (momentum 0.9, lr 0.1)",
                      expected=T(-0.8859, -0.5339), mistakes=[
                          Mistake("sgd_nesterov_ignored", "moves along the buffer itself when "
                                  "nesterov=True: the flag ignored, or the direction g + "
                                  "momentum * b taken with the buffer from before this step (the "
                                  "same numbers: classical momentum)",
                                  "with nesterov=True the direction is g + momentum * b, b the "
                                  "buffer already updated this step", T(-0.651, -0.371)),
                          Mistake("sgd_nesterov_old_buffer", "takes the direction g + momentum "
                                  "* b with the buffer from before this step (the new one on "
                                  "the first step)",
                                  "update the buffer first, b = momentum * b + g, then d = g + "
                                  "momentum * b with that new b", T(-0.741, -0.461))])

    def test_nesterov_matches_torch(self, check):
        recipe, expected = run_both("sgd_step")
        check.matches(recipe, "5 Nesterov steps against torch.optim.SGD", expected=expected)


@pytest.mark.exercise("optim.adagrad")
class TestAdagrad:
    def test_first_step_by_hand(self, check):
        # sum = g^2, so the first step is lr * g / |g| = lr * sign(g) (eps is negligible)
        check.matches(lambda m: m.optim.adagrad_step(T(1.0, 2.0), T(3.0, -4.0), {}, lr=0.1)[0],
                      "adagrad_step first step", expected=T(0.9, 2.1))

    def test_tiny_gradient_and_weight_decay(self, check):
        # g = 1e-10 = eps: sum = 1e-20, sqrt(sum) + eps = 2e-10, step = 0.1 / 2; eps inside the
        # root would give sqrt(1e-20 + 1e-10) = 1e-5 and a step of 1e-6
        check.matches(lambda m: m.optim.adagrad_step(T(1.0), T(1e-10), {}, lr=0.1)[0],
                      "adagrad_step with a gradient of 1e-10 (the default eps)",
                      expected=T(0.95), mistakes=[
                          Mistake("adagrad_eps_inside_sqrt", "puts eps inside the square root",
                                  "add eps after the root: sqrt(sum) + eps",
                                  T(1.0 - 0.1 * 1e-10 / (1e-20 + 1e-10) ** 0.5))],
                      hint="eps defaults to 1e-10 and is added after the square root")
        # weight decay 1: g' = g + p = 2 is what accumulates: step = 0.1 * 2 / sqrt(4) = 0.1
        check.matches(lambda m: m.optim.adagrad_step(T(1.0), T(1.0), {}, lr=0.1,
                                                     weight_decay=1.0)[0],
                      "adagrad_step with weight_decay=1", expected=T(0.9),
                      hint="the decayed gradient g + weight_decay * p is the one squared into sum")

    def test_matches_torch(self, check):
        recipe, expected = run_both("adagrad_step")
        check.matches(recipe, "5 steps against torch.optim.Adagrad", expected=expected)


@pytest.mark.exercise("optim.rmsprop")
class TestRMSprop:
    def test_first_step_by_hand(self, check):
        # v = (1 - 0.99) g^2, sqrt(v) = 0.1 |g|, step = 0.01 * g / (0.1 |g| + eps): 0.1 * sign(g)
        # for g = 3 and -4; for g = 1e-3 (an everyday gradient entry) sqrt(v) = 1e-4, where eps
        # = 1e-8 outside the root changes the step by 1e-4 of it, inside by 30 percent
        g = T(3.0, -4.0, 1e-3)
        step = 0.01 * g / ((0.01 * g * g) ** 0.5 + 1e-8)
        check.matches(lambda m: m.optim.rmsprop_step(T(1.0, 2.0, 0.5), g, {})[0],
                      "rmsprop_step first step with the defaults", expected=T(1.0, 2.0, 0.5) - step,
                      mistakes=[Mistake("rmsprop_eps_inside_sqrt", "puts eps inside the square root",
                                        "add eps after the root: sqrt(square_avg) + eps",
                                        T(1.0, 2.0, 0.5) - 0.01 * g / (0.01 * g * g + 1e-8) ** 0.5)])

    def test_tiny_gradient(self, check):
        # g = 1e-8 = eps: v = 0.01 * 1e-16, sqrt(v) = 1e-9, step = 0.01 * 1e-8 / 1.1e-8
        check.matches(lambda m: m.optim.rmsprop_step(T(1.0), T(1e-8), {})[0],
                      "rmsprop_step with a gradient of 1e-8 (the default eps)",
                      expected=T(1.0 - 0.01 / 1.1), mistakes=[
                          Mistake("rmsprop_eps_inside_sqrt", "puts eps inside the square root",
                                  "add eps after the root: sqrt(square_avg) + eps",
                                  T(1.0 - 0.01 * 1e-8 / (1e-18 + 1e-8) ** 0.5))])

    def test_matches_torch(self, check):
        recipe, expected = run_both("rmsprop_step")
        check.matches(recipe, "5 steps against torch.optim.RMSprop", expected=expected)


@pytest.mark.exercise("optim.adam")
class TestAdam:
    def test_first_step_by_hand(self, check):
        # bias-corrected m_hat = g and v_hat = g^2 on step 1, so the step is lr * sign(g)
        # Without the bias correction m = 0.1 g and v = 0.001 g^2, so the step is
        # lr * 0.1 / sqrt(0.001) ~ 0.316 (times the sign of g); correcting m alone gives ~3.16.
        p, g = T(1.0, -1.0), T(2.0, -0.5)
        check.matches(lambda m: m.optim.adam_step(p, g, {}, lr=0.1)[0],
                      "adam_step first step", expected=T(0.9, -0.9), mistakes=[
                          Mistake("adam_no_bias_correction", "leaves out the bias correction",
                                  "divide m by 1 - beta1**t and v by 1 - beta2**t, with t = 1 "
                                  "on the first step: both moments start at zero and stay "
                                  "too small until corrected",
                                  p - 0.1 * (0.1 * g) / (0.001 * g * g).sqrt()),
                          Mistake("adam_only_m_corrected",
                                  "bias-corrects the first moment but not the second",
                                  "v needs its own correction: v_hat = v / (1 - beta2**t)",
                                  p - 0.1 * g / (0.001 * g * g).sqrt())])

    def test_tiny_gradient(self, check):
        # g = 1e-8 = eps: m_hat = g, sqrt(v_hat) = 1e-8, step = 0.1 * 1e-8 / 2e-8 = 0.05
        check.matches(lambda m: m.optim.adam_step(T(1.0), T(1e-8), {}, lr=0.1)[0],
                      "adam_step with a gradient of 1e-8 (the default eps)", expected=T(0.95),
                      hint="eps is added to sqrt(v_hat), after the root and after the bias "
                           "correction, in the denominator only")

    def test_weight_decay_through_the_gradient(self, check):
        # g = 0, p = 1, weight_decay 0.5: g' = 0.5, so the first step is lr * sign(g') = 0.1
        check.matches(lambda m: m.optim.adam_step(T(1.0), T(0.0), {}, lr=0.1,
                                                  weight_decay=0.5)[0],
                      "adam_step with weight_decay=0.5 and a zero gradient", expected=T(0.9),
                      hint="Adam's weight decay is L2: add weight_decay * p to the gradient "
                           "(shrinking the parameter directly is AdamW)")

    @pytest.mark.supporting()  # a constant counter of 1 passes it
    def test_step_counter(self, check):
        check.matches(lambda m: m.optim.adam_step(T(1.0), T(2.0), {})[1]["step"],
                      "state['step'] after the first call", expected=1)

    def test_matches_torch(self, check):
        recipe, expected = run_both("adam_step")
        check.matches(recipe, "5 steps against torch.optim.Adam", expected=expected)


@pytest.mark.exercise("optim.adamw")
class TestAdamW:
    def test_zero_gradient_only_decays(self, check):
        # nothing to follow, so the parameter just shrinks by 1 - lr * weight_decay = 0.95
        check.matches(lambda m: m.optim.adamw_step(T(1.0, -2.0), T(0.0, 0.0), {}, lr=0.1,
                                                   weight_decay=0.5)[0],
                      "adamw_step with a zero gradient", expected=T(0.95, -1.9))

    def test_matches_torch(self, check):
        recipe, expected = run_both("adamw_step")
        check.matches(recipe, "5 steps against torch.optim.AdamW", expected=expected)


# Every optimizer, like the hidden graders: three steps with momentum and weight decay, each
# leaving its parameter, its gradient and the state it was given as they were.
@pytest.mark.supporting()  # code that computes nothing edits nothing
@pytest.mark.parametrize("name,hp", [
    pytest.param("sgd_step", dict(lr=0.1, momentum=0.9, weight_decay=0.1), id="sgd",
                 marks=pytest.mark.exercise("optim.sgd")),
    pytest.param("adagrad_step", dict(lr=0.1, weight_decay=0.1), id="adagrad",
                 marks=pytest.mark.exercise("optim.adagrad")),
    pytest.param("rmsprop_step", dict(lr=0.01, weight_decay=0.1), id="rmsprop",
                 marks=pytest.mark.exercise("optim.rmsprop")),
    pytest.param("adam_step", dict(lr=0.05, weight_decay=0.1), id="adam",
                 marks=pytest.mark.exercise("optim.adam")),
    pytest.param("adamw_step", dict(lr=0.05, weight_decay=0.1), id="adamw",
                 marks=pytest.mark.exercise("optim.adamw")),
])
def test_arguments_and_state_unchanged(name, hp, check):
    fn = getattr(check.impl.optim, name)
    p, state = P0.clone(), {}  # a copy: the check must see an edit, not pass it on to P0
    for k in range(3):
        g = grad(p)
        before = {key: v.clone() if isinstance(v, torch.Tensor) else v for key, v in state.items()}
        tensors = [v for v in state.values() if isinstance(v, torch.Tensor)]
        with check.unmodified(p, g, *tensors, who=f"{name} (step {k + 1})"):
            new_p, new_state = fn(p, g, state, **hp)
        check.that(state.keys() == before.keys() and all(
            torch.equal(state[key], v) if isinstance(v, torch.Tensor) else state[key] == v
            for key, v in before.items()),
            f"{name} changed the state dict it was given (step {k + 1})",
            check="arguments unchanged",
            hint="build and return a new dict ({**state, 'step': t} or dict(state)); "
                 "the caller may still hold the old state")
        if name != "sgd_step":  # SGD keeps no step count, as in PyTorch
            python_numbers(check, new_state.get("step"), f"{name}'s state['step']", int,
                           none_ok=False)
        p, state = new_p, new_state
