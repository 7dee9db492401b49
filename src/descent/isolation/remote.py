"""The trusted side's view of a submission running in a worker.

:class:`WorkerImplementation` has the attribute interface of :class:`descent.impl.Implementation`:
``impl.losses.mse_forward(pred, target)`` sends the call to the worker and rebuilds the result as
plain data; objects that cannot cross (a ``cache``, a ``Value``) come back as :class:`Remote`
handles, which can be passed back as arguments and whose attributes, methods and operators work
(``a + b``, ``a.grad``, ``c.backward()``). Arguments the student's code edits in place are copied
back into the grader's objects, so in-place bugs are visible to the test exactly as in-process
(which is why a test computes its expected values before calling student code, as
``check.matches`` does).

A call that exceeds its time limit, a crash, an out-of-memory kill or a protocol violation kills
the worker's whole tree and fails the current test with a reason; the next call starts a fresh
worker. Nothing from the worker is unpickled or evaluated here.
"""

from __future__ import annotations

import math
import time
import weakref
from typing import Any, Callable

import torch

from .. import exercises, timelimit
from ..impl import Implementation, SubmissionError
from .. import tape
from . import protocol
from ..callables import unstack_results
from .protocol import Decoder, Encoder, ProtocolError

DEFAULT_CALL_TIMEOUT = 10.0
# Calls that legitimately run long (the capstone trains for its time budget).
MAX_REPLY_BODY = 256 << 20
# A sweep of calls in one request (descent.impl.call_each) gets this many single-call limits.
BATCH_TIMEOUT_FACTOR = timelimit.BATCH_FACTOR
# Pipelining (see WorkerImplementation._pipelined): at most this many requests or bytes wait
# unsent; the byte cap stays well below a socket buffer, so sending them never blocks.
PIPE_MAX_REQUESTS = 256
PIPE_MAX_BYTES = 64 << 10
# Upper bounds for the JSON of a queued request: its fixed part, and one character of a string
# (an astral character is escaped as two \uXXXX).
_PIPE_HEADER = 160
_JSON_CHAR = 12
RELEASES_PER_REQUEST = 1000
_PIPE_OPS = frozenset({"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
                       "neg", "pos", "abs"})
_SCALARS = (type(None), bool, int, float)
# Implementations with pipelined requests not yet sent (flushed at the end of each test).
_PENDING: "weakref.WeakSet[WorkerImplementation]" = weakref.WeakSet()


def flush_pending() -> None:
    """Send every queued pipelined request and raise the first error one of them gave."""
    for impl in list(_PENDING):
        impl.flush()


_EXERCISE_OF: dict = {}


def _exercise_of(module: str, name: str):
    key = (module, name)
    if key not in _EXERCISE_OF:
        _EXERCISE_OF[key] = exercises.exercise_of(module, name)
    return _EXERCISE_OF[key]


