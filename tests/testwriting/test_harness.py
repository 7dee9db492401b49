"""The harness (``descent.testwriting.harness``): a student's test file collected as pytest
would, each test handed an ``impl`` of opaque callables, its outcome as plain data; what an
implementation raised, edited or drew reaches the test as it would in one process; and every
test starts from the same global state."""

from __future__ import annotations

import pytest
import torch

from descent.testwriting.harness import CACHE_KEY, Cache, Caller, Suite, copy_back

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

FUNCTIONS = ["double", "split"]


def serve(name, args, kwargs, rng):
    """A stand-in for the dispatcher: ``double`` doubles (ValueError on a negative sum) and
    edits nothing; ``split`` returns its input with a cache token and zeroes its argument."""
    if name == "double":
        if float(args[0].sum()) < 0:
            return {"raised": "ValueError", "message": "negative", "rng": rng}
        return {"ok": args[0] * 2, "rng": rng}
    edited = [torch.zeros_like(args[0])]
    return {"ok": (args[0].clone(), {CACHE_KEY: 7}), "edited": [edited, {}], "rng": rng}


SOURCE = """
import pytest
import torch

def test_passes(impl):
    assert torch.equal(impl.double(torch.ones(2)), torch.full((2,), 2.0))

def test_fails(impl):
    out = impl.double(torch.ones(2))
    assert out.sum() == 5

@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("sign", [pytest.param(-1, id="neg"), 1])
def test_grid(impl, n, sign):
    if sign < 0:
        with pytest.raises(ValueError, match="negative"):
            impl.double(-torch.ones(n))
    else:
        impl.double(torch.ones(n))

def test_raises_through(impl):
    impl.double(-torch.ones(1))

def test_not_written(impl):
    raise NotImplementedError("test_mse: test_not_written is not implemented yet")

@pytest.mark.skip(reason="later")
def test_skipped(impl):
    pass

def test_edit_and_cache(impl):
    x = torch.ones(3)
    out, cache = impl.split(x)
    assert torch.equal(x, torch.zeros(3)) and repr(cache) == "<cache>"

@pytest.mark.xfail
def test_xfail(impl):
    pass

def test_fixture(impl, tmp_path):
    pass

class TestGroup:
    def test_method(self, impl):
        assert impl.double(torch.ones(1)).item() == 2.0

class TestBroken:
    def __init__(self):
        pass
    def test_never(self, impl):
        pass
"""


@pytest.fixture(scope="module")
def suite() -> Suite:
    return Suite(SOURCE, "test_mine.py")


def test_tests_are_collected_as_pytest_collects_them(suite):
    assert list(suite.cases) == [
        "test_passes",
        "test_fails",
        "test_grid[neg-1]",
        "test_grid[neg-2]",
        "test_grid[1-1]",
        "test_grid[1-2]",
        "test_raises_through",
        "test_not_written",
        "test_skipped",
        "test_edit_and_cache",
        "TestGroup::test_method",
    ]
    problems = {p["test"]: p["why"] for p in suite.problems}
    assert set(problems) == {"test_xfail", "test_fixture", "TestBroken"}
    assert "only fixture provided is `impl`" in problems["test_fixture"]
    assert suite.error is None


def test_each_outcome_is_plain_data(suite):
    def run(name):
        return suite.run(name, Caller(serve), FUNCTIONS)

    assert run("test_passes") == {"outcome": "passed"}
    assert all(run(n) == {"outcome": "passed"} for n in suite.cases if n.startswith("test_grid"))
    assert run("test_fails") == {
        "outcome": "failed",
        "error": "AssertionError",
        "message": "",
        "line": 10,
        "source": "assert out.sum() == 5",
        "from_impl": False,
    }
    raised = run("test_raises_through")
    assert (raised["error"], raised["message"], raised["from_impl"]) == (
        "ValueError",
        "negative",
        True,
    )
    assert run("test_not_written")["outcome"] == "not_written"
    assert run("test_skipped") == {"outcome": "skipped", "message": "later"}
    assert run("test_edit_and_cache") == {"outcome": "passed"}
    assert run("TestGroup::test_method") == {"outcome": "passed"}


