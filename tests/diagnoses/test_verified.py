"""A cause is named only once verified (``descent.diagnoses.verified``): reproduced on every
failing check of the exercise and on a second input, contradicted by no passing check; anything
else is worded as an observation, and code that fails checks for two reasons is told so."""

from __future__ import annotations

import types

import pytest
import torch

from descent.calls.impl import Implementation
from descent.diagnoses.base import Diagnosis, NotApplicable
from descent.diagnoses.ledger import Ledger, Record
from descent.diagnoses.neighbour import neighbour
from descent.diagnoses.values import either
from descent.diagnoses.verified import settle
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GEN = torch.Generator().manual_seed(5)
X = torch.randn(6, 4, generator=GEN, dtype=torch.float64)
Y = torch.randn(5, 3, generator=GEN, dtype=torch.float64)


class _Impl(Implementation):
    """An implementation whose modules all hold the same plain functions (recipes use ``losses``)."""

    def __init__(self, name="student", **fns):
        super().__init__(name)
        self.fns = types.SimpleNamespace(**fns)

    def module(self, name):
        return self.fns


def _reference():
    return _Impl("reference", scale=lambda x: x.mean(0), shift=lambda x: x + 1)


class _Bug:
    """A catalogued bug in the shape the checker names (``apply`` gives its implementation)."""

    def __init__(self, id, title, functions, **fns):
        self.id, self.title, self.hint, self.functions = id, title, "the bug's hint", functions
        self.fns = fns

    def apply(self, base):
        return _Impl(f"bug:{self.id}", **{**vars(base.fns), **self.fns})


def _grade(student, recipes, bugs=(), reference=None):
    """Run each recipe through ``Checker.matches`` as a grader would, report the failures,
    settle the ledger; the failures, in order."""
    reference = reference or _reference()
    book, failures = Ledger(None), []
    for recipe in recipes:
        checker = Checker(student, reference, None, bugs, ledger=book)
        try:
            checker.matches(recipe, "m output")
        except GradingFailure as failure:
            failure.resolve()
            book.reported(failure, None)
            failures.append(failure)
    settle({("student", None): book}, reference)
    return failures


def _settled(cases, reference=None):
    """Report one failure per ``(found, record)`` in ``cases`` (a check's own generic reading
    and its comparison), settle the ledger; the failures, in order."""
    book, failures = Ledger(None), []
    for found, record in cases:
        failure = GradingFailure("[x] differs", generic=lambda f=found: f, record=record)
        book.reported(failure.resolve(), None)
        failures.append(failure)
    settle({("student", None): book}, reference or _reference())
    return failures


def test_one_comparison_is_an_observation_and_the_same_reading_on_two_checks_a_cause():
    x, y = X, Y
    summed = _Impl(scale=lambda v: v.sum(0), shift=lambda v: v + 1)
    # X is a module global, not an input the recipe closes over: no neighbour to cut either
    (alone,) = _grade(summed, [lambda m: m.losses.scale(X)])
    assert alone.diagnosis is None and "likely mistake" not in str(alone)
    assert "observed: your result is the expected times a constant (6)" in str(alone)
    (cut,) = _grade(summed, [lambda m: m.losses.scale(x)])  # the neighbour is a second input
    assert cut.diagnosis == "sum-mean"
    both = _grade(summed, [lambda m: m.losses.scale(x), lambda m: m.losses.scale(y)])
    assert [f.diagnosis for f in both] == ["sum-mean", "sum-mean"]
    assert all("likely mistake: your result is" in str(f) for f in both)


def test_a_catalogued_bug_that_one_failing_check_does_not_reproduce_is_not_named():
    x, y = X, Y
    # the student shifts by 2 on one input and by 3 on the other: no single slip does both
    student = _Impl(scale=lambda v: v.mean(0) + (2 if v.shape[0] == 6 else 3), shift=None)
    bug = _Bug("plus_two", "adds 2", ("scale",), scale=lambda v: v.mean(0) + 2)
    failures = _grade(student, [lambda m: m.losses.scale(x), lambda m: m.losses.scale(y)], [bug])
    assert failures[0].variant is bug  # it matched the first check alone
    assert all(f.misconception is None and "adds 2" not in str(f) for f in failures)


