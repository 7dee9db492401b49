"""What the pre-emption guard graded, kept and replayed: ``descent audit --check-generic`` (and
``--record-generic``) grade a module's variants again only when something that decides their
generic names has changed since a grading it kept.

A module's variants are graded by its graders file alone (``graders/test_<module>.py``, with the
graders' shared helpers), each variant on its own exercise's tests, in a process of its own
(:mod:`.generic_jobs`): a variant's items, ledgers and composite charges are its own, inputs are
seeded by test, hypothesis draws no local constants, and what PyTorch's global random state
holds when a test starts (a bug that draws from it) follows from the module's variants alone. So
what one grading of a module gave is what any grading of it gives while its *inputs*
(:func:`inputs`) stay as they are:

- ``grading code``: every module of the running ``descent`` package that a grading imports: all
  but the command line, the course, the labs and the authoring tools, the floors above the
  plugin (docs/explanation/architecture.md), which the plugin may not import; the diagnoses, the
  checker, the comparison, the catalogue's machinery, the input seeds and the plugin are all in
  it; and the kit's ``pyproject.toml`` (pytest's settings, the entry points);
- ``graders``: ``graders/test_<module>.py`` and every shared file of ``graders/`` (``conftest.py``,
  the battery, the oracles...);
- ``variants``: the files that declare the module's variants (the catalogue's and the corpus's
  file of the module, the files named after no module such as ``hollow.py``, and any file
  holding a replaced function's code) and the variants' ids;
- ``reference``: ``solutions/<module>.py`` and what it imports of ``solutions/`` (``layers.py``
  imports activations and losses, ``train.py`` five modules), and of any module its graders file
  names, transitively;
- ``options``: what the guard passes to pytest (``--device``, and an input seed where the guard
  passes one: the input seed's handling is in the grading code, the option here);
- ``environment``: Python, the machine's architecture, every installed distribution and its
  version (torch, numpy, hypothesis, pytest...), and the ``DESCENT_*``, ``HYPOTHESIS_*`` and
  ``PYTHONHASHSEED`` environment variables.

Each is a map of names to content hashes (SHA-256 of the file's bytes); the module's *key* is the
hash of them all. An entry (``.descent/generic-names-cache/<module>-<key>.json``, out of git)
keeps that grading's results, the tests and the implementation blocks of the module's variants,
exactly as its results document had them, so that a replay reads the same records a grading
writes and the guard summarizes both alike (:func:`descent.authoring.audit.summarize`). Any
change of an input is a new key: the module is graded again, never replayed, and the guard says
which inputs changed. Remove the folder to forget every entry; ``--regrade`` grades every module
again without reading it (and keeps the new entries).

The folder is out of git, so a fresh clone has none; the same key, written into
``graders/generic_names.json`` beside each module's names when they are recorded (their stamp,
:func:`descent.authoring.generic_names.stamp`), stands in for it there: a module whose inputs
are those stamped is taken as checked, and only the others are graded.

(Code that is not deterministic itself, such as a micrograd-style ``Value`` that orders its graph
through a set of objects, may give other values in any two gradings; the guard compares names,
which such a variant keeps, and a replay gives the values of the grading it kept.)

Why a change of the diagnoses re-grades, whole: a variant's generic names come from the claims
its failed checks make and from weighing them against every comparison of its exercise, the
passed ones included (:mod:`descent.diagnoses.verified`). Those records hold the checks' recipes,
closures that re-run the reference and the variant; a neighbour runs the variant's code on a new
input, a mutant writes a slip into the reference's code, and the diagnoses' time budgets depend
on the machine. None of it can be read back from a file, so only a grading replays it; a
replay from recorded values would be another computation, not provably the same one.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.metadata
import inspect
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import registry, variants

SCHEMA = "descent.generic-names-cache/1"
FOLDER = Path(".descent") / "generic-names-cache"
KEEP = 3  # entries kept per module: the newest (a branch switched back and forth replays both)
# The packages of descent that a grading never imports (the floors above the plugin).
NOT_GRADING = ("commands", "course", "labs", "authoring")
ENVIRONMENT = ("DESCENT_", "HYPOTHESIS_", "PYTHONHASHSEED")  # may change what a grading does
CODE = Path(__file__).resolve().parents[1]  # the descent package that grades


@dataclass
class Inputs:
    """What decides one module's generic names (see the module's docstring): per part, a map of
    names (files, packages, variants) to content hashes or versions."""

    parts: dict[str, dict[str, str]]

    @property
    def key(self) -> str:
        """The digest of every input: what the cache's entries and the record's stamps
        (:mod:`.generic_names`) are keyed on, the one definition of both."""
        return hashlib.sha256(json.dumps(self.parts, sort_keys=True).encode()).hexdigest()

    @property
    def digests(self) -> dict[str, str]:
        """Per part, a short digest of its names and hashes: kept beside :attr:`key` where the
        inputs themselves are not (the record), to say which parts differ; never compared
        alone."""
        return {
            part: hashlib.sha256(json.dumps(names, sort_keys=True).encode()).hexdigest()[:16]
            for part, names in sorted(self.parts.items())
        }

    def changed(self, since: Inputs) -> list[str]:
        """What differs from ``since``, part by part, with a few of the names that changed."""
        lines = []
        for part in sorted(set(self.parts) | set(since.parts)):
            now, then = self.parts.get(part, {}), since.parts.get(part, {})
            names = sorted(n for n in set(now) | set(then) if now.get(n) != then.get(n))
            if names:
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if names[3:] else "")
                lines.append(f"{part} ({shown})")
        return lines


def inputs(
    root: Path,
    module: str,
    keys: Sequence[str],
    options: Sequence[str],
    code: Path | None = None,
) -> Inputs:
    """The inputs of ``module``'s generic names in the kit at ``root``: ``keys`` are its
    variants (``kind:id``), ``options`` what the guard passes to pytest, ``code`` the package
    that grades (:data:`CODE`, this one)."""
    code = code or CODE
    graders = root / "graders"
    helpers = [p for p in graders.glob("*.py") if not p.name.startswith("test_")]
    return Inputs(
        {
            "environment": _environment(),
            "options": {f"{n}": option for n, option in enumerate(options)},
            "grading code": {
                **_hashes(code.parent, _grading_files(code)),
                **_hashes(root, [root / "pyproject.toml"]),
            },
            "graders": _hashes(root, [graders / f"test_{module}.py", *helpers]),
            "variants": {
                **_hashes(root, _declaring_files(root, module, keys)),
                **{key: "variant" for key in keys},
            },
            "reference": _hashes(root, _reference_files(root, module)),
        }
    )


def _environment() -> dict[str, str]:
    found = {
        "python": sys.version,
        "implementation": sys.implementation.name,
        "machine": f"{sys.platform} {platform.machine()}",
        **_packages(),
    }
    found.update({f"${k}": v for k, v in os.environ.items() if k.startswith(ENVIRONMENT)})
    return found


@functools.lru_cache(maxsize=1)
def _packages() -> dict[str, str]:
    """Every installed distribution's version, read once per process (a few tenths of a
    second: every module's inputs hold them)."""
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[f"package {name.lower()}"] = dist.version
    return found


