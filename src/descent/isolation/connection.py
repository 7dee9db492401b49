"""The trusted side of one connection to a worker: requests, replies, time limits, failures.

A :class:`Connection` starts its worker on first use (through the isolation manager), sends one
request at a time and waits for its reply under a time limit, serves the worker's calls back to
grader functions, copies edits of arguments back, and turns everything that goes wrong into a
:class:`WorkerFailure`: a time limit, a crash, an out-of-memory kill or a protocol violation
kills the worker's whole tree and fails the current test with a reason; the next request starts
a fresh worker. A function that timed out is not called again in the run, so one infinite loop
costs one time limit instead of one per test; nor is a module whose import timed out imported
again. Nothing from the worker is unpickled or evaluated.

Pipelined requests (:mod:`.pipeline`) ride in front of the next request that needs a reply.
"""

from __future__ import annotations

from typing import Any

from .. import registry
from ..calls import timelimit
from . import protocol
from .codec import Codec
from .edits import apply_edits
from .encoding import Decoder, Encoder
from .errors import WorkerFailure, clean, remote_exception
from .handles import Remote, exercise_of
from .pipeline import PIPE_MAX_BYTES, Pipeline
from .protocol import ProtocolError

MAX_REPLY_BODY = 256 << 20
RELEASES_PER_REQUEST = 1000
_SCALARS = (type(None), bool, int, float, str)


