"""The worker: serves calls into submission code over the data-only protocol.

Runs in a process forked by the fork server, after :mod:`confinement` has been applied. It imports
the submission's modules on request (as a package under a private name, like
:class:`descent.calls.impl.FolderImplementation`), calls functions, builds objects, and keeps anything
that is not plain data in a handle table. Requests come from the trusted side; the worker sends
a frame back only as the reply to one, or to call back a trusted callable.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import math
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import catalogue, registry
from ..calls import callables
from ..calls.impl import _describe_import_error
from . import cells, operations, protocol
from .protocol import Decoder, Encoder, ProtocolError

PACKAGE = "_descent_submission"
_EXERCISE_OF: dict = {}
MAX_TEXT = 2000


class CallbackStub:
    """A trusted-side callable, seen from the worker; calling it asks the trusted side."""

    def __init__(self, worker: Worker, fid: int):
        self._worker, self._fid = worker, fid

    def __call__(self, *args, **kwargs):
        return self._worker.callback(self._fid, args, kwargs)

    def __repr__(self):
        return "<function from the grader>"


class CallbackFailed(RuntimeError):
    pass


class _Failed:
    """The handle of a pipelined operation that raised (or was skipped after one that did)."""

    __slots__ = ("info",)

    def __init__(self, info: dict):
        self.info = info


class _Poisoned(Exception):
    """A request used the result of a pipelined operation that failed: its error again."""

    def __init__(self, info: dict):
        super().__init__("poisoned")
        self.info = info


class Worker:
    def __init__(self, sock, folder: str | None, variant: dict | None = None):
        self.sock = sock
        self.folder = folder
        self.variant = variant or {}
        self.handles: dict[int, Any] = {}
        self.handle_ex: dict[int, str | None] = {}
        self.ids: dict[int, int] = {}
        self.next_handle = 1
        self.next_cb = 1
        self.modules: dict[str, Any] = {}
        self.overrides: dict[tuple[str, str], Any] | None = None
        self.package = None
        self.hits: dict[str, set[str]] = {}
        self.active: list[dict] = []  # calls in progress (a callback may be inside one)
        # Pipelining: requests with "pipe": [hid, predicted type] get no reply; their result is
        # kept under the trusted side's hid. The first error is held until the next request
        # that expects a reply, which gets it instead of running (as in-process, nothing after
        # the failing operation runs); corrections of predicted types and tripwire hits wait too.
        self.deferred: dict | None = None
        self.pending_hits: dict[str, set[str]] = {}
        self.fixes: list = []
        # torch's global random state (the CPU generator's) before any student code ran: each
        # grader file starts from it again (op_seed), whichever files this worker served before
        self.first_state = torch.get_rng_state()

    def reseed(self) -> None:
        torch.set_rng_state(self.first_state)

    # -- handles ------------------------------------------------------------------------------
    def to_handle(self, obj: Any, exercise: str | None, enc: Encoder) -> dict:
        if isinstance(obj, CallbackStub):
            return {"$fn": obj._fid}
        if isinstance(obj, callables.Described):
            name, args = obj.__descent_remote__
            return {"$mk": [name, enc.encode(list(args))]}
        return self._new_handle(obj, exercise)

    def _new_handle(self, obj: Any, exercise: str | None) -> dict:
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None or self.handles.get(hid) is not obj:
            hid = self.next_handle
            self.next_handle += 1
            self.handles[hid] = obj
            self.ids[key] = hid
            self.handle_ex[hid] = exercise
        try:
            tname = type(obj).__name__[:100]
        except Exception:  # noqa: BLE001 - a hostile class's name
            tname = "object"
        return {"$h": [hid, str(tname)]}

    def encoder(self, exercise: str | None = None) -> Encoder:
        enc = Encoder()
        enc.on_object = lambda obj: self.to_handle(obj, exercise, enc)
        return enc

    def decoder(self, blobs, watch: bool = False) -> Decoder:
        """A decoder of a request's values; ``watch`` for a call's arguments, whose edits go
        back to the grader (see operations._run_synced)."""

        def special(tag, p, dec):
            if tag == "$h":
                if not (type(p) is list and p and type(p[0]) is int and p[0] in self.handles):
                    raise ProtocolError("unknown handle")
                obj = self.handles[p[0]]
                if type(obj) is _Failed:
                    raise _Poisoned(obj.info)
                return obj
            if tag == "$fn":
                if type(p) is not int:
                    raise ProtocolError("bad callback id")
                return CallbackStub(self, p)
            if tag == "$mk":
                if not (type(p) is list and len(p) == 2 and p[0] in callables.FACTORIES):
                    raise ProtocolError("unknown callable factory")
                args = dec.decode(p[1])
                if type(args) is not list:
                    raise ProtocolError("bad callable arguments")
                return callables.Described(p[0], tuple(args))
            raise ProtocolError(f"unexpected {tag}")

        return Decoder(blobs, special, watch=watch)

    # -- modules ------------------------------------------------------------------------------
    def _ensure_package(self):
        if self.package is None:
            spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
            spec.submodule_search_locations = [self.folder] if self.folder else []
            self.package = importlib.util.module_from_spec(spec)
            sys.modules[PACKAGE] = self.package
        return self.package

    def load(self, name: str) -> dict:

        if name not in registry.MODULES and not (name == cells.MODULE and name in self.modules):
            raise LookupError(f"{name} is not an exercise module")
        if name not in self.modules:
            path = Path(self.folder or "/nonexistent", f"{name}.py")
            if not path.is_file():
                return {"missing": True}
            self._ensure_package()
            try:
                mod = importlib.import_module(f"{PACKAGE}.{name}")
            except BaseException as exc:  # noqa: BLE001 - the student's import, whatever it raises
                return {
                    "import_error": f"{name}.py could not be imported: "
                    f"{_text(lambda e=exc: _describe_import_error(e, path))}"
                }
            self.modules[name] = mod
        mod = self.modules[name]
        names = {}
        for attr in list(vars(mod)):
            if attr.startswith("__"):
                continue
            value = vars(mod)[attr]
            names[attr] = (
                "class" if isinstance(value, type) else "function" if callable(value) else "data"
            )
        for m, fn in self._overrides():
            if m == name:
                names[fn] = "function"
        return {"attrs": names}

    def _overrides(self) -> dict:
        if self.overrides is None:
            self.overrides = {}
            if self.variant:
                catalogue.load(self.variant["catalogue"])
                v = catalogue.get(self.variant["id"])
                self.overrides = v.overrides(self._base_function)
        return self.overrides

    def _base_function(self, module: str, name: str):
        """The reference's own function (a derived variant wraps it), never an override."""
        self.load(module)
        return getattr(self.modules[module], name)

    def resolve(self, target: dict) -> tuple[Any, str | None]:
        if "h" in target:
            hid = target["h"]
            if type(hid) is not int or hid not in self.handles:
                raise ProtocolError("unknown handle")
            obj = self.handles[hid]
            if type(obj) is _Failed:
                raise _Poisoned(obj.info)
            if "meth" in target:  # obj.<meth>, looked up now (a method call in one round trip)
                if type(target["meth"]) is not str:
                    raise ProtocolError("bad method name")
                obj = getattr(obj, target["meth"])
            return obj, self.handle_ex.get(hid)
        module, attr = target.get("m"), target.get("a")
        if type(module) is not str or type(attr) is not str:
            raise ProtocolError("bad call target")
        key = (module, attr)
        if key not in _EXERCISE_OF:
            _EXERCISE_OF[key] = registry.exercise_of(module, attr)
        ex = _EXERCISE_OF[key]
        over = self._overrides().get((module, attr))
        if over is not None:
            return over, ex.id if ex else None
        if module not in self.modules:
            info = self.load(module)
            if module not in self.modules:
                raise LookupError(info)
        return getattr(self.modules[module], attr), ex.id if ex else None

    # -- the loop -----------------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            header, blobs = protocol.recv_frame(self.sock)
            if header.get("op") == "bye":
                return
            try:
                self.handle(header, blobs)
            except ProtocolError:
                raise
            except Exception as exc:  # noqa: BLE001 - a defect here must not look like a hang
                self._send(
                    {
                        "id": header.get("id"),
                        "bad_value": f"worker error {type(exc).__name__}: {exc}"[:MAX_TEXT],
                    }
                )

    def handle(self, header: dict, blobs) -> None:
        """Run one request and answer it (pipelined requests are answered later, if at all)."""
        if header.get("op") == "batch":  # queued pipelined requests, sent together
            self._batch(header, blobs)
            return
        rid, pipe = header.get("id"), header.get("pipe")
        self._release(header.get("rel", ()))
        if not self._admit(header, rid, pipe):
            return
        out = operations.Outcome()
        handler = operations.HANDLERS.get(header.get("op"))
        try:
            if handler is None:
                raise ProtocolError(f"unknown op {header.get('op')!r}")
            if handler(self, header, blobs, out) is operations.REPLIED:
                return
        except ProtocolError as exc:
            self._send({"id": rid, "protocol": str(exc)[:MAX_TEXT]})
            return
        except _Poisoned as exc:
            self._failed(rid, pipe, exc.info)
            return
        except BaseException as exc:  # noqa: BLE001 - everything the student raises is reported
            self._note_hits(out)
            self._failed(rid, pipe, self.describe(exc))
            return
        if pipe is not None:
            self._keep(pipe, out)
        else:
            self._reply(rid, out)

    def _batch(self, header: dict, blobs) -> None:
        reqs = header.get("reqs")
        if not (
            type(reqs) is list
            and len(reqs) <= MAX_BATCH
            and all(type(r) is dict and r.get("pipe") is not None for r in reqs)
        ):
            self._send({"id": None, "protocol": "bad batch of pipelined requests"})
            return
        for req in reqs:
            self.handle(req, blobs)

    def _release(self, hids) -> None:
        """Forget the handles the trusted side no longer holds."""
        for hid in hids:
            obj = self.handles.pop(hid, None) if type(hid) is int else None
            self.handle_ex.pop(hid, None)
            if obj is not None and self.ids.get(id(obj)) == hid:
                del self.ids[id(obj)]

    def _admit(self, header: dict, rid, pipe) -> bool:
        """Whether the request runs now. A pipelined one must name a fresh negative handle;
        after an earlier pipelined failure, a pipelined request is skipped and the next
        synchronous one gets that failure instead of running (as in-process)."""
        if pipe is not None:
            if not (
                type(pipe) is list
                and len(pipe) == 2
                and type(pipe[0]) is int
                and pipe[0] < 0
                and pipe[0] not in self.handles
                and type(pipe[1]) is str
                and header.get("op") in operations.PIPELINED
            ):
                self._send({"id": rid, "protocol": "bad pipelined request"})
                return False
            if self.deferred is not None:
                self.handles[pipe[0]] = _Failed(self.deferred)
                return False
        elif self.deferred is not None:
            info, self.deferred = self.deferred, None
            self._send({"id": rid, "exc": info, "deferred": True})
            return False
        return True

    def _failed(self, rid, pipe, info: dict) -> None:
        """An operation raised: answer with the exception, or hold it for a pipelined one."""
        if pipe is None:
            self._send({"id": rid, "exc": info})
            return
        self.deferred = info
        self.handles[pipe[0]] = _Failed(info)

    def _note_hits(self, out: operations.Outcome) -> None:
        if out.hits and out.exercise:
            self.pending_hits.setdefault(out.exercise, set()).update(out.hits)

    def _keep(self, pipe: list, out: operations.Outcome) -> None:
        """Keep a pipelined result under the handle the trusted side chose; correct its type
        if the prediction was wrong."""
        hid, result = pipe[0], out.result
        self.handles[hid] = result
        self.handle_ex[hid] = out.exercise
        known = self.ids.get(id(result))
        if known is None or self.handles.get(known) is not result:
            self.ids[id(result)] = hid
        self._note_hits(out)
        try:
            tname = str(type(result).__name__)[:100]
        except Exception:  # noqa: BLE001
            tname = "object"
        if tname != pipe[1] or _plain(result):
            self.fixes.append([hid, tname])

    def _reply(self, rid, out: operations.Outcome) -> None:
        enc = self.encoder(out.exercise)
        try:
            payload = enc.encode(out.result)
        except BaseException as exc:  # noqa: BLE001
            self._send({"id": rid, "bad_value": _text(lambda e=exc: str(e))})
            return
        reply = {"id": rid, "ok": payload, "b": [protocol_len(b) for b in enc.blobs]}
        if out.method:
            reply["method"] = True
        if out.stacked is not None:
            reply["stacked"] = out.stacked
        if out.snap:
            reply["snap"] = out.snap
        self._note_hits(out)
        blobs_out = list(enc.blobs)
        if out.sync is not None:
            sync, extra = out.sync
            base = len(blobs_out)
            reply["sync"] = {k: _shift_blobs(v, base) for k, v in sync.items()}
            blobs_out += extra
            reply["b"] = [protocol_len(b) for b in blobs_out]
        self._send_raw(reply, blobs_out)

    # -- used by the operation handlers (operations.py, which does not import this module) ------
    def layout(self, args: list, kwargs: dict) -> Any:
        return _layout(args, kwargs)

    def snapshots(self, value: Any) -> bool:
        """Whether reading this attribute value sends a snapshot of the object's class."""
        return type(value) in _SNAP_TYPES

    def exercise_of(self, args) -> str | None:
        """The exercise of the first argument that is a held object."""
        for a in args:
            hid = self.ids.get(id(a))
            if hid is not None and self.handles.get(hid) is a:
                return self.handle_ex.get(hid)
        return None

    def _snapshot(self, cls: type) -> list:
        """The plain attributes of every held object of class ``cls``, as they are now.

        Sent with the reply to an attribute read, so that the trusted side answers the reads
        that follow (``[n.data for n in nodes]``) without a round trip, until it sends its next
        request. Only instance-dict entries that a read returns unchanged qualify: scalars and
        short strings, of a class without ``__getattribute__`` and not shadowed by a data
        descriptor of the class.
        """
        if cls.__getattribute__ is not object.__getattribute__:
            return []
        out, seen = [], 0
        shadowed: dict[str, bool] = {}  # name -> a data descriptor of cls (one MRO walk each)
        for hid, obj in self.handles.items():
            seen += 1
            if seen > SNAPSHOT_SCAN or len(out) >= SNAPSHOT_OBJECTS:
                break
            if type(obj) is not cls:
                continue
            attrs = getattr(obj, "__dict__", None)
            if type(attrs) is not dict:
                continue
            plain = {}
            for name, value in attrs.items():
                if (
                    type(name) is str
                    and len(name) <= 100
                    and type(value) in _SNAP_TYPES
                    and (type(value) is not str or len(value) <= 200)
                    and (type(value) is not int or abs(value) < 2**63)
                    and not (
                        shadowed[name]
                        if name in shadowed
                        else shadowed.setdefault(name, _data_descriptor(cls, name))
                    )
                ):
                    plain[name] = value
                    if len(plain) >= 16:
                        break
            if plain:
                out.append(
                    [
                        hid,
                        {
                            "$d": [
                                [
                                    k,
                                    v
                                    if type(v) is not float or math.isfinite(v)
                                    else {"$f": repr(v)},
                                ]
                                for k, v in plain.items()
                            ]
                        },
                    ]
                )
        return out

    def _sync_of(self, call: dict):
        """The call's arguments as they are now, if the call edited them (or sent an edit
        earlier, during a callback): the trusted side applies them to its own objects."""
        # Tensors decoded from a request share memory with its frame, so an edit also changes
        # the "original" bytes: detection compares each tensor with the version and the CRC of
        # its bytes taken when it was decoded (any edit, even one that leaves the version
        # alone), and container layouts; the trusted side compares values before it logs one.
        if not (
            call["synced"]
            or _modified(call["leaves"])
            or _layout(call["args"], call["kwargs"]) != call["before"]
        ):
            return None
        sync = self._changed(call["args"], call["kwargs"], call["exercise"])
        if sync is not None:
            call["synced"] = True
        return sync

    def _changed(self, args, kwargs, exercise):
        """The call's arguments re-encoded as they are now (so the caller sees the edit)."""
        enc = self.encoder(exercise)
        try:
            new_args = enc.encode(args)
            new_kwargs = enc.encode(kwargs)
        except BaseException:  # noqa: BLE001
            return None
        return {"args": new_args, "kwargs": new_kwargs}, list(enc.blobs)

    def describe(self, exc: BaseException) -> dict:
        mro = [c.__name__ for c in type(exc).__mro__][:20]
        where = []
        roots = [r for r in (self.folder, self.variant.get("catalogue")) if r]
        for frame in traceback.extract_tb(exc.__traceback__):
            if any(frame.filename.startswith(r) for r in roots):
                where.append(f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}")
        return {
            "type": _text(lambda: type(exc).__name__)[:100],
            "mro": mro,
            "msg": _text(lambda: str(exc)),
            "where": where[-3:],
            "base": not isinstance(exc, Exception),
        }

    # -- callbacks ---------------------------------------------------------------------------------
    def callback(self, fid: int, args, kwargs):
        cid = self.next_cb
        self.next_cb += 1
        enc = self.encoder()
        header = {
            "cb": cid,
            "fn": fid,
            "args": enc.encode(list(args)),
            "kwargs": enc.encode(dict(kwargs)),
        }
        blobs_out = list(enc.blobs)
        if self.active:  # the grader's function may look at the caller's arguments: sync first
            call = self.active[-1]
            sync = self._sync_of(call)
            if sync is not None:
                data, extra = sync
                header["sync"] = {
                    "rid": call["rid"],
                    **{k: _shift_blobs(v, len(blobs_out)) for k, v in data.items()},
                }
                blobs_out += extra
        header["b"] = [protocol_len(b) for b in blobs_out]
        self._send_raw(header, blobs_out)
        while True:
            reply, blobs = protocol.recv_frame(self.sock)
            if "op" in reply:  # the callback calls back into the submission
                self.handle(reply, blobs)
                continue
            if reply.get("cb") != cid:
                raise ProtocolError("unexpected reply to a callback")
            if "exc" in reply:
                raise CallbackFailed(f"the grader's function raised {reply['exc']}")
            return self.decoder(blobs).decode(reply.get("ok"))

    def _send(self, header: dict) -> None:
        header.setdefault("b", [])
        self._send_raw(header, [])

    def _send_raw(self, header: dict, blobs) -> None:
        if "id" in header:  # a reply: it carries what pipelined requests left to report
            if self.pending_hits:
                header["hits"] = {ex: sorted(names)[:50] for ex, names in self.pending_hits.items()}
                self.pending_hits = {}
            if self.fixes:
                header["fix"], self.fixes = self.fixes[:10000], []
        protocol.send_frame(self.sock, header, blobs)


