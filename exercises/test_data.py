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

from . import follows_the_generator, refuses


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


def _rotated(check, a):
    """500 points away from the origin, and what augment_points makes of them without noise."""
    x = torch.randn(500, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 3.0
    out = check.impl.data.augment_points(x, torch.Generator().manual_seed(1), max_angle=a,
                                         noise_std=0.0)
    return x, out


@pytest.mark.exercise("data.augment_points")
@pytest.mark.supporting()  # the input handed back keeps every radius too
def test_augment_rotation_keeps_the_radius(check):
    x, out = _rotated(check, 0.3)
    check.that(bool(torch.allclose(out.norm(dim=1), x.norm(dim=1))),
               "with noise_std=0 every point must keep its distance to the origin",
               hint="rotate about the origin with the same angle for both coordinates")


@pytest.mark.exercise("data.augment_points")
@pytest.mark.ordinary  # everyday use, as hidden: one check of the angles' distribution
def test_augment_rotation_angles(check):
    a = 0.3
    x, out = _rotated(check, a)
    theta = torch.atan2(x[:, 0] * out[:, 1] - x[:, 1] * out[:, 0], (x * out).sum(1))
    spread = float(theta.std())
    check.that(float(theta.abs().max()) <= a + 1e-9 and abs(spread - a / math.sqrt(3)) < 0.03,
               f"angles should be uniform on [-{a}, {a}] radians (standard deviation about "
               f"{a / math.sqrt(3):.3f}); got angles up to {float(theta.abs().max()):.3f} with "
               f"standard deviation {spread:.3f}",
               hint="one angle per point: (2 * rand - 1) * max_angle")


def _unshuffled(check, n, k, blocks, hint):
    """kfold_indices(n, k, shuffle=False): its validation folds are ``blocks``, and each fold
    trains on every other example."""
    folds = check.impl.data.kfold_indices(n, k, None, shuffle=False)
    got = [torch.as_tensor(v).sort().values.tolist() for _, v in folds]
    check.that(got == blocks,
               f"validation folds of kfold_indices({n}, {k}, shuffle=False): got {got}", hint=hint)
    trains = [torch.as_tensor(t).sort().values.tolist() for t, _ in folds]
    check.that(trains == [[i for i in range(n) if i not in v] for v in got],
               f"each training set of kfold_indices({n}, {k}, shuffle=False) must be every "
               f"example but its fold's validation block",
               hint="train on the other folds: never on the validation examples themselves")


@pytest.mark.exercise("data.kfold_indices")
class TestKFold:
    def test_unshuffled_worked_example(self, check):
        # 10 examples, 4 folds: sizes 3, 3, 2, 2 (the first 10 % 4 = 2 folds get one extra);
        # each fold trains on the other examples
        _unshuffled(check, 10, 4, [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]],
                    "consecutive blocks; the first n % k blocks have n // k + 1 examples")

    def test_unshuffled_folds_of_one_size(self, check):
        # 8 examples, 4 folds: n % k == 0, so every fold has 2
        _unshuffled(check, 8, 4, [[0, 1], [2, 3], [4, 5], [6, 7]],
                    "consecutive blocks of n // k examples")

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


