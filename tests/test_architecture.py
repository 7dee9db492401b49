"""The layering a reviewer of the sandbox relies on, checked from the source (no grading run).

- ``descent.isolation`` imports neither pytest nor the grading plugin or the command line;
  the plugin's glue (``plugin_workers.py``) is the only way in from the plugin.
- What grader code sees (``comparison``, ``calls.impl``, ``calls.callables``, ``calls.tape``,
  ``grading.checker``, ``grading.compare``, ``grading.gradcheck``, ``graders/``, ``exercises/``)
  imports nothing from ``descent.isolation``.
- The top package holds at most 20 modules; each package's ``__init__`` is a map naming every
  module of the package.
- Tests are laid out like the code: each module with behaviour of its own has a test file of its
  name in the mirrored folder (``descent/course/plan.py``: ``tests/course/test_plan.py``), and
  each module left without one is listed with the reason.
- The isolation package is three stacks, each module importing only those below it: the
  trusted side of a connection, the confinement steps, and the worker's request loop.
- The packages stand on floors (docs/explanation/floors.md): a module imports only from its own
  floor and those below it, and every module of ``src/descent`` is on one; a module it starts by
  name (``python -m descent.x``) counts as an import, but for the command line's entry points,
  and must exist.
- No module outside ``descent.commands`` imports it, and no import loop anywhere in
  ``src/descent`` (imports inside functions count: they close a loop as surely, only later).
- ``descent.commands`` is the only place that parses arguments or ends the process; it loads
  neither torch nor pytest when it starts; the pytest plugin loads neither torch nor hypothesis.
- Each import inside a function anywhere in ``src/descent`` says why, on its line or above its
  group (an optional dependency, start-up cost, an order, an import loop).
- Sizes: no function of the isolation package is longer than a screen (60 lines), no file of
  it is longer than 500 lines, no function anywhere in ``src/descent`` is longer than 80 and no
  file outside the isolation package longer than 800 (each file let past that is listed with
  the reason, and still needs it).
- The fast lane (``./dev test --fast``, the test files marked ``fast``) reaches every module of
  the kit through its imports.
- Test modules import one another relatively, so that ``pytest tests/grading`` runs as the docs
  say.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[1]
SRC = KIT / "src" / "descent"
ISOLATION = SRC / "isolation"
SCREEN = 60  # lines, a function's whole text (signature, docstring and body)
FUNCTION_AT_MOST = 80  # lines, a function anywhere in src/descent, counted as SCREEN is
ISOLATION_FILE_AT_MOST = 500  # lines, a file of the isolation package (security code)
FILE_AT_MOST = 800  # lines, a file anywhere else in src/descent
# Files let past FILE_AT_MOST for now, each with the reason (checked to be still over it).
LONG_FILES: dict[str, str] = {}
# The trusted side of a connection, lowest first.
STACK = ["errors", "edits", "handles", "pipeline", "codec", "connection", "import_limits", "remote"]
# The stacks of the isolation package, lowest first: each module imports only those before it.
STACKS = {
    "trusted": STACK,
    "confinement": [
        "syscalls",
        "limits",
        "landlock",
        "seccomp",
        "namespaces",
        "privileges",
        "cgroups",
        "confinement",
    ],
    "worker": ["protocol", "encoding", "held", "submission", "edit_watch", "operations", "worker"],
}
GRADER_FACING = [
    "comparison",
    "calls.impl",
    "calls.callables",
    "calls.tape",
    "grading.checker",
    "grading.compare",
    "grading.gradcheck",
]
# The floors of src/descent, lowest first, as docs/explanation/floors.md draws them: a
# package (every module in it) or a module at the top of descent/, by its name in descent. A
# module imports only from its own floor and those below it.
FLOORS = [
    # what everything stands on ("" is the top package's map, which imports nothing; exercises
    # and labs_grading are first names of registry and student_notebook)
    (
        "",
        "errors",
        "registry",
        "results",
        "terminal",
        "kit",
        "student_notebook",
        "exercises",
        "labs_grading",
    ),
    ("calls",),  # the one way to reach code under test
    # what the checks and diagnoses stand on, and what this system can run
    ("options", "comparison", "variants", "reports", "platforms"),
    ("diagnoses",),
    ("catalogue",),  # how graders declare variants: a bug's labels are the diagnoses' kinds
    ("isolation",),  # its worker applies a catalogued variant
    ("grading", "testwriting"),  # write-the-tests: graded by the plugin, runs in the worker
    ("course", "labs", "authoring"),  # the libraries
    ("commands", "__main__"),
]
TOP_MODULES_AT_MOST = 20  # issue 40: the tree shows the architecture


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent if SRC.parent in path.parents else KIT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file, as absolute dotted names."""
    tree = ast.parse(path.read_text())
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _offenders(paths, forbidden, read=_imports) -> dict[str, list[str]]:
    """The modules of ``forbidden`` (or modules in them) that each of ``paths`` uses, as
    ``read`` finds them (its imports, by default)."""
    bad = {}
    for path in paths:
        hits = sorted(
            i for i in read(path) if any(i == f or i.startswith(f + ".") for f in forbidden)
        )
        if hits:
            bad[str(path.relative_to(KIT) if KIT in path.parents else path)] = hits
    return bad