MAX_BATCH = 10_000  # pipelined requests in one batch frame

# Attribute values a snapshot may carry (immutable: the trusted side may hand out the same one).
_SNAP_TYPES = (type(None), bool, int, float, str)
SNAPSHOT_OBJECTS = 1000
SNAPSHOT_SCAN = 5000


def _data_descriptor(cls: type, name: str) -> bool:
    for klass in cls.__mro__:
        if name in vars(klass):
            attr = vars(klass)[name]
            return hasattr(type(attr), "__set__") or hasattr(type(attr), "__delete__")
    return False


_PLAIN = (
    type(None),
    bool,
    int,
    float,
    str,
    complex,
    list,
    tuple,
    dict,
    torch.Tensor,
    torch.dtype,
    torch.device,
    torch.Size,
    torch.Generator,
    slice,
)


def _plain(obj: Any) -> bool:
    """Would cross as data (so a synchronous call would not have returned a handle)."""

    return (
        type(obj) in _PLAIN
        or obj is Ellipsis
        or type(obj) is np.ndarray
        or isinstance(obj, np.generic)
    )


def _layout(args: list, kwargs: dict) -> Any:
    """The signature of the containers among the arguments (the argument list itself is the
    worker's own: a call cannot change it)."""
    nested = [a for a in args if type(a) in (list, dict, tuple)]
    nested += [v for v in kwargs.values() if type(v) in (list, dict, tuple)]
    return _signature(nested) if nested else None


