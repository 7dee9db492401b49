"""What goes wrong on the other side of the connection, as exceptions on the trusted side.

:class:`WorkerFailure` means the worker itself failed (a time limit, a crash, an out-of-memory
kill, a protocol violation): the worker is killed and the current test fails with the reason.
:class:`RemoteException` is an exception that submission code raised inside the worker, rebuilt
here from its description (type name, message, a few source lines) as an exception of the same
built-in family, so ``pytest.raises(ValueError)`` and ``type(exc).__name__`` read as they would
in-process. Nothing from the worker is unpickled or evaluated; every text is cleaned first.
"""

from __future__ import annotations

from typing import Any

from ..calls.impl import SubmissionError


def clean(text: Any, limit: int = 2000) -> str:
    """Text from the worker, safe to show: no control characters (ANSI escapes), capped."""
    text = str(text)[:limit]
    return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)


class WorkerFailure(SubmissionError):
    """The worker timed out, crashed, ran out of memory or broke the protocol."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


class RemoteException(Exception):
    """Mixin for exceptions raised by submission code in the worker."""

    remote_type = ""
    remote_where: list[str] = []

    def describe(self) -> str:
        where = f" ({'; '.join(self.remote_where[-2:])})" if self.remote_where else ""
        return f"your code raised {self.remote_type}: {self.args[0] if self.args else ''}{where}"


# Built-in family name -> RemoteException subclass that is also of that family.
_MAPPED = {}
for _base in (
    NotImplementedError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    OverflowError,
    FloatingPointError,
    ArithmeticError,
    AttributeError,
    LookupError,
    MemoryError,
    RecursionError,
    RuntimeError,
    AssertionError,
    StopIteration,
    ImportError,
    NameError,
    UnboundLocalError,
    OSError,
):
    _MAPPED[_base.__name__] = type(f"Remote{_base.__name__}", (RemoteException, _base), {})
# (student's class name, family) -> a class of that name, made once (at most 1000 of them).
_NAMED: dict = {}


def _out_of_memory(mro: list, msg: str) -> bool:
    # torch reports a failed allocation as a RuntimeError (its CPU allocator's message) or as
    # torch.OutOfMemoryError, not as MemoryError: which one depends on the build and the limit.
    return bool({"MemoryError", "OutOfMemoryError"} & set(mro)) or "can't allocate memory" in msg


def remote_exception(info: dict) -> Exception:
    """The exception a worker's ``exc`` reply describes (``type``, ``mro``, ``msg``, ``where``;
    ``base`` for a BaseException such as SystemExit, which ends only that call)."""
    mro = info.get("mro") or []
    cls = RemoteException
    if not info.get("base"):
        for name in mro:
            if name in _MAPPED:
                cls = _MAPPED[name]
                break
    msg = clean(info.get("msg", ""))
    kind = clean(info.get("type", "Exception"), 100)
    if info.get("base"):
        msg = f"{msg} (a {kind} from submission code ends only that call)"
    if _out_of_memory(mro, msg):
        msg = f"worker ran out of memory ({msg or 'MemoryError'})"
    key = (kind, cls)
    named = _NAMED.get(key)
    if named is None and len(_NAMED) < 1000:
        named = _NAMED[key] = type(kind if kind.isidentifier() else "RemoteException", (cls,), {})
    try:
        exc = (named or cls)(msg)
    except Exception:  # noqa: BLE001
        exc = RemoteException(msg)
    exc.remote_type = kind
    exc.remote_where = [clean(w, 200) for w in info.get("where", [])][:3]
    return exc
