"""The changes of a parameter of an exercise function that :mod:`descent.diagnoses.parameter`
re-runs the reference with: each a :class:`Change`, ``wrap(fn)`` being the reference function
misreading the parameter, chosen from what a first recording run saw the functions receive
(:class:`Calls`: a parameter never passed cannot be ignored). The changes, most telling first:

- **ignored**: the parameter held at its signature's default whatever the call passes (``dim``
  always -1, ``nesterov`` always False, ``training`` always True): the argument is read nowhere;
- **another value**: a string parameter forced to another option, taken from the string
  constants of the function's own code and of the module functions it calls (``'sigmoid'`` for
  ``'tanh'``, ``'rel'`` for ``'abs'``), a flag forced to its other value, a number to 0 or 1 (a
  hyperparameter dropped, a factor fixed), a float in (0, 1) other than 0.5, passed or left at
  its default, read as its complement (``1 - alpha`` for ``alpha``);
- **wrong default**: for a parameter the call leaves out, another default: another option of a
  string, 0, or the default that a parameter of the same name has in another exercise function
  of the kit (``eps=1e-5`` as in layer norm where RMSNorm's is ``1e-6``);
- **another exercise's function**: the function of another one-function exercise of the module
  with the very same parameters called instead (``adamw_step`` for ``adam_step``: decoupled weight decay where
  L2 belongs), kind ``sibling``;
- **counter one off**: a function that takes and returns a state dict whose integer entry counts
  its calls (an optimizer's ``step``) run with that counter one behind or ahead where it is used
  (``t = 0`` on the first step), or a million ahead, where every ``beta**t`` is 0 (a bias
  correction left out). When the reference then divides by zero (``1 - beta**0``) and the
  student's result holds NaN or infinities, that counts as the same result;
- **state**: the dict passed on every call never read (empty each time: a running sum rebuilt
  from the current gradient), or the first call's empty dict replaced by the tensors of the
  state it returns filled with zeros or ones (buffers that start at a constant, such as a
  momentum buffer damped on the first step or an average started at ones);
- **eps under the root**: a float parameter no larger than 1e-3 added under every square root
  the function takes instead of after it (``torch.sqrt`` patched to ``sqrt(x + eps) - eps`` for
  the call, which is ``sqrt(x + eps)`` where the reference adds eps right after the root);
- **a square**: a positive float argument replaced by its square root (used where its square
  belongs) or its square (the reverse);
- **a reduction of another kind**: each full ``max()`` of a tensor taken as its ``mean()`` or
  ``sum()``, each ``mean()`` as ``max()`` (``torch.Tensor``'s and ``torch``'s, patched for the
  call only; reductions over a dimension are left alone).

Defaults are also tried one power of ten off (``0.9`` for ``0.99``, ``1e-7`` for ``1e-8``).

:func:`with_argument` is the one way a change replaces an argument; scenarios use it too.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from .. import registry
from ..calls.impl import Implementation
from .base import UNDER_ROOT

_OPTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,29}\Z")  # a string constant that can be an option

_EMPTY = inspect.Parameter.empty


@dataclass
class Calls:
    """What one exercise function received over a run of the recipe, by parameter name."""

    passed: dict[str, list[Any]] = field(default_factory=dict)  # values of the passed ones
    left_out: set[str] = field(default_factory=set)  # parameters some call left at the default
    keys: set[str] = field(default_factory=set)  # keys of every dict argument (state keys)
    calls: int = 0


@dataclass(frozen=True)
class Change:
    """One way a parameter may be misread: ``wrap(fn)`` is the reference function misreading it;
    ``name``/``value`` group fits of one parameter; ``text`` completes "your result is what the
    reference gives ..."."""

    function: str
    name: str
    value: Any
    text: str
    kind: str
    wrap: Callable[[Callable], Callable]
    # Control changes: when one of them fits too, this one explains nothing. The same change
    # with a value beyond it (2 for 1, -1 for 0: the rule saturates, as any threshold >= 1 stops
    # every improvement), and the value passed moved a hair toward this one (the input sits
    # exactly on an edge of the parameter, where a comparison strict for inclusive fits too).
    controls: tuple[Callable[[Callable], Callable], ...] = ()


