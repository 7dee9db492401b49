"""Student-style bugs of normalization.py: cs231n-style layer objects that keep their cache,
NumPy rewrites and the long step-by-step backward passes learners derive on paper, each with
one genuine mistake (see ``descent.catalogue.student``).
"""

import numpy as np
import torch

from descent.catalogue import student


class BatchNorm1d:
    """A layer object with its own cache; the contract's cache is the object itself."""

    def __init__(self, gamma, beta, eps, use_eps=True):
        self.gamma, self.beta, self.eps, self.use_eps = gamma, beta, eps, use_eps

    def forward(self, x, mean, var, training):
        self.training = training
        std = torch.sqrt(var + self.eps) if self.use_eps else torch.sqrt(var)
        self.xhat = (x - mean) / std
        self.std = std
        return self.gamma * self.xhat + self.beta

    def backward(self, dy):
        n = dy.shape[0]
        dbeta = dy.sum(0)
        dgamma = (dy * self.xhat).sum(0)
        g = dy * self.gamma
        if not self.training:
            return g / self.std, dgamma, dbeta
        dx = (n * g - g.sum(0) - self.xhat * (g * self.xhat).sum(0)) / (n * self.std)
        return dx, dgamma, dbeta


def _batch_stats(x, running_mean, running_var, training, momentum):
    if not training:
        return running_mean, running_var, running_mean.clone(), running_var.clone()
    n = x.shape[0]
    mean = x.mean(0)
    var = ((x - mean) ** 2).mean(0)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return mean, var, new_mean, new_var


# ----------------------------------------------------------------------------------- batch norm
bn_layer_no_eps = student(
    "bn_layer_no_eps",
    "normalization.batchnorm",
    "a batch-norm layer object that divides by sqrt(var), leaving eps out",
    generic=("eps", "argument", "factor"),
    wrong_on="ordinary",
)


@bn_layer_no_eps.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    mean, var, new_mean, new_var = _batch_stats(x, running_mean, running_var, training, momentum)
    layer = BatchNorm1d(gamma, beta, eps, use_eps=False)
    return layer.forward(x, mean, var, training), new_mean, new_var, layer


@bn_layer_no_eps.replaces
def batchnorm_backward(dy, cache):
    return cache.backward(dy)


bn_eval_without_affine = student(
    "bn_eval_without_affine",
    "normalization.batchnorm",
    "in eval mode returns the normalized input without applying gamma and beta",
    generic=("mode", "omitted"),
    wrong_on="ordinary",
)


@bn_eval_without_affine.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mu = x.mean(dim=0)
        var = x.var(dim=0, unbiased=False)
        xhat = (x - mu) / torch.sqrt(var + eps)
        out = gamma * xhat + beta
        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
        std = torch.sqrt(var + eps)
    else:
        std = torch.sqrt(running_var + eps)
        xhat = (x - running_mean) / std
        out = xhat
        running_mean, running_var = running_mean.clone(), running_var.clone()
    return out, running_mean, running_var, (xhat, gamma, std, training)


@bn_eval_without_affine.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, std, training = cache
    dbeta, dgamma = dy.sum(0), (dy * xhat).sum(0)
    dxhat = dy * gamma
    if not training:
        return dxhat / std, dgamma, dbeta
    dx = (dxhat - dxhat.mean(0) - xhat * (dxhat * xhat).mean(0)) / std
    return dx, dgamma, dbeta


bn_numpy_eval_batch_stats = student(
    "bn_numpy_eval_batch_stats",
    "normalization.batchnorm",
    "a NumPy batch norm that normalizes with the batch's own statistics in eval mode too "
    "(the running statistics are only updated, never used)",
    generic=("mode", "argument"),
    wrong_on="ordinary",
)


@bn_numpy_eval_batch_stats.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    xn, g, b = x.detach().cpu().numpy(), gamma.detach().cpu().numpy(), beta.detach().cpu().numpy()
    rm, rv = running_mean.detach().cpu().numpy(), running_var.detach().cpu().numpy()
    n = xn.shape[0]
    mu = np.mean(xn, axis=0)
    var = np.var(xn, axis=0)
    xhat = (xn - mu) / np.sqrt(var + eps)
    out = g * xhat + b
    if training:
        rm = (1 - momentum) * rm + momentum * mu
        rv = (1 - momentum) * rv + momentum * var * n / (n - 1)

    def back(a):
        return torch.from_numpy(np.array(a)).to(dtype=x.dtype, device=x.device)

    cache = (back(xhat), gamma, back(np.sqrt(var + eps)))
    return back(out), back(rm), back(rv), cache


