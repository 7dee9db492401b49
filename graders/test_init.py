"""Hidden graders for starter/init.py: exact gains and fans, initializers graded by statistics.

The random initializers are graded by their distribution on large shapes, never by particular
samples: mean and standard deviation within about 7 standard errors of the estimator, hard bounds
for the uniform variants, the tail mass beyond two standard deviations for the normal ones, and
reproducibility under a seeded generator. Every shape has fan_in != fan_out and one is a conv
weight, so fan_out, a transposed layout or a forgotten receptive field cannot pass.
"""

import math

import pytest
import torch
import torch.nn.init as nn_init
from expect import python_numbers, value_error
from runs import trajectory

from descent.calls.callables import make
from descent.diagnoses import stat as stat_diagnoses
from descent.grading import pictures

LINEAR = (256, 1024)  # fan_in 1024, fan_out 256
CONV = (64, 16, 3, 3)  # fan_in 144, fan_out 576
SIGMAS = 7.0  # width of every statistical band, in standard errors
TAIL_2SD = math.erfc(2 / math.sqrt(2))  # P(|z| > 2) for a standard normal, 0.0455


def _gen(inputs, offset=0):
    return torch.Generator(device=inputs.device).manual_seed(inputs.seed + offset)


def _fans(shape):
    t = torch.empty(shape, device="meta")
    return nn_init._calculate_fan_in_and_fan_out(t)


def _draw(m, fn, shape, inputs, offset=0, **kwargs):
    """One sample from the implementation, on the test's device, from a freshly seeded generator."""
    return getattr(m.init, fn)(
        shape, generator=_gen(inputs, offset), device=inputs.device, **kwargs
    )


def _std_of(m, fn, shape, inputs, kwargs):
    return float(_draw(m, fn, shape, inputs, **kwargs).double().std())


def _quantities(fn, shape, kwargs):
    """The numbers an initializer's std is made of, by name, for the generic diagnosis of a
    wrong std (a fan swapped, the gain left out, a variance read as a std)."""
    fan_in, fan_out = _fans(shape)
    if fn.startswith("xavier"):
        gain = kwargs.get("gain", 1.0)
        fans = {"(fan_in + fan_out) / 2": (fan_in + fan_out) / 2}
    else:
        gain = nn_init.calculate_gain(kwargs.get("nonlinearity", "relu"), kwargs.get("a", 0.0))
        fans = {}
    return {
        "gain": float(gain),
        "fan_in": fan_in,
        "fan_out": fan_out,
        **fans,
        "receptive_field": math.prod(shape[2:]),
    }


