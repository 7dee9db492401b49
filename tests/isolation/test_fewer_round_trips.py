"""Fewer round trips: a scheduler fed one metric per epoch is one request, and a result that is
not a pair fails as the loop would. (That a CRC of a tensor's bytes is taken only where an edit
to it must be seen is in test_codec.py and test_encoding.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from descent.calls.impl import FolderImplementation
from descent.isolation import confinement

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT / "graders"))

import runs  # noqa: E402

SOLUTIONS = KIT / "solutions"
CONFINED = confinement.landlock_abi() and confinement.seccomp_available()


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
