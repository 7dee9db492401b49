"""``descent new-exercise MODULE NAME --tests``: every file a write-the-tests exercise needs, for
an exercise the kit already has, with what is left to decide marked by :data:`MARKER`.

It adds the exercise to ``src/descent/testwriting/declared.py`` (a forward/backward pair with
its cache where a forward returns it second), its chaffs to ``graders/written_tests.py`` (every
catalogued bug of the exercise, for the author to keep or drop and to weigh), an empty public
set to ``exercises/twins.py`` and the reference suite ``solutions/test_NAME.py``, then makes the
student's template ``starter/test_NAME.py`` from it (``descent stubs``). ``descent audit``
refuses to run while a :data:`MARKER` is left, and ``descent audit --written`` then proves the
exercise (docs/reference/testwriting.md).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from .. import catalogue, registry
from ..errors import DescentError
from ..testwriting import declared
from . import stubgen
from .scaffold import MARKER, Scaffold, _assigned, _format, _insert

DECLARED = Path(declared.__file__)
CHAFFS = Path("graders/written_tests.py")
PUBLIC = Path("exercises/twins.py")


def create(kit: Path, module: str, name: str) -> Scaffold:
    """Scaffold the write-the-tests exercise of ``module.name``, an exercise of the registry."""
    target = f"{module}.{name}"
    if target not in registry.EXERCISES:
        raise DescentError(f"{target} is not an exercise of the registry: write it first")
    written = declared.WrittenTests(target)
    if written.id in declared.EXERCISES:
        raise DescentError(f"{written.id} is already declared in {DECLARED}")
    suite = kit / "solutions" / written.file
    if suite.exists():
        raise DescentError(f"{suite} exists already")
    pair = [f.rsplit("_", 1)[-1] for f in written.functions] == ["forward", "backward"]
    entry = f'_pair("{target}")' if pair else f'WrittenTests("{target}")'
    comment = f"# {MARKER}: the position of the cache in what the forward returns" if pair else ""
    _add(DECLARED, "EXERCISES", entry, comment)
    importlib.reload(declared)  # the new exercise, for the stubs made below
    catalogue.load(kit / "graders" / "catalogue")
    bugs = "".join(f'Chaff("{v.id}"), ' for v in catalogue.variants(catalogue.BUG, target))
    _add(
        kit / CHAFFS,
        "CHAFFS",
        f'"{written.id}": [{bugs}]',
        f"# {MARKER}: keep the bugs a test can catch; seen= counts met in real code",
    )
    _add(
        kit / PUBLIC,
        "SUBJECTS",
        f'"{written.id}": []',
        f"# {MARKER}: a library twin as the wheat; chaffs the docstring warns of",
    )
    suite.write_text(_suite(written))
    stubgen.generate(kit / "solutions", kit / "starter")
    files = [DECLARED, kit / CHAFFS, kit / PUBLIC, suite, kit / "starter" / written.file]
    return Scaffold(files, _format(kit, [DECLARED, kit / CHAFFS]))


def _add(path: Path, name: str, entry: str, comment: str) -> None:
    """``entry`` as the last item of ``name`` (a list or dict, or a dict made from a tuple)."""
    text = path.read_text()
    listed = _assigned(text, name)
    if isinstance(listed, ast.DictComp):  # declared.EXERCISES: {w.id: w for w in (...)}
        listed = listed.generators[0].iter
    if not isinstance(listed, (ast.List, ast.Tuple, ast.Dict)):
        raise DescentError(f"{path}: no {name} to add the new exercise to")
    path.write_text(_insert(text, listed, entry, comment))


def _suite(written: declared.WrittenTests) -> str:
    calls = ", ".join(f"``impl.{f}(...)``" for f in written.functions)
    return f'''"""Write the tests: {registry.get(written.target).title} (exercise ``{written.id}``).

{MARKER}: what to test, as the other suites of solutions/ say it: the contract is the docstring
of {", ".join(written.functions)} in ``starter/{written.module}.py``; each test receives the
implementation under test as ``impl`` and calls {calls}. Run ``pytest exercises/ -k
{written.name}.tests`` to try the tests on the public versions.
"""


def test_my_first_check(impl):
    # BEGIN SOLUTION
    # {MARKER}: the first test of the reference suite (the student's template keeps its name)
    raise NotImplementedError("{MARKER}: the reference suite of {written.id}")
    # END SOLUTION
'''