@bn_numpy_eval_batch_stats.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, std = cache
    dbeta, dgamma = dy.sum(0), (dy * xhat).sum(0)
    g = dy * gamma
    dx = (g - g.mean(0) - xhat * (g * xhat).mean(0)) / std
    return dx, dgamma, dbeta


bn_backward_power_precedence = student(
    "bn_backward_power_precedence",
    "normalization.batchnorm",
    "the step-by-step backward writes dvar with (var + eps) ** -3 / 2, which Python reads as "
    "((var + eps) ** -3) / 2, so the path through the variance is wrong",
    generic="term",
    wrong_on="ordinary",
)


@bn_backward_power_precedence.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    mean, var, new_mean, new_var = _batch_stats(x, running_mean, running_var, training, momentum)
    xmu = x - mean
    ivar = 1.0 / torch.sqrt(var + eps)
    xhat = xmu * ivar
    return gamma * xhat + beta, new_mean, new_var, (xhat, xmu, ivar, var, gamma, eps, training)


@bn_backward_power_precedence.replaces
def batchnorm_backward(dy, cache):
    xhat, xmu, ivar, var, gamma, eps, training = cache
    n = dy.shape[0]
    dbeta = torch.sum(dy, dim=0)
    dgamma = torch.sum(dy * xhat, dim=0)
    dxhat = dy * gamma
    if not training:
        return dxhat * ivar, dgamma, dbeta
    dvar = torch.sum(dxhat * xmu, dim=0) * -0.5 * (var + eps) ** -3 / 2
    dmean = torch.sum(-dxhat * ivar, dim=0) + dvar * torch.mean(-2.0 * xmu, dim=0)
    dx = dxhat * ivar + dvar * 2.0 * xmu / n + dmean / n
    return dx, dgamma, dbeta


bn_running_stats_never_updated = student(
    "bn_running_stats_never_updated",
    "normalization.batchnorm",
    "returns the running statistics it was given in training mode too (computes the batch "
    "statistics but never blends them in)",
    generic=("frozen", "argument"),
    wrong_on="ordinary",
)


@bn_running_stats_never_updated.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean = x.mean(0)
        var = ((x - mean) ** 2).mean(0)
    else:
        mean, var = running_mean, running_var
    layer = BatchNorm1d(gamma, beta, eps)
    y = layer.forward(x, mean, var, training)
    return y, running_mean.clone(), running_var.clone(), layer


@bn_running_stats_never_updated.replaces
def batchnorm_backward(dy, cache):
    return cache.backward(dy)


# ----------------------------------------------------------------------------------- layer norm
class LayerNorm:
    def __init__(self, gamma, beta, eps):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        self.mu = x.mean(-1, keepdim=True)
        self.var = ((x - self.mu) ** 2).mean(-1, keepdim=True)
        self.std = torch.sqrt(self.var + self.eps)
        self.xhat = (x - self.mu) / self.std
        return self.gamma * self.xhat + self.beta

    def param_grads(self, dy):
        flat = dy.reshape(-1, dy.shape[-1])
        return (flat * self.xhat.reshape(flat.shape)).sum(0), flat.sum(0)


ln_backward_means_over_batch = student(
    "ln_backward_means_over_batch",
    "normalization.layernorm",
    "the layer-norm backward takes the two means of dx over the batch axis (dim 0, as in batch "
    "norm) instead of over the features",
    generic=("reduction", "layout"),
    wrong_on="ordinary",
)


@ln_backward_means_over_batch.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    layer = LayerNorm(gamma, beta, eps)
    return layer.forward(x), layer


@ln_backward_means_over_batch.replaces
def layernorm_backward(dy, cache):
    layer = cache
    g = dy * layer.gamma
    dx = g - g.mean(0, keepdim=True) - layer.xhat * (g * layer.xhat).mean(0, keepdim=True)
    dx = dx / layer.std
    return (dx, *layer.param_grads(dy))


ln_backward_without_gamma = student(
    "ln_backward_without_gamma",
    "normalization.layernorm",
    "the layer-norm backward propagates dy itself into dx instead of dy * gamma",
    generic=("omitted", "factor"),
    wrong_on="ordinary",
)


@ln_backward_without_gamma.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    layer = LayerNorm(gamma, beta, eps)
    return layer.forward(x), layer


