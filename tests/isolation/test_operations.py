"""Each worker operation handler, driven in this process through ``Worker.handle`` over a
socketpair: no fork server, no confinement, a reply in milliseconds. (The confined path and the
attacks on it are tested in test_worker.py and the red team.)"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from descent.isolation import operations, protocol
from descent.isolation.encoding import Decoder, Encoder
from descent.isolation.submission import PACKAGE
from descent.isolation.worker import Worker

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


@pytest.fixture
def worker():
    ours, theirs = socket.socketpair()
    w = Worker(theirs, str(SOLUTIONS))
    yield w, ours
    ours.close()
    theirs.close()
    for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
        del sys.modules[name]  # the submission package this worker imported in-process


def ask(pair, header: dict, args=None) -> tuple[dict, object]:
    """Send one request through ``Worker.handle``; the reply header and its decoded value."""
    w, ours = pair
    header, blobs = dict(header, id=7), []
    if args is not None:
        enc = Encoder()
        header["args"] = enc.encode(args)
        blobs = list(enc.blobs)
    header["b"] = [memoryview(b).nbytes for b in blobs]
    protocol.send_frame(ours, header, blobs)  # as the trusted side frames a request
    w.handle(*protocol.recv_frame(w.sock))
    reply, reply_blobs = protocol.recv_frame(ours)
    value = Decoder(reply_blobs).decode(reply["ok"]) if "ok" in reply else None
    return reply, value


MSE = {"m": "losses", "a": "mse_forward"}


def test_every_operation_has_a_handler():
    assert set(operations.HANDLERS) == {
        "load",
        "call",
        "map",
        "chain",
        "then",
        "graph",
        "getattr",
        "setattr",
        "apply",
        "cell",
        "stand_in",
        "edit",
        "ping",
        "ran",
        "steps",
        "seed",
    }
    assert operations.PIPELINED <= set(operations.HANDLERS)


def test_seed_puts_the_global_generator_back_to_the_workers_first_state(worker):
    first = torch.rand(4)  # the worker was made just before: this is its first draw
    torch.rand(4)
    reply, value = ask(worker, {"op": "seed"})
    assert "ok" in reply and value is None
    assert torch.equal(torch.rand(4), first)


def test_seed_with_a_value_seeds_the_global_generator(worker):
    reply, value = ask(worker, {"op": "seed", "seed": 5})
    assert "ok" in reply and value is None
    drawn = torch.rand(4)
    torch.manual_seed(5)
    assert torch.equal(drawn, torch.rand(4))
    reply, _ = ask(worker, {"op": "seed", "seed": "5"})
    assert "ok" not in reply and "int" in reply["protocol"]


def test_a_traced_call_counts_the_submission_s_functions_and_ran_hands_them_over_once(worker):
    """A repair's trial asks which of the student's functions a call ran (``trace``), and a
    re-run where a float first went wrong (``strict``): a log of 0 raises there."""
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    reply, _ = ask(worker, {"op": "call", "target": MSE, "trace": True}, [x, x])
    assert "ok" in reply
    _, ran = ask(worker, {"op": "ran"})
    assert ["losses.py:mse_forward", 1] in ran
    assert ask(worker, {"op": "ran"})[1] == []  # handed over once
    ask(worker, {"op": "call", "target": MSE}, [x, x])  # not traced
    assert ask(worker, {"op": "ran"})[1] == []
    assert np.geterr()["divide"] != "raise"  # strict only for the request that asks
    reply, _ = ask(worker, {"op": "call", "target": MSE, "strict": True}, [x, x])
    assert "ok" in reply and np.geterr()["divide"] != "raise"


def test_ping_and_an_unknown_operation(worker):
    assert ask(worker, {"op": "ping"})[1] == "pong"
    reply, _ = ask(worker, {"op": "format_disk"})
    assert reply["protocol"] == "unknown op 'format_disk'"


def test_load_lists_a_module_and_refuses_one_that_is_no_exercise(worker):
    reply, _ = ask(worker, {"op": "load", "module": "losses"})
    assert "mse_forward" in reply["load"]["attrs"]
    reply, _ = ask(worker, {"op": "load", "module": "os"})
    assert reply["exc"]["type"] == "LookupError" and "not an exercise module" in reply["exc"]["msg"]


def test_call_returns_data_and_keeps_the_cache_behind_a_handle(worker):
    pred, target = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 1.0, 1.0])
    reply, value = ask(worker, {"op": "call", "target": MSE}, [pred, target])
    assert reply["id"] == 7
    loss = value[0]
    assert type(loss) is torch.Tensor and loss.item() == pytest.approx((0 + 1 + 9) / 3)


def test_map_sweeps_calls_and_picks(worker):
    xs = [[torch.tensor([float(k)]), torch.tensor([0.0])] for k in range(4)]
    _, value = ask(worker, {"op": "map", "target": MSE, "pick": 0}, xs)
    assert [v.item() for v in value] == [0.0, 1.0, 4.0, 9.0]


def test_malformed_requests_get_a_protocol_reply_and_run_nothing(worker):
    bad = [
        ({"op": "map", "target": MSE}, [1, 2]),  # not lists of arguments
        ({"op": "map", "target": MSE, "pick": "0"}, [[]]),  # pick must be an int
        ({"op": "chain", "target": MSE, "steps": -1}, [None, None]),
        ({"op": "then", "target": MSE}, [[], []]),  # no second call
        ({"op": "graph", "target": MSE, "ops": "x", "outputs": []}, []),
        ({"op": "apply", "fn": "system"}, []),
        ({"op": "cell", "source": 42}, None),
        ({"op": "call", "target": {"m": 1, "a": 2}}, []),
        ({"op": "edit", "m": "losses", "a": "mse_forward", "source": "def mse_forward(): 0"}, None),
        ({"op": "edit", "m": "losses", "a": [], "source": None}, None),
        ({"op": "load", "module": "losses", "limit": "10"}, None),
        ({"op": "load", "module": "losses", "limit": -1}, None),
        ({"op": "edit", "m": "losses", "a": ["mse_forward"], "source": 3}, None),
    ]
    for header, args in bad:
        reply, _ = ask(worker, header, args)
        assert "protocol" in reply, header


def test_a_pipelined_request_must_be_a_call_or_an_operator(worker):
    reply, _ = ask(worker, {"op": "ping", "pipe": [-1, "int"]})
    assert reply["protocol"] == "bad pipelined request"


def test_an_exception_of_the_code_comes_back_as_one(worker):
    reply, _ = ask(worker, {"op": "call", "target": MSE}, [torch.zeros(2), torch.zeros(3)])
    assert "exc" in reply and "protocol" not in reply


def test_stand_in_puts_the_kits_part_in_place_and_takes_it_out(worker):
    """One mistake, one charge: the worker puts the kit's stand-in for a part in every module of
    the submission, says which ran, and puts the submission's own back (issue 55)."""
    relu = {"m": "activations", "a": "relu_forward"}
    net = {"m": "layers", "a": "residual_block_forward"}
    x, W1, b1 = torch.randn(4, 3), torch.randn(5, 3), torch.randn(5)
    W2, b2 = torch.randn(3, 5), torch.randn(3)
    ask(worker, {"op": "load", "module": "layers"})
    own = sys.modules[f"{PACKAGE}.activations"].relu_forward
    reply, value = ask(worker, {"op": "stand_in", "parts": ["activations.relu", "layers.linear"]})
    assert value == []
    assert sys.modules[f"{PACKAGE}.activations"].relu_forward is not own
    _, out = ask(worker, {"op": "call", "target": net}, [x, W1, b1, W2, b2])
    assert torch.allclose(out[0], x + torch.relu(x @ W1.T + b1) @ W2.T + b2, atol=1e-6)
    _, value = ask(worker, {"op": "stand_in", "parts": []})
    assert value == ["activations.relu", "layers.linear"]
    assert sys.modules[f"{PACKAGE}.activations"].relu_forward is own
    _, out = ask(worker, {"op": "call", "target": relu}, [torch.tensor([-1.0, 2.0])])
    assert out[0].tolist() == [0.0, 2.0]


