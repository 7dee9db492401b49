"""Ctrl-C one line from Python's first moments in a student's pytest run, not from pytest's own.

The student bundle installs ``_descent-interrupt.pth`` (this folder's copy, put beside the
packages by the bundle's ``setup.py``) into site-packages. Python runs its one line in every
process of that environment while it starts, before ``__main__``: a substring test of
``sys.orig_argv`` that is false for almost every process, and, where it holds, an import of
this module, which installs :mod:`.interrupt`'s handler only if the process is pytest. Any
other Python keeps Python's own Ctrl-C and sees nothing of this.
"""

from __future__ import annotations

import sys

# What `pytest` and `py.test` are called as a script: pip's console script on POSIX, its
# launcher on Windows (pytest.exe), and setuptools' old Windows scripts (pytest-script.py).
NAMES = ("pytest", "py.test")
_SCRIPT_ENDINGS = (".exe", "-script.py", "-script.pyw")
# Interpreter options that take the next argument as their value (`python -X importtime ...`).
_WITH_VALUE = ("-X", "-W", "--check-hash-based-pycs")


def runs_pytest(argv: list[str]) -> bool:
    """Whether ``argv``, as :data:`sys.orig_argv` holds it (the interpreter, its options, then a
    script, ``-m MODULE`` or ``-c CODE``, then the arguments), starts pytest."""
    rest = iter(argv[1:])
    for arg in rest:
        if arg == "-m":
            return next(rest, "") in NAMES
        if arg.startswith("-m"):
            return arg[2:] in NAMES
        if arg.startswith("-c") or arg == "-":
            return False
        if arg in _WITH_VALUE:
            next(rest, None)
        elif not arg.startswith("-"):
            return _script_name(arg) in NAMES
    return False


def _script_name(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()  # either system's separator
    for ending in _SCRIPT_ENDINGS:
        name = name.removesuffix(ending)
    return name


if runs_pytest(sys.orig_argv):
    from . import interrupt  # noqa: F401  (importing it installs the handler)