def with_argument(
    fn: Callable, name: str, f: Callable[[Any], Any], *, defaults: bool = False
) -> Callable:
    """``fn`` with its argument ``name`` replaced by ``f(value)`` on every call where it is
    passed (with ``defaults``, also where it is left out: ``f`` of its default). The one way the
    re-runs change an argument."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def changed(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        if defaults:
            bound.apply_defaults()
        if name in bound.arguments:
            bound.arguments[name] = f(bound.arguments[name])
        return fn(*bound.args, **bound.kwargs)

    return changed


def _edge(name: str, value: Any, passed: list) -> tuple[Callable[[Callable], Callable], ...]:
    """The control for a number: each float passed moved a millionth of the way toward
    ``value`` (nothing for whole numbers and labels)."""
    if type(value) not in (int, float) or not all(type(v) is float for v in passed):
        return ()

    return (functools.partial(with_argument, name=name, f=lambda v: v + (value - v) * 1e-6),)


def _forced(
    name: str, value: Any, *, only_when_left_out: bool = False, only_for: tuple | None = None
):
    """A wrapper maker: ``fn`` with parameter ``name`` set to ``value`` (always, only when the
    call leaves it out: another default, or only when the call passes one of ``only_for``: an
    option taken for another in its own branch)."""

    def wrap(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def forced(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            if only_when_left_out and name in bound.arguments:
                return fn(*args, **kwargs)
            passed = bound.arguments.get(name)
            if only_for is not None and not (isinstance(passed, str) and passed in only_for):
                return fn(*args, **kwargs)
            bound.arguments[name] = value
            return fn(*bound.args, **bound.kwargs)

        return forced

    return wrap


def changes_of(
    function: str, fn: Callable, calls: Calls, reference: Implementation
) -> list[Change]:
    """Every change worth a re-run, most telling first: the argument ignored, then other values,
    then other defaults, then a counter one off."""
    ignored, others, defaults = [], [], []
    options = [s for s in _strings(fn) if s not in calls.keys and s not in _names(fn)]
    for name, parameter in inspect.signature(fn).parameters.items():
        passed = [v for v in calls.passed.get(name, []) if _scalar(v)]
        if len(passed) != len(calls.passed.get(name, [])):
            continue  # tensors, dicts, callables: not a setting
        default = parameter.default
        if (
            passed
            and default is not _EMPTY
            and _scalar(default)
            and any(v != default for v in passed)
        ):
            ignored.append(
                Change(
                    function,
                    name,
                    default,
                    f"with `{name}` at its default {default!r} whatever the call passes: the "
                    f"`{name}` passed makes no difference in your code (is it read, and does all "
                    "it should act on go through it?)",
                    "mode" if _mode_flag(name) else "argument",
                    _forced(name, default),
                    _edge(name, default, passed),
                )
            )
            ignored += _typed_in_changes(function, name, default, passed)
        for value in _other_values(name, passed, default, options):
            how = (
                f"somewhere `{name}` is left out (as 0 it drops a term, as 1 a factor), or "
                f"what it scales never reaches the result (computed, then stored elsewhere or "
                "not used)"
                if type(value) in (int, float)
                else "the value passed is taken for another one (a branch that tests the "
                "wrong value, or a case missing)"
            )
            # an option is mistaken for another in one branch: other options are left alone
            only = tuple(dict.fromkeys(passed)) if isinstance(value, str) else None
            where = (
                "where the call passes " + " or ".join(map(repr, only))
                if only
                else "whatever the call passes"
            )
            others.append(
                Change(
                    function,
                    name,
                    value,
                    f"with `{name}` = {{values}} {where}: {how}",
                    _forced_kind(name, value),
                    _forced(name, value, only_for=only),
                    (_forced(name, {0: -1, 1: 2}[value]),) + _edge(name, value, passed)
                    if type(value) is int
                    else (),
                )
            )
        others += _complement(function, name, passed, default, name in calls.left_out)
        if name in calls.left_out and default is not _EMPTY and _scalar(default):
            for value, where in _other_defaults(name, default, options, reference, function):
                defaults.append(
                    Change(
                        function,
                        name,
                        value,
                        f"when `{name}`, left out by the call, defaults to {{values}} instead of "
                        f"{default!r}{where}: check the default in the signature",
                        _forced_kind(name, value),
                        _forced(name, value, only_when_left_out=True),
                    )
                )
    state = list(_state_changes(function, calls)) + list(_rooted(function, fn, calls))
    counters = list(_counter_changes(function, calls))
    tail = list(_squares(function, calls)) + list(_reductions(function, calls))
    return ignored + state + others + defaults + counters + tail


_MODE_FLAGS = ("training", "train", "is_training", "eval", "evaluation")


def _mode_flag(name: str) -> bool:
    """A parameter that says which mode the function runs in (training or evaluation)."""
    return name in _MODE_FLAGS


def _forced_kind(name: str, value: Any) -> str:
    """The kind of a parameter forced to ``value``: a mode flag taken the other way is a
    statistic of the wrong mode, an eps at 0 is an eps left out, anything else an argument."""
    if _mode_flag(name):
        return "mode"
    if "eps" in name.lower() and value == 0:
        return "eps"
    return "argument"


def _complement(
    function: str, name: str, passed: list, default: Any, left_out: bool
) -> list[Change]:
    """The parameter read as its complement ``1 - value`` (passed or defaulted) when every value
    it takes is a float strictly between 0 and 1 other than 0.5 (a weight, a probability)."""
    values = passed + ([default] if left_out and default is not _EMPTY else [])
    if not values or not all(type(v) is float and 0 < v < 1 and v != 0.5 for v in values):
        return []
    return [
        Change(
            function,
            f"{name} complement",
            "1 - value",
            f"with `{name}` read as 1 - `{name}` (as passed, or as its default): `{name}` is "
            "confused with its complement where it enters (the weight of one class or branch "
            "given to the other, the probability of keeping for that of dropping)",
            "argument",
            _complemented(name),
        )
    ]


def _complemented(name: str) -> Callable[[Callable], Callable]:
    return functools.partial(with_argument, name=name, f=lambda v: 1 - v, defaults=True)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _other_values(name: str, passed: list, default: Any, options: list[str]) -> Iterator[Any]:
    """Values the parameter may be read as, whatever is passed: another option of a string, the
    other value of a flag, 0 or 1 for a number (a term dropped, a factor fixed)."""
    if not passed:
        return
    if all(isinstance(v, str) for v in passed):
        candidates: list[Any] = options
    elif all(isinstance(v, bool) for v in passed):
        candidates = [False, True]
    elif all(type(v) is float and math.isfinite(v) for v in passed):
        candidates = [0, 1]  # (whole numbers are counts: 0 or 1 for them is an off-by-one)
    else:
        return
    for value in candidates:
        same_kind = type(value) is bool or not any(type(v) is bool for v in passed)
        if same_kind and value != default and any(v != value for v in passed):
            yield value


def _other_defaults(
    name: str, default: Any, options: list[str], reference: Implementation, function: str
) -> Iterator[tuple[Any, str]]:
    """Other defaults for a left-out parameter: another option of a string default; else 0 and
    the defaults of parameters of the same name elsewhere in the kit (with where they are)."""
    if isinstance(default, str):
        yield from ((s, "") for s in options if s != default)
        return
    if isinstance(default, bool):
        yield not default, ""
        return
    seen = {default}
    for value, where in [(0, "")] + _kit_defaults(reference).get(name, []):
        if where.endswith(f".{function}"):
            continue
        if value not in seen and type(value) in (int, float):
            seen.add(value)
            yield value, (f" (the default of `{name}` in {where})" if where else "")
    for value in _decades(default):
        if value not in seen:
            seen.add(value)
            yield value, " (one power of ten off)"
    for value in _typed_in(name, default):
        if value not in seen:
            seen.add(value)
            yield value, f" (a constant typed in where `{name}` belongs?)"


def _typed_in_changes(function: str, name: str, default: Any, passed: list) -> list[Change]:
    """``name`` ignored for a constant of another convention typed in its place."""
    return [
        Change(
            function,
            name,
            value,
            f"with `{name}` = {{values}} whatever the call passes: the `{name}` passed makes no "
            f"difference in your code, which uses the constant {{values}} where `{name}` belongs",
            "argument",
            _forced(name, value),
            _edge(name, value, passed),
        )
        for value in _typed_in(name, default)
    ]


# The small constants courses and textbooks type in for a stability term (1e-7 in a textbook's
# AdaGrad and RMSProp, 1e-8 in Adam's paper, 1e-5 in batch norm's).
_EPSILONS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)  # smaller ones read as eps left out


def _typed_in(name: str, default: Any) -> list[float]:
    """The constants a student may have typed in place of parameter ``name``: its default one
    power of ten off, and for an ``eps`` the usual stability constants."""
    found = _decades(default)
    if name.lower().startswith("eps") and type(default) is float:  # (not `steps`)
        found += [e for e in _EPSILONS if e != default and e not in found]
    return found


def _decades(default: Any) -> list[float]:
    """The defaults one power of ten from ``default`` when it is one (``1e-8``: ``1e-7``,
    ``1e-9``) or one short of 1 by one (``0.99``: ``0.9``, ``0.999``): the other conventions
    of such constants (Keras' rho 0.9 for RMSProp's 0.99). Nothing for any other number."""
    if type(default) is not float or not 0 < default < 1:
        return []
    forms: tuple[tuple[float, Callable[[int], float]], ...] = (
        (math.log10(default), lambda i: 10.0**i),
        (math.log10(1 - default), lambda i: 1 - 10.0**i),
    )
    for power, value in forms:
        j = round(power)
        if abs(power - j) < 1e-9:
            return [value(i) for i in (j + 1, j - 1) if i < 0]
    return []


@functools.lru_cache(maxsize=4)
def _kit_defaults(reference: Implementation) -> dict[str, list[tuple[Any, str]]]:
    """``name -> [(default, 'module.function'), ...]`` over every exercise function of the kit."""
    found: dict[str, list[tuple[Any, str]]] = {}
    for ex in registry.EXERCISES.values():
        for function in ex.functions:
            try:
                fn = getattr(reference.module(ex.module), function)
                parameters = inspect.signature(fn).parameters.values()
            except Exception:  # noqa: BLE001 - a class or a module that will not load: no defaults
                continue
            for p in parameters:
                if isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
                    found.setdefault(p.name, []).append((p.default, f"{ex.module}.{function}"))
    return found


def _strings(fn: Callable, depth: int = 2) -> list[str]:
    """The identifier-like string constants of ``fn``'s code and of the functions of its own
    module that it calls (``depth`` levels), in order, once each."""
    found: list[str] = []
    for value in _constants(fn.__code__):
        if isinstance(value, str) and _OPTION.match(value) and value not in found:
            found.append(value)
    if depth > 0:
        for called in fn.__code__.co_names:
            other = fn.__globals__.get(called)
            if inspect.isfunction(other) and other.__module__ == fn.__module__:
                found += [s for s in _strings(other, depth - 1) if s not in found]
    return found


def _constants(code: types.CodeType) -> Iterator[Any]:
    for value in code.co_consts:
        if isinstance(value, types.CodeType):
            yield from _constants(value)
        elif isinstance(value, (tuple, frozenset)):
            yield from value
        else:
            yield value


def _names(fn: Callable) -> set[str]:
    return set(inspect.signature(fn).parameters)


def siblings_of(
    function: str, fn: Callable, calls: Calls, reference: Implementation, exercise: str
) -> Iterator[Change]:
    """The function of another one-function exercise of the module that takes the very same
    parameters (``adamw_step`` for ``adam_step``, ``l1_penalty`` for ``l2_penalty``), called
    instead. Not for the halves of a forward/backward pair: a backward reads its own forward's
    cache, so swapping one half gives values no student's code computes."""
    if not calls.calls or len(registry.get(exercise).functions) != 1:
        return
    module, names = registry.get(exercise).module, list(inspect.signature(fn).parameters)
    for other in registry.EXERCISES.values():
        if other.module != module or other.id == exercise or len(other.functions) != 1:
            continue
        for name in other.functions:
            try:
                sibling = getattr(reference.module(module), name)
                same = (
                    inspect.isfunction(sibling)
                    and list(inspect.signature(sibling).parameters) == names
                )
            except Exception:  # noqa: BLE001 - missing or not a function: not a sibling
                continue
            if same:
                yield Change(
                    function,
                    f"sibling {name}",
                    name,
                    f"when `{function}` is replaced by `{name}` (another exercise's function, with "
                    f"the same arguments): your `{function}` computes {name}'s formula, so compare "
                    "the two docstrings",
                    "sibling",
                    functools.partial(_instead, sibling),
                )


