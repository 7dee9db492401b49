"""Public checks for starter/train.py, the capstone (they need your other modules working too).

Quick versions of the hidden checks: memorize one batch of 8 points, learn three well-separated
blobs, and return the documented structure. The hidden graders train on a harder data set
(interleaved spirals), require a validation loss below 0.3 within the time budget, and check that
the same seed gives identical parameters.

Run with ``pytest exercises/test_train.py``.
"""

import math

import pytest
import torch
import torch.nn.functional as F


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
