"""How values of one connection cross on the trusted side (:mod:`descent.isolation.codec`)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from descent.isolation import encoding
from descent.isolation.codec import Codec

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