def _grading_files(code: Path) -> list[Path]:
    return [
        path
        for path in code.rglob("*.py")
        if path.relative_to(code).parts[0] not in NOT_GRADING and "__pycache__" not in path.parts
    ]


def _hashes(base: Path, paths: Iterable[Path]) -> dict[str, str]:
    """Each file's path (relative to ``base``) -> the SHA-256 of its bytes; ``missing`` for a
    file that is not there (its appearance is a change too)."""
    return {_shown(path, base): _digest(path) for path in paths}


def _shown(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _digest(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    return _sha(data)


@functools.lru_cache(maxsize=4096)
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _declaring_files(root: Path, module: str, keys: Sequence[str]) -> list[Path]:
    """The files of ``graders/catalogue`` and ``graders/corpus`` that may declare a variant of
    ``module``: the one named after it, those named after no module (``hollow.py``), and every
    file holding a replaced function's code (a variant not loaded here adds none)."""
    files: set[Path] = set()
    for folder in (root / "graders" / "catalogue", root / "graders" / "corpus"):
        for path in folder.glob("*.py"):
            if path.stem == module or path.stem not in registry.MODULES:
                files.add(path)
    for key in keys:
        try:
            variant = variants.get(key.partition(":")[2])
        except KeyError:
            continue
        for fn in [*variant.functions.values(), variant.derive]:
            found = _code_file(fn)
            if found is not None:
                files.add(found)
    return sorted(files)


def _code_file(fn: Any) -> Path | None:
    while isinstance(fn, functools.partial):
        fn = fn.func
    code = getattr(inspect.unwrap(fn), "__code__", None) if fn is not None else None
    return Path(code.co_filename) if code is not None else None


def _reference_files(root: Path, module: str) -> list[Path]:
    """``solutions/<module>.py``, the modules of ``solutions/`` it imports, and those of every
    module its graders file names (``impl.layers``, ``"layers.linear"``), transitively."""
    solutions = root / "solutions"
    named = _modules_named(root / "graders" / f"test_{module}.py")
    todo, seen = [module, *sorted(named)], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_sibling_imports(solutions / f"{name}.py", solutions))
    files = [solutions / f"{name}.py" for name in sorted(seen)]
    return files + [p for p in [solutions / "__init__.py"] if p.exists()]


def _modules_named(path: Path) -> set[str]:
    try:
        text = path.read_text()
    except OSError:
        return set()
    words = set(re.findall(r"\.(\w+)\b|[\"'](\w+)\.\w", text))
    return {w for pair in words for w in pair if w in registry.MODULES}


def _sibling_imports(path: Path, folder: Path) -> list[str]:
    """The modules of ``folder`` that ``path`` imports (``from . import x``, ``from .x import``,
    ``import x``)."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module:
                found.append(node.module.split(".")[0])
            if node.level and not node.module:
                found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name.split(".")[0] for alias in node.names)
    return [name for name in found if (folder / f"{name}.py").exists()]


# -- the entries ---------------------------------------------------------------------------------
class Cache:
    """The entries under ``folder``: per module and key, one grading's records."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, module: str, key: str) -> Path:
        return self.folder / f"{module}-{key[:32]}.json"

    def replay(self, module: str, found: Inputs) -> dict[str, Any] | None:
        """The tests and implementation blocks a grading of ``module`` gave with exactly these
        inputs, or ``None``."""
        entry = _read(self._path(module, found.key))
        if entry is None or entry.get("key") != found.key:
            return None
        return {"implementations": entry["implementations"], "tests": entry["tests"]}

    def latest(self, module: str) -> Inputs | None:
        """The inputs of the newest entry of ``module`` (to say what changed since)."""
        newest = sorted(self._entries(module), key=_mtime, reverse=True)
        for path in newest:
            entry = _read(path)
            if entry is not None:
                return Inputs(entry["inputs"])
        return None

    def store(self, module: str, found: Inputs, doc: dict[str, Any], seconds: float) -> None:
        """Keep what this grading of ``module`` gave (the module's own records of ``doc``),
        written whole or not at all, and only the newest :data:`KEEP` entries of the module."""
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {
            "schema": SCHEMA,
            "module": module,
            "key": found.key,
            "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(seconds, 1),
            "inputs": found.parts,
            "implementations": doc["implementations"],
            "tests": doc["tests"],
        }
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=f".{module}-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump(entry, out)
        os.replace(temp, self._path(module, found.key))
        for old in sorted(self._entries(module), key=_mtime, reverse=True)[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()

    def seconds(self, module: str) -> float | None:
        """How long the newest grading of ``module`` took (to share the work between jobs)."""
        for path in sorted(self._entries(module), key=_mtime, reverse=True):
            entry = _read(path)
            if entry is not None:
                return float(entry.get("seconds", 0.0))
        return None

    def _entries(self, module: str) -> list[Path]:
        if not self.folder.is_dir():
            return []
        pattern = re.compile(rf"{re.escape(module)}-[0-9a-f]{{32}}\.json")
        return [p for p in self.folder.iterdir() if pattern.fullmatch(p.name)]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _read(path: Path) -> dict[str, Any] | None:
    """An entry, or ``None`` for one that is missing, unreadable or of another schema (a
    grading then makes it again)."""
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("schema") != SCHEMA:
        return None
    if not all(k in entry for k in ("key", "inputs", "implementations", "tests")):
        return None
    return entry


def split(doc: dict[str, Any], module_of: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A results document's implementation blocks and tests, per module of their variant
    (``module_of``: ``kind:id`` -> module); anything else is left out."""
    parts: dict[str, dict[str, Any]] = {}
    for block in doc["implementations"]:
        module = module_of.get(block["name"])
        if module is not None:
            parts.setdefault(module, {"implementations": [], "tests": []})
            parts[module]["implementations"].append(block)
    for test in doc["tests"]:
        module = module_of.get(test["implementation"])
        if module in parts:
            parts[module]["tests"].append(test)
    return parts
