"""Frames on the wire (:mod:`descent.isolation.protocol`): round trips, caps, and refusal of
anything that is not a frame."""

from __future__ import annotations

import socket
import struct

import pytest
import torch

from descent.isolation import protocol
from descent.isolation.encoding import Decoder, Encoder
from descent.isolation.protocol import ProtocolError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _pair():
    a, b = socket.socketpair()
    return a, b


def test_frames_round_trip_and_caps():
    a, b = _pair()
    t = torch.randn(100, 50)
    enc = Encoder()
    header = {"id": 1, "ok": enc.encode(t)}
    header["b"] = [memoryview(x).nbytes for x in enc.blobs]
    protocol.send_frame(a, header, enc.blobs)
    got, blobs = protocol.recv_frame(b, None)
    assert torch.equal(Decoder(blobs).decode(got["ok"]), t)
    # an oversized body is refused before anything is read or allocated
    a.sendall(struct.pack("<2sIQ", b"DS", 2, 2**40) + b"{}")
    with pytest.raises(ProtocolError):
        protocol.recv_frame(b, None)


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGEGARBAGEGARBAGE",
        struct.pack("<2sIQ", b"DS", 2**31, 0),
        struct.pack("<2sIQ", b"DS", 5, 0) + b"\x80\x04K.",  # a pickle is not JSON
        struct.pack("<2sIQ", b"DS", 3, 0) + b"[1]",  # not an object
        struct.pack("<2sIQ", b"DS", 12, 4) + b'{"b":[5]}   ' + b"1234",  # blob table mismatch
        struct.pack("<2sIQ", b"DS", 9, 0) + b'{"x":NaN}',
    ],
)
def test_bad_frames_are_protocol_errors(raw):
    a, b = _pair()
    a.sendall(raw)
    a.close()
    with pytest.raises(ProtocolError):
        protocol.recv_frame(b, None)


def test_timeout():
    a, b = _pair()
    import time

    with pytest.raises(protocol.Timeout):
        protocol.recv_frame(b, time.monotonic() + 0.05)


class _Trickle:
    """A socket whose gather writes stop short (at most ``most`` bytes each), recording how
    many parts each write was handed."""

    def __init__(self, most: int):
        self.most, self.data, self.writes = most, bytearray(), []

    def sendmsg(self, parts):
        self.writes.append(len(parts))
        flat = b"".join(bytes(p) for p in parts)[: self.most]
        self.data += flat
        return len(flat)


def _frame(count: int):
    enc = Encoder()
    tensors = [torch.arange(i, i + 3) for i in range(count)]
    header = {"id": 7, "ok": enc.encode(tensors)}
    header["b"] = [memoryview(x).nbytes for x in enc.blobs]
    return tensors, header, enc.blobs


def test_a_frame_of_many_blobs_leaves_in_a_few_gather_writes():
    # thousands of small tensors (a list of minibatches) cost the peer a few wake-ups, not one
    # per tensor
    tensors, header, blobs = _frame(3000)
    sock = _Trickle(most=1 << 30)
    protocol.send_frame(sock, header, blobs)
    assert len(sock.writes) == -(-(len(blobs) + 2) // protocol.IOV_PARTS)
    assert max(sock.writes) <= protocol.IOV_PARTS
    a, b = _pair()
    a.sendall(sock.data)
    got, received = protocol.recv_frame(b, None)
    decoded = Decoder(received).decode(got["ok"])
    assert len(decoded) == 3000 and all(torch.equal(x, y) for x, y in zip(decoded, tensors))


@pytest.mark.parametrize("most", [1, 5, 23, 4096])
def test_a_write_that_stops_short_is_resumed_where_it_stopped(most):
    tensors, header, blobs = _frame(600)
    sock = _Trickle(most=most)
    protocol.send_frame(sock, header, blobs)
    a, b = _pair()
    a.sendall(sock.data)
    got, received = protocol.recv_frame(b, None)
    assert all(torch.equal(x, y) for x, y in zip(Decoder(received).decode(got["ok"]), tensors))
