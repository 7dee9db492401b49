"""Proxies for what lives in a worker: modules, functions, objects and their methods.

``impl.losses.mse_forward`` is a :class:`RemoteFunction` reached through a :class:`ModuleProxy`;
calling it sends a request over the worker's :class:`~descent.isolation.connection.Connection`.
Results that cannot cross as data (a ``cache``, a ``Value``) come back as :class:`Remote`
handles: they can be passed back as arguments, and their attributes, methods and operators work
(``a + b``, ``a.grad``, ``c.backward()``), each a request of its own (or a pipelined one).
A :class:`RemoteFunction` also runs the kit's batched calls (``descent.calls.impl.call_each`` and its
siblings) as one request each. Every proxy holds only its connection and an id; nothing here
trusts what the worker says about types beyond a cleaned name.
"""

from __future__ import annotations

from typing import Any

from .. import registry
from ..calls import tape
from ..calls.impl import SubmissionError
from ..calls.stacking import unstack_chain, unstack_results
from .errors import clean

# Operators whose result is usually another object in the worker: they may be pipelined.
PIPE_OPS = frozenset(
    {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos", "abs"}
)

_EXERCISE_OF: dict = {}


def exercise_of(module: str, name: str):
    """The registry exercise of a submission function (cached: asked on every call)."""
    key = (module, name)
    if key not in _EXERCISE_OF:
        _EXERCISE_OF[key] = registry.exercise_of(module, name)
    return _EXERCISE_OF[key]


class Remote:
    """An object that lives in the worker: handle ``hid`` of worker generation ``gen``."""

    __slots__ = ("_conn", "_hid", "_type", "_gen", "__weakref__")

    def __init__(self, conn, hid: int, type_name: str, gen: int):
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_hid", hid)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_gen", gen)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        conn = self._conn
        if (self._type, name) in conn.methods:
            return RemoteMethod(self, name)  # a known method: no round trip until the call
        if conn.snapshot and self._gen == conn.generation:
            attrs = conn.snapshot.get(self._hid)
            if attrs is not None and name in attrs:
                conn.snapshot_reads += 1
                return attrs[name]
        return conn.request(
            {"op": "getattr", "target": {"h": self._hid}, "name": name},
            ref=self,
            method_key=(self._type, name),
        )

    def __setattr__(self, name: str, value: Any) -> None:
        self._conn.request(
            {"op": "setattr", "target": {"h": self._hid}, "name": name}, value=value, ref=self
        )

    def __call__(self, *args, **kwargs):
        return self._conn.call({"h": self._hid}, args, kwargs, ref=self)

    def _apply(self, fn: str, *args):
        if fn in PIPE_OPS:
            return self._conn.pipeline.submit(
                {"op": "apply", "fn": fn}, ("apply", fn), list(args), None, self
            )
        return self._conn.request({"op": "apply", "fn": fn}, args=list(args), ref=self)

    @property
    def descent_type_name(self) -> str:
        """The class name of the object in the worker (read without a round trip)."""
        return clean(self._type, 100)

    def __repr__(self) -> str:
        try:
            text = self._apply("repr", self)
        except Exception:  # noqa: BLE001
            text = None
        return (
            clean(text, 200)
            if isinstance(text, str)
            else f"<{clean(self._type, 100)} object in the worker>"
        )

    __str__ = __repr__

    def __len__(self):
        return _typed(self._apply("len", self), int, "__len__")

    def __bool__(self):
        return _typed(self._apply("bool", self), bool, "__bool__")

    def __float__(self):
        return _typed(self._apply("float", self), float, "__float__")

    def __int__(self):
        return _typed(self._apply("int", self), int, "__int__")

    def __index__(self):
        return _typed(self._apply("index", self), int, "__index__")

    def __iter__(self):
        return iter(_typed(self._apply("iter", self), list, "__iter__"))

    def __hash__(self):
        return hash((id(self._conn), self._gen, self._hid))

    def __getitem__(self, key):
        return self._apply("getitem", self, key)

    def __setitem__(self, key, value):
        self._apply("setitem", self, key, value)

    def __contains__(self, item):
        return _typed(self._apply("contains", self, item), bool, "__contains__")

    def __del__(self):
        try:
            self._conn.release(self._gen, self._hid)
        except Exception:  # noqa: BLE001
            pass


def _typed(value, kind, what):
    if type(value) is not kind:
        raise TypeError(f"{what} of a submission object returned {type(value).__name__}")
    return value


def _binary(name):
    def op(self, other):
        return self._apply(name, self, other)

    def rop(self, other):
        return self._apply(name, other, self)

    return op, rop


for _name in (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
):
    _op, _rop = _binary(_name)
    setattr(Remote, f"__{_name}__", _op)
    setattr(Remote, f"__r{_name}__", _rop)
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Remote, f"__{_name}__", _binary(_name)[0])
for _name in ("neg", "pos", "abs", "invert"):
    setattr(Remote, f"__{_name}__", (lambda n: lambda self: self._apply(n, self))(_name))
Remote.__hash__ = Remote.__dict__["__hash__"]  # defining __eq__ above would unset it


class RemoteMethod:
    """``obj.name`` where ``name`` is a method of obj's class: looked up in the worker when
    called, so ``c.backward()`` costs one round trip."""

    __slots__ = ("_obj", "_name")

    def __init__(self, obj: Remote, name: str):
        self._obj, self._name = obj, name

    def __call__(self, *args, **kwargs):
        obj = self._obj
        return obj._conn.call(
            {"h": obj._hid, "meth": self._name},
            args,
            kwargs,
            ref=obj,
            pipe=("meth", obj._type, self._name),
        )

    def __repr__(self):
        return f"<method {self._name} of a {self._obj._type} in the worker>"


