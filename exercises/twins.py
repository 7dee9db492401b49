"""The public wheats and chaffs of the write-the-tests exercises (``exercises/test_written.py``).

Your tests are graded against the course's own correct versions and its catalogue of mistakes,
which you never see. To try them before that, ``pytest exercises/`` runs them against the
versions here, which are public by design:

* each **wheat** (a correct version) is PyTorch's own operation (``F.mse_loss``,
  ``F.cross_entropy``, ``F.linear``, ``F.batch_norm``, ``F.dropout``, ``torch.optim``'s Adam
  update, its learning-rate schedulers, ``torch.nn.utils``' norm), with autograd for a backward.
  A wheat here tells you nothing an exercise asks you to write: borrowing these calls in your
  own modules scores 0 (the exercises' rules);
* each **chaff** (a mistake) is such a wheat with one twist that the exercise's docstring itself
  warns against (a sum for the mean, ``p`` read as the probability of keeping, a step counter
  one ahead, ...), so it names no mistake you could not read there.

The hidden set is larger: more correct versions, in other styles (loops, NumPy, objects), and
every mistake the course has catalogued. Passing here is necessary, not sufficient.
"""

import torch
import torch.nn.functional as F

from descent.calls.stand_ins import total_norm
from descent.testwriting.grading import CHAFF, WHEAT, Subject


def _pair(loss, wrt=(0,), twist=lambda grads, args: grads):
    """``(forward, backward)`` of the scalar ``loss(*args)``: the forward returns ``(value,
    cache)``, the backward the gradients of the value with respect to the arguments at ``wrt``,
    times the upstream gradient (then passed through ``twist``)."""

    def forward(*args, **kwargs):
        return loss(*args, **kwargs).detach(), (args, kwargs)

    def backward(dout, cache):
        args, kwargs = cache
        leaves = [a.detach().requires_grad_() if i in wrt else a for i, a in enumerate(args)]
        value = loss(*leaves, **kwargs)
        grads = torch.autograd.grad((value * dout).sum(), [leaves[i] for i in wrt])
        grads = twist(tuple(g.detach() for g in grads), args)
        return grads[0] if len(grads) == 1 else grads

    return forward, backward


def _named(prefix, pair):
    return {f"{prefix}_forward": pair[0], f"{prefix}_backward": pair[1]}


# -- losses ------------------------------------------------------------------------------------------
def _mse_over_rows(pred, target):
    return F.mse_loss(pred, target, reduction="sum") / pred.shape[0]


def _ce(logits, target, weight=None, label_smoothing=0.0):
    return F.cross_entropy(logits, target, weight=weight, label_smoothing=label_smoothing)


def _ce_eps_over_c_minus_1(logits, target, weight=None, label_smoothing=0.0):
    classes = logits.shape[1]
    spread = label_smoothing * classes / (classes - 1)  # eps/(C-1) elsewhere, 1 - eps on target
    return F.cross_entropy(logits, target, weight=weight, label_smoothing=spread)


def _ce_sum(logits, target, weight=None, label_smoothing=0.0):
    return F.cross_entropy(logits, target, weight=weight, label_smoothing=label_smoothing,
                           reduction="sum")


def _ce_log_of_softmax(logits, target, weight=None, label_smoothing=0.0):
    log_p = torch.log(F.softmax(logits, dim=1))
    q = F.one_hot(target, logits.shape[1]).to(logits.dtype) * (1 - label_smoothing)
    q = q + label_smoothing / logits.shape[1]
    w = torch.ones(logits.shape[1], dtype=logits.dtype) if weight is None else weight
    return -(w * q * log_p).sum() / w[target].sum()


# -- layers ------------------------------------------------------------------------------------------
def _linear(x, W, b):
    return F.linear(x, W, b)


def _transposed_dW(grads, args):
    return grads[0], grads[1].T, grads[2]


def _mean_db(grads, args):
    return grads[0], grads[1], grads[2] / args[0].shape[0]


# -- optim -------------------------------------------------------------------------------------------
def _adam(t_offset=0, step_type=int, in_place=False):
    """torch.optim's Adam update (its functional form) on copies of the state; ``t_offset``
    shifts the step count its bias correction sees."""

    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        # start-up: torch.optim loads only when an Adam test of yours runs
        from torch.optim.adam import adam

        new = param.detach().clone()
        m = state.get("exp_avg", torch.zeros_like(param)).clone()
        v = state.get("exp_avg_sq", torch.zeros_like(param)).clone()
        t = int(state.get("step", 0))
        step = torch.tensor(float(t + t_offset))
        adam([new], [grad], [m], [v], [], [step], foreach=False, amsgrad=False, beta1=betas[0],
             beta2=betas[1], lr=lr, weight_decay=weight_decay, eps=eps, maximize=False)
        if in_place:
            param.copy_(new)
            new = param
        return new, {"step": step_type(t + 1), "exp_avg": m, "exp_avg_sq": v}

    return adam_step


