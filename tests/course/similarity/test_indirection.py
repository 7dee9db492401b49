"""Indirection written out before the canonical form (``descent.course.similarity.indirection``):
``getattr`` with a constant name is the attribute, the text given to ``exec``/``eval`` is compiled
where it is known without running anything, code built at run time is named, and what a module
imports from the student's other modules is found. (Against a copy hidden this way in a class:
test_similarity.py.)"""

from __future__ import annotations

import ast

import pytest

from descent.course.similarity import indirection

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _resolved(source: str) -> tuple[str, list[str]]:
    tree = ast.parse(source)
    dynamic = indirection.resolve(tree)
    return ast.unparse(tree), dynamic


def test_attributes_read_by_a_constant_name_are_the_attributes():
    code, dynamic = _resolved(
        "def f(x, w):\n"
        "    y = getattr(getattr(torch, 'matmul')(x, w), 'sum')(dim=0)\n"
        "    setattr(x, 'cache', y)\n"
        "    delattr(x, 'old')\n"
        "    return x.__getattribute__('cache'), getattr(x, name), getattr(x, 'a', None)\n"
    )
    assert "y = torch.matmul(x, w).sum(dim=0)" in code
    assert "x.cache = y" in code and "del x.old" in code
    # a name that is not a constant, or a default, keeps the call
    assert "return (x.cache, getattr(x, name), getattr(x, 'a', None))" in code
    assert dynamic == []


def test_a_module_that_binds_getattr_itself_keeps_its_calls():
    code, _ = _resolved("def getattr(o, n):\n    return 1\n\ny = getattr(x, 'sum')\n")
    assert "y = getattr(x, 'sum')" in code


def test_text_known_without_running_anything_is_compiled_in_place():
    code, dynamic = _resolved(
        "import textwrap\n"
        "SOURCE = textwrap.dedent('''\n"
        "    def f(x):\n"
        "        return getattr(x, 'relu')()\n"
        "''')\n"
        "exec(SOURCE)\n"
        "exec(compile('def g(y):\\n    return y + 1\\n', 'g', 'exec'))\n"
        "exec('de' + 'f h(z): return z' + ' * 2')\n"
        "exec(b'k = 3'.decode())\n"
        "scale = eval('lambda v: v / 2')\n"
        "exec(\"exec('def deep(): return 4')\")\n"
    )
    for line in (
        "def f(x):\n    return x.relu()",
        "def g(y):\n    return y + 1",
        "def h(z):\n    return z * 2",
        "k = 3",
        "scale = lambda v: v / 2",
        "def deep():\n    return 4",
    ):
        assert line in code, (line, code)
    assert "exec(" not in code.replace("exec(SOURCE)", "") and dynamic == []


def test_code_built_at_run_time_is_named_and_left_as_it_is():
    code, dynamic = _resolved(
        "import base64\n"
        "exec(base64.b64decode('ZGVmIGYoKTogcGFzcw==').decode())\n"
        "f = eval(open('hidden.txt').read())\n"
        "n = 0\n"
        "n = 1\n"
        "exec(f'x = {n}')\n"
    )
    assert dynamic == [
        "line 2: exec() of text built at run time",
        "line 3: eval() of text built at run time",
        "line 6: exec() of text built at run time",
    ]
    assert "exec(base64.b64decode" in code


def test_spliced_code_stands_for_the_lines_of_the_exec_it_came_from():
    tree = ast.parse("x = 1\nexec('''\ndef f():\n    return 2\n''')\ny = 3\n")
    indirection.resolve(tree)
    f = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert (f.lineno, f.end_lineno) == (3, 4)  # inside the literal's lines 2-5


def test_the_names_a_module_takes_from_the_students_other_modules():
    tree = ast.parse(
        "from .losses import mse_forward as m, helper\n"
        "from layers import *\n"
        "from . import optim as o\n"
        "import regression\n"
        "import torch\n"
        "step = o.sgd_step\n"
        "L = importlib.import_module('init')\n"
        "w = L.kaiming(3)\n"
        "fit = getattr(regression, 'fit')\n"
    )
    indirection.resolve(tree)
    found = indirection.imported_names(tree, {"losses", "layers", "optim", "regression", "init"})
    assert found == {
        "losses": {"mse_forward", "helper"},
        "layers": {"*"},
        "optim": {"sgd_step"},
        "init": {"kaiming"},
        "regression": {"fit"},
    }


def test_text_that_doubles_line_after_line_stays_within_the_bound():
    """A = "ab"; B = A + A; ... doubles the text each line: 200 lines would be 2**200
    characters. Past the cost bound the text is not known (and its exec is named)."""
    lines = ["T0 = 'ab'"] + [f"T{i} = T{i - 1} + T{i - 1}" for i in range(1, 200)] + ["exec(T199)"]
    code, dynamic = _resolved("\n".join(lines) + "\n")
    assert dynamic == ["line 201: exec() of text built at run time"]