# The command line's entry points, which a module of any floor may start by name in a process
# of its own: that is how a library runs the command line without importing it
# (docs/explanation/floors.md). Any other module started by name is held to the floors like an
# import.
ENTRY_POINTS = {
    "descent.commands.child": "one grading process of a batch (course/runner.py)",
    "descent.commands.warm": "a batch's warm parent (course/warm_parent.py)",
}


def _started(path: Path) -> set[str]:
    """The kit modules ``path`` starts by name in a process of its own: ``python -m NAME`` (the
    words ``"-m", "NAME"`` of a command list, or ``-m NAME`` in a script it writes) and the
    modules a ``-c`` program imports (``"-c", "from NAME import main; ..."``); ``-m descent`` is
    ``descent.__main__``. Docstrings do not count."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)):
            words = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
            for flag, word in zip(words, words[1:]):
                if flag == "-m" and isinstance(word, str):
                    found.add(word)
                elif flag == "-c" and isinstance(word, str):
                    found.update(re.findall(r"(?:from|import)\s+(descent(?:\.\w+)*)", word))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                found.update(re.findall(r"-m\s+(descent(?:\.\w+)*)", node.value))
    kit = {name for name in found if name == "descent" or name.startswith("descent.")}
    return {"descent.__main__" if name == "descent" else name for name in kit}


def _uses(path: Path) -> set[str]:
    """What the floors hold ``path`` to: its imports, and the modules it starts by name other
    than the command line's entry points."""
    return _imports(path) | (_started(path) - set(ENTRY_POINTS))


def test_the_isolation_package_knows_nothing_of_pytest_or_the_plugin():
    forbidden = [
        "pytest",
        "_pytest",
        "descent.grading.plugin",
        "descent.grading.plugin_workers",
        "descent.commands",
    ]
    assert _offenders(_files(ISOLATION), forbidden) == {}


def test_what_graders_see_imports_nothing_from_isolation():
    paths = [SRC / f"{name.replace('.', '/')}.py" for name in GRADER_FACING]
    paths += _files(KIT / "graders") + _files(KIT / "exercises")
    assert _offenders(paths, ["descent.isolation"]) == {}


@pytest.mark.parametrize(
    ("stack", "level"),
    [(stack, level) for stack, names in STACKS.items() for level in range(len(names))],
)
def test_each_isolation_module_imports_only_those_below_it(stack, level):
    names = STACKS[stack]
    above = [f"descent.isolation.{name}" for name in names[level + 1 :]]
    assert _offenders([ISOLATION / f"{names[level]}.py"], above) == {}


