"""The catalogue of variants (``descent.catalogue``): how a bug, an alternative, a hollow answer or
a student-style bug of the corpus (``graders/corpus/``, kind ``student``) is declared and applied
over an implementation; that the corpus is labelled in full; that ``--impl KIND:ID`` names one
variant, a typo or a variant of another kind saying what to give instead, and that ``--impl
student:ID`` grades a corpus bug (a toy corpus graded in this process with pytester)."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest

from descent import catalogue, registry
from descent.catalogue import BUG, HOLLOW, Variant

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]

KIT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_registry(monkeypatch):
    """An empty registry of variants for the test; the process's comes back after it."""
    monkeypatch.setattr("descent.variants._REGISTRY", {})  # the store catalogue fills


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"generic": (), "wrong_on": "ordinary"}, "at least one generic label"),
        ({"generic": "no-such-kind", "wrong_on": "ordinary"}, "unknown generic diagnosis"),
        ({"generic": "factor", "wrong_on": "sometimes"}, "wrong_on must be one of"),
        ({"generic": "factor", "wrong_on": ""}, "wrong_on must be one of"),
    ],
)
def test_a_student_bug_states_its_labels_and_where_it_is_wrong(fresh_registry, kwargs, message):
    with pytest.raises(ValueError, match=message):
        catalogue.student("toy_unlabelled", "losses.mse", "sums", **kwargs)


def test_a_student_bug_is_its_own_kind(fresh_registry):
    v = catalogue.student(
        "toy_declared", "losses.mse", "sums", generic=("sum-mean", "factor"), wrong_on="edge"
    )
    assert (v.kind, v.generic, v.wrong_on) == ("student", ("sum-mean", "factor"), "edge")
    assert catalogue.variants(catalogue.STUDENT, "losses.mse")[-1] is v
    assert v not in catalogue.variants(catalogue.BUG)  # feedback never names it


def _corpus() -> list[catalogue.Variant]:
    catalogue.load(KIT / "graders" / "catalogue")
    catalogue.load(KIT / "graders" / "corpus")  # raises on an id the catalogue declares too
    return catalogue.variants(catalogue.STUDENT)


def test_every_corpus_entry_is_labelled():
    corpus = _corpus()
    assert corpus
    for v in corpus:
        assert v.title and v.generic and v.wrong_on in catalogue.WRONG_ON, v.id
        assert v.functions, f"{v.id} replaces no function"
        assert {Path(inspect.getsourcefile(f)).parent.name for f in v.functions.values()} == {
            "corpus"
        }, v.id


TOY_CORPUS = """
from descent.catalogue import student

toy_mse_doubled = student(
    "toy_mse_doubled", "losses.mse", "doubles the loss", generic="factor", wrong_on="ordinary"
)


@toy_mse_doubled.replaces
def mse_forward(pred, target):
    return 2 * (pred - target) ** 2, None
"""

# A catalogue module of the same file name: the two folders' modules must not shadow each other.
TOY_CATALOGUE = """
from descent.catalogue import bug

toy_mse_negated = bug("toy_mse_negated", "losses.mse", "negates the loss", hint="h")


@toy_mse_negated.replaces
def mse_forward(pred, target):
    return -((pred - target) ** 2), None
"""

TOY_TESTS = """
import pytest
import torch


@pytest.mark.exercise("losses.mse")
def test_mse(impl, reference):
    x, t = torch.tensor([1.0, 2.0, 3.0]), torch.zeros(3)
    assert torch.equal(impl.losses.mse_forward(x, t)[0], reference.losses.mse_forward(x, t)[0])


@pytest.mark.exercise("losses.mae")
def test_mae(impl):
    assert impl.losses.mae_forward is not None
"""


@pytest.fixture
def toy_variants(pytester, grade_toy, fresh_registry):
    """The toy kit with a toy corpus and catalogue in folders of their own names (the real
    ``graders/catalogue`` may be loaded in this process already, under its folder's name)."""
    for folder, source in (("toycorpus", TOY_CORPUS), ("toycatalogue", TOY_CATALOGUE)):
        (pytester.path / folder).mkdir()
        (pytester.path / folder / "losses.py").write_text(textwrap.dedent(source))

    def run(*impls: str):
        args = [f"--impl={i}" for i in impls]
        return grade_toy(
            TOY_TESTS, "--corpus=toycorpus", "--catalogue=toycatalogue", "--tb=line", *args
        )

    return run


def test_impl_student_grades_a_corpus_bug_on_its_own_exercise(toy_variants):
    toy = toy_variants("student:toy_mse_doubled", "bug:toy_mse_negated")
    student = toy.block("student:toy_mse_doubled")
    assert student["points"] == 0 and student["max_points"] > 0
    assert [e["id"] for e in student["exercises"]] == ["losses.mse"]  # its exercise's tests only
    assert toy.block("bug:toy_mse_negated")["points"] == 0  # both folders loaded side by side