def _signature(obj: Any, depth: int = 0) -> Any:
    """Identity and layout of the containers in the arguments (cheap change detection)."""
    t = type(obj)
    if depth > 40:
        return id(obj)
    if t is list:
        return ("l", id(obj), len(obj), tuple(_signature(v, depth + 1) for v in obj))
    if t is dict:
        return (
            "d",
            id(obj),
            tuple(map(id, obj)),
            tuple(_signature(v, depth + 1) for v in obj.values()),
        )
    if t is tuple:
        return ("t", tuple(_signature(v, depth + 1) for v in obj))
    return id(obj)


def _modified(leaves) -> bool:
    for obj, before in leaves:
        if isinstance(obj, torch.Tensor):
            if not protocol.unchanged(obj, before):
                return True
        elif bytes(obj.get_state().numpy()) != before:
            return True
    return False


def protocol_len(b) -> int:
    return memoryview(b).nbytes if not isinstance(b, (bytes, bytearray)) else len(b)


def _shift_blobs(data: Any, base: int) -> Any:
    if isinstance(data, list):
        return [_shift_blobs(v, base) for v in data]
    if isinstance(data, dict):
        ((tag, p),) = data.items()
        if tag in ("$T", "$A", "$G"):
            return {tag: [p[0] + base, *p[1:]]}
        return {tag: _shift_blobs(p, base)}
    return data


def _text(fn) -> str:
    try:
        text = fn()
        if type(text) is not str:
            text = str.__str__(text) if isinstance(text, str) else "<unprintable>"
    except BaseException:  # noqa: BLE001
        text = "<unprintable>"
    return text[:MAX_TEXT]
