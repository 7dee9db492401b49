"""The roster (``descent.course.roster``): one person per id, email and login, compared as the
systems that match them do; every line at fault listed; and an entry that is not on the roster
flagged, with whose other identifier it is when it is one."""

from __future__ import annotations

import pytest

from descent.course import roster

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

HEADER = "id,first_name,last_name,email,section,sis_login_id\n"


def _write(tmp_path, rows: str):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_people_are_read_by_id(tmp_path):
    people = roster.read_roster(_write(tmp_path, "ann,Ann,Doe,ann@x.edu,S1,ann.d\n\n"))
    assert list(people) == ["ann"] and people["ann"].sis_login_id == "ann.d"
    assert roster.read_roster(None) == {} and roster.read_roster(tmp_path / "none.csv") == {}


def test_one_value_naming_two_people_is_refused_with_every_line(tmp_path):
    path = _write(
        tmp_path,
        "ann,Ann,Doe,ann@x.edu,S1,ann.d\n"
        "ANN,Ann,Roe,other@x.edu,S1,\n"  # the same id, another case
        "bo,Bo,Li,Ann@X.edu,S1,\n"  # ann's email
        "cy,Cy,Wu,cy@x.edu,S1,bo\n"  # bo's id as a login
        ",,,,,\n"
        ",Dee,,,,\n",  # a row without an id
    )
    with pytest.raises(roster.RosterError) as raised:
        roster.read_roster(path)
    message = str(raised.value)
    assert "names someone twice (4 problem(s))" in message
    assert "line 3: id 'ANN' is also the id of 'ann' (line 2)" in message
    assert "line 4: email 'Ann@X.edu' is also the email of 'ann' (line 2)" in message
    assert "line 5: sis_login_id 'bo' is also the id of 'bo' (line 4)" in message
    assert "line 7: no id" in message


def test_a_roster_without_ids_or_that_is_no_file_is_refused(tmp_path):
    (tmp_path / "roster.csv").write_text("name\nann\n")
    with pytest.raises(roster.RosterError, match="a roster needs an id column"):
        roster.read_roster(tmp_path / "roster.csv")
    with pytest.raises(roster.RosterError, match="is not a file"):
        roster.read_roster(tmp_path)


def test_an_entry_not_on_the_roster_is_flagged_with_whose_identifier_it_is(tmp_path):
    people = roster.read_roster(_write(tmp_path, "ann,Ann,Doe,ann@x.edu,S1,ann.d\n"))
    assert roster.not_on_roster(people, "ann") == "" and roster.not_on_roster({}, "zed") == ""
    flag = roster.not_on_roster(people, "ann@x.edu")
    assert flag.startswith("not on the roster") and "'ann@x.edu' is the email of 'ann'" in flag
    assert "differs from the roster's 'ann' only in case" in roster.not_on_roster(people, "Ann")
    assert "rename" not in roster.not_on_roster(people, "zed")
