"""Public checks for starter/diagnostics.py: small cases you can work out by hand.

The hidden graders also compare ``layer_gradient_norms`` with an independent computation for
several depths, widths and seeds, and run ``diagnose_loss_curve`` on many generated curves of
every kind (with and without validation losses).

Run with ``pytest exercises/test_diagnostics.py``; add ``-k dead`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.grading.checker import Mistake

from . import python_numbers


@pytest.mark.exercise("diagnostics.expected_initial_loss")
def test_expected_initial_loss(check):
    # 10 classes, each predicted with probability 1/10: -ln(0.1) = ln(10)
    check.matches(lambda m: m.diagnostics.expected_initial_loss(10), "expected_initial_loss(10)",
                  expected=math.log(10), rtol=1e-12, atol=0.0)


@pytest.mark.exercise("diagnostics.layer_gradient_norms")
class TestLayerGradientNorms:
    def test_one_layer_by_hand(self, check):
        # One tanh layer: h = tanh(x @ W.T), loss = 0.5 * mean(h^2), dW = ((h * (1 - h^2)) / h.numel()).T @ x
        g = torch.Generator().manual_seed(5)
        x = torch.randn(6, 4, generator=g, dtype=torch.float64)
        W = torch.randn(4, 4, generator=g, dtype=torch.float64) * math.sqrt(2 / 4)
        h = torch.tanh(x @ W.T)
        dW = ((h * (1 - h * h)) / h.numel()).T @ x
        check.matches(lambda m: m.diagnostics.layer_gradient_norms("tanh", 1, 4, "he", seed=5,
                                                                   batch=6),
                      "layer_gradient_norms('tanh', 1, 4, 'he', seed=5, batch=6)",
                      expected=[dW.abs().mean().item()], rtol=1e-9, atol=0.0)

    def test_sigmoid_vanishes(self, check):
        norms = check.impl.diagnostics.layer_gradient_norms("sigmoid", 8, 32, "small")
        check.that(len(norms) == 8, f"expected one value per layer (8), got {len(norms)}")
        check.that(norms[0] < 1e-4 * norms[-1],
                   f"sigmoid with tiny weights: the first layer's gradient ({norms[0]:.3g}) should "
                   f"be orders of magnitude below the last layer's ({norms[-1]:.3g})")

    def test_residual_keeps_the_first_layer_learning(self, check):
        # The same stack with a skip around every activation: h_l = h_{l-1} + sigmoid(...)
        plain = check.impl.diagnostics.layer_gradient_norms("sigmoid", 8, 32, "small")
        skip = check.impl.diagnostics.layer_gradient_norms("sigmoid", 8, 32, "small",
                                                           residual=True)
        check.that(skip[0] > 1e-3 * skip[-1] and skip[0] > 1e6 * plain[0],
                   f"with residual=True the first layer's gradient ({skip[0]:.3g}) should stay "
                   f"near the last layer's ({skip[-1]:.3g}) and far above the plain stack's "
                   f"first ({plain[0]:.3g})",
                   hint="h_l = h_{l-1} + act(h_{l-1} @ W_l.T) on every layer when residual=True")


@pytest.mark.exercise("diagnostics.dead_relu_fraction")
def test_dead_relu_fraction(check):
    # 4 units: unit 0 is negative on every example, unit 2 is exactly 0 on every example (dead
    # too), unit 1 is positive once, unit 3 always: 2 dead units out of 4.
    pre = torch.tensor([[-1.0, -2.0, 0.0, 1.0],
                        [-3.0, 0.5, 0.0, 2.0],
                        [-0.1, -1.0, 0.0, 3.0]], dtype=torch.float64)
    check.matches(lambda m: m.diagnostics.dead_relu_fraction(pre), "dead_relu_fraction",
                  expected=0.5, rtol=1e-12, atol=0.0, mistakes=[
                      Mistake("drf_strictly_negative", "uses < 0, so a unit stuck at exactly 0 "
                              "counts as alive", "ReLU outputs 0 and passes no gradient at "
                              "exactly 0 too: test <= 0.", 0.25)])


# Each label counts once another label is also right: one label returned for every curve
# earns nothing.
@pytest.mark.exercise("diagnostics.diagnose_loss_curve")
class TestDiagnoseLossCurve:
    def diagnose(self, check, train, val, expected):
        check.matches(lambda m: m.diagnostics.diagnose_loss_curve(train, val),
                      f"diagnose_loss_curve (expected {expected!r})", expected=expected,
                      shows={"training loss": train, "validation loss": val})

    @pytest.mark.supporting("test_diverged_on_nan", "test_spike", "test_stuck", "test_overfitting")
    def test_healthy(self, check):
        train = [2.0 * 0.85 ** e for e in range(20)]
        self.diagnose(check, train, None, "healthy")

    @pytest.mark.supporting("test_healthy", "test_spike", "test_stuck", "test_overfitting")
    def test_diverged_on_nan(self, check):
        train = [2.0, 1.5, 1.2, 1.0, 0.9, float("nan"), float("nan")]
        self.diagnose(check, train, None, "diverged")

    @pytest.mark.supporting("test_healthy", "test_diverged_on_nan", "test_stuck", "test_overfitting")
    def test_spike(self, check):
        train = [2.0 * 0.9 ** e for e in range(20)]
        train[10] = 10 * train[9]  # one bad batch, then back to normal
        self.diagnose(check, train, None, "spike")

    @pytest.mark.supporting("test_healthy", "test_diverged_on_nan", "test_spike", "test_overfitting")
    def test_stuck(self, check):
        self.diagnose(check, [2.303, 2.302, 2.303, 2.302, 2.302, 2.301, 2.302, 2.301], None,
                      "stuck")

    @pytest.mark.supporting("test_healthy", "test_diverged_on_nan", "test_spike", "test_stuck")
    def test_overfitting(self, check):
        train = [2.0 * 0.85 ** e for e in range(20)]
        val = [2.1, 1.8, 1.5, 1.3, 1.15, 1.05, 1.0, 0.98, 0.99, 1.02, 1.06, 1.1, 1.15, 1.2,
               1.25, 1.3, 1.35, 1.4, 1.45, 1.5]
        self.diagnose(check, train, val, "overfitting")


@pytest.mark.exercise("diagnostics.dead_relu_fraction")
@pytest.mark.supporting()  # a constant 0.0 is a Python float too
def test_dead_relu_fraction_is_a_python_float(check):
    pre = torch.tensor([[-1.0, 2.0], [-1.0, 3.0]], dtype=torch.float32)
    python_numbers(check, check.impl.diagnostics.dead_relu_fraction(pre),
                   "dead_relu_fraction of a float32 tensor")


@pytest.mark.exercise("diagnostics.expected_initial_loss")
@pytest.mark.supporting()  # a constant float passes it
def test_expected_initial_loss_is_a_python_float(check):
    python_numbers(check, check.impl.diagnostics.expected_initial_loss(10),
                   "expected_initial_loss(10)")


_ALL_CURVES = ("test_healthy", "test_diverged_on_nan", "test_spike", "test_stuck",
               "test_overfitting")


@pytest.mark.exercise("diagnostics.diagnose_loss_curve")
class TestDiagnoseLossCurveRules:
    """The order of the rules and their thresholds, one curve each."""

    diagnose = TestDiagnoseLossCurve.diagnose

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_nan_wins_over_stuck(self, check):
        self.diagnose(check, [2.0, 2.0, float("nan"), 2.0, 2.0], None, "diverged")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_up_half_the_time_without_a_trend(self, check):
        self.diagnose(check, [2.0, 2.4] * 5 + [2.0], None, "lr_too_high")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_rises_below_one_percent_do_not_count(self, check):
        self.diagnose(check, [2.0, 2.005] * 5 + [2.0], None, "stuck")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_a_jump_that_stays_up_is_no_spike(self, check):
        self.diagnose(check, [1.0, 0.9, 0.8, 3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 0.7], None, "healthy")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_a_spike_may_take_two_steps_to_recover(self, check):
        train = [2.0 * 0.9 ** e for e in range(20)]
        train[10], train[11] = 10 * train[9], 5 * train[9]
        self.diagnose(check, train, None, "spike")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_validation_above_training_alone_is_healthy(self, check):
        train = [2.0 * 0.85 ** e for e in range(20)]
        self.diagnose(check, train, [1.2 * t for t in train], "healthy")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_flat_end_after_a_long_fall_is_healthy(self, check):
        train = [2.0 * 0.7 ** e for e in range(10)] + [2.0 * 0.7 ** 9] * 10
        self.diagnose(check, train, None, "healthy")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_flat_start_then_falling_is_healthy(self, check):
        train = [2.0] * 4 + [2.0 * 0.9 ** e for e in range(1, 17)]
        self.diagnose(check, train, None, "healthy")

    @pytest.mark.supporting(*_ALL_CURVES)
    def test_underfitting(self, check):
        train = [2.0, 1.8, 1.6, 1.5, 1.45] + [1.4] * 15
        self.diagnose(check, train, None, "underfitting")


@pytest.mark.exercise("diagnostics.layer_gradient_norms")
@pytest.mark.supporting()  # a list of constant floats passes it
def test_layer_gradient_norms_are_python_floats(check):
    python_numbers(check, check.impl.diagnostics.layer_gradient_norms("tanh", 2, 4, "he", batch=6),
                   "layer_gradient_norms('tanh', 2, 4, 'he', batch=6)")
