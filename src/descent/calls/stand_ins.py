"""The kit's stand-ins for the parts one exercise may call of another: one mistake, one charge.

An exercise may call others (``registry.PARTS``, derived from the reference solutions and the
docstrings): the MLP its linear layer, activations and cross-entropy, AdamW Adam's update, the
capstone most of the kit. When a check of such a composite fails, the grading plugin runs the
test again with these stand-ins put in place of the submission's own parts
(:class:`StandingIn`), in every module of the submission (its helper files too); the composite is
charged nothing when it is right that way and a part loses points for its own mistake. The
evidence is always the kit's part, never the student's own: a part that is wrong only for the
inputs a composite gives it cannot make an unwritten composite look right.

The stand-ins are PyTorch's own operations (autograd for a backward, ``torch.nn.init``,
``torch.optim``'s functional updates), with each exercise's signature and return form; nothing
in them is an exercise's solution. They run where the submission runs: in the student's
process for the public tests, in the confined worker for the hidden graders (``descent
.isolation.submission``), so a part that draws from a generator draws from the student's own.
"""

from __future__ import annotations

import contextlib
import functools
import math
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

from .. import registry


def _pair(fn: Callable) -> tuple[Callable, Callable]:
    """A forward/backward pair for ``fn(x, *args, **kwargs)``: the forward returns ``(out,
    cache)``, the backward ``dx`` for the upstream ``dout`` (autograd, on the trusted code)."""

    def forward(x, *args, **kwargs):
        return fn(x.detach(), *args, **kwargs), (x, args, kwargs)

    def backward(dout, cache):
        x, args, kwargs = cache
        with torch.enable_grad():
            leaf = x.detach().requires_grad_(True)
            return torch.autograd.grad(fn(leaf, *args, **kwargs), leaf, dout)[0]

    return forward, backward


def _linear_forward(x, W, b):
    return F.linear(x, W, b), (x, W, b)


def _linear_backward(dy, cache):
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(True) for t in cache]
        return torch.autograd.grad(F.linear(*leaves), leaves, dy)


_ACTIVATIONS: dict[str, Callable] = {
    "relu": torch.relu,
    "leaky_relu": lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
}


def _mlp_loss_and_grads(params, x, y, activation="relu"):
    if activation not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; use one of {tuple(_ACTIVATIONS)}")
    with torch.enable_grad():
        leaves = [
            (W.detach().requires_grad_(True), b.detach().requires_grad_(True)) for W, b in params
        ]
        h = x
        for i, (W, b) in enumerate(leaves):
            h = F.linear(h, W, b)
            if i < len(leaves) - 1:
                h = _ACTIVATIONS[activation](h)
        loss = F.cross_entropy(h, y)
        grads = torch.autograd.grad(loss, [t for pair in leaves for t in pair])
    return loss.detach(), [(grads[2 * i], grads[2 * i + 1]) for i in range(len(leaves))]


def _minibatches(n, batch_size, generator, drop_last=False):
    if n < 0 or batch_size < 1:
        raise ValueError(f"need n >= 0 and batch_size >= 1, got n={n}, batch_size={batch_size}")
    order = torch.randperm(n, generator=generator, device=generator.device)
    pieces = list(order.split(batch_size)) if n else []
    if drop_last and pieces and len(pieces[-1]) < batch_size:
        pieces.pop()
    return pieces


def _fans(shape):
    meta = torch.empty(tuple(int(s) for s in shape), device="meta")
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(meta)
    return int(fan_in), int(fan_out)


def _init(fill: Callable, *options: str) -> Callable:
    """An initializer of ``torch.nn.init`` (``fill(tensor, ...)``) as the exercises call one:
    ``(shape, <options>, generator=None, dtype=torch.float32, device="cpu")``."""

    def draw(shape, *args, generator=None, dtype=torch.float32, device="cpu", **kwargs):
        chosen = dict(zip(options, args), **kwargs)
        tensor = torch.empty(tuple(shape), dtype=dtype, device=device)
        return fill(tensor, **chosen, generator=generator)

    return draw


def _update(name: str) -> Callable:
    """``torch.optim``'s functional ``name``: the code its class runs on one parameter."""
    import importlib  # start-up: loaded when a stand-in first steps

    return getattr(importlib.import_module(f"torch.optim.{name}"), name)


def _sgd_step(
    param, grad, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0
):
    p, buffer = param.detach().clone(), state.get("momentum_buffer")
    buffers = [buffer.clone() if isinstance(buffer, torch.Tensor) else None]
    with torch.no_grad():
        _update("sgd")(
            [p],
            [grad],
            buffers,
            foreach=False,
            weight_decay=weight_decay,
            momentum=momentum,
            lr=lr,
            dampening=dampening,
            nesterov=nesterov,
            maximize=False,
        )
    new = dict(state)
    if momentum != 0:
        new["momentum_buffer"] = buffers[0]
    return p, new


