"""Catalogued variants of normalization.py: realistic bugs and alternative correct implementations.

Reference caches: batch norm keeps (xhat, gamma, inv_std, training); layer norm (xhat, gamma,
inv_std); RMS norm (xhat, gamma, inv_rms). A variant that changes a cache replaces both halves.
"""

import numpy as np
import torch

from descent.catalogue import alternative, bug


def _bn_backward(dy, cache):
    xhat, gamma, inv_std, training = cache
    g = dy * gamma
    if training:
        dx = (g - g.mean(dim=0) - xhat * (g * xhat).mean(dim=0)) * inv_std
    else:
        dx = g * inv_std
    return dx, (dy * xhat).sum(dim=0), dy.sum(dim=0)


def _bn(
    x,
    gamma,
    beta,
    rm,
    rv,
    training,
    momentum,
    eps,
    *,
    unbiased_norm=False,
    biased_running=False,
    flip=False,
    eps_outside=False,
    keepdim=False,
    eval_affine=True,
    lost_parens=False,
):
    n = x.shape[0]
    if training:
        mu = x.mean(dim=0, keepdim=keepdim)
        xc = x - mu
        var = (xc * xc).mean(dim=0, keepdim=keepdim)
        norm_var = var * n / (n - 1) if unbiased_norm else var
        inv_std = 1 / (norm_var.sqrt() + eps) if eps_outside else torch.rsqrt(norm_var + eps)
        w_new = (1 - momentum) if flip else momentum
        run_var = var if biased_running else var * n / (n - 1)
        if lost_parens:  # (1 - m) * old written 1 - m * old
            new_rm = 1 - w_new * rm + w_new * mu
            new_rv = 1 - w_new * rv + w_new * run_var
        else:
            new_rm = (1 - w_new) * rm + w_new * mu
            new_rv = (1 - w_new) * rv + w_new * run_var
    else:
        xc = x - rm
        inv_std = 1 / (rv.sqrt() + eps) if eps_outside else torch.rsqrt(rv + eps)
        new_rm, new_rv = rm.clone(), rv.clone()
    xhat = xc * inv_std
    y = gamma * xhat + beta if training or eval_affine else xhat
    return y, new_rm, new_rv, (xhat, gamma, inv_std, bool(training))


# ------------------------------------------------------------------------------- batch norm
bn_running_var_biased = bug(
    "bn_running_var_biased",
    "normalization.batchnorm",
    "updates the running variance with the biased batch variance",
    hint="The running variance uses the unbiased estimate: multiply the batch variance by "
    "N / (N - 1) before mixing it in (normalization still uses the biased one).",
    generic="factor",
    wrong_on="ordinary",
)


@bn_running_var_biased.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, biased_running=True
    )


bn_momentum_flipped = bug(
    "bn_momentum_flipped",
    "normalization.batchnorm",
    "gives momentum to the old running value instead of the new batch (the Keras convention)",
    hint="Here running = (1 - momentum) * running + momentum * batch: momentum=0.1 means the "
    "new batch gets weight 0.1.",
    generic="argument",
    wrong_on="ordinary",
)


@bn_momentum_flipped.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps, flip=True)


bn_running_lost_parenthesis = bug(
    "bn_running_lost_parenthesis",
    "normalization.batchnorm",
    "writes the running update as 1 - momentum * running + momentum * batch: without its "
    "parenthesis, (1 - momentum) * running becomes 1 minus momentum times running",
    hint="Precedence: multiplication binds first. Write (1 - momentum) * running + momentum * "
    "batch, with the parenthesis around 1 - momentum.",
    generic="precedence",
    wrong_on="ordinary",
)


@bn_running_lost_parenthesis.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps, lost_parens=True)


bn_normalize_unbiased = bug(
    "bn_normalize_unbiased",
    "normalization.batchnorm",
    "normalizes with the unbiased batch variance (torch.var's default)",
    hint="Normalize with the biased variance (mean of squared deviations, divide by N); "
    "torch.var needs unbiased=False / correction=0.",
    generic="factor",
    wrong_on="ordinary",
)


