"""One worker as a channel of requests (:mod:`descent.isolation.connection`), the parts that need
no worker: what a request is known by for the time limits, ids, and released handles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from descent.isolation import connection
from descent.isolation.connection import Connection, _request_key
from descent.isolation.handles import Remote

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def conn():
    return Connection("student", SimpleNamespace(call_timeout=5.0), folder=None)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ({"op": "load", "module": "losses"}, ("import losses.py",)),
        ({"op": "call", "target": {"m": "schedules", "a": "step_lr"}}, ("step_lr",)),
        (
            {"op": "then", "target": {"a": "mse_forward"}, "then": {"a": "mse_backward"}},
            ("mse_forward", "mse_backward"),
        ),
        ({"op": "call", "target": {"a": 3}}, None),  # no name: not remembered
        ({"op": "ping"}, None),
    ],
)
def test_a_request_is_known_by_the_submission_functions_it_runs(header, key):
    assert _request_key(header, None) == key


def test_a_method_of_a_held_object_is_known_by_its_class_but_an_attribute_read_is_not(conn):
    value = Remote(conn, 7, "Value", conn.generation)
    assert _request_key({"op": "apply", "fn": "backward"}, value) == ("Value",)
    assert _request_key({"op": "getattr", "name": "grad"}, value) is None


def test_ids_count_up_and_a_new_connection_has_no_worker(conn):
    assert [conn.new_id(), conn.new_id(), conn.new_id()] == [1, 2, 3]
    assert conn.process is None and not conn.can_pipeline(None)


def test_released_handles_ride_on_the_next_requests_a_thousand_at_a_time(conn):
    conn.release(conn.generation, 5)
    conn.release(conn.generation + 1, 6)  # of a worker that is not this one: dropped
    header: dict = {}
    assert conn.attach_releases(header) == 24 and header["rel"] == [5]
    assert conn.attach_releases({}) == 0
    for hid in range(connection.RELEASES_PER_REQUEST + 10):
        conn.release(conn.generation, hid)
    first, second = {}, {}
    conn.attach_releases(first)
    conn.attach_releases(second)
    assert len(first["rel"]) == connection.RELEASES_PER_REQUEST and len(second["rel"]) == 10