class WorkerFailure(SubmissionError):
    """The worker timed out, crashed, ran out of memory or broke the protocol."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


class RemoteException(Exception):
    """Mixin for exceptions raised by submission code in the worker."""

    remote_type = ""
    remote_where: list[str] = []

    def describe(self) -> str:
        where = f" ({'; '.join(self.remote_where[-2:])})" if self.remote_where else ""
        return f"your code raised {self.remote_type}: {self.args[0] if self.args else ''}{where}"


_MAPPED = {}
_NAMED: dict = {}


def clean(text: Any, limit: int = 2000) -> str:
    """Text from the worker, safe to show: no control characters (ANSI escapes), capped."""
    text = str(text)[:limit]
    return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)
for _base in (NotImplementedError, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError,
              OverflowError, FloatingPointError, ArithmeticError, AttributeError, LookupError,
              MemoryError, RecursionError, RuntimeError, AssertionError, StopIteration,
              ImportError, NameError, UnboundLocalError, OSError):
    _MAPPED[_base.__name__] = type(f"Remote{_base.__name__}", (RemoteException, _base), {})


def _remote_exception(info: dict) -> Exception:
    mro = info.get("mro") or []
    cls = RemoteException
    if not info.get("base"):
        for name in mro:
            if name in _MAPPED:
                cls = _MAPPED[name]
                break
    msg = clean(info.get("msg", ""))
    kind = clean(info.get("type", "Exception"), 100)
    if info.get("base"):
        msg = f"{msg} (a {kind} from submission code ends only that call)"
    if "MemoryError" in mro:
        msg = f"worker ran out of memory ({msg or 'MemoryError'})"
    # Named like the student's class (``type(exc).__name__`` reads as it would in-process).
    key = (kind, cls)
    named = _NAMED.get(key)
    if named is None and len(_NAMED) < 1000:
        named = _NAMED[key] = type(kind if kind.isidentifier() else "RemoteException", (cls,), {})
    try:
        exc = (named or cls)(msg)
    except Exception:  # noqa: BLE001
        exc = RemoteException(msg)
    exc.remote_type = kind
    exc.remote_where = [clean(w, 200) for w in info.get("where", [])][:3]
    return exc


class Remote:
    """An object that lives in the worker."""

    __slots__ = ("_impl", "_hid", "_type", "_gen", "__weakref__")

    def __init__(self, impl: "WorkerImplementation", hid: int, type_name: str, gen: int):
        object.__setattr__(self, "_impl", impl)
        object.__setattr__(self, "_hid", hid)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_gen", gen)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        impl = self._impl
        if (self._type, name) in impl._methods:
            return RemoteMethod(self, name)   # a known method: no round trip until the call
        if impl._snapshot and self._gen == impl.generation:
            attrs = impl._snapshot.get(self._hid)
            if attrs is not None and name in attrs:
                impl.snapshot_reads += 1
                return attrs[name]
        return self._impl._request({"op": "getattr", "target": {"h": self._hid}, "name": name},
                                   ref=self, method_key=(self._type, name))

    def __setattr__(self, name: str, value: Any) -> None:
        self._impl._request({"op": "setattr", "target": {"h": self._hid}, "name": name},
                            value=value, ref=self)

    def __call__(self, *args, **kwargs):
        return self._impl._call({"h": self._hid}, args, kwargs, ref=self)

    def _apply(self, fn: str, *args):
        if fn in _PIPE_OPS:
            return self._impl._pipelined({"op": "apply", "fn": fn}, ("apply", fn), list(args),
                                         None, self)
        return self._impl._request({"op": "apply", "fn": fn}, args=list(args), ref=self)

    @property
    def descent_type_name(self) -> str:
        """The class name of the object in the worker (read without a round trip)."""
        return clean(self._type, 100)

    def __repr__(self) -> str:
        try:
            text = self._apply("repr", self)
        except Exception:  # noqa: BLE001
            text = None
        return clean(text, 200) if isinstance(text, str) else \
            f"<{clean(self._type, 100)} object in the worker>"

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
        return hash((id(self._impl), self._gen, self._hid))

    def __getitem__(self, key):
        return self._apply("getitem", self, key)

    def __setitem__(self, key, value):
        self._apply("setitem", self, key, value)

    def __contains__(self, item):
        return _typed(self._apply("contains", self, item), bool, "__contains__")

    def __del__(self):
        try:
            self._impl._release(self._gen, self._hid)
        except Exception:  # noqa: BLE001
            pass


def _pipe_value(v: Any) -> Any:
    """A pipelined argument as JSON (a handle, or a scalar that _pipe_key admitted)."""
    t = type(v)
    if t is Remote:
        return {"$h": [v._hid, v._type]}
    if t is float:
        return v if math.isfinite(v) else {"$f": repr(v)}
    if t is int and not -protocol.MAX_INT < v < protocol.MAX_INT:
        raise ValueError("integer too large")
    return v


def _pipe_size(v: Any) -> int:
    """An upper bound of the JSON length of ``_pipe_value(v)``."""
    t = type(v)
    if t is str:
        return _JSON_CHAR * len(v) + 2
    if t is int:
        return v.bit_length() // 3 + 3
    if t is Remote:
        return _JSON_CHAR * len(v._type) + 32
    return 32


def _need_pair(item: Any) -> None:
    if not (type(item) is list and len(item) == 2 and type(item[0]) is int):
        raise ProtocolError("malformed snapshot entry")


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


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor"):
    _op, _rop = _binary(_name)
    setattr(Remote, f"__{_name}__", _op)
    setattr(Remote, f"__r{_name}__", _rop)
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Remote, f"__{_name}__", _binary(_name)[0])
for _name in ("neg", "pos", "abs", "invert"):
    setattr(Remote, f"__{_name}__", (lambda n: lambda self: self._apply(n, self))(_name))
Remote.__hash__ = Remote.__dict__["__hash__"]


class RemoteMethod:
    """``obj.name`` where ``name`` is a method of obj's class: looked up in the worker when
    called, so ``c.backward()`` costs one round trip."""

    __slots__ = ("_obj", "_name")

    def __init__(self, obj: Remote, name: str):
        self._obj, self._name = obj, name

    def __call__(self, *args, **kwargs):
        obj = self._obj
        return obj._impl._call({"h": obj._hid, "meth": self._name}, args, kwargs, ref=obj,
                               pipe=("meth", obj._type, self._name))

    def __repr__(self):
        return f"<method {self._name} of a {self._obj._type} in the worker>"


class RemoteFunction:
    """A function or class of a submission module."""

    def __init__(self, impl: "WorkerImplementation", module: str, name: str):
        self._impl, self._module, self.__name__ = impl, module, name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self._impl._call({"m": self._module, "a": self.__name__}, args, kwargs,
                                pipe=("call", self._module, self.__name__))

    def _batch(self, kwargs: dict | None) -> tuple[dict, float]:
        """This function as a request target, and the time limit of a request that makes
        several calls (BATCH_TIMEOUT_FACTOR times a single call's)."""
        target = {"m": self._module, "a": self.__name__}
        return target, self._impl._timeout_for(target, kwargs, None) * BATCH_TIMEOUT_FACTOR

    def __descent_call_each__(self, arg_lists: list[list], kwargs: dict,
                              pick: int | None = None, fresh: bool = False,
                              stack: bool = False) -> list:
        """Every call of a sweep (:func:`descent.impl.call_each`) in one request. The sweep
        shares one time limit: BATCH_TIMEOUT_FACTOR times the limit of a single call."""
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
        result = self._impl._request(header, args=arg_lists, kwargs=kwargs, timeout=timeout,
                                     sync=False)
        stacked = self._impl._stacked
        if stacked is not None:
            try:
                result = unstack_results(stacked, result, len(arg_lists))
            except ValueError:
                self._impl._fail("protocol", "protocol violation by the worker: malformed "
                                             "stacked results of a sweep")
        if type(result) is not list or len(result) != len(arg_lists):
            self._impl._fail("protocol", "protocol violation by the worker: a sweep returned "
                                         "the wrong number of results")
        return result

    def __descent_call_chain__(self, advance, steps: int, start, pick: int | None = None) -> list:
        """A chain of calls (:func:`descent.impl.call_chain`) in one request; ``advance`` must
        be a described callable. It shares the time limit of a sweep."""
        if getattr(advance, "__descent_remote__", None) is None:
            raise TypeError("call_chain needs a described callable (callables.make) to advance")
        target, timeout = self._batch(None)
        header = {"op": "chain", "target": target, "steps": int(steps)}
        if pick is not None:
            header["pick"] = int(pick)
        result = self._impl._request(header, args=[advance, start], timeout=timeout, sync=False)
        if (type(result) is not list or len(result) != steps
                or not all(type(r) is tuple and len(r) == 2 and type(r[1]) is bool
                           for r in result)):
            self._impl._fail("protocol", "protocol violation by the worker: a chain returned "
                                         "a malformed result")
        return result

    def __descent_call_then__(self, args: list, then, then_args: list, kwargs: dict,
                              pick: int):
        """Two calls (:func:`descent.impl.call_then`) in one request, or NotImplemented when
        ``then`` is not a function of the same worker and exercise. It shares the time limit
        of a sweep."""
        exercise = _exercise_of(self._module, self.__name__)
        if not (type(then) is RemoteFunction and then._impl is self._impl and exercise
                and _exercise_of(then._module, then.__name__) is exercise):
            return NotImplemented
        target, timeout = self._batch(kwargs)
        header = {"op": "then", "target": target, "then": {"m": then._module, "a": then.__name__},
                  "pick": pick}
        return self._impl._request(header, args=[args, then_args], kwargs=kwargs,
                                   timeout=timeout, sync=False)

    def __descent_run_graph__(self, build, leaves: list):
        """A graph of this class's objects (:func:`descent.impl.run_graph`) in one request, or
        NotImplemented when ``build`` cannot be recorded. It shares the time limit of a sweep."""
        recorded = tape.record(build, len(leaves))
        if recorded is None:
            return NotImplemented
        ops, outputs = recorded
        target, timeout = self._batch(None)
        header = {"op": "graph", "target": target, "ops": ops, "outputs": outputs}
        result = self._impl._request(header, args=list(leaves), timeout=timeout, sync=False)
        if not (type(result) is tuple and len(result) == 2
                and all(type(r) is list and len(r) == len(outputs) for r in result)):
            self._impl._fail("protocol", "protocol violation by the worker: a graph returned "
                                         "a malformed result")
        return result

    def __repr__(self):
        return f"<{self._module}.{self.__name__} of {self._impl.name} (in a worker)>"


class ModuleProxy:
    def __init__(self, impl: "WorkerImplementation", name: str, attrs: dict[str, str]):
        self._impl, self._name, self._attrs = impl, name, attrs

    def __getattr__(self, attr: str):
        kind = self._attrs.get(attr)
        if kind is None or attr.startswith("__"):
            raise SubmissionError(f"{self._name}.py of {self._impl.name} has no `{attr}` "
                                  f"(was it renamed or deleted?)")
        if kind == "data":
            return self._impl._request({"op": "getattr", "target": {"m": self._name, "a": attr},
                                        "name": "__descent_module_value__"})
        return RemoteFunction(self._impl, self._name, attr)

    def __repr__(self):
        return f"<module {self._name} of {self._impl.name} (in a worker)>"


class WorkerImplementation(Implementation):
    """A submission graded through a confined worker process."""

    kind = "worker"

    def __init__(self, name: str, manager, *, folder: str | None, variant: dict | None = None,
                 read_extra: tuple[str, ...] = (), base_kind: str = "folder"):
        super().__init__(name)
        self.manager = manager
        self.folder = folder
        self.variant = variant
        self.read_extra = tuple(read_extra)
        self.kind = base_kind if base_kind != "folder" else "folder"
        self.isolated = True
        self.process = None
        self.generation = 0
        self.modules: dict[str, Any] = {}
        self.releases: list[int] = []
        self.hits: dict[str, set[str]] = {}
        self.modified_log: list[int] = []   # ids of grader objects the submission edited in place
        self.events: list[dict] = []
        # request key -> why: a function that timed out is not called again in this run, so
        # one infinite loop costs one time limit instead of one per test.
        self._hung: dict[tuple, str] = {}
        self.intake: dict | None = None                # the intake report, for the results
        self.taken = None                              # the intake's copy, removed at close
        self.scan: dict[str, list[str]] = {}
        self.review: dict[str, list[str]] = {}
        self._next_id = 1
        self._current_test: str | None = None
        self._test_failure: WorkerFailure | None = None
        self._depth = 0
        self._inflight: list[tuple] = []
        self._methods: set[tuple[str, str]] = set()   # (type name, attribute) known as methods
        self.requests = 0                              # round trips to the worker
        self.pipelined = 0                             # requests sent without waiting
        self._queue: list[dict] = []                   # pipelined requests, unsent
        self._queue_bytes = 0
        self._queue_limit = 0.0                        # the longest time limit among them
        self._queue_refs: dict[int, tuple] = {}        # hid -> (weakref to its Remote, key)
        self._next_pipe = -1                           # hids we assign (the worker's are > 0)
        self._predict: dict[tuple, str] = {}           # request shape -> type of its handle
        self._unstable: set[tuple] = set()             # request shapes never pipelined
        self.requests_by_test: dict[str | None, int] = {}
        # Plain attributes of worker objects as they were after the last reply (hid -> {name:
        # value}); valid until the next request is sent, which clears it (see Worker._snapshot).
        self._snapshot: dict[int, dict[str, Any]] = {}
        self.snapshot_reads = 0                        # attribute reads answered from it
        self._stacked: Any = None                      # "stacked" of the last reply

    # -- lifecycle ---------------------------------------------------------------------------------
    def begin_test(self, nodeid: str) -> None:
        if self._queue:   # left by a fixture or a test that ended without the flush hook
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - belongs to the previous test, already scored
                pass
        self._current_test = nodeid
        self._test_failure = None

    def _ensure(self):
        if self.process is None or not self.process.alive:
            self.process = self.manager.start_worker(self)
            self.generation += 1
            self.modules = {}
            self.releases = []
            self._drop_queue()
        return self.process

    def close(self) -> None:
        self._drop_queue()
        if self.process is not None:
            self.process.kill()
            self.process = None
        if self.taken is not None:
            self.taken.cleanup()
            self.taken = None

    def describe(self) -> dict[str, Any]:
        """How the submission ran: in a worker, its intake, review flags, worker events and
        request counts (see :func:`descent.isolation.grading.library_flags`)."""
        from .grading import library_flags

        review = {ex: list(v) for ex, v in self.review.items()}
        for ex, used in library_flags(self).items():
            review.setdefault(ex, []).extend(f"library use: {u}" for u in used)
        info: dict[str, Any] = {"isolation": "worker"}
        if self.intake is not None:
            info["intake"] = self.intake
        info["review"] = review
        if self.events:
            info["worker_events"] = self.events[:100]
        chatty = sorted(((n, t) for t, n in self.requests_by_test.items() if t), reverse=True)
        info.update(worker_requests=self.requests, worker_pipelined=self.pipelined,
                    worker_requests_top={t: n for n, t in chatty[:10]})
        return info

    def module(self, name: str) -> Any:
        if self._test_failure is not None:
            raise self._test_failure
        proxy = self.modules.get(name)
        if proxy is not None:
            return proxy
        self._ensure()
        reply = self._request({"op": "load", "module": name}, raw=True)
        info = reply.get("load") or {}
        if info.get("missing"):
            raise SubmissionError(f"{name}.py is missing from {self.name}")
        if "import_error" in info:
            raise SubmissionError(clean(info["import_error"]))
        attrs = info.get("attrs")
        if not isinstance(attrs, dict) or len(attrs) > 10000:
            self._fail("protocol", "protocol violation: bad module listing")
        attrs = {clean(k, 200): clean(v, 20) for k, v in attrs.items()}
        proxy = ModuleProxy(self, name, attrs)
        self.modules[name] = proxy
        return proxy

    # -- calls ------------------------------------------------------------------------------------
    def _timeout_for(self, target: dict, kwargs: dict | None, ref: Remote | None) -> float:
        ex = _exercise_of(target["m"], target["a"]) if "m" in target else None
        return timelimit.limit_for(ex.id if ex else None, kwargs, self.manager.call_timeout)

    def _call(self, target: dict, args, kwargs, ref: Remote | None = None, pipe=None):
        timeout = self._timeout_for(target, kwargs, ref)
        if pipe is not None:
            return self._pipelined({"op": "call", "target": target}, pipe, list(args),
                                   dict(kwargs), ref, timeout)
        return self._request({"op": "call", "target": target}, args=list(args),
                             kwargs=dict(kwargs), ref=ref, timeout=timeout)

    # -- pipelining -------------------------------------------------------------------------------
    # A request whose result stays in the worker (a ``Value`` operator, ``y.tanh()``, a
    # constructor) is sent without waiting for its reply: we assign the result's handle id
    # ourselves and return a Remote at once. Which requests qualify is learned: a request shape
    # (what is called, and the kinds of its arguments: handles by type, or scalars) is pipelined
    # after a synchronous request of that shape returned a handle; a shape that ever returned
    # data, or a handle of another type, is never pipelined again. Arguments must be handles or
    # scalars, so nothing of ours can be edited in place. The queue is sent before the next
    # request that needs a reply (a value that crosses, a comparison, ``.data``), when it
    # reaches PIPE_MAX_REQUESTS or PIPE_MAX_BYTES, and at the end of every test. The worker
    # runs queued requests in order; the first one that raises makes it skip the rest and answer
    # the next synchronous request with that exception instead, so the test sees the same
    # exception type and message, raised at that later point of the same test.
    def _pipe_key(self, kind: tuple, args: list, kwargs: dict | None):
        tags = []
        for a in list(args) + (list(kwargs.values()) if kwargs else []):
            t = type(a)
            if t is Remote:
                if a._impl is not self or a._gen != self.generation:
                    return None
                tags.append(a._type)
            elif t in _SCALARS or (t is str and len(a) <= 200):
                tags.append(t)
            else:
                return None
        return kind + (tuple(tags), tuple(kwargs) if kwargs else ())

    def _pipelined(self, header: dict, kind: tuple, args: list, kwargs: dict | None,
                   ref: Remote | None, timeout: float | None = None):
        key = self._pipe_key(kind, args, kwargs)
        predicted = self._predict.get(key) if key is not None else None
        if (predicted is not None and self._depth == 0 and self._test_failure is None
                and (ref is None or ref._gen == self.generation)
                and self.process is not None and self.process.alive):
            remote = self._enqueue(header, args, kwargs, predicted, key, timeout)
            if remote is not None:
                return remote
        result = self._request(header, args=args, kwargs=kwargs, ref=ref, timeout=timeout)
        if key is not None and key not in self._unstable:
            if (isinstance(result, Remote) and result._impl is self
                    and self._predict.get(key, result._type) == result._type):
                if len(self._predict) < 10000:
                    self._predict[key] = result._type
            else:
                self._unstable.add(key)
                self._predict.pop(key, None)
        return result

    def _enqueue(self, header, args, kwargs, predicted: str, key: tuple, timeout):
        # _pipe_key admitted only this worker's handles and scalars, so the values are written
        # here directly; the queue leaves as one "batch" frame, its size bounded from above.
        try:
            data = [_pipe_value(a) for a in args]
            kw = None if kwargs is None else {"$d": [[k, _pipe_value(v)]
                                                     for k, v in kwargs.items()]}
        except ValueError:
            return None
        names = len(predicted) + sum(len(str(v)) for v in header.values())   # op, fn, target
        size = (_PIPE_HEADER + _JSON_CHAR * names + sum(map(_pipe_size, args))
                + (sum(_JSON_CHAR * len(k) + _pipe_size(v) for k, v in kwargs.items())
                   if kwargs else 0))
        if size > PIPE_MAX_BYTES:
            return None   # sent synchronously instead
        hid = self._next_pipe
        header = dict(header, id=self._next_id, pipe=[hid, predicted], args=data)
        if kw is not None:
            header["kwargs"] = kw
        if self._queue and (len(self._queue) >= PIPE_MAX_REQUESTS
                            or self._queue_bytes + size > PIPE_MAX_BYTES):
            self.flush()   # may raise the error of an earlier queued request, as it should
        if self.releases:
            rel = header["rel"] = self.releases[:RELEASES_PER_REQUEST]
            del self.releases[:RELEASES_PER_REQUEST]
            size += 24 * len(rel)
        self._next_id += 1
        self._next_pipe -= 1
        self._snapshot = {}
        self._queue.append(header)
        self._queue_bytes += size
        self._queue_limit = max(self._queue_limit, timeout or self.manager.call_timeout)
        self.pipelined += 1
        _PENDING.add(self)
        remote = Remote(self, hid, predicted, self.generation)
        self._queue_refs[hid] = (weakref.ref(remote), key)
        return remote

    def flush(self) -> None:
        """Send the queued requests (with a ping that waits for them); raise a deferred error."""
        if self._queue:
            if self._test_failure is not None:
                self._drop_queue()
                raise self._test_failure
            self._request({"op": "ping"})

    def _drop_queue(self) -> None:
        self._queue, self._queue_bytes, self._queue_limit = [], 0, 0.0
        self._queue_refs = {}
        _PENDING.discard(self)

    def _fixes(self, reply: dict) -> None:
        """Types the worker corrected for pipelined results (their shapes are never pipelined
        again; the live Remote takes the real type name)."""
        fixes = reply.get("fix")
        if isinstance(fixes, list):
            for item in fixes[:PIPE_MAX_REQUESTS]:
                if not (type(item) is list and len(item) == 2 and type(item[0]) is int
                        and type(item[1]) is str):
                    continue
                ref_key = self._queue_refs.get(item[0])
                if ref_key is None:
                    continue
                remote, key = ref_key[0](), ref_key[1]
                self._unstable.add(key)
                self._predict.pop(key, None)
                if remote is not None:
                    object.__setattr__(remote, "_type", clean(item[1], 100))
        self._queue_refs = {}

    def _take_snapshot(self, snap: Any, blobs) -> None:
        if not (type(snap) is list and len(snap) <= 1000):
            self._fail("protocol", "protocol violation by the worker: bad attribute snapshot")
        table = {}
        try:
            for item in snap:
                _need_pair(item)
                attrs = Decoder(blobs).decode(item[1])
                if type(attrs) is not dict or not all(
                        type(k) is str and type(v) in _SCALARS + (str,) for k, v in attrs.items()):
                    raise ProtocolError("bad attributes")
                table[item[0]] = attrs
        except ProtocolError:
            self._fail("protocol", "protocol violation by the worker: bad attribute snapshot")
        self._snapshot = table

    def _release(self, gen: int, hid: int) -> None:
        if gen == self.generation:
            self.releases.append(hid)

    def _encoder(self) -> Encoder:
        enc = Encoder()

        def on_object(obj):
            if isinstance(obj, Remote):
                if obj._impl is not self or obj._gen != self.generation:
                    raise WorkerFailure("an object from an earlier worker was used after the "
                                        "worker was restarted", "stale")
                return {"$h": [obj._hid, obj._type]}
            remote = getattr(obj, "__descent_remote__", None)
            if remote is not None:
                return {"$mk": [remote[0], enc.encode(list(remote[1]))]}
            if callable(obj):
                return {"$fn": self._callbacks_register(obj)}
            raise TypeError(f"a {type(obj).__name__} cannot be sent to the worker")
        enc.on_object = on_object
        return enc

    def _callbacks_register(self, fn: Callable) -> int:
        self._callbacks[self._cb_next] = fn
        self._cb_next += 1
        return self._cb_next - 1

    _callbacks: dict[int, Callable]
    _cb_next: int

    def _decoder(self, blobs) -> Decoder:
        gen = self.generation

        def special(tag, p, dec):
            if tag == "$h":
                if not (type(p) is list and len(p) == 2 and type(p[0]) is int
                        and type(p[1]) is str):
                    raise ProtocolError("malformed handle")
                return Remote(self, p[0], clean(p[1], 100), gen)
            if tag == "$fn":   # one of our own callables, handed back (e.g. in edited arguments)
                if type(p) is not int or p not in self._callbacks:
                    raise ProtocolError("unknown grader function")
                return self._callbacks[p]
            if tag == "$mk":
                from ..callables import FACTORIES, Described

                if not (type(p) is list and len(p) == 2 and p[0] in FACTORIES):
                    raise ProtocolError("unknown callable factory")
                args = dec.decode(p[1])
                if type(args) is not list:
                    raise ProtocolError("bad callable arguments")
                return Described(p[0], tuple(args))
            raise ProtocolError(f"the worker may not send {tag}")
        return Decoder(blobs, special)

    def _request(self, header: dict, *, args=None, kwargs=None, value=None, ref=None,
                 timeout: float | None = None, raw: bool = False, method_key=None,
                 sync: bool = True):
        if self._test_failure is not None:
            raise self._test_failure
        key = _request_key(header, ref)
        if key in self._hung:
            raise WorkerFailure(f"{self._hung[key]} earlier in this run; not called again",
                                "timeout")
        if ref is not None and ref._gen != self.generation:
            raise WorkerFailure("this object belonged to a worker that was restarted after an "
                                "earlier failure", "stale")
        process = self._ensure()
        self._snapshot = {}
        if self._depth == 0 and header.get("op") != "ping":
            self._callbacks, self._cb_next = {}, 1
        rid = self._next_id
        self._next_id += 1
        self.requests += 1
        self.requests_by_test[self._current_test] = self.requests_by_test.get(
            self._current_test, 0) + 1
        header = dict(header, id=rid)
        enc = self._encoder()
        try:
            if args is not None:
                header["args"] = enc.encode(args)
            if kwargs is not None:
                header["kwargs"] = enc.encode(kwargs)
            if value is not None or header.get("op") == "setattr":
                header["value"] = enc.encode(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"cannot send this argument to the worker: {exc}") from None
        if self.releases:
            header["rel"] = self.releases[:RELEASES_PER_REQUEST]
            del self.releases[:RELEASES_PER_REQUEST]
        header["b"] = [memoryview(b).nbytes for b in enc.blobs]
        if self._queue and sum(header["b"]) > PIPE_MAX_BYTES:
            # the worker may be busy with the queue: never block on a big send behind it
            self.flush()
        limit = timeout or self.manager.call_timeout
        queued, extra = self._queue, self._queue_limit
        deadline = time.monotonic() + limit + extra   # queued requests share one more limit
        if queued:
            self._queue, self._queue_bytes, self._queue_limit = [], 0, 0.0
            _PENDING.discard(self)
        self._depth += 1
        self._inflight.append((rid, args, kwargs))
        try:
            try:
                if queued:
                    process.sock.sendall(protocol.frame_bytes({"op": "batch", "reqs": queued}))
                protocol.send_frame(process.sock, header, enc.blobs)
            except OSError:
                self._died()
            while True:
                try:
                    reply, blobs = protocol.recv_frame(process.sock, deadline,
                                                       max_body=MAX_REPLY_BODY)
                except protocol.Timeout:
                    self._fail("timeout", self._hang(key, limit))
                except protocol.PeerClosed:
                    self._died()
                except ProtocolError as exc:
                    self._fail("protocol", f"protocol violation by the worker: {exc}")
                if "cb" in reply:
                    self._serve_callback(process, reply, blobs)
                    continue
                if "fatal" in reply:
                    self._fail("crash", f"the worker failed: {clean(reply['fatal'], 300)}")
                if reply.get("id") != rid:
                    self._fail("protocol", "protocol violation by the worker: reply to an "
                                           "unknown request")
                if "fix" in reply:
                    self._fixes(reply)
                else:
                    self._queue_refs = {}
                if reply.get("deferred"):
                    raw = False   # an earlier pipelined request failed: raise its exception
                if method_key is not None and reply.get("method") is True \
                        and len(self._methods) < 10000:
                    self._methods.add(method_key)
                if "snap" in reply and self._depth == 1:
                    self._take_snapshot(reply["snap"], blobs)
                self._stacked = reply.get("stacked")   # read by __descent_call_each__
                if not sync:
                    return self._reply(reply, blobs, None, None, raw)
                return self._reply(reply, blobs, args, kwargs, raw)
        finally:
            self._depth -= 1
            self._inflight.pop()

    def _reply(self, reply: dict, blobs, args, kwargs, raw: bool):
        hits = reply.get("hits")
        if isinstance(hits, dict):
            for ex, names in hits.items():
                if ex in exercises.EXERCISES and isinstance(names, list):
                    self.hits.setdefault(ex, set()).update(clean(n, 200) for n in names[:20])
        if raw:
            return reply
        if "protocol" in reply:
            self._fail("protocol", f"protocol violation: {clean(reply['protocol'], 300)}")
        if "bad_value" in reply:
            raise WorkerFailure(f"unsupported return value: {clean(reply['bad_value'], 300)}",
                                "value")
        if "exc" in reply:
            info = reply["exc"] if isinstance(reply["exc"], dict) else {}
            if "NotImplementedError" in (info.get("mro") or []) and not info.get("base"):
                exc = _remote_exception(info)
                raise exc
            raise _remote_exception(info)
        if "ok" not in reply:
            self._fail("protocol", "protocol violation: reply without a result")
        try:
            dec = self._decoder(blobs)
            result = dec.decode(reply["ok"])
            if "sync" in reply and (args is not None or kwargs is not None):
                sync = reply["sync"]
                if not isinstance(sync, dict):
                    raise ProtocolError("bad sync block")
                self._apply_sync(None, self._decoder(blobs), sync, (args, kwargs))
        except ProtocolError as exc:
            self._fail("protocol", f"protocol violation by the worker: {exc}")
        return result

    def _apply_edits(self, args, kwargs, new_args, new_kwargs) -> None:
        pairs = []
        if args is not None and isinstance(new_args, list) and len(new_args) == len(args):
            pairs += list(zip(args, new_args))
        if kwargs is not None and isinstance(new_kwargs, dict):
            pairs += [(old, new_kwargs[k]) for k, old in kwargs.items() if k in new_kwargs]
        for old, new in pairs:
            note_changes(old, new, self.modified_log)
            apply_inplace(old, new)

    def _apply_sync(self, rid, dec: Decoder, sync: dict, call: tuple | None = None) -> None:
        """Apply a sync block (the call's arguments as the worker has them now) to the call's
        arguments here: ``call`` is ``(args, kwargs)``, or the in-flight request ``rid``'s.
        ``dec`` must be a fresh decoder: the block was encoded on its own."""
        if call is None:
            call = next(((args, kwargs) for known, args, kwargs in reversed(self._inflight)
                         if known == rid), None)
            if call is None:
                raise ProtocolError("edits for a call that is not in progress")
        self._apply_edits(call[0], call[1], dec.decode(sync.get("args", [])),
                          dec.decode(sync.get("kwargs", {"$d": []})))

    def _serve_callback(self, process, header: dict, blobs) -> None:
        fn = self._callbacks.get(header.get("fn"))
        cid = header.get("cb")
        if fn is None or type(cid) is not int:
            self._fail("protocol", "protocol violation: call of an unknown grader function")
        try:
            dec = self._decoder(blobs)
            args = dec.decode(header.get("args", []))
            kwargs = dec.decode(header.get("kwargs", {"$d": []}))
            if type(args) is not list or type(kwargs) is not dict:
                raise ProtocolError("bad callback arguments")
            sync = header.get("sync")
            if sync is not None:   # the caller's arguments as the submission has them now
                if not isinstance(sync, dict):
                    raise ProtocolError("bad sync block")
                self._apply_sync(sync.get("rid"), self._decoder(blobs), sync)
        except ProtocolError as exc:
            self._fail("protocol", f"protocol violation by the worker: {exc}")
        enc = self._encoder()
        try:
            result = fn(*args, **kwargs)
            reply = {"cb": cid, "ok": enc.encode(result)}
        except WorkerFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - the grader's function failed on these inputs
            enc = Encoder()
            reply = {"cb": cid, "exc": f"{type(exc).__name__}: {str(exc)[:200]}"}
        reply["b"] = [memoryview(b).nbytes for b in enc.blobs]
        try:
            protocol.send_frame(process.sock, reply, enc.blobs)
        except OSError:
            self._died()

    # -- failures ---------------------------------------------------------------------------------
    def _died(self):
        reason = self.process.died_reason() if self.process is not None else "worker died"
        self._fail("crash", reason, killed=True)

    def _hang(self, key: tuple | None, limit: float) -> str:
        """The message for a request that timed out; its function is remembered as hung."""
        if key is None:
            return f"time limit exceeded ({limit:g} s)"
        message = timelimit.describe(" then ".join(key), limit)
        self._hung[key] = message
        return message

    def _fail(self, kind: str, message: str, killed: bool = False):
        self._drop_queue()
        if not killed and self.process is not None:
            self.process.kill()
        self.process = None
        self.modules = {}
        self.events.append({"test": self._current_test, "kind": kind, "message": message})
        failure = WorkerFailure(message, kind)
        self._test_failure = failure
        raise failure

    def __getattr__(self, name: str) -> Any:
        return Implementation.__getattr__(self, name)


def _request_key(header: dict, ref: "Remote | None") -> tuple | None:
    """The submission functions a request runs, by name: ``("step_lr",)``, ``("mse_forward",
    "mse_backward")`` for a backward fed its forward, ``("Value",)`` for a method of a Value."""
    target = header.get("target") or {}
    if isinstance(target, dict) and isinstance(target.get("a"), str):
        then = header.get("then") or {}
        return (target["a"],) + ((then["a"],) if isinstance(then.get("a"), str) else ())
    if ref is not None and header.get("op") not in ("getattr", "setattr", "ping", "load"):
        return (ref._type,)
    return None


def note_changes(old: Any, new: Any, log: list[int], depth: int = 0) -> None:
    """Record (by id) the grader's tensors and containers that the call edited in place.

    The edits themselves are then applied by :func:`apply_inplace`, so the grader's objects
    change exactly as they would in-process (graders detect in-place bugs by comparing their
    own objects before and after a call). The log lets ``check.unmodified`` name the edit even
    when an edit restored the original values.
    """
    if depth > 64:
        return
    if isinstance(old, torch.Generator):
        return
    if isinstance(old, torch.Tensor):
        if not (isinstance(new, torch.Tensor) and new.shape == old.shape
                and new.dtype == old.dtype
                and torch.equal(torch.nan_to_num(new.to(old.device)), torch.nan_to_num(old))):
            log.append(id(old))
        return
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        if len(old) != len(new) or type(old) is not type(new):
            log.append(id(old))
        for o, n in zip(old, new):
            note_changes(o, n, log, depth + 1)
        return
    if isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            log.append(id(old))
        for key in old:
            if key in new:
                note_changes(old[key], new[key], log, depth + 1)


def apply_inplace(old: Any, new: Any) -> Any:
    """Make ``old`` look like ``new`` where ``old`` is mutable; returns the object to keep."""
    if isinstance(old, torch.Tensor) and isinstance(new, torch.Tensor):
        with torch.no_grad():
            if old.shape == new.shape and old.dtype == new.dtype:
                old.copy_(new.to(old.device))
            else:
                old.data = new.to(old.device)
        return old
    if isinstance(old, torch.Generator) and isinstance(new, torch.Generator):
        old.set_state(new.get_state())
        return old
    if isinstance(old, list) and isinstance(new, list):
        kept = [apply_inplace(o, n) for o, n in zip(old, new)] + new[len(old):]
        old[:] = kept
        return old
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old):
            if key not in new:
                del old[key]
        for key, value in new.items():
            old[key] = apply_inplace(old[key], value) if key in old else value
        return old
    if isinstance(old, tuple) and isinstance(new, tuple) and len(old) == len(new):
        kept = tuple(apply_inplace(o, n) for o, n in zip(old, new))
        return old if all(a is b for a, b in zip(kept, old)) else kept
    return new
