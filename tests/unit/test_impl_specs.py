"""``--impl KIND:ID`` names one catalogued variant: a typo or a variant of another kind is a
usage error in one line, before any test is collected, never an error per test or an
INTERNALERROR."""

from __future__ import annotations

import pytest
from toykit import SOLUTIONS

from descent import catalogue
from descent.catalogue import BUG, HOLLOW, Variant

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]


@pytest.fixture
def toy_registry(monkeypatch):
    variants = {
        vid: Variant(vid, "losses.mse", "a title long enough", kind)
        for vid, kind in [
            ("mse_sum", BUG),
            ("mse_no_square", BUG),
            ("losses.mse.zeros", HOLLOW),
            ("losses.mse.ones", HOLLOW),
        ]
    }
    monkeypatch.setattr(catalogue, "_REGISTRY", variants)


def test_a_named_variant_of_its_kind_is_found(toy_registry):
    assert catalogue.named(BUG, "mse_sum").id == "mse_sum"


@pytest.mark.parametrize(
    "kind, vid, said",
    [
        (HOLLOW, "losses.mse.zero", "did you mean hollow:losses.mse.zeros"),
        (BUG, "mse_summ", "did you mean bug:mse_sum"),
        (HOLLOW, "nothing_like_it", "2 hollow variants are catalogued (hollow:* grades them all)"),
        (HOLLOW, "mse_sum", "mse_sum is a variant of kind bug: give bug:mse_sum"),
    ],
)
def test_a_typo_or_another_kind_says_what_to_give(toy_registry, kind, vid, said):
    with pytest.raises(KeyError) as raised:
        catalogue.named(kind, vid)
    assert said in raised.value.args[0]


def test_the_run_stops_with_a_usage_error_before_collection(pytester):
    pytester.mkpydir("solutions").joinpath("losses.py").write_text(SOLUTIONS)
    pytester.makepyfile(test_toy="def test_never_runs():\n    raise AssertionError\n")
    result = pytester.runpytest_inprocess(
        "test_toy.py", "-p", "no:cacheprovider", "--impl", "hollow:no_such_answer"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --impl hollow:no_such_answer: no catalogued hollow variant 'no_such_answer'*"]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
