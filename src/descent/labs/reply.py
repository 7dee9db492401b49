"""A notebook cell's reply from its worker, as the grading side takes it in.

The worker caps what a cell prints and raises (:mod:`descent.isolation.cells`), but the worker
also runs the student's code, and a cell can replace the worker's own cell runner: after that a
reply holds whatever the notebook chose (a 1 MB exception type, 3 MB of "refused" paths, a dict
where a string belongs). So the grading side rebuilds every reply from its fields, each of the
type it must have and cut to the worker's own caps, before anything of it reaches the notebook;
the notebook's output budget (:class:`descent.labs.caps.OutputBudget`) then charges every text
it keeps, the exception's type and the refused paths included.
"""

from __future__ import annotations

from typing import Any

from ..isolation import cells

MAX_TYPE = 100  # characters of an exception's type name (the worker's own cap)
MAX_MESSAGE = 2000  # characters of an exception's message (the same)
MAX_PATH = 300  # characters of one refused path (the same)
MAX_TEXT = cells.MAX_OUTPUT + 100  # a cell's stdout or stderr, with the worker's cut note


def well_formed(reply: Any) -> dict | None:
    """``reply`` as ``{"stdout", "stderr", "result", "error", "refused"}`` with every field of
    its type and within its cap, or None when it is not a cell's reply at all (not a dict, or
    without the three fields every reply has)."""
    if not (isinstance(reply, dict) and {"stdout", "stderr", "error"} <= set(reply)):
        return None
    result = reply.get("result")
    return {
        "stdout": _text(reply["stdout"], MAX_TEXT),
        "stderr": _text(reply["stderr"], MAX_TEXT),
        "result": None if result is None else _text(result, MAX_TEXT),
        "error": _error(reply["error"]),
        "refused": _paths(reply.get("refused")),
    }


def _text(value: Any, limit: int) -> str:
    return value[:limit] if type(value) is str else "<not text>"


def _error(error: Any) -> dict | None:
    if error is None:
        return None
    if type(error) is not dict:
        return {"type": "<not text>", "msg": "<not text>"}
    return {
        "type": _text(error.get("type"), MAX_TYPE),
        "msg": _text(error.get("msg"), MAX_MESSAGE),
    }


def _paths(paths: Any) -> list[str]:
    if type(paths) is not list:
        return []
    return [_text(p, MAX_PATH) for p in paths[: cells.MAX_REFUSED]]
