"""A submission's helper files: modules of the student's own that the exercise modules import.

A student may put shared code in a file of their own beside the exercise modules (``_util.py``)
or in a package one level deep (``helpers/__init__.py``, ``helpers/ops.py``), and import it as
Python would from the submission's folder: relatively (``from ._util import f``, ``from .helpers
import ops``) or absolutely (``import _util``, ``from helpers.ops import g``). A submission is
graded as written, so every grading loads exactly the helpers that the exercise modules import,
directly or through another helper: the public tests in the student's own process
(:class:`descent.calls.impl.FolderImplementation`) and the hidden graders in the worker, whose
folder the intake fills with those files only (:mod:`descent.isolation.intake`).

:func:`select` decides, from the sources alone, which candidate files are taken and why each
other one is not; both sides call it, so they agree. A helper named like a library the grader
imports (``torch.py``, ``numpy/``, any standard-library module) would shadow it: it is refused.
:class:`SubmissionImports` is the import hook both sides install: an absolute import of a taken
helper finds the very module a relative import gives, and an import of anything else of the
folder (a file not taken, a folder nested deeper) fails with the reason.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import registry
from . import source_tree

# What the grader itself imports, besides the standard library: a file of the submission by
# one of these names would shadow it (and run inside the grader's own imports).
RESERVED = frozenset(
    {
        "torch",
        "numpy",
        "pytest",
        "hypothesis",
        "descent",
        "_pytest",
        "pluggy",
        "rich",
        "conftest",
        "sitecustomize",
        "usercustomize",
        "setup",
        "functorch",
        "triton",
        "scipy",
        # what torch, pytest and rich import in turn, which a grading may load at any time
        "sympy",
        "mpmath",
        "networkx",
        "jinja2",
        "markupsafe",
        "filelock",
        "fsspec",
        "typing_extensions",
        "setuptools",
        "pkg_resources",
        "packaging",
        "iniconfig",
        "pygments",
        "markdown_it",
        "mdurl",
        "attr",
        "attrs",
        "sortedcontainers",
        "exceptiongroup",
        "tomli",
    }
)
NOT_IMPORTED = "not imported by any exercise module: not graded (import it to use it)"
TOO_DEEP = "nested too deep: a helper package is one folder of modules, with no folders inside"


def shadows(name: str) -> str | None:
    """Why a helper called ``name`` (a file's stem or a folder's name) is refused, or None."""
    if name in registry.MODULES:  # only a folder can be: the file of that name is the module
        return (
            f"a folder named like the exercise module {name}.py, which Python would import "
            f"instead of that file (and the grader would read the file): rename the folder"
        )
    stem = name.lower()
    if stem in RESERVED or stem in sys.stdlib_module_names:
        return (
            f"would shadow the `{stem}` module that the grader imports; "
            f"rename it (for example _{stem}_helpers.py)"
        )
    if not stem.isidentifier():
        return "not a name Python can import: refused"
    return None


def candidates_in(folder: Path, modules: Iterable[str]) -> dict[str, str]:
    """The files of ``folder`` that may be helpers, relative path -> source: its ``.py`` files
    but the exercise ``modules``, ``__init__.py`` and test files, and those of its folders one
    level down (a folder inside one of them is listed as ``pkg/sub/``, to be reported; hidden
    folders and ``__pycache__`` are left out). A student's own folder, in the student's own
    process: :mod:`descent.isolation.intake` reads a submission for the grader."""
    skip = {f"{m}.py" for m in modules} | {"__init__.py"}
    found: dict[str, str] = {}
    for path in _listing(folder):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir():
            found[rel + "/"] = ""
        elif rel not in skip and not _test_file(path.name):
            try:
                found[rel] = path.read_text(errors="replace")
            except OSError:
                continue
    return found


def _listing(folder: Path, depth: int = 2) -> list[Path]:
    """``.py`` files of ``folder`` and of its folders ``depth - 1`` levels down; below that
    level, the folders that hold ``.py`` files themselves."""
    out: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    for entry in entries:
        if entry.name.startswith((".", "__pycache__")) or entry.is_symlink():
            continue
        if entry.is_dir():
            if depth > 1:
                out += _listing(entry, depth - 1)
            elif any(entry.glob("*.py")):
                out.append(entry)
        elif entry.suffix == ".py":
            out.append(entry)
    return out


def _test_file(name: str) -> bool:
    """A test file of the student's (``test_x.py``, ``x_test.py``): the kit runs its own only."""
    return name.startswith("test_") or name.endswith("_test.py")