@bn_normalize_unbiased.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, unbiased_norm=True
    )


bn_eps_outside_sqrt = bug(
    "bn_eps_outside_sqrt",
    "normalization.batchnorm",
    "divides by sqrt(var) + eps instead of sqrt(var + eps)",
    hint="eps goes inside the square root: (x - mu) / sqrt(var + eps). It matters for a "
    "feature that is almost constant.",
    generic="factor",
    wrong_on="ordinary",
)


@bn_eps_outside_sqrt.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps, eps_outside=True)


bn_eval_no_affine = bug(
    "bn_eval_no_affine",
    "normalization.batchnorm",
    "normalizes in evaluation mode without gamma and beta (the affine step left out there)",
    hint="Evaluation mode normalizes with the running statistics and then scales and shifts "
    "like training mode: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta.",
    generic="omitted",
    wrong_on="ordinary",
)


@bn_eval_no_affine.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, eval_affine=False
    )


bn_eval_uses_batch_stats = bug(
    "bn_eval_uses_batch_stats",
    "normalization.batchnorm",
    "normalizes with the batch statistics in eval mode too",
    hint="With training=False use running_mean and running_var, not the statistics of x.",
    generic=("argument", "mode"),
    wrong_on="ordinary",
)


@bn_eval_uses_batch_stats.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    y, rm, rv, cache = _bn(x, gamma, beta, running_mean, running_var, True, momentum, eps)
    if not training:
        rm, rv = running_mean.clone(), running_var.clone()
    return y, rm, rv, cache


bn_eval_updates_running = bug(
    "bn_eval_updates_running",
    "normalization.batchnorm",
    "still updates the running statistics in eval mode",
    hint="In eval mode return the running statistics unchanged.",
    wrong_on="ordinary",
)


@bn_eval_updates_running.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    y, _, _, cache = _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    _, rm, rv, _ = _bn(x, gamma, beta, running_mean, running_var, True, momentum, eps)
    return y, rm, rv, cache


# Declared before bn_running_in_place on purpose: the misconception matcher tries the bugs in
# declaration order on the test's own tensors, and that bug writes into running_mean/running_var,
# so a bug tried after it sees altered inputs and is never recognised.
bn_keepdim_statistics = bug(
    "bn_keepdim_statistics",
    "normalization.batchnorm",
    "takes the batch statistics with keepdim=True, so the running statistics come back (1, D)",
    hint="keepdim=True is handy for broadcasting, but the running statistics must keep the "
    "shape (D,) of running_mean and running_var: reduce with x.mean(dim=0).",
    generic="layout",
    wrong_on="ordinary",
)


@bn_keepdim_statistics.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps, keepdim=True)


bn_running_in_place = bug(
    "bn_running_in_place",
    "normalization.batchnorm",
    "updates running_mean and running_var in place (as nn.BatchNorm1d does with its buffers)",
    hint="Return new tensors: new_mean = (1 - momentum) * running_mean + momentum * mu, "
    "without mul_/add_ on the arguments.",
    generic="inplace",
    wrong_on="ordinary",
)


@bn_running_in_place.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    y, rm, rv, cache = _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    if training:
        running_mean.copy_(rm)
        running_var.copy_(rv)
    return y, running_mean, running_var, cache


bn_backward_ignores_stat_grads = bug(
    "bn_backward_ignores_stat_grads",
    "normalization.batchnorm",
    "treats the batch mean and variance as constants in the backward pass",
    hint="In training mode mu and var depend on x: dx = (g - mean(g) - xhat * mean(g * xhat)) "
    "/ sqrt(var + eps) with g = dy * gamma.",
    generic="term",
    wrong_on="ordinary",
)


@bn_backward_ignores_stat_grads.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, inv_std, _ = cache
    return dy * gamma * inv_std, (dy * xhat).sum(dim=0), dy.sum(dim=0)