def _floor(path: Path) -> int:
    """The index in FLOORS of the floor ``path`` (a module of src/descent) stands on."""
    name = path.relative_to(SRC).parts[0].removesuffix(".py")
    name = "" if name == "__init__" else name
    return next(i for i, floor in enumerate(FLOORS) if name in floor)


@pytest.mark.parametrize("level", range(len(FLOORS)), ids=[f[0] or "top" for f in FLOORS])
def test_each_floor_imports_only_from_itself_and_those_below(level):
    above = [f"descent.{name}" for floor in FLOORS[level + 1 :] for name in floor]
    paths = [p for p in _files(SRC) if _floor(p) == level]
    assert paths and _offenders(paths, above, read=_uses) == {}


def test_a_module_started_by_name_exists_and_each_entry_point_is_one():
    """A module named in a string is not checked by an import: a rename would leave the string
    behind. Each the kit starts is a module of src/descent, and each entry point runs as one."""
    started = {name for path in _files(SRC) for name in _started(path)}
    modules = {_module_name(p) for p in _files(SRC)}
    assert started and started <= modules, started - modules
    assert set(ENTRY_POINTS) <= started, "an entry point no module starts: drop it from the list"
    for name in ENTRY_POINTS:
        text = (SRC.parent / f"{name.replace('.', '/')}.py").read_text()
        assert 'if __name__ == "__main__":' in text, name


def test_the_floors_see_a_module_started_by_name(tmp_path, monkeypatch):
    """The reader itself: a module of calls/ that starts a library by name, ``python -m
    descent.course.batch`` or a ``-c`` importing it, breaks the floors as an import would;
    starting an entry point of the command line does not."""
    src = tmp_path / "src" / "descent"
    (src / "calls").mkdir(parents=True)
    monkeypatch.setattr(sys.modules[__name__], "SRC", src)
    planted = src / "calls" / "planted.py"
    above = [f"descent.{name}" for floor in FLOORS[_floor(planted) + 1 :] for name in floor]
    for start in (
        '["-m", "descent.course.batch"]',
        '("-c", "from descent.course.batch import run; run()")',
        '"exec python -m descent.course.batch $1"',
    ):
        planted.write_text(
            f'"""python -m descent.labs in a docstring is no start."""\nX = {start}\n'
        )
        assert _started(planted) == {"descent.course.batch"}
        assert list(_offenders([planted], above, read=_uses).values()) == [["descent.course.batch"]]
    planted.write_text('X = ["-m", "descent.commands.child", "--parent", "1"]\n')
    assert _offenders([planted], above, read=_uses) == {}
    assert _started(KIT / "src" / "descent" / "course" / "runner.py") == {"descent.commands.child"}


def test_every_module_stands_on_a_floor():
    placed = {name for floor in FLOORS for name in floor}
    names = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in _files(SRC)}
    assert names - {"__init__"} - placed == set(), "add it to FLOORS and docs/explanation/floors.md"
    assert placed - names - {""} == set(), "FLOORS names a module that is gone"


def test_the_floors_are_the_ones_the_architecture_page_draws():
    """docs/explanation/floors.md lists the floors, top first, one line each: ``N. name,
    name``, before its first section."""
    page = (KIT / "docs" / "explanation" / "floors.md").read_text()
    section = page.split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. (.+(?:\n   .+)*)", section, re.M)  # an item and its lines
    drawn = [" ".join(item.split()).split(":")[0].replace("`", "").split(", ") for item in items]
    assert drawn == [[name or "__init__" for name in floor] for floor in reversed(FLOORS)]


def test_the_top_package_is_small():
    top = sorted(p.name for p in SRC.glob("*.py"))
    assert len(top) <= TOP_MODULES_AT_MOST, f"{len(top)} modules at the top of descent: {top}"


