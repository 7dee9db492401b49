"""The seed of a test's inputs (``descent.grading.input_seed``): by default a keyed hash of the
test's id and the code graded, keyed by the course's secret (made once, private, never recorded);
``--input-seed SEED`` one seed for every code; ``fixed`` the kit's per-test seeds. (The key each
test is seeded by, the same on every device, is tested with the plugin.)"""

from __future__ import annotations

import os
import stat

import pytest

from descent.grading import input_seed, plugin_workers
from descent.grading.inputs import seed_for

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

NAME = "graders/test_losses.py::TestMSE::test_forward[3]"


def test_a_seed_is_the_same_in_every_process():
    # Pinned: a seed drawn from Python's per-process string hash, or from anything else that
    # differs between runs, would change these numbers.
    assert seed_for(NAME) == 2113501023
    assert seed_for(NAME, "s3cret", "c0de") == 786525012


def test_every_test_has_its_own_seed():
    keys = [
        "t.py::T::test_a[]",
        "t.py::T::test_b[]",
        "t.py::T::test_a[1]",
        "t.py::T::test_a[2]",
        "u.py::T::test_a[]",
    ]
    for secret, code in (("", None), ("s", None), ("s", "c")):
        seeds = {seed_for(k, secret, code) for k in keys}
        assert len(seeds) == len(keys) and all(0 <= s < 2**31 for s in seeds)


def test_the_same_code_draws_the_same_inputs_and_changed_code_new_ones():
    code = input_seed.code_digest({"losses": "def f(x):\n    return x\n", "helpers": "A = 1\n"})
    again = input_seed.code_digest({"helpers": "A = 1\n", "losses": "def f(x):\n    return x\n"})
    changed = input_seed.code_digest({"losses": "def f(x):\n    return x\n", "helpers": "A = 2\n"})
    renamed = input_seed.code_digest({"losses": "def f(x):\n    return x\n", "helper": "A = 1\n"})
    variant = input_seed.code_digest(
        {"losses": "def f(x):\n    return x\n", "helpers": "A = 1\n"}, "bug:b"
    )
    assert code == again
    assert len({code, changed, renamed, variant}) == 4  # a helper file is part of the code
    assert seed_for(NAME, "s", code) == seed_for(NAME, "s", again)
    assert seed_for(NAME, "s", code) != seed_for(NAME, "s", changed)
    assert seed_for(NAME, "s", code) != seed_for(NAME, "other", code)  # the secret keys it


def test_the_course_secret_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(input_seed.ENV, raising=False)
    secret = input_seed.course_secret(tmp_path)
    path = tmp_path / input_seed.SECRET_FILE
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert input_seed.course_secret(tmp_path) == secret
    input_seed._create(path)  # a grading that started at the same time keeps the first one
    assert input_seed.course_secret(tmp_path) == secret
    assert os.listdir(path.parent) == ["input-secret"]  # no temporary file left behind


def test_the_environment_holds_the_secret_where_a_file_cannot(tmp_path, monkeypatch):
    monkeypatch.setenv(input_seed.ENV, "from-ci")
    assert input_seed.course_secret(tmp_path) == "from-ci"
    assert not (tmp_path / ".descent").exists()


def test_a_secret_that_cannot_be_made_stops_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(input_seed.ENV, raising=False)
    (tmp_path / ".descent").write_text("a file where the folder belongs")
    with pytest.raises(input_seed.SecretError, match=f"input-secret.*{input_seed.ENV}"):
        input_seed.course_secret(tmp_path)
    (tmp_path / ".descent").unlink()
    (tmp_path / input_seed.SECRET_FILE).parent.mkdir()
    (tmp_path / input_seed.SECRET_FILE).write_text("\n")
    with pytest.raises(input_seed.SecretError, match="empty"):
        input_seed.course_secret(tmp_path)


def test_the_options_choose_how_a_grading_draws(tmp_path, monkeypatch):
    monkeypatch.setenv(input_seed.ENV, "s3cret")
    keyed = input_seed.choose(None, tmp_path)
    assert keyed.keyed and keyed.seed(NAME, "c0de") == seed_for(NAME, "s3cret", "c0de")
    recorded = keyed.recorded()
    assert recorded == "course:" + input_seed.fingerprint("s3cret") and "s3cret" not in recorded
    fixed = input_seed.choose("fixed", tmp_path)
    assert fixed.seed(NAME, "a") == fixed.seed(NAME, "b") == seed_for(NAME)
    assert fixed.recorded() == "fixed"
    given = input_seed.choose("term-1", tmp_path)
    assert given.seed(NAME, "a") == given.seed(NAME, "b") == seed_for(NAME, "term-1")
    assert given.recorded() == "term-1"
    with pytest.raises(input_seed.SecretError, match="without --input-seed"):
        input_seed.choose(recorded, tmp_path)


def test_a_property_test_draws_from_its_seed_and_nothing_else_is_touched():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.integers(0, 10**9))
    def prop(n):
        pass

    input_seed.seed_hypothesis(prop, 1234)
    assert prop._hypothesis_internal_use_seed == 1234
    plain = lambda: None  # noqa: E731 - not a hypothesis test
    input_seed.seed_hypothesis(plain, 1234)
    kit_run = given(st.integers())(lambda n: None)
    input_seed.seed_hypothesis(kit_run, None)  # the fixed seeds: its derandomized examples
    assert not hasattr(plain, "_hypothesis_internal_use_seed")
    assert getattr(kit_run, "_hypothesis_internal_use_seed", None) is None


def test_a_secret_given_to_the_environment_for_a_block_is_taken_back(monkeypatch):
    monkeypatch.delenv(input_seed.ENV, raising=False)
    with input_seed.secret_in_environment("draw-1"):
        assert os.environ[input_seed.ENV] == "draw-1"
    assert input_seed.ENV not in os.environ


def test_the_inputs_are_keyed_to_the_helper_files_too(tmp_path):
    """An exercise module that imports its answers from _tab.py kept its key while the table
    grew: the same inputs came back grading after grading (4.29/10 after three)."""
    digests = []
    for rows in ("{}", "{(1, 2): 3.0}"):
        sub = tmp_path / f"sub{len(digests)}"
        sub.mkdir()
        (sub / "losses.py").write_text("from ._tab import TABLE\n")
        (sub / "_tab.py").write_text(f"TABLE = {rows}\n")
        digests.append(input_seed.code_digest(plugin_workers._taken_sources(sub)))
    assert digests[0] != digests[1]
