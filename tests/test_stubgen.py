"""starter/ is generated from solutions/ and must never drift."""

import ast
from pathlib import Path

import pytest

from descent import registry
from descent.stubgen import StubError, generate, make_stub

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[1]


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