# The packages whose __init__ is a map of their modules (the top one, the house's wings, the
# isolation package); commands/ lists its verbs in VERBS instead.
MAPPED = ["", "authoring", "calls", "diagnoses", "grading", "isolation", "reports", "testwriting"]


@pytest.mark.parametrize("package", [SRC / name for name in MAPPED], ids=MAPPED)
def test_each_package_init_is_a_map_of_its_modules(package):
    """A package's docstring names each of its modules (``:mod:`.name```), so the folder is read
    from one place; a module added without its line fails here."""
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    modules = sorted(p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__"))
    unnamed = [m for m in modules if f":mod:`.{m}`" not in doc and f"{m}.py" not in doc]
    assert not unnamed, f"{package.relative_to(SRC)}/__init__.py does not name {unnamed}"


# Tests are laid out like the code: src/descent/PKG/NAME.py is tested in TESTS[PKG]/test_NAME.py,
# and a package's __init__.py that holds code of its own (a function or a class, not only the map)
# in TESTS[PKG]/test_PKG.py; the top package's modules in tests/test_NAME.py. Tests that cross
# modules (a term, a class graded, the kit's promises) sit beside them under names of their own.
TESTS = {
    "": "tests",
    "authoring": "tests/authoring",
    "calls": "tests/calls",
    "commands": "tests/commands",
    "course": "tests/course",
    "course/similarity": "tests/course/similarity",
    "diagnoses": "tests/diagnoses",
    "grading": "tests/grading",
    "isolation": "tests/isolation",
    "labs": "tests/labs",
    "reports": "tests/reports",
    "testwriting": "tests/testwriting",
}
# Modules with no behaviour of their own, so no test file of their name; each says why. An
# exemption may define no function (checked below): a module with logic gets a test file.
NO_BEHAVIOUR = {
    "__main__": "`python -m descent` hands over to commands.run "
    "(test_python_dash_m_descent_is_the_command runs it)",
    "errors": "the error class and the tuple of errors a command reports: names, no code "
    "(tests/commands/test_commands.py shows how they are reported)",
    "exercises": "an alias: the registry under its first name "
    "(test_the_first_names_are_the_same_modules)",
    "labs_grading": "an alias: student_notebook under its first name (same test)",
    "labs/checks": "an alias: labs.hidden_checks under its first name (same test)",
    "isolation/syscalls": "data: the C library's handle with its argument types, and the x86_64 "
    "syscall numbers (tests/isolation/test_seccomp.py and test_process_syscalls.py use them)",
}


def _defines_code(path: Path) -> bool:
    """Whether a module defines a function or a class (a package map is a docstring only)."""
    nodes = ast.walk(ast.parse(path.read_text()))
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in nodes)


def _expected_test_files(src: Path = SRC) -> dict[str, Path]:
    """``{module's path under src/descent: the test file it needs}`` for every module checked."""
    expected = {}
    for package in sorted({p.parent for p in _files(src)}):
        where = "" if package == src else str(package.relative_to(src))
        assert where in TESTS, f"say where the tests of src/descent/{where}/ live (TESTS)"
        for path in sorted(package.glob("*.py")):
            module = str(path.relative_to(src).with_suffix(""))
            if path.stem == "__init__":
                if not _defines_code(path):
                    continue
                name = package.name
            elif module in NO_BEHAVIOUR:
                continue
            else:
                name = path.stem
            expected[module] = KIT / TESTS[where] / f"test_{name}.py"
    return expected


def test_each_module_has_a_test_file_of_its_name():
    """Tests mirror the code: ``descent/course/plan.py`` is tested in
    ``tests/course/test_plan.py``, ``descent/results.py`` in ``tests/test_results.py``."""
    missing = [
        f"{module}.py -> {path.relative_to(KIT)}"
        for module, path in _expected_test_files().items()
        if not path.exists()
    ]
    assert not missing, "modules without a test file of their name:\n" + "\n".join(missing)


