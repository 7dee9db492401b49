"""What goes wrong in the worker, as exceptions on the trusted side (:mod:`descent.isolation.errors`):
text from the worker cleaned and capped, and a described exception rebuilt in its family."""

from __future__ import annotations

import pytest

from descent.calls.impl import SubmissionError
from descent.isolation.errors import RemoteException, WorkerFailure, clean, remote_exception

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_clean_replaces_control_characters_and_caps_the_text():
    assert clean("a\x1b[31mred\x1b[0m\tok\n") == "a\ufffd[31mred\ufffd[0m\tok\n"
    assert clean("x" * 5000) == "x" * 2000
    assert clean("abcdef", limit=3) == "abc"
    assert clean(12) == "12"


def test_a_worker_failure_is_a_submission_error_with_its_kind():
    failure = WorkerFailure("worker ran out of memory", "oom")
    assert isinstance(failure, SubmissionError)
    assert failure.kind == "oom" and str(failure) == "worker ran out of memory"


def test_an_exception_is_rebuilt_in_its_builtin_family_under_its_own_name():
    exc = remote_exception(
        {
            "type": "ShapeError",
            "mro": ["ShapeError", "ValueError", "Exception", "BaseException", "object"],
            "msg": "bad \x1b[2Jshape",
            "where": ["losses.py:3 in mse_forward", "losses.py:9 in _helper", "x.py:1 in f"],
        }
    )
    assert isinstance(exc, ValueError) and isinstance(exc, RemoteException)
    assert type(exc).__name__ == "ShapeError"
    assert str(exc) == "bad \ufffd[2Jshape"
    assert exc.remote_where == [
        "losses.py:3 in mse_forward",
        "losses.py:9 in _helper",
        "x.py:1 in f",
    ]
    assert exc.describe() == (
        "your code raised ShapeError: bad \ufffd[2Jshape (losses.py:9 in _helper; x.py:1 in f)"
    )


def test_an_unknown_family_is_a_plain_remote_exception():
    exc = remote_exception({"type": "Weird", "mro": ["Weird", "Exception"], "msg": "m"})
    assert isinstance(exc, RemoteException) and not isinstance(exc, ValueError)
    assert exc.remote_type == "Weird" and exc.remote_where == []
    assert exc.describe() == "your code raised Weird: m"


def test_a_base_exception_ends_only_that_call_and_keeps_no_family():
    exc = remote_exception(
        {"type": "SystemExit", "mro": ["SystemExit", "BaseException"], "msg": "3", "base": True}
    )
    assert isinstance(exc, RemoteException) and isinstance(exc, Exception)
    assert str(exc) == "3 (a SystemExit from submission code ends only that call)"


def test_memory_errors_say_the_worker_ran_out_of_memory():
    exc = remote_exception({"type": "MemoryError", "mro": ["MemoryError", "Exception"]})
    assert isinstance(exc, MemoryError)
    assert str(exc) == "worker ran out of memory (MemoryError)"


def test_torch_s_failed_allocations_say_the_worker_ran_out_of_memory():
    # as seen on a GPU machine, where the allocation failed before any limit killed the worker
    cpu = "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"
    exc = remote_exception({"type": "RuntimeError", "mro": ["RuntimeError"], "msg": cpu})
    assert isinstance(exc, RuntimeError)
    assert str(exc).startswith("worker ran out of memory (")
    mro = ["OutOfMemoryError", "RuntimeError", "Exception"]
    exc = remote_exception({"type": "OutOfMemoryError", "mro": mro, "msg": "CUDA out of memory"})
    assert str(exc) == "worker ran out of memory (CUDA out of memory)"
    plain = remote_exception({"type": "RuntimeError", "mro": ["RuntimeError"], "msg": "shapes"})
    assert str(plain) == "shapes"


def test_a_type_name_that_is_no_identifier_is_not_used_as_a_class_name():
    exc = remote_exception({"type": "not a name!", "mro": ["KeyError"], "msg": "k"})
    assert isinstance(exc, KeyError)
    assert type(exc).__name__ == "RemoteException" and exc.remote_type == "not a name!"
