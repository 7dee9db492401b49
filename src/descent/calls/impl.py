"""Implementations under test, reached only through :class:`Implementation`.

Tests never import ``starter`` or ``solutions``. They receive an ``Implementation`` (the ``impl``
fixture) and reach functions as ``impl.losses.mse_forward``. Today an implementation is loaded in
this process (the starter, the solutions, a submission folder, or the solutions patched with a
catalogued variant); the isolated worker will hand out a proxy with the same attribute interface,
so no test changes when student code moves out of the grader's process.

Each folder is imported as a package under a private alias (``_descent_impl_<n>``), so the starter,
the solutions and any number of submissions coexist in one process without clashing in
``sys.modules``. Modules inside a folder reach each other with relative imports
(``from .activations import relu_forward``).
"""

from __future__ import annotations

import collections
import contextlib
import copy
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import itertools
import os
import sys
import traceback
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import registry
from . import helpers
from .tape import evaluate
from .timelimit import WALL_FACTOR, CallTimeout, Guarded, guard

_aliases = itertools.count()


class SubmissionError(Exception):
    """The implementation under test cannot provide what a test asked for.

    Raised for a module that is missing or fails to import and for a missing function. The
    grading plugin reports it as the student's problem (a short message, no kit traceback).
    """


class HardExit(BaseException):
    """Student code running in this process called ``os._exit``, which would end the whole run
    at once, with no results and the exit status it chose (0 looks like success)."""

    def __init__(self, code: Any):
        super().__init__(f"os._exit({code!r}) was called; it would end the whole test run")


@contextlib.contextmanager
def refuse_hard_exit():
    """While student code runs in this process, ``os._exit`` raises :class:`HardExit` instead."""
    real = os._exit

    def refuse(code=0):
        raise HardExit(code)

    os._exit = refuse
    try:
        yield
    finally:
        os._exit = real


# The four batching helpers below are for the kit's own code. Grader tests reach them through
# graders/runs.py and graders/battery.py, whose helpers are named by what a run computes, so an
# author never has to know how calls are batched (tests/test_grader_helpers.py keeps it so).
def call_each(
    fn: Callable,
    arg_lists: Sequence[Sequence[Any]],
    kwargs: Mapping[str, Any] | None = None,
    *,
    pick: int | None = None,
    fresh: bool = False,
    stack: bool = False,
) -> list:
    """``[fn(*args, **kwargs) for args in arg_lists]``: one call per argument list, in order.

    With ``pick``, each result is replaced by ``result[pick]`` (the rest of a ``(output,
    cache)`` pair then never leaves a worker). Each result is kept as it is when its call
    returns (:func:`descent.calls.callables.kept`): a later call that edits the tensors it
    handed back changes nothing already returned. With ``fresh``, each call gets its own copy of
    its argument list (:func:`descent.calls.callables.fresh`), made where the call runs: the
    lists may then share tensors, which cross to a worker once. For a function of a submission
    graded in a worker, the whole sweep is one request instead of one round trip per call. The
    first call that raises ends the sweep with its exception, as the loop would. Edits a call
    makes to its arguments are not copied back from a worker, so without ``fresh`` the grader
    must not look at the arguments again. With ``stack``, results that have one nesting of
    lists and tuples around tensors of one shape, dtype and device per position may come back
    from a worker as views of one stacked tensor per position (:mod:`.stacking`), which crosses
    at once: read them, do not resize them.
    """
    # start-up: callables imports torch, and the command line loads this module
    from .callables import fresh as copy
    from .callables import kept

    batched = getattr(type(fn), "__descent_call_each__", None)
    if batched is not None:
        return batched(
            fn, [list(args) for args in arg_lists], dict(kwargs or {}), pick, fresh, stack
        )
    kwargs = dict(kwargs or {})
    out = []
    for args in arg_lists:
        result = fn(*(copy(list(args)) if fresh else args), **kwargs)
        out.append(kept(result if pick is None else result[pick]))
    return out