def test_a_slip_that_a_passing_check_contradicts_is_not_named():
    x, y, z = X, Y, torch.zeros(3, 2, dtype=torch.float64)
    # right on zeros, off by the same slip elsewhere: the bug adds 2 everywhere, zeros included
    student = _Impl(scale=lambda v: v.mean(0) + 2 * bool(v.any()), shift=None)
    bug = _Bug("plus_two", "adds 2", ("scale",), scale=lambda v: v.mean(0) + 2)
    failures = _grade(
        student,
        [lambda m: m.losses.scale(x), lambda m: m.losses.scale(y), lambda m: m.losses.scale(z)],
        [bug],
    )
    # a reading of the values (plus 2) explains every failing check: the contradicted bug is
    # not named over it
    assert len(failures) == 2 and all(f.misconception is None for f in failures)
    named = _grade(
        _Impl(scale=lambda v: v.mean(0) + 2, shift=None),
        [lambda m: m.losses.scale(x), lambda m: m.losses.scale(y)],
        [bug],
    )
    assert all(f.misconception == "plus_two" and "adds 2" in str(f) for f in named)
    assert all("hint: the bug's hint" in str(f) for f in named)


def _two_slips():
    """A student who sums where the reference averages and subtracts 1 where it adds, with the
    two catalogued bugs that say so."""
    student = _Impl(scale=lambda v: v.sum(0), shift=lambda v: v - 1)
    summed = _Bug("summed", "sums where it averages", ("scale",), scale=lambda v: v.sum(0))
    minus = _Bug("minus", "subtracts 1", ("shift",), shift=lambda v: v - 1)
    return student, summed, minus


def test_checks_failing_for_two_reasons_say_so():
    x, y = X, Y
    student, summed, minus = _two_slips()
    recipes = [
        lambda m: m.losses.scale(x),
        lambda m: m.losses.scale(y),
        lambda m: m.losses.shift(x),
        lambda m: m.losses.shift(y),
    ]
    failures = _grade(student, recipes, [summed, minus])
    assert [f.misconception for f in failures] == ["summed", "summed", "minus", "minus"]
    first, last = str(failures[0]), str(failures[-1])
    assert "likely mistake: your result matches code that sums where it averages" in first
    assert "other checks of this exercise fail for another reason: " in first
    assert "subtracts 1" in first and "sums where it averages" in last
    # readings of the values, each on some checks, that together account for all of them
    readings = _grade(student, recipes)
    assert [f.diagnosis for f in readings] == ["sum-mean", "sum-mean", "offset", "offset"]
    assert "plus a constant" in str(readings[0]) and "times the expected" in str(readings[2])


def test_a_slip_the_check_accepts_where_the_student_passed_contradicts_nothing():
    # A loose check (float32 on large inputs, rtol 1e-3) takes both the bug's result and the
    # student's, which differ beyond a slip's match tolerance (another rounding of the same
    # formula): the student passing it says nothing against the bug the other checks show.
    x, y, big = X, Y, 1e4 + torch.randn(5, 2, generator=GEN, dtype=torch.float64)
    student = _Impl(scale=lambda v: v.mean(0) + (2.5 if v.min() > 1e3 else 2), shift=None)
    bug = _Bug("plus_two", "adds 2", ("scale",), scale=lambda v: v.mean(0) + 2)
    reference, book, failures = _reference(), Ledger(None), []
    for recipe, rtol in (
        (lambda m: m.losses.scale(x), 1e-7),
        (lambda m: m.losses.scale(y), 1e-7),
        (lambda m: m.losses.scale(big), 1e-3),
    ):
        checker = Checker(student, reference, None, [bug], ledger=book)
        try:
            checker.matches(recipe, "m output", rtol=rtol)
        except GradingFailure as failure:
            failure.resolve()
            book.reported(failure, None)
            failures.append(failure)
    settle({("student", None): book}, reference)
    assert len(failures) == 2  # the loose check passed
    assert all(f.misconception == "plus_two" and "adds 2" in str(f) for f in failures)


Z = torch.randn(7, 3, generator=GEN, dtype=torch.float64)  # a module global: no neighbour


