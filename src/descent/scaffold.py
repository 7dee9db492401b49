"""``descent new-exercise MODULE NAME``: every file a new exercise needs, with what is left to
write marked by :data:`MARKER`.

It adds the registry entry (``src/descent/registry.py``), the reference (``solutions/``), the
public test (``exercises/``), the hidden test (``graders/``) and a catalogued bug
(``graders/catalogue/``), then regenerates the stub (``starter/``) and the exercise tables of
``docs/exercises.md``. Each piece it writes holds a :data:`MARKER` line saying what to put
there; ``descent audit`` refuses to run while one is left (:func:`unfinished`), so a scaffold
cannot pass for a finished exercise. The reference, the tests and the bug all raise
``NotImplementedError`` until written.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from . import exercise_table, registry, stubgen
from .errors import DescentError

MARKER = "TODO(new-exercise)"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_GROUPS = "    for group in ("


def _registry_file(kit: Path) -> Path:
    path = Path(registry.__file__).resolve()
    if kit.resolve() not in path.parents:
        raise DescentError(
            f"the registry in use ({path}) is not this kit's: install the kit "
            f"editable (pip install -e .) to add an exercise"
        )
    return path


def _add_to_registry(path: Path, module: str, name: str) -> None:
    text = path.read_text()
    group = f"_NEW_{module.upper()}_{name.upper()}"
    entry = (
        f"# {MARKER}: move this entry into {module}'s list above, and give it its title, the\n"
        f"# library calls it may not borrow (the operation it teaches) and its points.\n"
        f"{group} = [\n"
        f'    Exercise("{module}.{name}", "{MARKER}: title", ("{name}",)),\n'
        f"]\n\n"
    )
    anchor = text.index("EXERCISES: dict[str, Exercise] = {")
    text = text[:anchor] + entry + text[anchor:]
    start = text.index(_GROUPS) + len(_GROUPS)
    end = text.index(")", start)
    listed = text[start:end].rstrip()  # the formatter leaves a trailing comma and a new line
    comma = "" if listed.endswith(",") else ","
    path.write_text(f"{text[:start]}{listed}{comma} {group}{text[end:]}")


def _append(path: Path, head: str, body: str) -> None:
    """Add ``body`` to the end of ``path``, created with ``head`` when missing."""
    old = path.read_text() if path.exists() else head
    path.write_text(old.rstrip("\n") + "\n\n\n" + body)


def _reference(module: str, name: str) -> str:
    return f'''def {name}(x):
    """{MARKER}: what {name} computes, in one line (the docs table shows it).

    {MARKER}: the formula, the shape of every argument and of the result, the defaults and the
    edge cases the graders enforce; the arguments are yours to choose (``x`` is a placeholder).
    """
    # BEGIN SOLUTION
    raise NotImplementedError("{MARKER}: the reference answer for {module}.{name}")
    # END SOLUTION
'''


def _public_test(module: str, name: str) -> str:
    return f'''@pytest.mark.exercise("{module}.{name}")
def test_{name}_worked_example(check):
    # {MARKER}: an example a student can check on paper, then a shape check and, for a
    # forward/backward pair, one gradient check: check.matches(lambda m: m.{module}.{name}(...),
    # "what was checked", expected=..., hint="the likely mistake")
    raise NotImplementedError("{MARKER}: the public checks of {module}.{name}")
'''


def _hidden_test(module: str, name: str) -> str:
    return f'''@pytest.mark.exercise("{module}.{name}")
def test_{name}_against_the_reference(check, inputs):
    # {MARKER}: every kind of check of docs/authoring.md that applies: reference values on
    # seeded inputs of several sizes, shapes and types, stability, properties, scenarios.
    raise NotImplementedError("{MARKER}: the hidden checks of {module}.{name}")
'''


def _bug(module: str, name: str) -> str:
    return f'''# {MARKER}: a realistic mistake in {name} (it must lose points), and an alternative
# correct version where one exists (it must keep full marks).
{name}_todo = bug("{name}_todo", "{module}.{name}", "{MARKER}: the mistake, in one line",
               hint="{MARKER}: where to look")


@{name}_todo.replaces
def {name}(x):
    raise NotImplementedError("{MARKER}: the buggy version of {module}.{name}")
'''


def _check_new(kit: Path, module: str, name: str) -> None:
    for word in (module, name):
        if not _NAME.fullmatch(word):
            raise DescentError(f"{word!r}: give a lower-case Python name (letters, digits, _)")
    if f"{module}.{name}" in registry.EXERCISES:
        raise DescentError(f"{module}.{name} is already in the registry")
    reference = kit / "solutions" / f"{module}.py"
    if reference.exists() and re.search(rf"^(def|class) {name}\b", reference.read_text(), re.M):
        raise DescentError(f"{reference} already defines {name}")


def create(kit: Path, module: str, name: str) -> list[Path]:
    """Scaffold exercise ``module.name`` in ``kit``; returns the files written."""
    _check_new(kit, module, name)
    registry_path = _registry_file(kit)
    _add_to_registry(registry_path, module, name)
    importlib.reload(registry)  # stubs and docs below need the new entry
    topic = f'"""{MARKER}: what {module}.py teaches, and the conventions of its functions."""\n'
    written = [registry_path]
    for path, head, body in [
        (kit / "solutions" / f"{module}.py", topic, _reference(module, name)),
        (
            kit / "exercises" / f"test_{module}.py",
            f'"""Public checks for starter/{module}.py."""\n\nimport pytest\n',
            _public_test(module, name),
        ),
        (
            kit / "graders" / f"test_{module}.py",
            f'"""Hidden graders for starter/{module}.py."""\n\nimport pytest\n',
            _hidden_test(module, name),
        ),
        (
            kit / "graders" / "catalogue" / f"{module}.py",
            f'"""Catalogued variants of {module}.py."""\n\n'
            f"from descent.catalogue import alternative, bug, hollow  # noqa: F401\n",
            _bug(module, name),
        ),
    ]:
        _append(path, head, body)
        written.append(path)
    stubgen.generate(kit / "solutions", kit / "starter")
    written.append(kit / "starter" / f"{module}.py")
    exercise_table.update(kit)
    written.append(kit / exercise_table.PAGE)
    return written


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
