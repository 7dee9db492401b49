"""The ``descent`` command: one module of this package per verb.

    descent grade PATH|solutions|starter [...]   grade implementations with the hidden graders
    descent check [IMPL]                         run the public exercises (the student's view)
    descent audit [--module M] [--corpus C]      prove the graders: every catalogued bug loses
                                                 points, every alternative keeps full marks
    descent stubs [--check]                      regenerate starter/ from solutions/
    descent bundle OUT                           build the student bundle
    descent report RESULTS.json                  print a results file again
    descent demo                                 bundle, grade the solutions and a sample
                                                 submission, then a sample class (batch), then
                                                 one assignment of the course plan
    descent course check | merge                 the course plan (course.toml); see also
    descent grades                               --assignment on grade, batch, bundle
    descent new-exercise MODULE NAME             scaffold a new exercise (every file it needs)
    descent docs [--check]                       remake the docs made from the code
    descent budget [--record]                    the graders' work on the solutions against
                                                 graders/budget.toml
    descent export | labs | gradebook merge | batch | similarity | gradescope
                                                 (see ``descent VERB --help``)

This package is the only place that parses arguments, prints a command's errors and chooses exit
codes. Each verb's module has ``register(subparsers)``, which declares its arguments and sets
``func``, the function that runs it and returns the exit code. The libraries it calls raise
:class:`descent.errors.DescentError` for a problem the user can fix; :func:`main` prints that
message as ``descent VERB: ...`` and exits 2. A command line that names its verb loads that
verb's module only (``descent grade`` does not pay for the imports of ``descent batch``).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
import threading
from types import ModuleType
from typing import NoReturn

from rich.markup import escape

from ..errors import USER_ERRORS
from ..platforms import posix_module_missing, verb_needs_linux
from ..terminal import console, tolerate_encoding

# In the order ``descent --help`` lists them: each verb and its module, named in full (a
# verb's module loads only when its command line runs it).
VERBS = {
    "grade": "descent.commands.grade",
    "check": "descent.commands.check",
    "audit": "descent.commands.audit",
    "stubs": "descent.commands.stubs",
    "bundle": "descent.commands.bundle",
    "report": "descent.commands.report",
    "demo": "descent.commands.demo",
    "export": "descent.commands.export",
    "labs": "descent.commands.labs",
    "gradebook": "descent.commands.gradebook",
    "batch": "descent.commands.batch",
    "similarity": "descent.commands.similarity",
    "gradescope": "descent.commands.gradescope",
    "course": "descent.commands.course",
    "grades": "descent.commands.grades",
    "new-exercise": "descent.commands.new_exercise",
    "docs": "descent.commands.docs",
    "budget": "descent.commands.budget",
}
# Verbs whose process leaves without the interpreter's finalization (:func:`leave`): tearing
# down torch's modules cost ``descent grade`` about 1.4 CPU-seconds and 1 s of wall time after
# its last line was printed, on a loaded 2-core machine (a warm parent's gradings already end
# so, descent.commands.warm.finish).
QUICK_EXIT = frozenset({"grade"})


def verb_module(verb: str) -> ModuleType:
    """The module of ``verb`` (one of :data:`VERBS`), imported now."""
    return importlib.import_module(VERBS[verb])


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every verb, or ``only`` that one."""
    top = argparse.ArgumentParser(
        prog="descent", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = top.add_subparsers(dest="command", required=True)
    for verb in (only,) if only else VERBS:
        try:
            module = verb_module(verb)
        except ImportError as exc:
            missing = posix_module_missing(exc)
            if missing is None:
                raise
            _needs_linux(sub, verb, missing)
        else:
            module.register(sub)
    return top


def _needs_linux(sub, verb: str, missing: str) -> None:
    """A verb whose module imports what this system lacks (an instructor's verb on Windows):
    listed as it is, and saying so when it runs instead of a traceback."""
    why = verb_needs_linux(verb, missing)
    p = sub.add_parser(verb, help=f"needs Linux (this system has no {missing})")
    p.add_argument("ignored", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def refuse(args) -> int:
        console.print(f"[red]{escape(why)}[/red]")
        return 2

    p.set_defaults(func=refuse)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(argv[0] if argv and argv[0] in VERBS else None).parse_args(argv)
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        console.print(f"[red]descent {args.command}: {escape(str(exc))}[/red]")
        return 2
    except ImportError as exc:  # a POSIX-only module the verb loads as it runs (Windows)
        missing = posix_module_missing(exc)
        if missing is None:
            raise
        console.print(f"[red]{escape(verb_needs_linux(args.command, missing))}[/red]")
        return 2


def run() -> NoReturn:
    """The ``descent`` command line (the console script, ``python -m descent``): :func:`main`,
    then the exit, quick for the verbs of :data:`QUICK_EXIT`."""
    argv = sys.argv[1:]
    tolerate_encoding(sys.stdout, sys.stderr)
    code = main(argv)
    if argv and argv[0] in QUICK_EXIT:
        leave(code)
    sys.exit(code)


def leave(code: int) -> NoReturn:
    """Exit with ``code`` once the exit handlers have run and the standard streams are flushed,
    skipping the interpreter's finalization (module teardown, torch's above all), which frees
    nothing a finished process keeps. Where another thread still runs, a standard stream
    cannot be flushed (a closed pipe) or a profiler or tracer watches (``python -m cProfile``
    writes its figures once the command returns), Python's own exit instead: it waits for the
    thread, reports the stream as it always has, and lets the profiler finish."""
    me = threading.current_thread()
    if any(t is not me and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.exit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    atexit._run_exitfuncs()  # what sys.exit would run: the fork server's stop, temporary files
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        os._exit(120)  # Python's own status when it cannot flush at exit
    os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)


if __name__ == "__main__":
    run()