class Connection:
    """One submission's worker, as a channel of requests; see the module docstring."""

    def __init__(
        self,
        name: str,
        manager,
        *,
        folder: str | None,
        variant: dict | None = None,
        read_extra: tuple[str, ...] = (),
    ):
        self.name, self.manager = name, manager
        # What the manager starts the worker with.
        self.folder, self.variant, self.read_extra = folder, variant, tuple(read_extra)
        self.process = None
        self.applied: list[str] = []  # the confinement its last worker reported in force
        self.generation = 0  # one more each time a worker starts
        self.pipeline = Pipeline(self)
        self.codec = Codec(self)
        self.requests = 0  # round trips, all told and per test
        self.requests_by_test: dict[str | None, int] = {}
        self.events: list[dict] = []  # failures, for the results
        self.hits: dict[str, set[str]] = {}  # exercise -> forbidden APIs the worker saw used
        self.strict: tuple[str, ...] = ()  # NumPy float errors raised in requests (a re-run)
        self.trace = False  # requests record the submission's functions they run (op "ran")
        self.watch = False  # requests record the values the submission computes (op "steps")
        self.modified_log: list[int] = []  # ids of grader objects edited in place
        self.methods: set[tuple[str, str]] = set()  # (type name, attribute) known as methods
        # Plain attributes of worker objects after the last reply (hid -> {name: value}); any
        # request makes it stale (see held.Held.snapshot).
        self.snapshot: dict[int, dict[str, Any]] = {}
        self.snapshot_reads = 0
        self.stacked: Any = None  # "stacked" of the last reply (a sweep's layout)
        self.current_test: str | None = None
        self.grader_file: str | None = None  # of the current test (see _reseed)
        self.test_failure: WorkerFailure | None = None
        self._hung: dict[tuple, str] = {}  # request key -> why it is not called again
        self._releases: list[int] = []  # handles whose Remote was collected
        self._next_id = 1
        self._depth = 0  # > 0 while a request (or its callback) runs
        self._inflight: list[tuple] = []  # (id, args, kwargs) of requests in progress

    @property
    def key(self) -> tuple:
        """What its workers load and may read: a worker started ahead of need
        (:meth:`IsolationManager.prestart`) serves the connection whose key it was started for."""
        return (self.folder, self.variant, self.read_extra)

    # -- lifecycle ---------------------------------------------------------------------------
    def begin_test(self, nodeid: str) -> None:
        if self.pipeline.queue:  # left by a fixture or a test that ended without a flush
            try:
                self.pipeline.flush()
            except Exception:  # noqa: BLE001 - belongs to the previous test, already scored
                pass
        self.current_test = nodeid
        self.test_failure = None
        grader_file = nodeid.split("::", 1)[0]
        if grader_file != self.grader_file:
            self.grader_file = grader_file
            self._reseed()

    def _reseed(self) -> None:
        """Each grader file starts from the worker's first random state, so that what a file's
        tests see never depends on which files this worker served before (two processes that
        share a grading each serve some of them: descent.grading.split). A fresh worker is
        in that state already."""
        if self.process is None or not self.process.alive:
            return
        try:
            self.request({"op": "seed"}, raw=True)
        except WorkerFailure:
            # it died or hung after the last test: the next call starts a fresh worker, which
            # is in that state, as it would have without this request
            self.test_failure = None

    def seed_global(self, seed: int) -> None:
        """Seed the worker's global generators with ``seed`` (Implementation.seed_global)."""
        self.request({"op": "seed", "seed": int(seed)}, raw=True)

    def ensure(self):
        """The running worker, started (again) if there is none."""
        if self.process is None or not self.process.alive:
            self.process = self.manager.start_worker(self)
            self.applied = list(getattr(self.process, "applied", None) or [])
            self.generation += 1
            self._releases = []
            self.pipeline.drop()
        return self.process

    def close(self, wait: bool = True) -> None:
        """Stop the worker (``wait``: see :meth:`WorkerProcess.kill`)."""
        self.pipeline.drop()
        if self.process is not None:
            self.process.kill(wait=wait)
            self.process = None

    # -- small services for the proxies and the pipeline -------------------------------------
    def can_pipeline(self, ref: Remote | None) -> bool:
        return (
            self._depth == 0
            and self.test_failure is None
            and (ref is None or ref._gen == self.generation)
            and self.process is not None
            and self.process.alive
        )

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def release(self, gen: int, hid: int) -> None:
        if gen == self.generation:
            self._releases.append(hid)

    def attach_releases(self, header: dict) -> int:
        """Put released handles on ``header``; returns the bytes they add."""
        if not self._releases:
            return 0
        rel = header["rel"] = self._releases[:RELEASES_PER_REQUEST]
        del self._releases[:RELEASES_PER_REQUEST]
        return 24 * len(rel)

    def timeout_for(self, target: dict, kwargs: dict | None, batch: bool = False) -> float:
        ex = exercise_of(target["m"], target["a"]) if "m" in target else None
        limit = timelimit.limit_for(ex.id if ex else None, kwargs, self.manager.call_timeout)
        return timelimit.explored(limit * timelimit.BATCH_FACTOR if batch else limit)

    def call(self, target: dict, args, kwargs, ref: Remote | None = None, pipe=None):
        timeout = self.timeout_for(target, kwargs)
        if pipe is not None:
            return self.pipeline.submit(
                {"op": "call", "target": target}, pipe, list(args), dict(kwargs), ref, timeout
            )
        return self.request(
            {"op": "call", "target": target},
            args=list(args),
            kwargs=dict(kwargs),
            ref=ref,
            timeout=timeout,
        )

    # -- one request -------------------------------------------------------------------------
    def request(
        self,
        header: dict,
        *,
        args=None,
        kwargs=None,
        value=None,
        ref=None,
        timeout: float | None = None,
        raw: bool = False,
        method_key=None,
        sync: bool = True,
    ):
        """Send one request and return its decoded result (``raw``: the reply itself).
        ``sync=False`` skips copying edits of the arguments back (batched calls)."""
        key = self._admit(header, ref)
        process = self.ensure()
        self.snapshot = {}
        if self._depth == 0 and header.get("op") != "ping":
            self.codec.reset_callbacks()
        rid = self.new_id()
        self.requests += 1
        self.requests_by_test[self.current_test] = (
            self.requests_by_test.get(self.current_test, 0) + 1
        )
        if self.strict:
            header = dict(header, strict=list(self.strict))
        if self.trace:
            header = dict(header, trace=True)
        if self.watch:
            header = dict(header, watch=True)
        header, blobs = self._encode(dict(header, id=rid), args, kwargs, value)
        if self.pipeline.queue and sum(header["b"]) > PIPE_MAX_BYTES:
            # the worker may be busy with the queue: never block on a big send behind it
            self.pipeline.flush()
        limit = timeout or self.manager.call_timeout
        queued, extra = self.pipeline.take()
        # the worker's CPU time, within a wall-clock ceiling; queued requests share one more limit
        budget = timelimit.Budget(limit + extra, getattr(process, "cpu_seconds", _unknown))
        self._depth += 1
        self._inflight.append((rid, args, kwargs))
        try:
            self._send(process, queued, header, blobs)
            reply, blobs = self._receive(process, rid, budget, key, limit)
            raw = self._take_reply(reply, blobs, method_key) and raw
            return self._result(reply, blobs, args if sync else None, kwargs if sync else None, raw)
        finally:
            self._depth -= 1
            self._inflight.pop()

    def _admit(self, header: dict, ref) -> tuple | None:
        """Refuse a request that must not be sent; returns its key for the hung list."""
        if self.test_failure is not None:
            raise self.test_failure
        key = _request_key(header, ref)
        if key in self._hung:
            raise WorkerFailure(
                f"{self._hung[key]} earlier in this run; not called again", "timeout"
            )
        if ref is not None and ref._gen != self.generation:
            raise WorkerFailure(
                "this object belonged to a worker that was restarted after an earlier failure",
                "stale",
            )
        return key

    def _encode(self, header: dict, args, kwargs, value) -> tuple[dict, list]:
        enc = self.codec.encoder()
        try:
            if args is not None:
                header["args"] = enc.encode(args)
            if kwargs is not None:
                header["kwargs"] = enc.encode(kwargs)
            if value is not None or header.get("op") == "setattr":
                header["value"] = enc.encode(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"cannot send this argument to the worker: {exc}") from None
        self.attach_releases(header)
        header["b"] = [memoryview(b).nbytes for b in enc.blobs]
        return header, enc.blobs

    def _send(self, process, queued: list[dict], header: dict, blobs) -> None:
        try:
            if queued:
                process.sock.sendall(protocol.frame_bytes({"op": "batch", "reqs": queued}))
            protocol.send_frame(process.sock, header, blobs)
        except OSError:
            self._died()

    def _receive(self, process, rid: int, budget: timelimit.Budget, key, limit: float):
        """The reply to request ``rid``, serving the worker's callbacks until it comes."""
        while True:
            try:
                reply, blobs = protocol.recv_frame(
                    process.sock, budget.left, max_body=MAX_REPLY_BODY
                )
            except protocol.Timeout:
                self.fail("timeout", self._hang(key, limit, budget.waited()))
            except protocol.PeerClosed:
                self._died()
            except ProtocolError as exc:
                self.fail("protocol", f"protocol violation by the worker: {exc}")
            if "cb" in reply:
                self._serve_callback(process, reply, blobs)
                continue
            if "fatal" in reply:
                self.fail("crash", f"the worker failed: {clean(reply['fatal'], 300)}")
            if reply.get("id") != rid:
                self.fail(
                    "protocol", "protocol violation by the worker: reply to an unknown request"
                )
            return reply, blobs

    def _take_reply(self, reply: dict, blobs, method_key) -> bool:
        """Learn what the reply says besides its result; False when it carries the deferred
        exception of an earlier pipelined request (which must be raised, never returned raw)."""
        self.pipeline.settle(reply)
        if method_key is not None and reply.get("method") is True and len(self.methods) < 10000:
            self.methods.add(method_key)
        if "snap" in reply and self._depth == 1:
            self._take_snapshot(reply["snap"], blobs)
        self.stacked = reply.get("stacked")
        hits = reply.get("hits")
        if isinstance(hits, dict):
            for ex, names in hits.items():
                if ex in registry.EXERCISES and isinstance(names, list):
                    self.hits.setdefault(ex, set()).update(clean(n, 200) for n in names[:20])
        return not reply.get("deferred")

    def _result(self, reply: dict, blobs, args, kwargs, raw: bool):
        if raw:
            return reply
        if "protocol" in reply:
            self.fail("protocol", f"protocol violation: {clean(reply['protocol'], 300)}")
        if "bad_value" in reply:
            raise WorkerFailure(
                f"unsupported return value: {clean(reply['bad_value'], 300)}", "value"
            )
        if "exc" in reply:
            raise remote_exception(reply["exc"] if isinstance(reply["exc"], dict) else {})
        if "ok" not in reply:
            self.fail("protocol", "protocol violation: reply without a result")
        try:
            result = self.codec.decoder(blobs).decode(reply["ok"])
            if "sync" in reply and (args is not None or kwargs is not None):
                self._apply_sync(reply["sync"], blobs, (args, kwargs))
        except ProtocolError as exc:
            self.fail("protocol", f"protocol violation by the worker: {exc}")
        return result

    def _take_snapshot(self, snap: Any, blobs) -> None:
        if not (type(snap) is list and len(snap) <= 1000):
            self.fail("protocol", "protocol violation by the worker: bad attribute snapshot")
        table = {}
        try:
            for item in snap:
                if not (type(item) is list and len(item) == 2 and type(item[0]) is int):
                    raise ProtocolError("malformed snapshot entry")
                attrs = Decoder(blobs, watch=False).decode(item[1])
                if type(attrs) is not dict or not all(
                    type(k) is str and type(v) in _SCALARS for k, v in attrs.items()
                ):
                    raise ProtocolError("bad attributes")
                table[item[0]] = attrs
        except ProtocolError:
            self.fail("protocol", "protocol violation by the worker: bad attribute snapshot")
        self.snapshot = table

    # -- edits and callbacks -----------------------------------------------------------------
    def _apply_sync(self, sync: Any, blobs, call: tuple | None = None) -> None:
        """Apply a sync block (a call's arguments as the worker has them now) to that call's
        arguments here: ``call`` is ``(args, kwargs)``, or else those of the in-flight request
        the block names (``rid``). The block was encoded on its own: it gets a fresh decoder."""
        if not isinstance(sync, dict):
            raise ProtocolError("bad sync block")
        if call is None:
            call = next(
                (
                    (args, kwargs)
                    for known, args, kwargs in reversed(self._inflight)
                    if known == sync.get("rid")
                ),
                None,
            )
            if call is None:
                raise ProtocolError("edits for a call that is not in progress")
        dec = self.codec.decoder(blobs)
        apply_edits(
            call[0],
            call[1],
            dec.decode(sync.get("args", [])),
            dec.decode(sync.get("kwargs", {"$d": []})),
            self.modified_log,
        )

    def _serve_callback(self, process, header: dict, blobs) -> None:
        fn = self.codec.callbacks.get(header.get("fn"))
        cid = header.get("cb")
        if fn is None or type(cid) is not int:
            self.fail("protocol", "protocol violation: call of an unknown grader function")
        try:
            dec = self.codec.decoder(blobs)
            args = dec.decode(header.get("args", []))
            kwargs = dec.decode(header.get("kwargs", {"$d": []}))
            if type(args) is not list or type(kwargs) is not dict:
                raise ProtocolError("bad callback arguments")
            sync = header.get("sync")
            if sync is not None:  # the caller's arguments as the submission has them now
                self._apply_sync(sync, blobs)
        except ProtocolError as exc:
            self.fail("protocol", f"protocol violation by the worker: {exc}")
        enc = self.codec.encoder()
        try:
            reply = {"cb": cid, "ok": enc.encode(fn(*args, **kwargs))}
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

    # -- failures ----------------------------------------------------------------------------
    def _died(self):
        reason = self.process.died_reason() if self.process is not None else "worker died"
        self.fail("crash", reason, killed=True)

    def hangs(self) -> frozenset:
        """The requests that ran out of time in this run and are not sent again."""
        return frozenset(self._hung)

    def forget_hangs(self, keys: frozenset) -> None:
        """Send these requests again from now on (a test that ran out of time runs once more
        before it is charged)."""
        for key in keys:
            self._hung.pop(key, None)

    def _hang(self, key: tuple | None, limit: float, waited: bool = False) -> str:
        """The message for a request that timed out; its function is remembered as hung (not
        while a diagnosis re-runs student code: ``timelimit.exploring``, where the diagnosis is
        noted as cut short instead)."""
        if not timelimit.remembers_hangs():
            timelimit.cut_short()
        if key is None:
            return f"time limit exceeded ({limit * timelimit.WALL_FACTOR if waited else limit:g} s)"
        message = timelimit.describe(" then ".join(key), limit, waited)
        if timelimit.remembers_hangs():
            self._hung[key] = message
        return message

    def fail(self, kind: str, message: str, killed: bool = False):
        """Kill the worker (unless it is already dead) and fail the current test."""
        self.pipeline.drop()
        if not killed and self.process is not None:
            self.process.kill()
        self.process = None
        self.events.append({"test": self.current_test, "kind": kind, "message": message})
        self.test_failure = WorkerFailure(message, kind)
        raise self.test_failure


def _unknown() -> None:
    """The CPU time of a process that cannot say (its limits then count wall-clock time)."""
    return None


def _request_key(header: dict, ref: Remote | None) -> tuple | None:
    """The submission functions a request runs, by name: ``("step_lr",)``, ``("mse_forward",
    "mse_backward")`` for a backward fed its forward, ``("Value",)`` for a method of a Value;
    ``("import losses.py",)`` for loading a module (a module that hangs at import is not
    imported again: the rest of the submission is still graded)."""
    if header.get("op") == "load" and isinstance(header.get("module"), str):
        return (f"import {header['module']}.py",)
    target = header.get("target") or {}
    if isinstance(target, dict) and isinstance(target.get("a"), str):
        then = header.get("then") or {}
        return (target["a"],) + ((then["a"],) if isinstance(then.get("a"), str) else ())
    if ref is not None and header.get("op") not in ("getattr", "setattr", "ping", "load"):
        return (ref._type,)
    return None