def _g(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.exercise("data.mixup")
class TestMixupConventions:
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_weights_follow_alpha(self, check):
        # alpha = 0.2 puts most Beta weights near 0 or 1: about 67% of them outside (0.1, 0.9),
        # against 20% for uniform weights
        n = 400
        y = torch.eye(n, dtype=torch.float64)
        w = check.impl.data.mixup(torch.zeros(n, 1, dtype=torch.float64), y, 0.2, _g(2))[1]
        w = w.diagonal()
        edge = float(((w < 0.1) | (w > 0.9)).double().mean())
        check.that(edge > 0.5, f"with alpha = 0.2, {edge:.0%} of the weights are below 0.1 or "
                   f"above 0.9 (a Beta(0.2, 0.2) puts about 67% there)", check="statistics",
                   hint="draw lam_i from Beta(alpha, alpha): G1 / (G1 + G2) for two Gamma(alpha) "
                        "draws, not a uniform number")

    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_partners_form_a_random_permutation(self, check):
        # identity labels: y_mixed[i] is lam_i on column i and 1 - lam_i on the partner's
        n = 300
        y = torch.eye(n, dtype=torch.float64)
        y_mixed = check.impl.data.mixup(torch.zeros(n, 1, dtype=torch.float64), y, 1.0, _g(3))[1]
        partner = (y_mixed - torch.diag(y_mixed.diagonal())).argmax(1)
        mirrored = float((partner == n - 1 - torch.arange(n)).double().mean())
        check.that(len(set(partner.tolist())) > 0.95 * n - 20 and mirrored < 0.1,
                   f"partners should be a random permutation: {len(set(partner.tolist()))} "
                   f"distinct partners of {n}, {mirrored:.0%} paired with their mirror",
                   check="statistics",
                   hint="partners from torch.randperm(N, generator=generator), each example "
                        "used once, never a fixed pairing such as the reversed batch")

    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_new_weights_at_every_call(self, check):
        y, g = torch.eye(6, dtype=torch.float64), _g(8)
        first, second = (check.impl.data.mixup(torch.zeros(6, 1, dtype=torch.float64), y, 1.0,
                                               g)[1].diagonal() for _ in range(2))
        # the diagonal holds lam_i, or 1 where an example is its own partner
        both = (first != 1) & (second != 1)
        check.that(not (both.any() and torch.equal(first[both], second[both])),
                   "two calls on one generator used the same weights lam_i", check="statistics",
                   hint="draw the Beta weights anew at every call")

    @pytest.mark.supporting()  # a fixed draw passes part of it
    def test_draws_come_from_the_generator(self, check):
        x, y = torch.randn(6, 2, generator=_g(0), dtype=torch.float64), torch.eye(6).double()
        follows_the_generator(check, lambda m, g: m.data.mixup(x, y, 1.0, g), "mixup(x, y, 1.0, g)",
                              none_too=True)

    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_float32_stays_float32(self, check):
        x, y = torch.randn(5, 2, generator=_g(1)), torch.eye(5)
        got = check.impl.data.mixup(x, y, 0.4, _g(4))
        check.that(got[0].dtype == torch.float32 and got[1].dtype == torch.float32,
                   f"mixup of float32 data returned {got[0].dtype} and {got[1].dtype}",
                   check="shape and type",
                   hint="cast the float64 weights to x's and y's dtypes before mixing")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_bad_arguments_are_refused(self, check):
        x, y = torch.zeros(4, 2), torch.eye(4)
        for what, call in [
            ("alpha=0", lambda m: m.data.mixup(x, y, 0.0, _g(0))),
            ("integer labels", lambda m: m.data.mixup(x, torch.arange(4), 1.0, _g(0))),
            ("3 labels for 4 examples", lambda m: m.data.mixup(x, torch.eye(3, 4), 1.0, _g(0))),
        ]:
            refuses(check, call, f"mixup with {what}", hint="check the arguments the docstring's "
                    "Raises lists and raise ValueError")


@pytest.mark.exercise("data.augment_points")
class TestAugmentConventions:
    @pytest.mark.ordinary  # everyday use, as hidden
    def test_jitter_has_noise_std_per_coordinate(self, check):
        x = torch.zeros(4000, 2, dtype=torch.float64)  # the origin: rotation leaves it alone
        out = check.impl.data.augment_points(x, _g(5), max_angle=0.0, noise_std=0.5)
        stds = out.std(0)
        corr = float(torch.corrcoef(out.T)[0, 1])
        check.that(bool(((stds - 0.5).abs() < 0.03).all()) and abs(corr) < 0.1,
                   f"noise_std=0.5: the jitter's standard deviations are {stds.tolist()} and "
                   f"the two coordinates correlate {corr:.2f} (expected 0.5 each, independent)",
                   check="statistics",
                   hint="e = torch.randn(N, 2, ...) * noise_std: one draw per coordinate")

    @pytest.mark.ordinary  # as hidden: fresh draws at every call are everyday use
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_new_angles_at_every_call(self, check):
        x, g = torch.randn(8, 2, generator=_g(0), dtype=torch.float64), _g(9)
        first, second = (check.impl.data.augment_points(x, g, noise_std=0.0) for _ in range(2))
        check.that(not torch.equal(first, second), "two calls on one generator rotated by the "
                   "same angles", check="statistics", hint="draw the angles anew at every call")

    @pytest.mark.ordinary  # as hidden
    @pytest.mark.supporting()  # a fixed draw passes part of it
    def test_draws_come_from_the_generator(self, check):
        x = torch.randn(8, 2, generator=_g(0), dtype=torch.float64)
        follows_the_generator(check, lambda m, g: m.data.augment_points(x, g),
                              "augment_points(x, g)", none_too=True)

    @pytest.mark.ordinary  # float32 is what training uses, as hidden
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_float32_stays_float32(self, check):
        got = check.impl.data.augment_points(torch.ones(3, 2), _g(1))
        check.that(got.dtype == torch.float32, f"augment_points of float32 points returned {got.dtype}",
                   check="shape and type", hint="draw the angles and the noise in x's dtype")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_bad_arguments_are_refused(self, check):
        for what, call in [
            ("points of shape (4, 3)", lambda m: m.data.augment_points(torch.zeros(4, 3), _g(0))),
            ("max_angle=-0.1", lambda m: m.data.augment_points(torch.zeros(4, 2), _g(0), -0.1)),
            ("noise_std=-1", lambda m: m.data.augment_points(torch.zeros(4, 2), _g(0), 0.2, -1.0)),
        ]:
            refuses(check, call, f"augment_points with {what}",
                    hint="check the arguments the docstring's Raises lists and raise ValueError")


@pytest.mark.exercise("data.kfold_indices")
class TestKFoldConventions:
    @pytest.mark.ordinary  # as hidden
    @pytest.mark.supporting("test_unshuffled_worked_example", "test_unshuffled_folds_of_one_size",
                            "test_shuffled_folds_partition_the_data")  # sizes alone: hollow
    def test_fold_sizes(self, check):
        # 23 examples in 5 folds: 23 % 5 = 3 folds of 5, then 2 of 4
        folds = check.impl.data.kfold_indices(23, 5, _g(2))
        sizes = [len(torch.as_tensor(v)) for _, v in folds]
        check.that(sizes == [5, 5, 5, 4, 4], f"fold sizes of kfold_indices(23, 5, g): {sizes}",
                   hint="the first n % k folds have n // k + 1 examples, the others n // k")

    @pytest.mark.ordinary  # as hidden: the shuffling is everyday use
    @pytest.mark.supporting()  # a fixed split passes part of it
    def test_splits_come_from_the_generator(self, check):
        follows_the_generator(check, lambda m, g: [v for _, v in m.data.kfold_indices(12, 3, g)],
                              "kfold_indices(12, 3, g)", none_too=True)

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_examples_are_shuffled_not_the_blocks(self, check):
        folds = check.impl.data.kfold_indices(40, 4, _g(6))
        val = [torch.as_tensor(v) for _, v in folds]
        check.that(all(isinstance(v, torch.Tensor) for _, v in folds),
                   "kfold_indices must return torch index tensors", check="shape and type",
                   hint="torch.randperm and slicing give tensors; NumPy arrays are not")
        consecutive = all(bool((v.sort().values.diff() == 1).all()) for v in val)
        check.that(not consecutive, "with shuffle=True each validation fold is still a block of "
                   "consecutive examples", check="statistics",
                   hint="shuffle the examples (cut the folds from torch.randperm(n)), not the "
                        "order of the blocks")

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_bad_arguments_are_refused(self, check):
        for k in (1, 11, 2.5):
            refuses(check, lambda m, k=k: m.data.kfold_indices(10, k, _g(0)),
                    f"kfold_indices(10, k={k!r})", hint="k must be an int with 2 <= k <= n: "
                    "raise ValueError otherwise")
