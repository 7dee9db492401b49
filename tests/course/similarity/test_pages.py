"""The evidence pages (``descent.course.similarity.pages``): the class report links one page per
flagged pair, everything a student wrote is escaped, and a real browser shows the pair side by
side with its fragment."""

from __future__ import annotations

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import pages as evidence  # noqa: E402

from . import similarity_class  # noqa: E402
from .conftest import run_on  # noqa: E402


def test_the_report_links_an_evidence_page_per_flagged_pair(sample, tmp_path):
    code, out = run_on(sample, tmp_path / "sim", assignment="regression,activations")
    assert code == 0, out
    assert "2 flagged" in out and "too short to judge" in out
    index = (tmp_path / "sim" / "index.html").read_text()
    for pair in (similarity_class.COPIED, similarity_class.SHARED_FUNCTION[:2]):
        name = f"pair-{'--'.join(sorted(pair))}.html"
        assert f"href='{name}'" in index
        page = (tmp_path / "sim" / name).read_text()
        assert page.count("<div class='file'>") >= 2 and "<mark class='f0'" in page
        assert "<svg" in page and "this pair" in page
    assert "activations.softmax" in index and "changes no grade" in index


def test_student_text_is_escaped(sample, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    bob = (sample / "bob" / "regression.py").read_text()
    payload = bob.replace("import torch", "import torch\nNOTE = '</pre><script>alert(1)</script>'")
    for name in ("<img src=x onerror=alert(1)>mallory", "trudy"):
        (folder / name).mkdir()
        (folder / name / "regression.py").write_text(payload)
    code, out = run_on(folder, tmp_path / "sim")
    assert code == 0, out
    pages = [p.read_text() for p in (tmp_path / "sim").glob("*.html")]
    assert len(pages) == 2
    for page in pages:
        assert "<script>" not in page and "<img" not in page
    assert any("&lt;script&gt;" in page for page in pages)
    assert evidence.highlighted("a<b", [((1, 2), 0)]).count("&lt;") == 1


def test_headless_chromium_shows_the_pair_side_by_side_with_its_fragment(sample, tmp_path):
    from ..test_html_report import _chromium, _near, screenshot

    browser = _chromium()
    if browser is None:
        pytest.skip("Debian's `chromium` is not installed (.ci/run installs it with apt-get)")
    code, out = run_on(sample, tmp_path / "sim", assignment="regression")
    assert code == 0, out
    pixels = screenshot(
        browser, tmp_path / "sim" / "pair-alice--dave.html", tmp_path / "shot.png", "1400,1600"
    )
    assert _near(pixels, (0x24, 0x40, 0x5F)) > 20_000, "no header band"
    assert _near(pixels, (0xFF, 0xD5, 0x4F), tolerance=8) > 20_000, "no highlighted fragment"
