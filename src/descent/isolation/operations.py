"""The worker's operations, one handler each, dispatched by :data:`HANDLERS`.

A handler runs inside the worker, on a request the trusted side sent: ``handler(worker, header,
blobs, out)`` validates the header (a malformed one raises :class:`ProtocolError`), runs the
student's code under :func:`tripwire.watch`, and records what the reply needs in ``out`` (an
:class:`Outcome`). :meth:`Worker.handle` owns everything the handlers share: releasing handles,
pipelining, turning exceptions into replies, encoding the result. A handler that answers by
itself returns :data:`REPLIED`.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..calls import callables, stacking, stand_ins, tape
from . import cells, edit_watch, held, tripwire
from .protocol import ProtocolError

REPLIED = object()
MAX_CHAIN = 100_000

OPERATORS = {
    **tape.OPERATORS,  # the arithmetic operators a Value graph may use, and more:
    "matmul": operator.matmul,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "invert": operator.invert,
    "getitem": operator.getitem,
    "setitem": operator.setitem,
    "delitem": operator.delitem,
    "contains": operator.contains,
    "len": len,
    "bool": bool,
    "float": float,
    "int": int,
    "index": operator.index,
    "repr": repr,
    "str": str,
    "iter": lambda x: list(x),
    "hash": hash,
}


@dataclass
class Outcome:
    """What one operation produced, for the reply (or for a pipelined handle)."""

    result: Any = None
    exercise: str | None = None
    hits: set[str] = field(default_factory=set)  # forbidden library calls seen while it ran
    sync: tuple | None = None  # in-place edits to copy back (a call)
    method: bool = False  # the attribute read is a bound method
    snap: list | None = None  # attribute snapshot sent with the reply
    stacked: Any = None  # results packed into stacked tensors


def _arguments(dec, header: dict) -> tuple[Any, Any]:
    return dec.decode(header.get("args", [])), dec.decode(header.get("kwargs", {"$d": []}))


def _pick(header: dict) -> int | None:
    pick = header.get("pick")
    if pick is not None and type(pick) is not int:
        raise ProtocolError("bad pick")
    return pick


def op_load(worker, header: dict, blobs, out: Outcome):
    """Import a module of the submission (``limit``: the CPU seconds its import may take;
    ``refuse``: [module, reason] pairs that ran out of time in another worker of the grading)."""
    limit = header.get("limit")
    if limit is not None and (type(limit) not in (int, float) or not 0 < limit <= 3600):
        raise ProtocolError("bad import limit")
    refuse = header.get("refuse", [])
    if type(refuse) is not list or not all(
        type(r) is list and len(r) == 2 and all(type(x) is str for x in r) for r in refuse
    ):
        raise ProtocolError("bad refusals")
    worker.submission.refuse(refuse)
    loaded = worker.submission.load(header["module"], limit)
    worker._send({"id": header.get("id"), "load": loaded})
    return REPLIED


def op_call(worker, header: dict, blobs, out: Outcome) -> None:
    dec = worker.decoder(blobs, watch=True)
    fn, out.exercise = worker.resolve(header["target"])
    args, kwargs = _arguments(dec, header)
    if type(args) is not list or type(kwargs) is not dict:
        raise ProtocolError("bad arguments")
    _run_synced(worker, header, blobs, dec, args, kwargs, out, lambda: fn(*args, **kwargs))


def _run_synced(
    worker, header: dict, blobs, dec, args: list, kwargs: dict, out: Outcome, run
) -> None:
    """``run()`` with the request's arguments watched: an edit to any of them, however it was
    made, is sent back in the reply (and before any callback) so the grader sees it."""
    # The only decoders that record a CRC of each tensor (``watch=True``): an edit through
    # ``.numpy()``, ``.data`` or ``set_`` leaves the version counter alone, and without the CRC
    # such an edit would pass the graders' "arguments unchanged" check through a worker while
    # it fails in-process. Requests whose edits never go back (sweeps, chains, graphs,
    # operators, results) decode without it.
    call = {
        "rid": header.get("id"),
        "header": header,
        "blobs": blobs,
        "args": args,
        "kwargs": kwargs,
        "leaves": dec.leaves,
        "exercise": out.exercise,
        "before": edit_watch.layout(args, kwargs),
        "synced": False,
    }
    worker.active.append(call)
    try:
        with tripwire.watch(out.exercise) as out.hits:
            out.result = run()
    finally:
        worker.active.pop()
    out.sync = worker.sync_of(call)


def op_map(worker, header: dict, blobs, out: Outcome) -> None:
    """A sweep of calls (``descent.calls.impl.call_each``); edits to arguments are not synced."""
    fn, out.exercise = worker.resolve(header["target"])
    arg_lists, kwargs = _arguments(worker.decoder(blobs), header)
    if (
        type(arg_lists) is not list
        or type(kwargs) is not dict
        or not all(type(a) is list for a in arg_lists)
    ):
        raise ProtocolError("bad arguments")
    pick = _pick(header)
    copy = callables.fresh if header.get("fresh") is True else None
    with tripwire.watch(out.exercise) as out.hits:
        calls = (fn(*(copy(args) if copy else args), **kwargs) for args in arg_lists)
        # each result kept as it is before the next call (see callables.kept)
        result = [callables.kept(r if pick is None else r[pick]) for r in calls]
    out.result = result
    if header.get("stack") is True:
        packed = stacking.stack_results(result)
        if packed is not None:
            out.stacked, out.result = packed


def op_chain(worker, header: dict, blobs, out: Outcome) -> None:
    """A chain of calls, each fed from the last (``descent.calls.impl.call_chain``)."""
    fn, out.exercise = worker.resolve(header["target"])
    steps = header.get("steps")
    advance_start = worker.decoder(blobs).decode(header.get("args", []))
    if (
        type(steps) is not int
        or not 0 <= steps <= MAX_CHAIN
        or type(advance_start) is not list
        or len(advance_start) != 2
        or not isinstance(advance_start[0], callables.Described)
    ):
        raise ProtocolError("bad chain")
    pick = _pick(header)
    with tripwire.watch(out.exercise) as out.hits:
        out.result = callables.run_chain(fn, advance_start[0], steps, advance_start[1], pick)
    if header.get("stack") is True:
        packed = stacking.stack_chain(out.result)
        if packed is not None:
            out.stacked, out.result = packed


def op_then(worker, header: dict, blobs, out: Outcome) -> None:
    """Two calls of one exercise, the first feeding the second (``descent.calls.impl.call_then``)."""
    fn, out.exercise = worker.resolve(header["target"])
    then = header.get("then")
    if type(then) is not dict:
        raise ProtocolError("bad second call")
    then_fn, then_exercise = worker.resolve(then)
    dec = worker.decoder(blobs, watch=True)
    pair, kwargs = _arguments(dec, header)
    pick = header.get("pick")
    if (
        type(pair) is not list
        or len(pair) != 2
        or not all(type(a) is list for a in pair)
        or type(kwargs) is not dict
        or type(pick) is not int
        or then_exercise != out.exercise
    ):
        raise ProtocolError("bad arguments")
    # Both calls' arguments are watched, as for a single call: a forward that edits its input
    # in place must be seen by the grader whether it runs alone or paired with its backward.
    _run_synced(
        worker,
        header,
        blobs,
        dec,
        pair,
        kwargs,
        out,
        lambda: then_fn(*pair[1], fn(*pair[0], **kwargs)[pick]),
    )


def op_graph(worker, header: dict, blobs, out: Outcome) -> None:
    """A recorded ``Value`` graph, rebuilt and differentiated (``descent.calls.impl.run_graph``)."""
    cls, out.exercise = worker.resolve(header["target"])
    leaves = worker.decoder(blobs).decode(header.get("args", []))
    ops, outputs = header.get("ops"), header.get("outputs")
    if type(leaves) is not list:
        raise ProtocolError("bad graph leaves")
    try:
        tape.check(ops, outputs, len(leaves))
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None
    with tripwire.watch(out.exercise) as out.hits:
        out.result = tape.evaluate(tape.replay(cls, leaves, ops, outputs))


def op_getattr(worker, header: dict, blobs, out: Outcome) -> None:
    obj, out.exercise = worker.resolve(header["target"])
    name = header["name"]
    if type(name) is not str:
        raise ProtocolError("bad attribute name")
    if name == "__descent_module_value__" and "m" in header["target"]:
        out.result = obj
        return
    with tripwire.watch(out.exercise) as out.hits:
        out.result = getattr(obj, name)
    if (
        isinstance(out.result, types.MethodType)
        and out.result.__self__ is obj
        and isinstance(getattr(type(obj), name, None), types.FunctionType)
    ):
        out.method = True
    elif "h" in header["target"] and held.snapshots(out.result):
        out.snap = worker.held.snapshot(type(obj))


def op_setattr(worker, header: dict, blobs, out: Outcome) -> None:
    obj, out.exercise = worker.resolve(header["target"])
    with tripwire.watch(out.exercise) as out.hits:
        setattr(obj, header["name"], worker.decoder(blobs).decode(header["value"]))


def op_apply(worker, header: dict, blobs, out: Outcome) -> None:
    """An operator (``a + b``, ``-a``) applied to handles and numbers."""
    fn = OPERATORS.get(header.get("fn"))
    if fn is None:
        raise ProtocolError("unknown operation")
    args = worker.decoder(blobs).decode(header.get("args", []))
    out.exercise = worker.held.exercise_of(args)
    with tripwire.watch(out.exercise) as out.hits:
        out.result = fn(*args)


def op_cell(worker, header: dict, blobs, out: Outcome) -> None:
    """A notebook cell, run in the notebook's namespace (:mod:`.cells`); ``"watch": false``
    runs it without watching the paths it opens."""
    source = header.get("source")
    if type(source) is not str:
        raise ProtocolError("bad cell")
    modules = worker.submission.modules
    if cells.MODULE not in modules:
        modules[cells.MODULE] = cells.namespace()
    if header.get("watch") is False:
        out.result = cells.run(modules[cells.MODULE], source, watch=False)
    else:  # a lab's cell: called as it always was (a student cell may have replaced the runner)
        out.result = cells.run(modules[cells.MODULE], source)


def op_stand_in(worker, header: dict, blobs, out: Outcome) -> None:
    """The kit's stand-ins in place of the submission's own parts (``parts``: exercise ids that
    have one), or with no parts its own back; replies with the parts whose stand-ins ran."""
    parts = header.get("parts")
    if type(parts) is not list or any(
        type(p) is not str or p not in stand_ins.STAND_INS for p in parts
    ):
        raise ProtocolError("bad parts")
    # what the stand-ins do is the kit's, never a use of the library by the student's code
    out.result = worker.submission.stand_in(parts, quiet=tripwire.quiet)


def op_edit(worker, header: dict, blobs, out: Outcome) -> None:
    """Functions of the submission (``a``: their names) replaced by the trusted side's edit of
    the module's own source, or put back (``source`` None): a repair under trial. Replies whether the edit is in place.
    Running the edit's ``def`` and ``class`` statements runs no student code but their
    decorators, defaults and class bodies, and the copy of a module-level object of a class the
    edit redefines (its ``__deepcopy__``, if any), under the request's time limit as any request."""
    module, names, source = header.get("m"), header.get("a"), header.get("source")
    if (
        type(module) is not str
        or type(names) is not list
        or not 0 < len(names) <= 100
        or any(type(n) is not str for n in names)
    ):
        raise ProtocolError("bad edit target")
    if source is not None and (type(source) is not str or len(source) > 200_000):
        raise ProtocolError("bad edit source")
    out.result = worker.submission.edit(module, names, source)


