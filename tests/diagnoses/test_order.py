"""The order of diagnosis (``descent.diagnoses.order``) is the only list: every stage, tier,
re-run and mutant slip it names exists with its interface, is declared once and run in the
declared order; every kind a diagnosis names is declared there with its meaning."""

import ast
import inspect
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from descent.authoring.diagnosis_table import built_kinds
from descent.diagnoses import order, values
from descent.diagnoses.base import Case
from descent.diagnoses.parameter import rerun_slip
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure

from .test_parameter import INIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

DIAGNOSES = Path(order.__file__).parent
SRC = DIAGNOSES.parent

LISTS = [*order.TIERS, order.SHAPES, order.STRUCTURES, order.ITEMS, order.RERUNS]
LISTS += [order.CONVENTIONS, order.BEFORE_TIERS]
LISTS += [order.MUTANT_SLIPS, tuple(dict.fromkeys(order.BY_CHECK.values())), order.ESTIMATES]
ENTRIES = [e for entries in LISTS for e in entries]
TIERED = [e.function for tier in [*order.TIERS, order.SHAPES, order.BEFORE_TIERS] for e in tier]
CASED = [step.function for step in order.STAGES] + [e.function for e in order.RERUNS]
DECLARED = [e.function for e in ENTRIES] + [step.function for step in order.STAGES]


def _positional(fn) -> list[str]:
    """The names of ``fn``'s parameters a caller must pass (no default)."""
    return [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.default is inspect.Parameter.empty
    ]


def test_every_declared_function_exists_and_is_declared_once():
    tiered = [e.function for tier in order.TIERS for e in tier]
    assert len(tiered) == len(set(tiered)), "a value hypothesis in two tiers"
    for entries in LISTS:
        names = [e.function for e in entries]
        assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    for name in DECLARED:
        assert callable(order.function(name)), name


def test_structure_readings_take_the_raw_results():
    for entry in order.CONVENTIONS + order.STRUCTURES + order.ITEMS:
        assert _positional(order.function(entry.function)) == ["expected", "got"], entry


def test_value_hypotheses_take_expected_got_and_inputs_and_nothing_else():
    # one call for every tier entry: no keyword of its own (the expected dtype is in inputs)
    for name in TIERED:
        assert list(inspect.signature(order.function(name)).parameters) == ["e", "g", "inputs"], (
            name
        )


def test_stages_and_reruns_take_one_case():
    for name in CASED:
        assert _positional(order.function(name)) == ["case"], name
    for entry in set(order.BY_CHECK.values()):  # a check's message, nothing to pass
        assert len(inspect.signature(order.function(entry.function)).parameters) == 1, entry


def test_estimate_readings_take_one_estimate():
    for entry in order.ESTIMATES:
        assert _positional(order.function(entry.function)) == ["estimate"], entry


def test_the_estimate_readings_are_the_ones_declared(monkeypatch):
    check = Checker(impl=None, reference=None, exercise=None)  # type: ignore[arg-type]

    def reading():
        with pytest.raises(GradingFailure) as failure:
            check.estimate(1 / math.sqrt(3), 1.0, "a std", error=0.001, sigmas=7)
        failure.value.resolve()
        return failure.value.found

    assert reading().kind == "factor"  # the ratio to the expected: sqrt(3)
    monkeypatch.setattr(order, "ESTIMATES", ())  # no reading declared: nothing names it
    assert reading() is None


def _lists_of_declared(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines of tuple or list literals that hold two or more declared function names: a second
    list of the order."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            held = [e.id for e in node.elts if isinstance(e, ast.Name) and e.id in names]
            if len(held) >= 2:
                found.append(node.lineno)
    return found


def test_no_second_list_of_the_order_anywhere():
    names = {name.rpartition(".")[2] for name in DECLARED}
    for path in sorted(SRC.rglob("*.py")):
        lines = _lists_of_declared(ast.parse(path.read_text()), names)
        assert not lines, f"{path.relative_to(SRC)} lists declared diagnoses at lines {lines}"
    # near miss: the scan sees a list written again
    planted = ast.parse(
        "TIER = (all_zero, chunk_sizes)\nfound = all_zero(e, g, inputs) or chunk_sizes(e, g)"
    )
    assert _lists_of_declared(planted, names) == [1]


def _kinds_named(tree: ast.AST) -> set[str]:
    """The kinds a module's code builds, declared or not (the docs' table reads the same scan)."""
    return built_kinds(tree)


def test_every_kind_written_anywhere_is_declared_with_its_meaning():
    written = set()
    for path in sorted(SRC.rglob("*.py")):
        written |= _kinds_named(ast.parse(path.read_text()))
    written.discard("ambiguous")  # several explanations: no kind of its own
    assert written, "the scan found no kind at all"
    assert written <= set(order.KINDS), written - set(order.KINDS)
    for kind, meaning in order.KINDS.items():
        assert meaning.strip() and "\n" not in meaning and len(meaning) < 100, kind
    # near miss: an undeclared kind written in code is seen
    planted = ast.parse('Diagnosis("sideways", "text"); _Change(kind="tilted")')
    assert _kinds_named(planted) - set(order.KINDS) == {"sideways", "tilted"}


def _function(module: str, name: str) -> bool:
    """``module.name`` is a function of a module of the package (not a class: ``Diagnosis``
    itself builds none)."""
    path = DIAGNOSES / f"{module}.py"
    body = ast.parse(path.read_text()).body if path.exists() else []
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in body)