bn_backward_ignores_var_grad = bug(
    "bn_backward_ignores_var_grad",
    "normalization.batchnorm",
    "keeps the path through the mean but drops the one through the variance",
    hint="The variance depends on x too: the term - xhat * mean(g * xhat) is missing.",
    generic="term",
    wrong_on="ordinary",
)


@bn_backward_ignores_var_grad.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, inv_std, _ = cache
    g = dy * gamma
    return (g - g.mean(dim=0)) * inv_std, (dy * xhat).sum(dim=0), dy.sum(dim=0)


bn_dgamma_not_reduced = bug(
    "bn_dgamma_not_reduced",
    "normalization.batchnorm",
    "returns dgamma and dbeta of shape (N, D) without summing over the batch",
    hint="gamma and beta have shape (D,): sum dy * xhat and dy over dim 0.",
    generic="reduction",
    wrong_on="ordinary",
)


@bn_dgamma_not_reduced.replaces
def batchnorm_backward(dy, cache):
    dx, _, _ = _bn_backward(dy, cache)
    return dx, dy * cache[0], dy.clone()


bn_dbeta_mean = bug(
    "bn_dbeta_mean",
    "normalization.batchnorm",
    "averages dgamma and dbeta over the batch instead of summing",
    hint="Each row contributes to gamma and beta: the gradients are sums over the batch.",
    generic="sum-mean",
    wrong_on="ordinary",
)


@bn_dbeta_mean.replaces
def batchnorm_backward(dy, cache):
    dx, _, _ = _bn_backward(dy, cache)
    return dx, (dy * cache[0]).mean(dim=0), dy.mean(dim=0)


bn_eval_backward_as_train = bug(
    "bn_eval_backward_as_train",
    "normalization.batchnorm",
    "uses the training-mode dx formula in eval mode",
    hint="In eval mode the statistics are constants: dx = dy * gamma / sqrt(running_var + eps).",
    generic="term",
    wrong_on="ordinary",
)


@bn_eval_backward_as_train.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, inv_std, _ = cache
    return _bn_backward(dy, (xhat, gamma, inv_std, True))


bn_var_from_squares = bug(
    "bn_var_from_squares",
    "normalization.batchnorm",
    "computes the variance as mean(x^2) - mean(x)^2, which cancels catastrophically in float32",
    hint="Compute the variance from centred values, mean((x - mu)^2): subtracting two large, "
    "nearly equal numbers loses every digit when features sit far from 0.",
    generic="stability",
    wrong_on="edge",
)


@bn_var_from_squares.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if not training:
        return _bn(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    n = x.shape[0]
    mu = x.mean(dim=0)
    var = (x * x).mean(dim=0) - mu * mu
    inv_std = torch.rsqrt(var + eps)
    xhat = (x - mu) * inv_std
    return (
        gamma * xhat + beta,
        (1 - momentum) * running_mean + momentum * mu,
        (1 - momentum) * running_var + momentum * var * n / (n - 1),
        (xhat, gamma, inv_std, True),
    )


# ------------------------------------------------------------------------------- layer norm
def _ln(x, gamma, beta, eps, dim=-1, unbiased=False, eps_outside=False):
    mu = x.mean(dim=dim, keepdim=True)
    xc = x - mu
    var = xc.var(dim=dim, keepdim=True, unbiased=unbiased)
    inv_std = 1 / (var.sqrt() + eps) if eps_outside else torch.rsqrt(var + eps)
    xhat = xc * inv_std
    return gamma * xhat + beta, (xhat, gamma, inv_std)


ln_stats_over_batch_axis = bug(
    "ln_stats_over_batch_axis",
    "normalization.layernorm",
    "takes the statistics over the batch axis (dim 0), like batch norm",
    hint="Layer norm normalizes each row on its own: mean and variance over the last "
    "dimension, keepdim=True.",
    generic="reduction",
    wrong_on="ordinary",
)


@ln_stats_over_batch_axis.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, dim=0)


