"""Public checks for starter/regularization.py.

Dropout is random, so its checks are statistical or exact properties that hold for any correct
mask. The hidden graders use 200,000 entries and several values of p, check that entries are
dropped independently, and run early stopping on many more boundary sequences.

Run with ``pytest exercises/test_regularization.py``; add ``-k dropout`` to focus on one exercise.
"""

import pytest
import torch

from descent.grading.checker import Mistake

from . import T, follows_the_generator, python_numbers


@pytest.mark.exercise("regularization.dropout")
class TestDropout:
    def test_drop_rate_and_scale(self, check):
        x = torch.full((200, 250), 3.0, dtype=torch.float64)
        with check.unmodified(x, who="dropout_forward"):
            y, _ = check.impl.regularization.dropout_forward(x, 0.2, True,
                                                             torch.Generator().manual_seed(0))
        frac = float((y == 0).double().mean())
        check.that(abs(frac - 0.2) < 0.01, f"p=0.2 should drop about 20% of the entries, "
                   f"dropped {frac:.1%}", hint="p is the probability of dropping")
        kept = y[y != 0]
        # kept entries are scaled by 1 / (1 - 0.2) = 1.25: 3 * 1.25 = 3.75
        check.that(bool(torch.allclose(kept, torch.full_like(kept, 3.75))),
                   "kept entries must be x / (1 - p) = 3.75", hint="inverted dropout")

    @pytest.mark.supporting()  # self-consistency with your own forward
    def test_backward_uses_the_same_mask(self, check, inputs):
        x, dy = inputs.randn(20, 30), inputs.randn(20, 30)
        y, cache = check.impl.regularization.dropout_forward(
            x, 0.5, True, torch.Generator(device=x.device).manual_seed(1))
        dx = check.impl.regularization.dropout_backward(dy, cache)
        # dropout is linear, so <dy, y> must equal <dx, x>
        check.that(abs(float((dy * y).sum() - (dx * x).sum())) < 1e-9,
                   "<dy, y> must equal <dx, x>: reuse the forward's scaled mask")

    def test_eval_and_edge_cases(self, check):
        x = T([1.0, -2.0], [3.0, 4.0])
        check.matches(lambda m: m.regularization.dropout_forward(x, 0.5, training=False)[0],
                      "dropout_forward(training=False)", expected=x)
        check.matches(lambda m: m.regularization.dropout_forward(x, 0.0)[0],
                      "dropout_forward(p=0)", expected=x)
        check.matches(lambda m: m.regularization.dropout_forward(x, 1.0)[0],
                      "dropout_forward(p=1)", expected=torch.zeros_like(x))


@pytest.mark.exercise("regularization.dropout")
class TestDropoutConventions:
    @pytest.mark.supporting()  # what computes nothing can pass it too
    def test_backward_in_the_identity_cases(self, check):
        x, dy = T([1.0, -2.0], [3.0, 4.0]), T([0.5, 0.5], [-1.0, 2.0])
        for kwargs in (dict(p=0.5, training=False), dict(p=0.0)):
            check.matches(lambda m, kw=kwargs: m.regularization.dropout_backward(
                dy, m.regularization.dropout_forward(x, **kw)[1]),
                f"dropout_backward after dropout_forward({kwargs})", expected=dy,
                hint="when the forward is the identity, so is the backward: dx = dy")

    @pytest.mark.supporting()  # a constant mask passes part of it
    def test_masks_come_from_the_generator(self, check):
        x = torch.ones(40, 10, dtype=torch.float64)
        follows_the_generator(
            check, lambda m, g: m.regularization.dropout_forward(x, 0.5, True, g)[0],
            "dropout_forward(x, 0.5, generator=g)")
        y = check.impl.regularization.dropout_forward(x, 0.5, True, torch.Generator().manual_seed(0))[0]
        check.that(not all(torch.equal(row, y[0]) for row in y),
                   "every example got the same dropout mask", check="statistics",
                   hint="draw one mask of x's full shape: each entry is dropped on its own")


@pytest.mark.exercise("regularization.l2_penalty")
def test_l2_worked_example(check):
    # 0.5 * 0.1 * (1 + 4 + 9) = 0.7; gradients 0.1 * w
    params = [T(1.0, 2.0), T([3.0])]
    check.matches(lambda m: tuple(m.regularization.l2_penalty(params, 0.1)),
                  "l2_penalty (loss, grads)",
                  expected=(torch.tensor(0.7, dtype=torch.float64), [T(0.1, 0.2), T([0.3])]))