def test_a_reading_on_some_checks_alone_names_nothing():
    x, y = X, Y
    # summed on two inputs (and their neighbours), its sign flipped on a third: nothing names all
    student = _Impl(scale=lambda v: v.sum(0) if v.shape[0] != 7 else -v.mean(0))
    recipes = [
        lambda m: m.losses.scale(x),
        lambda m: m.losses.scale(y),
        lambda m: m.losses.scale(Z),
    ]
    failures = _grade(student, recipes)
    assert len(failures) == 3 and all(f.diagnosis is None for f in failures)
    assert "observed: your result is 6 times the expected" in str(failures[0])
    assert "observed: your result is the expected with its sign flipped" in str(failures[2])


def test_a_fact_the_check_saw_needs_no_second_check():
    found = Diagnosis("dtype", "the result is float32 where float64 is expected: built so")
    failure = GradingFailure("[x] differs", generic=lambda: found).resolve()
    assert failure.diagnosis == "dtype" and "likely mistake: the result is float32" in str(failure)


def test_the_neighbour_cuts_the_batch_of_every_tensor_sized_like_it():
    x, w, labels = X, torch.ones(4, 7, dtype=torch.float64), torch.arange(6)

    def helper(m):
        return m.f(x, w, labels)

    def recipe(m):
        return helper(m)

    near = neighbour(recipe)
    seen = {}
    near(types.SimpleNamespace(f=lambda *args: seen.setdefault("shapes", [a.shape for a in args])))
    assert seen["shapes"] == [(5, 4), (4, 7), (5,)]
    assert x.shape == (6, 4)  # the recipe's own inputs are untouched
    assert neighbour(lambda m: m.f(1.5)) is None  # numbers only: no batch to cut


def test_a_check_whose_recipe_gives_another_input_by_the_end_neither_confirms_nor_refutes():
    x, y, zeros = X, Y, torch.zeros(4, 2, dtype=torch.float64)
    tripled = _Bug("tripled", "triples the mean", ("scale",), scale=lambda v: v.mean(0) * 3)
    student = _Impl(scale=lambda v: v.mean(0) * 3, shift=None)
    # each recipe reads the loop's variable when it runs: once every check has run, the first
    # (passed: three times zero is zero) computes on y, where the bug gives something else
    recipes = (lambda m: m.losses.scale(v) for v in (zeros, x, y))
    failures = _grade(student, recipes, [tripled])
    assert len(failures) == 2
    assert all(f.misconception == "tripled" for f in failures)


def test_a_cause_seen_on_the_only_failing_check_it_can_be_weighed_on_is_named():
    zeros = torch.zeros(4, 2, dtype=torch.float64)
    # X is a module global: one failing comparison, no neighbour; the checks passed on zeros
    # agree with the slip, so it is checked against every comparison of the exercise
    tripled = _Bug("tripled", "triples the mean", ("scale",), scale=lambda v: v.mean(0) * 3)
    student = _Impl(scale=lambda v: v.mean(0) * 3, shift=None)
    failures = _grade(
        student, [lambda m: m.losses.scale(zeros), lambda m: m.losses.scale(X)], [tripled]
    )
    assert [f.misconception for f in failures] == ["tripled"]
    assert "likely mistake: your result matches code that triples the mean" in str(failures[0])


def test_several_slips_that_fit_one_check_are_told_apart_by_the_others():
    reference = _reference()
    student = _Impl(scale=lambda v: v.mean(0) * 2, shift=None)
    doubled = _Impl(scale=lambda v: v.mean(0) * 2, shift=None)
    plus_mean = _Impl(scale=lambda v: v.mean(0) + v.mean(0).abs(), shift=None)  # same on X > 0

    def slip(impl):
        return Diagnosis(
            "factor" if impl is doubled else "offset",
            f"slip {impl is doubled}",
            lambda recipe, ref: recipe(impl),
        )

    positive = X.abs()
    recipes = [lambda m: m.losses.scale(positive), lambda m: m.losses.scale(-positive)]
    # both slips fit the first check alone
    cases = [
        (either([slip(plus_mean), slip(doubled)]), Record(r, r(student), r(reference), True))
        for r in recipes
    ]
    failures = _settled(cases, reference)
    assert [f.diagnosis for f in failures] == ["factor", "factor"]
    assert all("likely mistake: slip True" in str(f) for f in failures)


