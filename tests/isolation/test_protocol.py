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