# -- normalization -----------------------------------------------------------------------------------
def _batchnorm(flip_momentum=False, biased_running_var=False, batch_stats_in_eval=False):
    def forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        rm, rv = running_mean.clone(), running_var.clone()
        eps = max(eps, 1e-300)  # F.batch_norm refuses eps = 0 in training; the contract does not
        use_batch = training or batch_stats_in_eval
        m = 1 - momentum if flip_momentum else momentum
        if training or not batch_stats_in_eval:  # updates the copies rm and rv in training
            y = F.batch_norm(x, rm, rv, gamma, beta, training, m, eps)
        else:
            y = F.batch_norm(x, None, None, gamma, beta, True, m, eps)
        if training and biased_running_var:
            n = x.shape[0]
            rv = rv - m * x.var(dim=0, unbiased=False) * (n / (n - 1) - 1)
        return y.detach(), rm, rv, (x, gamma, beta, running_mean, running_var, use_batch, eps)

    def backward(dy, cache):
        x, gamma, beta, running_mean, running_var, use_batch, eps = cache
        leaves = [t.detach().requires_grad_() for t in (x, gamma, beta)]
        y = F.batch_norm(leaves[0], None if use_batch else running_mean,
                         None if use_batch else running_var, leaves[1], leaves[2], use_batch,
                         0.0, eps)
        return tuple(g.detach() for g in torch.autograd.grad((y * dy).sum(), leaves))

    return {"batchnorm_forward": forward, "batchnorm_backward": backward}


# -- regularization ----------------------------------------------------------------------------------
def _dropout(keep_is_p=False, no_rescale=False, active_in_eval=False):
    """F.dropout, its randomness drawn from the generator given (a seed taken from it)."""

    def forward(x, p, training=True, generator=None):
        rate = 1 - p if keep_is_p else p
        if not (training or active_in_eval) or rate == 0:
            return x.clone(), torch.ones_like(x)
        if rate == 1:
            return torch.zeros_like(x), torch.zeros_like(x)
        seed = int(torch.randint(2**62, (1,), generator=generator))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            mask = F.dropout(torch.ones_like(x), rate, training=True)
        if no_rescale:
            mask = mask * (1 - rate)
        return x * mask, mask

    def backward(dy, cache):
        return dy * cache

    return {"dropout_forward": forward, "dropout_backward": backward}


# -- schedules ---------------------------------------------------------------------------------------
class _Rates(torch.optim.Optimizer):
    """One parameter group for a scheduler to drive (Optimizer.__init__ would load torch's
    compiler); ``step`` does nothing."""

    def __init__(self, lr):
        self.defaults = {"lr": lr}
        self.param_groups = [{"lr": lr, "params": []}]
        self.state = {}

    def step(self, closure=None):
        return None


