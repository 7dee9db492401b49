"""Student-style bugs of init.py: initializers written with the formulas from a paper or a
tutorial, each with one genuine mistake (see ``descent.catalogue.student``).
"""

import math

import numpy as np
import torch

from descent.catalogue import student


def _fans(shape):
    receptive = 1
    for k in shape[2:]:
        receptive *= k
    return shape[1] * receptive, shape[0] * receptive


kaiming_normal_relu_formula_always = student(
    "kaiming_normal_relu_formula_always",
    "init.kaiming",
    "hard-codes He's std = sqrt(2 / fan) from the ReLU paper, whatever nonlinearity and a say",
    generic="argument",
    wrong_on="edge",
)


@kaiming_normal_relu_formula_always.replaces
def kaiming_normal(
    shape, a=0.0, mode="fan_in", nonlinearity="relu", generator=None, dtype=torch.float32,
    device="cpu",
):  # fmt: skip
    if mode not in ("fan_in", "fan_out"):
        raise ValueError("mode must be fan_in or fan_out")
    fan_in, fan_out = _fans(tuple(shape))
    fan = fan_in if mode == "fan_in" else fan_out
    std = math.sqrt(2.0 / fan)
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device) * std


xavier_uniform_bound_is_std = student(
    "xavier_uniform_bound_is_std",
    "init.xavier",
    "draws Xavier uniform from U(-std, std), using the std as the bound and leaving out sqrt(3)",
    generic=("omitted", "factor"),
    wrong_on="ordinary",
)


@xavier_uniform_bound_is_std.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fan_in, fan_out = _fans(tuple(shape))
    limit = gain * math.sqrt(2.0 / (fan_in + fan_out))
    u = torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device)
    return u * 2 * limit - limit


fans_without_receptive_field = student(
    "fans_without_receptive_field",
    "init.fans",
    "returns (shape[1], shape[0]) for every shape, leaving out a convolution's receptive field",
    generic=("omitted", "factor"),
    wrong_on="ordinary",
)


@fans_without_receptive_field.replaces
def fans(shape):
    if len(shape) < 2:
        raise ValueError("need at least 2 dimensions")
    return int(shape[1]), int(shape[0])


gain_leaky_default_slope_zero = student(
    "gain_leaky_default_slope_zero",
    "init.calculate_gain",
    "reads a missing param as slope 0 for leaky_relu (param or 0), giving sqrt(2) instead of "
    "the default slope 0.01's gain",
    generic="argument",
    wrong_on="ordinary",
)


@gain_leaky_default_slope_zero.replaces
def calculate_gain(nonlinearity, param=None):
    gains = {
        "linear": 1.0,
        "conv1d": 1.0,
        "conv2d": 1.0,
        "conv3d": 1.0,
        "conv_transpose1d": 1.0,
        "conv_transpose2d": 1.0,
        "conv_transpose3d": 1.0,
        "sigmoid": 1.0,
        "tanh": 5.0 / 3,
        "relu": math.sqrt(2.0),
        "selu": 3.0 / 4,
    }
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, (int, float))):
            raise ValueError(f"bad negative slope {param!r}")
        slope = param or 0
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in gains:
        raise ValueError(f"unknown nonlinearity {nonlinearity}")
    return gains[nonlinearity]


xavier_normal_numpy_global_rng = student(
    "xavier_normal_numpy_global_rng",
    "init.xavier",
    "draws Xavier normal with np.random.normal, ignoring the generator it was given",
    generic="random",
    wrong_on="ordinary",
)


@xavier_normal_numpy_global_rng.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fan_in, fan_out = _fans(tuple(shape))
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    w = np.random.normal(0.0, std, size=tuple(shape))
    return torch.from_numpy(w).to(dtype=dtype, device=device)


kaiming_normal_reseeds_numpy = student(
    "kaiming_normal_reseeds_numpy",
    "init.kaiming",
    "reseeds NumPy's global generator with a number drawn from the generator it is given and "
    "draws the weights from NumPy: reproducible, but the caller's global NumPy state changes",
    generic="random",
    wrong_on="ordinary",
)


@kaiming_normal_reseeds_numpy.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    fan_in, fan_out = _fans(tuple(shape))
    if mode not in ("fan_in", "fan_out"):
        raise ValueError("mode must be fan_in or fan_out")
    fan = fan_in if mode == "fan_in" else fan_out
    gain = {"relu": math.sqrt(2.0), "tanh": 5.0 / 3, "linear": 1.0}.get(nonlinearity)
    if nonlinearity == "leaky_relu":
        gain = math.sqrt(2.0 / (1 + a * a))
    if gain is None:
        raise ValueError(f"unknown nonlinearity {nonlinearity}")
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    np.random.seed(seed)
    w = np.random.normal(0.0, gain / math.sqrt(fan), size=tuple(shape))
    return torch.from_numpy(w).to(dtype=dtype, device=device)
