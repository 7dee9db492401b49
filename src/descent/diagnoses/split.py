"""Generic diagnosis of the sizes of the chunks that ``n`` items are cut into (folds, batches).

Cutting ``n`` items into pieces has one edge case that every cut must handle: the ``n % k``
items left over. When a check compares a list of chunk sizes (whole numbers, the longer chunks
first) and the student's sizes are those of a known slip in handling that remainder, the slip is
named:

* balanced chunks (sizes that differ by at most one, ``n % k`` of them one longer) against the
  remainder given whole to the last chunk, chunks of ``ceil(n / k)`` that leave the last one
  short or empty, or the remainder left out (kind ``edge``);
* full chunks of ``b`` and a short last one against the short last one lost, or full chunks
  against a short last one kept where it must be dropped (kind ``step``: a loop that runs one
  chunk too far or not far enough), or against a last one filled up to ``b`` (kind ``edge``:
  items repeated from earlier chunks).

Only sizes that look like a real cut count (at least 3 chunks, or 2 full chunks of 2 or more,
with a remainder of 2 or more for the balanced kind): a pair of small counts is no evidence.
"""

from __future__ import annotations

import torch

from .base import Diagnosis


def _sizes(x: torch.Tensor) -> list[int] | None:
    """``x`` as a list of chunk sizes (a 1-D tensor of non-negative whole numbers), or None."""
    if x.dim() != 1 or not bool((x == x.round()).all()) or bool((x < 0).any()):
        return None
    return [int(v) for v in x.tolist()]


def chunk_sizes(e: torch.Tensor, g: torch.Tensor, inputs: object = None) -> Diagnosis | None:
    """The chunk sizes ``g`` against the expected ``e``: a slip in handling the remainder."""
    expected, got = _sizes(e), _sizes(g)
    if expected is None or got is None or expected == got:
        return None
    return _balanced(expected, got) or _batches(expected, got)


def _balanced(expected: list[int], got: list[int]) -> Diagnosis | None:
    n, k = sum(expected), len(expected)
    q, r = divmod(n, k)
    if k < 3 or q < 2 or r < 2 or expected != [q + 1] * r + [q] * (k - r):
        return None
    ceil = q + 1
    cut = [min(ceil, n - i * ceil) for i in range(k) if n - i * ceil > 0]
    slips = {
        "the n % k items left over all go to the last chunk; hand them out one each to the "
        "first n % k chunks": [q] * (k - 1) + [q + r],
        "chunks of ceil(n / k) items leave the last chunk short or empty; make the first "
        "n % k chunks one longer than the rest instead": cut + [0] * (k - len(cut)),
        "the n % k items left over are left out of every chunk; hand them out one each to "
        "the first n % k chunks": [q] * k,
    }
    for text, sizes in slips.items():
        if got in (sizes, [s for s in sizes if s]):
            return Diagnosis("edge", f"your chunk sizes show the remainder mishandled: {text}")
    return None


def _batches(expected: list[int], got: list[int]) -> Diagnosis | None:
    def full(sizes: list[int]) -> int | None:  # the chunk size when all chunks are full
        return sizes[0] if len(sizes) >= 2 and sizes[0] >= 2 and len(set(sizes)) == 1 else None

    b = full(expected[:-1]) if len(expected) >= 3 else None
    if b is not None and 0 < expected[-1] < b and got == expected[:-1]:
        return Diagnosis(
            "step",
            f"your chunks lose the short last one ({_items(expected[-1])}): the loop stops "
            "before the remainder (range(0, n - size + 1, size) where range(0, n, size) "
            "belongs)",
        )
    if b is not None and 0 < expected[-1] < b and got == expected[:-1] + [b]:
        return Diagnosis(
            "edge",
            f"your last chunk is a full one of {_items(b)} where the {_items(expected[-1])} "
            "left over belong: the short last chunk is filled up to the full size (with items "
            "repeated from earlier chunks, or its start moved back); keep it short",
        )
    b = full(expected)
    if b is not None and got[:-1] == expected and 0 < got[-1] < b:
        return Diagnosis(
            "step",
            f"your chunks keep a short last one ({_items(got[-1])}) where it must be left out: "
            "the option that drops an incomplete last chunk is ignored",
        )
    return None


def _items(k: int) -> str:
    return f"{k} item" if k == 1 else f"{k} items"
