"""``descent new-exercise MODULE NAME``: every file a new exercise needs, written in its module's
own conventions, with what is left to write marked by :data:`MARKER`.

It adds the registry entry (``src/descent/registry.py``), the reference (``solutions/``), the
public test (``exercises/``), the hidden test (``graders/``) and a catalogued bug
(``graders/catalogue/``), then regenerates the stub (``starter/``) and the exercise tables of
``docs/exercises.md``. Each piece it writes holds a :data:`MARKER` line saying what to put
there; ``descent audit`` refuses to run while one is left (:func:`unfinished`), so a scaffold
cannot pass for a finished exercise. The reference, the tests and the bug all raise
``NotImplementedError`` until written.

A module's conventions are read from the registry, where they are declared once: the entry goes
into the module's own list (``_OPTIM``, ``_LOSSES``, ...) in the form of its neighbours, so an
optimizer gets a ``NAME_step`` function, a loss a ``NAME_forward``/``NAME_backward`` pair (or any
module's exercise, with ``pair=True``), a schedule a function named like the exercise. The names
of the functions written everywhere else are then the registry's. Where a module's hidden tests
declare their exercises in a list (``OPTIMIZERS`` of ``graders/test_optim.py``, the ``SPECS``
of a forward/backward battery), the hidden test is an entry of that list. The Python files of
``src/`` and ``graders/`` it edits are left formatted (``ruff format``, when ruff is installed).
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import exercise_table, registry, stubgen
from .errors import DescentError

MARKER = "TODO(new-exercise)"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
# The arguments a function of each naming convention takes (docs/exercises.md); the author may
# add hyperparameters. A function named like its exercise takes a placeholder.
_ARGUMENTS = {"_step": "param, grad, state, lr", "_forward": "x", "_backward": "dout, cache"}
# Lists of graders/test_<module>.py whose entries declare an exercise's hidden checks, by the
# suffix of the exercise's functions.
_DECLARED = {"_step": "OPTIMIZERS", "_forward": "SPECS"}


@dataclass(frozen=True)
class Scaffold:
    """What :func:`create` did: the files it wrote, and those left unformatted (no ruff)."""

    written: list[Path]
    unformatted: list[Path]


def _registry_file(kit: Path) -> Path:
    path = Path(registry.__file__).resolve()
    if kit.resolve() not in path.parents:
        raise DescentError(
            f"the registry in use ({path}) is not this kit's: install the kit "
            f"editable (pip install -e .) to add an exercise"
        )
    return path


def _entry(form: str, module: str, name: str, title: str) -> str:
    """The registry entry of ``module.name`` in the ``form`` of its module's list."""
    if form == "comprehension":  # ("name", "title") into the list a comprehension reads
        return f'("{name}", "{title}")'
    if form == "pair":
        return f'_pair("{module}", "{name}", "{title}")'
    return f'Exercise("{module}.{name}", "{title}", ("{name}",))'


def _form(value: ast.expr, pair: bool) -> str:
    """How a module's list declares its exercises: ``comprehension`` (one template for all, as
    optim's ``NAME_step``), ``pair`` (``_pair(...)`` calls) or ``exercise``."""
    if isinstance(value, ast.ListComp):
        if pair:
            raise DescentError("this module's exercises share one template: no --pair here")
        return "comprehension"
    if not isinstance(value, ast.List):
        raise DescentError("the registry lists a module's exercises in a list or a comprehension")
    calls = {getattr(e.func, "id", "") for e in value.elts if isinstance(e, ast.Call)}
    return "pair" if pair or calls == {"_pair"} else "exercise"


def _add_to_registry(path: Path, module: str, name: str, title: str, pair: bool) -> None:
    text = path.read_text()
    group = f"_{module.upper()}"
    todo = (
        f"# {MARKER}: the library calls {name} may not borrow (what it teaches)\n"
        f"# and its points, when not 10; then remove this comment.\n"
    )
    found = _assigned(text, group)
    if found is None:  # a new module: its own list, and a place among the groups
        entry = _entry("pair" if pair else "exercise", module, name, title)
        anchor = text.index("EXERCISES: dict[str, Exercise] = {")
        text = f"{text[:anchor]}{todo}{group} = [\n    {entry},\n]\n\n{text[anchor:]}"
        groups = _assigned(text, "EXERCISES")
        if not isinstance(groups, ast.DictComp):
            raise DescentError(f"{path}: EXERCISES is no longer built from its groups")
        text = _insert(text, groups.generators[0].iter, group)
    else:
        form = _form(found, pair)
        target = found.generators[0].iter if isinstance(found, ast.ListComp) else found
        text = _insert(
            text, target, _entry(form, module, name, title), "" if form == "comprehension" else todo
        )
    path.write_text(text)


def _signature(function: str) -> str:
    suffix = next((s for s in _ARGUMENTS if function.endswith(s)), "")
    return f"{function}({_ARGUMENTS.get(suffix, 'x')})"


