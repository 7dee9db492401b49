"""How values cross as data (:mod:`descent.isolation.encoding`): round trips, caps, aliasing, and
refusal of anything malformed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from descent.isolation import encoding
from descent.isolation.encoding import Decoder, Encoder
from descent.isolation.protocol import ProtocolError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def roundtrip(value):
    enc = Encoder()
    data = json.loads(json.dumps(enc.encode(value)))
    blobs = [memoryview(bytes(memoryview(b).cast("B"))) for b in enc.blobs]
    return Decoder(blobs).decode(data)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -(2**62),
        1.5,
        float("inf"),
        "text",
        [1, 2.0, "x"],
        (1, (2, 3)),
        {"a": 1, 2: [3]},
        torch.float32,
        torch.device("cpu"),
        torch.Size([2, 3]),
        slice(1, None, 2),
        Ellipsis,
        1 + 2j,
    ],
)
def test_plain_values_round_trip(value):
    assert roundtrip(value) == value
    assert type(roundtrip(value)) is type(value)


def test_nan_round_trips():
    assert math.isnan(roundtrip(float("nan")))


@pytest.mark.parametrize(
    "dtype",
    [
        torch.float64,
        torch.float32,
        torch.float16,
        torch.bfloat16,
        torch.int64,
        torch.int8,
        torch.uint8,
        torch.bool,
        torch.complex128,
    ],
)
def test_tensors_round_trip_exactly(dtype):
    t = (torch.randn(3, 4, 5) * 10).to(dtype)
    back = roundtrip(t)
    assert type(back) is torch.Tensor and back.dtype == dtype and back.shape == t.shape
    assert torch.equal(back, t)


def test_views_and_empty_and_zero_dim_tensors():
    t = torch.arange(12.0).reshape(3, 4).T
    assert torch.equal(roundtrip(t), t)
    assert roundtrip(torch.empty(0, 3)).shape == (0, 3)
    assert roundtrip(torch.tensor(2.5)).shape == ()
    assert roundtrip(torch.tensor([7.0])).shape == (1,)


def test_what_a_tensor_carries_besides_its_values_crosses_too():
    """A tensor that requires grad crosses with it (its bytes read without the graph), and
    the lazy conjugate and negative views cross as the values they stand for."""
    leaf = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    back = roundtrip(leaf)
    assert back.requires_grad and back.is_leaf and torch.equal(back, leaf.detach())
    z = torch.randn(3, dtype=torch.complex128)
    for view in (z.conj(), z.conj().imag, torch.randn(3)._neg_view()):
        assert torch.equal(roundtrip(view), view.resolve_conj().resolve_neg())


def test_generator_state_crosses():
    g = torch.Generator().manual_seed(7)
    g2 = roundtrip(g)
    assert torch.equal(torch.rand(5, generator=g), torch.rand(5, generator=g2))


def test_numpy_values():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(roundtrip(a), a)
    assert type(roundtrip(np.float64(1.5))) is np.float64


def test_objects_need_a_handler():
    with pytest.raises(TypeError):
        Encoder().encode(object())
    with pytest.raises(TypeError):
        Encoder().encode(lambda x: x)


class Sub(torch.Tensor):
    pass


def test_tensor_subclasses_are_not_data():
    seen = []
    enc = Encoder(lambda obj, by: seen.append((obj, by)) or {"$h": [1, "Sub"]})
    enc.encode(torch.zeros(2).as_subclass(Sub))
    assert len(seen) == 1 and seen[0][1] is enc


def test_an_encoder_is_freed_without_the_collector():
    """An encoder hands itself to ``on_object`` instead of being held by it: an encoder of a
    connection or a worker (one per frame) is freed once dropped, with the tensors it kept."""
    import gc
    import weakref

    gc.disable()
    try:
        enc = Encoder(lambda obj, by: {"$mk": ["f", by.encode([torch.ones(1)])]})
        enc.encode([torch.zeros(3), lambda: None])
        gone = weakref.ref(enc)
        del enc
        assert gone() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "data",
    [
        {"$T": [0, "float64", [2], "cpu", False]},  # blob of the wrong size
        {"$T": [5, "float64", [1], "cpu", False]},  # no such blob
        {"$T": [0, "object", [1], "cpu", False]},  # dtype not allowed
        {"$T": [0, "float64", [-1], "cpu", False]},  # negative size
        {"$T": [0, "float64", [1], "tpu:0", False]},  # device not allowed
        {"$A": [0, "object", [1]]},
        {"$nope": 1},
        {"a": 1, "b": 2},
        {"$h": [1, "x"]},  # unknown tag; handles need a handler
        {"$f": "1e400"},
        {"$sl": ["a", None, None]},
        {"$r": 0},
        [[1], {"$r": 1}],
        [[1], {"$r": -1}],
        [[1], {"$r": "0"}],  # refs: only backwards
        {"$d": [[{"$r": 0}, 1]]},
        [[1], {"$d": [[{"$r": 0}, 1]]}],  # a list is no dict key
    ],
)
def test_malformed_values_are_refused(data):
    with pytest.raises(ProtocolError):
        Decoder([memoryview(b"\0" * 4)]).decode(data)


def test_lists_of_numbers_take_the_short_path_with_the_same_checks():
    curve = [0.5 * i for i in range(50)] + [3, True]
    assert roundtrip(curve) == curve and [type(v) for v in roundtrip(curve)] == [
        type(v) for v in curve
    ]
    with_nan = [1.0] * 9 + [float("nan")]
    assert math.isnan(roundtrip(with_nan)[-1])  # sent as {"$f": "nan"}, not as NaN
    with pytest.raises(ValueError, match="integer too large"):
        Encoder().encode([1] * 9 + [10**4001])
    with pytest.raises(ProtocolError, match="too many items"):
        Decoder([]).decode([0.0] * (encoding.MAX_ITEMS + 1))


def test_repeated_values_cross_once_and_stay_aliased():
    x = torch.randn(50, dtype=torch.float64)
    cache = (x, [x * 2])
    enc = Encoder()
    data = enc.encode([[x, cache], [x, cache], [x.clone(), cache]])
    assert len(enc.blobs) == 3  # x, x * 2 and the clone; nothing twice
    text = json.dumps(data)
    assert text.count('"$r"') == 4 and len(text) < 400  # x in cache, x, cache, cache
    back = Decoder([memoryview(bytes(memoryview(b).cast("B"))) for b in enc.blobs]).decode(
        json.loads(text)
    )
    assert back[0][0] is back[1][0] and back[0][1] is back[1][1] is back[2][1]
    assert back[2][0] is not back[0][0] and torch.equal(back[2][0], x)
    assert back[0][1][1] is back[2][1][1] and torch.equal(back[0][1][1][0], x * 2)


def test_refs_count_values_in_the_order_they_end():
    # the inner list ends before the outer one: {"$r": 0} is the inner list, 1 the outer
    inner = [1]
    outer = [inner]
    data = Encoder().encode([outer, inner, outer])
    assert data == [[[1]], {"$r": 0}, {"$r": 1}]
    back = Decoder([]).decode(data)
    assert back[1] is back[0][0] and back[2] is back[0]


def test_temporary_values_are_not_mistaken_for_earlier_ones():
    # an encoder holds what it sent: a temporary list freed meanwhile would free its id
    enc = Encoder()
    first = enc.encode(list((1, 2)))
    second = [enc.encode(list((3, 4))) for _ in range(20)]
    assert first == [1, 2] and all(v == [3, 4] for v in second)


def test_depth_cap():
    data = []
    for _ in range(encoding.MAX_DEPTH + 5):
        data = [data]
    with pytest.raises(ProtocolError):
        Decoder([]).decode(data)
    deep = []
    for _ in range(encoding.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError):
        Encoder().encode(deep)


def _frame(value):
    """``value`` as it arrives: its JSON part and its blobs as bytes."""
    enc = Encoder()
    data = enc.encode(value)
    return data, [bytearray(memoryview(b).cast("B")) for b in enc.blobs]


def test_a_watched_decoder_records_each_tensor_and_generator():
    data, blobs = _frame([torch.arange(6.0), torch.Generator().manual_seed(1)])
    dec = encoding.Decoder(blobs, watch=True)
    t, _ = dec.decode(data)
    assert len(dec.leaves) == 2 and encoding.unchanged(t, dec.leaves[0][1])
    t.numpy()[0] = 5.0  # an edit that leaves the version counter alone
    assert not encoding.unchanged(t, dec.leaves[0][1])
    unwatched = encoding.Decoder(blobs, watch=False)
    unwatched.decode(data)
    assert unwatched.leaves == []