def test_stand_in_refuses_a_part_without_a_stand_in(worker):
    for parts in (["losses.mse"], "activations.relu", [3]):
        reply, _ = ask(worker, {"op": "stand_in", "parts": parts})
        assert reply["protocol"] == "bad parts", parts


def test_edit_puts_the_trial_in_place_of_a_function_and_takes_it_out(worker):
    """A repair under trial (issue 79): the edited source stands in for the function in calls
    from the grader, the module itself is left as it was, and ``None`` puts the student's own
    back; a text that defines no such function is no trial."""
    ask(worker, {"op": "load", "module": "losses"})
    own = sys.modules[f"{PACKAGE}.losses"].mse_forward
    edit = {"op": "edit", "m": "losses", "a": ["mse_forward"]}
    source = "def mse_forward(pred, target):\n    return (pred - target).abs().sum(), None\n"
    _, placed = ask(worker, {**edit, "source": source})
    assert placed is True
    _, out = ask(worker, {"op": "call", "target": MSE}, [torch.ones(2), torch.zeros(2)])
    assert out[0].item() == 2.0
    assert sys.modules[f"{PACKAGE}.losses"].mse_forward is own
    _, placed = ask(worker, {**edit, "source": None})
    _, out = ask(worker, {"op": "call", "target": MSE}, [torch.ones(2), torch.zeros(2)])
    assert placed is True and out[0].item() == 1.0
    for text in ("x = 1\n", "def mse_forward(:\n", "mse_forward = 3\n", "mse_forward = int\n"):
        _, placed = ask(worker, {**edit, "source": text})
        assert placed is False, text


def test_edit_of_a_class_puts_the_class_the_text_defines_in_place(worker):
    """An exercise whose contract is a class (`autograd.value`) is edited in its methods: the
    text defines the class again, and calls from the grader construct that class."""
    ask(worker, {"op": "load", "module": "autograd"})
    edit = {"op": "edit", "m": "autograd", "a": ["Value"]}
    source = "class Value:\n    def __init__(self, data):\n        self.data = 2.0 * data\n"
    _, placed = ask(worker, {**edit, "source": source})
    assert placed is True
    value = {"m": "autograd", "a": "Value"}
    assert worker[0].resolve(value)[0](3.0).data == 6.0
    _, placed = ask(worker, {**edit, "source": None})
    assert placed is True and worker[0].resolve(value)[0](3.0).data == 3.0