def _adam(name: str) -> Callable:
    """Adam's (or AdamW's) step from and to a state dict as the exercises keep it."""

    def step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=None):
        if weight_decay is None:
            weight_decay = 1e-2 if name == "adamw" else 0.0
        p = param.detach().clone()
        m, v = (state.get(k) for k in ("exp_avg", "exp_avg_sq"))
        m = torch.zeros_like(p) if m is None else m.clone()
        v = torch.zeros_like(p) if v is None else v.clone()
        steps = [torch.tensor(float(state.get("step", 0)))]
        with torch.no_grad():
            _update(name)(
                [p],
                [grad],
                [m],
                [v],
                [],
                steps,
                foreach=False,
                amsgrad=False,
                beta1=betas[0],
                beta2=betas[1],
                lr=lr,
                weight_decay=weight_decay,
                eps=eps,
                maximize=False,
            )
        return p, {**state, "step": int(steps[0].item()), "exp_avg": m, "exp_avg_sq": v}

    return step


def _cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    share = 0.5 * (1.0 + math.cos(step / total_steps * math.pi))
    return float(share * (base_lr - min_lr) + min_lr)


def _warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return float((step + 1) / warmup_steps * base_lr)
    return _cosine_lr(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)


def _total_norm_of(tensors: list, norm_type: float = 2.0) -> torch.Tensor:
    """The norm of the tensors' norms, as ``torch.nn.utils.get_total_norm`` computes it on the
    CPU, for the torch releases of the student bundle's range that lack it (before 2.6)."""
    norms = [torch.linalg.vector_norm(t, norm_type) for t in tensors]
    return torch.linalg.vector_norm(torch.stack(norms), norm_type)


# torch.nn.utils.get_total_norm(tensors, norm_type): the library's where the torch has it
total_norm = getattr(torch.nn.utils, "get_total_norm", None) or _total_norm_of


def _clip_grad_norm(grads, max_norm, norm_type=2.0, eps=1e-6):
    total = total_norm(list(grads), norm_type)
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    return [g * scale for g in grads], total


def _gain(nonlinearity, param=None):
    return float(torch.nn.init.calculate_gain(nonlinearity, param))


def _cross_entropy(logits, target, weight=None, label_smoothing=0.0):
    return F.cross_entropy(logits, target, weight=weight, label_smoothing=label_smoothing)


def _bce_with_logits(logits, target, pos_weight=None):
    if pos_weight is not None and not isinstance(pos_weight, torch.Tensor):
        pos_weight = torch.as_tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    return F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)


def _pairs(**fns: Callable) -> dict[str, dict[str, Callable]]:
    out = {}
    for name, fn in fns.items():
        forward, backward = _pair(fn)
        out[name] = {f"{name}_forward": forward, f"{name}_backward": backward}
    return out


_BY_NAME: dict[str, dict[str, Callable]] = {
    **{
        f"activations.{n}": f
        for n, f in _pairs(**_ACTIVATIONS, softmax=lambda x, dim=-1: torch.softmax(x, dim)).items()
    },
    **{
        f"losses.{n}": f
        for n, f in _pairs(
            log_softmax=lambda x, dim=-1: F.log_softmax(x, dim),
            cross_entropy=_cross_entropy,
            bce_with_logits=_bce_with_logits,
        ).items()
    },
    "layers.linear": {"linear_forward": _linear_forward, "linear_backward": _linear_backward},
    "layers.mlp_loss_and_grads": {"mlp_loss_and_grads": _mlp_loss_and_grads},
    "regression.minibatches": {"minibatches": _minibatches},
    "init.fans": {"fans": _fans},
    "init.calculate_gain": {"calculate_gain": _gain},
    "init.xavier": {
        "xavier_uniform": _init(torch.nn.init.xavier_uniform_, "gain"),
        "xavier_normal": _init(torch.nn.init.xavier_normal_, "gain"),
    },
    "init.kaiming": {
        "kaiming_normal": _init(torch.nn.init.kaiming_normal_, "a", "mode", "nonlinearity"),
        "kaiming_uniform": _init(torch.nn.init.kaiming_uniform_, "a", "mode", "nonlinearity"),
    },
    "optim.sgd": {"sgd_step": _sgd_step},
    "optim.adam": {"adam_step": _adam("adam")},
    "optim.adamw": {"adamw_step": _adam("adamw")},
    "schedules.cosine_lr": {"cosine_lr": _cosine_lr},
    "schedules.warmup_cosine_lr": {"warmup_cosine_lr": _warmup_cosine_lr},
    "clipping.clip_grad_norm": {"clip_grad_norm": _clip_grad_norm},
}
# Every part an exercise may call has its stand-in (tests/calls/test_stand_ins.py checks each
# against the reference solution).
STAND_INS: Mapping[str, Mapping[str, Callable]] = types.MappingProxyType(_BY_NAME)


