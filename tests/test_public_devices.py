"""The public tests run on the GPU as they do on the CPU.

``pytest exercises/ --device cuda`` (and ``descent audit --device cuda``, which grades the
catalogue's alternatives with them) hands a test that asks for ``inputs`` tensors on the GPU. A
tensor or generator the test builds beside them must live on the same device, or a correct
solution fails there: a CPU ``torch.Generator()`` handed to code that draws on ``x``'s device, or
running statistics built on the CPU (both seen on an H200, 2026-11-26). The CUDA lane shows it
only where a GPU is lent, so this reads the tests' source instead: inside a test that takes
``inputs``, every ``torch`` factory call names its ``device``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[1]
# torch's functions that make a tensor or a generator on the CPU unless told otherwise
FACTORIES = frozenset(
    "Generator zeros ones full empty tensor eye arange linspace rand randn randint randperm".split()
)


def cpu_built(source: str) -> list[str]:
    """``test:line torch.NAME`` for each factory call without ``device=`` in a test function
    of ``source`` that takes ``inputs``."""
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test"):
            continue
        if "inputs" not in {a.arg for a in fn.args.args}:
            continue
        for call in ast.walk(fn):
            func = getattr(call, "func", None)
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "torch"
                and func.attr in FACTORIES
                and not any(k.arg == "device" for k in call.keywords)
            ):
                found.append(f"{fn.name}:{call.lineno} torch.{func.attr}")
    return sorted(found)


@pytest.mark.parametrize(
    "path", sorted((KIT / "exercises").glob("test_*.py")), ids=lambda p: p.name
)
def test_a_public_test_builds_beside_its_inputs_on_their_device(path):
    found = cpu_built(path.read_text())
    assert not found, f"build these on inputs.device (device=x.device): {found}"


def test_the_check_sees_a_cpu_generator_and_accepts_one_on_the_device():
    wrong = """
def test_mask(check, inputs):
    x = inputs.randn(3)
    y = check.impl.m.f(x, torch.Generator().manual_seed(1), torch.zeros(3, dtype=x.dtype))
"""
    right = wrong.replace("Generator()", "Generator(device=x.device)").replace(
        "x.dtype)", "x.dtype, device=x.device)"
    )
    assert cpu_built(wrong) == ["test_mask:4 torch.Generator", "test_mask:4 torch.zeros"]
    assert cpu_built(right) == []
    # a test without drawn inputs runs on the CPU whatever the device option says
    assert cpu_built(wrong.replace("check, inputs", "check")) == []
