"""Finding and reading a student's test file (``descent.testwriting.sources``): at the top of a
submission folder or of a zip (or in its one folder), read as UTF-8 text only; a link, a folder,
a file too large or not UTF-8 is refused with a reason, and a notebook holds none."""

from __future__ import annotations

import os
import zipfile

import pytest

from descent.calls.impl import FolderImplementation
from descent.testwriting import sources

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class Submitted:
    """What the plugin knows of a submission graded in a worker: where it came from."""

    def __init__(self, path):
        self.intake = {"source": str(path)}


def test_a_folder_s_file_is_read(tmp_path):
    (tmp_path / "test_mse.py").write_text("def test_a(impl):\n    pass\n")
    found = sources.read(Submitted(tmp_path), "test_mse.py")
    assert found.text.startswith("def test_a") and found.label == "test_mse.py"
    assert sources.read(FolderImplementation(tmp_path), "test_mse.py").text == found.text


@pytest.mark.parametrize("member", ["test_mse.py", "alice/test_mse.py"])
def test_a_zip_s_file_is_read_at_its_top_or_in_its_folder(tmp_path, member):
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__MACOSX/test_mse.py", "junk")
        zf.writestr("deep/er/test_mse.py", "too deep")
        zf.writestr(member, "def test_a(impl):\n    pass\n")
    assert sources.read(Submitted(archive), "test_mse.py").text.startswith("def test_a")


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda p: None, "test_mse.py was not handed in"),
        (lambda p: os.symlink(KIT / "solutions" / "test_mse.py", p), "not a regular file"),
        (lambda p: p.mkdir(), "not a regular file"),
        (lambda p: p.write_bytes(b"x" * (sources.MAX_BYTES + 1)), "larger than 256 KiB"),
        (lambda p: p.write_bytes(b"\xff\xfe"), "not UTF-8"),
    ],
    ids=["missing", "link", "folder", "large", "bytes"],
)
def test_what_cannot_be_read_is_refused_with_its_reason(tmp_path, make, why):
    make(tmp_path / "test_mse.py")
    with pytest.raises(sources.Missing, match=why):
        sources.read(Submitted(tmp_path), "test_mse.py")


def test_a_single_file_or_notebook_holds_no_test_file(tmp_path):
    notebook = tmp_path / "work.ipynb"
    notebook.write_text("{}")
    with pytest.raises(sources.Missing, match="hand in test_mse.py beside your modules"):
        sources.read(Submitted(notebook), "test_mse.py")


def test_a_catalogued_variant_has_the_folder_it_patches():
    class Patched:
        base = FolderImplementation(KIT / "solutions")

    assert sources.origin(Patched()) == KIT / "solutions"
