"""Generic diagnoses that re-run the reference with a number moved (a hair off, negated, halved,
a count one off or forced to 1) and that read a scant result over neighbouring scenarios
(``descent.diagnoses.scenario``): each names its mistake on a toy reference and a student's
version of it, and stays silent on a near miss."""

import math

import pytest

from descent.diagnoses.base import Case
from descent.diagnoses.scenario import scenario_slip

from .test_parameter import _Reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _regime(x: float) -> str:
    return "converges" if x <= 1 else "oscillates" if x <= 2 else "diverges"


def gd_regime(a, lr):
    return _regime(2 * a * lr)


def strict_regime(a, lr):
    x = 2 * a * lr
    return "converges" if x < 1 else "oscillates" if x < 2 else "diverges"


REGIME = _Reference(basics={"gd_regime": gd_regime})
BOUNDARIES = [(a, 1 / (2 * a)) for a in (0.25, 0.5, 2.0, 8.0)] + [
    (a, 1 / a) for a in (0.25, 0.5, 2.0, 8.0)
]


def _slip(recipe, student, reference, exercise):
    return scenario_slip(
        Case(recipe, recipe(student), recipe(reference), reference, exercise, student)
    )


def test_a_comparison_strict_where_inclusive_belongs_is_a_boundary_a_hair_off():
    def recipe(m):
        return [m.basics.gd_regime(a, lr) for a, lr in BOUNDARIES]

    student = _Reference(basics={"gd_regime": strict_regime})
    found = _slip(recipe, student, REGIME, "basics.gd_regime")
    assert found.kind == "branch"
    assert "`a` or `lr` moved by a hair" in found.text
    # the smallest move decides: doubling `a` gives these labels too, on these inputs alone
    assert "doubled" not in found.text
    # a near miss: boundaries 10% off are no tie read the other way
    shifted = _Reference(basics={"gd_regime": lambda a, lr: _regime(2.2 * a * lr)})
    cases = [(a, f / (2 * a)) for a in (0.3, 1.7, 3.0) for f in (0.95, 1.05, 1.5, 1.9, 2.1)]
    found = _slip(
        lambda m: [m.basics.gd_regime(a, lr) for a, lr in cases],
        shifted,
        REGIME,
        "basics.gd_regime",
    )
    assert found is None or found.kind != "branch"


def test_a_factor_2_left_out_is_a_number_halved_and_a_rule_that_saturates_is_not():
    cases = [(a, f / (2 * a)) for a in (0.3, 1.7, 3.0, 12.5) for f in (2.05, 3.0, 40.0)]

    def recipe(m):
        return [m.basics.gd_regime(a, lr) for a, lr in cases]

    student = _Reference(basics={"gd_regime": lambda a, lr: _regime(a * lr)})
    found = _slip(recipe, student, REGIME, "basics.gd_regime")
    assert found.kind == "factor"
    assert "`a` or `lr` halved" in found.text
    # a result that never moves (every label 'converges') is given by too many moves to name
    assert (
        _slip(
            recipe,
            _Reference(basics={"gd_regime": lambda a, lr: "converges"}),
            REGIME,
            "basics.gd_regime",
        )
        is None
    )


def reduce_on_plateau_step(metric, state, threshold=0.25, sign=-1.0):
    best = state.get("best", math.inf)
    lr = state["lr"]
    if metric < best + sign * threshold:
        best = metric
    else:
        lr = lr / 2
    return lr, {"lr": lr, "best": best}


def _plateau(fn, metrics, **kw):
    state, out = {"lr": 0.1}, []
    for metric in metrics:
        lr, state = fn(metric, state, **kw)
        out.append(lr)
    return out


PLATEAU = _Reference(schedules={"reduce_on_plateau_step": reduce_on_plateau_step})


def test_a_margin_with_the_wrong_sign_is_the_number_negated():
    metrics = [2.0, 1.75, 1.9, 2.1, 1.5, 1.6, 1.95, 1.2]

    def recipe(m):
        return _plateau(m.schedules.reduce_on_plateau_step, metrics, threshold=0.25)

    plus = _Reference(
        schedules={
            "reduce_on_plateau_step": lambda m, s, threshold=0.25: reduce_on_plateau_step(
                m, s, threshold, sign=1.0
            )
        }
    )
    found = _slip(recipe, plus, PLATEAU, "schedules.reduce_on_plateau_step")
    assert found.kind == "sign"
    assert "`threshold` negated" in found.text
    # a near miss: a margin ignored (0) is not a sign slip
    zero = _Reference(
        schedules={
            "reduce_on_plateau_step": lambda m, s, threshold=0.25: reduce_on_plateau_step(m, s, 0.0)
        }
    )
    found = _slip(recipe, zero, PLATEAU, "schedules.reduce_on_plateau_step")
    assert found is None or found.kind != "sign"


def mlp_grads_checkpointed(x, y, params, segment):
    return None, None, max(1, math.ceil(len(params) / segment))


