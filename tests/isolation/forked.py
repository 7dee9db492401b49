"""Run a check in a forked child and read its JSON report: confinement cannot be undone, so
each case that applies some gets a process of its own."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable


def in_child(fn: Callable[[int], dict]) -> dict:
    """``fn(fd)`` in a forked child, where ``fd`` is the pipe its report goes back on (keep it
    open if the check closes descriptors); returns the report, or ``{"error": ...}``."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            out = fn(write)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            out = {"error": f"{type(exc).__name__}: {exc}"}
        os.write(write, json.dumps(out).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks) or b'{"error": "no report"}')


def outcome(fn: Callable[[], object]) -> str:
    """``"allowed"`` when ``fn()`` returns, else the errno name of the OSError it raised."""
    try:
        fn()
        return "allowed"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
