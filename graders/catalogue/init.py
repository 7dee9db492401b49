"""Catalogued variants of init.py: realistic bugs and alternative correct implementations.

A variant replaces whole public functions (the reference's internal calls are not redirected), so
each initializer bug below carries its own copy of the fan and gain logic.
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug

_ONE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _gain(nonlinearity, param=None):
    if nonlinearity in _ONE:
        return 1.0
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, (int, float))):
            raise ValueError("bad slope")
        return math.sqrt(2.0 / (1 + (0.01 if param is None else param) ** 2))
    if nonlinearity not in ("tanh", "relu", "selu"):
        raise ValueError(f"unknown nonlinearity {nonlinearity}")
    return {"tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 0.75}[nonlinearity]


def _fans(shape):
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def _uniform(shape, bound, generator, dtype, device):
    return (
        2 * torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device) - 1
    ) * bound


def _normal(shape, std, generator, dtype, device):
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device) * std


# ------------------------------------------------------------------------------ calculate_gain
gain_leaky_ignores_param = bug(
    "gain_leaky_ignores_param",
    "init.calculate_gain",
    "always uses the default slope 0.01 for leaky_relu, whatever param says",
    hint="param is the negative slope: gain = sqrt(2 / (1 + param^2)), with 0.01 only when "
    "param is None.",
    generic=("validation", "argument"),
    wrong_on="ordinary",
)


@gain_leaky_ignores_param.replaces
def calculate_gain(nonlinearity, param=None):
    return _gain(nonlinearity, None)


gain_leaky_slope_not_squared = bug(
    "gain_leaky_slope_not_squared",
    "init.calculate_gain",
    "computes the leaky_relu gain as sqrt(2 / (1 + slope)) without squaring the slope",
    hint="The variance kept by leaky ReLU is (1 + slope^2) / 2: gain = sqrt(2 / (1 + slope^2)).",
    generic=("argument", "omitted"),  # the slope's power left out
    wrong_on="ordinary",
)


@gain_leaky_slope_not_squared.replaces
def calculate_gain(nonlinearity, param=None):
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + (0.01 if param is None else param)))
    return _gain(nonlinearity, param)


gain_leaky_default_zero = bug(
    "gain_leaky_default_zero",
    "init.calculate_gain",
    "treats a missing leaky_relu slope as 0, giving sqrt(2) instead of sqrt(2 / 1.0001)",
    hint="With param=None the slope is PyTorch's default 0.01.",
    generic="argument",
    wrong_on="ordinary",
)


@gain_leaky_default_zero.replaces
def calculate_gain(nonlinearity, param=None):
    return _gain(nonlinearity, 0.0 if param is None else param)


gain_tanh_is_one = bug(
    "gain_tanh_is_one",
    "init.calculate_gain",
    "gives tanh a gain of 1, like sigmoid",
    hint="PyTorch's gain for tanh is 5/3.",
    generic="argument",
    wrong_on="ordinary",
)


@gain_tanh_is_one.replaces
def calculate_gain(nonlinearity, param=None):
    return 1.0 if nonlinearity == "tanh" else _gain(nonlinearity, param)


gain_selu_as_relu = bug(
    "gain_selu_as_relu",
    "init.calculate_gain",
    "gives selu the ReLU gain sqrt(2)",
    hint="PyTorch's gain for selu is 3/4.",
    generic="argument",
    wrong_on="edge",
)


@gain_selu_as_relu.replaces
def calculate_gain(nonlinearity, param=None):
    return math.sqrt(2.0) if nonlinearity == "selu" else _gain(nonlinearity, param)


gain_unknown_is_one = bug(
    "gain_unknown_is_one",
    "init.calculate_gain",
    "returns 1 for any name it does not know instead of raising ValueError",
    hint="An unknown nonlinearity is an error: raise ValueError rather than guessing a gain.",
    generic="validation",
    wrong_on="edge",
)


@gain_unknown_is_one.replaces
def calculate_gain(nonlinearity, param=None):
    try:
        return _gain(nonlinearity, param)
    except ValueError:
        return 1.0


gain_as_tensor = bug(
    "gain_as_tensor",
    "init.calculate_gain",
    "returns the gain as a 0-dim tensor (torch.sqrt of a tensor) instead of a float",
    hint="Return a Python float: use math.sqrt on numbers.",
    generic="structure",
    wrong_on="ordinary",
)


@gain_as_tensor.replaces
def calculate_gain(nonlinearity, param=None):
    return torch.sqrt(torch.tensor(_gain(nonlinearity, param) ** 2))


gain_numpy_sqrt = bug(
    "gain_numpy_sqrt",
    "init.calculate_gain",
    "computes the gain with np.sqrt and returns the numpy.float64 it gives",
    hint="Return a Python float: math.sqrt, or float(...) around a NumPy result (a "
    "numpy.float64 is not a Python float).",
    generic="structure",
    wrong_on="ordinary",
)


@gain_numpy_sqrt.replaces
def calculate_gain(nonlinearity, param=None):
    return np.sqrt(_gain(nonlinearity, param) ** 2)


# -------------------------------------------------------------------------------------- fans
fans_in_out_layout = bug(
    "fans_in_out_layout",
    "init.fans",
    "reads the shape as (in, out), so fan_in and fan_out are swapped",
    hint="PyTorch weights are (out_features, in_features, *kernel): fan_in comes from shape[1].",
    generic="order",
    wrong_on="ordinary",
)


@fans_in_out_layout.replaces
def fans(shape):
    fan_in, fan_out = _fans(tuple(shape))
    return fan_out, fan_in


fans_no_receptive_field = bug(
    "fans_no_receptive_field",
    "init.fans",
    "ignores the kernel dimensions of a convolution weight",
    hint="Multiply both fans by the receptive field, the product of shape[2:].",
    wrong_on="ordinary",
)


@fans_no_receptive_field.replaces
def fans(shape):
    return int(shape[1]), int(shape[0])


fans_receptive_field_in_only = bug(
    "fans_receptive_field_in_only",
    "init.fans",
    "multiplies only fan_in by the receptive field",
    hint="Each output channel also connects through the whole kernel: fan_out = shape[0] * "
    "receptive field.",
    generic="factor",
    wrong_on="ordinary",
)


@fans_receptive_field_in_only.replaces
def fans(shape):
    rf = math.prod(shape[2:])
    return int(shape[1]) * rf, int(shape[0])


fans_numel_based = bug(
    "fans_numel_based",
    "init.fans",
    "computes fan_in as numel / shape[0] but fan_out as shape[0] alone",
    hint="Both fans include the receptive field: fan_out = shape[0] * prod(shape[2:]).",
    generic=("factor", "validation"),
    wrong_on="ordinary",
)


@fans_numel_based.replaces
def fans(shape):
    shape = tuple(shape)
    return math.prod(shape) // shape[0], shape[0]


fans_as_tensors = bug(
    "fans_as_tensors",
    "init.fans",
    "returns the fans as tensors (torch.prod) instead of ints",
    hint="Return two Python ints; math.prod works on a tuple of ints.",
    generic="structure",
    wrong_on="ordinary",
)


@fans_as_tensors.replaces
def fans(shape):
    shape = torch.tensor(tuple(shape))
    rf = torch.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


# ------------------------------------------------------------------------------------ Xavier
xavier_bound_is_std = bug(
    "xavier_bound_is_std",
    "init.xavier",
    "uses the standard deviation gain*sqrt(2/(fan_in+fan_out)) as the uniform bound",
    hint="A uniform on (-a, a) has std a/sqrt(3): the bound is a = sqrt(3) * std = "
    "gain * sqrt(6 / (fan_in + fan_out)).",
    generic="factor",
    wrong_on="ordinary",
)


@xavier_bound_is_std.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _uniform(shape, gain * math.sqrt(2.0 / (fi + fo)), generator, dtype, device)


xavier_normal_instead_of_uniform = bug(
    "xavier_normal_instead_of_uniform",
    "init.xavier",
    "draws xavier_uniform from a normal with the right std",
    hint="xavier_uniform samples U(-a, a) (torch.rand), which never exceeds the bound.",
    generic="distribution",
    wrong_on="ordinary",
)


@xavier_normal_instead_of_uniform.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _normal(shape, gain * math.sqrt(2.0 / (fi + fo)), generator, dtype, device)


xavier_normal_std_is_bound = bug(
    "xavier_normal_std_is_bound",
    "init.xavier",
    "uses sqrt(6/(fan_in+fan_out)), the uniform bound, as the normal's std",
    hint="The normal variant has std = gain * sqrt(2 / (fan_in + fan_out)); sqrt(6/...) is the "
    "uniform variant's bound.",
    generic="factor",
    wrong_on="ordinary",
)


@xavier_normal_std_is_bound.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _normal(shape, gain * math.sqrt(6.0 / (fi + fo)), generator, dtype, device)


xavier_gain_ignored = bug(
    "xavier_gain_ignored",
    "init.xavier",
    "ignores the gain argument",
    hint="Multiply the std (and so the bound) by gain.",
    generic="factor",
    wrong_on="ordinary",
)


@xavier_gain_ignored.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _uniform(shape, math.sqrt(6.0 / (fi + fo)), generator, dtype, device)


@xavier_gain_ignored.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _normal(shape, math.sqrt(2.0 / (fi + fo)), generator, dtype, device)


xavier_uses_fan_in_only = bug(
    "xavier_uses_fan_in_only",
    "init.xavier",
    "uses 1/fan_in (LeCun) instead of 2/(fan_in + fan_out) for the variance",
    hint="Xavier averages both fans: var = gain^2 * 2 / (fan_in + fan_out).",
    generic="factor",
    wrong_on="ordinary",
)


@xavier_uses_fan_in_only.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, _ = _fans(tuple(shape))
    return _normal(shape, gain / math.sqrt(fi), generator, dtype, device)


xavier_global_rng = bug(
    "xavier_global_rng",
    "init.xavier",
    "ignores the generator and draws from the global random state",
    hint="Pass generator=generator to torch.rand / torch.randn so a seeded generator "
    "reproduces the tensor.",
    generic="random",
    wrong_on="ordinary",
)


@xavier_global_rng.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _uniform(shape, gain * math.sqrt(6.0 / (fi + fo)), None, dtype, device)


xavier_seeds_numpy = bug(
    "xavier_seeds_numpy",
    "init.xavier",
    "seeds NumPy's global generator with generator.initial_seed() and draws from NumPy",
    hint="Draw from `generator` itself (torch.rand(..., generator=generator)): a seed read "
    "from it starts over on every call, and np.random.seed changes the caller's global state.",
    generic="random",
    wrong_on="ordinary",
)


@xavier_seeds_numpy.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    bound = gain * math.sqrt(6.0 / (fi + fo))
    if generator is not None:
        np.random.seed(generator.initial_seed() % 2**32)
    u = np.random.uniform(-bound, bound, size=tuple(shape))
    return torch.from_numpy(u).to(dtype=dtype, device=device)


xavier_hardcoded_float32 = bug(
    "xavier_hardcoded_float32",
    "init.xavier",
    "always returns float32, whatever dtype asks for",
    hint="Create the tensor with dtype=dtype and device=device.",
    generic="dtype",
    wrong_on="edge",
)


@xavier_hardcoded_float32.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    return _normal(shape, gain * math.sqrt(2.0 / (fi + fo)), generator, torch.float32, device)


# ----------------------------------------------------------------------------------- Kaiming
def _check_mode(mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be fan_in or fan_out, not {mode!r}")


def _he_std(shape, a, mode, nonlinearity):
    _check_mode(mode)
    fi, fo = _fans(tuple(shape))
    return _gain(nonlinearity, a) / math.sqrt(fi if mode == "fan_in" else fo)


he_uses_fan_out = bug(
    "he_uses_fan_out",
    "init.kaiming",
    "swaps the fans: divides by fan_out for mode='fan_in' (the default) and by fan_in for "
    "mode='fan_out'",
    hint="fan_in = shape[1] * receptive field and fan_out = shape[0] * receptive field; "
    "mode='fan_in' uses the first.",
    generic="factor",
    wrong_on="ordinary",
)


@he_uses_fan_out.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    other = "fan_out" if mode == "fan_in" else "fan_in"
    return _normal(shape, _he_std(shape, a, other, nonlinearity), generator, dtype, device)


@he_uses_fan_out.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    other = "fan_out" if mode == "fan_in" else "fan_in"
    return _uniform(
        shape, math.sqrt(3.0) * _he_std(shape, a, other, nonlinearity), generator, dtype, device
    )


he_gain_hardcoded = bug(
    "he_gain_hardcoded",
    "init.kaiming",
    "uses relu's gain sqrt(2) whatever the nonlinearity and slope",
    hint="Take the gain from calculate_gain(nonlinearity, a): 5/3 for tanh, "
    "sqrt(2 / (1 + a^2)) for leaky_relu, 1 for linear.",
    classic=True,
    generic="argument",
    wrong_on="edge",
)


@he_gain_hardcoded.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    return _normal(shape, _he_std(shape, 0.0, mode, "relu"), generator, dtype, device)


@he_gain_hardcoded.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    return _uniform(
        shape, math.sqrt(3.0) * _he_std(shape, 0.0, mode, "relu"), generator, dtype, device
    )


he_no_gain = bug(
    "he_no_gain",
    "init.kaiming",
    "leaves out the gain, so std = 1/sqrt(fan) for ReLU",
    hint="He initialization for ReLU has std = sqrt(2 / fan_in): multiply by "
    "calculate_gain(nonlinearity, a).",
    generic="factor",
    wrong_on="ordinary",
)


@he_no_gain.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    fi, fo = _fans(tuple(shape))
    return _normal(shape, 1 / math.sqrt(fi if mode == "fan_in" else fo), generator, dtype, device)


he_ignores_receptive_field = bug(
    "he_ignores_receptive_field",
    "init.kaiming",
    "takes fan_in = shape[1] for a conv weight, ignoring the kernel size",
    hint="For (out, in, kh, kw) the fan_in is in * kh * kw.",
    generic="factor",
    wrong_on="ordinary",
)


@he_ignores_receptive_field.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    fan = shape[1] if mode == "fan_in" else shape[0]
    return _normal(shape, _gain(nonlinearity, a) / math.sqrt(fan), generator, dtype, device)


he_uniform_bound_is_std = bug(
    "he_uniform_bound_is_std",
    "init.kaiming",
    "uses the std gain/sqrt(fan) as the uniform bound",
    hint="The uniform bound is sqrt(3) * std = gain * sqrt(3 / fan).",
    generic="factor",
    wrong_on="ordinary",
)


@he_uniform_bound_is_std.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    return _uniform(shape, _he_std(shape, a, mode, nonlinearity), generator, dtype, device)


he_std_not_sqrt = bug(
    "he_std_not_sqrt",
    "init.kaiming",
    "divides by fan instead of sqrt(fan) (confuses variance and std)",
    hint="The variance is gain^2 / fan, so the std is gain / sqrt(fan).",
    generic="factor",
    wrong_on="ordinary",
)


@he_std_not_sqrt.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    _check_mode(mode)
    fi, fo = _fans(tuple(shape))
    std = _gain(nonlinearity, a) / (fi if mode == "fan_in" else fo)
    return _uniform(shape, math.sqrt(3.0) * std, generator, dtype, device)


he_ignores_a = bug(
    "he_ignores_a",
    "init.kaiming",
    "ignores the leaky_relu slope `a` and uses the default gain",
    hint="Pass a to the gain: calculate_gain(nonlinearity, a).",
    generic="argument",
    wrong_on="edge",
)


@he_ignores_a.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    return _normal(shape, _he_std(shape, None, mode, nonlinearity), generator, dtype, device)


he_ignores_mode = bug(
    "he_ignores_mode",
    "init.kaiming",
    "always uses fan_in, even when mode='fan_out'",
    hint="mode='fan_out' divides by fan_out = shape[0] * receptive field.",
    generic=("validation", "factor"),
    wrong_on="edge",
)


@he_ignores_mode.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    return _normal(shape, _he_std(shape, a, "fan_in", nonlinearity), generator, dtype, device)


@he_ignores_mode.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    return _uniform(
        shape, math.sqrt(3.0) * _he_std(shape, a, "fan_in", nonlinearity), generator, dtype, device
    )


he_global_rng = bug(
    "he_global_rng",
    "init.kaiming",
    "reseeds the global random state with torch.manual_seed instead of using the generator",
    hint="Draw from generator (torch.randn(..., generator=generator)); never touch the global "
    "seed.",
    wrong_on="ordinary",
)


@he_global_rng.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    torch.manual_seed(0)
    return _normal(shape, _he_std(shape, a, mode, nonlinearity), None, dtype, device)


he_uniform_fills_empty = bug(
    "he_uniform_fills_empty",
    "init.kaiming",
    "fills torch.empty(shape) in place, as nn.init does, so dtype and device are ignored",
    hint="torch.empty(shape) is float32 on the CPU whatever you were asked for: pass "
    "dtype=dtype and device=device when you create the tensor.",
    generic="dtype",
    wrong_on="edge",
    wrong_on_cuda="ordinary",
)


@he_uniform_fills_empty.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    bound = math.sqrt(3.0) * _he_std(shape, a, mode, nonlinearity)
    return torch.empty(tuple(shape)).uniform_(-bound, bound, generator=generator)


# ------------------------------------------------------------------------------ alternatives
alt_gain_table = alternative(
    "alt_gain_table",
    "init.calculate_gain",
    "a lookup table of gains, leaky_relu computed separately",
)


@alt_gain_table.replaces
def calculate_gain(nonlinearity, param=None):
    table = dict.fromkeys(_ONE, 1.0)
    table.update(tanh=5 / 3, relu=2**0.5, selu=3 / 4)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError("bad slope")
        return (2 / (1 + slope * slope)) ** 0.5
    if nonlinearity not in table:
        raise ValueError(f"no gain for {nonlinearity}")
    return table[nonlinearity]


alt_fans_loop = alternative(
    "alt_fans_loop", "init.fans", "receptive field multiplied in a loop over the kernel dimensions"
)


@alt_fans_loop.replaces
def fans(shape):
    dims = list(shape)
    if len(dims) < 2:
        raise ValueError("need 2 dimensions")
    rf = 1
    for k in dims[2:]:
        rf *= int(k)
    return int(dims[1]) * rf, int(dims[0]) * rf


alt_xavier_inplace_samplers = alternative(
    "alt_xavier_inplace_samplers",
    "init.xavier",
    "fills a fresh tensor with Tensor.uniform_ / Tensor.normal_ and the generator",
)


@alt_xavier_inplace_samplers.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    a = gain * math.sqrt(6.0 / (fi + fo))
    return torch.empty(tuple(shape), dtype=dtype, device=device).uniform_(
        -a, a, generator=generator
    )


@alt_xavier_inplace_samplers.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    fi, fo = _fans(tuple(shape))
    std = gain * math.sqrt(2.0 / (fi + fo))
    return torch.empty(tuple(shape), dtype=dtype, device=device).normal_(
        0.0, std, generator=generator
    )


alt_kaiming_other_draws = alternative(
    "alt_kaiming_other_draws",
    "init.kaiming",
    "draws in float64 and converts, with the uniform built as bound - 2*bound*rand",
)


@alt_kaiming_other_draws.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    std = _he_std(shape, a, mode, nonlinearity)
    z = torch.empty(tuple(shape), dtype=torch.float64, device=device).normal_(generator=generator)
    return (z * std).to(dtype)


@alt_kaiming_other_draws.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    bound = math.sqrt(3.0) * _he_std(shape, a, mode, nonlinearity)
    u = torch.rand(tuple(shape), generator=generator, dtype=torch.float64, device=device)
    return (bound - 2 * bound * u).to(dtype)


# ============================================================ alternatives in other styles
# Object style: an initializer object (its mode and nonlinearity on the object, fan and std as
# methods, a sample method per distribution); the contract functions build and call it.
class KaimingInit:
    def __init__(self, a, mode, nonlinearity):
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"mode must be 'fan_in' or 'fan_out', not {mode!r}")
        self.a, self.mode, self.nonlinearity = a, mode, nonlinearity

    def fan(self, shape):
        if len(shape) < 2:
            raise ValueError("fan-in and fan-out need at least 2 dimensions")
        receptive = math.prod(int(s) for s in shape[2:])
        return int(shape[1]) * receptive if self.mode == "fan_in" else int(shape[0]) * receptive

    def std(self, shape):
        return _gain(self.nonlinearity, self.a) / math.sqrt(self.fan(shape))

    def normal(self, shape, generator, dtype, device):
        std = self.std(shape)
        return std * torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device)

    def uniform(self, shape, generator, dtype, device):
        bound = math.sqrt(3.0) * self.std(shape)
        u = torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device)
        return (2 * u - 1) * bound


kaiming_initializer_object = alternative(
    "kaiming_initializer_object",
    "init.kaiming",
    "a KaimingInit object with fan, std, normal and uniform methods",
)


@kaiming_initializer_object.replaces
def kaiming_normal(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    return KaimingInit(a, mode, nonlinearity).normal(shape, generator, dtype, device)


@kaiming_initializer_object.replaces
def kaiming_uniform(
    shape,
    a=0.0,
    mode="fan_in",
    nonlinearity="relu",
    generator=None,
    dtype=torch.float32,
    device="cpu",
):
    return KaimingInit(a, mode, nonlinearity).uniform(shape, generator, dtype, device)


# NumPy bridged to tensors: the draws come from torch's generator (so they are reproducible),
# the arithmetic is NumPy's, and the result goes back in the asked dtype and device.
xavier_numpy = alternative(
    "xavier_numpy",
    "init.xavier",
    "scales torch's uniform and normal draws in NumPy (np.prod for the "
    "receptive field) and converts back",
)


def _xavier_std_numpy(shape, gain):
    if len(shape) < 2:
        raise ValueError("fan-in and fan-out need at least 2 dimensions")
    receptive = int(np.prod([int(s) for s in shape[2:]], dtype=np.int64))
    fan_in, fan_out = int(shape[1]) * receptive, int(shape[0]) * receptive
    return gain * np.sqrt(2.0 / (fan_in + fan_out))


@xavier_numpy.replaces
def xavier_uniform(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    std = _xavier_std_numpy(shape, gain)
    u = torch.rand(tuple(shape), generator=generator, dtype=dtype, device=device)
    w = (2 * u.cpu().numpy() - 1) * (np.sqrt(3.0) * std).astype(u.cpu().numpy().dtype)
    return torch.from_numpy(w).to(dtype=dtype, device=device)


@xavier_numpy.replaces
def xavier_normal(shape, gain=1.0, generator=None, dtype=torch.float32, device="cpu"):
    std = _xavier_std_numpy(shape, gain)
    z = torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device).cpu().numpy()
    return torch.from_numpy(z * z.dtype.type(std)).to(dtype=dtype, device=device)
