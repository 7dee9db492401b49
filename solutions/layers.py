"""Backpropagation by hand: a linear layer, two small networks, the tools to check gradients, a
residual block and gradient checkpointing.

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
  networks ``torch.sigmoid``, ``torch.softmax``, ``torch.log_softmax`` and ``torch.logsumexp``;
  in ``mlp_grads_checkpointed`` also ``torch.utils.checkpoint`` (it is what you are writing).
  Only the library's own operations count: a tensor's ``loss.backward()`` or ``z.softmax()``
  is not allowed; a method of your own class with that name (``layer.backward(dy)`` on your
  own ``Linear``, ``self.softmax(z)``) is fine.
"""

import torch


# BEGIN SOLUTION
from . import activations as _act
from .losses import (bce_with_logits_backward, bce_with_logits_forward, cross_entropy_backward,
                     cross_entropy_forward)

_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "silu")


def _activation(name):
    """(forward, backward) of a hidden activation of activations.py, by name."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {_ACTIVATIONS}")
    return getattr(_act, f"{name}_forward"), getattr(_act, f"{name}_backward")


def _forward_layers(h, params, start, stop, act_forward):
    """Layers start..stop-1 of an MLP from their input h: (output, one cache per layer). The
    activation follows every layer but the network's last."""
    caches = []
    for i in range(start, stop):
        h, linear_cache = linear_forward(h, *params[i])
        act_cache = None
        if i < len(params) - 1:
            h, act_cache = act_forward(h)
        caches.append((linear_cache, act_cache))
    return h, caches


def _backward_layers(dh, caches, start, grads, act_backward):
    """Backpropagate dh through the layers whose caches are given (the first is layer
    ``start``), writing each layer's (dW, db) into ``grads``; returns the gradient of their
    input."""
    for offset in reversed(range(len(caches))):
        linear_cache, act_cache = caches[offset]
        if act_cache is not None:
            dh = act_backward(dh, act_cache)
        dh, dW, db = linear_backward(dh, linear_cache)
        grads[start + offset] = (dW, db)
    return dh
# END SOLUTION


def linear_forward(x, W, b):
    """Affine layer: y = x @ W.T + b.

    Args:
        x: (N, Din) inputs, one row per example.
        W: (Dout, Din) weights.
        b: (Dout,) bias, added to every row.
    Returns:
        (y, cache) with ``y`` of shape (N, Dout).
    """
    # BEGIN SOLUTION
    return x @ W.T + b, (x, W)
    # END SOLUTION


