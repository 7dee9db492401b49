"""The documentation site: it builds with ``mkdocs build --strict`` (no broken link, no page left
out of the nav that mkdocs warns of), and each tutorial's commands run as a reader would type
them (issue 83: "each tutorial's commands are run by a test").

How a tutorial is run (what a tutorial's author can count on):

* Every fenced block whose language is ``bash`` runs, in the page's order; blocks written as
  ``text``, ``console`` or anything else are shown and never run (use ``console`` for a
  transcript with prompts and output, ``text`` for output alone).
* Each block runs as ``bash -euo pipefail -c BLOCK``: a failing command, an unset variable or a
  failing stage of a pipe stops it, and the test fails naming the page, the block's line, the
  block and the end of its output.
* All of a page's blocks run in one fresh, empty temporary folder, the same for the whole page;
  each block is a new shell, so a ``cd`` or an ``export`` lasts until the block ends. Start a
  block that needs another folder with its own ``cd``.
* ``PATH`` starts with the bin folder of the Python running the suite (the kit's ``.venv/bin``:
  ``descent``, ``python``, ``pytest``), and ``DESCENT_KIT`` is the kit's root, so a block copies
  from the kit with ``cp -r "$DESCENT_KIT/solutions" .``. Nothing else of the suite's environment
  that changes a grading is passed on (the suite's input secret, pytest's variables).
* A block may take :data:`BLOCK_TIMEOUT_S` seconds. A tutorial that takes over about 30 s in
  all is named in :data:`SLOW`, with its time, and runs in the slow lane (``./dev test --all``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import KIT

TUTORIALS = KIT / "docs" / "tutorials"
RUN = "bash"  # the one language whose blocks are run
BLOCK_TIMEOUT_S = 600
OUTPUT_TAIL = 4000  # characters of a failed block's output the failure shows
# What the suite sets for its own gradings and a reader's shell would not have.
NOT_PASSED_ON = ("PYTEST_", "DESCENT_INPUT_SECRET", "COV_CORE_")

# Tutorials too long for the default lane (over about 30 s), with why; the others run in it.
# Wall times of a whole tutorial on the 2-core development machine, 2026-11-27: alone, and with
# the machine as loaded as the suite loads it (the student's: 13 s alone, 30 s loaded).
SLOW = {
    "instructor-first-class": "grades a class of three twice and exports it: 33 s alone, "
    "70 to 90 s on a loaded machine",
    "author-first-exercise": "scaffolds an exercise in a copy of the kit and audits its module: "
    "21 s alone, 35 to 55 s on a loaded machine",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")


@dataclass(frozen=True)
class Block:
    language: str  # the info string's first word, lower case ("" when none)
    code: str  # the block's text, the fence's indentation taken off
    line: int  # the line of its opening fence, from 1


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order. A block closes at a fence of its own
    character at least as long as the opening one (so a ```` block may show a ``` fence); a
    block indented under a list item has that indentation taken off its lines; a block left
    open runs to the end of the page, as Markdown reads it."""
    found = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body = []
        j = i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if closing and closing["fence"][0] == fence[0] and len(closing["fence"]) >= len(fence):
                if not closing["info"]:
                    break
            line = lines[j]
            body.append(line[indent:] if not line[:indent].strip() else line.lstrip())
            j += 1
        words = opening["info"].split()
        found.append(Block(words[0].lower() if words else "", "\n".join(body) + "\n", i + 1))
        i = j + 1
    return found


