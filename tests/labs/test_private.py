"""The course's secrets and its students' work kept private to the instructor
(``descent.labs.private``): group and other access taken away everywhere under the private names,
without following a link, the folders nbgrader writes into made private from the start, and
what another account wrote into collected work named with its owner."""

from __future__ import annotations

import os
import stat

import pytest

from descent.labs import private

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


def test_what_others_could_reach_is_made_private_and_said(tmp_path):
    (tmp_path / "keys").mkdir(mode=0o755)
    (tmp_path / "keys").chmod(0o755)
    (tmp_path / "keys" / "quiz1.json").write_text("{}")
    (tmp_path / "keys" / "quiz1.json").chmod(0o644)
    (tmp_path / "outside.txt").write_text("x")
    (tmp_path / "outside.txt").chmod(0o644)
    (tmp_path / "keys" / "planted").symlink_to(tmp_path / "outside.txt")
    changed = private.make_private(tmp_path)
    assert "keys: 0755 -> 0700" in changed and "keys/quiz1.json: 0644 -> 0600" in changed
    assert _mode(tmp_path / "keys") == 0o700 and _mode(tmp_path / "keys" / "quiz1.json") == 0o600
    assert _mode(tmp_path / "outside.txt") == 0o644  # the link was not followed
    for folder in private.FOLDERS:  # made, private, for nbgrader to write into
        assert _mode(tmp_path / folder) == 0o700
    assert private.make_private(tmp_path) == []  # nothing left to change


def test_the_guard_changes_nothing_while_descent_reads_the_configuration(tmp_path, monkeypatch):
    (tmp_path / "keys").mkdir(mode=0o755)
    (tmp_path / "keys").chmod(0o755)
    monkeypatch.setenv(private.READING, "1")
    private.guard(tmp_path)
    assert _mode(tmp_path / "keys") == 0o755 and not (tmp_path / "submitted").exists()


def test_entries_written_by_another_account_are_named_with_it(tmp_path):
    work = tmp_path / "submitted" / "bo" / "quiz1"
    work.mkdir(parents=True)
    (work / "quiz1.ipynb").write_text("{}")
    me = os.getuid()
    assert private.written_by_others(work, me) == []
    found = private.written_by_others(work, me + 1)  # as if another account had collected
    assert found[0] == f"bo/quiz1 (by {private.account_name(me)})"
    assert private.account_name(2**31 - 7) == f"uid {2**31 - 7}"