def _check_distribution(check, inputs, fn, shape, std, uniform, kwargs):
    """Shape/dtype/device, mean, std, and bounds (uniform) or tails (normal) of one sample."""
    call = f"{fn}({shape}{''.join(f', {k}={v!r}' for k, v in kwargs.items())})"
    w = _draw(check.impl, fn, shape, inputs, **kwargs)
    check.like(w, torch.empty(shape, dtype=torch.float32, device=inputs.device), f"{call} result")
    w = w.double()
    n = w.numel()
    bound = math.sqrt(3.0) * std
    picture = (  # a failure's histogram: these draws against the distribution asked for
        (w, pictures.uniform(-bound, bound), f"U(-{bound:.4g}, {bound:.4g})")
        if uniform
        else (w, pictures.normal(std), f"N(0, {std:.4g}^2)")
    )
    mean, got_std = float(w.mean()), float(w.std())
    check.that(
        abs(mean) <= SIGMAS * std / math.sqrt(n),
        f"{call}: mean {mean:.4g}, expected 0 (+- {SIGMAS * std / math.sqrt(n):.2g})",
        check="statistics",
        hint="the values must be centred on 0",
    )
    # Relative standard error of a sample std: sqrt(kurtosis - 1) / (2 sqrt(n)); the uniform's
    # kurtosis is 1.8, the normal's 3.
    rel = (math.sqrt(0.8) if uniform else math.sqrt(2.0)) / (2 * math.sqrt(n))
    check.estimate(
        got_std,
        std,
        f"{call}: std {got_std:.6g}, expected {std:.6g} (+- {SIGMAS * rel * std:.2g}, "
        f"ratio {got_std / std:.4g})",
        error=rel * std,
        sigmas=SIGMAS,
        named=_quantities(fn, shape, kwargs),
        estimated="the std of your values",
        hint="recompute the formula: which fan (fan_in or fan_out, with the receptive "
        "field), which gain, and sqrt(3) only for a uniform bound",
        recipe=lambda m: _std_of(m, fn, shape, inputs, kwargs),
        sample=picture,
    )
    if uniform:
        top = float(w.abs().max())
        check.that(
            top <= bound * (1 + 1e-6),
            f"{call}: max |w| = {top:.6g} exceeds the bound {bound:.6g}",
            check="bounds",
            hint="a uniform initializer draws from U(-bound, bound) with "
            "bound = sqrt(3) * std: no value may lie beyond it",
            generic=lambda: stat_diagnoses.family(w, "uniform"),
            sample=picture,
        )
        check.that(
            top >= 0.99 * bound,
            f"{call}: max |w| = {top:.6g}, but values should reach close to the bound {bound:.6g}",
            check="bounds",
            hint="the uniform bound is sqrt(3) * std, not the std itself",
            sample=picture,
        )
    else:
        tail = float((w.abs() > 2 * std).double().mean())
        band = SIGMAS * math.sqrt(TAIL_2SD * (1 - TAIL_2SD) / n)
        check.that(
            abs(tail - TAIL_2SD) <= band,
            f"{call}: {tail:.4%} of the values lie beyond 2 std, a normal gives "
            f"{TAIL_2SD:.4%} (+- {band:.2%})",
            check="statistics",
            hint="this initializer draws from a normal distribution (torch.randn), "
            "not a uniform one",
            generic=lambda: stat_diagnoses.family(w, "normal"),
            sample=picture,
        )


# ------------------------------------------------------------------------------ calculate_gain
LINEAR_FAMILY = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
]


# Names nobody's table has (spellings of known ones among them); each grading asks about four.
UNKNOWN_NAMES = ("gelu", "softmax", "Relu", "swish", "elu", "mish", "TANH", "Linear", "relu6")


@pytest.mark.exercise("init.calculate_gain")
class TestCalculateGain:
    # The gains of the named nonlinearities are a table (PyTorch's, in the docstring): they are
    # asked by name, and weigh little beside the slope's formula, which is drawn. selu is a rare
    # nonlinearity: its case is an edge case, the others everyday ones.
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize(
        "name",
        [pytest.param(n, marks=pytest.mark.ordinary) for n in ("tanh", "relu", "leaky_relu")]
        + ["selu"],
    )
    def test_gain_matches_pytorch(self, name, check):
        check.matches(
            lambda m: m.init.calculate_gain(name),
            f"calculate_gain({name!r})",
            expected=float(nn_init.calculate_gain(name)),
            rtol=1e-12,
            atol=0,
        )

    # A gain of 1 is also what a function returning the constant 1 gives: these count once a
    # gain other than 1 is right too.
    @pytest.mark.ordinary
    @pytest.mark.supporting("test_gain_matches_pytorch", "test_leaky_relu_slope")
    def test_unit_gains(self, check):
        for name in LINEAR_FAMILY:
            check.matches(
                lambda m: m.init.calculate_gain(name),
                f"calculate_gain({name!r})",
                expected=float(nn_init.calculate_gain(name)),
                rtol=1e-12,
                atol=0,
            )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("slopes", ["small", "half", "steep-int", "tiny"])
    def test_leaky_relu_slope(self, slopes, check, inputs):
        param = {
            "small": lambda: inputs.number(0.1, 0.3),
            "half": lambda: inputs.number(0.4, 0.6),
            "steep-int": lambda: inputs.integer(2, 5),  # an int slope, as the docstring allows
            "tiny": lambda: inputs.log_number(1e-4, 1e-2),
        }[slopes]()
        _leaky_gain(check, param)

    @pytest.mark.ordinary
    def test_leaky_relu_zero_slope(self, check):
        _leaky_gain(check, 0)  # the int 0: ReLU's own gain

    def test_param_only_used_by_leaky_relu(self, check, inputs):
        param = inputs.number(0.05, 0.9)
        for name in ("relu", "tanh", "selu", "linear"):
            check.matches(
                lambda m: m.init.calculate_gain(name, param),
                f"calculate_gain({name!r}, {param:g})",
                expected=float(nn_init.calculate_gain(name, param)),
                rtol=1e-12,
                atol=0,
                hint="param is the leaky_relu slope; other gains ignore it",
            )

    @pytest.mark.ordinary
    @pytest.mark.supporting()  # a constant float passes it
    def test_returns_python_float(self, check, inputs):
        for name, param in (
            ("linear", None),
            ("relu", None),
            ("leaky_relu", inputs.number(0.05, 0.9)),
        ):
            python_numbers(
                check,
                check.impl.init.calculate_gain(name, param),
                float,
                f"calculate_gain({name!r}, {param!r})",
                hint="return a Python float (math.sqrt, 1.0), not a tensor, a NumPy number or "
                "an int",
            )

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize("which", range(4))
    def test_unknown_name_raises_value_error(self, which, check, inputs):
        name = inputs.permutation(UNKNOWN_NAMES)[which]
        value_error(
            check,
            lambda m: m.init.calculate_gain(name),
            f"calculate_gain({name!r})",
            hint="raise ValueError for a nonlinearity not in the table",
        )

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_invalid_slope_raises_value_error(self, check, inputs):
        for bad in (f"{inputs.number(0.05, 0.9):.2f}", True):
            try:
                got = check.impl.init.calculate_gain("leaky_relu", bad)
            except ValueError:
                continue
            check.fail(
                f"calculate_gain('leaky_relu', {bad!r}) returned {got!r} instead of "
                "raising ValueError",
                check="errors",
                hint="the slope must be None, an int or a float (a bool is refused)",
            )


