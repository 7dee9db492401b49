"""The worker's side of in-place edits (:mod:`descent.isolation.edit_watch`): whether a call
changed its arguments, and the arguments re-encoded when it did."""

from __future__ import annotations

import pytest
import torch

from descent.isolation import edit_watch
from descent.isolation.encoding import Decoder, Encoder

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


FRAMES: list = []  # the decoded tensors share memory with their frame: kept while they live


def _decoded(value):
    """``value`` as a worker decodes a call's arguments: with its leaves watched."""
    enc = Encoder()
    data = enc.encode(value)
    blobs = [bytearray(memoryview(b).cast("B")) for b in enc.blobs]
    FRAMES.append(blobs)
    dec = Decoder(blobs, watch=True)
    return dec.decode(data), dec.leaves


def _call(args, kwargs, leaves):
    return {
        "args": args,
        "kwargs": kwargs,
        "leaves": leaves,
        "before": edit_watch.layout(args, kwargs),
        "synced": False,
        "exercise": None,
    }


def test_an_untouched_call_sends_no_sync():
    (x, lr), leaves = _decoded([torch.arange(3.0), 0.1])
    call = _call([x], {"lr": lr}, leaves)
    assert edit_watch.sync_of(call, lambda ex: Encoder()) is None and not call["synced"]


def test_an_untouched_call_with_containers_among_its_arguments_sends_no_sync():
    (names, grads, state), leaves = _decoded([["a", "b"], [torch.ones(2)], {"t": 1}])
    call = _call([names, grads], {"state": state}, leaves)
    kept = [[] for _ in range(100)]  # what else the call allocates meanwhile
    assert edit_watch.sync_of(call, lambda ex: Encoder()) is None and not call["synced"]
    assert kept and edit_watch.layout([names, grads], {"state": state}) == call["before"]


def test_an_edit_that_leaves_the_version_alone_is_seen_and_sent():
    (x,), leaves = _decoded([torch.arange(3.0)])
    call = _call([x], {}, leaves)
    x.numpy()[1] = 7.0  # no version bump
    assert edit_watch.modified(leaves)
    (data, blobs) = edit_watch.sync_of(call, lambda ex: Encoder())
    assert call["synced"] and len(blobs) == 1 and list(data["args"][0]) == ["$T"]


def test_a_container_that_grew_changes_the_layout():
    items: list = [1]
    before = edit_watch.layout([items], {})
    assert edit_watch.layout([torch.ones(1)], {"n": 3}) is None  # no container among them
    items.append(2)
    after = edit_watch.layout([items], {})
    assert before[0][:3] == ("l", id(items), 1) and after[0][:3] == ("l", id(items), 2)
    call = _call([items], {}, [])
    call["before"] = before
    data, _ = edit_watch.sync_of(call, lambda ex: Encoder())
    assert data == {"args": [[1, 2]], "kwargs": {"$d": []}}


def test_a_generator_that_moved_is_a_modification():
    (g,), leaves = _decoded([torch.Generator().manual_seed(3)])
    assert not edit_watch.modified(leaves)
    torch.rand(2, generator=g)
    assert edit_watch.modified(leaves)


def test_blob_indices_shift_past_an_earlier_encodings_blobs():
    data = [{"$T": [0, "float32", [2], "cpu", False]}, {"$d": [["g", {"$G": [1, "cpu"]}]]}, 5]
    assert edit_watch.shift_blobs(data, 3) == [
        {"$T": [3, "float32", [2], "cpu", False]},
        {"$d": [["g", {"$G": [4, "cpu"]}]]},
        5,
    ]
    assert edit_watch.blob_len(b"abcd") == 4
    assert edit_watch.blob_len(memoryview(torch.zeros(3).numpy())) == 12
