"""Data for training: mixup, an augmentation for 2-D points, and k-fold cross-validation splits.

Conventions for every function in this file:

* Randomness comes only from ``generator`` (a ``torch.Generator``) when one is given: the same
  generator state gives the same result. With ``generator=None`` use PyTorch's global random
  state. For ``mixup`` and ``augment_points`` the generator lives on ``x``'s device; for
  ``kfold_indices`` it is a CPU generator.
* These functions are graded by the distributions of what they draw and by properties every
  correct answer has (labels sum to 1, folds cover every example once, ...), never by particular
  samples: the draw order each docstring gives is the reference's, stated so that a run can be
  repeated, and other correct ways of drawing the same distributions pass too.
* Never modify an argument in place; results keep the input's dtype and device.
* Bad arguments raise ``ValueError`` with a message that says what was expected.
* Allowed: elementary tensor operations and ``torch.Generator`` sampling (``torch.rand``,
  ``torch.randn``, ``torch.randperm``, ``torch._standard_gamma``). Not allowed: ``torch.nn``,
  ``torch.nn.functional``, ``torch.utils.data``.
"""

import torch


# BEGIN SOLUTION
def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
# END SOLUTION


def mixup(x, y_onehot, alpha, generator=None):
    """Mixup: train on convex combinations of pairs of examples and of their labels.

    Every example i gets its own weight lam_i ~ Beta(alpha, alpha) and a partner perm[i], where
    ``perm`` is a random permutation of the batch (an example may be its own partner):

        x_mixed[i] = lam_i * x[i] + (1 - lam_i) * x[perm[i]]
        y_mixed[i] = lam_i * y_onehot[i] + (1 - lam_i) * y_onehot[perm[i]]

    ``perm`` is uniformly random: a partner never depends on the example's position in the batch
    or on its label (pairing the batch with its reverse, ``x.flip(0)``, is not random). Every
    call draws new weights and a new permutation. The same lam_i and the same partner serve the
    inputs and the labels. Each row of ``y_mixed`` is a convex combination of two label rows, so
    one-hot rows stay non-negative and sum to 1.
    Small alpha (0.2, a common choice) puts most weights near 0 or 1, so mixed examples stay
    close to real ones; alpha = 1 draws the weights uniformly from [0, 1].

    The reference draws, in this order (N = x.shape[0]; a Beta(a, a) variable is G1 / (G1 + G2)
    for independent Gamma(a) variables G1 and G2):

        c = torch.full((N,), alpha, dtype=torch.float64, device=x.device)
        g1 = torch._standard_gamma(c, generator=generator)
        g2 = torch._standard_gamma(c, generator=generator)
        lam = g1 / (g1 + g2)                      (float64, then cast to x's and y's dtypes)
        perm = torch.randperm(N, generator=generator, device=x.device)

    Args:
        x: (N, ...) inputs, any number of trailing dimensions (lam_i scales all of row i).
        y_onehot: (N, C) floating labels: one-hot rows, or any rows of probabilities.
        alpha: the Beta concentration, a number > 0.
        generator: a ``torch.Generator`` on x's device, or None.
    Returns:
        (x_mixed, y_mixed) with the shapes, dtypes and device of ``x`` and ``y_onehot``.
    Raises:
        ValueError: alpha <= 0; ``y_onehot`` not a 2-D floating tensor (turn integer class
            labels into one-hot rows first); x and y_onehot with different batch sizes.
    """
    # BEGIN SOLUTION
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    if y_onehot.dim() != 2 or not y_onehot.is_floating_point():
        raise ValueError("y_onehot must be a floating (N, C) tensor of label rows; got "
                         f"{y_onehot.dtype} of shape {tuple(y_onehot.shape)} (one-hot encode "
                         "integer labels first)")
    n = x.shape[0]
    if y_onehot.shape[0] != n:
        raise ValueError(f"x has {n} examples but y_onehot has {y_onehot.shape[0]}")
    c = torch.full((n,), float(alpha), dtype=torch.float64, device=x.device)
    g1 = torch._standard_gamma(c, generator=generator)
    g2 = torch._standard_gamma(c, generator=generator)
    lam = g1 / (g1 + g2)
    perm = torch.randperm(n, generator=generator, device=x.device)

    def mix(t):
        w = lam.to(t.dtype).reshape(n, *([1] * (t.dim() - 1)))
        return w * t + (1 - w) * t[perm]

    return mix(x), mix(y_onehot)
    # END SOLUTION