def call_chain(
    fn: Callable,
    advance: Callable,
    steps: int,
    start: Any = None,
    *,
    pick: int | None = None,
    stack: bool = False,
) -> list:
    """``steps`` calls of ``fn``, each fed from the previous result.

    Call k gets ``args, kwargs = advance(k, previous)``, where ``previous`` is the result of
    call k - 1 (``start`` for the first). Returns ``[(result, edited), ...]``, ``edited`` telling
    whether the call changed its arguments in place (tensor values, container contents), and a
    third entry, ``moved``, where ``advance`` watches the global generators (its ``moved()``:
    ``make("generator_calls", ...)``) telling whether the call changed one. With
    ``pick``, every entry but the last holds ``result[pick]`` instead of the whole result (the
    last keeps it whole: it is where a caller reads the final state); a result that is not a
    tuple or list long enough stays whole. The first exception ends
    the chain, as the loop would. ``advance`` must be a described callable
    (:func:`descent.calls.callables.make`): for a function of a submission graded in a
    worker, the worker rebuilds it and the whole chain is one request. ``stack`` is
    :func:`call_each`'s: results that stack may come back from a worker as views of one tensor
    per position (read them, do not resize them).
    """
    # start-up: callables imports torch, and the command line loads this module
    from .callables import run_chain

    batched = getattr(type(fn), "__descent_call_chain__", None)
    if batched is not None:
        return batched(fn, advance, int(steps), start, pick, stack)
    return run_chain(fn, advance, int(steps), start, pick)


def watched_call(fn: Callable, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, bool]:
    """``fn(*args, **kwargs)``, and whether the call changed a global random generator (torch's,
    NumPy's or Python's), watched where it runs: a worker's generators are not this process's
    (one :func:`call_chain` of one call, with the ``watched_calls`` advance)."""
    # start-up: callables imports torch, and the command line loads this module
    from .callables import make

    ((result, _, moved),) = call_chain(fn, make("watched_calls", list(args), dict(kwargs)), 1)
    return result, bool(moved)


def call_then(
    first: Callable,
    args: Sequence[Any],
    then: Callable,
    then_args: Sequence[Any],
    *,
    kwargs: Mapping[str, Any] | None = None,
    pick: int = -1,
) -> Any:
    """``then(*then_args, first(*args, **kwargs)[pick])``: feed part of one call's result to the
    next call, as its last argument.

    The kit's use is a backward fed the cache of its forward: ``call_then(mse_forward, (x, y),
    mse_backward, [dout])``. For two functions of one submission graded in a worker, and of one
    exercise, both calls are one request and the first result never leaves the worker. As with
    :func:`call_each`, edits the calls make to their arguments are not copied back from a
    worker, so the grader must not look at the arguments again.
    """
    batched = getattr(type(first), "__descent_call_then__", None)
    if batched is not None:
        result = batched(first, list(args), then, list(then_args), dict(kwargs or {}), int(pick))
        if result is not NotImplemented:
            return result
    return then(*then_args, first(*args, **dict(kwargs or {}))[pick])


def run_graph(value_cls: Callable, build: Callable, leaves: Sequence[Any]) -> tuple[list, list]:
    """Build a graph of ``value_cls`` objects and differentiate it.

    ``nodes = build(*[value_cls(v) for v in leaves])`` must be a list; ``backward()`` is called
    on its last node, and the result is ``([n.data for n in nodes], [n.grad for n in nodes])``.
    For a class of a submission graded in a worker, ``build`` is recorded as a tape of
    operations and the worker rebuilds the graph in one request
    (:mod:`descent.calls.tape`); a build that cannot be recorded runs on proxies instead.
    Either way the student's code sees the same operations in the same order. ``build`` may run
    twice, so it must not have side effects.
    """

    batched = getattr(type(value_cls), "__descent_run_graph__", None)
    if batched is not None:
        result = batched(value_cls, build, list(leaves))
        if result is not NotImplemented:
            return result
    return evaluate(build(*[value_cls(v) for v in leaves]))