def test_a_ratio_no_quantity_names_is_a_cause_only_on_every_failing_check_and_two_at_least():
    x, y = X, Y
    scaled = _Impl(scale=lambda v: v.mean(0) * (1.37 if v.shape[0] > 5 else 1.61), shift=None)
    failures = _grade(scaled, [lambda m: m.losses.scale(x), lambda m: m.losses.scale(y)])
    assert [f.diagnosis for f in failures] == ["factor", "factor"]
    assert "likely mistake: your result is the expected times a constant (1.37)" in str(failures[0])
    assert "times a constant (1.61)" in str(failures[1])  # each check in its own numbers
    (alone,) = _grade(scaled, [lambda m: m.losses.scale(X)])  # one comparison, no neighbour
    assert alone.diagnosis is None and "observed: your result is the expected times" in str(alone)


def test_a_cause_weighed_on_one_of_two_failing_checks_with_values_is_not_named():
    def tripled_on_six_rows(v):
        if v.shape[0] != 6:
            raise NotApplicable  # the slip cannot say what it gives here
        return v.mean(0) * 3

    tripled = _Bug("tripled", "triples the mean", ("scale",), scale=tripled_on_six_rows)
    student = _Impl(scale=lambda v: v.mean(0) * (3 if v.shape[0] == 6 else -1), shift=None)
    # X and Y are module globals: two failing comparisons and no neighbours; the bug gives the
    # student's result on the first and nothing on the second, so one input is all it has
    failures = _grade(
        student, [lambda m: m.losses.scale(X), lambda m: m.losses.scale(Y)], [tripled]
    )
    assert len(failures) == 2 and all(f.misconception is None for f in failures)


def test_a_property_check_s_own_reading_is_weighed_like_a_comparison_s():
    # two statistics checks (p = 0.3 and p = 0.75) compare with no expected value but each read
    # what it measured the same way: the reading holds on every failing check
    found = Diagnosis("factor", "the scale of your kept entries is the reciprocal of the expected")
    failures = _settled(
        [(found, Record(lambda m: None, torch.tensor([1 - p]), None, True)) for p in (0.3, 0.75)]
    )
    assert [f.diagnosis for f in failures] == ["factor", "factor"]
    assert "likely mistake: the scale of your kept entries is the reciprocal" in str(failures[0])


def test_an_overflow_a_stability_check_saw_needs_no_second_check():
    found = Diagnosis("stability", "your code overflowed: exp of a large number")
    failure = GradingFailure("[stability] raised", check="stability", generic=lambda: found)
    failure.resolve()
    assert failure.diagnosis == "stability" and "likely mistake: your code overflowed" in str(
        failure
    )
    elsewhere = GradingFailure(
        "[reference value] raised", check="reference value", generic=lambda: found
    )
    assert elsewhere.resolve().diagnosis is None  # on another check it is a reading to verify


def test_one_change_of_a_trajectory_by_a_ratio_no_quantity_names_stays_an_observation():
    # any slip of an update (a bias correction, a step that never advances) scales some change
    # of the trajectory by some ratio, the same one wherever the hyperparameters are the same
    text = (
        "from its first entry (right) to its second, your sequence changes by the expected "
        "change times a constant (1.344): the formula is right up to a scale factor"
    )
    found = Diagnosis("factor", text)
    failures = _settled([(found, Record(lambda m: None, torch.ones(3), None, True))] * 2)
    assert all(f.diagnosis is None and "likely mistake" not in str(f) for f in failures)
    assert "observed: from its first entry (right) to its second" in str(failures[0])


def test_a_reading_on_one_of_two_failing_checks_is_not_named():
    # the second check failed too (float32 values, which no reading is weighed on): the pattern
    # the first check's values show may be chance, and nothing confirms it
    found = Diagnosis("broadcast", "your result is the same at every index of dimension 0")
    failures = _settled(
        [
            (
                generic,
                Record(lambda m: None, torch.zeros(4, dtype=d), torch.arange(4.0, dtype=d), True),
            )
            for d, generic in ((torch.float64, found), (torch.float32, None))
        ]
    )
    assert all(f.diagnosis is None for f in failures)
    assert "observed: your result is the same at every index" in str(failures[0])


def test_readings_of_one_kind_that_together_hold_on_every_failing_check_name_that_kind():
    ahead = Diagnosis("step", "your sequence runs one step ahead")
    elsewhere = Diagnosis("step", "your sequence changes at other steps")
    failures = _settled(
        [(f, Record(lambda m: None, torch.ones(3), None, True)) for f in (ahead, ahead, elsewhere)]
    )
    assert [f.diagnosis for f in failures] == ["step", "step", "step"]
    assert "likely mistake: your sequence runs one step ahead" in str(failures[0])
    assert "likely mistake: your sequence changes at other steps" in str(failures[2])


