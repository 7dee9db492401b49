"""The first name of :mod:`descent.labs.hidden_checks`, which a course's own graders
(``graders/<assignment>.py`` in its folder) may import; both names are one module object."""

import sys

from . import hidden_checks

sys.modules[__name__] = hidden_checks
