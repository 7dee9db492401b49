"""The behaviour-only rule: what a student's test file may not use, found before it runs.

A test may tell implementations apart only by what they compute: values, shapes, dtypes, the
exceptions they raise, what they do to their arguments and to a generator. Everything else is
refused, by an AST scan of the file (no execution):

* imports outside :data:`ALLOWED_IMPORTS` (``inspect`` reads source and frames, ``time`` and
  ``timeit`` measure how long a call takes, ``os``, ``sys``, ``pathlib``, ``io`` read files and
  the interpreter's state, ...);
* attributes whose name starts with ``_`` (``__name__``, ``__qualname__``, ``__module__``,
  ``__code__``, ``__closure__``, ``__globals__``, ``__dict__``, ...) and the names of
  :data:`REFUSED_ATTRIBUTES` (``torch.load``, ``numpy.fromfile``, ``torch.utils.benchmark``,
  ``numpy.datetime64``, ...), wherever they stand in a chain of names or an import's module
  path (``from torch.utils.benchmark import Timer``), but for the computations of
  :data:`ALLOWED_MODULES` (``torch.nn.utils``);
* the builtins of :data:`REFUSED_NAMES` (``open``, ``id``, ``hash``, ``getattr``, ``eval``,
  ``vars``, ``globals``, ...);
* ``is`` and ``is not`` between two values (identity), except against ``None``, ``True``,
  ``False``, a builtin type or a ``torch``/``numpy`` constant such as a dtype;
* assigning to (or deleting) an attribute or item of an imported module (``torch.x = ...``):
  state that outlives the test.

A finding inside a test function (or a method of a ``Test`` class) refuses that test; anywhere
else (the module's top level, a helper, a decorator) it refuses every test of the file. The
grader does not rely on this scan alone: the tests run in a confined worker that holds no
implementation's code, and the implementations reach it as uniform callables (see
:mod:`descent.testwriting.harness`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

ALLOWED_IMPORTS = frozenset(
    {
        "torch",
        "numpy",
        "math",
        "cmath",
        "pytest",
        "itertools",
        "functools",
        "operator",
        "fractions",
        "decimal",
        "statistics",
        "random",
        "copy",
        "collections",
        "dataclasses",
        "typing",
        "enum",
        "string",
        "__future__",
    }
)
REFUSED_NAMES = {
    "open": "reads files",
    "id": "tells objects apart by identity",
    "hash": "tells objects apart by identity",
    "eval": "runs code built at run time",
    "exec": "runs code built at run time",
    "compile": "runs code built at run time",
    "__import__": "imports modules by name at run time",
    "globals": "reads the interpreter's state",
    "locals": "reads the interpreter's state",
    "vars": "reads an object's attributes by name",
    "dir": "reads an object's attributes by name",
    "getattr": "reads an object's attributes by name",
    "setattr": "changes an object's attributes by name",
    "delattr": "changes an object's attributes by name",
    "hasattr": "reads an object's attributes by name",
    "breakpoint": "stops the run",
    "input": "reads the terminal",
    "help": "reads source and documentation",
    "memoryview": "reads raw memory",
    "exit": "ends the run",
    "quit": "ends the run",
}
REFUSED_ATTRIBUTES = {
    "load": "reads files",
    "save": "writes files",
    "savez": "writes files",
    "savetxt": "writes files",
    "loadtxt": "reads files",
    "genfromtxt": "reads files",
    "fromregex": "reads files",
    "fromfile": "reads files",
    "from_file": "reads files",
    "tofile": "writes files",
    "dump": "writes files",
    "memmap": "reads files",
    "read_text": "reads files",
    "read_bytes": "reads files",
    "importorskip": "imports modules by name at run time",
    "hub": "downloads and loads code",
    "jit": "reads and compiles source",
    "compile": "reads and compiles source",
    "package": "reads and writes archives of code",
    "utils": "holds benchmarks, timers and file loaders",
    "profiler": "measures how long calls take",
    "benchmark": "measures how long calls take",
    "cuda": "synchronizes and times devices",
    "backends": "changes global settings",
    "library": "registers operators",
    "ops": "reaches operators by name",
    "classes": "reaches classes by name",
    "multiprocessing": "starts processes",
    "distributed": "opens connections",
    "datetime64": "reads the clock",
    "timedelta64": "reads the clock",
    "ctypeslib": "reads raw memory",
    "lib": "holds file and format readers",
}
# Modules whose name is refused elsewhere but that hold only computations: torch.nn.utils
# (clip_grad_norm_, parameters_to_vector), which the starter's docstrings point to. Matched by
# their last two names, so that `import torch.nn as nn; nn.utils.clip_grad_norm_` passes too.
ALLOWED_MODULES = frozenset({("nn", "utils")})
_IDENTITY_OK_NAMES = {
    "None",
    "True",
    "False",
    "float",
    "int",
    "bool",
    "str",
    "tuple",
    "list",
    "dict",
    "type",
    "Ellipsis",
    "NotImplemented",
}
_CONSTANT_ROOTS = {"torch", "numpy", "np", "math"}


@dataclass(frozen=True)
class Finding:
    line: int
    what: str
    why: str

    def text(self) -> str:
        return f"line {self.line}: {self.what} ({self.why})"


@dataclass
class Scan:
    """``file``: findings that refuse every test; ``tests``: test name (``test_x`` or
    ``TestA::test_x``) -> findings that refuse it; ``error``: the file does not parse."""

    file: list[Finding] = field(default_factory=list)
    tests: dict[str, list[Finding]] = field(default_factory=dict)
    error: str | None = None

    def refused(self, case: str) -> list[Finding]:
        """The findings that refuse ``case`` (a collected name, ``test_x[1-2]`` included)."""
        return self.file + self.tests.get(case.split("[", 1)[0], [])

    def findings(self) -> list[Finding]:
        return self.file + [f for found in self.tests.values() for f in found]


def scan(source: str, filename: str = "the test file") -> Scan:
    """The behaviour-only rule's findings for a student's test file (never runs it)."""
    result = Scan()
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        result.error = f"{filename} does not parse: {exc.msg} (line {exc.lineno})"
        return result
    modules = _imported(tree)
    for node in tree.body:
        for name, body in _tests(node):
            found = [f for part in body for f in _findings(part, modules)]
            if found:
                result.tests[name] = found
        result.file += [f for part in _outside_tests(node) for f in _findings(part, modules)]
    return result


def _outside_tests(node: ast.stmt) -> list[ast.AST]:
    """The parts of a top-level statement that do not run as a test: all of it, but for a test
    function its decorators, and for a test class its decorators and other statements."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_test_def(node):
        return list(node.decorator_list)
    if isinstance(node, ast.ClassDef) and _tests(node):
        return [n for n in node.body if not _is_test_def(n)] + list(node.decorator_list)
    return [node]