def test_a_catalogued_bug_a_check_saw_through_its_own_fact_is_named_on_that_check():
    x = X.clone()

    def mean_in_place(v):
        out = v.mean(0)
        v.zero_()  # the input edited: the values returned are still right
        return out

    # the catalogued bug's values equal the expected: no re-run can reproduce a difference, the
    # check's own fact (the argument it saw edited, the float32 result) is what establishes it
    edits = _Bug("edits", "zeroes its input", ("scale",), scale=mean_in_place)
    (edited,) = _grade(
        _Impl(scale=mean_in_place, shift=None), [lambda m: m.losses.scale(x)], [edits]
    )
    assert edited.misconception == "edits" and edited.diagnosis == "inplace"
    assert "likely mistake: your result matches code that zeroes its input" in str(edited)
    single = _Bug("single", "returns float32", ("scale",), scale=lambda v: v.mean(0).float())
    (narrow,) = _grade(
        _Impl(scale=lambda v: v.mean(0).float(), shift=None),
        [lambda m: m.losses.scale(X)],
        [single],
    )
    assert narrow.misconception == "single" and narrow.diagnosis == "dtype"


def _edited(fn, *args):
    """``fn`` on clones of ``args``, or a marker where it edited one (as the optimizer graders
    do): the marker does not say which."""
    fresh = [a.clone() for a in args]
    out = fn(*fresh)
    return out if all(torch.equal(f, a) for f, a in zip(fresh, args)) else "arguments edited"


def test_a_marker_that_some_argument_was_edited_names_no_bug_that_edits_another():
    x, y = X[:, :3].clone(), Y[:3].clone()

    def add(v, w, edit):
        out = v + w.mean()
        (v if edit == "first" else w).mul_(2)
        return out

    # the catalogued bug edits the second argument, the student's code the first: the check's
    # marker is the same string for both, which establishes nothing about the bug
    second = _Bug("second", "doubles w", ("shift",), shift=lambda v, w: add(v, w, "second"))
    reference = _Impl("reference", scale=None, shift=lambda v, w: v + w.mean())
    failures = _grade(
        _Impl(scale=None, shift=lambda v, w: add(v, w, "first")),
        [lambda m: _edited(m.losses.shift, x, y), lambda m: _edited(m.losses.shift, y, x)],
        [second],
        reference,
    )
    assert failures and all(f.variant is second for f in failures)
    assert all(f.misconception is None and "doubles w" not in str(f) for f in failures)


def test_a_catalogued_bug_a_refusal_check_saw_go_through_is_named_there():
    def mean_of_a_matrix(v):
        if v.ndim != 2:
            raise ValueError("a matrix, please")
        return v.mean(0)

    reference = _Impl("reference", scale=mean_of_a_matrix, shift=None)
    unchecked = _Bug(
        "unchecked", "takes the mean of any tensor", ("scale",), scale=lambda v: v.mean(0)
    )
    student, book = _Impl(scale=lambda v: v.mean(0), shift=None), Ledger(None)
    checker = Checker(student, reference, None, [unchecked], ledger=book)
    call = lambda m: m.losses.scale(torch.ones(3))  # noqa: E731 - the call the check makes
    got = call(student)
    try:  # what graders/expect.py's value_error does when the call returns
        checker.fail(
            "scale returned Tensor instead of raising ValueError",
            check="errors",
            diagnosis=lambda: checker.diagnose(call, got, what="scale"),
        )
    except GradingFailure as failure:
        book.reported(failure.resolve(), None)
        refusal = failure
    settle({("student", None): book}, reference)
    assert refusal.misconception == "unchecked" and refusal.diagnosis == "validation"
    assert "likely mistake: your result matches code that takes the mean of any" in str(refusal)


