"""Proxies of what lives in a worker (:mod:`descent.isolation.handles`), the parts answered
without a round trip: snapshots, known methods, hashes, releases, a module's listing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from descent.calls.impl import SubmissionError
from descent.isolation import handles
from descent.isolation.connection import Connection
from descent.isolation.handles import ModuleProxy, Remote, RemoteFunction, RemoteMethod

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class _NoWorker(Connection):
    """A connection whose requests are recorded, not sent."""

    def request(self, header, **kw):
        self.sent.append(header)
        return "from the worker"


@pytest.fixture
def conn():
    c = _NoWorker("student", SimpleNamespace(call_timeout=5.0), folder=None)
    c.sent = []
    return c


def test_a_snapshot_answers_attribute_reads_of_this_worker_only(conn):
    node = Remote(conn, 3, "Value", conn.generation)
    conn.snapshot = {3: {"data": 2.5}}
    assert node.data == 2.5 and conn.snapshot_reads == 1 and conn.sent == []
    assert node.grad == "from the worker"  # not in the snapshot: asked
    assert conn.sent[-1] == {"op": "getattr", "target": {"h": 3}, "name": "grad"}
    old = Remote(conn, 3, "Value", conn.generation - 1)
    assert old.data == "from the worker"  # a handle of an earlier worker never reads it


def test_a_known_method_costs_no_round_trip_until_it_is_called(conn):
    conn.methods.add(("Value", "backward"))
    method = Remote(conn, 4, "Value", conn.generation).backward
    assert isinstance(method, RemoteMethod) and conn.sent == []


def test_dunder_names_are_never_asked_and_the_type_name_is_cleaned(conn):
    node = Remote(conn, 1, "Va\x1blue", conn.generation)
    with pytest.raises(AttributeError):
        node.__array__  # noqa: B018 - numpy and pytest probe for these
    assert node.descent_type_name == "Va\ufffdlue" and conn.sent == []


def test_hash_is_of_the_handle_and_a_collected_handle_is_released(conn):
    a, b = Remote(conn, 9, "Value", conn.generation), Remote(conn, 9, "Value", conn.generation)
    other = Remote(conn, 10, "Value", conn.generation)
    assert hash(a) == hash(b) != hash(other)
    del a
    assert conn._releases == [9]


def test_a_module_proxy_hands_out_functions_and_refuses_what_the_worker_did_not_list(conn):
    module = ModuleProxy(conn, "losses", {"mse_forward": "function", "EPS": "data"})
    fn = module.mse_forward
    assert isinstance(fn, RemoteFunction) and conn.sent == []
    assert module.EPS == "from the worker"
    assert conn.sent[-1]["target"] == {"m": "losses", "a": "EPS"}
    with pytest.raises(SubmissionError, match="losses.py of student has no `mse_backward`"):
        module.mse_backward  # noqa: B018
    assert repr(module) == "<module losses of student (in a worker)>"


def test_the_exercise_of_a_function_is_looked_up_once():
    assert handles.exercise_of("losses", "mse_forward").id == "losses.mse"
    assert handles._EXERCISE_OF[("losses", "mse_forward")].id == "losses.mse"
    assert handles.exercise_of("losses", "no_such_function") is None