class RemoteFunction:
    """A function or class of a submission module, and the batched calls of the kit."""

    def __init__(self, conn, module: str, name: str):
        self._conn, self._module, self.__name__ = conn, module, name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self._conn.call(
            {"m": self._module, "a": self.__name__},
            args,
            kwargs,
            pipe=("call", self._module, self.__name__),
        )

    def _batch(self, kwargs: dict | None) -> tuple[dict, float]:
        """This function as a request target, and the time limit of a request that makes
        several calls (timelimit.BATCH_FACTOR times a single call's)."""
        target = {"m": self._module, "a": self.__name__}
        return target, self._conn.timeout_for(target, kwargs, batch=True)

    def _malformed(self, what: str):
        self._conn.fail("protocol", f"protocol violation by the worker: {what}")

    def __descent_call_each__(
        self,
        arg_lists: list[list],
        kwargs: dict,
        pick: int | None = None,
        fresh: bool = False,
        stack: bool = False,
    ) -> list:
        """Every call of a sweep (:func:`descent.calls.impl.call_each`) in one request, under one
        time limit for the sweep."""
        target, timeout = self._batch(kwargs)
        if not arg_lists:
            return []
        header = {"op": "map", "target": target}
        if pick is not None:
            header["pick"] = int(pick)
        if fresh:
            header["fresh"] = True
        if stack:
            header["stack"] = True
        result = self._conn.request(
            header, args=arg_lists, kwargs=kwargs, timeout=timeout, sync=False
        )
        if self._conn.stacked is not None:
            try:
                result = unstack_results(self._conn.stacked, result, len(arg_lists))
            except ValueError:
                self._malformed("malformed stacked results of a sweep")
        if type(result) is not list or len(result) != len(arg_lists):
            self._malformed("a sweep returned the wrong number of results")
        return result

    def __descent_call_chain__(
        self, advance, steps: int, start, pick: int | None = None, stack: bool = False
    ) -> list:
        """A chain of calls (:func:`descent.calls.impl.call_chain`) in one request; ``advance`` must
        be a described callable. It shares the time limit of a sweep."""
        if getattr(advance, "__descent_remote__", None) is None:
            raise TypeError("call_chain needs a described callable (callables.make) to advance")
        target, timeout = self._batch(None)
        header = {"op": "chain", "target": target, "steps": int(steps)}
        if pick is not None:
            header["pick"] = int(pick)
        if stack:
            header["stack"] = True
        result = self._conn.request(header, args=[advance, start], timeout=timeout, sync=False)
        if self._conn.stacked is not None:
            try:
                result = unstack_chain(self._conn.stacked, result, steps)
            except ValueError:
                self._malformed("malformed stacked results of a chain")
        if (
            type(result) is not list
            or len(result) != steps
            or not all(
                type(r) is tuple and len(r) in (2, 3) and all(type(b) is bool for b in r[1:])
                for r in result
            )
        ):
            self._malformed("a chain returned a malformed result")
        return result

    def __descent_call_then__(self, args: list, then, then_args: list, kwargs: dict, pick: int):
        """Two calls (:func:`descent.calls.impl.call_then`) in one request, or NotImplemented when
        ``then`` is not a function of the same worker and exercise. It shares the time limit
        of a sweep."""
        exercise = exercise_of(self._module, self.__name__)
        if not (
            type(then) is RemoteFunction
            and then._conn is self._conn
            and exercise
            and exercise_of(then._module, then.__name__) is exercise
        ):
            return NotImplemented
        target, timeout = self._batch(kwargs)
        header = {
            "op": "then",
            "target": target,
            "then": {"m": then._module, "a": then.__name__},
            "pick": pick,
        }
        return self._conn.request(header, args=[args, then_args], kwargs=kwargs, timeout=timeout)

    def __descent_run_graph__(self, build, leaves: list):
        """A graph of this class's objects (:func:`descent.calls.impl.run_graph`) in one request, or
        NotImplemented when ``build`` cannot be recorded. It shares the time limit of a sweep."""
        recorded = tape.record(build, len(leaves))
        if recorded is None:
            return NotImplemented
        ops, outputs = recorded
        target, timeout = self._batch(None)
        header = {"op": "graph", "target": target, "ops": ops, "outputs": outputs}
        result = self._conn.request(header, args=list(leaves), timeout=timeout, sync=False)
        if not (
            type(result) is tuple
            and len(result) == 2
            and all(type(r) is list and len(r) == len(outputs) for r in result)
        ):
            self._malformed("a graph returned a malformed result")
        return result

    def __repr__(self):
        return f"<{self._module}.{self.__name__} of {self._conn.name} (in a worker)>"


class ModuleProxy:
    """A submission module as the worker listed it: ``attrs`` maps a name to its kind
    (``data`` is read as a value, anything else is a :class:`RemoteFunction`)."""

    def __init__(self, conn, name: str, attrs: dict[str, str]):
        self._conn, self._name, self._attrs = conn, name, attrs

    def __getattr__(self, attr: str):
        kind = self._attrs.get(attr)
        if kind is None or attr.startswith("__"):
            raise SubmissionError(
                f"{self._name}.py of {self._conn.name} has no `{attr}` (was it renamed or deleted?)"
            )
        if kind == "data":
            return self._conn.request(
                {
                    "op": "getattr",
                    "target": {"m": self._name, "a": attr},
                    "name": "__descent_module_value__",
                }
            )
        return RemoteFunction(self._conn, self._name, attr)

    def __repr__(self):
        return f"<module {self._name} of {self._conn.name} (in a worker)>"
