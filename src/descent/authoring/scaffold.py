"""``descent new-exercise MODULE NAME``: every file a new exercise needs, written in its module's
own conventions, with what is left to write marked by :data:`MARKER`.

It adds the registry entry (``src/descent/registry.py``), the reference (``solutions/``), the
public test (``exercises/``), the hidden test (``graders/``), a catalogued bug
(``graders/catalogue/<module>.py``) and the docstring's formula typed literally, the
alternative every exercise has (``graders/catalogue/literal.py``, ``literal=True``), then
regenerates the stub (``starter/``) and the exercise tables of ``docs/reference/exercises.md``.
Each piece it writes holds a :data:`MARKER` line saying what to put there; ``descent audit``
refuses to run while one is left (:func:`unfinished`), so a scaffold cannot pass for a finished
exercise. The reference, the tests, the bug and the literal alternative all raise
``NotImplementedError`` until written.

A module's conventions are read from the registry, where they are declared once: the entry goes
into the module's own list (``_OPTIM``, ``_LOSSES``, ...) in the form of its neighbours, so an
optimizer gets a ``NAME_step`` function, a loss a ``NAME_forward``/``NAME_backward`` pair (or any
module's exercise, with ``pair=True``), a schedule a function named like the exercise. The names
of the functions written everywhere else are then the registry's. Where a module's hidden tests
declare their exercises in a list (``OPTIMIZERS`` of ``graders/test_optim.py``, the ``SPECS``
of a forward/backward battery), the hidden test is an entry of that list. The rest follows the
module's files: a function takes the arguments its module's functions of its naming convention
take (:func:`.signatures.arguments`: a loss's forward ``(pred, target)``, its backward
``(dloss, cache)``), a test is a method of a ``Test...`` class of its exercise or a bare
function as the file's tests are (:func:`_layout`), the catalogued bug goes after the other
exercises' bugs, before the first section of alternatives or hollow answers (:func:`_add_bug`),
and the literal alternative at the end of its module's section of ``literal.py``
(:func:`_add_literal`).
The Python files of ``src/`` and ``graders/`` it edits are left formatted (``ruff format``, when
ruff is installed).
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .. import registry
from ..errors import DescentError
from ..testwriting import declared as written_tests
from . import exercise_table, signatures, stubgen

MARKER = "TODO(new-exercise)"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
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


def _signature(kit: Path, module: str, function: str) -> str:
    """``function``'s signature: the arguments its module's functions of its naming convention
    take (:func:`.signatures.arguments`)."""
    return f"{function}({signatures.arguments(kit, module, function)})"


def _reference(kit: Path, ex: registry.Exercise) -> str:
    module = ex.module
    return "\n\n".join(
        f'''def {_signature(kit, module, function)}:
    """{MARKER}: what {function} computes, in one line (docs/reference/exercises.md shows it).

    {MARKER}: the formula, the shape of every argument and of the result,
    the defaults and the edge cases the graders enforce, in this module's conventions.
    """
    # BEGIN SOLUTION
    raise NotImplementedError("{MARKER}: the reference answer for {module}.{function}")
    # END SOLUTION
'''
        for function in ex.functions
    )


def _layout(text: str) -> str:
    """How the test file ``text`` lays out an exercise's tests: ``class`` (a ``Test...`` class
    per exercise, marked with its exercise) unless more of its exercises are tested by bare
    functions only (``function``). A new file gets the kit's usual layout, a class."""
    classes: set[str] = set()
    functions: set[str] = set()
    for node in ast.parse(text).body if text else []:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            marked = {
                str(call.args[0].value)
                for call in node.decorator_list
                if isinstance(call, ast.Call)
                and ast.unparse(call.func).endswith("mark.exercise")
                and call.args
                and isinstance(call.args[0], ast.Constant)
            }
            (classes if isinstance(node, ast.ClassDef) else functions).update(marked)
    return "function" if len(functions - classes) > len(classes) else "class"