ln_unbiased_var = bug(
    "ln_unbiased_var",
    "normalization.layernorm",
    "normalizes with the unbiased variance (divides by D - 1)",
    hint="Use the biased variance over the last dimension: divide by D.",
    generic="factor",
    wrong_on="ordinary",
)


@ln_unbiased_var.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, unbiased=True)


ln_eps_outside_sqrt = bug(
    "ln_eps_outside_sqrt",
    "normalization.layernorm",
    "divides by sqrt(var) + eps instead of sqrt(var + eps)",
    hint="eps goes inside the square root; rows of tiny magnitude show the difference.",
    generic=("factor", "eps"),
    wrong_on="ordinary",
)


@ln_eps_outside_sqrt.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, eps_outside=True)


ln_dgamma_first_axis_only = bug(
    "ln_dgamma_first_axis_only",
    "normalization.layernorm",
    "sums dgamma and dbeta over dim 0 only, so a 3-D input leaves shape (T, D)",
    hint="Sum over every dimension except the last (e.g. reshape to (-1, D) and sum dim 0).",
    generic="reduction",
    wrong_on="ordinary",
)


@ln_dgamma_first_axis_only.replaces
def layernorm_backward(dy, cache):
    xhat, gamma, inv_std = cache
    g = dy * gamma
    dx = (g - g.mean(dim=-1, keepdim=True) - xhat * (g * xhat).mean(dim=-1, keepdim=True)) * inv_std
    return dx, (dy * xhat).sum(dim=0), dy.sum(dim=0)


ln_backward_no_mean_term = bug(
    "ln_backward_no_mean_term",
    "normalization.layernorm",
    "drops the - mean(g) term of dx (forgets that the mean depends on x)",
    hint="dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps), means over the row.",
    generic="term",
    wrong_on="ordinary",
)


@ln_backward_no_mean_term.replaces
def layernorm_backward(dy, cache):
    xhat, gamma, inv_std = cache
    g = dy * gamma
    dx = (g - xhat * (g * xhat).mean(dim=-1, keepdim=True)) * inv_std
    d = xhat.shape[-1]
    return dx, (dy * xhat).reshape(-1, d).sum(0), dy.reshape(-1, d).sum(0)


ln_var_from_squares = bug(
    "ln_var_from_squares",
    "normalization.layernorm",
    "computes the variance as mean(x^2) - mean(x)^2, which cancels catastrophically in float32",
    hint="Compute the variance from centred values, mean((x - mu)^2).",
    generic="stability",
    wrong_on="edge",
)


@ln_var_from_squares.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(dim=-1, keepdim=True)
    var = (x * x).mean(dim=-1, keepdim=True) - mu * mu
    inv_std = torch.rsqrt(var + eps)
    xhat = (x - mu) * inv_std
    return gamma * xhat + beta, (xhat, gamma, inv_std)


# --------------------------------------------------------------------------------- RMS norm
rmsnorm_subtracts_mean = bug(
    "rmsnorm_subtracts_mean",
    "normalization.rmsnorm",
    "centres the row before dividing by its root mean square (that is layer norm)",
    hint="RMS norm does not subtract the mean: y = x / sqrt(mean(x^2) + eps) * gamma.",
    generic="term",
    wrong_on="ordinary",
)


@rmsnorm_subtracts_mean.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    xc = x - x.mean(dim=-1, keepdim=True)
    inv_rms = torch.rsqrt((xc * xc).mean(dim=-1, keepdim=True) + eps)
    xhat = xc * inv_rms
    return xhat * gamma, (xhat, gamma, inv_rms)


rmsnorm_eps_outside_sqrt = bug(
    "rmsnorm_eps_outside_sqrt",
    "normalization.rmsnorm",
    "divides by sqrt(mean(x^2)) + eps instead of sqrt(mean(x^2) + eps)",
    hint="eps goes inside the square root; rows of tiny magnitude show the difference.",
    generic=("factor", "eps"),
    wrong_on="ordinary",
)


