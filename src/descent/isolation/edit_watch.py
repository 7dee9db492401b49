"""The worker's side of in-place edits: whether a call changed its arguments, and if so, the
arguments re-encoded as they are now (the trusted side's :mod:`.edits` applies them).

A call's arguments are watched from the moment they are decoded: each tensor's version, dtype,
shape and a CRC of its bytes, each generator's state (the decoder's ``leaves``, recorded with
``watch=True``), and the layout of the containers among them (:func:`layout`). Contents are
compared because not every edit bumps the version counter (a write through a NumPy view,
``.data``, a storage alias or ``set_``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .encoding import Encoder, unchanged


def sync_of(call: dict, encoder: Callable[[str | None], Encoder]):
    """The call's arguments as they are now, if the call edited them (or sent an edit
    earlier, during a callback): the trusted side applies them to its own objects."""
    # Tensors decoded from a request share memory with its frame, so an edit also changes
    # the "original" bytes: detection compares each tensor with the version and the CRC of
    # its bytes taken when it was decoded (any edit, even one that leaves the version
    # alone), and container layouts; the trusted side compares values before it logs one.
    if not (
        call["synced"]
        or modified(call["leaves"])
        or layout(call["args"], call["kwargs"]) != call["before"]
    ):
        return None
    sync = _changed(call["args"], call["kwargs"], encoder(call["exercise"]))
    if sync is not None:
        call["synced"] = True
    return sync


def _changed(args, kwargs, enc: Encoder):
    """The call's arguments re-encoded as they are now (so the caller sees the edit)."""
    try:
        new_args = enc.encode(args)
        new_kwargs = enc.encode(kwargs)
    except BaseException:  # noqa: BLE001
        return None
    return {"args": new_args, "kwargs": new_kwargs}, list(enc.blobs)


def layout(args: list, kwargs: dict) -> Any:
    """The signature of the containers among the arguments (the argument list itself is the
    worker's own: a call cannot change it)."""
    nested = [a for a in args if type(a) in (list, dict, tuple)]
    nested += [v for v in kwargs.values() if type(v) in (list, dict, tuple)]
    # each container's signature, not the list just made of them (its identity is new each time)
    return tuple(_signature(v) for v in nested) if nested else None


def _signature(obj: Any, depth: int = 0) -> Any:
    """Identity and layout of the containers in the arguments (cheap change detection)."""
    t = type(obj)
    if depth > 40:
        return id(obj)
    if t is list:
        return ("l", id(obj), len(obj), tuple(_signature(v, depth + 1) for v in obj))
    if t is dict:
        return (
            "d",
            id(obj),
            tuple(map(id, obj)),
            tuple(_signature(v, depth + 1) for v in obj.values()),
        )
    if t is tuple:
        return ("t", tuple(_signature(v, depth + 1) for v in obj))
    return id(obj)


def modified(leaves) -> bool:
    for obj, before in leaves:
        if isinstance(obj, torch.Tensor):
            if not unchanged(obj, before):
                return True
        elif bytes(obj.get_state().numpy()) != before:
            return True
    return False


def shift_blobs(data: Any, base: int) -> Any:
    """Encoded ``data`` with its blob indices moved up by ``base`` (a second encoding's blobs
    placed after the first's in one frame)."""
    if isinstance(data, list):
        return [shift_blobs(v, base) for v in data]
    if isinstance(data, dict):
        ((tag, p),) = data.items()
        if tag in ("$T", "$A", "$G"):
            return {tag: [p[0] + base, *p[1:]]}
        return {tag: shift_blobs(p, base)}
    return data


def blob_len(b) -> int:
    return memoryview(b).nbytes if not isinstance(b, (bytes, bytearray)) else len(b)