def test_a_non_finite_reading_is_never_carried_to_a_check_whose_values_are_finite():
    # two edge cases (p = 0 and p = 1) saw NaN where the expected is finite; a statistics check
    # that failed with finite values (a drop rate off) and read nothing itself must not be told
    # its result has NaN: that reading holds where the values show it, not elsewhere
    nan = Diagnosis("stability", "your result has NaN where the expected is finite")
    bad = torch.tensor([float("nan"), 1.0, 2.0], dtype=torch.float64)
    edge = [
        (nan, Record(lambda m: None, bad, torch.ones(3, dtype=torch.float64), True)) for _ in "01"
    ]
    rate = (None, Record(lambda m: None, torch.tensor([0.24]), None, True))
    failures = _settled([*edge, rate])
    assert [f.diagnosis for f in failures[:2]] == ["stability", "stability"]
    assert failures[2].diagnosis is None and "NaN" not in str(failures[2])


def _ce(x, y):
    z = x - x.amax(dim=1, keepdim=True)
    return (z.exp().sum(1).log() - z.gather(1, y[:, None])[:, 0]).mean()


def test_a_bug_that_gives_nan_alike_but_not_for_the_same_reason_is_not_named():
    # (issue 57) a cross-entropy that subtracts each row's maximum and then takes the log of
    # the softmax, written with a one-hot product (0 * -inf: NaN); a catalogued bug that never
    # subtracts the maximum gives NaN too on large logits. NaN equals NaN: what each code does
    # once the rows are moved (each row's largest value at 0) tells them apart
    def log_of_softmax(x, y):
        e = (x - x.amax(dim=1, keepdim=True)).exp()
        onehot = torch.nn.functional.one_hot(y, x.shape[1]).to(x.dtype)
        return -(onehot * (e / e.sum(1, keepdim=True)).log()).sum(1).mean()

    def no_max(x, y):
        e = x.exp()
        onehot = torch.nn.functional.one_hot(y, x.shape[1]).to(x.dtype)
        return -(onehot * (e / e.sum(1, keepdim=True)).log()).sum(1).mean()

    g = torch.Generator().manual_seed(9)

    def recipe(n):
        x = 1e3 * torch.randn(n, 4, generator=g) + 3e3 * torch.arange(float(n))[:, None]
        y = torch.arange(n) % 4
        return lambda m: m.losses.ce(x, y)

    recipes = [recipe(5), recipe(4)]
    reference = _Impl("reference", ce=_ce)
    bug = _Bug("ce_no_max", "never subtracts the row maximum", ("ce",), ce=no_max)
    student = _Impl(ce=log_of_softmax)
    assert torch.isnan(recipes[0](student)) and torch.isnan(recipes[0](bug.apply(reference)))
    failures = _grade(student, recipes, bugs=[bug], reference=reference)
    assert all(f.misconception is None for f in failures)
    assert all("reaches a log" in str(f) for f in failures)


def test_a_partial_cause_whose_checks_another_explains_too_gives_way_to_it():
    # the student sums where the reference averages, on every input; a second catalogued slip
    # sums only on inputs of four or three columns: it reproduces two of those checks, the first
    # all three, so the first is named on each (a textbook's eps typed in as 1e-6 read as "eps
    # squared" on the one check that passed eps=1e-3 is the same case)
    z = torch.randn(7, 2, generator=GEN, dtype=torch.float64)
    student, summed, minus = _two_slips()
    narrow = _Bug(
        "narrow", "sums where it averages on wide inputs", ("scale",),
        scale=lambda v: v.sum(0) if v.shape[1] > 2 else v.mean(0),
    )  # fmt: skip
    recipes = [
        lambda m: m.losses.scale(X),
        lambda m: m.losses.scale(Y),
        lambda m: m.losses.scale(z),
        lambda m: m.losses.shift(X),
        lambda m: m.losses.shift(Y),
    ]
    failures = _grade(student, recipes, [narrow, summed, minus])
    assert [f.misconception for f in failures] == ["summed"] * 3 + ["minus"] * 2
    assert "on wide inputs" not in "".join(map(str, failures))


def test_a_reading_is_not_carried_to_a_result_of_another_shape():
    # the forward's results read twice the expected on two checks; the backward's result has
    # another shape (a gradient summed over the batch): no values there to carry the reading to
    twice = Diagnosis("factor", "your result is twice the expected")
    read = [(twice, Record(lambda m: None, 2 * v, v, True)) for v in (X, Y)]
    flat = (None, Record(lambda m: None, torch.ones(5, dtype=torch.float64), X, True))
    failures = _settled([*read, flat])
    assert [f.diagnosis for f in failures[:2]] == ["factor", "factor"]
    assert failures[2].diagnosis is None and "twice" not in str(failures[2])


