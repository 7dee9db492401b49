"""starter/ is generated from solutions/ and must never drift."""

import ast
from pathlib import Path

import pytest

from descent import registry
from descent.authoring.stubgen import StubError, generate, make_stub, write_stubs

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]


def test_starter_matches_solutions():
    assert generate(KIT / "solutions", KIT / "starter", check=True) == []


def test_every_stub_raises_naming_its_exercise():
    for path in sorted((KIT / "starter").glob("*.py")):
        if path.stem not in registry.MODULES:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                ex = registry.exercise_of(path.stem, node.name)
                if ex is None:
                    continue
                text = ast.unparse(node)
                assert f"raise NotImplementedError('{ex.id}:" in text, (path.name, node.name)
                assert ast.get_docstring(node), f"{path.name}:{node.name} has no docstring"


def test_no_solution_code_in_starter():
    for path in (KIT / "starter").glob("*.py"):
        assert "BEGIN SOLUTION" not in path.read_text()


SOURCE = '''"""doc"""
import torch


# BEGIN SOLUTION
def _helper(x):
    return x
# END SOLUTION


def mse_forward(pred, target):
    """Docstring kept."""
    # BEGIN SOLUTION
    return _helper(pred), None
    # END SOLUTION
'''


def test_regions_become_raises_and_helpers_disappear():
    stub = make_stub(SOURCE, "losses")
    assert "_helper" not in stub
    assert '"""Docstring kept."""' in stub
    assert (
        '    raise NotImplementedError("losses.mse: mse_forward is not implemented yet '
        '(starter/losses.py)")'
    ) in stub
    ast.parse(stub)


@pytest.mark.parametrize(
    "broken",
    [SOURCE.replace("    # END SOLUTION\n", ""), SOURCE.replace("    # BEGIN SOLUTION\n", "")],
)
def test_unbalanced_markers_are_errors(broken):
    with pytest.raises(StubError):
        make_stub(broken, "losses")


def test_generate_writes_and_checks(tmp_path):
    sol, start = tmp_path / "solutions", tmp_path / "starter"
    sol.mkdir()
    (sol / "losses.py").write_text(SOURCE)
    assert generate(sol, start, check=True) == ["losses.py"]
    assert generate(sol, start) == ["losses.py"]
    assert generate(sol, start, check=True) == []
    (start / "losses.py").write_text("edited by hand\n")
    assert generate(sol, start, check=True) == ["losses.py"]


def _kit_copy(tmp_path) -> tuple[Path, Path]:
    sol, start = tmp_path / "solutions", tmp_path / "starter"
    sol.mkdir()
    (sol / "losses.py").write_text(SOURCE)
    generate(sol, start)
    return sol, start


def test_a_stub_with_the_learners_code_is_never_replaced(tmp_path):
    sol, start = _kit_copy(tmp_path)
    stub = start / "losses.py"
    mine = stub.read_text().replace(
        '    raise NotImplementedError("losses.mse: mse_forward is not implemented yet '
        '(starter/losses.py)")',
        "    return ((pred - target) ** 2).mean(), None",
    )
    stub.write_text(mine)
    (sol / "losses.py").write_text(SOURCE.replace("Docstring kept.", "Docstring edited."))
    report = write_stubs(sol, start)
    assert stub.read_text() == mine  # the learner's work is intact
    assert report.kept == ["losses.py"] and report.written == []
    fresh = start / "losses.py.new"
    assert "Docstring edited." in fresh.read_text()  # the new stub, beside it
    assert generate(sol, start, check=True) == ["losses.py"]


def test_a_comment_of_the_learners_counts_as_work(tmp_path):
    sol, start = _kit_copy(tmp_path)
    stub = start / "losses.py"
    stub.write_text(
        stub.read_text().replace(
            '    """Docstring kept."""\n', '    """Docstring kept."""\n    # try the mean\n'
        )
    )
    (sol / "losses.py").write_text(SOURCE.replace("Docstring kept.", "Docstring edited."))
    assert write_stubs(sol, start).kept == ["losses.py"]


def test_an_untouched_stub_is_regenerated_and_force_replaces_work(tmp_path):
    sol, start = _kit_copy(tmp_path)
    (sol / "losses.py").write_text(SOURCE.replace("Docstring kept.", "Docstring edited."))
    report = write_stubs(sol, start)  # an older stub, nothing of the learner's in it
    assert report.written == ["losses.py"] and report.kept == []
    assert "Docstring edited." in (start / "losses.py").read_text()
    (start / "losses.py").write_text("def mse_forward(pred, target):\n    return 1\n")
    assert write_stubs(sol, start).kept == ["losses.py"]
    assert write_stubs(sol, start, force=True).written == ["losses.py"]
    assert generate(sol, start, check=True) == []


def test_the_bundle_is_made_from_solutions_whatever_starter_holds(tmp_path, monkeypatch):
    """A learner's work in the kit's starter/ (self-study) never stops a release nor enters
    the bundle: the bundle's stubs are made from solutions/."""
    import shutil

    from descent.authoring.bundle import build_student_bundle, stale_starter

    kit = tmp_path / "kit"
    for part in ("solutions", "starter", "exercises", "src/descent", "docs", "workflows", "bundle"):
        shutil.copytree(KIT / part, kit / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(KIT / "pyproject.toml", kit / "pyproject.toml")
    mine = kit / "starter" / "losses.py"
    mine.write_text(mine.read_text() + "\n\ndef my_helper():\n    return 1\n")
    bundle = build_student_bundle(kit, tmp_path / "out")
    assert (bundle / "starter" / "losses.py").read_text() == (
        KIT / "starter" / "losses.py"
    ).read_text()
    assert "my_helper" in mine.read_text()
    assert stale_starter(kit) == ["losses.py"]


def test_a_write_the_tests_template_is_made_from_its_reference_suite():
    """``solutions/test_mse.py`` is a reference suite: its template keeps what lies outside the
    solution markers (the docstring, the imports, the first test's name) and nothing inside."""
    from descent.authoring.stubgen import fresh_stubs

    template = fresh_stubs(KIT / "solutions")["test_mse.py"]
    assert template == (KIT / "starter" / "test_mse.py").read_text()
    tree = ast.parse(template)
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    assert [t.name for t in tests] == ["test_my_first_check"]
    assert "raise NotImplementedError('test_mse: test_my_first_check is not implemented yet" in (
        ast.unparse(tests[0])
    )
