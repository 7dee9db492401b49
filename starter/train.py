"""The capstone: train a classifier end to end with the parts you built.

Everything here is assembled from your own modules, imported with relative imports:

    from .init import kaiming_uniform            # or kaiming_normal, xavier_*
    from .layers import mlp_loss_and_grads       # or linear_*, relu_*, cross_entropy_* by hand
    from .optim import adam_step                  # or sgd_step, adamw_step, ...
    from .schedules import warmup_cosine_lr       # or any other schedule
    from .clipping import clip_grad_norm

Not allowed here: ``torch.nn``, ``torch.nn.functional``, ``torch.optim`` (and its schedulers),
``torch.autograd`` and ``.backward()``, ``torch.softmax``/``log_softmax``/``logsumexp``/``sigmoid``.
The gradients come from your backward functions and the updates from your optimizer step.
A tensor's ``loss.backward()`` is not allowed; ``backward`` and ``step`` methods of your own
layer and optimizer classes are fine.
"""

import time

import torch

def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    """Train an MLP classifier from scratch with your own layers, loss, optimizer and schedule.

    The network is a multilayer perceptron: linear layers with ReLU between them and none after
    the last one, whose outputs are the C class logits. The graders recompute the losses from the
    parameters you return with exactly this forward pass,

        h = x;  h = relu(h @ W.T + b) for every layer but the last;  logits = h @ W_last.T + b_last

    and the mean softmax cross-entropy, so keep that architecture (how many layers, how wide, and
    how you initialize and train them are up to you). ``C = int(y_train.max()) + 1`` unless
    ``y_val`` holds a larger class.

    What a good solution does (and what the graders check):

    * Validation loss: on a small 2-D dataset of a few hundred points in 3 classes (for example
      interleaved spirals), the mean cross-entropy of the returned parameters on ``x_val`` is
      below 0.3. The inputs come as they are, not standardized (the two axes on unequal scales),
      and the graders feed ``x_val`` to your parameters as given: if you standardize inside
      your loop, fold the mean and the scale into the first layer before you return it.
    * Overfit one batch: given a single batch of 8 examples as both training and validation set,
      the training loss of the returned parameters is below 0.01. A correct training loop can
      always memorize 8 points; if yours cannot, something is broken (sign of the update,
      gradients, learning rate). So no label smoothing and no strong weight decay.
    * Reproducible: every random choice (initialization, shuffling) comes from a
      ``torch.Generator`` seeded with ``seed``, so two calls with the same arguments train the
      same way: identical parameters when they run the same number of epochs, and identical
      ``train_loss`` and ``val_loss`` over the epochs both ran when a time check (below) stopped
      one of them earlier. Different seeds give different parameters. Do not rely on (or change)
      the global random state.
    * Time: return well within ``time_budget_s`` seconds of wall time (the graders allow some
      slack for a slow machine, not a multiple). Fix the number of epochs before the first step:
      a good loop needs about a second on one CPU core. Checking the elapsed time after each
      epoch and stopping early when the budget runs short is a fine safety net: a run it cuts
      short is the first epochs of the full run, which the reproducibility check accepts.

    Args:
        x_train: (N, D) float tensor of inputs.
        y_train: (N,) int64 tensor of class indices in 0..C-1.
        x_val: (M, D) inputs of the validation set, same dtype and device as ``x_train``.
        y_val: (M,) class indices.
        seed: seed of every random draw.
        time_budget_s: wall-clock budget in seconds.
    Returns:
        A dict with
        ``"params"``: a list of ``(W, b)`` pairs, first layer first, ``W`` of shape
        (out_features, in_features) and ``b`` of shape (out_features,), in the dtype and on the
        device of ``x_train``; the first layer takes D inputs and the last gives C logits.
        ``"train_loss"``: a list of Python floats, one per epoch, the mean training loss of that
        epoch (over its mini-batches).
        ``"val_loss"``: a list of Python floats, one per epoch, the mean validation loss of the
        parameters at the end of that epoch; the last entry is the validation loss of the
        returned parameters.
    """
    raise NotImplementedError("train.train_classifier: train_classifier is not implemented yet (starter/train.py)")
