"""The AST scan for borrowed library operations: what it follows (aliases, helpers, getattr),
what it finds certain, possible or dynamic, and what it leaves alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from descent.isolation import scan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _findings(sources):
    return {(f.exercise, f.name, f.kind) for f in scan.scan(sources)}


def test_scan_follows_aliases_helpers_and_getattr():
    src = """import torch
import torch.nn.functional as F
from torch import softmax as sm
lsm = torch.log_softmax

def _helper(x):
    return getattr(F, "cross_entropy")(x, x)

def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    return _helper(logits), None

def log_softmax_forward(x, dim=-1):
    return lsm(x, dim), x.softmax(dim)

def mse_forward(pred, target):
    return ((pred - target) ** 2).mean(), sm
"""
    found = _findings({"losses": src})
    assert ("losses.cross_entropy", "torch.nn.functional.cross_entropy", "forbidden") in found
    assert ("losses.log_softmax", "torch.log_softmax", "forbidden") in found
    # x is unresolved: a possible use for review, scored only by what the tripwire sees run
    assert ("losses.log_softmax", "torch.Tensor.softmax", "possible") in found
    # torch.softmax is not forbidden in the MSE exercise, and module-level imports are not uses
    assert not any(ex == "losses.mse" and kind == "forbidden" for ex, _, kind in found)


def test_scan_finds_ready_made_solvers_and_loaders():
    src = """import torch
from torch.linalg import lstsq as ls
from torch.utils.data import DataLoader

def minibatches(n, batch_size, generator, drop_last=False):
    return list(DataLoader(range(n), batch_size=batch_size, shuffle=True, generator=generator))

def linear_regression_closed_form(X, y):
    A = X.T @ X
    return A.inverse() @ (X.T @ y), ls(X, y), torch.linalg.solve(A, X.T @ y)
"""
    found = _findings({"regression": src})
    closed = "regression.linear_regression_closed_form"
    assert {(ex, name) for ex, name, kind in found if kind == "forbidden"} == {
        ("regression.minibatches", "torch.utils.data.DataLoader"),
        (closed, "torch.linalg.lstsq"),
    }
    # A is a tensor only at run time: A.inverse() is for review and the tripwire
    assert (closed, "torch.Tensor.inverse", "possible") in found


def test_numpy_and_scipy_solvers_are_borrowed_as_torch_s_are():
    # (issue 50) the closed form through numpy.linalg.inv or scipy.linalg.lstsq borrows the
    # solve the exercise teaches, as torch.linalg.inv does; a factorization stays allowed
    src = """import numpy as np
import scipy.linalg as sla
from numpy.linalg import pinv
from scipy import linalg

def linear_regression_closed_form(X, y):
    A = X.T @ X
    w = np.linalg.inv(A) @ (X.T @ y)
    return w, pinv(A), sla.lstsq(X, y), linalg.inv(A), np.linalg.cholesky(A), sla.solve(A, y)
"""
    found = _findings({"regression": src})
    closed = "regression.linear_regression_closed_form"
    assert {name for ex, name, kind in found if kind == "forbidden" and ex == closed} == {
        "numpy.linalg.inv",
        "numpy.linalg.pinv",
        "scipy.linalg.lstsq",
        "scipy.linalg.inv",
    }


OWN_LAYERS = """import torch

class Linear:
    def forward(self, x, w, b):
        self.cache = (x, w)
        return x @ w.T + b

    def backward(self, dy):
        x, w = self.cache
        return dy @ w, dy.T @ x, dy.sum(0)

class CrossEntropy:
    def __init__(self):
        self.softmax = lambda z: (z - z.max(-1, keepdim=True).values).exp()

    def forward(self, z):
        p = self.softmax(z)
        return p / p.sum(-1, keepdim=True)

def linear_forward(x, w, b):
    layer = Linear()
    return layer.forward(x, w, b), layer

def linear_backward(dy, cache):
    return cache.backward(dy)

def two_layer_net(x, w1, b1, w2, b2, y):
    return CrossEntropy().forward(x @ w1)
"""


def test_scan_own_backward_method_and_stores_are_not_findings():
    # The student's own class: layer.backward(dy) and self.softmax(...) are its own methods,
    # self.softmax = ... is a store. None of them is a finding, not even for review.
    assert [f for f in scan.scan({"layers": OWN_LAYERS}) if f.kind != "dynamic"] == []


def test_scan_tensor_backward_is_a_possible_use_and_torch_names_are_certain():
    src = """import torch
