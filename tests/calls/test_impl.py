"""Implementations under test in this process (``descent.calls.impl``): a folder's modules under
a private name, what a missing module or function says, an import that failed never run again
and blamed on the file that raised, ``os._exit`` refused, a catalogued variant patched over
another implementation, and the batching helpers' plain loops."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from descent.calls import impl

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _folder(path, **modules):
    path.mkdir()
    for name, source in modules.items():
        (path / f"{name}.py").write_text(textwrap.dedent(source))
    return path


def test_two_folders_with_the_same_module_names_are_graded_side_by_side(tmp_path):
    ada = impl.FolderImplementation(
        _folder(tmp_path / "ada", losses="def mse_forward(p, t):\n    return 1\n")
    )
    bo = impl.FolderImplementation(
        _folder(tmp_path / "bo", losses="def mse_forward(p, t):\n    return 2\n")
    )
    assert (ada.losses.mse_forward(0, 0), bo.losses.mse_forward(0, 0)) == (1, 2)
    assert "losses" not in sys.modules  # each folder lives under a private alias
    assert ada.root == (tmp_path / "ada").resolve() and ada.name == "ada"
    with pytest.raises(AttributeError):
        ada.not_a_module_of_the_registry  # noqa: B018


def test_what_is_missing_is_named_for_the_student(tmp_path):
    with pytest.raises(impl.SubmissionError, match="does not exist"):
        impl.FolderImplementation(tmp_path / "nobody")
    ada = impl.FolderImplementation(_folder(tmp_path / "ada", losses="x = 1\n"))
    with pytest.raises(impl.SubmissionError, match="activations.py is missing from ada"):
        ada.activations  # noqa: B018
    with pytest.raises(impl.SubmissionError, match=r"losses.py of ada has no `mse_forward`"):
        ada.losses.mse_forward  # noqa: B018


def test_an_import_that_failed_is_not_run_again_and_is_blamed_on_the_file_that_raised(tmp_path):
    folder = _folder(
        tmp_path / "ada",
        helpers="""
            import os
            os.environ["DESCENT_TEST_IMPORTS"] = os.environ.get("DESCENT_TEST_IMPORTS", "") + "x"
            raise RuntimeError("broken helper")
        """,
        losses="from .helpers import *\n",
        activations="from .helpers import *\n",
    )
    os.environ.pop("DESCENT_TEST_IMPORTS", None)
    ada = impl.FolderImplementation(folder)
    with pytest.raises(impl.SubmissionError) as first:
        ada.losses  # noqa: B018
    assert "importing helpers.py failed: RuntimeError: broken helper (helpers.py line 4)" in str(
        first.value
    )
    with pytest.raises(impl.SubmissionError, match="earlier in this run; not imported again"):
        ada.losses  # noqa: B018
    with pytest.raises(impl.SubmissionError, match="importing helpers.py failed"):
        ada.activations  # noqa: B018  (imports the same broken helper)
    assert os.environ.pop("DESCENT_TEST_IMPORTS") == "x"  # run once


def test_a_syntax_error_names_its_line(tmp_path):
    ada = impl.FolderImplementation(_folder(tmp_path / "ada", losses="def f(:\n"))
    with pytest.raises(
        impl.SubmissionError, match="losses.py could not be imported: SyntaxError at line 1"
    ):
        ada.losses  # noqa: B018


def test_os_exit_in_student_code_raises_instead_of_ending_the_run():
    real = os._exit
    with pytest.raises(impl.HardExit, match=r"os._exit\(0\) was called"), impl.refuse_hard_exit():
        os._exit(0)
    assert os._exit is real


def test_a_variant_replaces_its_functions_and_keeps_the_others(tmp_path):
    base = impl.FolderImplementation(
        _folder(
            tmp_path / "solutions",
            losses="def mse_forward(p, t):\n    return 'base'\n\ndef mae_forward(p, t):\n    return 'base'\n",
        )
    )
    variant = impl.PatchedImplementation(
        base, "bug:x", {("losses", "mse_forward"): lambda p, t: "bug"}
    )
    assert (variant.losses.mse_forward(0, 0), variant.losses.mae_forward(0, 0)) == ("bug", "base")
    assert base.losses.mse_forward(0, 0) == "base"
    # the replaced function's file is the variant's own code
    assert variant.root == Path(__file__).resolve().parent


def test_the_batching_helpers_are_plain_loops_in_this_process():
    def forward(x, scale=1.0):
        x.mul_(2)  # edits its argument
        return x * scale, "cache"

    x = torch.ones(2)
    out = impl.call_each(forward, [[x], [x]], {"scale": 3.0}, pick=0, fresh=True)
    assert [o.tolist() for o in out] == [[6.0, 6.0], [6.0, 6.0]] and x.tolist() == [1.0, 1.0]
    out = impl.call_each(forward, [[x], [x]], pick=0)  # no copies: the edits pile up
    assert [o.tolist() for o in out] == [[2.0, 2.0], [4.0, 4.0]]
    assert impl.call_then(lambda a: (a, a + 1), (1,), lambda d, cache: (d, cache), [10]) == (10, 2)


def test_a_sweep_keeps_each_result_as_its_call_returned_it():
    # (an EPFL learner's layer) a backward that accumulates into its cache and hands back the
    # same tensors: read after the sweep, every result was the last one's
    cache = {"dW": torch.zeros(2)}

    def backward(dy):
        cache["dW"] += dy
        return dy * 2, cache["dW"]

    out = impl.call_each(backward, [[torch.ones(2)], [torch.ones(2)]])
    assert [o[1].tolist() for o in out] == [[1.0, 1.0], [2.0, 2.0]]
    assert [o.tolist() for o in impl.call_each(backward, [[torch.ones(2)]] * 2, pick=1)] == [
        [3.0, 3.0],
        [4.0, 4.0],
    ]


def test_a_watched_call_says_whether_it_changed_a_global_generator():
    """The capstone's docstring forbids changing global state; a capstone that called
    torch.manual_seed kept 30/30 (issue 55). A reseed to the very state an earlier call left is
    seen too: the watch draws once before the call."""
    torch.manual_seed(7)

    def reseeds(seed):
        torch.manual_seed(seed)
        return seed

    def own_generator(seed):
        return torch.rand(2, generator=torch.Generator().manual_seed(seed))

    assert impl.watched_call(reseeds, [7], {}) == (7, True)
    result, moved = impl.watched_call(own_generator, [], {"seed": 3})
    assert result.shape == (2,) and moved is False


def test_an_edit_runs_a_module_level_object_s_methods_from_the_edited_class_on_a_copy():
    """A repair under trial that edits a method of a class whose object the module made at its
    top (`_net = Net()`): the functions the edit defines call the edited method on a copy of
    that object, and the student's own object keeps its class and state."""
    import types

    module = types.ModuleType("course")
    exec(  # noqa: S102 - the test's own text
        textwrap.dedent(
            """
            class Net:
                def __init__(self):
                    self.calls = []

                def grad(self, x):
                    self.calls.append(x)
                    return x * 3

            _net = Net()

            def backward(x):
                return _net.grad(x)
            """
        ),
        module.__dict__,
    )
    edited = textwrap.dedent(
        """
        class Net:
            def __init__(self):
                self.calls = []

            def grad(self, x):
                self.calls.append(x)
                return x * 2

        def backward(x):
            return _net.grad(x)
        """
    )
    found = impl.defined(module, ["backward"], edited)
    assert found is not None and found["backward"](5) == 10
    assert module.backward(5) == 15 and module._net.calls == [5]  # its own, as it was
    assert type(module._net) is module.Net
    # an edit elsewhere (the class's methods the same, laid out anew): the object is not copied
    elsewhere = edited.replace("x * 2", "x * 3").replace(
        "return _net.grad(x)", "return -_net.grad(x)"
    )
    found = impl.defined(module, ["backward"], elsewhere)
    assert found is not None and found["backward"](5) == -15
    assert module._net.calls == [5, 5]  # the student's own object ran: no copy was made


