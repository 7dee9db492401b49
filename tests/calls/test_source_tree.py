"""One parse of each source text a grading reads (``descent.calls.source_tree``)."""

from __future__ import annotations

import pytest

from descent.calls import helpers, source_tree
from descent.isolation import scan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_source_text_is_parsed_once_for_every_reader():
    """The intake, the library-use scan and a worker's loading order read the same texts:
    ``source_tree.parse`` gives each the one tree of a text (None when it does not parse)."""
    text = "from .losses import mse\nimport _util\n\ndef f(x):\n    import numpy\n"
    source_tree.parse.cache_clear()
    assert helpers.imported_names(text) == {"losses", "_util", "numpy"}
    assert scan.sibling_imports(text, {"losses", "layers"}) == ["losses"]
    assert source_tree.parse.cache_info().misses == 1  # one parse, two readers
    assert source_tree.parse(text[:5] + text[5:]) is source_tree.parse(text)  # equal text
    assert source_tree.parse("def f(:\n") is None
    assert helpers.imported_names("def f(:\n") == set()