from torch import sigmoid as sg

def linear_forward(x, w, b):
    return x @ w.T + b, (x, w)

def linear_backward(dy, cache):
    x, w = cache
    out = (x @ w.T).sum()
    out.backward()
    return x.grad, torch.Tensor.backward, sg(x)

def two_layer_net(x, w1, b1, w2, b2, y):
    return torch.softmax(x, -1)
"""
    found = _findings({"layers": src})
    # t.backward() on an unresolved object: reported, but not scored by the scan
    assert ("layers.linear", "torch.Tensor.backward", "possible") in found
    # names resolved through the imports are certain
    assert ("layers.two_layer_net", "torch.softmax", "forbidden") in found
    assert ("layers.linear", "torch.Tensor.backward", "forbidden") in found
    # sigmoid is allowed in the linear exercise: no finding
    assert not any(name == "torch.sigmoid" for _, name, _ in found)


def test_a_definition_of_its_own_shadows_an_imported_name():
    # Python looks sigmoid up when sigmoid_forward runs, after the module rebound it.
    src = """from torch import sigmoid, softmax

def sigmoid_forward(x):
    y = sigmoid(x)
    return y, softmax(y)

def sigmoid(x):
    return 1 / (1 + (-x).exp())

softmax = lambda x: x.exp() / x.exp().sum()
"""
    assert [f for f in scan.scan({"activations": src}) if f.kind == "forbidden"] == []


def test_a_name_a_function_binds_itself_is_not_the_imported_one():
    # torch.func.grad is imported, but each function below binds its own `grad` (a loop
    # variable, a parameter, an exception, a comprehension target): none of them is a use.
    src = """import torch
from torch.func import grad

def sigmoid_backward(dy, cache):
    out = cache
    for grad in [dy * out * (1 - out)]:
        pass
    return grad

def tanh_backward(dy, grad):
    return dy * (1 - grad ** 2)

def relu_backward(dy, cache):
    try:
        mask = cache > 0
    except ValueError as grad:
        raise grad
    return [grad * mask for grad in [dy]][0]
"""
    assert [f for f in scan.scan({"activations": src}) if f.kind == "forbidden"] == []
    # the imported name read where nothing local binds it is still found, with the line
    src_used = (
        src
        + """
def gelu_backward(dy, cache):
    return grad(lambda x: x)(cache)
"""
    )
    found = [f for f in scan.scan({"activations": src_used}) if f.kind == "forbidden"]
    line = src_used.splitlines().index("    return grad(lambda x: x)(cache)") + 1
    assert {(f.exercise, f.name, f.line) for f in found} == {
        ("activations.gelu", "torch.func.grad", line)
    }
    # a local binding does not hide what its right-hand side borrows
    src_alias = """import torch.nn.functional as F

def relu_forward(x):
    relu = torch_relu = F.relu
    return torch_relu(x), relu
"""
    assert {f.name for f in scan.scan({"activations": src_alias}) if f.kind == "forbidden"} == {
        "torch.nn.functional.relu"
    }
    # what Python evaluates outside the function (a default, a decorator, a comprehension's
    # first iterable) is read in the enclosing scope, whatever the function binds
    src_default = """import torch.nn.functional as F

def relu_forward(x, F=F):
    return F.relu(x), x

def relu_backward(dy, cache):
    return [F for F in [F.relu]][0](cache), cache
"""
    found = {
        (f.exercise, f.name)
        for f in scan.scan({"activations": src_default})
        if f.kind == "forbidden"
    }
    assert found == {("activations.relu", "torch.nn.functional.relu")}
    # each alone: a finding is listed once per exercise and name
    for function, line in (("relu_forward", 4), ("relu_backward", 7)):
        alone = src_default.replace(function, "gelu_forward")
        lines = {f.line for f in scan.scan({"activations": alone}) if f.kind == "forbidden"}
        assert line in lines, (function, lines)


def test_a_function_s_own_alias_of_the_library_is_read_as_the_library():
    # a name a function binds only to the library's module is an alias there, as at the top
    # level; bound also to something of the student's, it is the student's
    src = """import torch

def relu_forward(x):
    F = torch.nn.functional
    return F.relu(x), x

def relu_backward(dy, cache, own=None):
    F = torch.nn.functional
    if own is not None:
        F = own
    return F.relu(cache), dy
