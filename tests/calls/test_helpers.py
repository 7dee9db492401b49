"""A submission's own helper files (``descent.calls.helpers``): which files the exercise modules
bring along, why each other one is not graded, and the import hook that loads them as the student
wrote the imports (relative or absolute, a package one level deep) in this process."""

from __future__ import annotations

import textwrap

import pytest

from descent.calls import helpers
from descent.calls.impl import FolderImplementation, SubmissionError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_imported_names_reads_every_form_of_import():
    source = textwrap.dedent(
        """
        import torch, _a.x
        from ._b import f
        from . import _c
        from _d.y import g
        def later():
            from ._e import h
        """
    )
    assert helpers.imported_names(source) == {"torch", "_a", "_b", "_c", "_d", "_e"}
    assert helpers.imported_names("def broken(:") == set()


def test_select_takes_what_is_imported_directly_or_through_a_helper():
    modules = {"losses": "from ._util import ident\nimport helpers\n"}
    candidates = {
        "_util.py": "from ._deeper import x\n",
        "_deeper.py": "x = 1\n",
        "helpers/__init__.py": "",
        "helpers/ops.py": "y = 2\n",
        "helpers/sub/": "",
        "scratch.py": "print('notes')\n",
        "numpy.py": "",
        "json/__init__.py": "",
    }
    chosen = helpers.select(modules, candidates)
    assert chosen.taken == ["_deeper.py", "_util.py", "helpers/__init__.py", "helpers/ops.py"]
    assert chosen.names == {"_util", "_deeper", "helpers"}
    assert chosen.ignored == {"helpers/sub/": helpers.TOO_DEEP, "scratch.py": helpers.NOT_IMPORTED}
    assert set(chosen.refused) == {"numpy.py", "json/__init__.py"}
    assert "would shadow the `json` module" in chosen.refused["json/__init__.py"]


def test_select_reads_no_module_when_no_file_could_be_a_helper(monkeypatch):
    """The common folder (its exercise modules and nothing else, or only files refused or too
    deep): no module is parsed, as every grading process and worker would otherwise parse them
    all for nothing."""
    parsed = []
    monkeypatch.setattr(helpers, "imported_names", lambda source: parsed.append(source) or set())
    chosen = helpers.select({"losses": "import _util\n"}, {"numpy.py": "", "deep/er/": ""})
    assert (chosen.taken, chosen.names, parsed) == ([], set(), [])
    assert set(chosen.refused) == {"numpy.py"} and chosen.ignored == {"deep/er/": helpers.TOO_DEEP}
    helpers.select({"losses": "import _util\n"}, {"_util.py": ""})
    assert parsed == ["import _util\n"]  # with a candidate, the modules are read as before


def _folder(path, files):
    for name, source in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(textwrap.dedent(source))
    return path


def test_a_folder_loads_its_helpers_relatively_and_absolutely(tmp_path):
    # a package name of its own: another test's folder loaded in this process may hold a
    # `helpers` package, and two in-process folders cannot share an absolute helper name
    folder = _folder(
        tmp_path / "ivy",
        {
            "losses.py": """
                import _absolute
                from ._relative import two
                from .ivy_helpers.ops import three
                from ivy_helpers import four
                def mse_forward(p, t):
                    return _absolute.one() + two() + three() + four(), None
            """,
            "_absolute.py": "def one():\n    return 1\n",
            "_relative.py": "def two():\n    return 2\n",
            "ivy_helpers/__init__.py": "from .ops import three as four\n",
            "ivy_helpers/ops.py": "def three():\n    return 3\n",
            "scratch.py": "raise SystemExit('never imported')\n",
            "torch.py": "raise SystemExit('never imported')\n",
        },
    )
    impl = FolderImplementation(folder)
    try:
        assert impl.losses.mse_forward(None, None)[0] == 9
        intake = impl.describe()["intake"]
        assert intake["taken"] == [
            "_absolute.py",
            "_relative.py",
            "ivy_helpers/__init__.py",
            "ivy_helpers/ops.py",
        ]
        assert [e["path"] for e in intake["ignored"]] == ["scratch.py"]
        assert [e["path"] for e in intake["refused"]] == ["torch.py"]
    finally:
        impl.close()  # its absolute names are no longer its


def test_a_file_that_is_not_graded_cannot_be_imported_and_says_why(tmp_path):
    folder = _folder(
        tmp_path / "ivy",
        {
            "losses.py": """
                import importlib
                def mse_forward(p, t):
                    return importlib.import_module(__package__ + ".scratch"), None
                def mae_forward(p, t):
                    from .torch import tensor
                    return tensor, None
            """,
            "scratch.py": "x = 1\n",
            "torch.py": "tensor = 1\n",
        },
    )
    impl = FolderImplementation(folder)
    with pytest.raises(ModuleNotFoundError, match="not imported by any exercise module"):
        impl.losses.mse_forward(None, None)
    with pytest.raises(ModuleNotFoundError, match="would shadow the `torch` module"):
        impl.losses.mae_forward(None, None)
    impl.close()


def test_two_folders_with_a_helper_of_one_name_keep_their_relative_imports(tmp_path):
    made = []
    for name, value in (("ada", 1), ("bob", 2)):
        folder = _folder(
            tmp_path / name,
            {
                "losses.py": "from ._util import V\n\ndef mse_forward(p, t):\n    return V, None\n",
                "_util.py": f"V = {value}\n",
                "activations.py": "def relu_forward(x):\n    import _util\n    return _util.V, None\n",
            },
        )
        made.append(FolderImplementation(folder))
    ada, bob = made
    assert (ada.losses.mse_forward(0, 0)[0], bob.losses.mse_forward(0, 0)[0]) == (1, 2)
    with pytest.raises(ImportError, match="ambiguous"):
        bob.activations.relu_forward(0)
    with pytest.raises(SubmissionError):
        bob.layers  # noqa: B018 - a module the folder lacks is still the student's problem
    ada.close()  # bob's alone now
    assert bob.activations.relu_forward(0)[0] == 2
    bob.close()


def test_an_exercise_module_is_its_file_never_a_folder_of_its_name(tmp_path):
    """In the student's own process too: Python's search takes a folder losses/ before
    losses.py; the folder is refused, and the file is what is imported."""
    folder = _folder(
        tmp_path / "ivy",
        {
            "losses.py": "def mse_forward(p, t):\n    return 'the file', None\n",
            "losses/__init__.py": "def mse_forward(p, t):\n    return 'the folder', None\n",
        },
    )
    impl = FolderImplementation(folder)
    try:
        assert impl.losses.mse_forward(None, None)[0] == "the file"
        (refused,) = impl.describe()["intake"]["refused"]
        assert refused["path"] == "losses/__init__.py"
        assert "named like the exercise module losses.py" in refused["reason"]
    finally:
        impl.close()
