"""Fewer round trips and less work per request: a scheduler fed one metric per epoch and a
sweep of a function over cases are one request each, and a CRC of a tensor's bytes is taken
only where an edit to it must be seen (the arguments of a call whose edits go back)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from descent.calls.impl import FolderImplementation
from descent.isolation import confinement, encoding
from descent.isolation.codec import Codec

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT / "graders"))

import runs  # noqa: E402

SOLUTIONS = KIT / "solutions"
CONFINED = confinement.landlock_abi() and confinement.seccomp_available()


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


@pytest.mark.skipif(not CONFINED, reason="no confinement on this machine")
def test_a_scheduler_fed_its_epochs_is_one_request(remote):
    local = FolderImplementation(SOLUTIONS, "local")
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8]
    kw = dict(patience=1, factor=0.5)
    step = remote.schedules.reduce_on_plateau_step  # loading the module is a request of its own
    before = remote.requests
    got = runs.values_with_state(step, [(m,) for m in metrics], {"lr": 0.1}, kw)
    assert remote.requests - before == 1
    state, expected = {"lr": 0.1}, []
    for metric in metrics:
        lr, state = local.schedules.reduce_on_plateau_step(metric, state, **kw)
        expected.append(lr)
    assert (
        got
        == expected
        == runs.values_with_state(
            local.schedules.reduce_on_plateau_step, [(m,) for m in metrics], {"lr": 0.1}, kw
        )
    )


def test_a_result_that_is_not_a_pair_fails_as_the_loop_would():
    def step(metric, state):
        return 0.1  # the state is missing

    with pytest.raises(TypeError, match="cannot unpack non-iterable float"):
        runs.values_with_state(step, [(1.0,), (0.5,)], {"lr": 0.1})
    with pytest.raises(TypeError, match="cannot unpack non-iterable float"):
        runs.values_with_state(step, [(1.0,)], {"lr": 0.1})
