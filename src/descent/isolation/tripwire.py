"""Runtime tripwire: wraps the library operations that exercises may not borrow.

Installed in the worker before any submission code is imported. Each wrapper knows the dotted
names it stands for (``torch.nn.functional.cross_entropy``, ``torch.softmax``, ``torch.ops.aten
._softmax``...). While a student's function of exercise E runs, a call of a wrapper whose name
falls under one of E's forbidden prefixes is recorded (only the outermost such call, so a library
function calling another reports once). The wrappers also catch ``getattr(F, "cross_" +
"entropy")`` and ``torch.ops.aten.*``; a determined student can still reach the C functions some
other way, so a hit is evidence for review, paired with the AST scan on the trusted side.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Iterable
from typing import Any

from .. import registry


class _State(threading.local):
    def __init__(self):
        self.active: tuple[str, ...] | None = None
        self.depth = 0
        self.hits: set[str] | None = None


_STATE = _State()
_INSTALLED = False


def _under(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _make(orig: Any, names: tuple[str, ...]):
    def wrapper(*args, **kwargs):
        st = _STATE
        if st.active is not None and st.depth == 0:
            for n in names:
                if _under(n, st.active):
                    st.hits.add(names[0])
                    break
        st.depth += 1
        try:
            return orig(*args, **kwargs)
        finally:
            st.depth -= 1

    try:
        functools.update_wrapper(wrapper, orig)
    except (AttributeError, TypeError):
        pass
    wrapper.__descent_tripwire__ = names
    return wrapper


class _OpPacket:
    """Stands in for ``torch.ops.aten.<op>``: calls and overloads (``.default``) are watched."""

    def __init__(self, packet, names):
        self._packet, self._names = packet, names
        self._call = _make(packet, names)

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __getattr__(self, attr):
        value = getattr(self._packet, attr)
        if isinstance(value, _OVERLOAD):  # an overload (.default): watched, and still has
            return _OpPacket(value, self._names)  # its methods (name(), ...) for torch's code
        if callable(value) and not attr.startswith("_"):
            return _make(value, self._names)
        return value


try:
    from torch._ops import OpOverload as _OVERLOAD
except ImportError:  # pragma: no cover - an older torch
    _OVERLOAD = ()


def _wrap_attr(owner: Any, attr: str, names: tuple[str, ...]) -> None:
    try:
        orig = getattr(owner, attr)
    except AttributeError:
        return
    if getattr(orig, "__descent_tripwire__", None) or not callable(orig):
        return
    try:
        setattr(owner, attr, _make(orig, names))
    except (AttributeError, TypeError):
        pass


def _public_functions(module) -> list[str]:
    out = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name, None)
        if callable(value) and not inspect.isclass(value) and not inspect.ismodule(value):
            out.append(name)
    return out


# aten operators whose direct use means borrowing a forbidden operation.
_ATEN = {
    "torch.softmax": ["_softmax", "softmax", "special_softmax"],
    "torch.log_softmax": ["_log_softmax", "log_softmax", "special_log_softmax"],
    "torch.logsumexp": ["logsumexp", "special_logsumexp"],
    "torch.sigmoid": ["sigmoid", "special_expit"],
    "torch.nn.functional": [
        "cross_entropy_loss",
        "nll_loss",
        "nll_loss2d",
        "nll_loss_nd",
        "nll_loss_forward",
        "mse_loss",
        "l1_loss",
        "huber_loss",
        "smooth_l1_loss",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "kl_div",
        "gelu",
        "silu",
        "leaky_relu",
        "elu",
        "softplus",
        "hardtanh",
        "dropout",
        "native_dropout",
        "layer_norm",
        "native_layer_norm",
        "batch_norm",
        "native_batch_norm",
        "rms_norm",
        "linear",
        "one_hot",
    ],
    "torch.optim": ["_fused_adam", "_fused_adamw", "_fused_sgd"],
}


def install() -> None:
    """Wrap every forbidden API of the registry (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _wrap_library_modules()
    _wrap_training_machinery()
    _wrap_activations()
    _wrap_solvers()
    _wrap_aten()


def _wrap_library_modules() -> None:
    """Every public function of the modules that hold ready-made layers, losses and inits."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import torch
    import torch.nn.functional as F
    import torch.nn.init as init
    import torch.nn.utils as nn_utils

    for name in _public_functions(F):
        _wrap_attr(F, name, (f"torch.nn.functional.{name}",))
    for name in _public_functions(torch._C._nn):
        _wrap_attr(torch._C._nn, name, (f"torch._C._nn.{name}", "torch.nn.functional"))
    for name in _public_functions(init):
        _wrap_attr(init, name, (f"torch.nn.init.{name}",))
    for name in _public_functions(nn_utils):
        _wrap_attr(nn_utils, name, (f"torch.nn.utils.{name}",))
    try:
        # audited as it stands: the isolation core's imports are not moved without a review
        import torch.nn.utils.clip_grad as clip_grad

        for name in _public_functions(clip_grad):
            _wrap_attr(clip_grad, name, (f"torch.nn.utils.{name}",))
    except ImportError:
        pass


def _wrap_training_machinery() -> None:
    """Modules, optimizers, schedulers and autograd: what the exercises build by hand."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import torch
    import torch.optim as optim
    import torch.optim.lr_scheduler as lr_scheduler

    _wrap_attr(torch.nn.Module, "__init__", ("torch.nn.Module",))
    _wrap_attr(optim.Optimizer, "__init__", ("torch.optim.Optimizer",))
    for sub in ("sgd", "adam", "adamw", "adagrad", "rmsprop"):
        mod = getattr(optim, sub, None)
        if mod is not None:
            _wrap_attr(mod, sub, (f"torch.optim.{sub}.{sub}",))
    base = getattr(lr_scheduler, "LRScheduler", None) or lr_scheduler._LRScheduler
    _wrap_attr(base, "__init__", ("torch.optim.lr_scheduler",))
    for name in ("grad", "backward"):
        _wrap_attr(torch.autograd, name, (f"torch.autograd.{name}",))
    for name in ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"):
        _wrap_attr(torch.autograd.functional, name, (f"torch.autograd.functional.{name}",))
    # torch.func is slow to import and rarely used: wrapped only if already loaded (its
    # transforms end in torch.autograd.grad, which is wrapped; the AST scan treats it as autograd)
    tfunc = sys.modules.get("torch.func")
    if tfunc is not None:
        for name in ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"):
            _wrap_attr(tfunc, name, (f"torch.func.{name}", "torch.autograd"))
    _wrap_attr(torch.autograd.Function, "apply", ("torch.autograd.Function.apply",))
    _wrap_attr(torch.Tensor, "backward", ("torch.Tensor.backward",))


def _wrap_activations() -> None:
    """The activations and normalizers that also live on torch, Tensor and torch.special."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import torch

    for name in ("softmax", "log_softmax", "logsumexp", "sigmoid"):
        _wrap_attr(torch, name, (f"torch.{name}",))
        _wrap_attr(torch.Tensor, name, (f"torch.Tensor.{name}",))
    _wrap_attr(torch.Tensor, "sigmoid_", ("torch.Tensor.sigmoid",))
    _wrap_attr(torch, "sigmoid_", ("torch.sigmoid",))
    for name in ("expit", "log_softmax", "softmax", "logsumexp"):
        _wrap_attr(torch.special, name, (f"torch.special.{name}",))


def _wrap_solvers() -> None:
    """Ready-made inverses and least squares (the closed-form exercise solves by hand). The AST
    scan cannot tell ``A.inverse()`` on a tensor from a student's own ``inverse`` method."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import torch

    for name in ("inverse", "pinverse"):
        _wrap_attr(torch, name, (f"torch.{name}",))
        _wrap_attr(torch.Tensor, name, (f"torch.Tensor.{name}",))
    for name in ("inv", "inv_ex", "pinv", "lstsq", "tensorinv"):
        _wrap_attr(torch.linalg, name, (f"torch.linalg.{name}",))
    # NumPy's and SciPy's are the same borrowing; SciPy is wrapped only once something has
    # loaded it (importing it here would cost every worker its start-up)
    for module, prefix, names in (
        (sys.modules.get("numpy.linalg"), "numpy.linalg", ("inv", "pinv", "lstsq", "tensorinv")),
        (sys.modules.get("scipy.linalg"), "scipy.linalg", ("inv", "pinv", "pinvh", "lstsq")),
    ):
        for name in names if module is not None else ():
            _wrap_attr(module, name, (f"{prefix}.{name}",))


def _wrap_aten() -> None:
    """The aten operator packets behind them, overloads included."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import torch

    aten = torch.ops.aten
    for category, ops in _ATEN.items():
        for op in ops:
            try:
                packet = getattr(aten, op)
            except (AttributeError, RuntimeError):
                continue
            try:
                setattr(aten, op, _OpPacket(packet, (f"torch.ops.aten.{op}", category)))
            except (AttributeError, TypeError):
                pass


_PREFIXES: dict[str, tuple[str, ...]] = {}


class watch:
    """``with watch("losses.mse") as hits:`` records forbidden calls made inside the block."""

    __slots__ = ("prefixes", "hits", "_saved")

    def __init__(self, exercise_id: str | None):
        # looked up once per exercise: the worker enters a watch for every request
        self.prefixes = _PREFIXES.get(exercise_id) if exercise_id else None
        if self.prefixes is None and exercise_id in registry.EXERCISES:
            self.prefixes = _PREFIXES[exercise_id] = tuple(
                registry.EXERCISES[exercise_id].forbidden
            ) + _always(exercise_id)
        self.hits: set[str] = set()
        self._saved = None

    def __enter__(self) -> set[str]:
        st = _STATE
        self._saved = (st.active, st.hits, st.depth)
        if self.prefixes is not None:
            st.active, st.hits, st.depth = self.prefixes, self.hits, 0
        return self.hits

    def __exit__(self, *exc) -> None:
        st = _STATE
        st.active, st.hits, st.depth = self._saved


class quiet:
    """``with quiet():`` records nothing inside the block: the kit's own code there (a stand-in
    for a part, descent.calls.stand_ins) may use what the exercise being watched may not."""

    __slots__ = ("_saved",)

    def __enter__(self) -> None:
        self._saved = _STATE.active
        _STATE.active = None

    def __exit__(self, *exc) -> None:
        _STATE.active = self._saved


def _always(exercise_id: str) -> tuple[str, ...]:
    always = tuple(registry.ALWAYS_FORBIDDEN)
    # the backward-exercise ban also covers aten *_backward ops reached through torch.ops
    return always


def forbidden_for(exercise_id: str) -> tuple[str, ...]:
    ex = registry.EXERCISES.get(exercise_id)
    return (tuple(ex.forbidden) + tuple(registry.ALWAYS_FORBIDDEN)) if ex else ()
