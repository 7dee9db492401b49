"""Edits a submission made to its arguments, applied to the grader's own objects.

A call into a worker works on copies of its arguments; the worker sends back the arguments as
they are after the call (a *sync block*). :func:`apply_edits` makes the grader's objects change
exactly as they would have in-process, because graders detect in-place bugs by comparing their
own objects before and after a call, and logs which of them changed (``check.unmodified`` names
an edit even when it restored the original values).
"""

from __future__ import annotations

from typing import Any

import torch


def apply_edits(args, kwargs, new_args, new_kwargs, log: list[int]) -> None:
    """Copy the worker's versions of a call's arguments into ours; ``log`` gets the ids of the
    objects that changed. Mismatched structures are left alone (the worker's copy is data)."""
    pairs = []
    if args is not None and isinstance(new_args, list) and len(new_args) == len(args):
        pairs += list(zip(args, new_args))
    if kwargs is not None and isinstance(new_kwargs, dict):
        pairs += [(old, new_kwargs[k]) for k, old in kwargs.items() if k in new_kwargs]
    for old, new in pairs:
        note_changes(old, new, log)
        apply_inplace(old, new)


def note_changes(old: Any, new: Any, log: list[int], depth: int = 0) -> None:
    """Record (by id) the grader's tensors and containers that differ from the worker's copy."""
    if depth > 64:
        return
    if isinstance(old, torch.Generator):
        return
    if isinstance(old, torch.Tensor):
        if not (
            isinstance(new, torch.Tensor)
            and new.shape == old.shape
            and new.dtype == old.dtype
            and torch.equal(torch.nan_to_num(new.to(old.device)), torch.nan_to_num(old))
        ):
            log.append(id(old))
        return
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        if len(old) != len(new) or type(old) is not type(new):
            log.append(id(old))
        for o, n in zip(old, new):
            note_changes(o, n, log, depth + 1)
        return
    if isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            log.append(id(old))
        for key in old:
            if key in new:
                note_changes(old[key], new[key], log, depth + 1)


def apply_inplace(old: Any, new: Any) -> Any:
    """Make ``old`` look like ``new`` where ``old`` is mutable; returns the object to keep."""
    if isinstance(old, torch.Tensor) and isinstance(new, torch.Tensor):
        with torch.no_grad():
            if old.shape == new.shape and old.dtype == new.dtype:
                old.copy_(new.to(old.device))
            else:
                old.data = new.to(old.device)
        return old
    if isinstance(old, torch.Generator) and isinstance(new, torch.Generator):
        old.set_state(new.get_state())
        return old
    if isinstance(old, list) and isinstance(new, list):
        kept = [apply_inplace(o, n) for o, n in zip(old, new)] + new[len(old) :]
        old[:] = kept
        return old
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old):
            if key not in new:
                del old[key]
        for key, value in new.items():
            old[key] = apply_inplace(old[key], value) if key in old else value
        return old
    if isinstance(old, tuple) and isinstance(new, tuple) and len(old) == len(new):
        kept = tuple(apply_inplace(o, n) for o, n in zip(old, new))
        return old if all(a is b for a, b in zip(kept, old)) else kept
    return new
