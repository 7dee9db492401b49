"""The values a piece of code computes, line by line: what a diagnosis compares between the
student's code and the reference's on one input, to say where the student's values first part
from a correct computation's (:mod:`descent.diagnoses.diverged`).

Inside :func:`watched`, every line run in a file of the given folder that binds a local name
to a number or an array (a torch tensor, a NumPy array, a float) adds a :class:`Step`: the file,
the line, the function and the value, flattened to float64 (at most :data:`MOST_VALUES` of its
entries). A function's arguments are steps of kind ``"argument"``, its returned value one of
kind ``"return"``. At most :data:`MOST_STEPS` steps are kept: a loop over many entries says
little that its first steps did not. The one trace hook of a re-run, put back as it was after
it; nothing here runs unless a diagnosis asks.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator
from typing import Any, NamedTuple

import torch

MOST_STEPS = 400  # steps kept at most per block
MOST_VALUES = 256  # entries of one value kept at most
_BIGGEST = 1 << 16  # entries of an array past which it is not read at all
_LISTED = 1024  # entries of a list of floats past which it is not read (each is looked at)


class Step(NamedTuple):
    """One value the code computed: where (``file``, ``line``, ``function``), how (``kind``:
    ``"argument"``, ``"line"`` or ``"return"``), the local name it was bound to (``""`` for a
    returned value), its shape (``()`` for a number), its first :data:`MOST_VALUES` entries,
    flattened, as a float64 tensor, the call it was computed in (numbered from 1 in the
    order calls start: a call made inside another has a higher number) and the line that made
    that call, where it is in a watched file (0 otherwise). A name may be an object's attribute
    (``self.weight``) or an item of a dict (``cache['x']``): state the code keeps is a value too."""

    file: str
    line: int
    function: str
    kind: str
    name: str
    shape: tuple[int, ...]
    values: torch.Tensor
    call: int = 0
    caller: int = 0


def flat(value: Any) -> torch.Tensor | None:
    """``value`` as a flat float64 tensor on the CPU (all its entries), or ``None`` when it is
    not a number or an array of numbers (booleans count: a mask is a step too; a list of floats
    is an array, as code that computes with Python's numbers keeps one)."""
    if isinstance(value, (bool, int)) or value is None:  # a count or a loop's index: no value
        return None
    if isinstance(value, float):
        return torch.tensor([float(value)], dtype=torch.float64)
    if isinstance(value, list) and 0 < len(value) <= _LISTED and all(_real(v) for v in value):
        return torch.tensor([float(v) for v in value], dtype=torch.float64)  # a course's floats
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.numel() > _BIGGEST or value.layout != torch.strided:
            return None
        return value.detach().to("cpu", torch.float64).reshape(-1)
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind in ("b", "i", "u", "f") and getattr(value, "size", _BIGGEST + 1) <= _BIGGEST:
        try:
            return torch.as_tensor(value.astype("float64").reshape(-1))
        except (TypeError, ValueError, AttributeError):
            return None
    return None


def _real(value: Any) -> bool:
    """``value`` is a float (NumPy's scalars included), not a count or a flag."""
    return isinstance(value, float)


_MOST_HELD = 32  # attributes and dict items read per frame at most
_NOT_STATE = (type, types.ModuleType, types.FunctionType, types.MethodType)  # code, not values


def _visible(names: dict) -> list[tuple[str, Any]]:
    """A frame's locals, then the numeric attributes of the local objects (``self.w``,
    ``model.weights``), the numeric items of their dicts and of the local dicts
    (``self.params['W1']``, ``cache['x']``), a few."""
    out = list(names.items())
    held: list[tuple[str, Any]] = []
    for name, value in list(names.items()):
        if isinstance(value, dict):
            held += _items(name, value)
            continue
        state = None if isinstance(value, _NOT_STATE) else getattr(value, "__dict__", None)
        for key, item in list(state.items())[:_MOST_HELD] if type(state) is dict else []:
            whole = f"{name}.{key}"
            held += _items(whole, item) if isinstance(item, dict) else [(whole, item)]
    return out + [(n, v) for n, v in held if flat(v) is not None][:_MOST_HELD]


def _items(name: str, mapping: dict) -> list[tuple[str, Any]]:
    return [(f"{name}[{k!r}]", v) for k, v in list(mapping.items())[:_MOST_HELD] if type(k) is str]


class _Frames:
    """The trace of one block: each traced frame's last line and the identity and entries of
    its locals when last seen."""

    def __init__(self, folder: str, steps: list[Step], most: int):
        self.folder, self.steps, self.most = folder, steps, most
        self.seen: dict[int, dict[str, tuple[int, Any]]] = {}
        self.last: dict[int, int] = {}
        self.calls: dict[int, tuple[int, int]] = {}  # each traced frame's call number and caller
        self.started = 0

    def add(self, frame: types.FrameType, line: int, kind: str, value: Any, name: str = "") -> None:
        if isinstance(value, (tuple, list)) and kind == "return":  # each result handed back
            for item in value[:8]:
                self.add(frame, line, kind, item)
            return
        if len(self.steps) >= self.most:
            return
        values = flat(value)
        if values is None or not values.numel():
            return
        code = frame.f_code
        shape = tuple(int(n) for n in getattr(value, "shape", ()))
        self.steps.append(
            Step(
                os.path.basename(code.co_filename),
                line,
                getattr(code, "co_qualname", code.co_name),
                kind,
                name,
                shape,
                values[:MOST_VALUES].clone(),
                *self.calls.get(id(frame), (0, 0)),
            )
        )

    def changed(self, frame: types.FrameType, kind: str) -> None:
        """The locals the frame's last line bound or changed, as steps of that line."""
        before = self.seen.setdefault(id(frame), {})
        line = self.last.get(id(frame), frame.f_lineno)
        for name, value in _visible(frame.f_locals):
            values = flat(value)
            mark = (id(value), None if values is None else values[:MOST_VALUES].tolist())
            if before.get(name) != mark:
                before[name] = mark
                if values is not None:
                    self.add(frame, line, kind, value, name)

    def local(self, frame: types.FrameType, event: str, arg: Any):
        if event == "line":
            self.changed(frame, "line")
            self.last[id(frame)] = frame.f_lineno
        elif event == "return":
            self.changed(frame, "line")
            self.add(frame, frame.f_lineno, "return", arg)
            self.seen.pop(id(frame), None)
            self.last.pop(id(frame), None)
            self.calls.pop(id(frame), None)
        return self.local

    def call(self, frame: types.FrameType, event: str, arg: Any):
        if event != "call" or not frame.f_code.co_filename.startswith(self.folder):
            return None
        if len(self.steps) >= self.most:
            return None
        self.started += 1
        back = frame.f_back
        within = back is not None and back.f_code.co_filename.startswith(self.folder)
        self.calls[id(frame)] = (self.started, back.f_lineno if within and back else 0)
        self.changed(frame, "argument")
        self.last[id(frame)] = frame.f_lineno
        return self.local


def checked(said: Any) -> list[Step]:
    """The steps a worker sent (``[file, line, function, kind, name, shape, values, call,
    caller]`` lists), those well formed only and :data:`MOST_STEPS` at most: the submission's
    process may say anything."""
    out: list[Step] = []
    for item in said[:MOST_STEPS] if isinstance(said, list) else []:
        if not (isinstance(item, list) and len(item) == 9):
            continue
        file, line, function, kind, name, shape, values, call, caller = item
        if (
            all(type(v) is str and len(v) <= 200 for v in (file, function, kind, name))
            and type(line) is int
            and type(call) is int
            and type(caller) is int
            and isinstance(shape, list)
            and len(shape) <= 8
            and all(type(n) is int and n >= 0 for n in shape)
            and isinstance(values, torch.Tensor)
            and values.dim() == 1
            and 0 < values.numel() <= MOST_VALUES
        ):
            shape = tuple(shape)
            values = values.to(torch.float64)
            out.append(Step(file, line, function, kind, name, shape, values, call, caller))
    return out


@contextlib.contextmanager
def watched(folder: str, steps: list[Step], most: int = MOST_STEPS) -> Iterator[None]:
    """Inside the block, the values computed by this thread in files of ``folder`` are added to
    ``steps`` (see the module's docstring)."""
    frames = _Frames(folder, steps, most)
    before = sys.gettrace()
    sys.settrace(frames.call)
    try:
        yield
    finally:
        sys.settrace(before)