def _leaky_gain(check, param) -> None:
    check.matches(
        lambda m: m.init.calculate_gain("leaky_relu", param),
        f"calculate_gain('leaky_relu', {param!r})",
        expected=float(nn_init.calculate_gain("leaky_relu", param)),
        rtol=1e-12,
        atol=0,
        hint="gain = sqrt(2 / (1 + slope^2)) with the given slope",
    )


# -------------------------------------------------------------------------------------- fans
@pytest.mark.exercise("init.fans")
class TestFans:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("kind", ["linear", "small-linear", "conv2d", "conv1d", "conv3d"])
    def test_matches_pytorch(self, kind, check, inputs):
        shape = _weight_shape(inputs, kind)
        got = check.matches(
            lambda m: tuple(m.init.fans(shape)),
            f"fans({shape})",
            expected=tuple(_fans(shape)),
            rtol=0,
            atol=0,
            hint="PyTorch layout (out, in, *kernel): fan_in = in * receptive "
            "field, fan_out = out * receptive field",
        )
        python_numbers(
            check,
            got,
            int,
            f"fans({shape})",
            hint="use int arithmetic (math.prod), not tensors, NumPy numbers or floats",
        )

    @pytest.mark.ordinary  # a weight's .shape is a torch.Size
    def test_accepts_lists_and_torch_size(self, check, inputs):
        drawn = _weight_shape(inputs, "conv1d")
        for shape in (list(drawn), torch.Size(drawn)):
            check.matches(
                lambda m: tuple(m.init.fans(shape)),
                f"fans({list(shape)})",
                expected=tuple(_fans(drawn)),
                rtol=0,
                atol=0,
            )

    @pytest.mark.supporting()  # a function that always raises passes it
    def test_one_dimensional_raises_value_error(self, check, inputs):
        shape = (inputs.integer(2, 64),)
        try:
            got = check.impl.init.fans(shape)
        except ValueError:
            return
        check.fail(
            f"fans({shape}) returned {got!r} instead of raising ValueError",
            check="errors",
            hint="a weight needs at least 2 dimensions to have a fan-in and a fan-out",
        )