def test_impl_student_star_grades_every_corpus_bug(toy_variants):
    toy = toy_variants("student:*")
    assert [b["name"] for b in toy.doc["implementations"]] == ["student:toy_mse_doubled"]


def test_impl_student_refuses_an_id_of_another_kind(toy_variants):
    with pytest.raises(AssertionError, match="no catalogued student variant 'toy_mse_negated'"):
        toy_variants("student:toy_mse_negated")  # a bug of the catalogue, not of the corpus


# The mistakes issue 38 found in learners' published code, each in the corpus.
FROM_THE_ISSUE = (
    "rmsprop_numpy_no_sqrt",  # RMSProp with no square root
    "rmsprop_lr_as_decay",  # the learning rate where 1 - decay belongs
    "ce_log_of_clamped_softmax",  # the log of a softmax clamped at 1e-10
    "ln_backward_means_over_batch",  # layer-norm backward slips
    "ln_backward_without_gamma",
    "bn_layer_no_eps",  # batch norm with no eps
    "bn_eval_without_affine",  # batch norm without gamma and beta in eval mode
    "dropout_layer_normal_mask",  # a dropout mask drawn from a normal
    "adam_object_step_frozen",  # Adam whose step count never advances
    "value_exp_backward_assigns",  # exp's backward assigns instead of adding
    "value_relu_gate_above_one",  # relu's gradient gated on out > 1
    "adam_updates_param_in_place",  # Adam editing the parameter in place
    "dropout_keep_test_always_true",  # rand < q / q: nothing dropped
    "adam_bias_correction_no_power",  # 1 - beta for 1 - beta**t
    "closed_form_numpy_inverse",  # the closed form through an explicit inverse
    "value_two_wrong_derivatives",  # a Value with two wrong derivatives
)


def test_the_corpus_covers_every_module_and_the_issues_examples():
    corpus = _corpus()
    assert len(corpus) >= 80
    by_module = {m: sum(v.module == m for v in corpus) for m in registry.MODULES}
    assert all(by_module.values()), by_module
    assert set(FROM_THE_ISSUE) <= {v.id for v in corpus}
    assert {v.wrong_on for v in corpus} == set(catalogue.WRONG_ON)


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
    monkeypatch.setattr("descent.variants._REGISTRY", variants)  # the store catalogue fills


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


def test_an_id_is_declared_once_and_only_for_a_known_exercise(fresh_registry):
    catalogue.bug("toy_once", "losses.mse", "a bug", hint="h")
    with pytest.raises(ValueError, match="variant id 'toy_once' is declared twice"):
        catalogue.alternative("toy_once", "losses.mse", "again")
    with pytest.raises(KeyError, match="unknown exercise 'losses.msee'"):
        catalogue.bug("toy_typo", "losses.msee", "a bug", hint="h")


def test_a_variant_replaces_only_exercise_functions_of_its_module(fresh_registry):
    v = catalogue.bug("toy_replaces", "losses.mse", "a bug", hint="h")

    def relu_forward(x):  # an exercise function, of another module
        return x, None

    with pytest.raises(ValueError, match="losses.relu_forward is not an exercise function"):
        v.replaces(relu_forward)
    assert v.functions == {}


def test_a_variant_applied_patches_its_functions_over_the_base(fresh_registry, tmp_path):
    from descent.calls.impl import FolderImplementation

    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "losses.py").write_text(
        "def mse_forward(p, t):\n    return 'base', None\n\n"
        "def mse_backward(d, c):\n    return 'base'\n"
    )
    base = FolderImplementation(tmp_path / "base")
    bugged = catalogue.bug("toy_applied", "losses.mse", "a bug", hint="h")

    @bugged.replaces
    def mse_forward(pred, target):
        return "bug", None

    patched = bugged.apply(base)
    assert patched.name == "bug:toy_applied"
    assert patched.losses.mse_forward(0, 0) == ("bug", None)
    assert patched.losses.mse_backward(0, 0) == "base"
    # a derived hollow answer wraps every function of its exercise, reading the base lazily
    asked = []

    def derive(base_fn, name):
        return lambda *args: (asked.append(name), f"hollow {base_fn()(*args)[0]}")[1]

    hollow = catalogue.hollow("toy_derived", "losses.mse", "wraps", derive=derive).apply(base)
    assert asked == []
    assert hollow.losses.mse_backward(0, 0) == "hollow b" and asked == ["mse_backward"]
    assert hollow.losses.mse_forward(0, 0) == "hollow base"
