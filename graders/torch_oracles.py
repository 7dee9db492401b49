"""PyTorch's optimizers and learning-rate schedulers as oracles, without ``torch._dynamo``.

Constructing or stepping a ``torch.optim.Optimizer`` imports ``torch._dynamo`` (its
``add_param_group`` and ``step`` are wrapped for ``torch.compile``), about a CPU-second of a
grading that never compiles anything. The oracles here run the same update code instead:

* :func:`optimizer_steps` calls the functional form of an optimizer (``torch.optim.adam.adam``
  and its siblings, the code the classes run with ``foreach=False``) with the state the class
  would keep, starting from the class's own default hyperparameters;
* :class:`LearningRates` is the one parameter group a scheduler of ``torch.optim.lr_scheduler``
  reads and writes, with an optimizer step that does nothing.

tests/test_torch_oracles.py holds both to the classes themselves, value for value.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Sequence

import torch

# Class name -> how the functional form names the state lists it updates, after the
# parameters and gradients: (state key, initial value from the parameter and the
# hyperparameters). A key whose initial value is None starts empty (SGD's momentum buffer,
# made on the first step); a key left out of the state by the class is dropped when the
# hyperparameters ask for none (see _kept).
_ZERO_STEP = "step"
_STATE: dict[str, tuple[tuple[str, Callable | None], ...]] = {
    "SGD": (("momentum_buffer", None),),
    "Adagrad": (
        ("sum", lambda p, hp: torch.full_like(p, hp["initial_accumulator_value"])),
        (_ZERO_STEP, None),
    ),
    "RMSprop": (
        ("square_avg", lambda p, hp: torch.zeros_like(p)),
        ("grad_avg", lambda p, hp: torch.zeros_like(p)),
        ("momentum_buffer", lambda p, hp: torch.zeros_like(p)),
        (_ZERO_STEP, None),
    ),
    "Adam": (
        ("exp_avg", lambda p, hp: torch.zeros_like(p)),
        ("exp_avg_sq", lambda p, hp: torch.zeros_like(p)),
        ("max_exp_avg_sq", lambda p, hp: torch.zeros_like(p)),
        (_ZERO_STEP, None),
    ),
}
_STATE["AdamW"] = _STATE["Adam"]


def _kept(cls_name: str, key: str, hp: dict) -> bool:
    """Whether the class keeps ``key`` in its state under these hyperparameters."""
    if key == "momentum_buffer":
        return bool(hp["momentum"])
    if key == "grad_avg":
        return bool(hp["centered"])
    if key == "max_exp_avg_sq":
        return bool(hp["amsgrad"])
    return True


def defaults(cls_name: str) -> dict:
    """The keyword defaults of ``torch.optim.<cls_name>``'s constructor (read from its
    signature, so they follow the installed PyTorch)."""
    return dict(_defaults(cls_name))


@functools.cache
def _defaults(cls_name: str) -> tuple[tuple[str, object], ...]:
    params = inspect.signature(getattr(torch.optim, cls_name)).parameters
    return tuple(
        (name, p.default)
        for name, p in params.items()
        if name != "params" and p.default is not inspect.Parameter.empty
    )


def _functional(cls_name: str) -> Callable:
    module = importlib.import_module(f"torch.optim.{cls_name.lower()}")
    return getattr(module, cls_name.lower())


def _keywords(fn: Callable, hp: dict) -> dict:
    """The hyperparameters the functional form takes by keyword (Adam's ``betas`` become
    ``beta1`` and ``beta2``)."""
    hp = dict(hp)
    if "betas" in hp:
        hp["beta1"], hp["beta2"] = hp.pop("betas")
    accepted = _accepted(fn)
    return {k: v for k, v in hp.items() if k in accepted and k != "foreach"}


@functools.cache
def _accepted(fn: Callable) -> frozenset[str]:
    return frozenset(inspect.signature(fn).parameters)


def optimizer_steps(
    cls_name: str, p0: torch.Tensor, grad: Callable, lrs: Sequence[dict]
) -> tuple[list[torch.Tensor], dict]:
    """``torch.optim.<cls_name>`` stepped once per entry of ``lrs`` from ``p0`` (not edited),
    each step with ``grad(p)`` at the current parameters and that entry's hyperparameters
    (``{}``: the defaults; a changed ``lr`` is a scheduler's change between steps).

    Returns the parameters after each step (copies) and the last state as the class keeps it
    (``step`` as an int)."""
    fn = _functional(cls_name)
    p = p0.detach().clone()
    state: dict[str, torch.Tensor | None] = {}
    params = []
    for k, given in enumerate(lrs):
        hp = {**defaults(cls_name), **given}
        if k == 0:
            for key, init in _STATE[cls_name]:
                if key == _ZERO_STEP:
                    state[key] = torch.tensor(0.0, dtype=_scalar_dtype())
                else:
                    state[key] = init(p, hp) if init is not None else None
        lists = [[state[key]] for key, _ in _STATE[cls_name]]
        with torch.no_grad():
            fn([p], [grad(p)], *lists, foreach=False, **_keywords(fn, hp))
        for (key, _), values in zip(_STATE[cls_name], lists, strict=True):
            state[key] = values[0]  # SGD's buffer is made on the first step
        params.append(p.detach().clone())
    last = {**defaults(cls_name), **(lrs[-1] if lrs else {})}
    kept = {
        key: (int(v.item()) if key == _ZERO_STEP else v.detach().clone())
        for key, v in state.items()
        if v is not None and _kept(cls_name, key, last)
    }
    return params, kept


def _scalar_dtype() -> torch.dtype:
    # as torch.optim's classes keep their step count
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class LearningRates(torch.optim.Optimizer):
    """One parameter group with a learning rate (and SGD's other defaults), for a scheduler of
    ``torch.optim.lr_scheduler`` to drive; ``step`` updates nothing. Read the rate a scheduler
    set from ``param_groups[0]["lr"]``."""

    def __init__(self, lr: float):
        # Not Optimizer.__init__: its add_param_group imports torch._dynamo. A scheduler reads
        # only these attributes (OneCycleLR also the momentum default it cycles).
        self.defaults = {**defaults("SGD"), "lr": lr}
        self.param_groups = [{**self.defaults, "params": []}]
        self.state = {}

    def step(self, closure=None):  # noqa: ARG002 - the signature schedulers call
        return None
