"""The worker: serves calls into submission code over the data-only protocol.

Runs in a process forked by the fork server, after :mod:`.confinement` has been applied. One
request at a time: :meth:`Worker.handle` runs it through its handler (:mod:`.operations`) and
answers it, or keeps a pipelined request's result under its handle. The submission's modules are
:mod:`.submission`'s, the objects kept for the trusted side :mod:`.held`'s, and a call's edits of
its arguments are found by :mod:`.edit_watch`. The worker sends a frame back only as the reply
to a request, or to call back a trusted callable.
"""

from __future__ import annotations

import collections
import contextlib
from typing import Any

import numpy as np
import torch

from ..calls import callables, generators, steps
from ..calls.impl import profiled
from . import edit_watch, operations, protocol
from .edit_watch import blob_len, shift_blobs
from .encoding import Decoder, Encoder
from .held import Held, Poisoned
from .protocol import ProtocolError
from .submission import MAX_TEXT, Submission, text

_NONE = contextlib.nullcontext()


_FLOAT_ERRORS = frozenset({"divide", "invalid", "over"})


def _float_errors(raised: Any) -> contextlib.AbstractContextManager:
    """NumPy's float errors of ``raised`` (a list of kinds) raised for a trusted re-run."""
    kinds = (
        [k for k in raised if isinstance(k, str) and k in _FLOAT_ERRORS]
        if isinstance(raised, list)
        else []
    )
    return np.errstate(**dict.fromkeys(kinds, "raise")) if kinds else _NONE


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


class Worker:
    """One worker's request loop over its socket: requests in, one reply each (pipelined ones
    later, if at all), and callbacks out to the trusted side."""

    def __init__(self, sock, folder: str | None, variant: dict | None = None):
        self.sock = sock
        self.submission = Submission(folder, variant)
        self.held = Held()
        self.next_cb = 1
        self.ran: collections.Counter = collections.Counter()  # calls traced requests made
        self.steps: list = []  # values watched requests computed (op "steps")
        self.active: list[dict] = []  # calls in progress (a callback may be inside one)
        # Pipelining: requests with "pipe": [hid, predicted type] get no reply; their result is
        # kept under the trusted side's hid. The first error is held until the next request
        # that expects a reply, which gets it instead of running (as in-process, nothing after
        # the failing operation runs); corrections of predicted types and tripwire hits wait too.
        self.deferred: dict | None = None
        self.pending_hits: dict[str, set[str]] = {}
        self.fixes: list = []
        # the global random states (torch's CPU generator, NumPy's, Python's) before any student
        # code ran: each grader file starts from them again (op_seed), whichever files this
        # worker served before
        self.first_state = generators.states()

    def reseed(self, seed: int | None = None) -> None:
        """The global generators back to their first states, or seeded with ``seed``."""
        if seed is None:
            generators.restore(self.first_state)
        else:
            generators.seed_all(seed)

    # -- handles ------------------------------------------------------------------------------
    def to_handle(self, obj: Any, exercise: str | None, enc: Encoder) -> dict:
        if isinstance(obj, CallbackStub):
            return {"$fn": obj._fid}
        if isinstance(obj, callables.Described):
            name, args = obj.__descent_remote__
            return {"$mk": [name, enc.encode(list(args))]}
        return self.held.handle(obj, exercise)

    def encoder(self, exercise: str | None = None) -> Encoder:
        return Encoder(lambda obj, enc: self.to_handle(obj, exercise, enc))

    def decoder(self, blobs, watch: bool = False) -> Decoder:
        """A decoder of a request's values; ``watch`` for a call's arguments, whose edits go
        back to the grader (see operations._run_synced)."""

        def special(tag, p, dec):
            if tag == "$h":
                if not (type(p) is list and p):
                    raise ProtocolError("unknown handle")
                return self.held.get(p[0])
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

    def resolve(self, target: dict) -> tuple[Any, str | None]:
        """What a request's target names: a held object (or one of its methods), or a function
        of the submission; and the exercise it belongs to."""
        if "h" in target:
            hid = target["h"]
            obj = self.held.get(hid)
            if "meth" in target:  # obj.<meth>, looked up now (a method call in one round trip)
                if type(target["meth"]) is not str:
                    raise ProtocolError("bad method name")
                obj = getattr(obj, target["meth"])
            return obj, self.held.exercise(hid)
        return self.submission.function(target)

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
        self.held.release(header.get("rel", ()))
        if not self._admit(header, rid, pipe):
            return
        out = operations.Outcome()
        handler = operations.HANDLERS.get(header.get("op"))
        try:
            if handler is None:
                raise ProtocolError(f"unknown op {header.get('op')!r}")
            # a trusted re-run that asks where a float first went wrong, or which functions ran
            with _float_errors(header.get("strict")):
                with self._traced() if header.get("trace") is True else _NONE:
                    with self._watched() if header.get("watch") is True else _NONE:
                        if handler(self, header, blobs, out) is operations.REPLIED:
                            return
        except ProtocolError as exc:
            self._send({"id": rid, "protocol": str(exc)[:MAX_TEXT]})
            return
        except Poisoned as exc:
            self._failed(rid, pipe, exc.info)
            return
        except BaseException as exc:  # noqa: BLE001 - everything the student raises is reported
            self._note_hits(out)
            self._failed(rid, pipe, self.submission.describe(exc))
            return
        if pipe is not None:
            self._keep(pipe, out)
        else:
            self._reply(rid, out)

    def _traced(self) -> contextlib.AbstractContextManager:
        """The submission's functions the request runs, added to :attr:`ran`."""
        return profiled(str(self.submission.folder), self.ran)

    def _watched(self) -> contextlib.AbstractContextManager:
        """The values the submission's code computes in the request, added to :attr:`steps`."""
        return steps.watched(str(self.submission.folder), self.steps)

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
                and pipe[0] not in self.held
                and type(pipe[1]) is str
                and header.get("op") in operations.PIPELINED
            ):
                self._send({"id": rid, "protocol": "bad pipelined request"})
                return False
            if self.deferred is not None:
                self.held.fail(pipe[0], self.deferred)
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
        self.held.fail(pipe[0], info)

    def _note_hits(self, out: operations.Outcome) -> None:
        if out.hits and out.exercise:
            self.pending_hits.setdefault(out.exercise, set()).update(out.hits)

    def _keep(self, pipe: list, out: operations.Outcome) -> None:
        """Keep a pipelined result under the handle the trusted side chose; correct its type
        if the prediction was wrong."""
        hid, result = pipe[0], out.result
        self.held.keep(hid, result, out.exercise)
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
            self._send({"id": rid, "bad_value": text(lambda e=exc: str(e))})
            return
        reply = {"id": rid, "ok": payload, "b": [blob_len(b) for b in enc.blobs]}
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
            reply["sync"] = {k: shift_blobs(v, base) for k, v in sync.items()}
            blobs_out += extra
            reply["b"] = [blob_len(b) for b in blobs_out]
        self._send_raw(reply, blobs_out)

    def sync_of(self, call: dict):
        """The arguments of ``call`` (one of ``active``) re-encoded, if it edited them."""
        return edit_watch.sync_of(call, self.encoder)

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
            sync = self.sync_of(call)
            if sync is not None:
                data, extra = sync
                header["sync"] = {
                    "rid": call["rid"],
                    **{k: shift_blobs(v, len(blobs_out)) for k, v in data.items()},
                }
                blobs_out += extra
        header["b"] = [blob_len(b) for b in blobs_out]
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