def _reference(module: str, ex: registry.Exercise) -> str:
    return "\n\n".join(
        f'''def {_signature(function)}:
    """{MARKER}: what {function} computes, in one line (docs/exercises.md shows it).

    {MARKER}: the formula, the shape of every argument and of the result,
    the defaults and the edge cases the graders enforce, in this module's conventions.
    """
    # BEGIN SOLUTION
    raise NotImplementedError("{MARKER}: the reference answer for {module}.{function}")
    # END SOLUTION
'''
        for function in ex.functions
    )


def _public_test(module: str, ex: registry.Exercise) -> str:
    name, function = ex.id.split(".")[1], ex.functions[0]
    return f'''@pytest.mark.exercise("{ex.id}")
def test_{name}_worked_example(check):
    # {MARKER}: an example a student can check on paper, then a shape check and,
    # for a forward/backward pair, one gradient check:
    # check.matches(lambda m: m.{module}.{function}(...), "what was checked",
    #               expected=..., hint="the likely mistake")
    raise NotImplementedError("{MARKER}: the public checks of {ex.id}")
'''


def _hidden_test(ex: registry.Exercise) -> str:
    name = ex.id.split(".")[1]
    return f'''@pytest.mark.exercise("{ex.id}")
def test_{name}_against_the_reference(check, inputs):
    # {MARKER}: every kind of check of docs/authoring.md that applies: reference
    # values on seeded inputs of several sizes, shapes and types, stability, properties,
    # scenarios.
    raise NotImplementedError("{MARKER}: the hidden checks of {ex.id}")
'''


def _declaration(listed: str, ex: registry.Exercise) -> tuple[str, str]:
    """The entry of ``ex`` in the grader's list ``listed``, and the comment above it."""
    if listed == "OPTIMIZERS":
        return (
            f'Optimizer("{ex.id}", "", {{}}, ())',
            f"# {MARKER}: {ex.functions[0]}'s configurations (a name and its hyperparameters\n"
            f"# each), the state keys it returns, its oracle (torch.optim's class, or oracle=\n"
            f"# a step function of this file), and hints= where the shared ones mislead.\n",
        )
    return (
        f'PairSpec("{ex.id}", oracle=None, cases=[], smooth=None)',
        f"# {MARKER}: its oracle (PyTorch's operation, or a function of this file), its\n"
        f"# input cases and a kink-free gradcheck input (PairSpec, graders/battery.py).\n",
    )


def _add_hidden_test(path: Path, ex: registry.Exercise) -> None:
    """Declare ``ex`` in the list the grader file keeps for its kind of exercise, or append a
    test of its own."""
    listed = next((v for s, v in _DECLARED.items() if ex.functions[0].endswith(s)), "")
    text = path.read_text() if path.exists() else ""
    found = _assigned(text, listed) if listed and text else None
    if isinstance(found, ast.List):
        entry, comment = _declaration(listed, ex)
        path.write_text(_insert(text, found, entry, comment))
        return
    head = f'"""Hidden graders for starter/{ex.module}.py."""\n\nimport pytest\n'
    _append(path, head, _hidden_test(ex))


def _bug(module: str, ex: registry.Exercise) -> str:
    name, function = ex.id.split(".")[1], ex.functions[0]
    return f'''# {MARKER}: a realistic mistake in {name} (it must lose points), and an
# alternative correct version where one exists (it must keep full marks).
{name}_todo = bug(
    "{name}_todo",
    "{ex.id}",
    "{MARKER}: the mistake, in one line",
    hint="{MARKER}: where to look",
    # {MARKER}: "edge" when it is wrong only at a boundary, at extreme values or in a rare mode
    wrong_on="ordinary",
)


@{name}_todo.replaces
def {_signature(function)}:
    raise NotImplementedError("{MARKER}: the buggy version of {module}.{function}")
'''


def _append(path: Path, head: str, body: str) -> None:
    """Add ``body`` to the end of ``path``, created with ``head`` when missing."""
    old = path.read_text() if path.exists() else head
    path.write_text(old.rstrip("\n") + "\n\n\n" + body)


def _check_new(kit: Path, module: str, name: str) -> None:
    for word in (module, name):
        if not _NAME.fullmatch(word):
            raise DescentError(f"{word!r}: give a lower-case Python name (letters, digits, _)")
    if f"{module}.{name}" in registry.EXERCISES:
        raise DescentError(f"{module}.{name} is already in the registry")
    reference = kit / "solutions" / f"{module}.py"
    if reference.exists() and re.search(rf"^(def|class) {name}\b", reference.read_text(), re.M):
        raise DescentError(f"{reference} already defines {name}")


def _check_functions(kit: Path, ex: registry.Exercise) -> None:
    """Refuse a function name that another exercise or the reference already has."""
    others = [e for e in registry.EXERCISES.values() if e.id != ex.id]
    taken = [f for f in ex.functions if any(f in e.functions for e in others)]
    reference = kit / "solutions" / f"{ex.module}.py"
    text = reference.read_text() if reference.exists() else ""
    taken += [f for f in ex.functions if re.search(rf"^(def|class) {f}\b", text, re.M)]
    if taken:
        raise DescentError(f"{', '.join(sorted(set(taken)))} is taken; choose another name")


