"""The submission's modules inside a worker (:mod:`descent.isolation.submission`): which modules
load, what they list, call targets, and exceptions described with the student's frames only.
Run here in the test process, under the worker's private package name (restored afterwards)."""

from __future__ import annotations

import sys

import pytest

from descent.calls import helpers
from descent.isolation import submission
from descent.isolation.protocol import ProtocolError
from descent.isolation.submission import PACKAGE, Submission, text

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

LOSSES = """SCALE = 2.0

class Helper:
    pass

def mse_forward(pred, target):
    return _fail(pred)

def _fail(x):
    raise ValueError("shapes differ")
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "losses.py").write_text(LOSSES)
    (tmp_path / "activations.py").write_text("import no_such_module_here\n")
    saved = {k: v for k, v in sys.modules.items() if k == PACKAGE or k.startswith(PACKAGE + ".")}
    yield tmp_path
    for name in [k for k in sys.modules if k == PACKAGE or k.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    sys.modules.update(saved)


def test_a_module_lists_its_names_by_kind(folder):
    listed = Submission(str(folder)).load("losses")
    assert listed == {
        "attrs": {
            "SCALE": "data",
            "Helper": "class",
            "mse_forward": "function",
            "_fail": "function",
        }
    }


def test_only_exercise_modules_load_and_missing_or_broken_ones_say_so(folder):
    sub = Submission(str(folder))
    with pytest.raises(LookupError, match="os is not an exercise module"):
        sub.load("os")
    assert sub.load("layers") == {"missing": True}
    broken = sub.load("activations")
    assert broken["import_error"].startswith("activations.py could not be imported")
    assert "no_such_module_here" in broken["import_error"]


def test_a_call_target_names_a_function_and_its_exercise(folder):
    sub = Submission(str(folder))
    fn, exercise = sub.function({"m": "losses", "a": "mse_forward"})
    assert fn.__name__ == "mse_forward" and exercise == "losses.mse"
    with pytest.raises(ProtocolError, match="bad call target"):
        sub.function({"m": "losses", "a": 3})
    with pytest.raises(LookupError):
        sub.function({"m": "layers", "a": "linear_forward"})


def test_an_exception_is_described_with_the_students_frames_only(folder):
    sub = Submission(str(folder))
    fn, _ = sub.function({"m": "losses", "a": "mse_forward"})
    try:
        fn(1, 2)
    except ValueError as exc:
        info = sub.describe(exc)
    assert info["type"] == "ValueError" and info["msg"] == "shapes differ"
    assert info["mro"][:3] == ["ValueError", "Exception", "BaseException"]
    assert info["where"] == ["losses.py:7 in mse_forward", "losses.py:10 in _fail"]
    assert info["base"] is False
    assert sub.describe(KeyboardInterrupt())["base"] is True


def test_text_is_capped_and_never_raises():
    class Hostile:
        def __str__(self):
            raise RuntimeError

    class Sub(str):
        def __str__(self):
            return self

    assert text(lambda: str(Hostile())) == "<unprintable>"
    assert text(lambda: 42) == "<unprintable>"
    assert text(lambda: Sub("kept")) == "kept" and type(text(lambda: Sub("kept"))) is str
    assert text(lambda: "x" * 5000) == "x" * submission.MAX_TEXT


def test_the_helper_files_intake_took_are_imported_as_written(tmp_path):
    """A helper file of the student's own (``_util.py``, a package ``helpers/``) imported
    relatively or absolutely: the worker gave "No module named '_descent_submission._util'"
    (issue 55)."""
    (tmp_path / "helpers").mkdir()
    (tmp_path / "losses.py").write_text(
        "import _util\nfrom .helpers.ops import twice\n\n"
        "def mse_forward(pred, target):\n    return twice(_util.ONE), None\n"
    )
    (tmp_path / "_util.py").write_text("ONE = 1\n")
    (tmp_path / "helpers" / "ops.py").write_text("def twice(x):\n    return 2 * x\n")
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in (PACKAGE, "_util")}
    try:
        sub = Submission(str(tmp_path))
        assert "mse_forward" in sub.load("losses")["attrs"]
        fn, exercise = sub.function({"m": "losses", "a": "mse_forward"})
        assert fn(None, None)[0] == 2 and exercise == "losses.mse"
    finally:
        helpers.HOOK.unregister(PACKAGE)
        for name in [k for k in sys.modules if k.split(".")[0] in (PACKAGE, "_util")]:
            del sys.modules[name]
        sys.modules.update(saved)
