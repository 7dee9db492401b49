"""``python -m descent ...``: the ``descent`` command."""

from .commands import run

run()