class Implementation:
    """A named set of exercise modules; attribute access returns a module-like namespace."""

    kind = "abstract"
    # the parts (exercise ids) that the kit's stand-ins stand in for, while they do (stand_in)
    standing: tuple[str, ...] = ()

    def __init__(self, name: str):
        self.name = name

    def module(self, name: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in registry.MODULES:
            raise AttributeError(name)
        return self.module(name)

    @property
    def root(self) -> Path | None:
        """Folder whose files count as this implementation's code (for tracebacks)."""
        return None

    # The grading plugin drives every implementation through these, whatever runs its code.
    def begin_test(self, nodeid: str) -> None:
        """A graded test of this implementation starts."""

    def seed_global(self, seed: int) -> None:
        """Seed the global random generators (torch's, NumPy's, Python's) where this
        implementation's code runs (here; a worker's own, WorkerImplementation), for code that
        draws without a generator: the same seed gives the same draws in a worker as
        in-process."""
        from . import generators  # start-up: this module does not import torch at import time

        generators.seed_all(seed)

    def flush(self) -> None:
        """The test's calls are over: finish any that were sent without waiting for their
        result, raising the first error one of them gave (an error the test would have seen
        at that call, had it run in-process)."""

    def close(self) -> None:
        """The run is over: release what the implementation holds (processes, files)."""

    def hangs(self) -> frozenset:
        """What ran out of time in this run and is not called again (keys to hand back to
        :meth:`forget_hangs`)."""
        return frozenset()

    def forget_hangs(self, keys: frozenset) -> None:
        """Call again what ``keys`` name: a test that ran out of time runs once more before
        it is charged (descent.grading.plugin), on a machine that may have been busy."""

    def describe(self) -> dict[str, Any]:
        """What the results record about how this implementation ran (merged into its block
        of ``descent.results/1``)."""
        return {"isolation": "in-process"}

    def stand_in(self, parts: Sequence[str]) -> contextlib.AbstractContextManager[list] | None:
        """The kit's stand-ins in place of this implementation's own ``parts`` (exercise ids)
        inside the block (:mod:`descent.calls.stand_ins`); the block gets a list that names,
        once the block ends, the parts whose stand-ins were called, in this block or an earlier
        one with the same parts (a grader may reuse a result it made with them: the capstone's
        trainings). A function out of time inside it is not remembered as hung. ``None`` where
        it cannot be done (a catalogued variant, whose parts are the reference's own)."""
        return None

    def source(self, module: str) -> str | None:
        """The text of this implementation's ``module`` as graded, for a repair search of its
        own code (:mod:`descent.diagnoses.repair`); ``None`` where there is none to search (a
        catalogued variant: the kit's own code)."""
        return None

    def edited(
        self, module: str, names: Sequence[str], source: str
    ) -> contextlib.AbstractContextManager[Implementation | None]:
        """Inside the block, this implementation with the functions ``names`` of ``module``
        taken from ``source`` (the module's functions, one of them with one edit: a repair
        under trial), run in a copy of the module's namespace: the block gets the
        implementation to run recipes on, or ``None`` where the edit cannot be made."""
        return contextlib.nullcontext(None)

    def strict_floats(
        self, raised: tuple[str, ...] = ("divide", "invalid")
    ) -> contextlib.AbstractContextManager:
        """Inside the block, the student's code runs with NumPy's float errors of ``raised``
        raised (``"divide"``: a log of 0; ``"invalid"``: 0 / 0; ``"over"``: an exp past the
        float's range): a re-run that asks on which line a float first went wrong."""
        import numpy as np  # not at start-up: the plugin loads without NumPy

        return np.errstate(**dict.fromkeys(raised, "raise"))

    @contextlib.contextmanager
    def traced(self) -> Iterator[collections.Counter]:
        """Inside the block, the functions of this implementation's own files that run, as
        ``"file.py:qualified.name"``, counted in the counter the block gets: a repair is
        checked to run the student's code the unedited code ran, not other code in its place."""
        ran: collections.Counter = collections.Counter()
        root = self.root
        if root is None:
            yield ran
            return
        with profiled(str(root), ran):
            yield ran

    @contextlib.contextmanager
    def watched(self) -> Iterator[list]:
        """Inside the block, the values this implementation's own files compute, line by line,
        added to the list the block gets (:func:`descent.calls.steps.watched`): where a
        student's values first part from the reference's."""
        from . import steps  # not at start-up: the plugin loads without torch

        found: list = []
        root = self.root
        if root is None:
            yield found
            return
        with steps.watched(str(root), found):
            yield found

    def called_with(self, parts: tuple[str, ...], called: Sequence[str]) -> list[str]:
        """Record that the stand-ins of ``called`` ran while those of ``parts`` stood in, and
        return every part ever called with those stand-ins (see :meth:`stand_in`)."""
        seen = self.__dict__.setdefault("_stand_ins_called", {}).setdefault(parts, set())
        seen.update(called)
        return sorted(seen)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class FolderImplementation(Implementation):
    """Modules loaded from a folder of ``<module>.py`` files (starter, solutions, a submission)."""

    kind = "folder"

    def __init__(self, folder: str | Path, name: str | None = None, guarded: Guarded | None = None):
        self.folder = Path(folder).resolve()
        self.guarded = guarded  # times calls into the folder's code (descent.calls.timelimit)
        if not self.folder.is_dir():
            raise SubmissionError(f"implementation folder {folder} does not exist")
        super().__init__(name or self.folder.name)
        self._alias = f"_descent_impl_{next(_aliases)}"
        self._package: types.ModuleType | None = None
        self._modules: dict[str, Any] = {}
        # A module that failed to import (or hung) is not imported again in this run: its
        # error is repeated at once, so an endless loop at import costs one time limit.
        self._failed: dict[str, str] = {}
        self.helpers: helpers.Selection | None = None  # its helper files, once loaded

    @property
    def root(self) -> Path:
        return self.folder

    def hangs(self) -> frozenset:
        return frozenset(self.guarded.hung) if self.guarded else frozenset()

    def forget_hangs(self, keys: frozenset) -> None:
        for key in keys:
            self.guarded.forget(key)

    def _ensure_package(self) -> None:
        if self._package is not None:
            return
        init = self.folder / "__init__.py"
        if init.exists():
            spec = importlib.util.spec_from_file_location(
                self._alias, init, submodule_search_locations=[str(self.folder)]
            )
        else:
            spec = importlib.machinery.ModuleSpec(self._alias, None, is_package=True)
            spec.submodule_search_locations = [str(self.folder)]
        package = importlib.util.module_from_spec(spec)
        sys.modules[self._alias] = package
        # The folder's own helper files, as the worker gets them (descent.calls.helpers)
        candidates = helpers.candidates_in(self.folder, registry.MODULES)
        self.helpers = helpers.select(self._sources(), candidates)
        helpers.HOOK.register(self._alias, registry.MODULES, self.helpers)
        if spec.loader is not None:
            spec.loader.exec_module(package)
        self._package = package

    def stand_in(self, parts: Sequence[str]) -> contextlib.AbstractContextManager[list]:
        return self._standing_in(tuple(parts))

    @contextlib.contextmanager
    def _standing_in(self, parts: tuple[str, ...]) -> Iterator[list]:
        # start-up: stand_ins imports torch, and the command line loads this module
        from .stand_ins import StandingIn

        self._ensure_package()
        prefix = f"{self._alias}."
        mine = {n[len(prefix) :]: m for n, m in list(sys.modules.items()) if n.startswith(prefix)}
        defining = {name: m for name, m in mine.items() if name in registry.MODULES}
        swap = StandingIn([m for m in mine.values() if m is not None], defining, parts)
        hung = dict(self.guarded.hung) if self.guarded else {}
        called: list[str] = []
        self.standing = parts
        try:
            yield called
        finally:
            called += self.called_with(parts, swap.restore())
            self.standing = ()
            if self.guarded:
                self.guarded.hung.clear()
                self.guarded.hung.update(hung)

    def _sources(self) -> dict[str, str]:
        """Exercise module name -> source, for the modules the folder has."""
        texts = {name: self.source(name) for name in registry.MODULES}
        return {name: text for name, text in texts.items() if text is not None}

    def source(self, module: str) -> str | None:
        path = self.folder / f"{module}.py"
        return path.read_text(errors="replace") if path.is_file() else None

    @contextlib.contextmanager
    def edited(
        self, module: str, names: Sequence[str], source: str
    ) -> Iterator[Implementation | None]:
        """The edit made in a copy of the module's namespace (the module itself is left as it
        is) and timed as the student's own functions are."""
        try:
            found = defined(self.module(module)._module, names, source)
        except Exception:  # noqa: BLE001 - an edit that does not compile or define: no trial
            found = None
        if found is None:
            yield None
            return
        if self.guarded:
            found = {n: self.guarded.wrap(module, n, fn) for n, fn in found.items()}
        yield PatchedImplementation(
            self, f"{self.name} (edited)", {(module, n): fn for n, fn in found.items()}
        )

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        chosen = self.helpers
        if chosen is not None and (chosen.taken or chosen.ignored or chosen.refused):
            info["intake"] = helpers.report(chosen)
        return info

    def module(self, name: str) -> Any:
        if name in self._modules:
            return self._modules[name]
        if name in self._failed:
            raise SubmissionError(f"{self._failed[name]} (earlier in this run; not imported again)")
        path = self.folder / f"{name}.py"
        if not path.is_file():
            raise SubmissionError(f"{name}.py is missing from {self.name}")
        self._ensure_package()
        try:
            with refuse_hard_exit(), self._import_limit():
                mod = importlib.import_module(f"{self._alias}.{name}")
        except (SubmissionError, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 - a crash at import is the student's
            self._import_failed(exc, path)
            raise SubmissionError(self._failed[name]) from None
        view = ModuleView(name, mod, self.name, guarded=self.guarded)
        self._modules[name] = view
        return view

    def close(self) -> None:
        helpers.HOOK.unregister(self._alias)

    def _import_limit(self) -> contextlib.AbstractContextManager:
        """A module's import (with what it imports) has the call limit, as in a worker."""
        return guard(None, self.guarded.seconds) if self.guarded else contextlib.nullcontext()

    def _import_failed(self, exc: BaseException, path: Path) -> None:
        """Remember why ``path`` failed to import, and why the module of the folder that
        raised did (itself, or one it imports): neither is executed again in this run, even
        when another module imports it."""
        for failed in dict.fromkeys((path, import_culprit(exc, path))):
            if failed.stem not in self._failed:
                reason = _describe_import_error(exc, failed)
                self._failed[failed.stem] = f"{failed.name} could not be imported: {reason}"
                _REFUSED.refuse(f"{self._alias}.{failed.stem}", failed.name, reason)


class ModuleView:
    """Read-only view of an implementation module; a missing function is a SubmissionError."""

    def __init__(
        self,
        name: str,
        module: Any,
        owner: str,
        overrides: Mapping[str, Callable] | None = None,
        guarded: Guarded | None = None,
    ):
        self._name = name
        self._module = module
        self._owner = owner
        self._overrides = dict(overrides or {})
        self._guarded = guarded

    def __getattr__(self, attr: str) -> Any:
        if attr in self._overrides:
            return self._overrides[attr]
        try:
            value = getattr(self._module, attr)
        except AttributeError:
            raise SubmissionError(
                f"{self._name}.py of {self._owner} has no `{attr}` (was it renamed or deleted?)"
            ) from None
        return self._guarded.wrap(self._name, attr, value) if self._guarded else value

    def __repr__(self) -> str:
        return f"<module {self._name} of {self._owner}>"


def function_sources(functions: Mapping[tuple[str, str], Callable]) -> dict[str, str]:
    """``module.function`` -> source of each function: a catalogued variant's own code, which
    keys its inputs (descent.grading.run_state), so that editing the reference or another
    variant draws this one's inputs again only where its own code changed."""
    found = {}
    for (module, name), fn in functions.items():
        try:
            text = inspect.getsource(fn)
        except (OSError, TypeError):  # made at run time: its name stands for it
            text = getattr(fn, "__qualname__", type(fn).__name__)
        found[f"{module}.{name}"] = text
    return found


@contextlib.contextmanager
def profiled(folder: str, ran: collections.Counter, most: int = 200) -> Iterator[None]:
    """Inside the block, the calls this thread makes of the Python functions of files in
    ``folder`` are counted in ``ran`` by ``"file.py:qualified.name"`` (``most`` names at most):
    the one profile hook of a trial, put back as it was after it."""

    def hook(frame: types.FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(folder):
            name = (
                f"{os.path.basename(code.co_filename)}:{getattr(code, 'co_qualname', code.co_name)}"
            )
            if name in ran or len(ran) < most:
                ran[name] += 1

    before = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(before)


def defined(module: Any, names: Sequence[str], source: str) -> dict[str, Callable] | None:
    """The functions (or classes) ``names`` as ``source`` defines them when run in a copy of
    ``module``'s namespace (so that they call each other's new definitions and reach the
    module's other names); ``None`` when one is neither a function nor a class the text defines.
    Runs the student's ``def`` and ``class`` statements: their decorators, defaults and class
    bodies, nothing else."""
    namespace = dict(vars(module))
    exec(compile(source, getattr(module, "__file__", None) or "<edit>", "exec"), namespace)  # noqa: S102
    found = {n: namespace.get(n) for n in names}
    own = vars(module)
    # a second name the module bound to a function or class the text redefines (`_step = step`)
    # follows it, as the module's own alias would
    renewed = {id(v): namespace[k] for k, v in own.items() if namespace.get(k) is not v}
    renewed.update(_methods_renewed(own, namespace))
    for k, v in own.items():
        if namespace.get(k) is v and id(v) in renewed and callable(v):
            namespace[k] = renewed[id(v)]
        elif namespace.get(k) is v and _changed(type(v), renewed.get(id(type(v)))):
            namespace[k] = _of_class(v, renewed[id(type(v))])
        elif namespace.get(k) is v and isinstance(v, types.MethodType):
            namespace[k] = _rebound(v, renewed)
    if not all(_new_definition(fn, n, own) for n, fn in found.items()):
        return None  # not every one is a function or class the text defines
    return found  # type: ignore[return-value]


def _methods_renewed(own: dict, namespace: dict) -> dict[int, Any]:
    """The functions a class of the module holds, by id, each with its namesake in the class as
    the text defines it again: a name bound to a method read off the class itself (``_act =
    Activations.sigmoid``, a plain function) follows it too."""
    renewed = {}
    for k, old in own.items():
        new = namespace.get(k)
        if isinstance(old, type) and isinstance(new, type) and new is not old:
            for attr, fn in vars(old).items():
                if isinstance(fn, types.FunctionType) and attr in vars(new):
                    renewed[id(fn)] = vars(new)[attr]
    return renewed


def _changed(old: type, new: Any) -> bool:
    """``new`` is the class ``old`` as an edited text defines it again, with a method whose code
    differs (the edit is in it): every class of the module is defined again by every trial, and
    an object of one whose methods are all the same needs no copy (a copy of an object holding
    a dataset would cost a trial its memory)."""
    if not isinstance(new, type):
        return False
    methods = {n: f for n, f in vars(new).items() if isinstance(f, types.FunctionType)}
    return any(
        not _same_code(f.__code__, getattr(vars(old).get(n), "__code__", None))
        for n, f in methods.items()
    )


def _same_code(a: types.CodeType, b: types.CodeType | None) -> bool:
    """Two code objects that run alike: the same instructions, names and constants, nested code
    compared alike; line numbers aside (an edited text is laid out anew)."""
    if b is None or (a.co_code, a.co_names, a.co_varnames) != (
        b.co_code,
        b.co_names,
        b.co_varnames,
    ):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    return all(
        (
            _same_code(x, y)
            if isinstance(x, types.CodeType) and isinstance(y, types.CodeType)
            else type(x) is type(y) and x == y
        )
        for x, y in zip(a.co_consts, b.co_consts)
    )


def _of_class(obj: Any, cls: type) -> Any:
    """A copy of ``obj`` (a module-level object of a class the edited text redefines:
    ``_net = Network(...)``) made an object of ``cls``, so that a method called on it runs the
    edited class's; a deep copy, so that the trial never changes the student's own object.
    ``obj`` itself where it cannot be copied or given the class."""
    try:
        twin = copy.deepcopy(obj)
        if twin is obj:  # a class whose __new__ hands back its one object (a singleton)
            twin = object.__new__(type(obj))
            twin.__dict__.update(copy.deepcopy(vars(obj)))
        twin.__class__ = cls
    except Exception:  # noqa: BLE001 - the student's object, whatever its copy raises
        return obj
    return twin


def _rebound(method: types.MethodType, renewed: dict[int, Any]) -> Any:
    """``method`` (a module-level method of an object: ``_row = Softmax()._softmax``) bound to a
    copy of its object made of its class as the edited text defines it, where the edit is in
    that class; else ``method`` itself."""
    owner = method.__self__
    new = renewed.get(id(type(owner)))
    if not _changed(type(owner), new):
        return method
    function = vars(new).get(method.__func__.__name__)
    if not isinstance(function, types.FunctionType):
        return method
    return types.MethodType(function, _of_class(owner, new))


def _new_definition(value: Any, name: str, own: dict[str, Any]) -> bool:
    """``value`` is a function, or a class of that name (not ``int`` bound to it), that the
    edited text defines anew under ``name``."""
    made = isinstance(value, types.FunctionType) or (
        isinstance(value, type) and value.__qualname__ == name
    )
    return made and value is not own.get(name)


class PatchedImplementation(Implementation):
    """Another implementation with some functions replaced: a catalogued variant.

    Used for buggy variants (the graders must catch them) and for alternative correct
    implementations (the graders must accept them).
    """

    kind = "patched"

    def __init__(
        self, base: Implementation, name: str, overrides: Mapping[tuple[str, str], Callable]
    ):
        super().__init__(name)
        self.base = base
        self._by_module: dict[str, dict[str, Callable]] = {}
        for (module, function), fn in overrides.items():
            self._by_module.setdefault(module, {})[function] = fn
        self._views: dict[str, ModuleView] = {}
        files = {
            Path(fn.__code__.co_filename).resolve()
            for fn in overrides.values()
            if hasattr(fn, "__code__")
        }
        # The replaced functions are this implementation's own code: a crash inside them is the
        # variant's fault (as a crash in a submission is the student's), not the kit's.
        self._root = files.pop().parent if len(files) == 1 else None

    @property
    def root(self) -> Path | None:
        return self._root

    def module(self, name: str) -> Any:
        if name not in self._views:
            base_view = self.base.module(name)
            underlying = base_view._module if isinstance(base_view, ModuleView) else base_view
            self._views[name] = ModuleView(name, underlying, self.name, self._by_module.get(name))
        return self._views[name]


class EarlierImportError(ImportError):
    """A module of the folder that failed to import earlier in this run, imported again by
    another module: refused at once, with the first failure's reason."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file} could not be imported: {reason}")
        self.file, self.reason = file, reason


class _RefuseFailed(importlib.abc.MetaPathFinder):
    """Refuses, before any file is read, the modules that already failed to import: full
    module name (under a folder's private alias) -> (file name, reason)."""

    def __init__(self) -> None:
        self.failed: dict[str, tuple[str, str]] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname in self.failed:
            raise EarlierImportError(*self.failed[fullname])
        return None

    def refuse(self, fullname: str, file: str, reason: str) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)
        self.failed[fullname] = (file, reason)


_REFUSED = _RefuseFailed()


def refuse(fullname: str, file: str, reason: str) -> None:
    """Module ``fullname`` (``file``) failed to import for ``reason``: refuse it from now on."""
    _REFUSED.refuse(fullname, file, reason)


def import_culprit(exc: BaseException, path: Path) -> Path:
    """The file whose import raised ``exc`` while ``path`` was imported: ``path`` itself, or a
    module of its folder that it imports (a SyntaxError names its file; otherwise the innermost
    module-level frame of a file in the folder)."""
    folder = path.resolve().parent
    if isinstance(exc, SyntaxError) and exc.filename:
        found = Path(exc.filename).resolve()
        return found if found.parent == folder and found.suffix == ".py" else path
    culprit = path
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        file = Path(frame.f_code.co_filename).resolve()
        if frame.f_code.co_name == "<module>" and file.parent == folder:
            culprit = file
    return culprit


def _describe_import_error(exc: BaseException, path: Path) -> str:
    """Why ``path`` could not be imported, in words: what went wrong and the line, in the file
    where it went wrong (``path``, or a module of its folder that it imports)."""
    culprit = import_culprit(exc, path)
    if culprit.name != path.name:
        return f"importing {culprit.name} failed: {_describe_import_error(exc, culprit)}"
    if isinstance(exc, EarlierImportError):
        if exc.file == path.name:  # the module itself, refused again
            return f"{exc.reason} (earlier in this run; not imported again)"
        return f"importing {exc.file} failed: {exc.reason}"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"

    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename).resolve() == path.resolve():
            line = lineno
    where = f" ({path.name} line {line})" if line else ""
    if isinstance(exc, CallTimeout):
        if exc.waited:
            return (
                f"the import did not finish within {exc.seconds * WALL_FACTOR:g} s while "
                f"waiting (a sleep or a blocked call at module level?){where}"
            )
        return (
            f"the import did not finish within {exc.seconds:g} s (a loop at module level?){where}"
        )
    if isinstance(exc, HardExit):
        return f"{exc}{where}"
    return f"{type(exc).__name__}: {exc}{where}"
