"""Weight initialization: gains, fan-in and fan-out, Xavier (Glorot) and Kaiming (He).

Conventions for every function in this file:

* ``shape`` is a tuple (or list, or ``torch.Size``) of ints in PyTorch's weight layout:
  ``(out_features, in_features)`` for a linear layer and ``(out_channels, in_channels, *kernel)``
  for a convolution. It has at least 2 dimensions.
* The random initializers return a **new** tensor of exactly ``shape`` with the requested
  ``dtype`` (default ``torch.float32``) on the requested ``device`` (default ``"cpu"``).
* Randomness comes only from ``generator`` (a ``torch.Generator`` living on ``device``) when one
  is given: the same generator state must give the same tensor, and each call moves the state
  (two calls with one generator give two tensors). With ``generator=None`` use PyTorch's global
  random state. Pass the generator to the sampling call (``torch.rand(...,
  generator=generator)``, ``torch.randn``, ``Tensor.uniform_``, ...); never reseed or draw from
  a global generator when one is given (no ``np.random.seed``, ``torch.manual_seed``,
  ``random.seed``).
* Graded by the distribution of the values (mean, standard deviation, bounds, tails) on large
  shapes, never by particular samples: any correct way of drawing the distribution passes.
* Not allowed here: ``torch.nn.init`` (and the rest of ``torch.nn``).
"""

import math

import torch


def calculate_gain(nonlinearity, param=None):
    """The recommended scale factor ("gain") for a nonlinearity, as a Python float.

    The values are PyTorch's (``torch.nn.init.calculate_gain``):

    ====================================================  ==========================================
    nonlinearity                                          gain
    ====================================================  ==========================================
    ``"linear"``, ``"conv1d"``, ``"conv2d"``, ``"conv3d"``,  1
    ``"conv_transpose1d"``, ``"conv_transpose2d"``,
    ``"conv_transpose3d"``, ``"sigmoid"``
    ``"tanh"``                                            5 / 3
    ``"relu"``                                            sqrt(2)
    ``"leaky_relu"``                                      sqrt(2 / (1 + negative_slope ** 2))
    ``"selu"``                                            3 / 4
    ====================================================  ==========================================

    ``param`` is used only by ``"leaky_relu"``: it is the negative slope, default 0.01 when
    ``param`` is ``None`` (so ``calculate_gain("leaky_relu")`` is sqrt(2 / 1.0001), not sqrt(2)).
    A ``param`` of 0 gives exactly sqrt(2). For every other nonlinearity ``param`` is ignored.

    Raises ``ValueError`` for a name not in the table, and for ``"leaky_relu"`` with a ``param``
    that is neither ``None`` nor an int or float (a bool is not accepted).
    """
    # BEGIN SOLUTION
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")
    # END SOLUTION


def fans(shape):
    """``(fan_in, fan_out)`` of a weight of this shape, as two Python ints.

    PyTorch layout: ``shape = (out, in, *kernel)``. The receptive field is the product of the
    kernel sizes (1 for a linear weight) and it multiplies both fans:

        fan_in  = shape[1] * receptive_field
        fan_out = shape[0] * receptive_field

    Example: a conv weight (64, 16, 3, 3) has fan_in = 16 * 9 = 144 and fan_out = 64 * 9 = 576;
    a linear weight (256, 1024) has fan_in = 1024 and fan_out = 256.

    Raises ``ValueError`` when ``shape`` has fewer than 2 dimensions.
    """
    # BEGIN SOLUTION
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError("fan-in and fan-out need a shape with at least 2 dimensions")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive
    # END SOLUTION


def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    """Xavier/Glorot uniform: values drawn independently from U(-a, a).

        std = gain * sqrt(2 / (fan_in + fan_out))      (fans from :func:`fans`)
        a   = sqrt(3) * std                            (a uniform on (-a, a) has std a / sqrt(3))

    Every value lies in [-a, a]; returns a tensor of ``shape``, ``dtype``, on ``device``.
    """
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    u = torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device)
    return (2 * u - 1) * a
    # END SOLUTION


def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    """Xavier/Glorot normal: values drawn independently from N(0, std^2).

        std = gain * sqrt(2 / (fan_in + fan_out))

    Returns a tensor of ``shape``, ``dtype``, on ``device``.
    """
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device) * std
    # END SOLUTION


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="relu", generator=None,
                   dtype=torch.float32, device="cpu"):
    """Kaiming/He normal: values drawn independently from N(0, std^2).

        fan  = fan_in if mode == "fan_in" else fan_out     (fans from :func:`fans`)
        gain = calculate_gain(nonlinearity, a)             (``a`` is the leaky_relu slope)
        std  = gain / sqrt(fan)

    With the defaults (``nonlinearity="relu"``, ``mode="fan_in"``) std = sqrt(2 / fan_in).
    ``a`` only matters for ``nonlinearity="leaky_relu"`` (``a=0`` gives gain sqrt(2)).
    ``mode="fan_in"`` keeps the variance of activations in the forward pass, ``"fan_out"`` that of
    gradients in the backward pass. Raises ``ValueError`` for any other ``mode``.
    Returns a tensor of ``shape``, ``dtype``, on ``device``.
    """
    # BEGIN SOLUTION
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device) * std
    # END SOLUTION


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="relu", generator=None,
                    dtype=torch.float32, device="cpu"):
    """Kaiming/He uniform: values drawn independently from U(-bound, bound).

        std   = calculate_gain(nonlinearity, a) / sqrt(fan)   (as in :func:`kaiming_normal`)
        bound = sqrt(3) * std

    Every value lies in [-bound, bound]; returns a tensor of ``shape``, ``dtype``, on ``device``.
    Raises ``ValueError`` for a ``mode`` other than ``"fan_in"`` or ``"fan_out"``.
    """
    # BEGIN SOLUTION
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    u = torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device)
    return (2 * u - 1) * bound
    # END SOLUTION


# BEGIN SOLUTION
def _kaiming_std(shape, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', not {mode!r}")
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)
# END SOLUTION