def augment_points(x, generator=None, max_angle=0.2, noise_std=0.05):
    """Augment 2-D points: a small random rotation about the origin, then Gaussian jitter.

    Every point i gets its own angle theta_i, uniform in [-max_angle, max_angle] (radians), and
    its own noise e_i ~ N(0, noise_std^2 I), independent for the two coordinates:

        x_aug[i, 0] = cos(theta_i) * x[i, 0] - sin(theta_i) * x[i, 1] + e_i[0]
        x_aug[i, 1] = sin(theta_i) * x[i, 0] + cos(theta_i) * x[i, 1] + e_i[1]

    (a counterclockwise rotation for positive theta; the angle distribution is symmetric, so the
    other direction gives the same distribution). Every call draws new angles and new noise.
    The rotation keeps each point's distance to the origin; for data such as two interleaved
    spirals both changes leave the label as it is.
    With ``max_angle = 0`` and ``noise_std = 0`` the result equals x.

    The reference draws, in this order (N = x.shape[0]):

        theta = (2 * torch.rand(N, generator=generator, dtype=x.dtype, device=x.device) - 1)
                * max_angle
        e = torch.randn(N, 2, generator=generator, dtype=x.dtype, device=x.device) * noise_std

    Args:
        x: (N, 2) floating points.
        generator: a ``torch.Generator`` on x's device, or None.
        max_angle: the largest rotation in radians, >= 0 (default 0.2, about 11.5 degrees).
        noise_std: the standard deviation of the jitter per coordinate, >= 0 (default 0.05).
    Returns:
        (N, 2) augmented points with x's dtype and device.
    Raises:
        ValueError: x not of shape (N, 2); a negative max_angle or noise_std.
    """
    # BEGIN SOLUTION
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"x must be (N, 2) points, got shape {tuple(x.shape)}")
    if max_angle < 0 or noise_std < 0:
        raise ValueError(f"max_angle and noise_std must be >= 0, got {max_angle!r} and "
                         f"{noise_std!r}")
    n = x.shape[0]
    theta = (2 * torch.rand(n, generator=generator, dtype=x.dtype, device=x.device) - 1) \
        * max_angle
    noise = torch.randn(n, 2, generator=generator, dtype=x.dtype, device=x.device) * noise_std
    cos, sin = torch.cos(theta), torch.sin(theta)
    rotated = torch.stack([cos * x[:, 0] - sin * x[:, 1], sin * x[:, 0] + cos * x[:, 1]], dim=1)
    return rotated + noise
    # END SOLUTION


def kfold_indices(n, k, generator=None, shuffle=True):
    """Split ``range(n)`` into k folds for k-fold cross-validation.

    Each example is validated on exactly once: fold f holds out a validation set and trains on
    every other example, and the k validation sets are disjoint and cover 0..n-1. Fold sizes
    follow scikit-learn's ``KFold``: the first ``n % k`` folds have ``n // k + 1`` examples and
    the others ``n // k``, so sizes differ by at most one (n = 10, k = 4: 3, 3, 2, 2).

    The order: ``order = torch.randperm(n, generator=generator)`` when ``shuffle`` is True (the
    only random draw), ``torch.arange(n)`` otherwise; fold f's validation set is the f-th
    consecutive chunk of ``order`` with the sizes above. Without shuffling the folds are
    therefore consecutive blocks: fold 0 validates on 0..size_0 - 1, and so on. With shuffling
    the examples themselves are shuffled, not the order of the blocks: every example is equally
    likely in every fold, and any two examples share a validation fold equally often,
    neighbours or not.

    Args:
        n: the number of examples, an int >= k.
        k: the number of folds, an int >= 2.
        generator: a CPU ``torch.Generator`` (or None for the global random state); not used
            when ``shuffle`` is False.
        shuffle: shuffle the examples before cutting the folds (default True).
    Returns:
        A list of k pairs ``(train_idx, val_idx)``, fold 0 first: int64 CPU tensors (not NumPy
        arrays, which scikit-learn's ``KFold.split`` gives) of sizes
        n - size_f and size_f, each sorted in ascending order (the order inside a tensor is not
        graded; which indices it holds is).
    Raises:
        ValueError: k or n not an int, k < 2, or k > n (a fold would be empty).
    """
    # BEGIN SOLUTION
    if not (_is_int(n) and _is_int(k)):
        raise ValueError(f"n and k must be ints, got {n!r} and {k!r}")
    if k < 2 or k > n:
        raise ValueError(f"need 2 <= k <= n for k-fold cross-validation, got n={n}, k={k}")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    folds, start = [], 0
    for size in sizes:
        val = order[start:start + size]
        train = torch.ones(n, dtype=torch.bool)
        train[val] = False
        folds.append((train.nonzero().flatten(), val.sort().values))
        start += size
    return folds
    # END SOLUTION