@rmsnorm_eps_outside_sqrt.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    inv_rms = 1 / ((x * x).mean(dim=-1, keepdim=True).sqrt() + eps)
    xhat = x * inv_rms
    return xhat * gamma, (xhat, gamma, inv_rms)


rmsnorm_default_eps_1e5 = bug(
    "rmsnorm_default_eps_1e5",
    "normalization.rmsnorm",
    "uses eps=1e-5 by default, like layer norm",
    hint="RMS norm's default eps here is 1e-6.",
    generic=("argument", "factor"),
    wrong_on="ordinary",
)


@rmsnorm_default_eps_1e5.replaces
def rmsnorm_forward(x, gamma, eps=1e-5):
    inv_rms = torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps)
    xhat = x * inv_rms
    return xhat * gamma, (xhat, gamma, inv_rms)


rmsnorm_backward_missing_term = bug(
    "rmsnorm_backward_missing_term",
    "normalization.rmsnorm",
    "treats the root mean square as a constant in the backward pass",
    hint="rms depends on the whole row: dx = (g - xhat * mean(g * xhat)) / rms with "
    "g = dy * gamma.",
    generic="term",
    wrong_on="ordinary",
)


@rmsnorm_backward_missing_term.replaces
def rmsnorm_backward(dy, cache):
    xhat, gamma, inv_rms = cache
    return dy * gamma * inv_rms, (dy * xhat).reshape(-1, xhat.shape[-1]).sum(0)


rmsnorm_dgamma_not_reduced = bug(
    "rmsnorm_dgamma_not_reduced",
    "normalization.rmsnorm",
    "returns dgamma with x's shape instead of summing it to (D,)",
    hint="gamma has shape (D,): sum dy * xhat over every dimension but the last.",
    generic="reduction",
    wrong_on="ordinary",
)


@rmsnorm_dgamma_not_reduced.replaces
def rmsnorm_backward(dy, cache):
    xhat, gamma, inv_rms = cache
    g = dy * gamma
    return (g - xhat * (g * xhat).mean(dim=-1, keepdim=True)) * inv_rms, dy * xhat


# ------------------------------------------------------------------------------ alternatives
alt_bn_staged = alternative(
    "alt_bn_staged",
    "normalization.batchnorm",
    "torch.var_mean statistics and a staged backward through var and mu (computational graph)",
)


@alt_bn_staged.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        var, mu = torch.var_mean(x, dim=0, correction=0)
        unbiased = torch.var(x, dim=0, correction=1)
        new_rm = running_mean + momentum * (mu - running_mean)
        new_rv = running_var + momentum * (unbiased - running_var)
    else:
        mu, var = running_mean, running_var
        new_rm, new_rv = running_mean * 1, running_var * 1
    std = torch.sqrt(var + eps)
    xc = x - mu
    y = gamma * (xc / std) + beta
    return y, new_rm, new_rv, {"xc": xc, "std": std, "gamma": gamma, "train": training}


@alt_bn_staged.replaces
def batchnorm_backward(dy, cache):
    xc, std, gamma, train = cache["xc"], cache["std"], cache["gamma"], cache["train"]
    n = xc.shape[0]
    xhat = xc / std
    dgamma = torch.einsum("nd,nd->d", dy, xhat)
    dbeta = torch.einsum("nd->d", dy)
    dxhat = dy * gamma
    dxc = dxhat / std
    if not train:
        return dxc, dgamma, dbeta
    dstd = -(dxhat * xc).sum(dim=0) / std**2
    dvar = dstd / (2 * std)
    dxc = dxc + dvar * 2 * xc / n
    dx = dxc - dxc.mean(dim=0)
    return dx, dgamma, dbeta


alt_ln_flatten = alternative(
    "alt_ln_flatten",
    "normalization.layernorm",
    "reshapes to (rows, D), works in 2-D with torch.var_mean, and reshapes back",
)


@alt_ln_flatten.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    shape = x.shape
    x2 = x.reshape(-1, shape[-1])
    var, mu = torch.var_mean(x2, dim=1, keepdim=True, unbiased=False)
    xhat = (x2 - mu) / torch.sqrt(var + eps)
    return (xhat * gamma + beta).reshape(shape), (xhat, gamma, var + eps, shape)