def _imported(tree: ast.Module) -> set[str]:
    """The names the file binds to imported modules (``torch``, ``np``, ``F``, ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
    return names


def _is_test_def(node: ast.AST) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
        "test"
    )


def _tests(node: ast.stmt) -> list[tuple[str, list[ast.AST]]]:
    """``(name, [the parts that run as the test])`` for a test function or a test class."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_test_def(node):
        return [(node.name, [node.args, *node.body])]
    if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
        return [
            (f"{node.name}::{n.name}", [n.args, *n.body])
            for n in node.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_test_def(n)
        ]
    return []


def _findings(node: ast.AST, modules: set[str]) -> list[Finding]:
    found = []
    for sub in ast.walk(node):
        what = _refusal(sub) or _module_state(sub, modules)
        if what is not None:
            found.append(Finding(getattr(sub, "lineno", 0), *what))
    return found


def _refusal(node: ast.AST) -> tuple[str, str] | None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name.split(".")[0] not in ALLOWED_IMPORTS]
        return (f"import {bad[0]}", _import_why(bad[0])) if bad else None
    if isinstance(node, ast.ImportFrom):
        path = (node.module or "").split(".")
        if node.level or path[0] not in ALLOWED_IMPORTS:
            return f"from {'.' * node.level}{node.module or ''} import ...", _import_why(path[0])
        # every name on the way counts, as in an attribute chain: from torch.utils.benchmark
        # import Timer is torch.utils.benchmark.Timer
        on_the_way = [n for i, n in enumerate(path) if i and _refused_name(path[: i + 1])]
        if on_the_way:
            return f"from {node.module} import ...", _attr_why(on_the_way[0])
        bad = [a.name for a in node.names if _refused_name([*path, a.name])]
        return (f"from {node.module} import {bad[0]}", _attr_why(bad[0])) if bad else None
    if isinstance(node, ast.Attribute):
        if _refused_name([*_dotted(node.value), node.attr]):
            return f".{node.attr}", _attr_why(node.attr)
    if isinstance(node, ast.Name) and node.id in REFUSED_NAMES:
        return node.id, REFUSED_NAMES[node.id]
    if isinstance(node, ast.Name) and node.id.startswith("__") and node.id != "__name__":
        return node.id, "reads the interpreter's state"
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if isinstance(op, (ast.Is, ast.IsNot)) and not (_constant(left) or _constant(right)):
                return "`is` between two values", "tells objects apart by identity"
    return None


def _refused_name(path: list[str]) -> bool:
    """Whether the last name of ``path`` (``torch.nn.utils``: ``utils``) is refused there."""
    name = path[-1]
    if tuple(path[-2:]) in ALLOWED_MODULES:
        return False
    return name.startswith("_") or name in REFUSED_ATTRIBUTES


def _dotted(node: ast.AST) -> list[str]:
    """The names of an attribute chain up to ``node`` (``torch.nn`` for ``torch.nn``); [] where
    it does not start at a plain name (a call's result, a subscript)."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    return [node.id, *names] if isinstance(node, ast.Name) else []


def _module_state(node: ast.AST, modules: set[str]) -> tuple[str, str] | None:
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = node.targets
    for target in targets:
        root = target
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if root is not target and isinstance(root, ast.Name) and root.id in modules:
            return f"assigning to {root.id}'s state", "state that outlives the test"
    return None


def _constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in _IDENTITY_OK_NAMES
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in _CONSTANT_ROOTS


_IMPORT_WHY = {
    "inspect": "reads source code and frames",
    "time": "measures how long calls take",
    "timeit": "measures how long calls take",
    "datetime": "reads the clock",
    "os": "reads files and the process's state",
    "sys": "reads the interpreter's state",
    "pathlib": "reads files",
    "io": "reads files",
    "gc": "reaches every object of the process",
    "ctypes": "reads raw memory",
    "dis": "reads compiled code",
    "threading": "starts threads and timers",
}


def _import_why(module: str) -> str:
    return _IMPORT_WHY.get(
        module,
        "not a module a test needs (allowed: "
        + ", ".join(sorted(ALLOWED_IMPORTS - {"__future__"}))
        + ")",
    )


def _attr_why(name: str) -> str:
    if name.startswith("_"):
        return "reads a name, a module, source or an object's internals, not what it computes"
    return REFUSED_ATTRIBUTES.get(name, "not behaviour")