@ln_backward_without_gamma.replaces
def layernorm_backward(dy, cache):
    layer = cache
    d = dy.shape[-1]
    dxhat = dy
    dx = (
        d * dxhat
        - dxhat.sum(-1, keepdim=True)
        - layer.xhat * (dxhat * layer.xhat).sum(-1, keepdim=True)
    ) / (d * layer.std)
    return (dx, *layer.param_grads(dy))


ln_std_plus_eps = student(
    "ln_std_plus_eps",
    "normalization.layernorm",
    "normalizes by the standard deviation plus eps (x.std(-1, unbiased=False) + eps) instead of "
    "sqrt(var + eps)",
    generic=("eps", "factor"),
    wrong_on="ordinary",
)


@ln_std_plus_eps.replaces
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(dim=-1, keepdim=True)
    sigma = x.std(dim=-1, keepdim=True, unbiased=False) + eps
    xhat = (x - mu) / sigma
    return gamma * xhat + beta, (xhat, gamma, sigma)


@ln_std_plus_eps.replaces
def layernorm_backward(dy, cache):
    xhat, gamma, sigma = cache
    g = dy * gamma
    dx = (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True)) / sigma
    flat = dy.reshape(-1, dy.shape[-1])
    return dx, (flat * xhat.reshape(flat.shape)).sum(0), flat.sum(0)


# ------------------------------------------------------------------------------------- RMS norm
rmsnorm_mean_square_without_root = student(
    "rmsnorm_mean_square_without_root",
    "normalization.rmsnorm",
    "divides by the mean square plus eps, leaving out the square root",
    generic="omitted",
    wrong_on="ordinary",
)


@rmsnorm_mean_square_without_root.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    ms = (x**2).mean(-1, keepdim=True) + eps
    xhat = x / ms
    return xhat * gamma, (x, gamma, ms)


@rmsnorm_mean_square_without_root.replaces
def rmsnorm_backward(dy, cache):
    x, gamma, ms = cache
    d = x.shape[-1]
    xhat = x / ms
    g = dy * gamma
    # the derivative of x / ms with ms = mean(x^2) + eps
    dx = g / ms - x * (g * x).sum(-1, keepdim=True) * 2 / (d * ms**2)
    dgamma = (dy * xhat).reshape(-1, d).sum(0)
    return dx, dgamma


rmsnorm_backward_no_division = student(
    "rmsnorm_backward_no_division",
    "normalization.rmsnorm",
    "the RMS-norm backward forgets the final division by the root mean square",
    generic=("omitted", "factor"),
    wrong_on="ordinary",
)


@rmsnorm_backward_no_division.replaces
def rmsnorm_forward(x, gamma, eps=1e-6):
    rms = torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + eps)
    return x / rms * gamma, (x / rms, gamma, rms)


@rmsnorm_backward_no_division.replaces
def rmsnorm_backward(dy, cache):
    xhat, gamma, rms = cache
    g = dy * gamma
    dx = g - xhat * (g * xhat).mean(dim=-1, keepdim=True)
    dgamma = (dy * xhat).reshape(-1, xhat.shape[-1]).sum(dim=0)
    return dx, dgamma


bn_eval_eps_after_root = student(
    "bn_eval_eps_after_root",
    "normalization.batchnorm",
    "in evaluation mode divides by sqrt(running_var) + eps, with eps after the root, while "
    "training mode has it under the root as the docstring says",
    generic="eps",
    wrong_on="ordinary",
)


@bn_eval_eps_after_root.replaces
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mu = x.mean(dim=0)
        var = ((x - mu) ** 2).mean(dim=0)
        xhat = (x - mu) / torch.sqrt(var + eps)
        rm = (1 - momentum) * running_mean + momentum * mu
        rv = (1 - momentum) * running_var + momentum * var * n / (n - 1)
        inv = 1 / torch.sqrt(var + eps)
    else:
        inv = 1 / (torch.sqrt(running_var) + eps)
        xhat = (x - running_mean) * inv
        rm, rv = running_mean.clone(), running_var.clone()
    return gamma * xhat + beta, rm, rv, (xhat, gamma, inv, training)


@bn_eval_eps_after_root.replaces
def batchnorm_backward(dy, cache):
    xhat, gamma, inv, training = cache
    dbeta, dgamma = dy.sum(dim=0), (dy * xhat).sum(dim=0)
    g = dy * gamma
    if not training:
        return g * inv, dgamma, dbeta
    dx = (g - g.mean(dim=0) - xhat * (g * xhat).mean(dim=0)) * inv
    return dx, dgamma, dbeta
