"""A student's test file beside one implementation, which it reaches only as opaque callables.

This module runs where the student's tests run: in a confined worker when they are graded
(:mod:`descent.testwriting.runner` sends it the file and calls :func:`load` and :func:`run`), in
the student's own process in their public loop. It collects the file's tests as pytest would
(``test_*`` functions, ``Test*`` classes without ``__init__``, ``pytest.mark.parametrize``,
``skip`` and ``skipif``), hands each test an ``impl`` whose attributes are the exercise's
functions, and reports each outcome as plain data.

A call ``impl.mse_forward(pred, target)`` goes to ``serve(name, args, kwargs, rng)``, the trusted
side's :class:`descent.testwriting.dispatch.Dispatcher`, which runs the implementation on copies
of the arguments and answers with an *envelope* of plain data: the result (caches replaced by
tokens, which become :class:`Cache` objects here), the exception it raised (by type and message),
the arguments as the call left them where it edited them (copied back into the test's own objects
here, so an edit in place shows as it would in one process), and torch's global random state
after the call (the implementation draws from the test's own global state). Nothing of the
implementation's code, names or objects reaches this side.

Every test starts from the same global state: torch's, NumPy's and Python's random states
seeded with 0, and their settings a test can change (default dtype, print options, grad mode,
NumPy's error handling, decimal's context) at their defaults, torch's threads as the grading
runs them; a test file gives the same
outcomes on every run, whatever ran before it.
"""

from __future__ import annotations

import inspect
import itertools
import random
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy
import torch

MODULE = "written_tests"
FIXTURE = "impl"
CACHE_KEY = "descent:cache"  # {CACHE_KEY: token}: a cache as it crosses (see dispatch.py)
MAX_TEXT = 300
MAX_CASES = 500
# Exceptions an implementation raised come back as these types (a subclass of each, so that
# ``pytest.raises(ValueError)`` and ``except ValueError`` see them); any other as RuntimeError.
BUILTIN_ERRORS = {
    e.__name__: e
    for e in (
        ValueError,
        TypeError,
        RuntimeError,
        IndexError,
        KeyError,
        LookupError,
        ZeroDivisionError,
        OverflowError,
        FloatingPointError,
        ArithmeticError,
        AttributeError,
        AssertionError,
        NotImplementedError,
    )
}


class Cache:
    """A cache an implementation returned: opaque (correct versions lay theirs out differently),
    it can only be handed back to the backward."""

    __slots__ = ("_token",)

    def __init__(self, token: int):
        self._token = token

    def __repr__(self) -> str:
        return "<cache>"


class Implementation:
    """What a test's ``impl`` is: one attribute per function of the exercise, each an opaque
    callable that runs the implementation under test."""

    def __init__(self, call: Callable, names: list[str]):
        for name in names:
            setattr(self, name, _function(call, name))

    def __repr__(self) -> str:
        return "<the implementation under test>"


def _function(call: Callable, name: str) -> Callable:
    def function(*args, **kwargs):
        return call(name, args, kwargs)

    function.__name__ = function.__qualname__ = name
    function.__module__ = "impl"
    return function


_TAGGED: dict[type, type] = {}


def _raised(name: str, message: str) -> BaseException:
    """The exception an implementation raised, rebuilt here: a subclass of the builtin of that
    name, marked as the implementation's (not the test's own)."""
    base = BUILTIN_ERRORS.get(name, RuntimeError)
    if base not in _TAGGED:
        _TAGGED[base] = type(base.__name__, (base,), {"__module__": "impl", "from_impl": True})
    text = message if base is not RuntimeError or name == "RuntimeError" else f"{name}: {message}"
    return _TAGGED[base](text)