def _weight_shape(inputs, kind: str) -> tuple[int, ...]:
    """A drawn weight shape of ``kind``: out != in, and kernels of 2 or more, so that swapped
    fans or a forgotten receptive field always show."""
    small = kind == "small-linear"
    out = inputs.integer(2, 9) if small else inputs.integer(8, 300)
    fan_in = inputs.choice(n for n in (range(2, 10) if small else range(8, 300)) if n != out)
    kernel = {"linear": 0, "small-linear": 0, "conv1d": 1, "conv2d": 2, "conv3d": 3}[kind]
    return (out, fan_in, *(inputs.integer(2, 5) for _ in range(kernel)))


# ------------------------------------------------------------------------------------ Xavier
def _xavier_std(shape, gain):
    fan_in, fan_out = _fans(shape)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


# Xavier's checks are all everyday ones, but for the dtype and device one: the default dtype is
# float32 and the CPU, and another is a rare request.
XAVIER_CASES = [
    pytest.param(LINEAR, 1.0, id="linear"),
    pytest.param(CONV, 5 / 3, id="conv-gain-5/3"),
    pytest.param((300, 40), math.sqrt(2), id="tall-gain-sqrt2"),
]


@pytest.mark.exercise("init.xavier")
class TestXavier:
    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("shape,gain", XAVIER_CASES)
    def test_uniform_distribution(self, shape, gain, check, inputs):
        _check_distribution(
            check, inputs, "xavier_uniform", shape, _xavier_std(shape, gain), True, {"gain": gain}
        )

    @pytest.mark.ordinary
    @pytest.mark.points(2)
    @pytest.mark.parametrize("shape,gain", XAVIER_CASES)
    def test_normal_distribution(self, shape, gain, check, inputs):
        _check_distribution(
            check, inputs, "xavier_normal", shape, _xavier_std(shape, gain), False, {"gain": gain}
        )

    @pytest.mark.ordinary
    def test_default_gain_is_one(self, check, inputs):
        _check_distribution(
            check, inputs, "xavier_uniform", LINEAR, _xavier_std(LINEAR, 1.0), True, {}
        )
        _check_distribution(check, inputs, "xavier_normal", CONV, _xavier_std(CONV, 1.0), False, {})

    @pytest.mark.ordinary
    @pytest.mark.parametrize("fn", ["xavier_uniform", "xavier_normal"])
    def test_seeded_generator_reproduces(self, fn, check, inputs):
        _check_reproducible(check, inputs, fn, {"gain": 1.3})

    @pytest.mark.supporting()  # any tensor of the right shape passes it
    @pytest.mark.parametrize("fn", ["xavier_uniform", "xavier_normal"])
    def test_dtype_and_device(self, fn, check, inputs):
        _check_dtype_device(check, inputs, fn)


# ----------------------------------------------------------------------------------- Kaiming
def _kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="relu"):
    fan_in, fan_out = _fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return nn_init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


# Kaiming with its defaults (ReLU, fan_in) on linear and convolution weights is the everyday
# use; fan_out, a leaky slope and tanh are rare modes.
KAIMING_CASES = [
    pytest.param(LINEAR, {}, id="linear-defaults", marks=pytest.mark.ordinary),
    pytest.param(CONV, {}, id="conv-defaults", marks=pytest.mark.ordinary),
    pytest.param(LINEAR, {"mode": "fan_out"}, id="linear-fan-out"),
    pytest.param(CONV, {"mode": "fan_out"}, id="conv-fan-out"),
    pytest.param(CONV, {"a": 0.2, "nonlinearity": "leaky_relu"}, id="conv-leaky-0.2"),
    pytest.param(LINEAR, {"a": 0.5, "nonlinearity": "leaky_relu"}, id="linear-leaky-0.5"),
    pytest.param((300, 40), {"nonlinearity": "tanh"}, id="tall-tanh"),
]


