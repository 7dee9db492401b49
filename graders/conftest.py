"""Graders import their shared helpers (``battery``, ``expect``, ``runs``) as top-level modules."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
