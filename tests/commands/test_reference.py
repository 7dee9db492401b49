"""docs/reference/commands.md (``descent.commands.reference``): a section per command, at the
anchor its full command line gives, with each of its options; the options the kit's plugins add
to pytest, read here from the plugins' source rather than through the generator. (That the
kit's page is current: tests/test_docs.py.)"""

from __future__ import annotations

import re

import pytest
from conftest import KIT
from reference_pages import FIX, sections

from descent import options
from descent.commands import parser
from descent.commands import reference as command_reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PAGE = command_reference.PAGE


def test_every_command_has_its_section_with_each_of_its_options():
    found = sections(PAGE)
    for _, sub in command_reference.commands(parser()):
        assert sub.prog in found, f"{PAGE}: no section {sub.prog}; {FIX}"
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in found[sub.prog] or f", {flag}" in found[sub.prog], (
                        f"{PAGE}: {sub.prog} lacks {flag}; {FIX}"
                    )


def test_a_command_section_has_the_anchor_its_command_line_gives():
    text = (KIT / PAGE).read_text()
    assert "## descent grade\n" in text and "(#descent-course-check)" in text
    assert command_reference.anchor("descent new-exercise") == "descent-new-exercise"


def test_an_argument_is_written_with_the_value_it_takes():
    shown = {
        sub.prog: [command_reference.invocation(a) for a in sub._actions]
        for _, sub in command_reference.commands(parser())
    }
    assert "--device {cpu,cuda,all}" in shown["descent check"]
    assert "[time]" in shown["descent course set-time"]
    assert "impl [impl ...]" in shown["descent grade"]
    assert "--record" in shown["descent budget"]  # a switch takes no value


def _pytest_flags() -> list[str]:
    """The flags the plugins add to pytest, read from their source (not from the generator)."""
    flags = [option.flag for option in options.ISOLATION]
    for name in command_reference.PYTEST_PLUGINS:
        path = KIT / "src" / (name.replace(".", "/") + ".py")
        flags += re.findall(r"addoption\(\s*\"(--[\w-]+)\"", path.read_text())
    return flags


def test_the_pytest_section_has_every_option_the_plugins_add():
    flags = _pytest_flags()
    assert {"--impl", "--device", "--results", "--isolation", "--work-out"} <= set(flags)
    section = sections(PAGE)["pytest options"]
    missing = [f for f in flags if f"`{f}" not in section]
    assert not missing, f"{PAGE}: pytest options lack {missing}; {FIX}"
    assert r"bug:\*" in section and "&lt;rootdir>" in section  # help shown as typed
