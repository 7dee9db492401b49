"""``docs/reference/commands.md``: every ``descent`` command and its options, read from the
command line's own parsers (:func:`descent.commands.parser`), then the options the grading plugin
adds to pytest (read from its ``pytest_addoption`` hooks, without starting pytest).

Each command is a section titled with its full command line (``## descent course check``, so its
anchor is ``#descent-course-check``): its help, then a table of its arguments and options. The
flags are written here rather than by argparse's help formatter, whose layout changes between
Python versions, so the page is the same on every Python the kit supports.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator
from pathlib import Path

from ..authoring.exercise_table import _cell as cell  # one escape for every table the docs hold
from ..authoring.generated_page import header, prose, table
from . import parser

PAGE = Path("docs") / "reference" / "commands.md"
SOURCE = "the parsers of src/descent/commands/ and the pytest_addoption hooks of the grading plugin"
NO_ARGUMENTS = "No arguments.\n"
# The plugins whose pytest options the page lists, and how each is loaded in a run.
PYTEST_PLUGINS = {
    "descent.grading.plugin": "always (the `pytest11` entry point)",
    "descent.grading.work_count": "with `-p descent.grading.work_count` "
    "(what `descent budget` passes)",
}


def commands(top: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """``(help, parser)`` of every command under ``top``, depth first in declared order; a
    command with subcommands comes before them."""
    for action in top._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for choice in action._choices_actions:  # one per name, aliases left out, in order
            sub = action.choices[choice.dest]
            yield choice.help or "", sub
            yield from commands(sub)


def invocation(action: argparse.Action) -> str:
    """How an argument is written: its flags and the value it takes (``--device {cpu,cuda,all}``,
    ``--impl SPEC``, ``bundle``, ``[time]``)."""
    if action.metavar is not None:
        value = action.metavar if isinstance(action.metavar, str) else " ".join(action.metavar)
    elif action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        value = "{" + ",".join(str(c) for c in action.choices) + "}"
    else:
        value = action.dest if not action.option_strings else action.dest.upper()
    shapes = {
        None: value,
        "?": f"[{value}]",
        "*": f"[{value} ...]",
        "+": f"{value} [{value} ...]",
        argparse.REMAINDER: "...",
    }
    nargs = action.nargs
    taken = " ".join([value] * nargs) if isinstance(nargs, int) else shapes.get(nargs, value)
    if not action.option_strings:
        return taken
    return ", ".join(action.option_strings) + (f" {taken}" if nargs != 0 else "")


def _help(action: argparse.Action, prog: str) -> str:
    """The help text as ``--help`` prints it: ``%(default)s`` and the like filled in."""
    text = action.help or ""
    if "%" not in text:
        return text
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(c) for c in params["choices"])
    return text % dict(params, prog=prog)


def _default(action: argparse.Action) -> str:
    """The default worth showing: none for a switch, a missing value or a suppressed one."""
    value = action.default
    if action.nargs == 0 or value in (None, argparse.SUPPRESS) or value is False:
        return ""
    return f"`{value}`"


def options_table(parser: argparse.ArgumentParser) -> str:
    """A Markdown table of ``parser``'s arguments (``--help`` and hidden ones left out)."""
    rows = []
    for action in parser._actions:
        hidden = action.help is argparse.SUPPRESS
        if hidden or isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        shown = f"`{cell(invocation(action))}`"
        rows.append((shown, _default(action), prose(_help(action, parser.prog))))
    if not rows:
        return NO_ARGUMENTS
    return table(("argument", "default", "meaning"), rows)


def _section(title: str, text: str, parser: argparse.ArgumentParser) -> str:
    """A command's section: its help, its subcommands (linked), then its arguments (left out
    for a command that only groups subcommands)."""
    body = [f"## {title}"]
    if text.strip():
        body.append(prose(text))
    if parser.description and parser.description != text:
        body.append(prose(parser.description))
    subs = [p.prog for _, p in commands(parser) if p.prog.count(" ") == parser.prog.count(" ") + 1]
    if subs:
        body.append("Subcommands: " + ", ".join(f"[{s}](#{anchor(s)})" for s in subs) + ".")
    arguments = options_table(parser)
    if not (subs and arguments == NO_ARGUMENTS):
        body.append(arguments.rstrip("\n"))
    return "\n\n".join(body) + "\n"


def anchor(title: str) -> str:
    """The anchor MkDocs gives a section titled ``title`` (``descent course check`` ->
    ``descent-course-check``)."""
    return "-".join(title.lower().split())


def pytest_options() -> argparse.ArgumentParser:
    """The options the grading plugins add to pytest, collected on a plain argparse parser:
    pytest's ``addoption`` takes argparse's keywords, so each hook runs unchanged."""
    collected = argparse.ArgumentParser(prog="pytest", add_help=False)

    class _Group:  # pytest's parser and option group, as far as the hooks use them
        def getgroup(self, name: str, description: str = "") -> _Group:
            return self

        def addoption(self, *flags: str, **spec) -> None:
            collected.add_argument(*flags, **spec)

    for name in PYTEST_PLUGINS:
        importlib.import_module(name).pytest_addoption(_Group())
    return collected


def page() -> str:
    """The whole page, as Markdown."""
    top = parser()
    sections = [_section(p.prog, text, p) for text, p in commands(top)]
    loaded = "; ".join(f"`{name}` {how}" for name, how in PYTEST_PLUGINS.items())
    plugin = (
        "## pytest options\n\nWhat the kit's pytest plugins add to `pytest` (a grading run "
        f"started by hand: `pytest graders/ --impl solutions`). Loaded: {loaded}.\n\n"
        + options_table(pytest_options())
    )
    index = "\n".join(f"- [{p.prog}](#{anchor(p.prog)})" for _, p in commands(top))
    return (
        header(SOURCE)
        + "\n# Commands\n\nEvery `descent` command, with what `descent COMMAND --help` says of "
        "its arguments, and the options the kit adds to `pytest`.\n\n"
        + index
        + "\n- [pytest options](#pytest-options)\n\n"
        + "\n".join(sections)
        + "\n"
        + plugin
    )