def test_the_layout_check_sees_every_package_and_its_modules(tmp_path):
    """The check covers what it says: every module it is meant to see (none lost to a wrong
    path), and a package it does not know fails it."""
    expected = _expected_test_files()
    assert expected["course/plan"] == KIT / "tests/course/test_plan.py"
    assert expected["results"] == KIT / "tests/test_results.py"
    normalize = expected["course/similarity/normalize"]
    assert normalize == KIT / "tests/course/similarity/test_normalize.py"
    assert expected["commands/__init__"] == KIT / "tests/commands/test_commands.py"
    assert "grading/__init__" not in expected  # a map only
    assert expected["isolation/task_cap"] == KIT / "tests/isolation/test_task_cap.py"
    assert "isolation/__init__" not in expected and "isolation/syscalls" not in expected
    checked = {str(p.relative_to(SRC).with_suffix("")) for p in _files(SRC)}
    checked = {m for m in checked if not m.endswith("__init__")}
    assert checked - set(NO_BEHAVIOUR) <= set(expected)
    (tmp_path / "newpkg").mkdir()
    for name in ("__init__.py", "newpkg/__init__.py", "newpkg/thing.py"):
        (tmp_path / name).write_text('"""a module"""\n')
    with pytest.raises(AssertionError, match="say where the tests of src/descent/newpkg/ live"):
        _expected_test_files(tmp_path)


def test_each_exemption_has_no_behaviour_and_no_test_file():
    """An exempt module exists, defines no function (aliases, data, an error class), and has
    no test file of its name (if one was written, the module is no longer exempt)."""
    wrong = []
    for module in NO_BEHAVIOUR:
        path = SRC / f"{module}.py"
        where, _, name = module.rpartition("/")
        functions = path.exists() and any(
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            for n in ast.walk(ast.parse(path.read_text()))
        )
        if not path.exists() or functions or (KIT / TESTS[where] / f"test_{name}.py").exists():
            wrong.append(module)
    assert wrong == []


def test_only_the_entry_points_import_the_command_line():
    commands = SRC / "commands"
    paths = [p for p in _files(SRC) if commands not in p.parents and p != SRC / "__main__.py"]
    assert _offenders(paths, ["descent.commands"]) == {}


def _graph() -> dict[str, set[str]]:
    """``{module: the modules of descent it imports}``, at any depth of each file."""
    modules = {_module_name(p): p for p in _files(SRC)}
    graph = {}
    for name, path in modules.items():
        found = set()
        for target in _imports(path):
            while target and target not in modules:  # descent.x.NAME -> descent.x
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
        graph[name] = found
    return graph


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = []
            while not part or part[-1] != node:
                part.append(stack.pop())
            if len(part) > 1:
                loops.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return loops


def test_no_import_loop_anywhere():
    assert _loops(_graph()) == []


def test_the_loop_finder_finds_a_loop():
    assert _loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Outside descent.commands, three files may still end a process or read arguments, each an entry
# point of its own: the Gradescope archive's script, pytest's interrupt (a plugin's way to stop a
# run) and the grading options declared once for argparse and pytest alike.
EXITS_ALLOWED = {"course/gradescope.py", "grading/interrupt.py", "options.py", "__main__.py"}


def test_only_the_commands_parse_arguments_or_end_the_process():
    bad = []
    for path in _files(SRC):
        rel = str(path.relative_to(SRC))
        if rel.startswith("commands/") or rel in EXITS_ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        raised = {
            ast.unparse(n.exc).split("(")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Raise) and n.exc is not None
        }
        called = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        if "SystemExit" in raised or "sys.exit" in called or "argparse" in _imports(path):
            bad.append(rel)
    assert bad == []


WHY = ("optional", "start-up", "after the", "loop", "POSIX-only", "audited as it stands")


