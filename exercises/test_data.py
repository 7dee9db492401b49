"""Public checks for starter/data.py.

These functions are random, so the checks look at properties every correct answer has and at
rough statistics. The hidden graders pool thousands of draws and compare whole distributions
(Beta weights for several alpha, uniform angles, Gaussian jitter, folds over hundreds of seeds),
and check reproducibility, dtypes and the errors for bad arguments.

Run with ``pytest exercises/test_data.py``; add ``-k mixup`` to focus on one exercise.
"""

import math

import pytest
import torch


@pytest.mark.exercise("data.mixup")
def test_mixup_weights_and_labels(check):
    # With the identity as labels, row i of y_mixed shows the weights: lam_i on column i and
    # 1 - lam_i on the partner's column. With alpha = 1 the weights are uniform on [0, 1].
    n = 200
    x = torch.randn(n, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.eye(n, dtype=torch.float64)
    x_mixed, y_mixed = check.impl.data.mixup(x, y, 1.0, torch.Generator().manual_seed(1))
    check.that(bool((y_mixed >= 0).all()) and bool(torch.allclose(y_mixed.sum(1),
                                                                  torch.ones(n, dtype=y.dtype))),
               "every row of y_mixed must be non-negative and sum to 1",
               hint="y_mixed[i] = lam_i * y[i] + (1 - lam_i) * y[perm[i]]")
    check.that(bool(torch.allclose(x_mixed, y_mixed @ x)),
               "x must be mixed with the same weights and partners as the labels")
    w = y_mixed.diagonal()
    middle = float(((w > 0.25) & (w < 0.75)).double().mean())
    check.that(abs(float(w.mean()) - 0.5) < 0.08 and abs(middle - 0.5) < 0.12,
               f"with alpha = 1 the weights should be uniform on [0, 1]: mean "
               f"{float(w.mean()):.3f} (expected about 0.5), {middle:.0%} of them in (0.25, 0.75) "
               f"(expected about 50%)",
               hint="one Beta(alpha, alpha) weight per example, partners from a permutation")


@pytest.mark.exercise("data.augment_points")
def test_augment_rotation_keeps_the_radius(check):
    n, a = 500, 0.3
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=g, dtype=torch.float64) + 3.0   # away from the origin
    out = check.impl.data.augment_points(x, torch.Generator().manual_seed(1), max_angle=a,
                                         noise_std=0.0)
    check.that(bool(torch.allclose(out.norm(dim=1), x.norm(dim=1))),
               "with noise_std=0 every point must keep its distance to the origin",
               hint="rotate about the origin with the same angle for both coordinates")
    theta = torch.atan2(x[:, 0] * out[:, 1] - x[:, 1] * out[:, 0], (x * out).sum(1))
    spread = float(theta.std())
    check.that(float(theta.abs().max()) <= a + 1e-9 and abs(spread - a / math.sqrt(3)) < 0.03,
               f"angles should be uniform on [-{a}, {a}] radians (standard deviation about "
               f"{a / math.sqrt(3):.3f}); got angles up to {float(theta.abs().max()):.3f} with "
               f"standard deviation {spread:.3f}",
               hint="one angle per point: (2 * rand - 1) * max_angle")


@pytest.mark.exercise("data.kfold_indices")
class TestKFold:
    def test_unshuffled_worked_example(self, check):
        # 10 examples, 4 folds: sizes 3, 3, 2, 2 (the first 10 % 4 = 2 folds get one extra)
        folds = check.impl.data.kfold_indices(10, 4, None, shuffle=False)
        got = [torch.as_tensor(v).sort().values.tolist() for _, v in folds]
        check.that(got == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]],
                   f"validation folds of kfold_indices(10, 4, shuffle=False): got {got}",
                   hint="consecutive blocks; the first n % k blocks have n // k + 1 examples")

    def test_shuffled_folds_partition_the_data(self, check):
        folds = check.impl.data.kfold_indices(23, 5, torch.Generator().manual_seed(0))
        vals = torch.cat([torch.as_tensor(v) for _, v in folds]).sort().values
        check.that(vals.tolist() == list(range(23)),
                   "every example must be in exactly one validation fold")
        for f, (train, val) in enumerate(folds):
            both = torch.cat([torch.as_tensor(train), torch.as_tensor(val)]).sort().values
            check.that(both.tolist() == list(range(23)),
                       f"fold {f}: train and validation must split the 23 examples between them")
        blocks = [list(range(0, 5)), list(range(5, 10)), list(range(10, 15)),
                  list(range(15, 19)), list(range(19, 23))]   # what shuffle=False gives
        check.that([torch.as_tensor(v).sort().values.tolist() for _, v in folds] != blocks,
                   "with shuffle=True the folds should not be consecutive blocks",
                   hint="cut the folds from torch.randperm(n, generator=generator)")
