"""Public checks for starter/clipping.py.

Small examples you can verify on paper. The hidden graders compare with PyTorch's
``clip_grad_norm_`` and ``clip_grad_value_`` on several tensors of different shapes, for the 1-,
2-, 3- and inf-norms, below and above the threshold, and check that your inputs stay unchanged.

Run with ``pytest exercises/test_clipping.py``.
"""

import math

import pytest
import torch

from . import T


@pytest.mark.exercise("clipping.clip_grad_norm")
class TestClipGradNorm:
    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_one_global_norm(self, check):
        # The two tensors together are the vector (3, 4, 0): global norm 5. With max_norm 1 every
        # tensor is multiplied by 1 / (5 + 1e-6), the same factor for both.
        grads = [T(3.0, 4.0), T(0.0)]
        scale = 1 / (5 + 1e-6)
        check.matches(lambda m: m.clipping.clip_grad_norm(grads, 1.0),
                      "clip_grad_norm of [(3, 4), (0,)] with max_norm=1",
                      expected=([T(3 * scale, 4 * scale), T(0.0)], torch.tensor(5.0,
                                                                               dtype=torch.float64)))

    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_every_tensor_shares_one_factor(self, check):
        # (3, 0) and (0, 4) have norms 3 and 4 but one global norm, 5: both are scaled by the
        # same 2 / (5 + 1e-6), so the second stays 4/3 times the first, as before clipping.
        grads = [T(3.0, 0.0), T(0.0, 4.0)]
        scale = 2 / (5 + 1e-6)
        check.matches(lambda m: m.clipping.clip_grad_norm(grads, 2.0)[0],
                      "clip_grad_norm of [(3, 0), (0, 4)] with max_norm=2",
                      expected=[T(3 * scale, 0.0), T(0.0, 4 * scale)],
                      hint="measure one norm over all the tensors together and multiply every "
                           "tensor by the same factor; clipping each by its own norm changes "
                           "the gradient's direction")

    @pytest.mark.supporting()  # gradients handed back unchanged pass it
    def test_no_change_below_the_threshold(self, check):
        grads = [T(0.3, -0.4), T(1.2)]  # global norm 1.3
        check.matches(lambda m: m.clipping.clip_grad_norm(grads, 2.0)[0],
                      "clip_grad_norm below max_norm (nothing to clip)", expected=grads)

    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_inf_norm(self, check):
        # the inf-norm is the largest |g|: 6
        grads = [T(1.0, -6.0), T(2.0, 0.5, -3.0)]
        check.matches(lambda m: m.clipping.clip_grad_norm(grads, 3.0, norm_type=math.inf)[1],
                      "total_norm with norm_type=inf",
                      expected=torch.tensor(6.0, dtype=torch.float64))


@pytest.mark.exercise("clipping.clip_grad_value")
class TestClipGradValue:
    def test_clamps_both_sides(self, check):
        grads = [T(0.5, -2.0, 3.0), T(-0.1)]
        check.matches(lambda m: m.clipping.clip_grad_value(grads, 1.0),
                      "clip_grad_value with clip_value=1",
                      expected=[T(0.5, -1.0, 1.0), T(-0.1)])
