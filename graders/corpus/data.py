"""Student-style bugs of data.py: augmentation and splitting written the way learners write
them, each with one genuine mistake (see ``descent.catalogue.student``).
"""

import torch

from descent.catalogue import student


def _check_mixup(x, y_onehot, alpha):
    if not alpha > 0:
        raise ValueError("alpha must be positive")
    if y_onehot.dim() != 2 or not y_onehot.is_floating_point():
        raise ValueError("y_onehot must be a floating (N, C) tensor")
    if y_onehot.shape[0] != x.shape[0]:
        raise ValueError("x and y_onehot must have the same batch size")


def _beta(alpha, size, generator, device):
    c = torch.full((size,), float(alpha), dtype=torch.float64, device=device)
    g1 = torch._standard_gamma(c, generator=generator)
    g2 = torch._standard_gamma(c, generator=generator)
    return g1 / (g1 + g2)


def _mix(t, lam, perm):
    w = lam.to(t.dtype).reshape(-1, *([1] * (t.dim() - 1)))
    return w * t + (1 - w) * t[perm]


mixup_one_lambda_per_batch = student(
    "mixup_one_lambda_per_batch",
    "data.mixup",
    "draws one mixing weight for the whole batch (as many tutorials do) instead of one per example",
    generic="random",
    wrong_on="ordinary",
)


@mixup_one_lambda_per_batch.replaces
def mixup(x, y_onehot, alpha, generator=None):
    _check_mixup(x, y_onehot, alpha)
    n = x.shape[0]
    lam = _beta(alpha, 1, generator, x.device).expand(n)
    perm = torch.randperm(n, generator=generator, device=x.device)
    return _mix(x, lam, perm), _mix(y_onehot, lam, perm)


mixup_partner_is_reversed_batch = student(
    "mixup_partner_is_reversed_batch",
    "data.mixup",
    "pairs every example with the batch reversed (x.flip(0)) instead of a random permutation",
    generic="random",
    wrong_on="ordinary",
)


@mixup_partner_is_reversed_batch.replaces
def mixup(x, y_onehot, alpha, generator=None):
    _check_mixup(x, y_onehot, alpha)
    n = x.shape[0]
    lam = _beta(alpha, n, generator, x.device)
    perm = torch.arange(n - 1, -1, -1, device=x.device)
    return _mix(x, lam, perm), _mix(y_onehot, lam, perm)


augment_noise_scaled_by_variance = student(
    "augment_noise_scaled_by_variance",
    "data.augment_points",
    "scales the Gaussian jitter by noise_std ** 2 (the variance) instead of noise_std",
    generic=("argument", "factor"),
    wrong_on="ordinary",
)


@augment_noise_scaled_by_variance.replaces
def augment_points(x, generator=None, max_angle=0.2, noise_std=0.05):
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError("x must be (N, 2)")
    if max_angle < 0 or noise_std < 0:
        raise ValueError("max_angle and noise_std must be >= 0")
    n = x.shape[0]
    u = torch.rand(n, generator=generator, dtype=x.dtype, device=x.device)
    theta = (2 * u - 1) * max_angle
    noise = torch.randn(n, 2, generator=generator, dtype=x.dtype, device=x.device) * noise_std**2
    c, s = torch.cos(theta), torch.sin(theta)
    out = torch.empty_like(x)
    out[:, 0] = c * x[:, 0] - s * x[:, 1]
    out[:, 1] = s * x[:, 0] + c * x[:, 1]
    return out + noise


kfold_remainder_in_last_fold = student(
    "kfold_remainder_in_last_fold",
    "data.kfold_indices",
    "gives every fold n // k examples and the last fold all the n % k left over, instead of "
    "one extra to each of the first n % k folds",
    generic="edge",
    wrong_on="ordinary",
)


@kfold_remainder_in_last_fold.replaces
def kfold_indices(n, k, generator=None, shuffle=True):
    if (
        isinstance(n, bool)
        or isinstance(k, bool)
        or not isinstance(n, int)
        or not isinstance(k, int)
    ):
        raise ValueError("n and k must be ints")
    if k < 2 or k > n:
        raise ValueError("need 2 <= k <= n")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    size = n // k
    folds = []
    for f in range(k):
        stop = n if f == k - 1 else (f + 1) * size
        val = order[f * size : stop]
        train = torch.cat([order[: f * size], order[stop:]])
        folds.append((train.sort().values, val.sort().values))
    return folds
