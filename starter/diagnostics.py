"""Training diagnostics: the numbers and curves you read before you trust a training run.

Conventions for every function in this file:

* Functions documented as returning ``float`` return a plain Python float (use ``.item()`` or
  ``float(...)``), never a tensor.
* Never modify an argument in place.
* :func:`layer_gradient_norms` is an experiment, not an exercise in backpropagation: it may use
  ``torch.autograd`` (``loss.backward()`` or ``torch.autograd.grad``). Everywhere else in this
  file elementary tensor operations and plain Python are enough. Not allowed anywhere here:
  ``torch.nn``, ``torch.nn.functional``, ``torch.optim``.
"""

import math

import torch


def expected_initial_loss(num_classes):
    """The cross-entropy a freshly initialized classifier should start near.

    A network that has learned nothing yet gives every one of the C classes the same probability
    1/C, whatever the input. The cross-entropy of that prediction is -log(1/C) = ln(C), with the
    natural logarithm, for every example and so also on average. (10 classes: about 2.303.) A first
    loss far above this usually means the output layer starts too large and the network is
    confidently wrong.

    Args:
        num_classes: the number of classes C, an int >= 2.
    Returns:
        ln(C) as a Python float.
    """
    raise NotImplementedError("diagnostics.expected_initial_loss: expected_initial_loss is not implemented yet (starter/diagnostics.py)")


def layer_gradient_norms(activation, depth, width, init, seed=0, batch=64, residual=False):
    """The vanishing-gradient experiment: how large is each layer's weight gradient?

    Build a deep stack of square layers without biases, push a random batch through it, take a
    simple loss and backpropagate (autograd is allowed here). Everything is float64, and the random
    draws happen in exactly this order, so a run is reproducible:

        g = torch.Generator().manual_seed(seed)
        x = torch.randn(batch, width, generator=g, dtype=torch.float64)
        for l = 1, ..., depth:
            W_l = torch.randn(width, width, generator=g, dtype=torch.float64) * s

    with the scale ``s`` chosen by ``init``:

        "small"    s = 0.01
        "xavier"   s = sqrt(2 / (width + width))   (fan_in = fan_out = width)
        "he"       s = sqrt(2 / width)

    Forward: h_0 = x and h_l = act(h_{l-1} @ W_l.T) for every layer l = 1..depth, the last one
    included, where ``act`` is ``"sigmoid"``, ``"tanh"`` or ``"relu"``. Loss: 0.5 * mean(h_depth ** 2),
    the mean over every element of the (batch, width) output.

    With ``residual=True`` every layer gets a skip connection around its activation:
    h_l = h_{l-1} + act(h_{l-1} @ W_l.T), for every layer l = 1..depth, the first and the last
    included (the draws and everything else stay the same). The gradient then reaches h_{l-1}
    through the identity as well as through the layer, so it no longer has to pass through
    ``depth`` small activation derivatives in a row to reach the first layer.

    Args:
        activation: "sigmoid", "tanh" or "relu".
        depth: number of layers (>= 1).
        width: size of every layer.
        init: "small", "xavier" or "he".
        seed: seed of the generator above.
        batch: number of rows of x.
        residual: add the skip connection described above (default False).
    Returns:
        A list of ``depth`` Python floats: entry l - 1 is mean(|dloss/dW_l|), the mean absolute
        value of the gradient of the loss with respect to W_l, first layer first. (With sigmoid
        and small weights the first entries come out orders of magnitude below the last ones;
        with ``residual=True`` the first layer's stays within a few orders of the last's.)
    """
    raise NotImplementedError("diagnostics.layer_gradient_norms: layer_gradient_norms is not implemented yet (starter/diagnostics.py)")


def dead_relu_fraction(pre_activations):
    """The fraction of ReLU units that are dead on a batch.

    ``pre_activations`` holds the inputs of a ReLU layer for a batch: shape (N, H), one row per
    example, one column per unit. A unit is dead when its pre-activation is <= 0 for every one of
    the N examples (an exact 0 counts as dead: ReLU outputs 0 there and passes no gradient). The
    result is (number of dead units) / H: a fraction of units (columns), not of examples or of
    entries.

    Args:
        pre_activations: tensor of shape (N, H).
    Returns:
        A Python float in [0, 1].
    """
    raise NotImplementedError("diagnostics.dead_relu_fraction: dead_relu_fraction is not implemented yet (starter/diagnostics.py)")


def diagnose_loss_curve(train_losses, val_losses=None):
    """Name what a loss curve shows, by fixed rules applied in a fixed order.

    ``train_losses`` is the training loss per epoch (or per logging step): a list or tuple of
    Python floats, or a 1-D tensor, with n >= 5 entries t[0], ..., t[n-1]. ``val_losses``, when
    given, is the validation loss at the same points (same length), written v[...]. Let
    k = max(1, n // 5), the length of a fifth of the run. Go through these rules in this order
    and return the name of the first one that applies:

    1. "diverged": some loss is NaN or infinite (in ``train_losses``, or in ``val_losses`` when
       given), or the last training loss is above the first: t[n-1] > t[0].
    2. "spike": some step jumps to more than 3 times the previous loss, t[i] > 3 * t[i-1] for an
       i >= 1, and the curve recovers: one of the next five losses t[i+1], ..., t[i+5] (those
       that exist) is at most 2 * t[i-1]. A jump that never comes back down is not a spike.
    3. "lr_too_high": the loss goes up on at least 40% of the n - 1 steps, counting a step as going
       up when t[i] > 1.01 * t[i-1] (a rise of more than 1%), and there is no clear downward
       trend: the mean of the last k losses is more than half the mean of the first k losses.
    4. "stuck": the last loss is within 1% of the first: |t[n-1] - t[0]| <= 0.01 * |t[0]|.
    5. "overfitting" (only when ``val_losses`` is given): the training loss is still falling,
       t[n-1] < t[n-1-k], and the last validation loss is at least 10% above the smallest one:
       v[n-1] >= 1.1 * min(v).
    6. "underfitting": the curves are flat over the last fifth and the final training loss is
       above half the first, t[n-1] > 0.5 * t[0]. A curve is flat over the last fifth when the
       largest and smallest of its last k + 1 values differ by at most 5% of the largest; with
       ``val_losses`` given both curves must be flat, without it only the training curve.
    7. "healthy": none of the above.

    Returns:
        One of the strings "diverged", "spike", "lr_too_high", "stuck", "overfitting",
        "underfitting", "healthy".
    """
    raise NotImplementedError("diagnostics.diagnose_loss_curve: diagnose_loss_curve is not implemented yet (starter/diagnostics.py)")