def test_a_count_acting_as_1_is_named():
    runs = [(4, 2), (7, 3), (6, 4), (5, 8), (5, 5), (6, 5)]

    def recipe(m):
        return [m.layers.mlp_grads_checkpointed(None, None, [0] * d, s)[2] for d, s in runs]

    reference = _Reference(layers={"mlp_grads_checkpointed": mlp_grads_checkpointed})
    every = _Reference(layers={"mlp_grads_checkpointed": lambda x, y, p, s: (None, None, len(p))})
    found = _slip(recipe, every, reference, "layers.mlp_grads_checkpointed")
    assert found.kind == "argument"
    assert "`segment` = 1 whatever the call passes" in found.text
    # a near miss: floor where ceil belongs is no count forced to 1
    floor = _Reference(
        layers={"mlp_grads_checkpointed": lambda x, y, p, s: (None, None, len(p) // s)}
    )
    assert _slip(recipe, floor, reference, "layers.mlp_grads_checkpointed") is None


def early_stopping(val_losses, patience, min_delta=0.0, late=0, ties=False, shift=0):
    best, best_epoch = math.inf, None
    for e, loss in enumerate(val_losses):
        if best_epoch is None or loss < best - min_delta or ties and loss <= best - min_delta:
            best, best_epoch = loss, e
        elif e - best_epoch == patience + late:
            return e + shift, best_epoch + shift
    return None, (None if best_epoch is None else best_epoch + shift)


STOPPING = _Reference(regularization={"early_stopping": early_stopping})
LOSSES = [1.0, 0.5, 0.75, 0.5, 0.625, 0.875, 1.0, 1.1]


def _stopping(**bug):
    return _Reference(
        regularization={
            "early_stopping": lambda v, patience, min_delta=0.0: early_stopping(
                v, patience, min_delta, **bug
            )
        }
    )


def _stop_recipe(losses, patience, min_delta):
    return lambda m: tuple(m.regularization.early_stopping(list(losses), patience, min_delta))


@pytest.mark.parametrize(
    "bug,kind,words",
    [
        (dict(late=1), "step", "`patience` one larger"),
        (dict(ties=True), "branch", "`min_delta` moved by a hair"),
        (dict(shift=1), "offset", "every whole number your code returns is the expected plus 1"),
    ],
)
def test_a_pair_of_epochs_is_read_with_its_neighbouring_scenarios(bug, kind, words):
    recipe = _stop_recipe(LOSSES, 2, 0.0)
    found = _slip(recipe, _stopping(**bug), STOPPING, "regularization.early_stopping")
    assert found.kind == kind
    assert words in found.text


def test_a_pair_of_epochs_alone_names_nothing_when_the_neighbours_disagree():
    # the argmin over the whole sequence as the best epoch: on this scenario it equals the
    # reference with patience one larger, on its neighbours it does not
    def global_best(v, patience, min_delta=0.0):
        stop, _ = early_stopping(v, patience, min_delta)
        return stop, min(range(len(v)), key=lambda i: (v[i], -i))

    student = _Reference(regularization={"early_stopping": global_best})
    found = _slip(_stop_recipe(LOSSES, 2, 0.0), student, STOPPING, "regularization.early_stopping")
    assert found is None


def test_a_none_filled_with_the_last_index_is_named_over_the_neighbours():
    def last_instead_of_none(v, patience, min_delta=0.0):
        stop, best = early_stopping(v, patience, min_delta)
        return (len(v) - 1 if stop is None else stop), best

    student = _Reference(regularization={"early_stopping": last_instead_of_none})
    found = _slip(
        _stop_recipe([1.0, 0.5, 0.75, 0.5, 0.4, 0.45], 3, 0.0),
        student,
        STOPPING,
        "regularization.early_stopping",
    )
    assert found.kind == "structure"
    assert "fills with the last index of `losses`" in found.text
    # a near miss: a stop checked before the loss is read gives wrong epochs elsewhere too
    early = _stopping(late=-1)
    found = _slip(
        _stop_recipe([1.0, 0.5, 0.75, 0.5, 0.4, 0.45], 3, 0.0),
        early,
        STOPPING,
        "regularization.early_stopping",
    )
    assert found is None or found.kind != "structure"


def test_a_student_that_hangs_on_a_neighbour_is_not_run_again():
    from descent.calls.timelimit import CallTimeout

    calls = []

    def hangs_when_shorter(v, patience, min_delta=0.0):
        calls.append(len(v))
        if len(v) < len(LOSSES):
            raise CallTimeout("early_stopping", 1.0)
        return early_stopping(v, patience, min_delta, shift=1)

    student = _Reference(regularization={"early_stopping": hangs_when_shorter})
    recipe = _stop_recipe(LOSSES, 2, 0.0)
    got, expected = recipe(student), recipe(STOPPING)
    calls.clear()
    found = scenario_slip(
        Case(recipe, got, expected, STOPPING, "regularization.early_stopping", student)
    )
    assert found is None  # a scenario it could not finish confirms nothing
    assert sum(n < len(LOSSES) for n in calls) == 1, calls  # after the first hang, none ran
