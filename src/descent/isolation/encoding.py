"""Values as data: how a value crosses between the trusted side and a worker, and the caps.

A value becomes JSON plus raw byte blobs (the blobs travel in the frame's body, :mod:`.protocol`).
Nothing is ever unpickled or evaluated: a value is rebuilt from JSON and from raw bytes whose
dtype, shape and size are checked first.

Value encoding (JSON): ``None``, booleans, strings, integers and finite floats are themselves;
a JSON list is a Python list; every other value is a one-key object:

``{"$t": [...]}`` tuple, ``{"$d": [[k, v], ...]}`` dict, ``{"$f": "nan"}`` non-finite float,
``{"$c": [re, im]}`` complex, ``{"$T": [blob, dtype, shape, device, requires_grad]}`` tensor,
``{"$A": [blob, dtype, shape]}`` numpy array, ``{"$N": [dtype, value]}`` numpy scalar,
``{"$dt": "float64"}`` torch dtype, ``{"$dv": "cpu"}`` device, ``{"$sz": [...]}`` torch.Size,
``{"$G": [blob, device]}`` a torch.Generator (its state), ``{"$sl": [a, b, c]}`` slice,
``{"$el": 0}`` Ellipsis, ``{"$h": [id, type name]}`` an object that stays in the worker,
``{"$fn": id}`` a trusted-side callable the worker may call back, ``{"$mk": [name, args]}`` a
callable the worker builds from the kit's own factories (:mod:`descent.calls.callables`).

Within one encoding (the values of one frame, or of its ``sync`` block), a tensor, list, tuple
or dict that occurs again is sent once: a later occurrence is ``{"$r": k}``, the k-th such value
completed so far (counted when its encoding ends, so in the order a decoder finishes them). The
decoder hands back the same object, so aliasing survives the crossing as it would in one process
(``fn(x, x)``, one cache passed to many backward calls) and a shared tensor's bytes cross once.

Every decoder enforces caps on nesting depth, item count, string length and integer size; any
violation raises :class:`~.protocol.ProtocolError`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .protocol import ProtocolError

MAX_DEPTH = 64
MAX_ITEMS = 2_000_000
MAX_STR = 1 << 20  # one string in a value
MAX_INT_DIGITS = 4000
MAX_INT = 10**MAX_INT_DIGITS  # computed once: the check runs for every integer sent

TORCH_DTYPES: dict[str, torch.dtype] = {
    name: getattr(torch, name)
    for name in (
        "float64",
        "float32",
        "float16",
        "bfloat16",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint8",
        "bool",
        "complex64",
        "complex128",
    )
}
_DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}
_ITEMSIZE = {dt: torch.empty((), dtype=dt).element_size() for dt in TORCH_DTYPES.values()}
NUMPY_DTYPES = {
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "complex64",
    "complex128",
}


class Encoder:
    """Turns a value into JSON-able data plus blobs.

    ``on_object(obj, encoder)`` is called for anything that is not plain data and returns the
    JSON to send in its place (a handle or a callback) or raises :class:`TypeError`; it is
    handed the encoder (for values inside what it sends) rather than holding it, so that an
    encoder is freed as soon as its frame is sent, never left in a cycle for the collector.
    """

    def __init__(self, on_object: Callable[[Any, Encoder], Any] | None = None):
        self.blobs: list = []
        self.on_object = on_object
        self.items = 0
        # id -> (value, k): values already sent (held, so that no id is reused meanwhile)
        self._sent: dict[int, tuple[Any, int]] = {}

    def blob(self, data) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"value nested deeper than {MAX_DEPTH} levels")
        if self.items > MAX_ITEMS:
            raise ValueError(f"value has more than {MAX_ITEMS} items")
        t = type(value)
        if value is None or t is bool or t is str:
            if t is str and len(value) > MAX_STR:
                raise ValueError("string too long")
            return value
        if t is int:
            if not -MAX_INT < value < MAX_INT:
                raise ValueError("integer too large")
            return value
        if t is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if t in _SHARED:
            seen = self._sent.get(id(value))
            if seen is not None:
                return {"$r": seen[1]}
            if t is list:
                data = (
                    value[:]
                    if len(value) > 4 and all(map(_plain_number, value))
                    else [self.encode(v, depth + 1) for v in value]
                )
                self.items += len(value)  # counted as the loop would
            elif t is tuple:
                data = {"$t": [self.encode(v, depth + 1) for v in value]}
            elif t is dict:
                data = {
                    "$d": [
                        [self.encode(k, depth + 1), self.encode(v, depth + 1)]
                        for k, v in value.items()
                    ]
                }
            else:
                data = self._tensor(value)
                if "$T" not in data:  # sent as a handle: not a value to refer back to
                    return data
            self._sent[id(value)] = (value, len(self._sent))
            return data
        return self._encode_other(value, depth)

    def _encode_other(self, value: Any, depth: int) -> Any:
        """The rarer kinds of value (the common ones stay in :meth:`encode`, the hot path)."""
        t = type(value)
        if t is complex:
            return {"$c": [_num(value.real), _num(value.imag)]}
        if t is torch.dtype:
            if value not in _DTYPE_NAMES:
                raise ValueError(f"unsupported dtype {value}")
            return {"$dt": _DTYPE_NAMES[value]}
        if t is torch.device:
            return {"$dv": str(value)}
        if t is torch.Size:
            return {"$sz": [int(v) for v in value]}
        if t is torch.Generator:
            state = value.get_state()
            return {"$G": [self.blob(_tensor_bytes(state)), str(value.device)]}
        if t is slice:
            return {
                "$sl": [
                    self.encode(value.start, depth + 1),
                    self.encode(value.stop, depth + 1),
                    self.encode(value.step, depth + 1),
                ]
            }
        if value is Ellipsis:
            return {"$el": 0}
        if t is np.ndarray and value.dtype.name in NUMPY_DTYPES:
            arr = np.ascontiguousarray(value)
            return {
                "$A": [self.blob(arr.reshape(-1).view(np.uint8)), arr.dtype.name, list(arr.shape)]
            }
        if isinstance(value, np.generic) and type(value) in _NP_SCALARS:
            return {"$N": [value.dtype.name, self.encode(value.item(), depth + 1)]}
        if self.on_object is not None:
            return self.on_object(value, self)
        raise TypeError(f"{type(value).__name__} cannot cross to the worker")

    def _tensor(self, t: torch.Tensor):
        if t.layout != torch.strided or t.dtype not in _DTYPE_NAMES or t.is_meta:
            if self.on_object is not None:
                return self.on_object(t, self)
            raise TypeError(f"unsupported tensor ({t.layout}, {t.dtype})")
        return {
            "$T": [
                self.blob(_tensor_bytes(t)),
                _DTYPE_NAMES[t.dtype],
                list(t.shape),
                "cpu" if t.is_cpu else str(t.device),
                bool(t.requires_grad),
            ]
        }


_SHARED = (list, tuple, dict, torch.Tensor)
_JSON_NUMBERS = frozenset((int, float, bool))


def _plain_number(v: Any) -> bool:
    """Crosses as itself: a bool, or an int or finite float within the caps."""
    t = type(v)
    return (t is float and math.isfinite(v)) or t is bool or (t is int and -MAX_INT < v < MAX_INT)


_NP_SCALARS = {
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.bool_,
    np.complex64,
    np.complex128,
}


def _num(x: float):
    return x if math.isfinite(x) else {"$f": repr(x)}


_NUMPY_OK = {
    torch.float64,
    torch.float32,
    torch.float16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
    torch.complex64,
    torch.complex128,
}


def _tensor_bytes(t: torch.Tensor):
    if (
        t.dtype in _NUMPY_OK
        and t.is_cpu
        and t.is_contiguous()
        and not t.is_conj()
        and not t.is_neg()
        and t.numel()
    ):
        # the common case: no copy, few calls (a view of the data, detached where it must be)
        return (t.detach() if t.requires_grad else t).numpy()
    t = t.resolve_conj().resolve_neg()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    return t.reshape(-1).view(torch.uint8).numpy()


class Decoder:
    """Rebuilds plain values; ``on_special(tag, payload, decoder)`` handles ``$h``/``$fn``/
    ``$mk`` (decoding any nested value with the same decoder, so ``$r`` counts stay aligned)."""

    def __init__(
        self,
        blobs: list,
        on_special: Callable[[str, Any, Decoder], Any] | None = None,
        allow_devices: bool = True,
        watch: bool = True,
    ):
        self.blobs = blobs
        self.on_special = on_special
        self.items = 0
        self.allow_devices = allow_devices
        # tensors (with their version, dtype, shape and a CRC of their bytes) and generators
        # rebuilt, for change detection; only where edits are looked for (``watch``): the
        # arguments of a call whose edits go back to the grader
        self.watch = watch
        self.leaves: list = []
        self.done: list = []  # the tensors and containers decoded so far, for "$r"

    def decode(self, data: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH:
            raise ProtocolError(f"value nested deeper than {MAX_DEPTH} levels")
        if self.items > MAX_ITEMS:
            raise ProtocolError("too many items in a value")
        t = type(data)
        if data is None or t in (bool, int, float):
            return data
        if t is str:
            if len(data) > MAX_STR:
                raise ProtocolError("string too long")
            return data
        if t is list:
            if len(data) > 4 and all(type(v) in _JSON_NUMBERS for v in data):
                self.items += len(data)  # a list of numbers (a loss curve): no recursion
                if self.items > MAX_ITEMS:
                    raise ProtocolError("too many items in a value")
                out = data[:]  # our own list, as the loop would build
            else:
                out = [self.decode(v, depth + 1) for v in data]
            self.done.append(out)
            return out
        if t is not dict or len(data) != 1:
            raise ProtocolError("malformed value")
        ((tag, p),) = data.items()
        try:
            out = self._special(tag, p, depth)
            if tag in _SHARED_TAGS:
                self.done.append(out)
            return out
        except ProtocolError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, RuntimeError) as exc:
            raise ProtocolError(f"malformed {tag} value ({type(exc).__name__}: {exc})") from None

    def _special(self, tag: str, p: Any, depth: int) -> Any:
        if tag == "$T":
            _need(type(p) is list and len(p) == 5)
            index, dtype, shape, device, requires_grad = p
            return self._tensor(index, dtype, shape, device, requires_grad)
        if tag == "$h" or tag == "$fn" or tag == "$mk":  # common: handles come next
            if self.on_special is None:
                raise ProtocolError(f"unknown value tag {tag!r}")
            return self.on_special(tag, p, self)
        if tag == "$r":
            _need(type(p) is int and 0 <= p < len(self.done))
            return self.done[p]
        if tag == "$t":
            _need(type(p) is list)
            return tuple(self.decode(v, depth + 1) for v in p)
        if tag == "$d":
            _need(type(p) is list)
            out = {}
            for pair in p:
                _need(type(pair) is list and len(pair) == 2)
                key = self.decode(pair[0], depth + 1)
                _need(type(key) in (str, int, float, bool, tuple) or key is None)
                out[key] = self.decode(pair[1], depth + 1)
            return out
        if tag == "$f":
            _need(p in ("nan", "inf", "-inf"))
            return float(p)
        return self._special_other(tag, p, depth)

    def _special_other(self, tag: str, p: Any, depth: int) -> Any:
        """The rarer tags (the common ones stay in :meth:`_special`, the hot path)."""
        if tag == "$c":
            _need(type(p) is list and len(p) == 2)
            re, im = (self.decode(v, depth + 1) for v in p)
            _need(type(re) is float and type(im) is float)
            return complex(re, im)
        if tag == "$A":
            _need(type(p) is list and len(p) == 3)
            index, dtype, shape = p
            _need(dtype in NUMPY_DTYPES)
            shape = _shape(shape)
            raw = self._blob(index)
            dt = np.dtype(dtype)
            _need(len(raw) == math.prod(shape) * dt.itemsize)
            return np.frombuffer(bytearray(raw), dtype=dt).reshape(shape)
        if tag == "$N":
            _need(type(p) is list and len(p) == 2 and p[0] in NUMPY_DTYPES)
            value = self.decode(p[1], depth + 1)
            _need(type(value) in (int, float, bool, complex))
            return np.dtype(p[0]).type(value)
        if tag == "$dt":
            _need(p in TORCH_DTYPES)
            return TORCH_DTYPES[p]
        if tag == "$dv":
            return _device(p)
        if tag == "$sz":
            return torch.Size(_shape(p))
        if tag == "$G":
            _need(type(p) is list and len(p) == 2)
            raw = self._blob(p[0])
            gen = torch.Generator(device=_device(p[1]))
            gen.set_state(
                torch.frombuffer(bytearray(raw), dtype=torch.uint8)
                if len(raw)
                else torch.empty(0, dtype=torch.uint8)
            )
            if self.watch:
                self.leaves.append((gen, bytes(raw)))
            return gen
        if tag == "$sl":
            _need(type(p) is list and len(p) == 3)
            parts = [self.decode(v, depth + 1) for v in p]
            _need(all(v is None or type(v) is int for v in parts))
            return slice(*parts)
        if tag == "$el":
            return Ellipsis
        raise ProtocolError(f"unknown value tag {tag!r}")

    def _blob(self, index: Any):
        _need(type(index) is int and 0 <= index < len(self.blobs))
        return self.blobs[index]

    def _tensor(self, index, dtype, shape, device, requires_grad) -> torch.Tensor:
        _need(dtype in TORCH_DTYPES and type(requires_grad) is bool)
        dt = TORCH_DTYPES[dtype]
        shape = _shape(shape)
        raw = self._blob(index)
        _need(len(raw) == math.prod(shape) * _ITEMSIZE[dt])
        if len(raw):
            # the frame's body is a private bytearray: the tensor may keep (a view of) it
            buf = raw if isinstance(raw, memoryview) and not raw.readonly else bytearray(raw)
            flat = torch.frombuffer(buf, dtype=dt)
            t = flat.view(*shape) if shape else flat.reshape(shape)  # view(*dims): the quickest
        else:
            t = torch.empty(shape, dtype=dt)
        if device != "cpu":
            dev = _device(device)
            if dev.type != "cpu":
                if not self.allow_devices:
                    raise ProtocolError(f"tensor on device {dev} is not allowed here")
                t = t.to(dev)
        if requires_grad and (t.is_floating_point() or t.is_complex()):
            t.requires_grad_(True)
        if self.watch:
            self.leaves.append((t, (t._version, dt, shape, zlib.crc32(raw))))
        return t


def unchanged(t: torch.Tensor, before: tuple) -> bool:
    """Has ``t`` kept the version, dtype, shape and bytes a decoder recorded for it? Contents
    are compared too: an edit through a NumPy view, ``.data``, a storage alias or ``set_`` does
    not always bump the version counter."""
    version, dtype, shape, crc = before
    if t._version != version or t.dtype != dtype or tuple(t.shape) != tuple(shape):
        return False
    return zlib.crc32(_tensor_bytes(t)) == crc  # its values' bytes, as they would be sent


_SHARED_TAGS = frozenset(("$T", "$t", "$d"))


def _need(ok: bool) -> None:
    if not ok:
        raise ProtocolError("malformed value")


def _shape(shape: Any) -> tuple[int, ...]:
    _need(
        type(shape) is list
        and len(shape) <= 32
        and all(type(s) is int and 0 <= s < 2**40 for s in shape)
    )
    _need(math.prod(shape) <= 2**40)
    return tuple(shape)


def _device(text: Any) -> torch.device:
    _need(type(text) is str and len(text) < 16)
    kind, _, index = text.partition(":")
    _need(kind in ("cpu", "cuda") and (index == "" or index.isdigit()))
    return torch.device(text)