def environment() -> dict[str, str]:
    """A reader's shell: the kit's commands first on ``PATH``, ``DESCENT_KIT`` set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_PASSED_ON)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DESCENT_KIT"] = str(KIT)
    return env


def run_page(page: Path, folder: Path) -> str | None:
    """Run the ``bash`` blocks of ``page`` in order in ``folder``; ``None`` when every one
    exited 0, else what went wrong with the first that did not (the others are not run)."""
    env = environment()
    runnable = [b for b in blocks(page.read_text()) if b.language == RUN]
    for number, block in enumerate(runnable, 1):
        started = time.monotonic()
        try:
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block.code],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=BLOCK_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
            code, why = None, f"did not finish in {BLOCK_TIMEOUT_S} s"
        else:
            output, code = done.stdout, done.returncode
            why = f"exited {code}"
        if code != 0:
            return (
                f"{page.name}: bash block {number} of {len(runnable)} (line {block.line}) {why} "
                f"after {time.monotonic() - started:.0f} s:\n{block.code}"
                f"--- its output (the end) ---\n{output[-OUTPUT_TAIL:]}"
            )
    return None


def tutorials() -> list[Path]:
    """The tutorial pages (a folder's ``index.md`` introduces them and is not one)."""
    return sorted(p for p in TUTORIALS.glob("*.md") if p.name != "index.md")


# ----------------------------------------------------------------------------- the site


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: the ci extra installs it")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=KIT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    assert (site / "index.html").is_file()


# ----------------------------------------------------------------------------- the tutorials


def test_there_are_tutorials_and_each_runs_commands():
    assert tutorials(), f"no tutorial in {TUTORIALS.relative_to(KIT)}"
    stale = set(SLOW) - {p.stem for p in tutorials()}
    assert not stale, f"SLOW names tutorials that are not there: {stale}"
    for page in tutorials():
        assert any(b.language == RUN for b in blocks(page.read_text())), (
            f"{page.name} has no ```bash block: nothing of it would be run"
        )


def _lanes(pages: list[Path]) -> list:
    """Each tutorial as a parameter, in the slow lane when :data:`SLOW` names it."""
    return [
        pytest.param(
            p, id=p.stem, marks=[pytest.mark.slow(reason=SLOW[p.stem])] if p.stem in SLOW else []
        )
        for p in pages
    ]


@pytest.mark.parametrize("page", _lanes(tutorials()))
def test_a_tutorials_commands_run(page, tmp_path):
    folder = tmp_path / "reader"
    folder.mkdir()
    failure = run_page(page, folder)
    assert failure is None, failure


# ----------------------------------------------------------------------------- the harness


THROWAWAY = """\
# A throwaway tutorial

```bash
echo made > made.txt
```

Some output, shown and never run:

```text
exit 1
```

```console
$ false
```

1. A step in a list:

    ```bash
    grep -q made made.txt
    test "$DESCENT_KIT" = "{kit}"
    command -v descent
    ```

````markdown
```bash
exit 1
```
````
"""


def test_blocks_are_read_with_their_language_line_and_indentation():
    found = blocks(THROWAWAY.format(kit=KIT))
    assert [(b.language, b.line) for b in found] == [
        ("bash", 3),
        ("text", 9),
        ("console", 13),
        ("bash", 19),
        ("markdown", 25),
    ]
    assert found[3].code.startswith('grep -q made made.txt\ntest "$DESCENT_KIT"')
    assert found[4].code == "```bash\nexit 1\n```\n"  # a longer fence shows a shorter one


def test_a_throwaway_tutorial_runs_its_bash_blocks_only_in_one_folder(tmp_path):
    page = tmp_path / "ok.md"
    page.write_text(THROWAWAY.format(kit=KIT))
    (tmp_path / "reader").mkdir()
    assert run_page(page, tmp_path / "reader") is None
    assert (tmp_path / "reader" / "made.txt").read_text() == "made\n"


@pytest.mark.parametrize(
    "code",
    ["echo before\nfalse\necho after", "echo $NOT_SET_ANYWHERE", "false | cat"],
    ids=["a failing command", "an unset variable", "a failing stage of a pipe"],
)
def test_a_failing_block_fails_the_tutorial_and_is_named(tmp_path, code):
    page = tmp_path / "broken.md"
    page.write_text(
        f"# Broken\n\n```bash\ntrue\n```\n\n```bash\n{code}\n```\n\n```bash\ntouch late\n```\n"
    )
    failure = run_page(page, tmp_path)
    assert failure is not None and "broken.md: bash block 2 of 3 (line 7) exited" in failure
    assert code in failure
    assert not (tmp_path / "late").exists(), "a block after the failing one ran"
    if code.startswith("echo before"):
        assert "before" in failure and "after" not in failure.split("---")[-1]


def test_the_suites_grading_secret_is_not_passed_to_a_tutorial():
    assert "DESCENT_INPUT_SECRET" in os.environ  # tests/conftest.py sets it for the suite
    assert "DESCENT_INPUT_SECRET" not in environment()