def _class_name(text: str, name: str) -> str:
    """``Test`` and the exercise's name in CamelCase (``smooth_l1``: ``TestSmoothL1``), with a
    number added when the file already has that class."""
    base = "Test" + "".join(part[:1].upper() + part[1:] for part in name.split("_"))
    taken = set(re.findall(r"^class (\w+)", text, re.M))
    return next(
        f"{base}{n or ''}" for n in range(len(taken) + 1) if f"{base}{n or ''}" not in taken
    )


def _test(text: str, ex: registry.Exercise, what: str, fixtures: str, body: str) -> str:
    """A test of ``ex`` named ``what``, laid out as the file ``text`` lays out its own: a method
    of a class of the exercise, or a function ``test_NAME_what``."""
    name = ex.id.split(".")[1]
    mark = f'@pytest.mark.exercise("{ex.id}")\n'
    if _layout(text) == "function":
        return f"{mark}def test_{name}_{what}({fixtures}):\n{body}"
    indented = "".join(f"    {line}" if line.strip() else line for line in body.splitlines(True))
    head = f"{mark}class {_class_name(text, name)}:\n    def test_{what}(self, {fixtures}):\n"
    return head + indented


def _public_test(module: str, ex: registry.Exercise, text: str) -> str:
    function = ex.functions[0]
    body = f"""    # {MARKER}: an example a student can check on paper, then a shape check and,
    # for a forward/backward pair, one gradient check:
    # check.matches(lambda m: m.{module}.{function}(...), "what was checked",
    #               expected=..., hint="the likely mistake")
    raise NotImplementedError("{MARKER}: the public checks of {ex.id}")
"""
    return _test(text, ex, "worked_example", "check", body)


def _hidden_test(ex: registry.Exercise, text: str) -> str:
    body = f"""    # {MARKER}: each kind of check that applies: reference values on seeded
    # inputs of several sizes, shapes and types, stability, properties, scenarios
    # (docs/explanation/what-graders-check.md).
    raise NotImplementedError("{MARKER}: the hidden checks of {ex.id}")
"""
    return _test(text, ex, "against_the_reference", "check, inputs", body)


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
    _append(path, head, _hidden_test(ex, text))


def _bug(kit: Path, ex: registry.Exercise) -> str:
    module, name, function = ex.module, ex.id.split(".")[1], ex.functions[0]
    return f'''# {MARKER}: a realistic mistake in {name} (it must lose points); an alternative
# correct version, where one exists (it must keep full marks), goes with the file's others.
{name}_todo = bug(
    "{name}_todo",
    "{ex.id}",
    "{MARKER}: the mistake, in one line",
    hint="{MARKER}: where to look",
    # {MARKER}: the kind(s) of generic diagnosis its code truly is, at least one (the audit
    # counts any other name as a wrong cause; docs/how-to/labelled-audit.md)
    generic=(),
    # {MARKER}: "edge" when it is wrong only at a boundary, at extreme values or in a rare mode
    wrong_on="ordinary",
)


@{name}_todo.replaces
def {_signature(kit, module, function)}:
    raise NotImplementedError("{MARKER}: the buggy version of {module}.{function}")
'''


def _append(path: Path, head: str, body: str) -> None:
    """Add ``body`` to the end of ``path``, created with ``head`` when missing."""
    old = path.read_text() if path.exists() else head
    path.write_text(old.rstrip("\n") + "\n\n\n" + body)


# A section of a catalogue file that holds no exercise's bugs: the bugs go before the first.
_NOT_BUGS = re.compile(r"^# [-=]+ .*(?:alternative|hollow)", re.M)


def _add_bug(path: Path, head: str, name: str, bug: str) -> None:
    """Add ``bug`` to the catalogue file ``path`` where the module puts its bugs: after the
    other exercises' bugs, before the first section of alternatives or hollow answers, under a
    heading ``# ---- NAME`` as wide as the file's other headings."""
    text = path.read_text() if path.exists() else head
    widths = Counter(len(line) for line in text.splitlines() if re.match(r"# -{20,} \S", line))
    width = widths.most_common(1)[0][0] if widths else 100
    section = f"# {'-' * max(width - len(name) - 3, 3)} {name}\n{bug}"
    found = _NOT_BUGS.search(text)
    if found is None:
        path.write_text(text.rstrip("\n") + "\n\n\n" + section)
        return
    before = text[: found.start()].rstrip("\n")
    path.write_text(f"{before}\n\n\n{section}\n\n{text[found.start() :]}")


