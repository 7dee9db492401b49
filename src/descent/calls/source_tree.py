"""One parse of each source text a grading reads.

The intake (which helper files a submission's modules import), the library-use scan and each
worker's loading order (the siblings a module imports at import time) read the same texts: each
used to parse them itself, three times a module, and once more in each process of a split
grading. :func:`parse` keeps the tree of each text; the readers only walk it, never change it.
"""

from __future__ import annotations

import ast
import functools


@functools.lru_cache(maxsize=256)
def parse(source: str) -> ast.Module | None:
    """The syntax tree of ``source``, shared by every reader of the same text (do not modify
    it); None when it does not parse."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