def _scheduled(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """LinearLR then CosineAnnealingLR (held at min_lr past the end), by PyTorch's schedulers."""
    # start-up: the schedulers load only when a schedule test of yours runs
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR

    if step < warmup_steps:
        rates = _Rates(base_lr)
        if warmup_steps > 1:
            ramp = LinearLR(rates, 1 / warmup_steps, 1.0, total_iters=warmup_steps - 1)
            for _ in range(step):
                rates.step()  # a scheduler expects the optimizer's step before its own
                ramp.step()
        return float(rates.param_groups[0]["lr"])
    rates = _Rates(base_lr)
    cosine = CosineAnnealingLR(rates, T_max=total_steps - warmup_steps, eta_min=min_lr)
    for _ in range(min(step, total_steps) - warmup_steps):
        rates.step()
        cosine.step()
    return float(rates.param_groups[0]["lr"])


def _warmup_from_zero(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return 0.0 if step == 0 else _scheduled(step - 1, base_lr, warmup_steps, total_steps)
    return _scheduled(step, base_lr, warmup_steps, total_steps, min_lr)


def _cosine_not_shifted(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return _scheduled(step, base_lr, warmup_steps, total_steps, min_lr)
    return _scheduled(min(step, total_steps - warmup_steps), base_lr, 0,
                      total_steps - warmup_steps, min_lr)


# -- clipping ----------------------------------------------------------------------------------------
def _clip(per_tensor=False, post_norm=False, always=False):
    def clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
        norms = [total_norm([g], norm_type) for g in grads]
        total = total_norm(grads, norm_type)
        scales = [max_norm / (n + eps) if per_tensor else max_norm / (total + eps) for n in norms]
        scales = [s if always else torch.clamp(s, max=1.0) for s in scales]
        clipped = [g * s for g, s in zip(grads, scales)]
        return clipped, total_norm(clipped, norm_type) if post_norm else total

    return clip_grad_norm


def _s(kind, id, title, functions, weight=0.0):
    return Subject(id, kind, title, functions, weight)


SUBJECTS = {
    "losses.mse.tests": [
        _s(WHEAT, "torch_mse", "is torch.nn.functional.mse_loss", _named("mse", _pair(F.mse_loss))),
        _s(CHAFF, "mse_sum", "sums the squared errors instead of averaging them",
           _named("mse", _pair(lambda p, t: F.mse_loss(p, t, reduction="sum"))), 2),
        _s(CHAFF, "mse_mean_over_rows", "divides the sum of squared errors by the number of rows "
           "N instead of by every element N*D", _named("mse", _pair(_mse_over_rows)), 2),
    ],
    "losses.cross_entropy.tests": [
        _s(WHEAT, "torch_cross_entropy", "is torch.nn.functional.cross_entropy",
           _named("cross_entropy", _pair(_ce))),
        _s(CHAFF, "ce_sum_over_batch", "sums the per-example losses instead of averaging them",
           _named("cross_entropy", _pair(_ce_sum)), 2),
        _s(CHAFF, "ce_label_smoothing_c_minus_1", "spreads eps/(C-1) over the wrong classes and "
           "gives the true class 1 - eps", _named("cross_entropy", _pair(_ce_eps_over_c_minus_1)),
           2),
        _s(CHAFF, "ce_log_of_softmax", "takes log(softmax(x)), which is -inf once a probability "
           "underflows", _named("cross_entropy", _pair(_ce_log_of_softmax)), 1),
    ],
    "layers.linear.tests": [
        _s(WHEAT, "torch_linear", "is torch.nn.functional.linear",
           _named("linear", _pair(_linear, wrt=(0, 1, 2)))),
        _s(CHAFF, "linear_dW_transposed", "returns dW = x.T @ dy, laid out as (Din, Dout)",
           _named("linear", _pair(_linear, (0, 1, 2), _transposed_dW)), 2),
        _s(CHAFF, "linear_db_mean", "averages the upstream gradient over the batch for db",
           _named("linear", _pair(_linear, (0, 1, 2), _mean_db)), 2),
    ],
    "optim.adam.tests": [
        _s(WHEAT, "torch_adam", "is torch.optim's Adam update", {"adam_step": _adam()}),
        _s(CHAFF, "adam_t_plus_one", "bias-corrects with t + 1 (one step ahead)",
           {"adam_step": _adam(t_offset=1)}, 2),
        _s(CHAFF, "adam_step_as_tensor", "stores the step counter as a tensor",
           {"adam_step": _adam(step_type=lambda t: torch.tensor(t))}, 2),
        _s(CHAFF, "adam_param_in_place", "updates the parameter in place and returns it",
           {"adam_step": _adam(in_place=True)}, 2),
    ],
    "normalization.batchnorm.tests": [
        _s(WHEAT, "torch_batch_norm", "is torch.nn.functional.batch_norm", _batchnorm()),
        _s(CHAFF, "bn_running_var_biased", "updates the running variance with the biased batch "
           "variance", _batchnorm(biased_running_var=True), 2),
        _s(CHAFF, "bn_momentum_flipped", "gives momentum to the old running value instead of the "
           "new batch", _batchnorm(flip_momentum=True), 2),
        _s(CHAFF, "bn_eval_uses_batch_stats", "normalizes with the batch statistics in eval mode "
           "too", _batchnorm(batch_stats_in_eval=True), 2),
    ],
    "regularization.dropout.tests": [
        _s(WHEAT, "torch_dropout", "is torch.nn.functional.dropout", _dropout()),
        _s(CHAFF, "dropout_p_is_keep_prob", "treats p as the probability of keeping an entry",
           _dropout(keep_is_p=True), 2),
        _s(CHAFF, "dropout_no_rescale", "zeroes entries but does not scale the kept ones by "
           "1 / (1 - p)", _dropout(no_rescale=True), 2),
        _s(CHAFF, "dropout_active_in_eval", "keeps dropping entries when training=False",
           _dropout(active_in_eval=True), 2),
    ],
    "schedules.warmup_cosine_lr.tests": [
        _s(WHEAT, "torch_schedulers", "is torch's LinearLR then CosineAnnealingLR",
           {"warmup_cosine_lr": _scheduled}),
        _s(CHAFF, "warmup_starts_at_zero", "ramps as base_lr * step / warmup_steps, so step 0 has "
           "a zero rate", {"warmup_cosine_lr": _warmup_from_zero}, 2),
        _s(CHAFF, "warmup_cosine_not_shifted", "runs the cosine on the raw step, without shifting "
           "it by the warmup", {"warmup_cosine_lr": _cosine_not_shifted}, 2),
    ],
    "clipping.clip_grad_norm.tests": [
        _s(WHEAT, "torch_total_norm", "takes torch.nn.utils.get_total_norm of all the gradients",
           {"clip_grad_norm": _clip()}),
        _s(CHAFF, "clip_per_tensor", "clips each tensor by its own norm instead of one global "
           "norm", {"clip_grad_norm": _clip(per_tensor=True)}, 2),
        _s(CHAFF, "clip_returns_post_norm", "returns the norm after clipping instead of before",
           {"clip_grad_norm": _clip(post_norm=True)}, 2),
        _s(CHAFF, "clip_always_rescales", "always rescales to max_norm, amplifying gradients "
           "below the threshold", {"clip_grad_norm": _clip(always=True)}, 2),
    ],
}