class StandingIn:
    """The stand-ins of ``parts`` (exercise ids) put in place of a submission's own functions:
    in ``modules`` (every module of the submission, its helpers too), every reference to one of
    the submission's part functions now refers to the stand-in, however the composite reaches
    it: a name (the part's own, an alias), an item of a module's dict, list or tuple (a table
    of activations built at import), a default argument, a class's attribute or its methods'
    defaults. :meth:`restore` puts everything back and says which stand-ins were called."""

    def __init__(
        self,
        modules: Iterable[types.ModuleType],
        defining: Mapping[str, Any],
        parts,
        quiet: Callable[[], contextlib.AbstractContextManager] | None = None,
    ):
        self.called: set[str] = set()
        self.quiet = quiet or contextlib.nullcontext
        self.undo: list[Callable[[], None]] = []
        modules = list(modules)
        for part in parts:
            home = defining.get(registry.get(part).module)
            for name, stand_in in STAND_INS[part].items():
                own = getattr(home, name, None) if home is not None else None
                if own is None:
                    continue
                counted = self._counted(part, stand_in)
                for module in modules:
                    self._replace(vars(module), module, own, counted)

    def _replace(self, names: Mapping[str, Any], owner: Any, own: Any, new: Any) -> None:
        """Each reference to ``own`` among ``names`` (a module's or a class's), one level deep:
        the name itself, the items of a dict, list or tuple bound to it, a function's defaults,
        a class of ``owner``'s module (its attributes, in turn)."""
        for key, value in list(names.items()):
            if key.startswith("__"):
                continue  # __builtins__, __dict__, ...: nothing of the submission's
            if value is own:
                self._set(owner, key, value, new)
            elif isinstance(value, staticmethod) and value.__func__ is own:
                self._set(owner, key, value, staticmethod(new))
            elif isinstance(value, dict | list):
                self._items(value, own, new)
            elif isinstance(value, tuple) and any(v is own for v in value):
                self._set(owner, key, value, tuple(new if v is own else v for v in value))
            elif isinstance(value, types.FunctionType):
                self._defaults(value, own, new)
            elif isinstance(value, type) and value.__module__ == getattr(owner, "__name__", ""):
                self._replace(dict(vars(value)), value, own, new)

    def _set(self, owner: Any, key: str, old: Any, new: Any) -> None:
        self.undo.append(lambda: setattr(owner, key, old))
        setattr(owner, key, new)

    def _items(self, container: Any, own: Any, new: Any, depth: int = 3) -> None:
        """The items of a dict or a list that are ``own``, or hold it in a tuple, a dict or a
        list of their own (``{"relu": (relu_forward, relu_backward)}``), ``depth`` levels down."""
        keys = list(container) if isinstance(container, dict) else range(len(container))
        for k in keys:
            item = container[k]
            if item is own:
                replaced = new
            elif isinstance(item, tuple) and any(v is own for v in item):
                replaced = tuple(new if v is own else v for v in item)
            else:
                if depth > 1 and isinstance(item, dict | list):
                    self._items(item, own, new, depth - 1)
                continue
            self.undo.append(functools.partial(container.__setitem__, k, item))
            container[k] = replaced

    def _defaults(self, function: types.FunctionType, own: Any, new: Any) -> None:
        old, kw = function.__defaults__, function.__kwdefaults__
        if old and any(v is own for v in old):
            self.undo.append(lambda: setattr(function, "__defaults__", old))
            function.__defaults__ = tuple(new if v is own else v for v in old)
        if kw and any(v is own for v in kw.values()):
            self.undo.append(lambda: setattr(function, "__kwdefaults__", kw))
            function.__kwdefaults__ = {k: new if v is own else v for k, v in kw.items()}

    def _counted(self, part: str, stand_in: Callable) -> Callable:
        @functools.wraps(stand_in)
        def call(*args, **kwargs):
            self.called.add(part)
            with self.quiet():  # the kit's code: its library use is not the submission's
                return stand_in(*args, **kwargs)

        return call

    def restore(self) -> list[str]:
        for undo in reversed(self.undo):
            undo()
        self.undo = []
        return sorted(self.called)
