"""Public checks for starter/train.py, the capstone (they need your other modules working too).

Quick versions of the hidden checks: memorize one batch of 8 points, learn three well-separated
blobs, return the documented structure, report the validation loss of the returned parameters,
and train the same way twice from the same seed. The
hidden graders train on a harder data set (interleaved spirals) and require a validation loss
below 0.3 within the time budget.

Run with ``pytest exercises/test_train.py``.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from descent.calls.impl import watched_call
from descent.grading.capstone import epochs, same_training


def blobs(n_per_class, seed):
    """Three Gaussian blobs around the corners of a triangle: an easy 2-D, 3-class problem."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.tensor([[0.0, 2.0], [-1.8, -1.0], [1.8, -1.0]])
    y = torch.arange(3).repeat_interleave(n_per_class)
    x = centers[y] + 0.4 * torch.randn(3 * n_per_class, 2, generator=g)
    return x, y


def loss_of(params, x, y):
    """The graders' forward pass: ReLU between linear layers, cross-entropy of the logits."""
    h = x.double()
    for i, (W, b) in enumerate(params):
        h = h @ W.double().T + b.double()
        if i < len(params) - 1:
            h = h.clamp_min(0)
    return F.cross_entropy(h, y).item()


def train(impl, data, seed, global_seed):
    """``train_classifier`` on ``data`` (x, y, x_val, y_val) with the global random generator
    seeded with ``global_seed`` (put back as it was afterwards), and whether the training
    changed a global random generator (watched where your code runs)."""
    saved = torch.get_rng_state()
    torch.manual_seed(global_seed)  # a loop that draws from it gives another result each time
    try:
        return watched_call(impl.train.train_classifier, data,
                            {"seed": seed, "time_budget_s": 10.0})
    finally:
        torch.set_rng_state(saved)


@pytest.mark.exercise("train.train_classifier")
class TestTrainClassifier:
    def test_overfits_one_batch(self, check):
        x, y = blobs(3, seed=0)
        x8, y8 = x[:8], y[:8]
        out = check.impl.train.train_classifier(x8, y8, x8, y8, seed=0, time_budget_s=10.0)
        loss = loss_of(out["params"], x8, y8)
        check.that(loss < 0.01, f"training loss on one batch of 8 points is {loss:.4g}, "
                                f"expected below 0.01", check="overfit one batch",
                   hint="check the sign of your update and that each step uses the current "
                        "batch's gradients")

    def test_learns_three_blobs(self, check):
        x, y = blobs(30, seed=1)
        xv, yv = blobs(20, seed=2)
        out = check.impl.train.train_classifier(x, y, xv, yv, seed=0, time_budget_s=10.0)
        check.that(set(out) >= {"params", "train_loss", "val_loss"},
                   f"expected the keys params, train_loss, val_loss; got {sorted(out)}",
                   check="shape and type")
        check.that(len(out["train_loss"]) == len(out["val_loss"]) >= 1
                   and all(isinstance(v, float) and math.isfinite(v)
                           for v in out["train_loss"] + out["val_loss"]),
                   "train_loss and val_loss: one finite Python float per epoch each",
                   check="shape and type")
        W0, W_last = out["params"][0][0], out["params"][-1][0]
        check.that(W0.shape[1] == 2 and W_last.shape[0] == 3,
                   f"the first layer takes 2 inputs and the last gives 3 logits; got W shapes "
                   f"{tuple(W0.shape)} ... {tuple(W_last.shape)}", check="shape and type")
        val = loss_of(out["params"], xv, yv)
        check.that(val < 0.1, f"validation loss on three separated blobs is {val:.4f}, "
                              f"expected below 0.1", check="training")

    # a loss reported on the wrong data can pass with untrained parameters too
    @pytest.mark.supporting("test_overfits_one_batch", "test_learns_three_blobs")
    def test_reports_the_validation_loss(self, check):
        # validation labels no network trained on x can fit: the validation loss stays far
        # from the training loss, so a history of the wrong set shows
        x, y = blobs(12, seed=5)
        xv, yv = blobs(4, seed=6)
        out = check.impl.train.train_classifier(x, y, xv, (yv + 1) % 3, seed=0,
                                                time_budget_s=10.0)
        val = loss_of(out["params"], xv, (yv + 1) % 3)
        reported = out["val_loss"][-1]
        check.that(abs(reported - val) <= 1e-4 + 1e-3 * val,
                   f"the last val_loss entry is {reported:.6g} but the returned parameters "
                   f"have validation loss {val:.6g} on x_val / y_val", check="reported losses",
                   hint="val_loss[e] is the loss on x_val / y_val of the parameters at the end "
                        "of epoch e")

    # seeded parameters that were never trained are reproducible too
    @pytest.mark.supporting("test_overfits_one_batch", "test_learns_three_blobs")
    def test_reproducible_from_the_seed(self, check):
        # 36 points: more than one batch per epoch for most batch sizes, so shuffling matters
        data = (*blobs(12, seed=3), *blobs(4, seed=4))
        first, again, other = (train(check.impl, data, seed, global_seed)[0]
                               for seed, global_seed in ((0, 1234), (0, 999), (1, 1234)))
        check.that(same_training(first, again),
                   "two runs with the same seed returned different parameters"
                   if epochs(first) == epochs(again) else
                   f"two runs with the same seed stopped after {epochs(first)} and "
                   f"{epochs(again)} epochs, and their loss histories differ before that",
                   check="reproducible",
                   hint="draw every random number (initialization, shuffling) from one "
                        "torch.Generator seeded with `seed`; never from the global generator")
        check.that(not same_training(first, other),
                   "runs with seeds 0 and 1 returned identical parameters",
                   check="reproducible", hint="use the `seed` argument to seed your generator")

    # a tenth of the exercise, as in the hidden graders: the training may work all the same
    @pytest.mark.supporting("test_overfits_one_batch", "test_learns_three_blobs")
    @pytest.mark.points(0.5)
    def test_leaves_the_global_random_state_alone(self, check):
        data = (*blobs(12, seed=3), *blobs(4, seed=4))
        _, moved = train(check.impl, data, seed=0, global_seed=1234)
        check.that(not moved, "train_classifier changed a global random generator (torch's, "
                              "NumPy's or Python's): the docstring forbids changing global state",
                   check="global state",
                   hint="no torch.manual_seed (or np.random.seed, random.seed) in the training: "
                        "seed a torch.Generator with `seed` and draw everything from it")
