"""How values of one connection cross: our side's extensions of the protocol's encoder/decoder.

Outgoing, a :class:`Remote` of this worker becomes its handle, a described callable
(``descent.calls.callables.make``) becomes its recipe, and any other callable of the grader is
registered as a *callback*: the worker may call it, and the call is served on this side.
Incoming, handles become :class:`Remote` objects, our callbacks and described callables come
back as themselves, and every other tag is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..calls.callables import FACTORIES, Described
from .encoding import Decoder, Encoder
from .errors import WorkerFailure, clean
from .handles import Remote
from .protocol import ProtocolError


class Codec:
    """Encoders and decoders for one connection, and the callbacks of its current request."""

    def __init__(self, conn):
        self.conn = conn
        self.callbacks: dict[int, Callable] = {}
        self._next_cb = 1

    def reset_callbacks(self) -> None:
        """A new outermost request: callbacks of earlier requests can no longer be called."""
        self.callbacks, self._next_cb = {}, 1

    def encoder(self) -> Encoder:
        return Encoder(self._on_object)

    def _on_object(self, obj: Any, enc: Encoder) -> dict:
        """What crosses in place of an object that is not data: a handle of the worker's own, a
        callable the worker can rebuild, or one of ours it may call back."""
        if isinstance(obj, Remote):
            if obj._conn is not self.conn or obj._gen != self.conn.generation:
                raise WorkerFailure(
                    "an object from an earlier worker was used after the worker was restarted",
                    "stale",
                )
            return {"$h": [obj._hid, obj._type]}
        remote = getattr(obj, "__descent_remote__", None)
        if remote is not None:
            return {"$mk": [remote[0], enc.encode(list(remote[1]))]}
        if callable(obj):
            self.callbacks[self._next_cb] = obj
            self._next_cb += 1
            return {"$fn": self._next_cb - 1}
        raise TypeError(f"a {type(obj).__name__} cannot be sent to the worker")

    def decoder(self, blobs) -> Decoder:
        conn, gen = self.conn, self.conn.generation

        def special(tag, p, dec):
            if tag == "$h":
                if not (
                    type(p) is list and len(p) == 2 and type(p[0]) is int and type(p[1]) is str
                ):
                    raise ProtocolError("malformed handle")
                return Remote(conn, p[0], clean(p[1], 100), gen)
            if tag == "$fn":  # one of our own callables, handed back (e.g. in edited arguments)
                if type(p) is not int or p not in self.callbacks:
                    raise ProtocolError("unknown grader function")
                return self.callbacks[p]
            if tag == "$mk":
                if not (type(p) is list and len(p) == 2 and p[0] in FACTORIES):
                    raise ProtocolError("unknown callable factory")
                args = dec.decode(p[1])
                if type(args) is not list:
                    raise ProtocolError("bad callable arguments")
                return Described(p[0], tuple(args))
            raise ProtocolError(f"the worker may not send {tag}")

        # The grader never looks for edits in what the worker sends (results, a callback's
        # arguments, a sync block): no version or CRC is recorded for its tensors.
        return Decoder(blobs, special, watch=False)
