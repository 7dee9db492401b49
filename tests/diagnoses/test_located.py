"""Where a cause is in the student's code (``descent.diagnoses.located``): the line a float
error stopped the code on is the cause where nothing verified names one and no partial causes
are told, and where a named cause is otherwise, on the checks it stopped on only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from descent.diagnoses.claims import Claim
from descent.diagnoses.float_trap import Trap
from descent.diagnoses.located import trapped

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

LINE = "line 7 (in `_nll`): `return -np.log(p)` takes the log of 0 on this input"


def test_the_line_is_the_cause_where_nothing_names_one():
    stopped, other = object(), object()
    explains: dict = {}
    whole, facts = trapped(Trap(LINE, (stopped,)), [], False, {}, explains)  # type: ignore[arg-type]
    assert [c.text for c in whole] == [LINE]
    assert explains[whole[0].key] == {id(stopped)} and id(other) not in explains[whole[0].key]
    # partial causes told elsewhere: the line takes no check from them
    assert trapped(Trap(LINE, (stopped,)), [], True, {}, {})[0] == []  # type: ignore[arg-type]


def test_the_line_says_where_a_named_cause_is_on_the_checks_it_stopped_on():
    stopped, other = object(), object()
    named = Claim(("k",), "drops the leading minus", misconception="ce_no_minus")
    elsewhere = Claim(("e",), "puts eps outside the root", misconception="eps_outside")
    explains = {named.key: {id(stopped)}, elsewhere.key: {id(other)}}
    whole, _ = trapped(Trap(LINE, (stopped,)), [named, elsewhere], False, {}, explains)  # type: ignore[arg-type]
    assert whole[0].located == LINE and whole[1].located == ""
    assert trapped(None, [named], False, {}, explains)[0] == [named]


def test_a_log_of_0_under_a_cause_that_names_the_log_of_a_probability_is_that_log():
    """(held-out courses' losses, `-np.log(p[target])` of a softmax) the trap's line is said as
    the log the cause names, to compute from the scores; under another cause it stays a log of
    0, and a cause placed already (the line that writes its floor) keeps its own line."""
    stopped = object()
    named = Claim(("k",), "a probability underflows ... compute log-probabilities directly", "s")
    named = replace(named, misconception="ce_log_of_softmax")
    other = Claim(("o",), "drops the leading minus", misconception="ce_no_minus")
    explains = {named.key: {id(stopped)}, other.key: {id(stopped)}}
    whole, _ = trapped(Trap(LINE, (stopped,)), [named, other], False, {}, explains)  # type: ignore[arg-type]
    assert whole[0].located == (
        "line 7 (in `_nll`): `return -np.log(p)` takes the log of a probability, 0 on this "
        "input: the log to compute from the scores"
    )
    assert whole[1].located == LINE
    placed = replace(named, located="line 5 (in `_nll`): `p = p + 1e-9` writes that floor")
    assert trapped(Trap(LINE, (stopped,)), [placed], False, {}, explains)[0] == [placed]  # type: ignore[arg-type]


def test_the_line_is_never_said_of_a_check_that_did_not_stop_on_it():
    """A UDL learner's double softmax: finite but wrong on everyday inputs, NaN on large ones;
    the NaN's line belongs to the NaN checks, never to a cause that also explains the others."""
    stopped, finite = object(), object()
    broad = Claim(("b",), "takes the log of a softmax", misconception="ce_log_of_softmax")
    explains = {broad.key: {id(stopped), id(finite)}}
    whole, _ = trapped(Trap(LINE, (stopped,)), [broad], False, {}, explains)  # type: ignore[arg-type]
    assert whole == [broad] and whole[0].located == ""
    unnamed = Claim(("u",), "your result is the expected times a constant (3)", "scale")
    explains = {unnamed.key: {id(stopped), id(finite)}}
    whole, _ = trapped(Trap(LINE, (stopped,)), [unnamed], False, {}, explains)  # type: ignore[arg-type]
    assert whole == [unnamed]  # it explains a check the line does not: it stays
    from descent.diagnoses.verified import _carries

    line = Claim(("trap", LINE), LINE, "trap")
    assert not _carries(line, object())  # type: ignore[arg-type]


def test_a_floored_log_is_placed_only_on_a_line_with_a_log_or_a_floor():
    """(a held-out Korea University loss) the floor at 1e-9 named, then the tracer's line, its
    softmax's `np.exp(x - max_input)`, told as where it is: a floor is where a log or a clip is."""
    stopped = object()
    floor = Claim(("f",), "your result stops at 20.723 = -log(1e-09)", "clamp", fact=True)
    exp = "line 9 (in `softmax`): `e = np.exp(x - m)` is where your values first part"
    explains = {floor.key: {id(stopped)}}
    parted = Trap(exp, (stopped,), "e = np.exp(x - m)")  # type: ignore[arg-type]
    whole, facts = trapped(parted, [floor], False, {id(stopped): floor}, explains)
    assert whole[0].located == "" and facts[id(stopped)].located == ""
    logged = Trap(LINE, (stopped,), "return -np.log(p + 1e-9)")  # type: ignore[arg-type]
    whole, facts = trapped(logged, [floor], False, {id(stopped): floor}, explains)
    assert whole[0].located == LINE and facts[id(stopped)].located == LINE


def test_a_whole_repair_s_line_is_said_of_a_check_it_makes_pass_and_nothing_names():
    """An Edinburgh learner's Adam: its moments stay zero, which a reading names on the state
    checks only; the parameters' checks read no cause, and get the repair's line alone."""
    from descent.diagnoses.edits import Edit
    from descent.diagnoses.located import line_alone
    from descent.diagnoses.repair import Repair

    said = "line 9 (in `Adam.update`): `m = 0.9 * m + 0.1 * g` makes `m` a new value"
    edit = Edit("stored", 9, said, "", "Adam.update")
    fixed, unfixed = object(), object()
    whole = Repair(edit, (fixed,))  # type: ignore[arg-type]
    claim = line_alone(whole, fixed)
    assert claim is not None and claim.text == said and claim.kind == "repair"
    assert line_alone(whole, unfixed) is None
    assert line_alone(Repair(edit, (fixed,), partial=True), fixed) is None  # type: ignore[arg-type]
    assert line_alone(None, fixed) is None


def test_a_reading_of_where_values_are_wrong_names_no_cause_beside_a_repair():
    """A Rice learner's tanh derivative, tanh taken again of the activation: "right except where
    |x| is large ... the branch past a threshold" says where, and there is no branch; a verified
    repair of the code is the cause. A reading that names a formula stays a cause."""
    from dataclasses import replace

    from descent.diagnoses.located import _names_a_cause
    from descent.diagnoses.values import Diagnosis

    place = Diagnosis("branch", "your result is right on every entry except where |x| is large")
    place = replace(place, origin="wrong_past_threshold")
    branch = Claim(("br",), place.text, "branch", reading=place)
    sign = Diagnosis("branch", "your result is right where x > 0 and wrong exactly where x < 0")
    at_zero = Claim(("sg",), sign.text, "branch", reading=replace(sign, origin="wrong_branch"))
    power = Diagnosis("power", "your result is the square of the expected")
    squared = Claim(("sq",), power.text, "power", reading=power)
    assert not _names_a_cause(branch) and _names_a_cause(squared) and _names_a_cause(at_zero)
    # (a held-out tutorial's linear layer, whose weights step before its input gradient is
    # computed) the error's shape slice by slice says what, not why: the repair is the cause
    shape = Diagnosis("term", "your result differs ... by a constant plus a multiple of `x`")
    term = Claim(("tm",), shape.text, "term", reading=replace(shape, origin="slice_term"))
    assert not _names_a_cause(term)
    # (a held-out Holberton Adam, its rate and parameter swapped) the entries whose sign is
    # flipped on the first step say where, with a menu of sign slips: the repair is the cause
    flips = Diagnosis("sign", "your result is right except at 6 of 12 entries, where it has ...")
    flipped = Claim(("fl",), flips.text, "sign", reading=replace(flips, origin="signs_flipped"))
    assert not _names_a_cause(flipped)


def test_a_floor_read_off_the_values_is_said_only_where_the_code_writes_it():
    """(a held-out Korea University network) a loss that floors its log at 1e-9 and averages
    rows two thirds of which saturate stops at 13.816 = -log(1e-06): a floor of 1e-06 is said
    only of code that writes that number where the exercise runs (or of the kit's own code)."""
    import ast
    from types import SimpleNamespace

    from descent.diagnoses.ledger import Ledger
    from descent.diagnoses.located import floor_written, student_source

    floor = Claim(("f",), "your result stops at 13.816 = -log(1e-06) where ...", "clamp", fact=True)
    other = Claim(("o",), "your result is half the expected", "scale")
    module = (
        "EPS = 10 ** -9\n\n\n"
        "def numerical_gradient(f, x, eps=1e-6):\n    return x\n\n\n"
        "def _loss(p, t):\n    return -(t * np.log(p + EPS)).sum()\n\n\n"
        "def mlp_loss_and_grads(x, t):\n    return _loss(x, t)\n"
    )
    impl = SimpleNamespace(source=lambda module_name: module)
    code = student_source(Ledger("layers.mlp_loss_and_grads"), impl)
    assert code is not None and not floor_written(floor, code)  # 1e-6 only in another exercise
    assert floor_written(other, code) and floor_written(floor, None)  # the kit's own code
    written = [ast.parse("def f(p):\n    return np.log(np.maximum(p, 1e-06))\n")]
    assert floor_written(floor, written)
    nine = Claim(("n",), "your result stops at 20.723 = -log(1e-09) where ...", "clamp")
    assert floor_written(nine, code)  # `10 ** -9` at the module's top


def test_a_partial_repair_is_told_on_the_checks_a_cause_told_everywhere_never_weighed():
    """(held-out loss layers) "15 times the expected" read on the backward, every check whose
    values could be weighed, and the forward's floored logs repaired by writing them from the
    scores: the repair is told on the forward's checks, which the reading never explained, and
    not on those it did."""
    from descent.diagnoses.edits import Edit
    from descent.diagnoses.located import placed
    from descent.diagnoses.repair import Repair

    said = "line 8 (in `forward`): `np.log(self.p + 1e-8)` and the other logs take logs"
    edit = Edit("stable", 8, said, "", "Loss.forward")
    forward, backward = object(), object()
    reading = Claim(("r",), "your result is 15 times the expected", "scale")
    explains = {reading.key: {id(backward)}}
    found = Repair(edit, (forward,), partial=True)  # type: ignore[arg-type]
    whole, parts, _ = placed(found, [reading], [], {}, explains)
    assert whole == [reading] and [c.text for c in parts] == [said]
    assert explains[parts[0].key] == {id(forward)}
    # a repair only of checks the reading explains adds nothing
    found = Repair(edit, (backward,), partial=True)  # type: ignore[arg-type]
    assert placed(found, [reading], [], {}, {reading.key: {id(backward)}})[1] == []