@pytest.mark.exercise("regularization.l1_penalty")
@pytest.mark.ordinary  # everyday parameters: failing it caps the exercise at half, as hidden
@pytest.mark.points(4)
def test_l1_worked_example(check):
    # 0.5 * (2 + 1 + 3) = 3; gradients 0.5 * sign(w)
    params = [T(-2.0, 1.0), T([[3.0]])]
    check.matches(lambda m: tuple(m.regularization.l1_penalty(params, 0.5)),
                  "l1_penalty (loss, grads)",
                  expected=(torch.tensor(3.0, dtype=torch.float64),
                            [T(-0.5, 0.5), T([[0.5]])]))


@pytest.mark.exercise("regularization.l1_penalty")
def test_l1_subgradient_at_zero(check):
    # an edge, as in the hidden graders: |w| has no derivative at 0; the subgradient is 0 there
    params = [T(-2.0, 0.0), T([[3.0]])]
    check.matches(lambda m: m.regularization.l1_penalty(params, 0.5)[1],
                  "l1_penalty gradient with an exact zero", expected=[T(-0.5, 0.0), T([[0.5]])],
                  check="edge case",
                  hint="use sign(0) = 0: torch.sign(w), not w / |w| (NaN) or a >= 0 test")


@pytest.mark.exercise("regularization.early_stopping")
class TestEarlyStopping:
    # one sequence a check, as the hidden tests do: everyday sequences are ordinary
    @pytest.mark.ordinary
    def test_docstring_example(self, check):
        losses = [1.0, 0.8, 0.9, 0.85, 0.7]
        # best at epoch 1; epochs 2 and 3 do not improve; 3 - 1 == 2 -> stop at 3
        check.matches(lambda m: tuple(m.regularization.early_stopping(losses, 2)),
                      "early_stopping(patience=2)", expected=(3, 1), mistakes=[
                          Mistake("es_best_is_stop", "reports the stop epoch as best_epoch",
                                  "best_epoch is the last epoch that improved; the stop epoch "
                                  "comes patience epochs after it and did not improve.", (3, 3))],
                      hint="stop at the epoch where epoch - best_epoch == patience")

    @pytest.mark.ordinary
    def test_improving_before_patience_runs_out(self, check):
        # with patience 3, epoch 4 improves before patience runs out
        check.matches(lambda m: tuple(m.regularization.early_stopping([1.0, 0.8, 0.9, 0.85, 0.7],
                                                                      3)),
                      "early_stopping([1.0, 0.8, 0.9, 0.85, 0.7], patience=3)",
                      expected=(None, 4))

    @pytest.mark.ordinary
    def test_min_delta(self, check):
        # with min_delta 0.25, 0.875 is not enough of a gain over 1.0; 0.5 is
        losses = [1.0, 0.875, 0.5, 0.375, 0.25]
        check.matches(lambda m: tuple(m.regularization.early_stopping(losses, 2, 0.25)),
                      "early_stopping(patience=2, min_delta=0.25)", expected=(4, 2))

    @pytest.mark.ordinary  # min_delta in everyday use, as hidden
    def test_best_moves_only_when_it_improves(self, check):
        # steps of 0.1 never beat the last improvement by min_delta 0.15 until 0.8 does; best
        # is that epoch's loss, never lowered by the epochs that did not improve
        losses = [1.0, 0.9, 0.8, 0.7]
        check.matches(lambda m: tuple(m.regularization.early_stopping(losses, 3, 0.15)),
                      "early_stopping([1.0, 0.9, 0.8, 0.7], patience=3, min_delta=0.15)",
                      expected=(None, 2),
                      hint="best moves only at an improving epoch: 0.9 is not below "
                           "1.0 - 0.15, so best stays 1.0 until 0.8")

    @pytest.mark.ordinary  # as hidden: a loop over the losses must not consume them
    @pytest.mark.supporting()  # code that computes nothing edits nothing
    def test_leaves_the_list_alone(self, check):
        losses = [1.0, 0.8, 0.9, 0.85, 0.7]
        check.impl.regularization.early_stopping(losses, 2)
        check.that(losses == [1.0, 0.8, 0.9, 0.85, 0.7], "early_stopping changed val_losses",
                   check="arguments unchanged",
                   hint="read the losses by index (or copy the list first); never pop from it")

    @pytest.mark.supporting()  # any constant pair of ints passes it
    def test_python_ints(self, check):
        got = check.impl.regularization.early_stopping([1.0, 0.8, 0.9, 0.85, 0.7], 2)
        python_numbers(check, tuple(got), "early_stopping's (stop_epoch, best_epoch)", int)
