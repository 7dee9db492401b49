"""The objects a worker holds for the trusted side, by handle id, and snapshots of their attributes.

Anything that cannot cross as data stays in the worker under a handle (``{"$h": [id, type
name]}``): the worker numbers its own from 1 up; a pipelined request's result is kept under the
negative id the trusted side chose. A handle whose pipelined operation raised holds a
:class:`Failed` marker, and using it raises :class:`Poisoned` (the same error again). The trusted
side says which handles it dropped, and they are released.
"""

from __future__ import annotations

import math
from typing import Any

from .protocol import ProtocolError

# Attribute values a snapshot may carry (immutable: the trusted side may hand out the same one).
SNAP_TYPES = (type(None), bool, int, float, str)
SNAPSHOT_OBJECTS = 1000
SNAPSHOT_SCAN = 5000


class Failed:
    """The handle of a pipelined operation that raised (or was skipped after one that did)."""

    __slots__ = ("info",)

    def __init__(self, info: dict):
        self.info = info


class Poisoned(Exception):
    """A request used the result of a pipelined operation that failed: its error again."""

    def __init__(self, info: dict):
        super().__init__("poisoned")
        self.info = info


class Held:
    """The handle table: id -> object, the exercise each came from, and object -> id."""

    def __init__(self):
        self.handles: dict[int, Any] = {}
        self.handle_ex: dict[int, str | None] = {}
        self.ids: dict[int, int] = {}
        self.next_handle = 1

    def __contains__(self, hid: Any) -> bool:
        return hid in self.handles

    def handle(self, obj: Any, exercise: str | None) -> dict:
        """The handle of ``obj`` (the one it already has, or a new one)."""
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None or self.handles.get(hid) is not obj:
            hid = self.next_handle
            self.next_handle += 1
            self.handles[hid] = obj
            self.ids[key] = hid
            self.handle_ex[hid] = exercise
        return {"$h": [hid, type_name(obj)]}

    def get(self, hid: Any) -> Any:
        """The object under ``hid``; a pipelined operation's failure raises :class:`Poisoned`."""
        if type(hid) is not int or hid not in self.handles:
            raise ProtocolError("unknown handle")
        obj = self.handles[hid]
        if type(obj) is Failed:
            raise Poisoned(obj.info)
        return obj

    def exercise(self, hid: int) -> str | None:
        return self.handle_ex.get(hid)

    def keep(self, hid: int, result: Any, exercise: str | None) -> None:
        """Keep a pipelined result under the id the trusted side chose."""
        self.handles[hid] = result
        self.handle_ex[hid] = exercise
        known = self.ids.get(id(result))
        if known is None or self.handles.get(known) is not result:
            self.ids[id(result)] = hid

    def fail(self, hid: int, info: dict) -> None:
        """Mark ``hid`` as the result of a pipelined operation that raised ``info``."""
        self.handles[hid] = Failed(info)

    def release(self, hids) -> None:
        """Forget the handles the trusted side no longer holds."""
        for hid in hids:
            obj = self.handles.pop(hid, None) if type(hid) is int else None
            self.handle_ex.pop(hid, None)
            if obj is not None and self.ids.get(id(obj)) == hid:
                del self.ids[id(obj)]

    def exercise_of(self, args) -> str | None:
        """The exercise of the first argument that is a held object."""
        for a in args:
            hid = self.ids.get(id(a))
            if hid is not None and self.handles.get(hid) is a:
                return self.handle_ex.get(hid)
        return None

    def snapshot(self, cls: type) -> list:
        """The plain attributes of every held object of class ``cls``, as they are now.

        Sent with the reply to an attribute read, so that the trusted side answers the reads
        that follow (``[n.data for n in nodes]``) without a round trip, until it sends its next
        request. Only instance-dict entries that a read returns unchanged qualify: scalars and
        short strings, of a class without ``__getattribute__`` and not shadowed by a data
        descriptor of the class.
        """
        if cls.__getattribute__ is not object.__getattribute__:
            return []
        out: list = []
        seen = 0
        shadowed: dict[str, bool] = {}  # name -> a data descriptor of cls (one MRO walk each)
        for hid, obj in self.handles.items():
            seen += 1
            if seen > SNAPSHOT_SCAN or len(out) >= SNAPSHOT_OBJECTS:
                break
            if type(obj) is not cls:
                continue
            attrs = getattr(obj, "__dict__", None)
            if type(attrs) is not dict:
                continue
            plain = _plain_attributes(cls, attrs, shadowed)
            if plain:
                out.append([hid, {"$d": [[k, _number(v)] for k, v in plain.items()]}])
        return out


def snapshots(value: Any) -> bool:
    """Whether reading this attribute value sends a snapshot of the object's class."""
    return type(value) in SNAP_TYPES


def type_name(obj: Any) -> str:
    """The name a handle carries for ``obj``'s type (a hostile class's name cannot raise)."""
    try:
        tname = type(obj).__name__[:100]
    except Exception:  # noqa: BLE001 - a hostile class's name
        tname = "object"
    return str(tname)


def _plain_attributes(cls: type, attrs: dict, shadowed: dict[str, bool]) -> dict:
    """The first 16 entries of an instance dict that a snapshot may carry."""
    plain = {}
    for name, value in attrs.items():
        if (
            type(name) is str
            and len(name) <= 100
            and type(value) in SNAP_TYPES
            and (type(value) is not str or len(value) <= 200)
            and (type(value) is not int or abs(value) < 2**63)
            and not (
                shadowed[name]
                if name in shadowed
                else shadowed.setdefault(name, _data_descriptor(cls, name))
            )
        ):
            plain[name] = value
            if len(plain) >= 16:
                break
    return plain


def _number(v: Any) -> Any:
    """A snapshot's value as the encoder would send it (a non-finite float as ``$f``)."""
    return v if type(v) is not float or math.isfinite(v) else {"$f": repr(v)}


def _data_descriptor(cls: type, name: str) -> bool:
    for klass in cls.__mro__:
        if name in vars(klass):
            attr = vars(klass)[name]
            return hasattr(type(attr), "__set__") or hasattr(type(attr), "__delete__")
    return False
