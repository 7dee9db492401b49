"""``python -m descent ...``: the ``descent`` command."""

import sys

from .commands import main

sys.exit(main())