def _reason(lines: list[str], lineno: int) -> str:
    """The text that may say why the import on ``lineno`` is inside a function: its own line
    and the line above the group of imports it opens or belongs to."""
    text, i = lines[lineno - 1], lineno - 2
    while i >= 0:
        above = i
        while above >= 0 and not lines[above].strip():
            above -= 1
        if above < 0 or not lines[above].strip().startswith(("import ", "from ")):
            break
        text, i = text + lines[above], above - 1
    return text + (lines[i] if i >= 0 else "")


def test_each_import_inside_a_function_says_why():
    """The rule for imports inside functions (docs/explanation/architecture-rules.md): only for
    an optional dependency, to keep start-up fast, for an order (after the fork, after
    confinement), to break an import loop or to keep a POSIX-only module off the student's
    portable run, with a comment that says which."""
    unexplained = set()
    for path in _files(SRC):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    if not any(why in _reason(lines, inner.lineno) for why in WHY):
                        unexplained.add(f"{path.relative_to(SRC)}:{inner.lineno}")
    assert sorted(unexplained) == []


def _loaded_by(module: str, heavy: tuple[str, ...]) -> list[str]:
    """Which of ``heavy`` a fresh interpreter has loaded once it has imported ``module``."""
    code = f"import sys, {module}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return ast.literal_eval(out.strip())


def test_the_command_line_starts_without_torch_or_pytest():
    heavy = ("torch", "pytest", "nbformat", "matplotlib", "dask")
    assert _loaded_by("descent.commands", heavy) == []


def test_the_plugin_loads_without_torch_or_hypothesis():
    # pytest loads the plugin before a grading run's first hook, which starts the fork server
    # so that its import of torch overlaps the grader's; a public run never needs hypothesis.
    assert _loaded_by("descent.grading.plugin", ("torch", "numpy", "hypothesis", "rich")) == []


def _long_functions(folder: Path, at_most: int) -> list[str]:
    """The functions under ``folder`` longer than ``at_most`` lines, ``def`` line to last."""
    long = []
    for path in _files(folder):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > at_most:
                    long.append(f"{path.relative_to(folder)}:{node.name} ({lines} lines)")
    return long


def test_no_isolation_function_is_longer_than_a_screen():
    assert _long_functions(ISOLATION, SCREEN) == []


def test_no_function_is_longer_than_80_lines():
    assert _long_functions(SRC, FUNCTION_AT_MOST) == []


def _long_files(folder: Path, at_most: int) -> dict[str, int]:
    """The files under ``folder`` longer than ``at_most`` lines, with their length."""
    return {
        str(path.relative_to(folder)): lines
        for path in _files(folder)
        if (lines := len(path.read_text().splitlines())) > at_most
    }


def test_no_isolation_file_is_longer_than_500_lines():
    assert _long_files(ISOLATION, ISOLATION_FILE_AT_MOST) == {}


def test_no_file_is_longer_than_800_lines():
    """Outside the isolation package (which keeps its 500) no file of ``src/descent`` passes
    800 lines but those listed in ``LONG_FILES``, each of which still does (else: drop it)."""
    long = _long_files(SRC, FILE_AT_MOST)
    assert sorted(set(long) - set(LONG_FILES)) == [], {k: long[k] for k in long}
    assert sorted(set(LONG_FILES) - set(long)) == [], "no longer over the limit: drop it"


def test_the_size_checks_see_long_code(tmp_path):
    """The size checks themselves: a long function and a long file are found."""
    (tmp_path / "big.py").write_text("def f():\n" + "    x = 1\n" * 80 + "    return x\n")
    assert _long_functions(tmp_path, FUNCTION_AT_MOST) == ["big.py:f (82 lines)"]
    assert _long_functions(tmp_path, 82) == []
    assert _long_files(tmp_path, 81) == {"big.py": 82}
    assert _long_files(tmp_path, 82) == {}


