"""How values of one connection cross on the trusted side (:mod:`descent.isolation.codec`):
handles, described callables and callbacks out, and back in; every other tag refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from descent.calls.callables import Described
from descent.isolation import encoding
from descent.isolation.codec import Codec
from descent.isolation.connection import Connection
from descent.isolation.errors import WorkerFailure
from descent.isolation.handles import Remote
from descent.isolation.protocol import ProtocolError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _frame(value):
    """``value`` as it arrives: its JSON part and its blobs as bytes."""
    enc = encoding.Encoder()
    data = enc.encode(value)
    return data, [bytearray(memoryview(b).cast("B")) for b in enc.blobs]


def test_the_graders_side_records_no_crc_of_what_the_worker_sends():
    data, blobs = _frame([torch.arange(6.0), torch.Generator().manual_seed(1)])
    dec = Codec(SimpleNamespace(generation=1)).decoder(blobs)
    dec.decode(data)
    assert dec.leaves == []


@pytest.fixture
def conn():
    return Connection("student", SimpleNamespace(call_timeout=5.0), folder=None)


def test_handles_and_callbacks_go_out_as_tags_and_come_back_as_themselves(conn):
    def grader_fn(x):
        return x

    data = conn.codec.encoder().encode([Remote(conn, 4, "Value", conn.generation), grader_fn])
    assert data == [{"$h": [4, "Value"]}, {"$fn": 1}]
    back = conn.codec.decoder([]).decode(data)
    assert isinstance(back[0], Remote) and (back[0]._hid, back[0]._type) == (4, "Value")
    assert back[1] is grader_fn
    conn.codec.reset_callbacks()  # a new request: the old callbacks are gone
    with pytest.raises(ProtocolError, match="unknown grader function"):
        conn.codec.decoder([]).decode({"$fn": 1})


def test_a_handle_of_an_earlier_worker_or_another_connection_is_refused(conn):
    stale = Remote(conn, 4, "Value", conn.generation - 1)
    with pytest.raises(WorkerFailure, match="earlier worker") as info:
        conn.codec.encoder().encode([stale])
    assert info.value.kind == "stale"
    other = Connection("other", SimpleNamespace(call_timeout=5.0), folder=None)
    with pytest.raises(WorkerFailure):
        conn.codec.encoder().encode(Remote(other, 1, "Value", other.generation))


def test_what_is_neither_data_nor_callable_cannot_be_sent(conn):
    with pytest.raises(TypeError, match="a object cannot be sent to the worker"):
        conn.codec.encoder().encode(object())


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"$h": [1]}, "malformed handle"),
        ({"$h": ["1", "Value"]}, "malformed handle"),
        ({"$mk": ["no_such_factory", []]}, "unknown callable factory"),
        ({"$mk": ["weighted_sin", 3.0]}, "bad callable arguments"),
    ],
)
def test_malformed_or_unknown_tags_from_the_worker_are_refused(conn, data, why):
    with pytest.raises(ProtocolError, match=why):
        conn.codec.decoder([]).decode(data)


def test_a_described_callable_goes_out_as_its_recipe_and_comes_back_described(conn):
    weights = torch.tensor([1.0, 2.0])
    fn = Described("weighted_sin", (weights,))
    enc = conn.codec.encoder()
    data = enc.encode(fn)
    assert list(data) == ["$mk"] and data["$mk"][0] == "weighted_sin"
    assert conn.codec.callbacks == {}  # a recipe, not a callback
    blobs = [bytearray(memoryview(b).cast("B")) for b in enc.blobs]
    back = conn.codec.decoder(blobs).decode(data)
    assert isinstance(back, Described) and back.__descent_remote__[0] == "weighted_sin"
    x = torch.tensor([0.5, -1.0])
    assert torch.equal(back(x), fn(x))


def test_an_encoder_of_the_connection_is_freed_without_the_collector(conn):
    """One encoder per frame: freed when dropped (not in a cycle with its ``on_object``), so
    the collector has no work from it and the tensors it held go at once."""
    import gc
    import weakref

    gc.disable()
    try:
        enc = conn.codec.encoder()
        enc.encode([torch.zeros(2), Described("weighted_sin", (torch.ones(1),)), print])
        gone = weakref.ref(enc)
        del enc
        assert gone() is None
    finally:
        gc.enable()