def test_a_file_that_fails_to_import_says_where():
    broken = Suite("import torch\n\nx = undefined_name\n", "test_mine.py")
    assert broken.error == (
        "importing it raised NameError: name 'undefined_name' is not defined "
        "(line 3: x = undefined_name)"
    )


def test_a_cache_crosses_back_as_its_token_and_the_same_object_each_time():
    caller = Caller(lambda name, args, kwargs, rng: {"ok": args, "rng": rng})
    first = caller._in({CACHE_KEY: 3})
    assert isinstance(first, Cache) and caller._in({CACHE_KEY: 3}) is first
    assert caller("f", (first, 1), {}) == [first, 1]  # out as the token, back as the object


def test_edits_are_copied_into_the_test_s_own_objects():
    tensor, state, generator = torch.ones(2), {"m": torch.ones(2), "old": 1}, torch.Generator()
    moved = torch.Generator().manual_seed(5)
    copy_back(
        [tensor, state, generator], [torch.full((2,), 3.0), {"m": torch.zeros(2), "step": 1}, moved]
    )
    assert torch.equal(tensor, torch.full((2,), 3.0))
    assert set(state) == {"m", "step"} and torch.equal(state["m"], torch.zeros(2))
    assert torch.equal(generator.get_state(), moved.get_state())


def test_every_test_starts_from_the_same_global_state():
    suite = Suite(
        "import torch\n\ndef test_a(impl):\n    drawn = float(torch.rand(()))\n"
        "    torch.set_default_dtype(torch.float64)\n    assert drawn == VALUE\n",
        "test_mine.py",
    )
    torch.manual_seed(0)
    suite.module.VALUE = float(torch.rand(()))
    torch.rand(10)  # whatever ran before
    try:
        assert suite.run("test_a", Caller(serve), FUNCTIONS) == {"outcome": "passed"}
        assert suite.run("test_a", Caller(serve), FUNCTIONS) == {"outcome": "passed"}
    finally:
        torch.set_default_dtype(torch.float32)


def test_python_s_and_numpy_s_settings_and_generators_are_reset_before_each_test():
    """What a test changes of Python's and NumPy's global state, the next test does not see:
    their generators start as seeded with 0, NumPy's print options and error handling as
    before any test (put back only where a test changed them)."""
    import random

    import numpy

    source = (
        "import random\nimport numpy\n\n"
        "def test_a(impl):\n"
        "    assert (random.random(), float(numpy.random.rand())) == EXPECTED\n"
        "    assert numpy.get_printoptions()['precision'] == 8 and numpy.geterr()['divide'] == 'warn'\n"
        "    random.random(); numpy.random.rand(3)\n"
        "    numpy.set_printoptions(precision=2); numpy.seterr(divide='raise')\n"
    )
    suite = Suite(source, "test_mine.py")
    random.seed(0)
    numpy.random.seed(0)
    suite.module.EXPECTED = (random.random(), float(numpy.random.rand()))
    printing, errors = numpy.get_printoptions(), numpy.geterr()
    try:
        for _ in range(2):
            assert suite.run("test_a", Caller(serve), FUNCTIONS) == {"outcome": "passed"}
    finally:
        numpy.set_printoptions(**printing)
        numpy.seterr(**errors)


def test_a_run_keeps_the_grading_s_threads_whatever_a_test_sets():
    """The grading computes with one torch thread (the plugin's rule, and a worker's): a run
    neither changes that nor lets a test's own setting outlive it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        suite = Suite("import torch\n\ndef test_a(impl):\n    torch.set_num_threads(2)\n", "t.py")
        assert suite.run("test_a", Caller(serve), FUNCTIONS) == {"outcome": "passed"}
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
