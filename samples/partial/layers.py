"""Backpropagation by hand: a linear layer, two small networks and the tools to check gradients.

Conventions for every function in this file:

* Linear weights use PyTorch's layout: ``W`` has shape ``(out_features, in_features)`` and a
  layer computes ``y = x @ W.T + b``. Batches come first: ``x`` is ``(N, in_features)``.
* Every gradient has exactly the shape of the tensor it belongs to (``dW`` like ``W``, ``db``
  like ``b``), the dtype of the inputs and their device.
* Losses are means over the batch and are returned as 0-dim tensors. The gradients are those of
  that mean, so they carry the factor 1/N.
* Never modify an argument in place.
* You may reuse your own functions from ``activations.py`` and ``losses.py`` with relative
  imports, for example ``from .losses import cross_entropy_forward``. Not allowed here:
  ``torch.nn``, ``torch.nn.functional``, ``torch.autograd``, ``.backward()``, and in the two
  networks ``torch.sigmoid``, ``torch.softmax``, ``torch.log_softmax`` and ``torch.logsumexp``.
"""

import torch


def linear_forward(x, W, b):
    """Affine layer: y = x @ W.T + b.

    Args:
        x: (N, Din) inputs, one row per example.
        W: (Dout, Din) weights.
        b: (Dout,) bias, added to every row.
    Returns:
        (y, cache) with ``y`` of shape (N, Dout).
    """
    raise NotImplementedError("layers.linear: linear_forward is not implemented yet (starter/layers.py)")


def linear_backward(dy, cache):
    """Gradients of :func:`linear_forward`.

    With the upstream gradient ``dy`` of shape (N, Dout):
        dx = dy @ W         (N, Din)
        dW = dy.T @ x       (Dout, Din), the layout of W (not x.T @ dy)
        db = dy summed over the batch   (Dout,), a sum, not a mean: b is added to every row.

    Returns:
        (dx, dW, db) in that order.
    """
    raise NotImplementedError("layers.linear: linear_backward is not implemented yet (starter/layers.py)")


def two_layer_net(params, x, y):
    """Loss and gradients of a two-layer binary classifier, the backward pass written by hand.

    The network, for a batch of N examples:
        z1 = x @ W1.T + b1       (N, H)
        a1 = relu(z1)            (N, H)     (derivative 0 where z1 <= 0)
        z2 = a1 @ W2.T + b2      (N, 1), one logit per example, read as a vector of shape (N,)
        p  = sigmoid(z2)         probability of class 1
        loss = mean over the batch of -( y*log(p) + (1 - y)*log(1 - p) )

    Compute the loss from the logits in a stable way (see ``bce_with_logits_forward`` in
    losses.py): logits of size 1000 must give a finite loss and finite gradients. The gradient of
    the mean loss with respect to the logit of example i is (p_i - y_i) / N.

    Args:
        params: dict with keys ``"W1"`` (H, D), ``"b1"`` (H,), ``"W2"`` (1, H), ``"b2"`` (1,).
        x: (N, D) inputs.
        y: (N,) float targets, 0 or 1 (any value in [0, 1] works the same way).
    Returns:
        (loss, grads): ``loss`` a 0-dim tensor, ``grads`` a dict with the same four keys whose
        values have the shapes of the parameters.
    """
    raise NotImplementedError("layers.two_layer_net: two_layer_net is not implemented yet (starter/layers.py)")


def mlp_loss_and_grads(params, x, y, activation="relu"):
    """Softmax cross-entropy loss of a multi-layer perceptron and its gradients, by hand.

    With L = len(params) layers and h_0 = x:
        z_l = h_{l-1} @ W_l.T + b_l     for l = 1..L
        h_l = act(z_l)                  for l = 1..L-1 (no activation after the last layer)
        loss = cross-entropy of the logits z_L against the integer targets y, mean over the batch

    Accepted ``activation`` names, with the conventions of activations.py: ``"relu"``
    (derivative 0 at 0), ``"leaky_relu"`` (slope 0.01), ``"tanh"``, ``"sigmoid"``, ``"gelu"``
    (exact erf form) and ``"silu"``; any other name raises ValueError. A single layer (L = 1) is
    plain softmax regression.

    Compute the cross-entropy stably (subtract each row's maximum logit before exp, as in
    ``cross_entropy_forward`` of losses.py): logits of size ~1e3 must give a finite loss.

    Args:
        params: list of (W, b) pairs, first layer first; W_l is (D_l, D_{l-1}), b_l is (D_l,).
        x: (N, D_0) inputs.
        y: (N,) integer class indices in [0, D_L).
        activation: the name of the hidden activation (default ``"relu"``).
    Returns:
        (loss, grads): ``loss`` a 0-dim tensor, ``grads`` a list of (dW, db) pairs in the order
        of ``params`` (first layer first), each with its parameter's shape.
    """
    raise NotImplementedError("layers.mlp_loss_and_grads: mlp_loss_and_grads is not implemented yet (starter/layers.py)")


def numerical_gradient(f, x, eps=1e-6):
    """Gradient of a scalar function by central differences, one coordinate at a time.

    For every element x_i of ``x`` (in any order):
        grad_i = (f(x + eps*e_i) - f(x - eps*e_i)) / (2*eps)
    where e_i is the tensor of x's shape with a 1 at position i and 0 elsewhere. Central
    differences have an error of order eps^2; one-sided ones (f(x + eps*e_i) - f(x)) / eps only
    of order eps.

    ``f`` is always called on a new, perturbed tensor of x's shape. ``x`` itself must never be
    modified, not even for a moment and restored afterwards: ``f`` may hold on to ``x`` or read
    it while it runs. So build ``x + step`` (or a clone) instead of writing into ``x``.

    Args:
        f: callable taking a tensor of x's shape and returning a Python number or a 0-dim tensor.
        x: float tensor of any shape.
        eps: the step (default 1e-6).
    Returns:
        A tensor of x's shape, dtype and device.
    """
    raise NotImplementedError("layers.numerical_gradient: numerical_gradient is not implemented yet (starter/layers.py)")


def relative_error(a, b):
    """Largest elementwise relative difference between two tensors of the same shape.

        max over elements of |a - b| / max(1e-12, |a| + |b|)

    The floor 1e-12 keeps the ratio finite where both values are 0 (the result is then 0 there).

    Returns:
        A Python float (use ``.item()``), not a tensor.
    """
    raise NotImplementedError("layers.relative_error: relative_error is not implemented yet (starter/layers.py)")