def _instead(sibling: Callable, fn: Callable) -> Callable:
    """``sibling`` called with what ``fn`` would get, its own defaults included (the student
    wrote the sibling's formula under this function's signature)."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def instead(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return sibling(*bound.args, **bound.kwargs)

    return instead


def _counter_changes(function: str, calls: Calls) -> Iterator[Change]:
    """The call counter of a function that takes a state dict, one behind or one ahead where it
    is used, or so large that every power ``beta**t`` of it is 0 (the returned count left
    right)."""
    if not calls.keys and not any(isinstance(v, dict) for vs in calls.passed.values() for v in vs):
        return
    count = "count this call before using the counter (t = 1 on the first call)"
    for shift, text, kind in (
        (-1, f"one behind (t = 0 on the first call) where it is used: {count}", "step"),
        (1, f"one ahead (t = 2 on the first call) where it is used: {count}", "step"),
        (
            _HUGE,
            "so large where it is used that beta**t is 0: what the count corrects for is left "
            "out (a bias correction 1 - beta**t, which matters most in the first steps)",
            "term",
        ),
    ):
        yield Change(
            function,
            f"counter{shift:+d}",
            shift,
            "with its step counter " + text,
            kind,
            functools.partial(_shifted, shift=shift),
        )


def _state_changes(function: str, calls: Calls) -> Iterator[Change]:
    """For a function passed a dict on every call (an optimizer's state): that dict never read
    (empty on every call, as on the first), and the first call's empty dict replaced by the
    tensors of the state it returns filled with zeros or ones (buffers that start at a constant
    and take the first update like any later one, where the reference starts them otherwise)."""
    names = [n for n, vs in calls.passed.items() if vs and all(isinstance(v, dict) for v in vs)]
    if len(names) != 1:
        return
    name = names[0]
    yield Change(
        function,
        f"{name} ignored",
        {},
        f"with `{name}` empty on every call, as on the first: the `{name}` passed in is never "
        "read, so nothing is carried from one call to the next (a running sum or buffer "
        "rebuilt from the current values alone)",
        "argument",
        functools.partial(with_argument, name=name, f=lambda _: {}, defaults=True),
    )
    for fill in (0.0, 1.0):
        yield Change(
            function,
            f"{name} start",
            fill,
            f"when the first call's empty `{name}` holds its tensors filled with {{values}}: "
            "your buffers start at {values} and the first call updates them like any later one, "
            "where the reference starts them otherwise (check how the docstring says each "
            "buffer starts)",
            "argument",
            functools.partial(_prefilled, name=name, fill=fill),
        )


def _squares(function: str, calls: Calls) -> Iterator[Change]:
    """For a float parameter passed positive values other than 1: its square root in its place
    (the code uses it where its square belongs) and its square (the reverse); not when the value
    moved a millionth of the way there fits too (an input on the edge of the value passed)."""
    for name, values in calls.passed.items():
        if not values or not all(type(v) is float and 0 < v != 1 for v in values):
            continue
        # a stability term's square is so small that a constant of the code's own (machine
        # epsilon, 2.2e-16, for an eps of 1e-8) gives the same results: both are said
        tiny = all(v <= 1e-3 for v in values)
        too_many = (
            f"the `{name}` passed barely counts: your code squares it, or uses a far smaller "
            f"constant of its own (such as machine epsilon, about 2.2e-16) where `{name}` belongs"
            if tiny
            else f"your code uses `{name}` where the value itself belongs (a square too many)"
        )
        for how, f, text in (
            (
                "square root",
                math.sqrt,
                f"your code uses `{name}` where its square belongs (a square left out)",
            ),
            ("square", lambda v: v * v, too_many),
        ):
            yield Change(
                function,
                f"{name} {how}",
                how,
                f"with `{name}` replaced by its {how} whatever the call passes: {text}",
                "argument",
                functools.partial(with_argument, name=name, f=f),
                # the value moved a millionth of the way: an input on the edge of the value
                (functools.partial(with_argument, name=name, f=functools.partial(_nudged, f=f)),),
            )


_REDUCTIONS = (("max", "mean"), ("max", "sum"), ("mean", "max"))


def _reductions(function: str, calls: Calls) -> Iterator[Change]:
    """Each full reduction of one kind the function takes (``x.max()``, ``torch.max(x)``: no
    dimension) taken as another (the mean of the entries where their largest belongs)."""
    if not calls.calls:
        return
    for source, target in _REDUCTIONS:
        yield Change(
            function,
            f"{source} as {target}",
            target,
            f"with each full {source}() of a tensor taken as its {target}(): a reduction of "
            f"another kind (the {target} of the entries where their {source} belongs)",
            "reduction",
            functools.partial(_reduced, source=source, target=target),
        )


def _reduced(fn: Callable, source: str, target: str) -> Callable:
    @functools.wraps(fn)
    def reduced(*args, **kwargs):
        method, function = getattr(torch.Tensor, source), getattr(torch, source)
        other = getattr(torch.Tensor, target)

        def swap(original: Callable) -> Callable:
            def either(x, *rest, **options):
                if rest or options or not isinstance(x, torch.Tensor):
                    return original(x, *rest, **options)
                return other(x)

            return either

        setattr(torch.Tensor, source, swap(method))
        setattr(torch, source, swap(function))
        try:
            return fn(*args, **kwargs)
        finally:
            setattr(torch.Tensor, source, method)
            setattr(torch, source, function)

    return reduced


def _nudged(value: float, f: Callable[[float], float]) -> float:
    return value + (f(value) - value) * 1e-6


_SMALL = 1e-3  # a float parameter no larger than this is an additive safeguard (an eps)


def _rooted(function: str, fn: Callable, calls: Calls) -> Iterator[Change]:
    """For a small positive float parameter (an eps, passed or left at its default): the same
    value added under every square root the function takes instead of after it, that is each
    ``torch.sqrt(x)`` computed as ``sqrt(x + eps) - eps`` (where the reference adds eps right
    after the root, the two are the same as ``sqrt(x + eps)``)."""
    for name, parameter in inspect.signature(fn).parameters.items():
        values = [v for v in calls.passed.get(name, []) if type(v) is float]
        if name in calls.left_out and type(parameter.default) is float:
            values.append(parameter.default)
        if values and all(0 < v <= _SMALL for v in values):
            yield Change(
                function,
                f"{name} under the root",
                name,
                f"with `{name}` {UNDER_ROOT} (sqrt(x + "
                f"{name}) where sqrt(x) + {name} belongs): add `{name}` once the root is taken",
                "eps",
                functools.partial(_under_root, name=name),
            )


def _under_root(fn: Callable, name: str) -> Callable:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def under_root(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        eps, sqrt, method = bound.arguments[name], torch.sqrt, torch.Tensor.sqrt

        def moved(x, *rest, **options):
            return sqrt(x + eps, *rest, **options) - eps

        torch.sqrt, torch.Tensor.sqrt = moved, moved
        try:
            return fn(*args, **kwargs)
        finally:
            torch.sqrt, torch.Tensor.sqrt = sqrt, method

    return under_root


def _prefilled(fn: Callable, name: str, fill: float) -> Callable:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def prefilled(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        result = fn(*args, **kwargs)
        if bound.arguments.get(name) != {}:
            return result
        filled = {
            k: torch.full_like(v, fill)
            for k, v in _state_of(result).items()
            if isinstance(v, torch.Tensor) and v.is_floating_point()
        }
        if not filled:
            return result
        bound.arguments[name] = filled
        return fn(*bound.args, **bound.kwargs)

    return prefilled


_HUGE = 10**6  # 0.999**(10**6) underflows to 0: every bias correction 1 - beta**t is 1


def _shifted(fn: Callable, shift: int) -> Callable:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def shifted(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        states = [n for n, v in bound.arguments.items() if isinstance(v, dict)]
        result = fn(*args, **kwargs)
        if len(states) != 1:
            return result
        state = bound.arguments[states[0]]
        counters = {
            k: state.get(k, 0)
            for k, v in _state_of(result).items()
            if type(v) is int and v == state.get(k, 0) + 1
        }
        if not counters:
            return result
        bound.arguments[states[0]] = {**state, **{k: v + shift for k, v in counters.items()}}
        result = fn(*bound.args, **bound.kwargs)
        fixed = {**_state_of(result), **{k: v + 1 for k, v in counters.items()}}
        return type(result)(fixed if isinstance(r, dict) else r for r in result)

    return shifted


def _state_of(result: Any) -> dict:
    """The one dict in a tuple or list result (``(param, state)``), else ``{}``."""
    if isinstance(result, (tuple, list)):
        dicts = [r for r in result if isinstance(r, dict)]
        if len(dicts) == 1:
            return dicts[0]
    return {}