def imported_names(source: str) -> set[str]:
    """The first component of every name a module imports, anywhere in it (a function's imports
    run when it is called): ``_util`` for ``from ._util import f``, ``import _util``, ``from
    _util.x import g`` and ``from . import _util``; nothing when it does not parse."""
    tree = source_tree.parse(source)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.add(node.module.split(".")[0])
            elif node.level:  # from . import _util
                found.update(alias.name for alias in node.names)
    return found


@dataclass
class Selection:
    """Which candidate files a submission's exercise modules bring along (``taken``, relative
    paths such as ``_util.py`` or ``helpers/ops.py``), and why each other one is not graded:
    ``refused`` (a name that would shadow a library) or ``ignored`` (not imported, too deep)."""

    taken: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # the taken helpers' top-level names
    refused: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)


def select(modules: Mapping[str, str], candidates: Mapping[str, str]) -> Selection:
    """The helpers that ``modules`` (exercise module name -> source) import, directly or through
    another helper, among ``candidates`` (relative path -> source: ``name.py`` at the top,
    ``package/name.py`` one folder down, ``package/sub/...`` reported as too deep)."""
    out = Selection()
    units: dict[str, list[str]] = {}
    for path in sorted(candidates):
        parts = path.split("/")
        if len(parts) > 2:
            out.ignored[path] = TOO_DEEP
            continue
        name = parts[0][:-3] if len(parts) == 1 else parts[0]
        reason = shadows(name)
        if reason is not None:
            out.refused[path] = reason
            continue
        units.setdefault(name, []).append(path)
    if not units:  # no file could be a helper: nothing to look for in the modules' imports
        return out
    todo = set().union(*(imported_names(s) for s in modules.values()))
    while todo:
        name = todo.pop()
        if name in units and name not in out.names:
            out.names.add(name)
            for path in units[name]:
                todo |= imported_names(candidates[path])
    for name, paths in units.items():
        for path in paths:
            if name in out.names:
                out.taken.append(path)
            else:
                out.ignored[path] = NOT_IMPORTED
    out.taken.sort()
    return out


def report(selection: Selection) -> dict:
    """What a results document records of a folder's helpers, in the intake's form
    (:meth:`descent.isolation.intake.Intake.summary`): the files taken, and each other one with
    the reason it is not graded."""
    return {
        "taken": list(selection.taken),
        "ignored": [{"path": p, "reason": r} for p, r in selection.ignored.items()],
        "refused": [{"path": p, "reason": r} for p, r in selection.refused.items()],
    }


