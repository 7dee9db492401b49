"""The wire protocol between the trusted side and a worker: frames, their caps, their errors.

A frame is ``b"DS" | u32 header length | u64 body length | header | body``. The header is UTF-8
JSON (no NaN or infinity constants); the body is the concatenation of the raw byte blobs
(tensor and array contents) that the header lists in ``"b"`` and refers to by index. The caps
on header and body sizes and on the number of blobs are checked before anything is read or
allocated; any violation raises :class:`ProtocolError`. How a value becomes JSON and blobs, and
back, is :mod:`.encoding`: nothing is ever unpickled or evaluated.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import time
import weakref
from collections.abc import Callable, Sequence

MAGIC = b"DS"
PREFIX = struct.Struct("<2sIQ")
MAX_HEADER = 8 << 20  # 8 MiB of JSON
MAX_BODY = 512 << 20  # 512 MiB of tensor bytes in one frame
MAX_BLOBS = 100_000
IOV_PARTS = 512  # parts in one gather write (Linux accepts up to 1024)


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame or value."""


class PeerClosed(ProtocolError):
    """The peer closed the connection (usually: the worker died)."""


class Timeout(Exception):
    """No complete frame arrived before the deadline."""


def send_frame(sock: socket.socket, header: dict, blobs: Sequence = ()) -> None:
    """Send one frame with a single gather write when possible (one wake-up of the peer)."""
    data = _JSON_OUT.encode(header).encode()
    views = [memoryview(b).cast("B") for b in blobs]
    body = sum(v.nbytes for v in views)
    parts = [memoryview(PREFIX.pack(MAGIC, len(data), body)), memoryview(data)]
    _send_parts(sock, parts + [v for v in views if v.nbytes])


def _send_parts(sock: socket.socket, parts: list[memoryview]) -> None:
    """Gather writes of at most :data:`IOV_PARTS` parts each, resumed where a partial write
    stopped. Never part by part: a value of thousands of small tensors (a list of minibatches)
    would cost the peer one wake-up per tensor."""
    at = 0  # the first part not wholly sent
    while at < len(parts):
        sent = sock.sendmsg(parts[at : at + IOV_PARTS])
        while at < len(parts) and sent >= parts[at].nbytes:
            sent -= parts[at].nbytes
            at += 1
        if sent:  # a part sent in part: the rest of it leads the next write
            parts[at] = parts[at][sent:]


def frame_bytes(header: dict) -> bytes:
    """A frame without blobs, as bytes (the batch frame of queued pipelined requests)."""
    header = dict(header, b=[])
    data = _JSON_OUT.encode(header).encode()
    return PREFIX.pack(MAGIC, len(data), 0) + data


# When to stop waiting: a time.monotonic() deadline, None (never), or a function giving the
# seconds left, asked again whenever they have passed (a call's CPU-time budget).
Deadline = float | Callable[[], float] | None


class _Reader:
    """Buffered reads from one socket: a small frame (and often the next few) arrives in one
    ``recv``; a large body is read straight into its own buffer."""

    CHUNK = 1 << 18

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def _wait(self, deadline: Deadline) -> None:
        if deadline is None:
            return
        while True:
            left = deadline() if callable(deadline) else deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                return
            if not callable(deadline):
                raise Timeout()

    def _recv(self, n: int, deadline: Deadline) -> bytes:
        while True:
            self._wait(deadline)
            try:
                data = self.sock.recv(n)
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise PeerClosed("connection reset") from exc
            except BlockingIOError:
                continue
            if not data:
                raise PeerClosed("the peer closed the connection")
            return data

    def take(self, n: int, deadline: Deadline) -> bytearray:
        """Exactly n bytes, as a private bytearray (tensors may keep views of it)."""
        have = len(self.buf) - self.pos
        if have >= n:
            out = self.buf[self.pos : self.pos + n]
            self.pos += n
            if self.pos == len(self.buf):
                self.buf.clear()
                self.pos = 0
            elif self.pos > self.CHUNK:
                del self.buf[: self.pos]
                self.pos = 0
            return out
        if n <= self.CHUNK:
            while len(self.buf) - self.pos < n:
                self.buf += self._recv(self.CHUNK, deadline)
            return self.take(n, deadline)
        out = bytearray(n)  # large: what is buffered, then the rest read in place
        view = memoryview(out)
        view[:have] = self.buf[self.pos :]
        self.buf.clear()
        self.pos = 0
        got = have
        while got < n:
            self._wait(deadline)
            try:
                k = self.sock.recv_into(view[got:], min(n - got, 1 << 22))
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise PeerClosed("connection reset") from exc
            except BlockingIOError:
                continue
            if k == 0:
                raise PeerClosed("the peer closed the connection")
            got += k
        return out


_READERS: weakref.WeakKeyDictionary[socket.socket, _Reader] = weakref.WeakKeyDictionary()


def recv_frame(
    sock: socket.socket, deadline: Deadline = None, *, max_body: int = MAX_BODY
) -> tuple[dict, list[memoryview]]:
    """One frame: the header (a dict) and the blobs it declares, sizes checked."""
    reader = _READERS.get(sock)
    if reader is None:
        reader = _READERS[sock] = _Reader(sock)
    prefix = reader.take(PREFIX.size, deadline)
    magic, hlen, blen = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise ProtocolError("bad frame magic (garbage on the channel)")
    if hlen > MAX_HEADER:
        raise ProtocolError(f"header of {hlen} bytes exceeds the {MAX_HEADER}-byte cap")
    if blen > max_body:
        raise ProtocolError(f"body of {blen} bytes exceeds the {max_body}-byte cap")
    raw = reader.take(hlen, deadline)
    try:
        header = _JSON_IN.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"header is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    sizes = header.get("b", [])
    if (
        not isinstance(sizes, list)
        or len(sizes) > MAX_BLOBS
        or not all(type(s) is int and s >= 0 for s in sizes)
        or sum(sizes) != blen
    ):
        raise ProtocolError("blob table does not match the body")
    body = reader.take(blen, deadline) if blen else bytearray()
    mv = memoryview(body)
    blobs, at = [], 0
    for s in sizes:
        blobs.append(mv[at : at + s])
        at += s
    return header, blobs


def _reject_constant(name: str):
    raise ValueError(f"JSON constant {name} is not allowed")


# One of each, made once: json.dumps/loads with options build a new coder on every call.
_JSON_IN = json.JSONDecoder(parse_constant=_reject_constant)
_JSON_OUT = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
