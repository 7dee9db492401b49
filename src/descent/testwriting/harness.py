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


class Caller:
    """Sends each call of ``impl`` to ``serve`` and turns its envelope into what the call
    returns, raises and edits."""

    def __init__(self, serve: Callable):
        self.serve = serve
        self.caches: dict[int, Cache] = {}

    def __call__(self, name: str, args: tuple, kwargs: dict) -> Any:
        envelope = self.serve(name, _out(list(args)), _out(dict(kwargs)), torch.get_rng_state())
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
        wanted = [p for p in inspect.signature(fn).parameters][1 if cls else 0 :]
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
            self.cases[case_name] = Case(case_name, fn, params, cls, skip)

    # -- running -----------------------------------------------------------------------------
    def run(self, name: str, call: Callable, functions: list[str]) -> dict[str, Any]:
        """Run one case with ``impl`` calling ``call``; its outcome as plain data."""
        case = self.cases[name]
        if case.skip is not None:
            return {"outcome": "skipped", "message": case.skip[:MAX_TEXT]}
        kwargs = dict(case.params)
        wanted = inspect.signature(case.function).parameters
        if FIXTURE in wanted:
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
    random.seed(0)
    torch.set_default_dtype(torch.float32)
    torch.set_printoptions(profile="default")
    torch.set_grad_enabled(True)
    numpy.random.seed(0)
    numpy.set_printoptions(**_NUMPY_DEFAULTS["print"])
    numpy.seterr(**_NUMPY_DEFAULTS["err"])
    decimal = sys.modules.get("decimal")
    if decimal is not None:
        decimal.setcontext(decimal.Context())


# NumPy's settings as they are before any test runs (read when this module is imported)
_NUMPY_DEFAULTS = {"print": numpy.get_printoptions(), "err": numpy.geterr()}


# -- in a worker: one suite per worker, loaded and run by the trusted side ---------------------------
_suite: Suite | None = None


def load(source: str, filename: str) -> dict[str, Any]:
    """Import the student's file in this worker; its cases, problems and error, as data."""
    global _suite
    _suite = Suite(source, filename)
    return {"cases": list(_suite.cases), "problems": _suite.problems, "error": _suite.error}


def run(name: str, serve: Callable, functions: list[str]) -> dict[str, Any]:
    """Run one case of the loaded suite, ``impl`` calling back to ``serve``."""
    if _suite is None or name not in _suite.cases:
        return {"outcome": "failed", "error": "LookupError", "message": f"no test {name}"}
    return _suite.run(name, Caller(serve), list(functions))


def run_cases(names: list[str], serve: Callable, functions: list[str]) -> list[dict[str, Any]]:
    """:func:`run` for each of ``names`` in turn, answered in one reply: the outcomes in order."""
    return [run(str(name), serve, functions) for name in names[:MAX_CASES]]
