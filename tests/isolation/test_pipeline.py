"""Requests sent without waiting (:mod:`descent.isolation.pipeline`): which request shapes are
learned as pipelined, the queue, types the worker corrects, and the size bounds of the queue."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from descent.isolation import encoding, pipeline
from descent.isolation.connection import Connection
from descent.isolation.handles import Remote

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class _Answering(Connection):
    """A connection with a live worker in name only: each request answers ``self.answer``."""

    def request(self, header, **kw):
        self.sent.append(header)
        return self.answer(self)


@pytest.fixture
def conn():
    c = _Answering("student", SimpleNamespace(call_timeout=5.0), folder=None)
    c.process, c.sent = SimpleNamespace(alive=True), []
    c.answer = lambda c: Remote(c, 100 + len(c.sent), "Value", c.generation)
    return c


def test_a_shape_that_returned_a_handle_is_queued_the_next_time(conn):
    a = Remote(conn, 1, "Value", conn.generation)
    first = conn.pipeline.submit({"op": "apply", "fn": "add"}, ("apply", "add"), [a, 2.0], None, a)
    assert first._hid == 101 and len(conn.sent) == 1  # synchronous: it teaches the shape
    second = conn.pipeline.submit({"op": "apply", "fn": "add"}, ("apply", "add"), [a, 3.0], None, a)
    assert len(conn.sent) == 1 and second._hid == -1 and second._type == "Value"
    (queued,) = conn.pipeline.queue
    assert queued["pipe"] == [-1, "Value"] and queued["args"] == [{"$h": [1, "Value"]}, 3.0]
    assert conn.pipeline.take()[0] == [queued] and conn.pipeline.queue == []


def test_a_shape_that_ever_returned_data_is_never_queued(conn):
    a = Remote(conn, 1, "Value", conn.generation)
    conn.answer = lambda c: 4.0
    submit = conn.pipeline.submit
    assert submit({"op": "apply", "fn": "mul"}, ("apply", "mul"), [a, 2], None, a) == 4.0
    conn.answer = lambda c: Remote(c, 7, "Value", c.generation)
    submit({"op": "apply", "fn": "mul"}, ("apply", "mul"), [a, 2], None, a)
    submit({"op": "apply", "fn": "mul"}, ("apply", "mul"), [a, 2], None, a)
    assert len(conn.sent) == 3 and conn.pipeline.queue == []


def test_a_type_the_worker_corrects_renames_the_handle_and_stops_the_shape(conn):
    a = Remote(conn, 1, "Value", conn.generation)
    submit = conn.pipeline.submit
    submit({"op": "apply", "fn": "neg"}, ("apply", "neg"), [a], None, a)
    queued = submit({"op": "apply", "fn": "neg"}, ("apply", "neg"), [a], None, a)
    conn.pipeline.settle({"fix": [[queued._hid, "Tensor"], "junk", [5, 6]]})
    assert queued._type == "Tensor"
    submit({"op": "apply", "fn": "neg"}, ("apply", "neg"), [a], None, a)
    assert len(conn.sent) == 2  # synchronous again


def test_only_this_workers_handles_and_scalars_make_a_shape(conn):
    shape = conn.pipeline._shape
    a = Remote(conn, 1, "Value", conn.generation)
    assert shape(("apply", "add"), [a, 1], {"k": "s"}) == (
        "apply", "add", ("Value", int, str), ("k",)
    )  # fmt: skip
    assert shape(("apply", "add"), [a, [1, 2]], None) is None  # a list could be edited
    assert shape(("apply", "add"), [Remote(conn, 1, "Value", conn.generation - 1)], None) is None
    assert shape(("apply", "add"), ["x" * 201], None) is None


@pytest.mark.parametrize(
    "value", [None, True, 0, -(2**62), 1.5, math.inf, -math.nan, "", 'é𝄞"\\\n' * 7]
)
def test_a_queued_value_is_its_json_and_its_size_bound_holds(value):
    text = json.dumps(pipeline._pipe_value(value))
    assert len(text) <= pipeline._pipe_size(value)
    if isinstance(value, float) and not math.isfinite(value):
        assert json.loads(text) == {"$f": repr(value)}


def test_an_integer_too_large_to_cross_is_not_queued():
    with pytest.raises(ValueError, match="integer too large"):
        pipeline._pipe_value(encoding.MAX_INT)


def test_the_request_size_bounds_the_json_of_the_request():
    header = {"op": "apply", "fn": "pow"}
    args, kwargs = [2.0, "𝄞" * 40], {"exponent": 3}
    queued_kwargs = {"$d": [[k, v] for k, v in kwargs.items()]}  # as _enqueue writes them
    sent = dict(header, id=10**6, pipe=[-(10**6), "Value"], args=args, kwargs=queued_kwargs)
    assert len(json.dumps(sent)) <= pipeline._request_size(header, "Value", args, kwargs)