def op_ran(worker, header: dict, blobs, out: Outcome) -> None:
    """The submission's functions the traced requests since the last ``ran`` called, each with
    how many times ([name, count] pairs), forgotten once sent."""
    out.result = sorted([name, count] for name, count in worker.ran.items())
    worker.ran.clear()


def op_steps(worker, header: dict, blobs, out: Outcome) -> None:
    """The values the watched requests since the last ``steps`` computed, line by line
    ([file, line, function, kind, name, shape, values, call, caller] each), forgotten once
    sent."""
    out.result = [[*step[:5], list(step.shape), *step[6:]] for step in worker.steps]
    worker.steps.clear()


def op_ping(worker, header: dict, blobs, out: Outcome) -> None:
    out.result = "pong"


def op_seed(worker, header: dict, blobs, out: Outcome) -> None:
    """The global random generators back to the worker's first states (Worker.first_state),
    or seeded with the header's ``seed`` (an int: Implementation.seed_global)."""
    seed = header.get("seed")
    if seed is not None and type(seed) is not int:
        raise ProtocolError(f"seed must be an int, not {type(seed).__name__}")
    worker.reseed(seed)
    out.result = None


HANDLERS: dict[str, Callable] = {
    "load": op_load,
    "call": op_call,
    "map": op_map,
    "chain": op_chain,
    "then": op_then,
    "graph": op_graph,
    "getattr": op_getattr,
    "setattr": op_setattr,
    "apply": op_apply,
    "cell": op_cell,
    "stand_in": op_stand_in,
    "edit": op_edit,
    "ping": op_ping,
    "ran": op_ran,
    "steps": op_steps,
    "seed": op_seed,
}
# Operations that may be pipelined (sent without waiting for their reply).
PIPELINED = frozenset({"call", "apply"})