class Tape:
    """The calls one run of the file made to one implementation, as they were sent, with the
    envelopes that came back: kept by the run that records it (:meth:`keep`), answered from by
    a later run against the same implementation (:meth:`answer`).

    The implementation's answer to a call depends only on that call and the calls before it in
    the run. So while the later run makes the tape's calls in the tape's order, from the first
    on, each is answered from the tape without a round trip; from the first call that differs
    (or once the tape runs out), every call goes to the trusted side, which is told how many
    were answered here (``used``) and serves those again, unseen, before it answers. The tape
    holds nothing the worker was not sent: a test that reached it could only change its own
    second run, which a test that carries state between runs can shape anyway."""

    def __init__(self):
        self.calls: list[list] = []
        self.used = 0
        self.live = True
        self.nbytes = 0
        self.closed = False  # nothing more is kept: a call got no envelope, or a cap was met

    def keep(self, call: list, envelope: Any) -> None:
        """Keep a snapshot of a call (the test may change its tensors later) and its envelope
        (the test is handed what it holds), while the tape is open and within its caps."""
        self.nbytes += tally(call, _nbytes) + tally(envelope, _nbytes)
        self.closed = self.closed or (
            len(self.calls) >= MAX_TAPE_CALLS or self.nbytes > MAX_TAPE_BYTES
        )
        if not self.closed:
            self.calls.append([_snapshot(call, {}), _snapshot(envelope, {})])

    def answer(self, call: list) -> Any:
        """The kept envelope of ``call``, or None (and None from then on)."""
        if self.live and self.used < len(self.calls):
            kept, envelope = self.calls[self.used]
            if identical(call, kept):
                self.used += 1
                return envelope
        self.live = False
        return None


MAX_TAPE_CALLS = 1_000  # calls kept on one run's tape
MAX_TAPE_BYTES = 4 << 20  # bytes of tensors and arrays on one run's tape


class Caller:
    """Sends each call of ``impl`` to ``serve`` and turns its envelope into what the call
    returns, raises and edits; with ``tape``, records to it (``replay`` False) or answers
    from it (``replay`` True)."""

    def __init__(self, serve: Callable, tape: Tape | None = None, replay: bool = False):
        self.serve = serve
        self.tape, self.replay = tape, replay
        self.caches: dict[int, Cache] = {}

    def __call__(self, name: str, args: tuple, kwargs: dict) -> Any:
        call = [name, _out(list(args)), _out(dict(kwargs)), torch.get_rng_state()]
        tape = self.tape
        if tape is None:
            envelope = self.serve(*call)
        elif self.replay:
            envelope = tape.answer(call)
            if envelope is None:
                envelope = self.serve(*call, tape.used)
        else:
            try:
                envelope = self.serve(*call)
            except BaseException:
                tape.closed = True  # the tape stays the calls before this one
                raise
            tape.keep(call, envelope)
        if type(envelope) is not dict or "rng" not in envelope:
            raise RuntimeError("the grader sent a malformed answer")
        edited = envelope.get("edited")
        if edited is not None:
            copy_back(list(args), self._in(edited[0]))
            copy_back(kwargs, self._in(edited[1]))
        torch.set_rng_state(envelope["rng"])
        if "raised" in envelope:
            raise _raised(str(envelope["raised"]), str(envelope.get("message", "")))
        return self._in(envelope.get("ok"))

    def _in(self, value: Any) -> Any:
        if type(value) is dict and len(value) == 1 and CACHE_KEY in value:
            token = value[CACHE_KEY]
            return self.caches.setdefault(token, Cache(token))
        if type(value) in (list, tuple):
            return type(value)(self._in(v) for v in value)
        if type(value) is dict:
            return {k: self._in(v) for k, v in value.items()}
        return value


def _out(value: Any) -> Any:
    if type(value) is Cache:
        return {CACHE_KEY: value._token}
    if type(value) in (list, tuple):
        return type(value)(_out(v) for v in value)
    if type(value) is dict:
        return {k: _out(v) for k, v in value.items()}
    return value


