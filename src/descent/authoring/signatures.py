"""The arguments a new exercise's function takes, read from the functions its module already has.

A function's naming convention is its suffix (:data:`SUFFIXES`: ``NAME_forward``,
``NAME_backward``, ``NAME_step``) or none (a function named like its exercise). Its arguments
are those its module's functions of the same convention take, as the references in
``solutions/`` write them (the required ones: the author adds hyperparameters with defaults):

* the list that two or more of them take, the most common one (``(pred, target)`` for a loss's
  forward, ``(dloss, cache)`` for its backward, ``(param, grad, state)`` for an optimizer);
* else the longest leading part that more than half of them share (``(step, base_lr)`` for a
  schedule, ``(x, gamma, beta)`` for a normalization's forward);
* else, in a module with fewer than two such functions, what the kit's functions of that
  suffix take (a backward's ``(dy, cache)``), and ``x`` for a function named like its exercise.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

SUFFIXES = ("_forward", "_backward", "_step")
PLACEHOLDER = ("x",)  # a function with no convention to follow


def convention(function: str) -> str:
    """The suffix of ``function``'s naming convention ("" for a function named like its
    exercise)."""
    return next((s for s in SUFFIXES if function.endswith(s)), "")


def _required(path: Path, suffix: str) -> list[tuple[str, ...]]:
    """The required positional arguments of each public function of ``path`` whose naming
    convention is ``suffix``, in the file's order."""
    if not path.is_file():
        return []
    found = []
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        if convention(node.name) != suffix:
            continue
        args = node.args.posonlyargs + node.args.args
        found.append(tuple(a.arg for a in args[: len(args) - len(node.args.defaults)]))
    return found


def shared(lists: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The arguments ``lists`` (of the functions of one convention) agree on: the most common
    list that two or more take (ties: the first in the file), else the longest leading part
    more than half of them share; None for fewer than two lists, or no agreement."""
    if len(lists) < 2:
        return None
    counts = Counter(lists)
    top = max(counts.values())
    if top >= 2:
        return next(args for args in lists if counts[args] == top)
    prefix: tuple[str, ...] = ()
    while True:
        following = Counter(
            args[len(prefix)]
            for args in lists
            if len(args) > len(prefix) and args[: len(prefix)] == prefix
        )
        if not following:
            return prefix or None
        name, count = following.most_common(1)[0]  # ties: the first in the file
        if 2 * count <= len(lists):
            return prefix or None
        prefix += (name,)


def arguments(kit: Path, module: str, function: str) -> str:
    """The arguments of a new ``function`` of ``solutions/<module>.py``, written as a signature
    writes them (``"pred, target"``)."""
    suffix = convention(function)
    own = shared(_required(kit / "solutions" / f"{module}.py", suffix))
    if own is None and suffix:
        kit_wide = [
            a for p in sorted((kit / "solutions").glob("*.py")) for a in _required(p, suffix)
        ]
        own = shared(kit_wide)
    return ", ".join(own or PLACEHOLDER)