def _written_by(module: str, name: str, seen: set | None = None) -> set[str]:
    """The kinds the code of ``module.name`` writes: string constants that are kinds (no
    docstring), in it and in the module-level functions and tables it reads, of its module or
    imported from another module of the package (a rule's helpers may live beside it)."""
    seen = set() if seen is None else seen
    if (module, name) in seen:
        return set()
    seen.add((module, name))
    tree = ast.parse((DIAGNOSES / f"{module}.py").read_text())
    top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    imported = {
        alias.asname or alias.name: (n.module, alias.name)
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module
        for alias in n.names
    }
    for n in tree.body:
        if isinstance(n, (ast.Assign, ast.AnnAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            top.update((t.id, n) for t in targets if isinstance(t, ast.Name))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(top[name])
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(n) is not None
    }
    kinds = set()
    for n in ast.walk(top[name]):
        if isinstance(n, ast.Constant) and n.value in order.KINDS and id(n) not in docstrings:
            kinds.add(n.value)
        if isinstance(n, ast.Name) and n.id in top and n.id != name:
            kinds |= _written_by(module, n.id, seen)
        elif isinstance(n, ast.Name) and n.id in imported and _function(*imported[n.id]):
            kinds |= _written_by(*imported[n.id], seen)
    return kinds


def test_each_entry_declares_the_kinds_its_code_names():
    for entry in ENTRIES:
        assert entry.kinds and set(entry.kinds) <= set(order.KINDS), entry
        module, _, name = entry.function.rpartition(".")
        # a kind the code writes but the entry does not declare fails (a string that only looks
        # like a kind, such as a comparison's "zero", is left out of the code's scan by hand)
        missing = (
            _written_by(module, name) - set(entry.kinds) - _NOT_KINDS.get(entry.function, set())
        )
        assert not missing, f"{entry.function} names {missing} too"
    # near miss: an entry that leaves out a kind its function writes is seen, in its own module
    # or in one it imports from (the parameter re-run's changes are kept beside it)
    assert "sign" in _written_by("linear", "constant_factor")
    assert "sibling" in _written_by("parameter", "parameter_fits")


# Strings of a function's code that are spelled like a kind but are none (a word of a text).
_NOT_KINDS = {
    "gate.gated_on_wrong_region": {"zero"},
    "slice.slice_factor": {
        "eps"
    },  # the name of the call's eps argument, read to solve the normalizer
    "formula.softplus_of_probabilities": {"dtype"},  # a tensor's attribute the slip reads
}


def test_the_tiers_run_in_the_order_declared(monkeypatch):
    e = torch.tensor([1.0, -2.0, 3.0, 0.5], dtype=torch.float64)
    assert values.diagnose(e, -e).kind == "sign"
    monkeypatch.setattr(order, "TIERS", ())  # no tier declared: nothing reads the values
    assert values.diagnose(e, -e) is None
    only_order = ((order.E("placement.values_reordered", "order"),),)
    monkeypatch.setattr(order, "TIERS", only_order)  # sorted values agree: an order
    assert values.diagnose(e, -e) is None
    assert values.diagnose(e, e.flip(0)).kind == "order"


def test_what_is_read_before_the_values_is_declared(monkeypatch):
    """The return convention, the dtype, non-finite values, a floored log and a result within
    tolerance are read in the order's CONVENTIONS and BEFORE_TIERS, not in code of their own: an
    entry left out of its list reads nothing."""
    e = torch.tensor([1 / 3, -2 / 7, 3.1, 0.55], dtype=torch.float64)
    log = torch.tensor([-30.0, -35.0, 1.0, -2.0, 0.5], dtype=torch.float64)
    floored = log.clamp(min=math.log(1e-12))  # a log of a probability floored at 1e-12
    assert values.diagnose(2.0, torch.tensor(2.0)).kind == "structure"
    assert values.diagnose(e.float(), e.double()).kind == "dtype"
    assert values.diagnose(e, torch.full_like(e, math.nan)).kind == "stability"
    assert values.diagnose(log, floored).kind == "clamp"
    assert values.diagnose(e, e.float().double()).kind == "precision"
    monkeypatch.setattr(order, "CONVENTIONS", ())
    assert values.diagnose(2.0, torch.tensor(2.0)) is None  # the same value: nothing else names it
    assert values.diagnose(e.float(), e.double()) is None
    monkeypatch.setattr(order, "BEFORE_TIERS", order.BEFORE_TIERS[:1] + order.BEFORE_TIERS[2:])
    assert values.diagnose(log, floored) is None
    # NOTHING decides: a number for a tensor that no convention explains is read no further
    monkeypatch.setattr(order, "CONVENTIONS", (order.E("values.number_or_tensor", "structure"),))
    assert values.diagnose(torch.tensor(2.0), -2.0) is None
    monkeypatch.setattr(order, "CONVENTIONS", ())
    assert values.diagnose(torch.tensor(2.0), -2.0).kind == "sign"  # its values read then


def test_the_float64_retry_is_a_declared_stage(monkeypatch):
    z = torch.tensor([10.0, 50.0, 100.0], dtype=torch.float32)

    def f(v):  # exp(100) overflows float32, not float64
        return torch.exp(v) / torch.exp(v)

    class Impl:
        def __init__(self, f):
            self.f = f

    def failure():
        check = Checker(Impl(f), None, None)  # type: ignore[arg-type]
        with pytest.raises(GradingFailure) as raised:
            check.matches(lambda m: m.f(z), "f output", expected=torch.ones(3))
        return raised.value.resolve().found

    retry = [s for s in order.STAGES if s.function == "input.right_in_float64"]
    assert retry and failure().kind == "stability" and failure().fact
    # not declared: not run (nor the readings of NaN on moved inputs, which run the student's
    # code again too and read this overflow in their own words)
    others = tuple(s for s in order.STAGES if s not in retry and s.stage != "non-finite")
    monkeypatch.setattr(order, "STAGES", others)
    assert failure() is None or not failure().fact


def test_a_stage_that_raises_keeps_what_the_stages_before_it_named(monkeypatch):
    """(the CUDA lane's lost overflow readings) a later stage whose reading raises (a mask built
    on another device than the result) leaves the earlier stages' finding standing."""

    class Impl:
        f = staticmethod(lambda v: torch.exp(v) / torch.exp(v))  # NaN where exp overflows

    def failure():
        check = Checker(Impl(), None, None)  # type: ignore[arg-type]
        with pytest.raises(GradingFailure) as raised:
            check.matches(lambda m: m.f(torch.tensor([10.0, 100.0])), "f", expected=torch.ones(2))
        return raised.value.resolve().found

    def raises(case):
        raise RuntimeError("Expected all tensors to be on the same device")

    named = order.function
    bound = "input.overflow_bound"  # a stage that runs after a reading of NaN, on its own code
    monkeypatch.setattr(order, "function", lambda n: raises if n == bound else named(n))
    kept = tuple(s for s in order.STAGES if s.function in ("values.diagnose_case", bound))
    monkeypatch.setattr(order, "STAGES", kept)
    assert len(kept) == 2 and failure().kind == "stability"


def test_the_reruns_are_the_ones_declared(monkeypatch):
    def recipe(m):
        return m.init.calculate_gain("leaky_relu")

    case = Case(recipe, math.sqrt(2.0), recipe(INIT), INIT, "init.calculate_gain")
    assert rerun_slip(case) is not None
    monkeypatch.setattr(order, "RERUNS", (order.RERUNS[0],))  # no parameter forced
    assert rerun_slip(case) is None


def test_a_stage_declared_to_run_after_something_else_is_refused():
    with pytest.raises(ValueError, match="after='later'"):
        order.Step("values.diagnose_case", after="later")
    stability = values.Diagnosis("stability", "NaN")
    assert order.Step("x", after="nothing or stability").runs_after(stability)
    assert not order.Step("x").runs_after(stability)
    assert order.Step("x").runs_after(None) and order.Step("x", after="always").runs_after(
        stability
    )
    # a reading of where the values are wrong (not why) lets the re-runs run after it
    place = replace(values.Diagnosis("branch", "wrong exactly where x < 0"), origin="wrong_branch")
    assert order.Step("x", after="nothing, stability or a place").runs_after(place)
    assert not order.Step("x", after="nothing or stability").runs_after(place)
    assert not order.Step("x", after="nothing, stability or a place").runs_after(
        values.Diagnosis("branch", "the boundary belongs to the other side")
    )


def test_where_a_module_runs_is_read_off_the_order():
    assert order.places("derivative") == {"values": ["tier 2"], "re-runs": []}
    assert order.places("input") == {
        "re-runs": [],
        "scenarios": [],
        "float64": [],
        "non-finite": [],
    }
    assert order.places("verified") == {}  # not in a list: its entry says where (verification)