class SubmissionImports(importlib.abc.MetaPathFinder):
    """The import hook of the submissions loaded in this process, each a package under its own
    alias (``_descent_impl_3``, ``_descent_submission``): a submodule of an alias is imported
    only when it is an exercise module or a taken helper (anything else fails with the reason
    it is not graded), and an absolute import of a taken helper (``import _util``) gives the
    module that the relative one gives (``<alias>._util``). Two submissions of one process that
    both have a helper of one name make that absolute name ambiguous: it then fails, saying so."""

    def __init__(self) -> None:
        self.modules: dict[str, set[str]] = {}  # alias -> its exercise modules' names
        self.allowed: dict[str, set[str]] = {}  # alias -> what it may import (dotted)
        self.reasons: dict[str, dict[str, str]] = {}  # alias -> name -> why it is not graded
        self.helpers: dict[str, set[str]] = {}  # alias -> its helpers' top-level names

    def register(self, alias: str, modules: Iterable[str], selection: Selection) -> None:
        """Install the hook (once) and let ``alias`` import ``modules`` and its helpers."""
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)
        self.modules[alias] = set(modules)
        self.allowed[alias] = set(modules) | {
            dotted for path in selection.taken for dotted in _dotted(path)
        }
        self.reasons[alias] = {}
        for path, reason in {**selection.ignored, **selection.refused}.items():
            for dotted in _dotted(path):
                if dotted not in self.allowed[alias]:
                    self.reasons[alias].setdefault(dotted, reason)
        _forget(selection.names)  # another submission's, or now ambiguous: ask again
        self.helpers[alias] = set(selection.names)

    def unregister(self, alias: str) -> None:
        """``alias`` is gone: its helpers' absolute names are no longer its."""
        _forget(self.helpers.get(alias, ()))
        for table in (self.modules, self.allowed, self.reasons, self.helpers):
            table.pop(alias, None)

    def find_spec(self, fullname: str, path=None, target=None):
        head, _, rest = fullname.partition(".")
        if head in self.allowed and rest:
            if rest not in self.allowed[head]:
                why = self.reasons[head].get(rest, "not a file of the submission")
                raise ModuleNotFoundError(f"No module named '{rest}' ({why})", name=fullname)
            if rest in self.modules[head]:
                return self._module_file(head, rest, path)
            return None  # the package's own search finds it
        owners = [alias for alias, names in self.helpers.items() if head in names]
        if not owners:
            return None
        if len(owners) > 1:
            raise ImportError(
                f"two submissions loaded in this process both have a helper `{head}`, so "
                f"`import {head}` is ambiguous here; use a relative import (from .{head} "
                f"import ...) or grade them one at a time"
            )
        return importlib.machinery.ModuleSpec(fullname, _Alias(f"{owners[0]}.{fullname}"))

    def _module_file(self, alias: str, name: str, path) -> importlib.machinery.ModuleSpec | None:
        """An exercise module is its file, ``losses.py``: Python's own search would take a
        folder ``losses/`` first, which the selection refused (:func:`shadows`)."""
        for entry in path or ():
            file = Path(entry) / f"{name}.py"
            if file.is_file():
                return importlib.util.spec_from_file_location(f"{alias}.{name}", file)
        why = self.reasons[alias].get(name)
        if why is not None:
            raise ModuleNotFoundError(f"No module named '{name}' ({why})", name=f"{alias}.{name}")
        return None


def _forget(names: Iterable[str]) -> None:
    """Drop the absolute names of helpers that an earlier import bound (``_util`` bound to
    ``<alias>._util``), so that the next import asks the hook again; a module of its own name
    (an installed one) is left alone."""
    for name in list(sys.modules):
        module = sys.modules[name]
        if name.split(".")[0] in names and getattr(module, "__name__", name) != name:
            del sys.modules[name]


def module_name(path: str) -> str:
    """The module a helper file is, by its relative path: ``_util`` for ``_util.py``,
    ``helpers.ops`` for ``helpers/ops.py``, ``helpers`` for ``helpers/__init__.py``."""
    return _dotted(path)[-1]


def _dotted(path: str) -> list[str]:
    """The module names a relative path gives: ``["_util"]`` for ``_util.py``, ``["helpers",
    "helpers.ops"]`` for ``helpers/ops.py`` (its package too), ``["helpers"]`` for
    ``helpers/__init__.py``."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


class _Alias(importlib.abc.Loader):
    """Loads an absolute name as the submission package's own module of that name: the import
    system keeps what ``exec_module`` leaves in ``sys.modules`` under the name."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        sys.modules[module.__name__] = importlib.import_module(self.target)


HOOK = SubmissionImports()
