"""The grading options, declared once (``descent.options``): the checks of their values, the same
flags for argparse and pytest, and what a command passes on to the pytest run it starts."""

from __future__ import annotations

import argparse

import pytest

from descent import options

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast
pytest_plugins = ["pytester"]


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "ten"])
def test_a_time_limit_is_a_positive_finite_number_of_seconds(text):
    with pytest.raises(argparse.ArgumentTypeError):
        options.seconds(text)


def test_values_that_pass_are_kept():
    assert options.seconds("2.5") == 2.5 and options.jobs("0") == 0 and options.jobs("3") == 3
    assert options.scheduler("tcp://10.0.0.2:8786") == "tcp://10.0.0.2:8786"
    assert options.scheduler("[::1]:8786") == "[::1]:8786"
    assert options.selection("mse and not backward") == "mse and not backward"


@pytest.mark.parametrize(
    "check, text, said",
    [
        (options.jobs, "-1", "give 1 or more"),
        (options.jobs, "two", "not a whole number"),
        (options.scheduler, "tcp://host:99999", "not a Dask scheduler address"),
        (options.scheduler, "http://host", "not a Dask scheduler address"),
        (options.selection, "mse and (", "not a pytest -k expression"),
    ],
)
def test_a_bad_value_is_refused_with_the_reason(check, text, said):
    with pytest.raises(argparse.ArgumentTypeError, match=said):
        check(text)


def test_a_command_passes_on_the_options_it_was_given_and_no_others():
    parser = argparse.ArgumentParser()
    options.add_to_argparse(parser)
    args = parser.parse_args(["--insecure", "--call-timeout", "3", "--input-seed", "s"])
    assert options.pytest_args(args) == [
        "--isolation=auto",
        "--insecure",
        "--call-timeout=3.0",
        "--worker-cpu=same",
        "--test-processes=auto",
        "--input-seed=s",
    ]
    some = argparse.ArgumentParser()
    options.add_to_argparse(some, flags=("--isolation",))
    assert options.pytest_args(some.parse_args([])) == ["--isolation=auto"]
    with pytest.raises(SystemExit):
        some.parse_args(["--insecure"])  # not declared for this command


def test_pytest_takes_the_same_declarations(pytester):
    pytester.makeconftest(
        "from descent import options\n\n"
        "def pytest_addoption(parser):\n"
        "    options.add_to_pytest(parser.getgroup('descent-test'))\n"
    )
    pytester.makepyfile(
        test_opt="def test_opt(pytestconfig):\n"
        "    assert pytestconfig.getoption('call_timeout') == 2.0\n"
        "    assert pytestconfig.getoption('isolation') == 'none'\n"
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:descent", "--call-timeout=2", "--isolation=none"
    )
    result.assert_outcomes(passed=1)
    refused = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:descent", "--call-timeout=0"
    )
    assert refused.ret == pytest.ExitCode.USAGE_ERROR


def test_the_generic_only_switch_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv(options.GENERIC_ONLY, raising=False)
    assert not options.generic_only()
    monkeypatch.setenv(options.GENERIC_ONLY, "1")
    assert options.generic_only()
    monkeypatch.setenv(options.GENERIC_ONLY, "yes")
    assert not options.generic_only()
