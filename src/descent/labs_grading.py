"""The name released notebooks import (``from descent.labs_grading import ...``): the
student-side helper is :mod:`descent.student_notebook`; this makes both names one module object."""

import sys

from . import student_notebook

sys.modules[__name__] = student_notebook