def identical(a: Any, b: Any) -> bool:
    """Whether two call values reach the trusted side as the same data: the same container and
    scalar types, numbers equal bit for bit (NaNs alike), tensors and arrays of one dtype, shape,
    device and bytes, generators in one state. Any other kind of value is never identical (its
    call goes to the trusted side, which answers it as always)."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in (list, tuple):
        return len(a) == len(b) and all(map(identical, a, b))
    if kind is dict:
        return identical(list(a.items()), list(b.items()))
    if kind is torch.Tensor:
        return _same_tensor(a, b)
    if kind is float:
        return a.hex() == b.hex() or (a != a and b != b)
    if kind is complex:
        return identical(a.real, b.real) and identical(a.imag, b.imag)
    if kind in (int, str, bool, type(None), torch.dtype, torch.device, torch.Size):
        return bool(a == b)
    if kind is torch.Generator:
        return a.device == b.device and torch.equal(a.get_state(), b.get_state())
    if kind is numpy.ndarray or isinstance(a, numpy.generic):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return False


def _same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    meta = (a.dtype, a.shape, a.device, a.requires_grad, a.layout)
    if meta != (b.dtype, b.shape, b.device, b.requires_grad, b.layout):
        return False
    return a.layout == torch.strided and torch.equal(_raw(a), _raw(b))


def _raw(t: torch.Tensor) -> torch.Tensor:
    """The tensor's bytes as a flat uint8 tensor (-0.0 differs from 0.0, a NaN equals itself)."""
    return t.detach().resolve_conj().resolve_neg().contiguous().reshape(-1).view(torch.uint8)


def _snapshot(value: Any, memo: dict[int, Any]) -> Any:
    """A copy of a call or an envelope as it is now: tensors (with ``requires_grad``), arrays
    and generators copied, the containers around them rebuilt, an object met twice copied once
    (as one decoded reply holds it)."""
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, torch.Tensor):
        copy: Any = value.detach().clone().requires_grad_(value.requires_grad)
    elif isinstance(value, numpy.ndarray):
        copy = value.copy()
    elif isinstance(value, torch.Generator):
        copy = torch.Generator(device=value.device)
        copy.set_state(value.get_state())
    elif type(value) in (list, tuple):
        copy = type(value)(_snapshot(v, memo) for v in value)
    elif type(value) is dict:
        copy = {k: _snapshot(v, memo) for k, v in value.items()}
    else:
        return value
    memo[id(value)] = copy
    return copy


def tally(value: Any, size: Callable[[Any], int], depth: int = 0) -> int:
    """The sum of ``size`` over what the lists, tuples and dicts of ``value`` hold (50 levels
    deep at most; deeper, a container counts as one item)."""
    if depth < 50 and type(value) in (list, tuple):
        return sum(tally(v, size, depth + 1) for v in value)
    if depth < 50 and type(value) is dict:
        return sum(tally(v, size, depth + 1) for v in value.values())
    return size(value)