def test_an_edit_rebinds_a_method_read_off_its_class_at_the_top_to_the_edited_one():
    """(a held-out Stony Brook learner's) `_act = Activations.sigmoid`, a plain function read
    off the class: the name runs the edited method, as it runs the student's before the edit."""
    import types

    text = """
        class Activations:
            def sigmoid(x):
                return x + {0}

        _act = Activations.sigmoid

        def forward(x):
            return _act(x)
        """
    module = types.ModuleType("course")
    exec(textwrap.dedent(text.format(1)), module.__dict__)  # noqa: S102 - the test's own text
    units = textwrap.dedent(text.format(2)).replace("_act = Activations.sigmoid\n", "")
    found = impl.defined(module, ["forward"], units)
    assert found is not None and found["forward"](10) == 12
    assert module.forward(10) == 11  # the module itself unchanged


def test_an_edit_copies_a_singleton_object_instead_of_changing_the_student_s_own():
    """A class whose `__new__` hands back its one object (a NYCU learner's `loss = __Loss()`):
    a deep copy gives the same object back, which must never be given the edited class."""
    import types

    module = types.ModuleType("course")
    text = """
        class __Loss:
            _instance = None

            def __new__(cls):
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance

            def value(self, x):
                return x + 1

        loss = __Loss()

        def forward(x):
            return loss.value(x)
        """
    exec(textwrap.dedent(text), module.__dict__)  # noqa: S102 - the test's own text
    edited = textwrap.dedent(text.replace("x + 1", "x + 2").replace("loss = __Loss()", ""))
    found = impl.defined(module, ["forward"], edited)
    assert found is not None and found["forward"](5) == 7
    assert module.forward(5) == 6 and type(module.loss) is vars(module)["__Loss"]


def test_an_edit_rebinds_a_module_level_method_of_an_object_to_the_edited_class():
    """A CMU wrapper's `_row = SoftMaxCrossEntropy()._softmax`: a bound method kept at the
    module's top runs the edited method (on a copy of its object), not the one the module
    bound before the edit; one of a class the edit leaves alone stays as it is."""
    import types

    text = """
        class Loss:
            def softmax(self, z):
                return z + {0}

        class Other:
            def f(self, z):
                return z

        _row = Loss().softmax
        _other = Other().f

        def forward(z):
            return _row(z) + _other(0)
        """
    module = types.ModuleType("course")
    exec(textwrap.dedent(text.format(1)), module.__dict__)  # noqa: S102 - the test's own text
    units = textwrap.dedent(text.format(2)).replace("_row = Loss().softmax\n", "")
    found = impl.defined(module, ["forward"], units.replace("_other = Other().f\n", ""))
    assert found is not None and found["forward"](10) == 12
    assert module.forward(10) == 11  # the module itself unchanged
    kept = found["forward"].__globals__["_other"]
    assert kept is module._other
