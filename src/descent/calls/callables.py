"""Callables that graders pass to student code (``numerical_gradient(f, x)``).

A callable cannot cross to the worker as code. Two ways work, both transparent to tests:

* **Described callables** (fast): ``make("weighted_cubes", w)`` returns a plain callable in the
  grader's process; it carries its description (a factory name from this module plus data
  arguments), so the worker rebuilds the same callable from the kit's own code.
* **Any other callable** (a lambda, a closure over hidden data, a function that calls the
  implementation under test): the worker gets a stub, and each call is sent back to the grader's
  process, which runs the callable on plain data and returns the result. Slower (one round trip
  per call) but fully general.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any

import torch

FACTORIES: dict[str, Callable[..., Callable]] = {}


def factory(name: str):
    def register(fn):
        FACTORIES[name] = fn
        return fn

    return register


class Described:
    """A callable built by a registered factory; it remembers how to be rebuilt."""

    def __init__(self, name: str, args: tuple):
        if name not in FACTORIES:
            raise KeyError(f"no callable factory {name!r}")
        self.__descent_remote__ = (name, tuple(args))
        self._fn = FACTORIES[name](*args)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # what the factory's callable offers besides a call (``moved`` of a watching advance)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._fn, name)

    def __repr__(self) -> str:
        return f"<described callable {self.__descent_remote__[0]}>"


def make(name: str, *args: Any) -> Described:
    return Described(name, args)


@factory("weighted_cubes")
def _weighted_cubes(w: torch.Tensor):
    return lambda x: (w * x**3).sum()


@factory("quadratic")
def _quadratic(a: torch.Tensor, b: torch.Tensor):
    return lambda x: 0.5 * (x.reshape(-1) @ a @ x.reshape(-1)) + (b.reshape(-1) @ x.reshape(-1))


@factory("weighted_sin")
def _weighted_sin(w: torch.Tensor):
    return lambda x: (w * torch.sin(x)).sum()


@factory("weighted_tanh_square")
def _weighted_tanh_square(w: torch.Tensor):
    return lambda x: (torch.tanh(x) ** 2 * w).sum()


@factory("weighted_quadratic")
def _weighted_quadratic(w: torch.Tensor):
    return lambda x: (0.5 * w * x * x + w * x).sum()


@factory("sin_times_exp")
def _sin_times_exp(w: torch.Tensor):
    return lambda x: (torch.sin(w * x) * torch.exp(0.3 * x)).sum()


def run_chain(
    fn: Callable, advance: Callable, steps: int, start: Any = None, pick: int | None = None
) -> list:
    """The loop behind :func:`descent.calls.impl.call_chain`, the same in-process and in a worker."""
    out: list = []
    previous = start
    # an advance that watches the global generators says, after each call, whether it moved them
    watch = getattr(advance, "moved", None)
    for k in range(steps):
        args, kwargs = advance(k, previous)
        args, kwargs = list(args), dict(kwargs)
        before = copy_value((args, kwargs))
        result = fn(*args, **kwargs)
        edited = not same_value(before, (args, kwargs))
        out.append((result, edited) if watch is None else (result, edited, bool(watch())))
        previous = result
    if pick is not None:  # only where it applies: a malformed result stays whole, as it was
        out[:-1] = [
            (
                entry[0][pick]
                if type(entry[0]) in (tuple, list) and len(entry[0]) > pick
                else entry[0],
                *entry[1:],
            )
            for entry in out[:-1]
        ]
    return out


def fresh(value: Any) -> Any:
    """A copy a call may edit freely: :func:`copy_value`, with generators copied too."""
    return copy_value(value, generators=True)


def kept(result: Any) -> Any:
    """``result`` as it is when its call returns: a tensor, or the tensors of one list or tuple,
    cloned, so that a later call of a sweep cannot change what an earlier one returned by editing
    them in place (a backward that accumulates its gradients into its cache and hands back the
    same tensors each time). Anything else as is."""
    if isinstance(result, torch.Tensor):
        return result.clone()
    if type(result) in (list, tuple):
        return type(result)(v.clone() if isinstance(v, torch.Tensor) else v for v in result)
    return result


def copy_value(value: Any, *, generators: bool = False) -> Any:
    """A copy of tensors (and generators, if asked) and of the lists, tuples and dicts around
    them; other values, subclasses of list and tuple included, as is."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if generators and isinstance(value, torch.Generator):
        gen = torch.Generator(device=value.device)
        gen.set_state(value.get_state())
        return gen
    if type(value) in (list, tuple):
        return type(value)(copy_value(v, generators=generators) for v in value)
    if isinstance(value, dict):
        return {k: copy_value(v, generators=generators) for k, v in value.items()}
    return value


