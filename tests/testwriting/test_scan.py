"""The behaviour-only rule (``descent.testwriting.scan``): what a student's test file may not
use is found before it runs, each finding with its line and why; one inside a test refuses that
test, one anywhere else every test; what behaviour needs (a dtype's identity, ``x is None``,
``torch.nn.functional``) is left alone."""

from __future__ import annotations

import pytest

from descent.testwriting.scan import scan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

HOSTILE = """
import torch

def test_names(impl):
    assert impl.mse_forward.__name__ == "mse_forward"

def test_source(impl):
    import inspect
    assert "sum" not in inspect.getsource(impl.mse_forward)

def test_identity(impl):
    assert impl.mse_forward is not impl.mse_backward and id(impl) > 0

def test_timing(impl):
    import time
    time.sleep(1)

def test_files(impl):
    open("graders/catalogue/losses.py").read()
    torch.load("x.pt")

def test_by_name(impl):
    getattr(impl, "mse_" + "forward")

def test_module_state(impl):
    torch.stash = impl.mse_forward(torch.ones(2), torch.ones(2))

class TestA:
    def test_module(self, impl):
        assert impl.mse_forward.__module__
"""


def test_each_way_to_tell_implementations_apart_but_behaviour_is_refused():
    found = scan(HOSTILE)
    assert found.file == [] and found.error is None
    whys = {test: [f.text() for f in findings] for test, findings in found.tests.items()}
    assert set(whys) == {
        "test_names",
        "test_source",
        "test_identity",
        "test_timing",
        "test_files",
        "test_by_name",
        "test_module_state",
        "TestA::test_module",
    }
    assert whys["test_names"] == [
        "line 5: .__name__ (reads a name, a module, source or an "
        "object's internals, not what it computes)"
    ]
    assert "line 8: import inspect (reads source code and frames)" in whys["test_source"]
    assert any("identity" in w for w in whys["test_identity"]) and len(whys["test_identity"]) == 2
    assert "line 15: import time (measures how long calls take)" in whys["test_timing"]
    assert [w.split(":")[0] for w in whys["test_files"]] == ["line 19", "line 20"]
    assert "getattr" in whys["test_by_name"][0] and "state" in whys["test_module_state"][0]


def test_a_finding_outside_the_tests_refuses_every_test():
    found = scan(
        "import os\nimport torch\n\ndef helper():\n    return id(1)\n\n"
        "def test_a(impl):\n    assert helper()\n"
    )
    assert [f.text() for f in found.file] == [
        "line 1: import os (reads files and the process's state)",
        "line 5: id (tells objects apart by identity)",
    ]
    assert found.refused("test_a[0-1]") == found.file and found.tests == {}


BEHAVIOUR = """
import math
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

@pytest.mark.parametrize("n", [2, 3])
def test_values_types_and_exceptions(impl, n):
    out = impl.f(torch.ones(n, dtype=torch.float64))
    assert out is not None and type(out) is float or out.dtype is torch.float64
    assert_close(out, F.relu(torch.ones(n)) * math.pi)
    assert np.isfinite(out).all()
    with pytest.raises(ValueError):
        impl.f(None)
"""


def test_what_behaviour_needs_is_allowed():
    found = scan(BEHAVIOUR)
    assert found.findings() == [] and found.error is None


def test_torch_nn_utils_is_allowed_however_it_is_reached():
    """The starter points to torch.nn.utils (clip_grad_norm_): an import of it passed, and the
    same call through its attribute chain was refused as `.utils`."""
    for source in (
        "import torch\n\ndef test_a(impl):\n    torch.nn.utils.clip_grad_norm_([], 1.0)\n",
        "import torch.nn as nn\n\ndef test_a(impl):\n    nn.utils.clip_grad_norm_([], 1.0)\n",
        "from torch.nn.utils import clip_grad_norm_\n\ndef test_a(impl):\n    pass\n",
        "from torch.nn import utils\n\ndef test_a(impl):\n    utils.clip_grad_norm_\n",
    ):
        assert scan(source).findings() == [], source


def test_a_refused_module_is_refused_on_the_way_to_what_is_imported_too():
    found = scan("from torch.utils.benchmark import Timer\n\ndef test_a(impl):\n    pass\n")
    assert [f.text() for f in found.file] == [
        "line 1: from torch.utils.benchmark import ... (holds benchmarks, timers and file loaders)"
    ]
    for source, what in (
        ("import torch\n\ndef test_a(impl):\n    torch.utils.data.DataLoader\n", ".utils"),
        ("import numpy as np\n\ndef test_a(impl):\n    np.fromregex('f', 'x', float)\n",
         ".fromregex"),
        ("import numpy as np\n\ndef test_a(impl):\n    np.zeros(1).dump('f')\n", ".dump"),
    ):  # fmt: skip
        (finding,) = scan(source).tests["test_a"]
        assert finding.what == what, source


def test_a_file_that_does_not_parse_is_reported():
    assert scan("def test_a(impl)\n    pass\n", "test_mse.py").error == (
        "test_mse.py does not parse: expected ':' (line 1)"
    )


@pytest.mark.parametrize(
    "source",
    [
        HOSTILE + "\n@pytest.mark.parametrize('k', [1, 2])\ndef test_fine(impl, k):\n    pass\n",
        "import os\nimport torch\n\ndef test_a(impl):\n    pass\n",
        "import torch\n\ndef test_a(impl):\n    pass\n",
    ],
)
def test_what_a_run_leaves_out_is_what_the_scan_refuses_and_what_hung(source):
    """The rule a run's cases are left out by travels to the worker as data
    (``grading.left_out``): it must say what ``Scan.refused`` says, case for case."""
    from descent.testwriting.grading import left_out

    found = scan(source)
    hung = {"test_fine[2]"}
    rule = left_out(found, hung)
    cases = [
        "test_names",
        "test_fine[1]",
        "test_fine[2]",
        "test_a",
        "test_a[0-1]",
        "TestA::test_module",
        "test_unknown",
    ]
    for case in cases:
        assert rule(case) == (bool(found.refused(case)) or case in hung), case
    assert rule.as_data()[0] is bool(found.file)
