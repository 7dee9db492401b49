"""Student-style bugs of optim.py: whole optimizers written the way learners write them (NumPy
rewrites, optimizer objects with a step method, loops over the state), each with one genuine
mistake. A held-out set: feedback never names these; ``descent audit`` measures how well the
generic diagnoses name their causes (see ``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student


def _to_numpy(t):
    return t.detach().cpu().numpy()


def _like(array, t):
    return torch.from_numpy(np.ascontiguousarray(array)).to(dtype=t.dtype, device=t.device)


# ------------------------------------------------------------------------------------ RMSProp
rmsprop_numpy_no_sqrt = student(
    "rmsprop_numpy_no_sqrt",
    "optim.rmsprop",
    "divides the gradient by the running average of squares itself, without its square root",
    generic="omitted",
    wrong_on="ordinary",
)


@rmsprop_numpy_no_sqrt.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    p, g = _to_numpy(param), _to_numpy(grad)
    if weight_decay:
        g = g + weight_decay * p
    cache = state["square_avg"] if "square_avg" in state else np.zeros_like(p)
    if torch.is_tensor(cache):
        cache = _to_numpy(cache)
    cache = alpha * cache + (1 - alpha) * g**2
    p = p - lr * g / (cache + eps)
    new_state = dict(state)
    new_state["square_avg"] = _like(cache, param)
    new_state["step"] = state.get("step", 0) + 1
    return _like(p, param), new_state


rmsprop_lr_as_decay = student(
    "rmsprop_lr_as_decay",
    "optim.rmsprop",
    "weights the new squared gradient by the learning rate (alpha*v + lr*g^2) where 1 - alpha "
    "belongs",
    generic="swapped",
    wrong_on="ordinary",
)


@rmsprop_lr_as_decay.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = state.get("square_avg", torch.zeros_like(param))
    square_avg = alpha * square_avg + lr * grad * grad
    update = lr * grad / (square_avg.sqrt() + eps)
    return param - update, {"step": state.get("step", 0) + 1, "square_avg": square_avg}


class RMSprop:
    """A MyTorch-style optimizer object: hyperparameters in the constructor, state loaded in."""

    def __init__(self, lr, alpha, eps, weight_decay):
        self.lr, self.alpha, self.eps, self.weight_decay = lr, alpha, eps, weight_decay
        self.step_count = 0
        self.v = None

    def load(self, state):
        self.step_count = state.get("step", 0)
        self.v = state.get("square_avg")

    def save(self):
        return {"step": self.step_count, "square_avg": self.v}

    def step(self, param, grad):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.v is None:
            self.v = torch.zeros_like(param)
        self.v = self.alpha * self.v + (1 - self.alpha) * grad * grad
        self.step_count += 1
        # eps inside the root, as some lecture notes write it
        return param - self.lr * grad / torch.sqrt(self.v + self.eps)


rmsprop_object_eps_in_root = student(
    "rmsprop_object_eps_in_root",
    "optim.rmsprop",
    "an optimizer object that adds eps under the square root instead of after it",
    generic=("eps", "argument"),
    wrong_on="ordinary",
)


@rmsprop_object_eps_in_root.replaces
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    opt = RMSprop(lr, alpha, eps, weight_decay)
    opt.load(state)
    new_param = opt.step(param, grad)
    return new_param, opt.save()


# --------------------------------------------------------------------------------------- Adam
class Adam:
    """An optimizer object as object-style courses write it; the contract wraps one step."""

    def __init__(self, lr, betas, eps, weight_decay):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m = self.v = None

    def load_state_dict(self, state):
        self.t = state.get("step", 0)
        self.m, self.v = state.get("exp_avg"), state.get("exp_avg_sq")

    def state_dict(self):
        return {"step": self.t, "exp_avg": self.m, "exp_avg_sq": self.v}

    def step(self, param, grad):
        g = grad + self.weight_decay * param if self.weight_decay else grad
        if self.m is None:
            self.m, self.v = torch.zeros_like(param), torch.zeros_like(param)
        t = self.t + 1  # the step number used below, but self.t itself is never advanced
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1**t)
        v_hat = self.v / (1 - self.b2**t)
        return param - self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)


adam_object_step_frozen = student(
    "adam_object_step_frozen",
    "optim.adam",
    "an Adam object whose step count never advances (t = self.t + 1 is computed but self.t "
    "stays 0), so every step is bias-corrected as the first",
    generic="frozen",
    wrong_on="ordinary",
)


@adam_object_step_frozen.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    opt = Adam(lr, betas, eps, weight_decay)
    opt.load_state_dict(state)
    new_param = opt.step(param, grad)
    return new_param, opt.state_dict()


adam_updates_param_in_place = student(
    "adam_updates_param_in_place",
    "optim.adam",
    "updates the parameter in place (param -= ...), editing the caller's tensor",
    generic="inplace",
    wrong_on="ordinary",
)


@adam_updates_param_in_place.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    if weight_decay != 0:
        grad = grad + weight_decay * param
    t = state.get("step", 0) + 1
    m = state.get("exp_avg", torch.zeros_like(param))
    v = state.get("exp_avg_sq", torch.zeros_like(param))
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    param -= lr * m_hat / (v_hat.sqrt() + eps)
    return param, {"step": t, "exp_avg": m, "exp_avg_sq": v}


adam_bias_correction_no_power = student(
    "adam_bias_correction_no_power",
    "optim.adam",
    "divides the moments by 1 - beta instead of 1 - beta**t (right on the first step only)",
    generic=("frozen", "omitted"),
    wrong_on="ordinary",
)


@adam_bias_correction_no_power.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    g = grad + weight_decay * param
    step = state.get("step", 0) + 1
    m = b1 * state["exp_avg"] + (1 - b1) * g if "exp_avg" in state else (1 - b1) * g
    v = b2 * state["exp_avg_sq"] + (1 - b2) * g * g if "exp_avg_sq" in state else (1 - b2) * g * g
    m_hat = m / (1 - b1)
    v_hat = v / (1 - b2)
    new_param = param - lr * m_hat / (torch.sqrt(v_hat) + eps)
    return new_param, {"step": step, "exp_avg": m, "exp_avg_sq": v}


adam_numpy_no_bias_v = student(
    "adam_numpy_no_bias_v",
    "optim.adam",
    "a NumPy Adam that bias-corrects the first moment but not the second",
    generic="omitted",
    wrong_on="ordinary",
)


@adam_numpy_no_bias_v.replaces
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    w, dw = _to_numpy(param), _to_numpy(grad)
    dw = dw + weight_decay * w
    t = state.get("step", 0) + 1
    m = _to_numpy(state["exp_avg"]) if "exp_avg" in state else np.zeros_like(w)
    v = _to_numpy(state["exp_avg_sq"]) if "exp_avg_sq" in state else np.zeros_like(w)
    m = betas[0] * m + (1 - betas[0]) * dw
    v = betas[1] * v + (1 - betas[1]) * (dw * dw)
    mt = m / (1 - betas[0] ** t)
    w = w - lr * mt / (np.sqrt(v) + eps)
    return _like(w, param), {"step": t, "exp_avg": _like(m, param), "exp_avg_sq": _like(v, param)}


# ---------------------------------------------------------------------------------------- SGD
sgd_nesterov_without_gradient = student(
    "sgd_nesterov_without_gradient",
    "optim.sgd",
    "takes the Nesterov direction as momentum * buffer alone, leaving out the gradient term",
    generic=("omitted", "term"),
    wrong_on="ordinary",
)


@sgd_nesterov_without_gradient.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    d_p = grad
    if weight_decay != 0:
        d_p = d_p + weight_decay * param
    new_state = dict(state)
    if momentum != 0:
        if "momentum_buffer" not in state:
            buf = d_p.clone()
        else:
            buf = momentum * state["momentum_buffer"] + (1 - dampening) * d_p
        new_state["momentum_buffer"] = buf
        d_p = momentum * buf if nesterov else buf
    return param - lr * d_p, new_state


class SGDMomentum:
    """A cs231n-style update with its velocity in a config dict."""

    def __init__(self, lr, momentum, weight_decay):
        self.config = {"learning_rate": lr, "momentum": momentum, "weight_decay": weight_decay}

    def update(self, w, dw, velocity, nesterov):
        dw = dw + self.config["weight_decay"] * w
        if velocity is None:
            velocity = torch.zeros_like(w)
        # the velocity keeps only the newest gradient: v = mu * v is written but then replaced
        velocity = self.config["momentum"] * velocity
        velocity = dw
        step = dw + self.config["momentum"] * velocity if nesterov else velocity
        return w - self.config["learning_rate"] * step, velocity


sgd_velocity_overwritten = student(
    "sgd_velocity_overwritten",
    "optim.sgd",
    "a momentum object that overwrites its velocity with the gradient (v = dw) instead of "
    "adding the gradient to the decayed velocity",
    generic=("accumulate", "frozen", "argument"),
    wrong_on="ordinary",
)


@sgd_velocity_overwritten.replaces
def sgd_step(param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    if momentum == 0:
        g = grad + weight_decay * param
        return param - lr * g, dict(state)
    opt = SGDMomentum(lr, momentum, weight_decay)
    new_param, v = opt.update(param, grad, state.get("momentum_buffer"), nesterov)
    return new_param, {**state, "momentum_buffer": v}


# ------------------------------------------------------------------------------------ AdaGrad
adagrad_sum_of_gradients = student(
    "adagrad_sum_of_gradients",
    "optim.adagrad",
    "accumulates the gradients themselves instead of their squares in the running sum",
    generic="omitted",
    wrong_on="ordinary",
)


@adagrad_sum_of_gradients.replaces
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
    g = grad + weight_decay * param if weight_decay else grad
    total = state["sum"] + g if "sum" in state else g.clone()
    # the square root of a sum that can be negative: abs keeps it real
    new_param = param - lr * g / (torch.sqrt(total.abs()) + eps)
    return new_param, {"step": state.get("step", 0) + 1, "sum": total}


# -------------------------------------------------------------------------------------- AdamW
adamw_decay_uses_param_after_update = student(
    "adamw_decay_uses_param_after_update",
    "optim.adamw",
    "shrinks the updated parameter (after the Adam step) rather than the parameter before it",
    generic="order",
    wrong_on="ordinary",
)


@adamw_decay_uses_param_after_update.replaces
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    exp_avg = state.get("exp_avg", torch.zeros_like(param))
    exp_avg_sq = state.get("exp_avg_sq", torch.zeros_like(param))
    exp_avg = beta1 * exp_avg + (1 - beta1) * grad
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    denom = (exp_avg_sq / (1 - beta2**step)).sqrt() + eps
    new_param = param - lr * (exp_avg / (1 - beta1**step)) / denom
    new_param = new_param - lr * weight_decay * new_param
    return new_param, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