def create(
    kit: Path, module: str, name: str, *, title: str | None = None, pair: bool = False
) -> Scaffold:
    """Scaffold exercise ``module.name`` in ``kit`` (``title``: its registry title; ``pair``:
    a forward/backward pair in a module whose exercises are not all pairs)."""
    _check_new(kit, module, name)
    if title is not None and ('"' in title or "\\" in title or not title.strip()):
        raise DescentError(f"{title!r}: give a title without quotes or backslashes")
    registry_path = _registry_file(kit)
    before = registry_path.read_text()
    _add_to_registry(registry_path, module, name, title or f"{MARKER}: title", pair)
    importlib.reload(registry)  # the new entry's functions, for every piece below
    ex = registry.get(f"{module}.{name}")
    try:
        _check_functions(kit, ex)
    except DescentError:
        registry_path.write_text(before)
        importlib.reload(registry)
        raise
    topic = f'"""{MARKER}: what {module}.py teaches, and the conventions of its functions."""\n'
    hidden = kit / "graders" / f"test_{module}.py"
    _add_hidden_test(hidden, ex)
    pieces = [
        (kit / "solutions" / f"{module}.py", topic, _reference(module, ex)),
        (
            kit / "exercises" / f"test_{module}.py",
            f'"""Public checks for starter/{module}.py."""\n\nimport pytest\n',
            _public_test(module, ex),
        ),
        (
            kit / "graders" / "catalogue" / f"{module}.py",
            f'"""Catalogued variants of {module}.py."""\n\n'
            f"from descent.catalogue import alternative, bug, hollow  # noqa: F401\n",
            _bug(module, ex),
        ),
    ]
    for path, head, body in pieces:
        _append(path, head, body)
    stubgen.generate(kit / "solutions", kit / "starter")
    exercise_table.update(kit)
    formatted = [registry_path, hidden, pieces[2][0]]
    unformatted = _format(kit, formatted)
    written = [registry_path, hidden, *(path for path, _, _ in pieces)]
    written += [kit / "starter" / f"{module}.py", kit / exercise_table.PAGE]
    return Scaffold(written, unformatted)


# -- editing Python source where the formatter would put it -----------------------------------
def _assigned(text: str, name: str) -> ast.expr | None:
    """The value assigned to ``name`` at the top level of the module ``text``, if any."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name:
            return node.value
    return None


def _insert(text: str, listed: ast.expr, entry: str, comment: str = "") -> str:
    """``text`` with ``entry`` as the last item of the list or tuple ``listed`` (a node parsed
    from ``text``), on a line of its own, ``comment`` (whole lines) above it. A list whose
    closing bracket shares a line with items gets the entry inline, for the formatter to lay
    out."""
    lines = text.splitlines(keepends=True)
    row = (listed.end_lineno or 0) - 1  # the closing bracket's line
    close = len(lines[row].encode()[: listed.end_col_offset or 0].decode()) - 1
    if lines[row][:close].strip():
        inline = lines[row][:close].rstrip()
        comma = "" if inline.endswith(("[", "(", ",")) else ", "
        lines[row] = f"{inline}{comma}{entry}{lines[row][close:]}"
        return "".join(lines)
    indent = " " * (close + 4)
    last = max(i for i in range(row) if lines[i].strip() and not lines[i].strip().startswith("#"))
    if not lines[last].rstrip().endswith((",", "[", "(")):
        lines[last] = lines[last].rstrip() + ",\n"
    added = [f"{indent}{line}\n" for line in comment.splitlines()] + [f"{indent}{entry},\n"]
    return "".join(lines[:row] + added + lines[row:])


def _format(kit: Path, paths: list[Path]) -> list[Path]:
    """Lay ``paths`` out as the kit's lint and format checks want them (imports sorted, then
    ``ruff format``, under the kit's settings); returns those left as they are (ruff is not
    installed: it comes with the ci extra, ``./dev shell``)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        return paths
    files = [str(p) for p in paths]
    for argv in (["check", "--select", "I", "--fix"], ["format"]):
        run = subprocess.run(
            [ruff, *argv, "--force-exclude", "--quiet", *files],
            cwd=kit,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            return paths
    return []


def unfinished(kit: Path) -> list[str]:
    """``file:line`` of every :data:`MARKER` left in the exercise files of ``kit``."""
    places = [Path(registry.__file__), kit / exercise_table.PAGE]
    for folder in ("solutions", "exercises", "graders", "graders/catalogue"):
        places += sorted((kit / folder).glob("*.py"))
    found = []
    for path in places:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if MARKER in line:
                found.append(f"{_shown(path, kit)}:{number}")
    return found


def _shown(path: Path, kit: Path) -> str:
    try:
        return str(path.resolve().relative_to(kit.resolve()))
    except ValueError:
        return str(path)