def linear_backward(dy, cache):
    """Gradients of :func:`linear_forward`.

    With the upstream gradient ``dy`` of shape (N, Dout):
        dx = dy @ W         (N, Din)
        dW = dy.T @ x       (Dout, Din), the layout of W (not x.T @ dy)
        db = dy summed over the batch   (Dout,), a sum, not a mean: b is added to every row.

    Returns:
        (dx, dW, db) in that order.
    """
    # BEGIN SOLUTION
    x, W = cache
    return dy @ W, dy.T @ x, dy.sum(dim=0)
    # END SOLUTION


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
    # BEGIN SOLUTION
    z1, cache1 = linear_forward(x, params["W1"], params["b1"])
    a1, cache_relu = _act.relu_forward(z1)
    z2, cache2 = linear_forward(a1, params["W2"], params["b2"])
    loss, cache_loss = bce_with_logits_forward(z2[:, 0], y)
    dz2 = bce_with_logits_backward(loss.new_tensor(1.0), cache_loss)[:, None]
    da1, dW2, db2 = linear_backward(dz2, cache2)
    dz1 = _act.relu_backward(da1, cache_relu)
    _, dW1, db1 = linear_backward(dz1, cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    # END SOLUTION


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
    # BEGIN SOLUTION
    act_forward, act_backward = _activation(activation)
    logits, caches = _forward_layers(x, params, 0, len(params), act_forward)
    loss, loss_cache = cross_entropy_forward(logits, y)
    dh = cross_entropy_backward(loss.new_tensor(1.0), loss_cache)
    grads = [None] * len(params)
    _backward_layers(dh, caches, 0, grads, act_backward)
    return loss, grads
    # END SOLUTION


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
    # BEGIN SOLUTION
    grad = x.new_zeros(x.shape)
    flat = grad.view(-1)
    for i in range(x.numel()):
        step = x.new_zeros(x.numel())
        step[i] = eps
        step = step.view(x.shape)
        flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad
    # END SOLUTION


def relative_error(a, b):
    """Largest elementwise relative difference between two tensors of the same shape.

        max over elements of |a - b| / max(1e-12, |a| + |b|)

    The floor 1e-12 keeps the ratio finite where both values are 0 (the result is then 0 there).

    Returns:
        A Python float (use ``.item()``), not a tensor.
    """
    # BEGIN SOLUTION
    ratio = (a - b).abs() / torch.clamp(a.abs() + b.abs(), min=1e-12)
    return ratio.max().item()
    # END SOLUTION


def residual_block_forward(x, W1, b1, W2, b2):
    """A residual block: a two-layer ReLU branch whose output is added to its own input.

        z = x @ W1.T + b1          (N, H)   the branch's hidden pre-activation
        a = relu(z)                (N, H)
        y = x + a @ W2.T + b2      (N, D)   the skip connection adds x unchanged

    Weights use the layout of :func:`linear_forward` (``y = x @ W.T + b``), so in the usual
    column-vector notation this is y = x + W2 relu(W1 x + b1) + b2. Because x is added to the
    branch's output, the branch must map back to x's width: W2 is (D, H) and b2 is (D,).

    Args:
        x: (N, D) inputs.
        W1: (H, D), b1: (H,): the first layer of the branch.
        W2: (D, H), b2: (D,): the second layer, back to D features.
    Returns:
        (y, cache) with ``y`` of shape (N, D), x's dtype and device.
    Raises:
        ValueError: when W2 or b2 do not map back to x's D features (a W2 of shape (1, H) would
            otherwise broadcast silently against x).
    """
    # BEGIN SOLUTION
    d = x.shape[-1]
    if W2.shape[0] != d or tuple(b2.shape) != (d,):
        raise ValueError(f"the skip connection adds x (D = {d} features) to the branch's output, "
                         f"so W2 must be ({d}, H) and b2 ({d},); got W2 {tuple(W2.shape)} and "
                         f"b2 {tuple(b2.shape)}")
    z, cache1 = linear_forward(x, W1, b1)
    a, cache_relu = _act.relu_forward(z)
    branch, cache2 = linear_forward(a, W2, b2)
    return x + branch, (cache1, cache_relu, cache2)
    # END SOLUTION


def residual_block_backward(dy, cache):
    """Gradients of :func:`residual_block_forward`.

    With the upstream gradient ``dy`` of shape (N, D):
        dW2 = dy.T @ a,  db2 = dy summed over the batch,  da = dy @ W2
        dz  = da where z > 0, else 0      (ReLU's derivative is 0 at z == 0)
        dW1 = dz.T @ x,  db1 = dz summed over the batch
        dx  = dy + dz @ W1                the skip passes dy on unchanged, the branch adds to it

    The ``dy +`` term is what residual connections are for: even when the branch's gradient is
    tiny, x receives dy in full.

    Returns:
        (dx, dW1, db1, dW2, db2) in that order, each with the shape of its input.
    """
    # BEGIN SOLUTION
    cache1, cache_relu, cache2 = cache
    da, dW2, db2 = linear_backward(dy, cache2)
    dz = _act.relu_backward(da, cache_relu)
    dx_branch, dW1, db1 = linear_backward(dz, cache1)
    return dy + dx_branch, dW1, db1, dW2, db2
    # END SOLUTION


def mlp_grads_checkpointed(x, y, params, segment, activation="relu"):
    """The loss and gradients of :func:`mlp_loss_and_grads`, storing only some activations.

    An ordinary backward pass keeps every layer's input from the forward pass until the backward
    reaches it, so its memory grows with the depth L. Gradient checkpointing trades compute for
    memory: the forward pass keeps only every ``segment``-th layer input (the checkpoints) and
    drops the rest; the backward pass then goes over the segments from last to first and, for
    each, runs its layers forward again from the segment's checkpoint to rebuild the
    activations it needs, backpropagates through them, and lets them go.

    The network, loss and gradients are exactly those of ``mlp_loss_and_grads(params, x, y,
    activation)`` (note the different argument order): with h_0 = x,
        z_l = h_{l-1} @ W_l.T + b_l for l = 1..L,  h_l = act(z_l) for l < L (none after the
        last), loss = mean cross-entropy of z_L against the integer targets y.
    Recomputing gives the same numbers, so the result must equal the ordinary backward's.

    Counting convention for ``kept``: the checkpoints are the layer inputs h_{l-1} of the layers
    l = 1, 1 + segment, 1 + 2*segment, ... (layer inputs h_0, h_segment, h_{2*segment}, ...),
    h_0 = x included, so

        kept = ceil(L / segment)

    ``segment=1`` keeps every layer input (an ordinary backward, kept = L); ``segment >= L``
    keeps only x (kept = 1). The logits, the loss and the activations rebuilt during the
    backward are not counted: at any moment at most one segment's activations are alive, so the
    memory is about kept + segment layer activations instead of L (with segment near sqrt(L),
    about 2 sqrt(L)). The graders check the loss, the gradients and ``kept``; they cannot see
    what your code holds in memory, so keeping only the checkpoints is up to you.

    Args:
        x: (N, D_0) inputs.
        y: (N,) integer class indices.
        params: list of (W, b) pairs, first layer first, as in ``mlp_loss_and_grads``.
        segment: an int >= 1, the number of layers between two checkpoints.
        activation: the hidden activation, with the names and conventions
            ``mlp_loss_and_grads`` accepts (GELU in its exact erf form, not the tanh
            approximation; default ``"relu"``).
    Returns:
        (loss, grads, kept): ``loss`` a 0-dim tensor, ``grads`` a list of (dW, db) pairs in the
        order of ``params``, ``kept`` a Python int.
    Raises:
        ValueError: when ``segment`` is not an int >= 1, ``params`` is empty, or the activation
            is unknown.
    """
    # BEGIN SOLUTION
    act_forward, act_backward = _activation(activation)
    if isinstance(segment, bool) or not isinstance(segment, int) or segment < 1:
        raise ValueError(f"segment must be an int >= 1, got {segment!r}")
    if len(params) == 0:
        raise ValueError("params is empty: the network needs at least one layer")
    depth = len(params)
    starts = range(0, depth, segment)
    checkpoints, h = {}, x
    for start in starts:
        checkpoints[start] = h
        h, _ = _forward_layers(h, params, start, min(start + segment, depth), act_forward)
    loss, loss_cache = cross_entropy_forward(h, y)
    dh = cross_entropy_backward(loss.new_tensor(1.0), loss_cache)
    grads = [None] * depth
    for start in reversed(starts):
        _, caches = _forward_layers(checkpoints[start], params, start,
                                    min(start + segment, depth), act_forward)
        dh = _backward_layers(dh, caches, start, grads, act_backward)
    return loss, grads, len(checkpoints)
    # END SOLUTION