@pytest.mark.exercise("init.kaiming")
class TestKaiming:
    @pytest.mark.points(2)
    @pytest.mark.parametrize("shape,kwargs", KAIMING_CASES)
    def test_normal_distribution(self, shape, kwargs, check, inputs):
        _check_distribution(
            check, inputs, "kaiming_normal", shape, _kaiming_std(shape, **kwargs), False, kwargs
        )

    @pytest.mark.points(2)
    @pytest.mark.parametrize("shape,kwargs", KAIMING_CASES)
    def test_uniform_distribution(self, shape, kwargs, check, inputs):
        _check_distribution(
            check, inputs, "kaiming_uniform", shape, _kaiming_std(shape, **kwargs), True, kwargs
        )

    @pytest.mark.ordinary
    @pytest.mark.parametrize("fn", ["kaiming_normal", "kaiming_uniform"])
    def test_seeded_generator_reproduces(self, fn, check, inputs):
        _check_reproducible(check, inputs, fn, {"mode": "fan_out"})

    @pytest.mark.supporting()  # any tensor of the right shape passes it
    @pytest.mark.parametrize("fn", ["kaiming_normal", "kaiming_uniform"])
    def test_dtype_and_device(self, fn, check, inputs):
        _check_dtype_device(check, inputs, fn)

    @pytest.mark.supporting()  # a function that always raises passes it
    @pytest.mark.parametrize("fn", ["kaiming_normal", "kaiming_uniform"])
    def test_bad_mode_raises_value_error(self, fn, check):
        value_error(
            check,
            lambda m: getattr(m.init, fn)((5, 4), mode="fan_avg"),
            f"{fn}((5, 4), mode='fan_avg')",
            hint="mode is 'fan_in' or 'fan_out'; refuse anything else with ValueError",
        )


# ------------------------------------------------------------------------------------ shared
def _check_reproducible(check, inputs, fn, kwargs):
    shape = (40, 12, 3)
    first = _draw(check.impl, fn, shape, inputs, **kwargs)
    again = _draw(check.impl, fn, shape, inputs, **kwargs)
    other = _draw(check.impl, fn, shape, inputs, offset=1, **kwargs)
    check.that(
        torch.equal(first, again),
        f"{fn}{shape}: two calls with generators seeded alike gave different tensors",
        check="reproducibility",
        hint="draw every random number from `generator` (torch.rand(..., "
        "generator=generator)), never from the global random state",
    )
    check.that(
        not torch.equal(first, other),
        f"{fn}{shape}: generators with different seeds gave the same tensor",
        check="reproducibility",
        hint="the values must come from `generator`",
    )
    # One generator for two calls: its state moves, so the second tensor differs from the
    # first; and none of the calls may touch a global generator (a seed derived from the
    # generator passes the two checks above while reseeding NumPy's global state).
    advance = make(
        "generator_calls",
        [shape],
        {**kwargs, "device": str(inputs.device)},
        [inputs.seed, None],
        str(inputs.device),
    )
    calls = trajectory(getattr(check.impl.init, fn), advance, 2)
    check.that(
        not torch.equal(calls[0][0], calls[1][0]),
        f"{fn}{shape}: two calls with one generator gave the same tensor (drawing moves a "
        "generator's state, so the second call must get new values)",
        check="reproducibility",
        hint="draw from `generator` itself (torch.rand(..., generator=generator)): each draw "
        "moves its state, so the next call gets new values",
        generic=lambda: stat_diagnoses.not_advanced(calls[0][0], calls[1][0]),
    )
    moved = any(len(c) > 2 and c[2] for c in calls)
    check.that(
        not moved,
        f"{fn}{shape}: a call given a generator changed a global random generator (torch's, "
        "NumPy's or Python's)",
        check="reproducibility",
        hint="leave the global generators alone: no np.random.seed, torch.manual_seed or "
        "random.seed inside the function, and every draw from `generator`",
        generic=lambda: stat_diagnoses.globals_moved(moved),
    )


def _check_dtype_device(check, inputs, fn):
    shape = (9, 5, 2)
    w = getattr(check.impl.init, fn)(
        shape, generator=_gen(inputs), dtype=torch.float64, device=inputs.device
    )
    check.like(
        w,
        torch.empty(shape, dtype=torch.float64, device=inputs.device),
        f"{fn}({shape}, dtype=torch.float64) result",
    )
    default = getattr(check.impl.init, fn)(shape)
    check.like(
        default,
        torch.empty(shape, dtype=torch.float32),
        f"{fn}({shape}) with the default dtype and device",
    )
    check.that(
        bool(torch.isfinite(w).all()) and bool((w != 0).any()),
        f"{fn}({shape}) must return finite, non-zero random values",
        check="statistics",
    )