LITERAL = Path("graders") / "catalogue" / "literal.py"
# A section of literal.py: one per module, under a heading "# ====...==== MODULE".
_SECTION = re.compile(r"^# ={20,} (\w+)$", re.M)


def _literal(kit: Path, ex: registry.Exercise, variable: str) -> str:
    module = ex.module
    stubs = "\n\n".join(
        f'''@{variable}.replaces
def {_signature(kit, module, function)}:
    raise NotImplementedError("{MARKER}: {module}.{function} as its docstring writes it")
'''
        for function in ex.functions
    )
    return f'''# {MARKER}: the docstring's formula typed as written, in the plainest way (no in-place
# tricks, the obvious constants): a student who follows the docstring keeps full marks.
{variable} = alternative(
    "{variable}",
    "{ex.id}",
    "{MARKER}: how it types the docstring's formula, in one line",
    literal=True,
)


{stubs}'''


def _literal_name(text: str, ex: registry.Exercise) -> str:
    """``NAME_literal``, or ``MODULE_NAME_literal`` where another exercise's has that name."""
    plain = f"{ex.id.split('.')[1]}_literal"
    return plain if not re.search(rf"\b{plain}\b", text) else f"{ex.module}_{plain}"


def _add_literal(path: Path, ex: registry.Exercise, kit: Path) -> None:
    """Add the literal alternative of ``ex`` to ``literal.py``: at the end of its module's
    section, or in a new section at the end of the file, under a heading as wide as the
    others."""
    head = (
        '"""Every exercise\'s docstring formula typed literally."""\n\n'
        "from descent.catalogue import alternative\n"
    )
    text = path.read_text() if path.exists() else head
    body = _literal(kit, ex, _literal_name(text, ex))
    sections = list(_SECTION.finditer(text))
    mine = [i for i, m in enumerate(sections) if m.group(1) == ex.module]
    if not mine:
        widths = Counter(len(m.group(0)) for m in sections)
        width = widths.most_common(1)[0][0] if widths else 94
        heading = f"# {'=' * max(width - len(ex.module) - 3, 3)} {ex.module}"
        path.write_text(f"{text.rstrip()}\n\n\n{heading}\n{body}")
        return
    after = sections[mine[-1] + 1].start() if mine[-1] + 1 < len(sections) else len(text)
    before = text[:after].rstrip("\n")
    path.write_text(f"{before}\n\n\n{body}\n\n{text[after:]}".rstrip("\n") + "\n")


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
    public = kit / "exercises" / f"test_{module}.py"
    pieces = [
        (kit / "solutions" / f"{module}.py", topic, _reference(kit, ex)),
        (
            public,
            f'"""Public checks for starter/{module}.py."""\n\nimport pytest\n',
            _public_test(module, ex, public.read_text() if public.exists() else ""),
        ),
    ]
    for path, head, body in pieces:
        _append(path, head, body)
    bugs = kit / "graders" / "catalogue" / f"{module}.py"
    _add_bug(
        bugs,
        f'"""Catalogued variants of {module}.py."""\n\n'
        f"from descent.catalogue import alternative, bug, hollow  # noqa: F401\n",
        name,
        _bug(kit, ex),
    )
    literal = kit / LITERAL
    _add_literal(literal, ex, kit)
    stubgen.generate(kit / "solutions", kit / "starter")
    exercise_table.update(kit)
    unformatted = _format(kit, [registry_path, hidden, bugs, literal])
    written = [registry_path, hidden, *(path for path, _, _ in pieces), bugs, literal]
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
    places = [Path(registry.__file__), Path(written_tests.__file__), kit / exercise_table.PAGE]
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