def same_value(a: Any, b: Any) -> bool:
    """Equal values and layout; NaN equals NaN (a NaN result is not an edit)."""
    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and a.dtype == b.dtype
            # equal values need no NaN mapping (the common answer, a third of the work); only
            # where they differ may NaNs in the same places still make them the same
            and (
                torch.equal(a, b.detach())
                or torch.equal(torch.nan_to_num(a), torch.nan_to_num(b.detach()))
            )
        )
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b) or a is b
    except Exception:  # noqa: BLE001 - an object without a usable ==
        return a is b


@factory("quadratic_descent")
def _quadratic_descent(
    a: torch.Tensor, c: torch.Tensor, scale: float, shape: list, kwargs_per_step: list
):
    """Feeds an optimizer step ``(param, grad, state, **kwargs) -> (param, state)`` with the
    gradient ``(a @ p - c) * scale`` of 0.5 p.a.p - c.p at its own last parameters; ``start``
    is ``(p0, state0)``."""

    def advance(k: int, previous):
        p, state = previous
        g = ((a @ p.reshape(-1) - c) * scale).reshape(tuple(shape))
        return (p, g, state), kwargs_per_step[k]

    return advance


@factory("shared_generator")
def _shared_generator(args: list, kwargs: dict, seed: int, device: str):
    """Feeds every call ``(*args, generator, **kwargs)`` with one generator, seeded once where
    the chain runs: successive epochs of a shuffle, drawn without moving generator states."""
    generator = torch.Generator(device=device).manual_seed(seed)

    def advance(k: int, previous):
        return (*args, generator), dict(kwargs)

    return advance


class _GeneratorCalls:
    """Feeds call k ``(*args, generator=g_k, **kwargs)``, ``g_k`` a generator seeded ``seeds[k]``
    or, where ``seeds[k]`` is None, the generator of the call before (its state moved by that
    call), and watches the global generators: :meth:`moved` tells, after a call, whether it
    changed torch's CPU, NumPy's or Python's global random state (a reseed, or a draw that
    should have come from the generator given)."""

    def __init__(self, args: list, kwargs: dict, seeds: list, device: str):
        self.args, self.kwargs, self.seeds, self.device = args, kwargs, seeds, device
        self.generator: torch.Generator | None = None
        self.before: Any = None

    def __call__(self, k: int, previous: Any):
        if self.seeds[k] is not None or self.generator is None:
            self.generator = torch.Generator(device=self.device).manual_seed(int(self.seeds[k]))
        self.before = _global_states()
        return list(self.args), {**self.kwargs, "generator": self.generator}

    def moved(self) -> bool:
        return _global_states() != self.before


def _global_states() -> tuple:
    """torch's CPU, NumPy's and Python's global random states, comparable with ==."""
    numpy = sys.modules.get("numpy")
    state = numpy.random.get_state() if numpy is not None else None
    return (
        bytes(torch.get_rng_state().numpy()),
        None if state is None else (state[0], state[1].tobytes(), *state[2:]),
        random.getstate(),
    )


@factory("generator_calls")
def _generator_calls(args: list, kwargs: dict, seeds: list, device: str):
    return _GeneratorCalls(args, kwargs, seeds, device)


class _WatchedCalls:
    """Feeds every call ``(*args, **kwargs)`` and watches the global generators as
    :class:`_GeneratorCalls` does: a function told not to touch them (the capstone) that
    reseeds one, or draws from one, is seen where it runs. Each generator first draws once, so
    that a reseed is seen even when an earlier call left the state that seed gives."""

    def __init__(self, args: list, kwargs: dict):
        self.args, self.kwargs = args, kwargs
        self.before: Any = None

    def __call__(self, k: int, previous: Any):
        torch.rand(1)
        random.random()
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.random()
        self.before = _global_states()
        return list(self.args), dict(self.kwargs)

    def moved(self) -> bool:
        return _global_states() != self.before


@factory("watched_calls")
def _watched_calls(args: list, kwargs: dict):
    return _WatchedCalls(args, kwargs)


@factory("fed_state")
def _fed_state(heads: list, start: Any, kwargs: dict):
    """Feeds call k ``(*heads[k], state, **kwargs)``, ``state`` being ``start`` for the first
    call and then the state the previous call returned with its value, ``(value, state)``: a
    scheduler given one metric per epoch. The previous result is unpacked as a loop would, so a
    result that is not a pair fails the same way."""

    def advance(k: int, previous):
        if k == 0:
            state = start
        else:
            _, state = previous
        return (*heads[k], state), dict(kwargs)

    return advance
