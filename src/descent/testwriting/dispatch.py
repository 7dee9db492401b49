"""The trusted side of a student's tests: one implementation's functions, served call by call.

A :class:`Dispatcher` answers the calls a test makes through ``impl`` (``serve``, called
back from the worker, or directly in the student's own process) with an *envelope* of plain data
(:mod:`descent.testwriting.harness` reads it): ``ok`` (the result) or ``raised`` and
``message`` (the builtin exception type it raised, and its message), ``edited`` (the arguments as
the call left them, only when it changed one) and ``rng`` (torch's global random state after the
call, which started from the test's own).

The implementation never sees the test's objects, nor the test the implementation's: arguments
are copied before the call; a cache (the forward result a backward is given back) and any other
object that is not data stay here and cross as a token. Calls are capped (a test that sends a
huge tensor or calls in a loop without end is stopped with an error, not served).

A worker may answer a run's calls from the tape of an earlier run against the same
implementation (:class:`descent.testwriting.harness.Tape`). The first call it sends then says how
many it answered itself; a dispatcher given that earlier run's calls (``replay``, what its own
``calls_seen`` kept) serves those again first, unseen, so that it answers in the state the run
has reached (its tokens and its count of calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..calls.callables import copy_value, same_value
from .harness import BUILTIN_ERRORS, CACHE_KEY, MAX_TAPE_CALLS, MAX_TEXT, tally

MAX_NUMBERS = 1 << 22  # numbers in one call's arguments
MAX_CALLS = 20_000  # calls in one run of a test file
_DATA = (type(None), bool, int, float, complex, str, torch.dtype, torch.device, torch.Size)


class Dispatcher:
    """Serves the calls of one run of a test file against one implementation.

    ``functions``: name -> the implementation's function; ``caches``: function name -> the
    position of its result that is a cache (always a token, whatever it holds)."""

    def __init__(
        self,
        functions: dict[str, Callable],
        caches: dict[str, int] | None = None,
        *,
        replay: list[tuple] | None = None,
    ):
        self.functions = functions
        self.caches = dict(caches or {})
        self.kept: dict[int, Any] = {}  # token -> the object it stands for
        self.tokens: dict[int, int] = {}  # id(object) -> its token
        self.calls = 0
        # the first calls served, as they came (as many as a tape holds): a later run's
        # dispatcher may serve them again (arguments arrive decoded, and the implementation
        # only ever works on copies)
        self.calls_seen: list[tuple] = []
        self.replay = replay or []

    def serve(
        self, name: Any, args: Any, kwargs: Any, rng: Any, replayed: Any = 0
    ) -> dict[str, Any]:
        """The envelope of one call. ``replayed``: how many calls of ``replay`` the worker
        answered from its tape before this one (a count only; none is served twice)."""
        if type(replayed) is int and self.calls < replayed:
            # no more than a tape holds: a worker that claims more gets no extra work done here
            for call in self.replay[self.calls : min(replayed, MAX_TAPE_CALLS)]:
                self._answer(*call)
        return self._answer(name, args, kwargs, rng)

    def _answer(self, name: Any, args: Any, kwargs: Any, rng: Any) -> dict[str, Any]:
        if len(self.calls_seen) < MAX_TAPE_CALLS:
            self.calls_seen.append((name, args, kwargs, rng))
        refusal = self._refusal(name, args, kwargs, rng)
        if refusal is not None:
            return {"raised": "RuntimeError", "message": refusal, "rng": rng}
        # the implementation works on copies, here as in a worker (whose arguments are decoded);
        # what it was given stays as it came, to tell whether it edited its arguments
        given = (self._unwire(args), self._unwire(kwargs))
        args, kwargs = copy_value(given, generators=True)
        saved = torch.get_rng_state()
        torch.set_rng_state(rng)
        try:
            result = self.functions[name](*args, **kwargs)
            envelope = {"ok": self._result(name, result)}
        except Exception as exc:  # noqa: BLE001 - what the implementation raised is its answer
            kind = next(
                (c.__name__ for c in type(exc).__mro__ if c.__name__ in BUILTIN_ERRORS),
                type(exc).__name__,
            )
            envelope = {"raised": kind, "message": str(exc)[:MAX_TEXT]}
        finally:
            envelope_rng = torch.get_rng_state()
            torch.set_rng_state(saved)
        envelope["rng"] = envelope_rng
        if not _same(given, (args, kwargs)):
            envelope["edited"] = [self._wire(args), self._wire(kwargs)]
        return envelope

    def _refusal(self, name: Any, args: Any, kwargs: Any, rng: Any) -> str | None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            return f"more than {MAX_CALLS} calls in one run of the tests: keep tests small"
        if type(name) is not str or name not in self.functions:
            return f"impl has no function {str(name)[:60]!r}"
        if type(args) is not list or type(kwargs) is not dict:
            return "malformed call"
        if not (type(rng) is torch.Tensor and rng.dtype == torch.uint8 and rng.dim() == 1):
            return "malformed random state"
        odd = _not_data((args, kwargs))
        if odd is not None:
            return (
                f"impl takes data only (tensors, numbers, strings, generators, and lists, "
                f"tuples and dicts of them, caches it returned): got a {odd}"
            )
        numbers = tally((args, kwargs), _numbers)
        if numbers > MAX_NUMBERS:
            return (
                f"the arguments hold {numbers} numbers; a test may pass at most "
                f"{MAX_NUMBERS} in one call"
            )
        return None

    def _result(self, name: str, result: Any) -> Any:
        at = self.caches.get(name)
        if at is not None and type(result) in (tuple, list) and len(result) > at:
            items = list(result)
            items[at] = self._token(items[at])
            result = type(result)(items)
        return self._wire(result)

    def _token(self, obj: Any) -> dict[str, int]:
        token = self.tokens.get(id(obj))
        if token is None:
            token = len(self.kept) + 1
            self.kept[token], self.tokens[id(obj)] = obj, token
        return {CACHE_KEY: token}

    def _wire(self, value: Any) -> Any:
        """``value`` as plain data: objects that are not data (and caches) become tokens."""
        if id(value) in self.tokens:
            return {CACHE_KEY: self.tokens[id(value)]}
        if type(value) in _DATA or isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
            return value
        if isinstance(value, torch.Generator):
            return value
        if type(value) in (list, tuple):
            return type(value)(self._wire(v) for v in value)
        if type(value) is dict and all(type(k) in (str, int) for k in value):
            return {k: self._wire(v) for k, v in value.items()}
        return self._token(value)

    def _unwire(self, value: Any) -> Any:
        if type(value) is dict and len(value) == 1 and CACHE_KEY in value:
            return self.kept.get(value[CACHE_KEY], value)
        if type(value) in (list, tuple):
            return type(value)(self._unwire(v) for v in value)
        if type(value) is dict:
            return {k: self._unwire(v) for k, v in value.items()}
        return value


def _numbers(value: Any) -> int:
    """Numbers in a tensor or an array, 1 for any other item."""
    if isinstance(value, torch.Tensor):
        return value.numel()
    return int(value.size) if isinstance(value, np.ndarray) else 1


def _not_data(value: Any, depth: int = 0) -> str | None:
    """The type name of the first part of ``value`` that is not data, or None."""
    if type(value) in _DATA or isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
        return None
    if isinstance(value, torch.Generator):
        return None
    if depth < 50 and type(value) in (list, tuple):
        return next((t for v in value if (t := _not_data(v, depth + 1))), None)
    if depth < 50 and type(value) is dict:
        if len(value) == 1 and type(value.get(CACHE_KEY)) is int:
            return None
        return next((t for v in value.values() if (t := _not_data(v, depth + 1))), None)
    return type(value).__name__


def _same(a: Any, b: Any) -> bool:
    """:func:`same_value`, with generators compared by their states."""
    if isinstance(a, torch.Generator):
        return isinstance(b, torch.Generator) and torch.equal(a.get_state(), b.get_state())
    if type(a) in (list, tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if type(a) is dict:
        return type(b) is dict and set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    return same_value(a, b)