"""
    found = {(f.name, f.line) for f in scan.scan({"activations": src}) if f.kind == "forbidden"}
    assert ("torch.nn.functional.relu", 5) in found  # (the module itself is also forbidden)
    assert not any(line == 11 for _, line in found), found


def test_forbidden_uses_lists_lines_for_the_student_report():
    src = "import torch\n\ndef softmax_forward(x, dim=-1):\n    return torch.softmax(x, dim), x\n"
    found = scan.forbidden_uses({"activations": src, "broken": "def ("})
    assert [(f.exercise, f.name, f.module, f.line, f.kind) for f in found] == [
        ("activations.softmax", "torch.softmax", "activations", 4, "forbidden")
    ]
    assert found[0].text() == "torch.softmax (activations.py line 4)"


def test_scan_flags_dynamic_access_for_review():
    src = """import torch, importlib
def mse_forward(pred, target):
    F = importlib.import_module("torch.nn.functional")
    return getattr(torch, "".join(["mse"])), eval("1")
"""
    found = _findings({"losses": src})
    assert any(
        ex == "losses.mse" and kind == "dynamic" and "eval" in name for ex, name, kind in found
    )


def test_scan_of_the_solutions_is_clean():
    kit = Path(__file__).resolve().parents[2]
    sources = {
        p.stem: p.read_text() for p in (kit / "solutions").glob("*.py") if p.stem != "__init__"
    }
    forbidden = [f for f in scan.scan(sources) if f.kind == "forbidden"]
    assert forbidden == []


def test_scan_of_the_catalogue_finds_only_bugs():
    # Each catalogue file scanned as a submission module: the object-style alternatives (their
    # own forward/backward/step methods, self.softmax = ...) and the NumPy ones give no finding;
    # what the scan finds lies inside a bug that borrows a library operation on purpose.
    import inspect

    from descent import catalogue

    kit = Path(__file__).resolve().parents[2]
    catalogue.load(kit / "graders" / "catalogue")
    owners: dict[str, list] = {}
    for v in catalogue.variants():
        if v.kind == catalogue.STUDENT:  # the corpus, when loaded too, lives in other files
            continue
        for fn in v.functions.values():
            try:
                lines, start = inspect.getsourcelines(fn)
            except (OSError, TypeError):
                continue
            owners.setdefault(v.module, []).append((start, start + len(lines) - 1, v))
    wrong = []
    for path in sorted((kit / "graders" / "catalogue").glob("*.py")):
        for f in scan.scan({path.stem: path.read_text()}):
            inside = [v for a, b, v in owners.get(path.stem, []) if a <= f.line <= b]
            if f.kind != "dynamic" and not (inside and all(v.kind == "bug" for v in inside)):
                wrong.append(f"{path.name}:{f.line} {f.name} ({f.kind})")
    assert not wrong, wrong


def test_only_certain_findings_score_and_possible_uses_are_for_review():
    # What the grading run does with the scan: a name resolved to torch zeroes the exercise,
    # a tensor method's name on an unresolved object only marks it for review.
    from types import SimpleNamespace

    from descent.grading import plugin_workers
    from descent.isolation.remote import library_flags

    src = """import torch

def softmax_forward(x, dim=-1):
    return torch.softmax(x, dim), dim

def sigmoid_forward(x):
    y = x.sigmoid()
    return y, y
"""
    impl = SimpleNamespace(scan={}, review={}, hits={})
    plugin_workers._record_scan(impl, {"activations": src})
    assert library_flags(impl) == {
        "activations.softmax": ["torch.softmax (activations.py line 4) (in the source)"]
    }
    assert impl.review["activations.sigmoid"][0].startswith("possibly used")
    assert "torch.Tensor.sigmoid (activations.py line 7)" in impl.review["activations.sigmoid"][0]


def test_scan_follows_an_exercise_into_a_helper_file_of_the_submission():
    """The intake hands the helpers over with the modules (``_util``): a borrowed call there is
    found in the source, its file and line named."""
    found = scan.scan(
        {
            "activations": "from ._util import sm\n\ndef softmax_forward(x, dim=-1):\n"
            "    y = sm(x, dim)\n    return y, (y, dim)\n",
            "_util": "import torch\n\ndef sm(x, dim):\n    return torch.softmax(x, dim=dim)\n",
        }
    )
    texts = [f.text() for f in found if f.exercise == "activations.softmax"]
    assert any("torch.softmax" in t and "_util.py line 4" in t for t in texts), texts