def _nbytes(value: Any) -> int:
    """Bytes of a tensor or an array, 8 for any other item."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    return int(value.nbytes) if isinstance(value, numpy.ndarray) else 8


def copy_back(original: Any, edited: Any) -> None:
    """Make ``original`` (the test's own objects) hold what ``edited`` (the same arguments as the
    implementation left them) holds: tensor contents, container contents, generator states."""
    if isinstance(original, torch.Tensor) and isinstance(edited, torch.Tensor):
        with torch.no_grad():
            if original.shape == edited.shape and original.dtype == edited.dtype:
                original.copy_(edited)
            else:
                original.set_(edited.detach().clone())  # type: ignore[call-overload]
    elif isinstance(original, torch.Generator) and isinstance(edited, torch.Generator):
        original.set_state(edited.get_state())
    elif type(original) is list and type(edited) is list:
        for i, new in enumerate(edited[: len(original)]):
            _copy_item(original, i, new)
        original[len(edited) :] = []
        original.extend(edited[len(original) :])
    elif type(original) is dict and type(edited) is dict:
        for key in [k for k in original if k not in edited]:
            del original[key]
        for key, new in edited.items():
            _copy_item(original, key, new)
    elif type(original) is tuple and type(edited) is tuple:
        for old, new in zip(original, edited):
            copy_back(old, new)


def _copy_item(container, key, new) -> None:
    old = container[key] if not isinstance(container, dict) or key in container else None
    mutable = (torch.Tensor, torch.Generator, list, dict, tuple)
    if isinstance(old, mutable) and type(old) is type(new):
        copy_back(old, new)
    else:
        container[key] = new


# -- collecting ------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    function: Callable
    params: dict[str, Any] = field(default_factory=dict)
    cls: type | None = None
    skip: str | None = None
    takes_impl: bool = False  # the function has a parameter named FIXTURE (read once, here)


class Suite:
    """A student's test file, imported as a module of its own; ``cases`` by name, ``problems``
    (``{"test", "why"}``) for what cannot run, ``error`` when the file itself cannot."""

    def __init__(self, source: str, filename: str):
        self.filename = filename
        self.lines = source.splitlines()
        self.cases: dict[str, Case] = {}
        self.problems: list[dict[str, str]] = []
        self.error: str | None = None
        self.module = types.ModuleType(MODULE)
        self.module.__file__ = filename
        self.threads = torch.get_num_threads()
        try:
            _seed()
            exec(_compiled(source, filename), self.module.__dict__)
        except Exception as exc:  # noqa: BLE001 - whatever the file raises is reported
            self.error = f"importing it raised {self.describe(exc)}"
            return
        self._collect()

    def describe(self, exc: BaseException) -> str:
        line = self.line_of(exc)
        where = f" (line {line}: {self.lines[line - 1].strip()[:120]})" if line else ""
        return f"{type(exc).__name__}: {str(exc)[:MAX_TEXT]}{where}"

    def line_of(self, exc: BaseException) -> int | None:
        # the frames' own line numbers: no source is read (extract_tb would, for every frame)
        lines = [
            n
            for f, n in traceback.walk_tb(exc.__traceback__)
            if f.f_code.co_filename == self.filename
        ]
        if lines and lines[-1] and 0 < lines[-1] <= len(self.lines):
            return lines[-1]
        if isinstance(exc, SyntaxError) and exc.lineno and 0 < exc.lineno <= len(self.lines):
            return exc.lineno
        return None

    def _collect(self) -> None:
        for name, obj in list(vars(self.module).items()):
            if name.startswith("test") and inspect.isfunction(obj):
                self._expand(name, obj, None, _marks(obj))
            elif name.startswith("Test") and inspect.isclass(obj):
                if "__init__" in vars(obj):
                    self.problems.append(
                        {
                            "test": name,
                            "why": "a test class may not define "
                            "__init__ (pytest does not collect it either)",
                        }
                    )
                    continue
                for attr, fn in vars(obj).items():
                    if attr.startswith("test") and inspect.isfunction(fn):
                        self._expand(f"{name}::{attr}", fn, obj, _marks(obj) + _marks(fn))
            if len(self.cases) > MAX_CASES:
                self.error = f"more than {MAX_CASES} tests: keep the file small"
                return

    def _expand(self, name: str, fn: Callable, cls: type | None, marks: list) -> None:
        skip, problem, grids = None, None, []
        for mark in marks:
            kind = getattr(mark, "name", "")
            if kind == "parametrize":
                grid, problem = _grid(mark)
                grids.append(grid)
            elif kind == "skip":
                skip = str(mark.kwargs.get("reason", mark.args[0] if mark.args else "skipped"))
            elif kind == "skipif":
                problem, skip = _skipif(mark, skip)
            elif kind in ("xfail", "usefixtures"):
                problem = (
                    f"pytest.mark.{kind} is not supported here: a test either passes on "
                    "every correct version or it is wrong"
                )
            if problem:
                break
        parameters = list(inspect.signature(fn).parameters)
        wanted = parameters[1 if cls else 0 :]
        given = {FIXTURE} | {n for grid in grids for n in (grid[0][1] if grid else {})}
        unknown = [p for p in wanted if p not in given]
        if not problem and unknown:
            problem = (
                f"asks for {', '.join(unknown)}: the only fixture provided is `impl`; "
                "build inputs in the test or in a plain helper function"
            )
        if problem:
            self.problems.append({"test": name, "why": problem})
            return
        for combo in itertools.product(*grids) if grids else [()]:
            params: dict[str, Any] = {}
            for _, values in combo:
                params.update(values)
            label = "-".join(ident for ident, _ in combo)
            case_name = f"{name}[{label}]" if grids else name
            while case_name in self.cases:
                case_name += "'"
            self.cases[case_name] = Case(case_name, fn, params, cls, skip, FIXTURE in parameters)

    # -- running -----------------------------------------------------------------------------
    def run(self, name: str, call: Callable, functions: list[str]) -> dict[str, Any]:
        """Run one case with ``impl`` calling ``call``; its outcome as plain data."""
        case = self.cases[name]
        if case.skip is not None:
            return {"outcome": "skipped", "message": case.skip[:MAX_TEXT]}
        kwargs = dict(case.params)
        if case.takes_impl:
            kwargs[FIXTURE] = Implementation(call, functions)
        _seed()
        try:
            if case.cls is not None:
                case.function(case.cls(), **kwargs)
            else:
                case.function(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a failing test is an outcome
            return self._failed(exc)
        except BaseException as exc:
            if _outcome_of_pytest(exc) or isinstance(exc, SystemExit):
                return self._outcome_exception(exc)
            raise  # Ctrl-C, a time limit: not the test's outcome
        finally:
            torch.set_num_threads(self.threads)  # as the grading runs (a test may change it)
        return {"outcome": "passed"}

    def _failed(self, exc: Exception) -> dict[str, Any]:
        from_impl = bool(getattr(exc, "from_impl", False))
        if isinstance(exc, NotImplementedError) and not from_impl:
            return {"outcome": "not_written", "message": str(exc)[:MAX_TEXT]}
        line = self.line_of(exc)
        return {
            "outcome": "failed",
            "error": type(exc).__name__,
            "message": str(exc)[:MAX_TEXT],
            "line": line or 0,
            "source": self.lines[line - 1].strip()[:160] if line else "",
            "from_impl": from_impl,
        }

    def _outcome_exception(self, exc: BaseException) -> dict[str, Any]:
        if type(exc).__name__ == "Skipped":
            return {"outcome": "skipped", "message": str(exc)[:MAX_TEXT]}
        failed = self._failed(Exception(str(exc)))
        failed["error"] = type(exc).__name__
        return failed


_CODE: dict[tuple[str, str], types.CodeType] = {}


def _compiled(source: str, filename: str) -> types.CodeType:
    """The file compiled, once for its many imports (one per implementation and order): a code
    object is immutable, each import runs it in a namespace of its own."""
    key = (source, filename)
    if key not in _CODE:
        _CODE.clear()  # the file of one exercise at a time
        _CODE[key] = compile(source, filename, "exec")
    return _CODE[key]


def _outcome_of_pytest(exc: BaseException) -> bool:
    """pytest.skip, pytest.fail and the failure of pytest.raises (BaseExceptions of pytest)."""
    return any(c.__name__ == "OutcomeException" for c in type(exc).__mro__)


def _marks(obj: Any) -> list:
    marks = getattr(obj, "pytestmark", [])
    return list(marks) if isinstance(marks, list) else []


def _grid(mark) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """``[(id, {argname: value})]`` of one parametrize mark, or a problem."""
    if not mark.args:
        return [], "pytest.mark.parametrize needs argument names and values"
    names = mark.args[0]
    names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", [])
    ids = mark.kwargs.get("ids")
    grid = []
    for i, value in enumerate(values):
        given_id = None
        if type(value).__name__ == "ParameterSet":
            given_id, value = value.id, value.values
        elif len(names) == 1:
            value = (value,)
        value = tuple(value)
        if len(value) != len(names):
            return [], f"parametrize gives {len(value)} values for {len(names)} names"
        if isinstance(ids, (list, tuple)) and i < len(ids) and ids[i] is not None:
            given_id = str(ids[i])
        ident = given_id or "-".join(_ident(v, n, i) for v, n in zip(value, names))
        grid.append((ident, dict(zip(names, value))))
    return grid, None


def _ident(value: Any, name: str, index: int) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        return str(value)[:40]
    return f"{name}{index}"


def _skipif(mark, skip: str | None) -> tuple[str | None, str | None]:
    condition = mark.args[0] if mark.args else mark.kwargs.get("condition", False)
    if isinstance(condition, str):
        return "pytest.mark.skipif with a string condition is not supported here", skip
    reason = str(mark.kwargs.get("reason", "skipped"))
    return None, reason if condition else skip


def _seed() -> None:
    """Each test starts from the same global state, whatever ran before it (another test,
    another implementation's run of the file): seeded generators and torch's, NumPy's and
    Python's default settings, those a test can change and read back."""
    # the CPU generator's own seed: torch.manual_seed would also queue a seed for every lazy
    # device backend, each recording a stack trace (about 8 ms a call)
    torch.default_generator.manual_seed(0)
    random.setstate(_RANDOM_SEEDED)  # random.seed(0), in half the time
    torch.set_default_dtype(torch.float32)
    torch.set_printoptions(profile="default")
    torch.set_grad_enabled(True)
    numpy.random.seed(0)
    # NumPy's settings put back only where a test changed them: reading costs a tenth of setting
    if numpy.get_printoptions() != _NUMPY_DEFAULTS["print"]:
        numpy.set_printoptions(**_NUMPY_DEFAULTS["print"])
    if numpy.geterr() != _NUMPY_DEFAULTS["err"]:
        numpy.seterr(**_NUMPY_DEFAULTS["err"])
    decimal = sys.modules.get("decimal")
    if decimal is not None:
        decimal.setcontext(decimal.Context())


# NumPy's settings as they are before any test runs (read when this module is imported)
_NUMPY_DEFAULTS = {"print": numpy.get_printoptions(), "err": numpy.geterr()}
_RANDOM_SEEDED = random.Random(0).getstate()  # Python's generator as random.seed(0) leaves it


# -- in a worker: one suite per worker, loaded and run by the trusted side ---------------------------
_suite: Suite | None = None
_tapes: dict[int, Tape] = {}  # the tapes recorded by runs of the file loaded (see run_cases)


def load(source: str, filename: str) -> dict[str, Any]:
    """Import the student's file in this worker; its cases, problems and error, as data."""
    global _suite
    if _suite is None or (_suite.lines, _suite.filename) != (source.splitlines(), filename):
        _tapes.clear()  # another file: its runs' tapes are of no use
    _suite = Suite(source, filename)
    return {"cases": list(_suite.cases), "problems": _suite.problems, "error": _suite.error}


def run(name: str, serve: Callable, functions: list[str], caller: Caller | None = None) -> dict:
    """Run one case of the loaded suite, ``impl`` calling back to ``serve``."""
    if _suite is None or name not in _suite.cases:
        return {"outcome": "failed", "error": "LookupError", "message": f"no test {name}"}
    return _suite.run(name, caller or Caller(serve), list(functions))


def run_cases(
    names: list[str], serve: Callable, functions: list[str], tape: Any = None
) -> list[dict[str, Any]]:
    """:func:`run` for each of ``names`` in turn, answered in one reply: the outcomes in order.
    ``tape``: ``["record", k]`` keeps the calls of this run as tape ``k``; ``["replay", k]``
    answers from tape ``k`` what it can (see :class:`Tape`), once."""
    caller = None
    if type(tape) is list and len(tape) == 2 and type(tape[1]) is int:
        if tape[0] == "record":
            _tapes[tape[1]] = Tape()
            caller = Caller(serve, _tapes[tape[1]])
        elif tape[0] == "replay":
            caller = Caller(serve, _tapes.pop(tape[1], None) or Tape(), replay=True)
    outcomes = []
    for name in names[:MAX_CASES]:
        if caller is not None:  # one tape for the run, each case with caches of its own
            caller = Caller(serve, caller.tape, caller.replay)
        outcomes.append(run(str(name), serve, functions, caller))
    return outcomes


def left_out(case: str, skip: Any) -> bool:
    """Whether a run leaves ``case`` out. ``skip`` is ``[everything, bases, cases]``: the
    whole file refused, the test functions refused (``test_x`` for ``test_x[1-2]``), and the
    cases that ran out of time or crashed on an earlier implementation. The trusted side
    decides with this same rule (``runner.LeftOut``)."""
    everything, bases, cases = skip
    return bool(everything) or case.split("[", 1)[0] in bases or case in cases


def load_run(
    source: str, filename: str, skip: Any, serve: Callable, functions: list[str], tape: Any = None
) -> dict[str, Any]:
    """:func:`load`, then :func:`run_cases` for every case it found that ``skip`` keeps (see
    :func:`left_out`), in that order: one run of a file in one round trip."""
    loaded = load(source, filename)
    if loaded["error"] is not None:
        return {"load": loaded, "outcomes": []}
    cases = list(dict.fromkeys(loaded["cases"][:MAX_CASES]))  # as the trusted side reads them
    kept = [case for case in cases if not left_out(case, skip)]
    return {"load": loaded, "outcomes": run_cases(kept, serve, functions, tape) if kept else []}