@alt_ln_flatten.replaces
def layernorm_backward(dy, cache):
    xhat, gamma, ve, shape = cache
    d = xhat.shape[1]
    dy2 = dy.reshape(-1, d)
    dxhat = dy2 * gamma
    dx = (d * dxhat - dxhat.sum(1, keepdim=True) - xhat * (dxhat * xhat).sum(1, keepdim=True)) / (
        d * torch.sqrt(ve)
    )
    return dx.reshape(shape), (dy2 * xhat).sum(0), dy2.sum(0)


alt_rms_divide = alternative(
    "alt_rms_divide",
    "normalization.rmsnorm",
    "divides by rms explicitly and differentiates through rms with the chain rule",
)


@alt_rms_divide.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    rms = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return gamma * x / rms, (x, gamma, rms)


@alt_rms_divide.replaces
def rmsnorm_backward(dy, cache):
    x, gamma, rms = cache
    d = x.shape[-1]
    g = dy * gamma
    drms = -(g * x).sum(-1, keepdim=True) / rms**2
    dx = g / rms + drms * x / (d * rms)
    dgamma = (dy * x / rms).flatten(0, -2).sum(0) if x.dim() > 1 else dy * x / rms
    return dx, dgamma


# ============================================================ alternatives in other styles
# Object style: a LayerNorm layer object with forward/backward; the cache is the layer.
class LayerNorm:
    def __init__(self, gamma, beta, eps):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        mu = x.mean(dim=-1, keepdim=True)
        var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
        self.inv_std = 1.0 / torch.sqrt(var + self.eps)
        self.xhat = (x - mu) * self.inv_std
        return self.gamma * self.xhat + self.beta

    def backward(self, dy):
        d = self.xhat.shape[-1]
        dgamma = (dy * self.xhat).reshape(-1, d).sum(dim=0)
        dbeta = dy.reshape(-1, d).sum(dim=0)
        g = dy * self.gamma
        dx = (
            self.inv_std
            / d
            * (
                d * g
                - g.sum(dim=-1, keepdim=True)
                - self.xhat * (g * self.xhat).sum(dim=-1, keepdim=True)
            )
        )
        return dx, dgamma, dbeta


layernorm_layer_object = alternative(
    "layernorm_layer_object",
    "normalization.layernorm",
    "a LayerNorm layer object with forward and backward methods; the cache is the layer",
)


@layernorm_layer_object.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    layer = LayerNorm(gamma, beta, eps)
    return layer.forward(x), layer


@layernorm_layer_object.replaces
def layernorm_backward(dy, cache):
    return cache.backward(dy)


# NumPy bridged to tensors: .numpy() in, torch.from_numpy out, dtype and device restored.
rmsnorm_numpy = alternative(
    "rmsnorm_numpy",
    "normalization.rmsnorm",
    "computes in NumPy on the CPU and converts back to the input's dtype and device",
)


@rmsnorm_numpy.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    a, g = x.detach().cpu().numpy(), gamma.detach().cpu().numpy()
    rms = np.sqrt((a * a).mean(axis=-1, keepdims=True) + eps)
    y = torch.from_numpy(a / rms * g).to(dtype=x.dtype, device=x.device)
    return y, (a / rms, g, rms, x.dtype, x.device)


@rmsnorm_numpy.replaces
def rmsnorm_backward(dy, cache):
    xhat, g, rms, dtype, device = cache
    d = dy.detach().cpu().numpy()
    dgamma = (d * xhat).reshape(-1, xhat.shape[-1]).sum(axis=0)
    gd = d * g
    dx = (gd - xhat * (gd * xhat).mean(axis=-1, keepdims=True)) / rms
    return tuple(
        torch.from_numpy(np.ascontiguousarray(v)).to(dtype=dtype, device=device)
        for v in (dx, dgamma)
    )
