"""Pipelined requests: results that stay in the worker are not waited for.

A request whose result stays in the worker (a ``Value`` operator, ``y.tanh()``, a constructor)
is sent without waiting for its reply: the trusted side assigns the result's handle id itself
(negative, the worker's are positive) and returns a :class:`Remote` at once.

Which requests qualify is learned per connection. A request *shape* is what is called and the
kinds of its arguments (handles by type, or scalars). A shape is pipelined after a synchronous
request of that shape returned a handle; a shape that ever returned data, or a handle of another
type, is never pipelined again. Arguments must be handles or scalars, so nothing of ours can be
edited in place.

The queue leaves as one ``batch`` frame in front of the next request that needs a reply (a value
that crosses, a comparison, ``.data``), when it reaches PIPE_MAX_REQUESTS or PIPE_MAX_BYTES, and
when the test ends (:meth:`Pipeline.flush`, called through ``Implementation.flush``). The worker
runs queued requests in order; the first that raises makes it skip the rest and answer the next
synchronous request with that exception, so the test sees the same exception type and message,
raised at that later point of the same test.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from . import encoding
from .errors import clean
from .handles import Remote

# At most this many requests or bytes wait unsent; the byte cap stays well below a socket
# buffer, so sending them never blocks.
PIPE_MAX_REQUESTS = 256
PIPE_MAX_BYTES = 64 << 10
# Upper bounds for the JSON of a queued request: its fixed part, and one character of a string
# (an astral character is escaped as two \uXXXX).
_PIPE_HEADER = 160
_JSON_CHAR = 12
_SCALARS = (type(None), bool, int, float)


class Pipeline:
    """The queue of one connection, and what it has learned about request shapes."""

    def __init__(self, conn):
        self.conn = conn
        self.pipelined = 0  # requests sent without waiting, all told
        self.queue: list[dict] = []  # headers ready to send, oldest first
        self.queue_bytes = 0
        self.queue_limit = 0.0  # the longest time limit among them
        self._refs: dict[int, tuple] = {}  # hid -> (weakref to its Remote, shape)
        self._next_hid = -1
        self._predict: dict[tuple, str] = {}  # shape -> type name of the handle it returns
        self._unstable: set[tuple] = set()  # shapes never pipelined again

    def submit(
        self,
        header: dict,
        kind: tuple,
        args: list,
        kwargs: dict | None,
        ref: Remote | None,
        timeout: float | None = None,
    ):
        """Send ``header`` with these arguments: queued when its shape is known to return a
        handle, else synchronously (and its result teaches the shape)."""
        conn = self.conn
        key = self._shape(kind, args, kwargs)
        predicted = self._predict.get(key) if key is not None else None
        if predicted is not None and conn.can_pipeline(ref):
            remote = self._enqueue(header, args, kwargs, predicted, key, timeout)
            if remote is not None:
                return remote
        result = conn.request(header, args=args, kwargs=kwargs, ref=ref, timeout=timeout)
        if key is not None and key not in self._unstable:
            if (
                isinstance(result, Remote)
                and result._conn is conn
                and self._predict.get(key, result._type) == result._type
            ):
                if len(self._predict) < 10000:
                    self._predict[key] = result._type
            else:
                self._unstable.add(key)
                self._predict.pop(key, None)
        return result

    def flush(self) -> None:
        """Send the queued requests (with a ping that waits for them); raise a deferred error."""
        if self.queue:
            failure = self.conn.test_failure
            if failure is not None:
                self.drop()
                raise failure
            self.conn.request({"op": "ping"})

    def take(self) -> tuple[list[dict], float]:
        """The queue and its extra time limit, handed to the request about to be sent."""
        queued, extra = self.queue, self.queue_limit
        if queued:
            self.queue, self.queue_bytes, self.queue_limit = [], 0, 0.0
        return queued, extra

    def drop(self) -> None:
        """Forget the queue (its worker is gone)."""
        self.queue, self.queue_bytes, self.queue_limit = [], 0, 0.0
        self._refs = {}

    def settle(self, reply: dict) -> None:
        """Types the worker corrected for pipelined results (``fix``): their shapes are never
        pipelined again and the live Remote takes the real type name."""
        fixes = reply.get("fix")
        if isinstance(fixes, list):
            for item in fixes[:PIPE_MAX_REQUESTS]:
                if not (
                    type(item) is list
                    and len(item) == 2
                    and type(item[0]) is int
                    and type(item[1]) is str
                ):
                    continue
                ref_key = self._refs.get(item[0])
                if ref_key is None:
                    continue
                remote, key = ref_key[0](), ref_key[1]
                self._unstable.add(key)
                self._predict.pop(key, None)
                if remote is not None:
                    object.__setattr__(remote, "_type", clean(item[1], 100))
        self._refs = {}

    def _shape(self, kind: tuple, args: list, kwargs: dict | None) -> tuple | None:
        tags = []
        for a in list(args) + (list(kwargs.values()) if kwargs else []):
            t = type(a)
            if t is Remote:
                if a._conn is not self.conn or a._gen != self.conn.generation:
                    return None
                tags.append(a._type)
            elif t in _SCALARS or (t is str and len(a) <= 200):
                tags.append(t)
            else:
                return None
        return kind + (tuple(tags), tuple(kwargs) if kwargs else ())

    def _enqueue(self, header, args, kwargs, predicted: str, key: tuple, timeout):
        # _shape admitted only this worker's handles and scalars, so the values are written
        # here directly; the queue leaves as one "batch" frame, its size bounded from above.
        try:
            data = [_pipe_value(a) for a in args]
            kw = (
                None if kwargs is None else {"$d": [[k, _pipe_value(v)] for k, v in kwargs.items()]}
            )
        except ValueError:
            return None
        size = _request_size(header, predicted, args, kwargs)
        if size > PIPE_MAX_BYTES:
            return None  # sent synchronously instead
        if self.queue and (
            len(self.queue) >= PIPE_MAX_REQUESTS or self.queue_bytes + size > PIPE_MAX_BYTES
        ):
            self.flush()  # may raise the error of an earlier queued request, as it should
        hid = self._next_hid
        header = dict(header, id=self.conn.new_id(), pipe=[hid, predicted], args=data)
        if kw is not None:
            header["kwargs"] = kw
        size += self.conn.attach_releases(header)
        self._next_hid -= 1
        self.conn.snapshot = {}
        self.queue.append(header)
        self.queue_bytes += size
        self.queue_limit = max(self.queue_limit, timeout or self.conn.manager.call_timeout)
        self.pipelined += 1
        remote = Remote(self.conn, hid, predicted, self.conn.generation)
        self._refs[hid] = (weakref.ref(remote), key)
        return remote


def _request_size(header: dict, predicted: str, args: list, kwargs: dict | None) -> int:
    """An upper bound of a queued request's JSON length (before released handles)."""
    names = len(predicted) + sum(len(str(v)) for v in header.values())  # op, fn, target
    return (
        _PIPE_HEADER
        + _JSON_CHAR * names
        + sum(map(_pipe_size, args))
        + (sum(_JSON_CHAR * len(k) + _pipe_size(v) for k, v in kwargs.items()) if kwargs else 0)
    )


def _pipe_value(v: Any) -> Any:
    """A pipelined argument as JSON (a handle, or a scalar that _shape admitted)."""
    t = type(v)
    if t is Remote:
        return {"$h": [v._hid, v._type]}
    if t is float:
        return v if math.isfinite(v) else {"$f": repr(v)}
    if t is int and not -encoding.MAX_INT < v < encoding.MAX_INT:
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
