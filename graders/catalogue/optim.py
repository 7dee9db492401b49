"""Catalogued variants of optim.py: realistic bugs (each must lose points) and alternative
correct implementations (each must keep full marks).

The bugs are the classic ones of optimizer code (the other common form of momentum, epsilon
inside or outside the square root, Adam's step counter, AdamW's decay applied as an L2 term),
plus in-place updates of the state and wrong defaults from other frameworks.
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _l2(param, grad, weight_decay):
    return grad + weight_decay * param if weight_decay != 0 else grad


# ---------------------------------------------------------------------------------------- SGD
sgd_lr_inside_velocity = bug(
    "sgd_lr_inside_velocity",
    "optim.sgd",
    "folds the learning rate into the velocity (v = mu*v - lr*g; p += v, the CS231n form)",
    hint="Keep lr out of the buffer: b = momentum*b + (1 - dampening)*g, then p - lr*b. The two "
    "forms agree only while lr never changes.",
    wrong_on="ordinary",
)


@sgd_lr_inside_velocity.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    # the velocity the handouts of CS231n and MyTorch write: it holds -lr times PyTorch's buffer
    g = _l2(param, grad, weight_decay)
    if momentum == 0:
        return param - lr * g, dict(state)
    v = state.get("momentum_buffer")
    v = -lr * g if v is None else momentum * v - (1 - dampening) * lr * g
    step = momentum * v - lr * g if nesterov else v
    return param + step, {**state, "momentum_buffer": v}


sgd_buffer_not_persisted = bug(
    "sgd_buffer_not_persisted",
    "optim.sgd",
    "restarts the momentum buffer from the gradient on every call (the buffer is never returned)",
    hint="Return the updated buffer in the new state under 'momentum_buffer', and read it back "
    "on the next call.",
    generic="argument",
    wrong_on="ordinary",
)


@sgd_buffer_not_persisted.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    if momentum != 0:
        buf = g.clone()
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, {}


sgd_dampening_on_first_step = bug(
    "sgd_dampening_on_first_step",
    "optim.sgd",
    "starts the buffer at zeros, so the first step is damped as well",
    hint="On the first step (no buffer yet) the buffer is the gradient itself; dampening applies "
    "only from the second step on.",
    generic="argument",
    wrong_on="edge",
)


@sgd_dampening_on_first_step.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    new_state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer", torch.zeros_like(param))
        buf = momentum * buf + (1 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, new_state


sgd_nesterov_ignored = bug(
    "sgd_nesterov_ignored",
    "optim.sgd",
    "moves along the buffer itself when nesterov=True: the flag ignored, or the direction "
    "g + momentum * b taken with the buffer from before this step (the same numbers: classical "
    "momentum)",
    hint="With nesterov=True the direction is g + momentum*b (b the updated buffer), not b.",
    generic="argument",
    wrong_on="ordinary",
)


@sgd_nesterov_ignored.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    new_state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = g.clone() if buf is None else momentum * buf + (1 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = buf
    return param - lr * g, new_state


sgd_nesterov_old_buffer = bug(
    "sgd_nesterov_old_buffer",
    "optim.sgd",
    "takes the Nesterov direction g + momentum * b with the buffer from before this step (the "
    "new one on the first step)",
    hint="Update the buffer first, b = momentum*b + (1 - dampening)*g, then d = g + momentum*b "
    "with that new b.",
    wrong_on="ordinary",
)


@sgd_nesterov_old_buffer.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    new_state = dict(state)
    if momentum != 0:
        old = state.get("momentum_buffer")
        buf = g.clone() if old is None else momentum * old + (1 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * (buf if old is None else old) if nesterov else buf
    return param - lr * g, new_state


sgd_weight_decay_after_momentum = bug(
    "sgd_weight_decay_after_momentum",
    "optim.sgd",
    "adds the weight decay after the momentum buffer instead of to the gradient",
    hint="Weight decay joins the gradient first (g = grad + weight_decay*param); the buffer is "
    "built from that g.",
    wrong_on="ordinary",
)


@sgd_weight_decay_after_momentum.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = grad
    new_state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = g.clone() if buf is None else momentum * buf + (1 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * (g + weight_decay * param), new_state


sgd_buffer_in_place = bug(
    "sgd_buffer_in_place",
    "optim.sgd",
    "updates the momentum buffer of the state it was given in place (buf.mul_(mu).add_(g))",
    hint="Build a new buffer (momentum*buf + (1 - dampening)*g) instead of mul_/add_ on the old "
    "one: the caller's state must not change.",
    generic="inplace",
    wrong_on="ordinary",
)


@sgd_buffer_in_place.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    new_state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.clone()
        else:
            buf.mul_(momentum).add_(g, alpha=1 - dampening)
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, new_state


# ------------------------------------------------------------------------------------ AdaGrad
adagrad_no_accumulation = bug(
    "adagrad_no_accumulation",
    "optim.adagrad",
    "divides by the current squared gradient instead of the running sum",
    hint="AdaGrad keeps the sum of all squared gradients so far in state['sum'] and divides by "
    "its square root.",
    generic=("argument", "accumulate"),
    wrong_on="ordinary",
)


@adagrad_no_accumulation.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    s = g * g
    return param - lr * g / (torch.sqrt(s) + eps), {
        **state,
        "step": state.get("step", 0) + 1,
        "sum": s,
    }


adagrad_eps_inside_sqrt = bug(
    "adagrad_eps_inside_sqrt",
    "optim.adagrad",
    "puts eps inside the square root",
    hint="The denominator is sqrt(sum) + eps: add eps after the square root.",
    generic=("argument", "eps"),
    wrong_on="edge",
)


@adagrad_eps_inside_sqrt.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    s = state.get("sum", torch.zeros_like(param)) + g * g
    return param - lr * g / torch.sqrt(s + eps), {
        **state,
        "step": state.get("step", 0) + 1,
        "sum": s,
    }


adagrad_decay_not_accumulated = bug(
    "adagrad_decay_not_accumulated",
    "optim.adagrad",
    "accumulates the raw gradient's square but updates with the decayed gradient",
    hint="Add weight_decay*param to the gradient first and use that same g both in the sum and "
    "in the update.",
    wrong_on="edge",
)


@adagrad_decay_not_accumulated.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    s = state.get("sum", torch.zeros_like(param)) + grad * grad
    g = _l2(param, grad, weight_decay)
    return param - lr * g / (torch.sqrt(s) + eps), {
        **state,
        "step": state.get("step", 0) + 1,
        "sum": s,
    }


adagrad_eps_1e8 = bug(
    "adagrad_eps_1e8",
    "optim.adagrad",
    "uses eps=1e-8 as its default instead of 1e-10",
    hint="Keep the documented default eps=1e-10 (PyTorch's), not 1e-8 from other libraries.",
    generic=("offset", "argument"),
    wrong_on="ordinary",
)


@adagrad_eps_1e8.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-8, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    s = state.get("sum", torch.zeros_like(param)) + g * g
    return param - lr * g / (torch.sqrt(s) + eps), {
        **state,
        "step": state.get("step", 0) + 1,
        "sum": s,
    }


adagrad_sum_in_place = bug(
    "adagrad_sum_in_place",
    "optim.adagrad",
    "accumulates into the state's sum in place (sum.addcmul_(g, g)), as torch.optim's own code "
    "does",
    hint="Build a new tensor (s = state['sum'] + g * g) instead of addcmul_/+= on the "
    "old one: the caller's state must not change.",
    generic="inplace",
    wrong_on="ordinary",
)


@adagrad_sum_in_place.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    s = state.get("sum")
    s = g * g if s is None else s.addcmul_(g, g)
    return param - lr * g / (torch.sqrt(s) + eps), {
        **state,
        "step": state.get("step", 0) + 1,
        "sum": s,
    }


# ------------------------------------------------------------------------------------ RMSProp
def _rmsprop(
    param, grad, state, lr, alpha, eps, weight_decay, *, inside=False, swap=False, init=None
):
    g = _l2(param, grad, weight_decay)
    old = state.get("square_avg")
    if old is None:
        old = torch.zeros_like(param) if init is None else init(param)
    if swap:
        v = (1 - alpha) * old + alpha * g * g
    else:
        v = alpha * old + (1 - alpha) * g * g
    denom = torch.sqrt(v + eps) if inside else torch.sqrt(v) + eps
    return param - lr * g / denom, {**state, "step": state.get("step", 0) + 1, "square_avg": v}


rmsprop_eps_inside_sqrt = bug(
    "rmsprop_eps_inside_sqrt",
    "optim.rmsprop",
    "puts eps inside the square root",
    hint="The denominator is sqrt(square_avg) + eps: add eps after the square root.",
    generic=("argument", "eps"),
    wrong_on="ordinary",
    classic=True,
)


@rmsprop_eps_inside_sqrt.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    return _rmsprop(param, grad, state, lr, alpha, eps, weight_decay, inside=True)


rmsprop_alpha_swapped = bug(
    "rmsprop_alpha_swapped",
    "optim.rmsprop",
    "weights the new squared gradient by alpha and the old average by 1 - alpha",
    hint="alpha is the weight of the old average: v = alpha*v + (1 - alpha)*g*g.",
    generic="argument",
    wrong_on="ordinary",
)


@rmsprop_alpha_swapped.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    return _rmsprop(param, grad, state, lr, alpha, eps, weight_decay, swap=True)


rmsprop_starts_at_ones = bug(
    "rmsprop_starts_at_ones",
    "optim.rmsprop",
    "starts the squared-gradient average at ones (an old TensorFlow convention)",
    hint="square_avg starts at zeros, so the first step divides by sqrt((1 - alpha)*g*g).",
    generic="argument",
    wrong_on="ordinary",
)


@rmsprop_starts_at_ones.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    return _rmsprop(param, grad, state, lr, alpha, eps, weight_decay, init=torch.ones_like)


rmsprop_alpha_0_9 = bug(
    "rmsprop_alpha_0_9",
    "optim.rmsprop",
    "uses alpha=0.9 as its default (Keras' rho) instead of 0.99",
    hint="Keep the documented default alpha=0.99 (PyTorch's).",
    generic="argument",
    wrong_on="ordinary",
)


@rmsprop_alpha_0_9.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.9, eps=1e-8, weight_decay=0.0):
    return _rmsprop(param, grad, state, lr, alpha, eps, weight_decay)


rmsprop_square_avg_in_place = bug(
    "rmsprop_square_avg_in_place",
    "optim.rmsprop",
    "updates the state's square_avg in place (mul_(alpha).addcmul_(g, g, value=1 - alpha)), "
    "as torch.optim's own code does",
    hint="Build a new tensor (alpha * v + (1 - alpha) * g * g) instead of mul_/addcmul_ on the "
    "old one: the caller's state must not change.",
    generic="inplace",
    wrong_on="ordinary",
)


@rmsprop_square_avg_in_place.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    g = _l2(param, grad, weight_decay)
    v = state.get("square_avg")
    v = (1 - alpha) * g * g if v is None else v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    return param - lr * g / (torch.sqrt(v) + eps), {
        **state,
        "step": state.get("step", 0) + 1,
        "square_avg": v,
    }


# --------------------------------------------------------------------------------------- Adam
def _adam(
    param,
    g,
    state,
    lr,
    betas,
    eps,
    *,
    t_shift=0,
    correct_m=True,
    correct_v=True,
    eps_inside=False,
    eps_outside=False,
    eps_hat=False,
    step_as_tensor=False,
    in_place=False,
    param_in_place=False,
):
    beta1, beta2 = betas
    t = int(state.get("step", 0)) + 1
    m = state.get("exp_avg")
    v = state.get("exp_avg_sq")
    if in_place and m is not None:
        m = m.mul_(beta1).add_(g, alpha=1 - beta1)
        v = v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    else:
        m = (1 - beta1) * g if m is None else beta1 * m + (1 - beta1) * g
        v = (1 - beta2) * g * g if v is None else beta2 * v + (1 - beta2) * g * g
    tc = t + t_shift
    bias1 = 1 - beta1**tc if correct_m else 1.0
    bias2 = 1 - beta2**tc if correct_v else 1.0
    if eps_hat:  # the paper's "efficient" ordering: eps is not rescaled
        new_param = param - lr * math.sqrt(bias2) / bias1 * m / (torch.sqrt(v) + eps)
    elif eps_inside:
        new_param = param - lr * (m / bias1) / torch.sqrt(v / bias2 + eps)
    elif eps_outside:
        new_param = param - lr * (m / bias1) / torch.sqrt(v / bias2) + eps
    else:
        new_param = param - lr * (m / bias1) / (torch.sqrt(v / bias2) + eps)
    step = torch.tensor(float(t)) if step_as_tensor else t
    if param_in_place:  # the update written as param -= ...: the caller's tensor moves too
        new_param = param.copy_(new_param)
    return new_param, {**state, "step": step, "exp_avg": m, "exp_avg_sq": v}


def _adam_bug(id, title, hint, generic=(), wrong_on="", **how):
    variant = bug(id, "optim.adam", title, hint=hint, generic=generic, wrong_on=wrong_on)

    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return _adam(param, _l2(param, grad, weight_decay), state, lr, betas, eps, **how)

    variant.replaces(adam_step)
    return variant


_adam_bug(
    "adam_t_starts_at_0",
    "uses the step counter before incrementing it (t = 0 on the first step)",
    "Increment t first: the first step uses t = 1, so 1 - beta**t is never 0.",
    t_shift=-1,
    generic="step",
    wrong_on="ordinary",
)
_adam_bug(
    "adam_t_plus_one",
    "bias-corrects with t + 1 (one step ahead)",
    "The first step uses t = 1: state['step'] counts completed steps, so t = step + 1 once.",
    t_shift=1,
    generic="step",
    wrong_on="ordinary",
)
_adam_bug(
    "adam_no_bias_correction",
    "leaves out the bias correction",
    "Divide m by (1 - beta1**t) and v by (1 - beta2**t) before the update.",
    correct_m=False,
    correct_v=False,
    generic="term",
    wrong_on="ordinary",
)
_adam_bug(
    "adam_only_m_corrected",
    "bias-corrects the first moment but not the second",
    "Both moments need their correction: v_hat = v / (1 - beta2**t) as well.",
    correct_v=False,
    generic="omitted",
    wrong_on="ordinary",
)
_adam_bug(
    "adam_eps_inside_sqrt",
    "puts eps inside the square root",
    "The denominator is sqrt(v_hat) + eps: add eps after the square root.",
    eps_inside=True,
    generic=("offset", "argument", "eps"),
    wrong_on="ordinary",
)
_adam_bug(
    "adam_eps_added_to_param",
    "adds eps to the parameter instead of the denominator (p - lr*m/sqrt(v) + eps)",
    "Parenthesise the denominator: lr*m_hat / (sqrt(v_hat) + eps).",
    eps_outside=True,
    # No generic label: at zero gradients its 0 / 0 is also what a step counter one behind gives,
    # and the generic readings name neither. It named "eps" only on draws whose parameters near 0
    # let an eps left out fit the everyday steps (issue 81: those are the same on every draw now).
    wrong_on="ordinary",
)
_adam_bug(
    "adam_eps_hat_form",
    "uses the paper's rearranged form lr*sqrt(1-beta2^t)/(1-beta1^t) * "
    "m/(sqrt(v) + eps), where eps is not rescaled",
    "Add eps to sqrt(v_hat), the "
    "bias-corrected second moment, not to sqrt(v): the two differ for small gradients.",
    eps_hat=True,
    wrong_on="ordinary",
)
_adam_bug(
    "adam_step_as_tensor",
    "stores the step counter as a tensor",
    "state['step'] is a plain Python int (1 after the first call), not a tensor.",
    step_as_tensor=True,
    generic="structure",
    wrong_on="ordinary",
)
_adam_bug(
    "adam_moments_in_place",
    "updates exp_avg and exp_avg_sq of the given state in place",
    "Compute new moment tensors (beta1*m + (1 - beta1)*g) instead of mul_/add_ on the old "
    "ones: the caller's state must not change.",
    in_place=True,
    generic="inplace",
    wrong_on="ordinary",
)
_adam_bug(
    "adam_param_in_place",
    "updates the parameter in place (param -= lr * ...) and returns it",
    "Return a new tensor (param - lr * update): the caller's parameter must not change, it "
    "may still be needed (a trajectory, a check that compares before and after).",
    param_in_place=True,
    generic="inplace",
    wrong_on="ordinary",
)

adam_decoupled_decay = bug(
    "adam_decoupled_decay",
    "optim.adam",
    "applies weight decay AdamW-style (shrinking the parameter) instead of through the gradient",
    hint="Adam's weight_decay is L2 through the gradient: g = grad + weight_decay*param, which "
    "then enters m and v. The decoupled shrink is AdamW's.",
    generic="sibling",
    wrong_on="edge",
)


@adam_decoupled_decay.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return _adam(param * (1 - lr * weight_decay), grad, state, lr, betas, eps)


# -------------------------------------------------------------------------------------- AdamW
adamw_decay_through_grad = bug(
    "adamw_decay_through_grad",
    "optim.adamw",
    "adds the weight decay to the gradient (plain Adam with L2) instead of decoupling it",
    hint="AdamW shrinks the parameter directly, p * (1 - lr*weight_decay), and feeds m and v "
    "the raw gradient only.",
    generic="sibling",
    wrong_on="ordinary",
)


@adamw_decay_through_grad.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    return _adam(param, grad + weight_decay * param, state, lr, betas, eps)


adamw_decay_without_lr = bug(
    "adamw_decay_without_lr",
    "optim.adamw",
    "shrinks the parameter by (1 - weight_decay), without the learning rate",
    hint="The decoupled decay is scaled by the learning rate: p * (1 - lr*weight_decay).",
    wrong_on="ordinary",
)


@adamw_decay_without_lr.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    return _adam(param * (1 - weight_decay), grad, state, lr, betas, eps)


adamw_decay_after_update = bug(
    "adamw_decay_after_update",
    "optim.adamw",
    "applies the decay after the Adam update instead of before it",
    hint="Shrink first, p = param*(1 - lr*weight_decay), then subtract the Adam step from p; "
    "decaying the updated parameter differs by lr^2*weight_decay*update.",
    wrong_on="ordinary",
)


@adamw_decay_after_update.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    new_param, new_state = _adam(param, grad, state, lr, betas, eps)
    return new_param * (1 - lr * weight_decay), new_state


adamw_no_bias_correction = bug(
    "adamw_no_bias_correction",
    "optim.adamw",
    "leaves out Adam's bias correction",
    hint="AdamW is Adam plus a decoupled shrink: keep the bias corrections of m and v.",
    generic="term",
    wrong_on="ordinary",
)


@adamw_no_bias_correction.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    return _adam(
        param * (1 - lr * weight_decay),
        grad,
        state,
        lr,
        betas,
        eps,
        correct_m=False,
        correct_v=False,
    )


adamw_state_dict_mutated = bug(
    "adamw_state_dict_mutated",
    "optim.adamw",
    "writes the new moments and step into the state dict it was given and returns it",
    hint="Return a new dict ({**state, 'step': t, ...}); assigning into the caller's dict "
    "changes state the caller still holds.",
    generic="inplace",
    wrong_on="ordinary",
)


@adamw_state_dict_mutated.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    new_param, new_state = _adam(param * (1 - lr * weight_decay), grad, state, lr, betas, eps)
    state.update(new_state)
    return new_param, state


# ------------------------------------------------------------------------------- alternatives
adam_rescaled_eps = alternative(
    "adam_rescaled_eps",
    "optim.adam",
    "folds both corrections into the step size and rescales eps by sqrt(1 - beta2^t)",
)


@adam_rescaled_eps.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    g = _l2(param, grad, weight_decay)
    t = state.get("step", 0) + 1
    m = beta1 * state.get("exp_avg", torch.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("exp_avg_sq", torch.zeros_like(param)) + (1 - beta2) * g * g
    root = math.sqrt(1 - beta2**t)
    step_size = lr * root / (1 - beta1**t)
    new_param = param - step_size * m / (torch.sqrt(v) + eps * root)
    return new_param, {"step": t, "exp_avg": m, "exp_avg_sq": v}


adamw_via_adam = alternative(
    "adamw_via_adam",
    "optim.adamw",
    "shrinks the parameter, then calls an Adam step without weight decay, with lerp moments",
)


@adamw_via_adam.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    beta1, beta2 = betas
    p = param * (1 - lr * weight_decay)
    t = state.get("step", 0) + 1
    m = torch.lerp(state.get("exp_avg", torch.zeros_like(p)), grad, 1 - beta1)
    v = torch.lerp(state.get("exp_avg_sq", torch.zeros_like(p)), grad * grad, 1 - beta2)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (v_hat.sqrt() + eps), {
        **state,
        "step": t,
        "exp_avg": m,
        "exp_avg_sq": v,
    }


sgd_always_buffer = alternative(
    "sgd_always_buffer",
    "optim.sgd",
    "keeps a step counter and a momentum buffer even when momentum is 0",
)


@sgd_always_buffer.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = grad + weight_decay * param
    t = state.get("step", 0)
    if t == 0:
        buf = g.clone()
    else:
        buf = momentum * state["momentum_buffer"] + (1 - dampening) * g
    if momentum == 0:
        direction = g
    elif nesterov:
        direction = g + momentum * buf
    else:
        direction = buf
    return param - lr * direction, {"step": t + 1, "momentum_buffer": buf}


rmsprop_lerp = alternative(
    "rmsprop_lerp",
    "optim.rmsprop",
    "averages the squared gradient with torch.lerp and divides through a reciprocal",
)


@rmsprop_lerp.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    g = grad + weight_decay * param
    v = torch.lerp(state.get("square_avg", torch.zeros_like(param)), g * g, 1 - alpha)
    inv = 1.0 / (v.sqrt() + eps)
    return param - lr * g * inv, {**state, "step": state.get("step", 0) + 1, "square_avg": v}


adagrad_running_sum = alternative(
    "adagrad_running_sum", "optim.adagrad", "starts the sum from zeros_like and uses addcmul"
)


@adagrad_running_sum.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = torch.add(grad, param, alpha=weight_decay)
    s = torch.addcmul(state.get("sum", torch.zeros_like(param)), g, g)
    return torch.addcdiv(param, g, s.sqrt() + eps, value=-lr), {
        "step": state.get("step", 0) + 1,
        "sum": s,
    }


# ============================================================ alternatives in other styles
# Object style: an optimizer object with a step method and a state it loads and hands back, as
# object-style courses write optimizers; the contract function wraps one step of it.
class Adam:
    def __init__(self, lr, betas, eps, weight_decay, decoupled=False):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.state = {}

    def load_state_dict(self, state):
        self.state = dict(state)  # a new dict: the caller's is never edited

    def state_dict(self):
        return dict(self.state)

    def step(self, param, grad):
        b1, b2 = self.betas
        if self.decoupled:
            param = param * (1 - self.lr * self.weight_decay)
        elif self.weight_decay:
            grad = grad + self.weight_decay * param
        t = self.state.get("step", 0) + 1
        m = self.state.get("exp_avg", torch.zeros_like(param))
        v = self.state.get("exp_avg_sq", torch.zeros_like(param))
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        self.state.update(step=t, exp_avg=m, exp_avg_sq=v)
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return param - self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)


adam_optimizer_object = alternative(
    "adam_optimizer_object",
    "optim.adam",
    "an Adam optimizer object with step, load_state_dict and "
    "state_dict methods; bias correction on m and v separately",
)


@adam_optimizer_object.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    opt = Adam(lr, betas, eps, weight_decay)
    opt.load_state_dict(state)
    return opt.step(param, grad), opt.state_dict()


adamw_optimizer_object = alternative(
    "adamw_optimizer_object", "optim.adamw", "the Adam optimizer object with decoupled weight decay"
)


@adamw_optimizer_object.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    opt = Adam(lr, betas, eps, weight_decay, decoupled=True)
    opt.load_state_dict(state)
    return opt.step(param, grad), opt.state_dict()


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
sgd_numpy = alternative(
    "sgd_numpy",
    "optim.sgd",
    "computes the step in NumPy and converts the parameter and the momentum "
    "buffer back to the parameter's dtype and device",
)


@sgd_numpy.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    def back(a):
        return torch.from_numpy(np.ascontiguousarray(a)).to(dtype=param.dtype, device=param.device)

    p, g = param.detach().cpu().numpy(), grad.detach().cpu().numpy()
    if weight_decay != 0:
        g = g + weight_decay * p
    new_state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.copy()
        else:
            buf = momentum * buf.detach().cpu().numpy() + (1 - dampening) * g
        new_state["momentum_buffer"] = back(buf)
        g = g + momentum * buf if nesterov else buf
    return back(p - lr * g), new_state
