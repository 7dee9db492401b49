"""Where the kit is, and a run of one of its test folders (``descent.kit``): the folder a command
is run from, or the kit the package sits in, else a message that says where to run it; a run
loads only descent's and hypothesis's plugins, by name, and passes on what it was given."""

from __future__ import annotations

import pytest

from descent import kit
from descent.errors import DescentError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_kit_is_the_folder_run_from_or_the_one_the_package_sits_in(tmp_path, monkeypatch):
    for kit_folder in ("here", "installed"):
        for folder in ("graders", "solutions", "exercises", "starter"):
            (tmp_path / kit_folder / folder).mkdir(parents=True)
    # the package as an editable install leaves it: src/descent/kit.py inside a kit
    monkeypatch.setattr(kit, "__file__", str(tmp_path / "installed" / "src" / "descent" / "kit.py"))
    monkeypatch.chdir(tmp_path / "here")
    assert kit.kit_root() == kit.student_root() == tmp_path / "here"
    monkeypatch.chdir(tmp_path)  # no kit here: the one the package sits in
    assert kit.kit_root() == kit.student_root() == tmp_path / "installed"


def test_anywhere_else_the_message_says_where_to_run_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(kit, "__file__", str(tmp_path / "site" / "descent" / "kit.py"))
    with pytest.raises(DescentError, match="run this from the kit's folder"):
        kit.kit_root()
    (tmp_path / "exercises").mkdir()  # half a bundle is none
    with pytest.raises(DescentError, match="run this from your exercises folder"):
        kit.student_root()


def test_a_run_names_its_plugins_and_passes_on_what_it_was_given(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(pytest, "main", lambda args: seen.append(args) or 1)
    code = kit.run_pytest(
        ["graders/test_losses.py", "graders/test_optim.py"],
        ["solutions", "bug:x"],
        device="cuda",
        results=tmp_path / "r.json",
        extra=["-k", "mse"],
        root=tmp_path,
    )
    [args] = seen
    assert code == 1
    assert args[:2] == [
        str(tmp_path / "graders/test_losses.py"),
        str(tmp_path / "graders/test_optim.py"),
    ]
    plugins = [
        "--disable-plugin-autoload",
        "-p",
        "descent.grading.plugin",
        "-p",
        "hypothesispytest",
    ]
    assert args[3:8] == plugins and f"--rootdir={tmp_path}" in args
    for wanted in (
        "--device=cuda",
        "--impl=solutions",
        "--impl=bug:x",
        f"--results={tmp_path / 'r.json'}",
        "--no-grade-summary",
    ):
        assert wanted in args
    assert args[-2:] == ["-k", "mse"]
    seen.clear()
    kit.run_pytest("exercises", ["starter"], quiet=False, root=tmp_path)
    assert "-q" not in seen[0] and not any(a.startswith("--results") for a in seen[0])