def test_a_factor_is_carried_only_to_a_float32_result_that_is_that_factor_times_the_expected():
    """(DTU learners) a cross-entropy summed where a mean belongs reads "5 times the expected"
    on the float64 checks; on a float32 check of large logits, where a floor under its log
    caps the loss, the result is no multiple of the expected, and the reading is not said."""
    twice = Diagnosis("factor", "your result is twice the expected", origin="constant_factor")
    read = [(twice, Record(lambda m: None, 2 * v, v, True)) for v in (X, Y)]
    capped = (None, Record(lambda m: None, X.float() * 0.3, X.float(), True))
    doubled = (None, Record(lambda m: None, Y.float() * 2, Y.float(), True))
    failures = _settled([*read, capped, doubled])
    assert [f.diagnosis for f in failures[:2]] == ["factor", "factor"]
    assert "twice" not in str(failures[2])
    assert "twice" in str(failures[3])


def test_a_partial_cause_that_matches_only_nan_results_is_not_named():
    # (a UDL Adam that averages the square of the first moment and has no eps: NaN on zero
    # gradients, as a counter started at 0 gives, and wrong numbers elsewhere) NaN equals NaN
    # however it came: a cause that leaves other failing checks unexplained must reproduce a
    # finite result too
    zeros = [torch.zeros(4, 3, dtype=torch.float64), torch.zeros(5, 2, dtype=torch.float64)]

    def student(v):
        return v.mean(0) / v.abs().amax() * 3 if v.any() else v.mean(0) / v.abs().amax()

    def nan_on_zeros(v):
        return v.mean(0) / v.abs().amax()  # 0 / 0 on zeros, right elsewhere

    bug = _Bug("nan_on_zeros", "divides by the largest entry", ("scale",), scale=nan_on_zeros)
    recipes = [lambda m, v=v: m.losses.scale(v) for v in (X, Y, *zeros)]
    failures = _grade(_Impl(scale=student, shift=None), recipes, [bug])
    assert len(failures) == 4 and torch.isnan(recipes[2](_Impl(scale=student))).all()
    assert all(f.misconception is None for f in failures), [str(f) for f in failures]
    assert all("divides by the largest entry" not in str(f) for f in failures)


def test_a_reading_that_names_an_argument_is_not_carried_to_a_call_without_it():
    # (an EPFL learner's softmax) a backward's reading of each entry's sign against `dout`,
    # verified on two backward checks, was told on the forward's checks, which pass no `dout`
    signs = Diagnosis("term", "each of your entries has the sign of the same entry of `dout`")

    def backward_recipe(dout):
        return lambda m: m.losses.scale(dout)

    read = [(signs, Record(backward_recipe(v), 2 * v, v, True)) for v in (X, Y)]
    x = X + 1
    forward = (None, Record(lambda m: m.losses.shift(x), 3 * x, x, True))
    failures = _settled([*read, forward])
    assert [f.diagnosis for f in failures[:2]] == ["term", "term"]
    assert "`dout`" not in str(failures[2]), str(failures[2])


def test_a_bug_on_the_failing_paths_is_not_said_of_every_check_where_a_marker_fails_too():
    """A NUS learner's SGD keeps the rate in its velocity with momentum and writes into its
    parameter without: the catalogued bug reproduces the momentum checks, while the plain
    ones fail with the marker of an argument edited. "On every check that fails" would not
    hold, and is not said; with no such marker, it is."""
    from descent.diagnoses import verified
    from descent.diagnoses.claims import Claim

    book = Ledger("optim.sgd")
    values = [Record(None, torch.tensor([float(i), 2.0]), torch.ones(2), True) for i in range(3)]
    marked = Record(None, "arguments edited in place", [torch.ones(2)], True)
    book.records += [*values, marked]
    claim = Claim(("bug", "sgd.rate_in_buffer"), "lr in the buffer", rerun=lambda r, m: None)
    verdict = verified._Verdict({id(r) for r in values}, set(), True)
    found = verified._on_failing_paths([claim], {claim.key: verdict}, book)
    assert found == []
    book.records.remove(marked)
    [named] = verified._on_failing_paths([claim], {claim.key: verdict}, book)
    assert named.text.startswith("lr in the buffer, on every check of this exercise that fails")