def test_the_checks_see_real_imports():
    """The scanner itself: it finds a relative import inside a function."""
    found = _imports(ISOLATION / "remote.py")
    assert "descent.isolation.connection" in found and "descent.calls.impl" in found


def _in_fast_lane(path: Path) -> bool:
    """Whether a test file's module-level ``pytestmark`` puts the whole file in the fast lane."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return "mark.fast" in ast.unparse(node.value)
    return False


def _kit_references(path: Path) -> set[str]:
    """The kit modules a kit module uses: its imports, the modules it names in code strings
    (``python -m descent.x``, ``-c "from descent.x import main"``; docstrings do not count), and
    ``descent.__main__`` for a command list that runs ``python -m descent``."""
    found = _imports(path)
    tree = ast.parse(path.read_text())
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            found.update(re.findall(r"descent(?:\.\w+)+", node.value))
    return found | _runs_the_command(path)


def _runs_the_command(path: Path) -> set[str]:
    """``{"descent.__main__"}`` where ``path`` builds a command list ``[..., "-m", "descent", ...]``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.List, ast.Tuple)):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if any(a == "-m" and b == "descent" for a, b in zip(words, words[1:])):
                return {"descent.__main__"}
    return set()


# Run only where a slow test can reach them (named with where).
SLOW_LANE_ONLY = {
    "descent.labs.execute": "nbgrader's preprocessors, run by nbgrader itself: "
    "tests/labs/test_instructor.py and test_labs_e2e.py",
}


def test_the_fast_lane_reaches_every_module_of_the_kit():
    """``./dev test --fast`` reaches every module of src/descent: each is used by a test file of
    the lane (whole files join it, with ``pytestmark = pytest.mark.fast``) or by a module of the
    kit that such a file reaches (see _kit_references)."""
    lane = [p for p in _files(KIT / "tests") if p.name.startswith("test_") and _in_fast_lane(p)]
    kit = {_module_name(p): p for p in _files(SRC)}
    reached: set[str] = set()
    todo = set().union(*(_imports(p) | _runs_the_command(p) for p in lane))
    while todo:
        name = todo.pop()
        if name in kit and name not in reached:
            reached.add(name)
            todo |= _kit_references(kit[name])
    missing = sorted(set(kit) - reached - set(SLOW_LANE_ONLY))
    assert lane and missing == [], f"no test file of the fast lane reaches {missing}"
    assert not reached & set(SLOW_LANE_ONLY), "the fast lane reaches it now: drop it from the list"


def test_the_first_names_are_the_same_modules():
    """Released notebooks, a course's graders and the catalogue import modules by the names they
    had before the house was tidied; each old name is the new module itself, not a copy."""
    import descent.exercises
    import descent.labs.checks
    import descent.labs_grading
    from descent import registry, student_notebook
    from descent.labs import hidden_checks

    assert descent.exercises is registry
    assert descent.labs.checks is hidden_checks
    assert descent.labs_grading is student_notebook


def test_python_dash_m_descent_is_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "descent", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "new-exercise" in done.stdout


def test_test_modules_import_one_another_relatively():
    """``pytest tests/grading tests/test_results.py``, the command docs/how-to/kit-tests.md gives,
    runs without the kit's folder on ``sys.path`` (``tests/`` is no package): a test module reaches
    another of its folder with a relative import (``from .x import``), and one of another folder
    by the name pytest gives it (``from diagnoses.test_parameter import``, ``from toykit
    import``), never as ``tests.x``, which only ``python -m pytest`` from the kit's folder can
    find."""
    absolute = [
        str(path.relative_to(KIT))
        for path in _files(KIT / "tests")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and not node.level
        and (node.module or "").split(".")[0] == "tests"
        or isinstance(node, ast.Import)
        and any(alias.name.split(".")[0] == "tests" for alias in node.names)
    ]
    assert not absolute, f"imports of the tests package by its absolute name: {absolute}"
