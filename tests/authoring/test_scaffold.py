"""``descent new-exercise``: in a copy of the kit, the scaffold writes every piece of a new
exercise, keeps the stubs and the docs tables in step, and the audit refuses it until its TODOs
are filled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import KIT, descent

# (module, name, options): an existing module, a new one, and two modules with a naming
# convention of their own (optimizers: NAME_step; losses: a NAME_forward/NAME_backward pair).
# Names no course would give a real exercise: the kit itself may add a smooth L1 loss or Lion,
# and the scaffold then rightly refuses to write them again.
SCAFFOLDS = (
    ("basics", "sketch_double"),
    ("metrics", "sketch_accuracy"),
    ("optim", "sketch_lion", "--title", "Lion"),
    ("losses", "sketch_l1"),
)


@pytest.fixture(scope="module")
def scaffolded(copy) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """The copy with the exercises of SCAFFOLDS scaffolded, by each worker that runs a test
    needing it: pytest-xdist may split this module's tests."""
    held = (copy / "src/descent/registry.py").read_text()
    taken = [f"{m}.{n}" for m, n, *_ in SCAFFOLDS if f'"{n}"' in held or f"{m}.{n}" in held]
    assert not taken, f"the kit now holds {taken}: give SCAFFOLDS other names"
    return {argv[:2]: descent(copy, "new-exercise", *argv) for argv in SCAFFOLDS}


def test_a_new_exercise_in_an_existing_module_and_in_a_new_one(copy, scaffolded):
    for (module, name), run in scaffolded.items():
        assert run.returncode == 0, run.stdout + run.stderr
        if module not in ("basics", "metrics"):
            continue  # functions named by a convention: the next test
        for path in (
            f"solutions/{module}.py",
            f"starter/{module}.py",
            f"graders/catalogue/{module}.py",
        ):
            assert f"def {name}(" in (copy / path).read_text(), path
        for path in (f"exercises/test_{module}.py", f"graders/test_{module}.py"):
            assert f'@pytest.mark.exercise("{module}.{name}")' in (copy / path).read_text(), path
        assert f'Exercise("{module}.{name}"' in (copy / "src/descent/registry.py").read_text()
        assert f"`{module}.{name}`" in (copy / "docs/reference/exercises.md").read_text()
    assert descent(copy, "stubs", "--check").returncode == 0
    assert descent(copy, "docs", "--check").returncode == 0
    # the stub raises, naming the exercise, like every other stub
    assert (
        'NotImplementedError("metrics.sketch_accuracy' in (copy / "starter/metrics.py").read_text()
    )


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_each_piece_follows_its_module_s_naming_convention(copy, scaffolded):
    assert all(run.returncode == 0 for run in scaffolded.values())
    registry = (copy / "src/descent/registry.py").read_text()
    # each entry in its module's own list, in the form of its neighbours
    assert '("sketch_lion", "Lion"),' in _between(registry, "_OPTIM = [", "\n]\n")
    assert '_pair("losses", "sketch_l1", ' in _between(registry, "_LOSSES = [", "\n]\n")
    assert 'Exercise("basics.sketch_double", ' in _between(registry, "_BASICS = [", "\n]\n")
    assert "_NEW_" not in registry
    read = {p: (copy / p).read_text() for p in ("solutions/optim.py", "solutions/losses.py")}
    # each function takes what its module's functions of its convention take: every loss a
    # prediction and a target, every backward of losses dloss, every optimizer param, grad, state
    assert "def sketch_lion_step(param, grad, state):" in read["solutions/optim.py"]
    assert "def sketch_l1_forward(pred, target):" in read["solutions/losses.py"]
    assert "def sketch_l1_backward(dloss, cache):" in read["solutions/losses.py"]
    for module, first, last in (
        ("optim", "sketch_lion_step", "sketch_lion_step"),
        ("losses", "sketch_l1_forward", "sketch_l1_backward"),
    ):
        assert f"def {last}(" in (copy / f"starter/{module}.py").read_text()
        assert f"def {first}(" in (copy / f"graders/catalogue/{module}.py").read_text()
        assert f"m.{module}.{first}(" in (copy / f"exercises/test_{module}.py").read_text()
    assert (
        "`sketch_lion_step(param, grad, state)`"
        in (copy / "docs/reference/exercises.md").read_text()
    )
    for module, function, arguments in (
        ("losses", "sketch_l1_forward", "pred, target"),
        ("optim", "sketch_lion_step", "param, grad, state"),
        ("basics", "sketch_double", "x"),  # no convention: basics' functions share no argument
    ):
        for path in (f"graders/catalogue/{module}.py", "graders/catalogue/literal.py"):
            assert f"def {function}({arguments}):" in (copy / path).read_text(), path
    # the hidden checks are declared where the module's graders declare their exercises
    optim = _between((copy / "graders/test_optim.py").read_text(), "OPTIMIZERS = [", "\n]\n")
    assert 'Optimizer("optim.sketch_lion", ' in optim
    losses = _between((copy / "graders/test_losses.py").read_text(), "SPECS = [", "\n]\n")
    assert 'PairSpec("losses.sketch_l1", ' in losses


def test_the_tests_are_laid_out_as_the_module_s_own(copy, scaffolded):
    """A class per exercise where the module's tests have one (a new module's too), a test
    function where they are functions."""
    assert all(run.returncode == 0 for run in scaffolded.values())
    for path, header in (
        ("exercises/test_losses.py", "class TestSketchL1:"),  # every loss has its class
        ("graders/test_basics.py", "class TestSketchDouble:"),
        ("exercises/test_metrics.py", "class TestSketchAccuracy:"),  # a new module
        ("graders/test_metrics.py", "class TestSketchAccuracy:"),
    ):
        text = (copy / path).read_text()
        exercise = header.removeprefix("class Test").removesuffix(":")
        assert header in text, (path, text[-800:])
        assert "    def test_" in text.split(header, 1)[1], path  # its methods
        assert f"def test_{exercise.lower()}" not in text, path


def test_a_module_whose_tests_are_functions_gets_a_function(tmp_path):
    from descent.authoring import scaffold

    functions = (KIT / "exercises" / "test_activations.py").read_text()  # no class at all
    assert scaffold._layout(functions) == "function"
    assert scaffold._layout((KIT / "exercises" / "test_losses.py").read_text()) == "class"
    assert scaffold._layout("") == "class"  # a new file: the kit's usual layout


def test_the_literal_alternative_is_written_in_its_module_s_section_and_listed(copy, scaffolded):
    """Every exercise has its docstring's formula typed literally (the kit's tests and the audit
    check it): the scaffold writes its stub, in the module's section of literal.py, or in a new
    section for a new module, and says it wrote the file."""
    text = (copy / "graders" / "catalogue" / "literal.py").read_text()
    for module, name, functions in (
        ("losses", "sketch_l1", ("sketch_l1_forward", "sketch_l1_backward")),
        ("optim", "sketch_lion", ("sketch_lion_step",)),
        ("metrics", "sketch_accuracy", ("sketch_accuracy",)),
    ):
        stub = text.index(f'{name}_literal = alternative(\n    "{name}_literal",\n')
        heading = text.rindex("\n# ===", 0, stub) + 1
        assert text[heading : text.index("\n", heading)].endswith(f" {module}"), module
        declared = text[stub : text.index("\n)\n", stub)]
        assert f'"{module}.{name}"' in declared and "literal=True" in declared
        for function in functions:
            assert f"@{name}_literal.replaces\ndef {function}(" in text[stub:], function
        said = " ".join(scaffolded[(module, name)].stdout.split())
        assert "wrote graders/catalogue/literal.py" in said


def test_a_literal_alternative_s_name_another_exercise_has_gets_the_module_s(tmp_path):
    from descent import registry
    from descent.authoring import scaffold

    text = (KIT / "graders" / "catalogue" / "literal.py").read_text()
    taken = registry.Exercise("basics.gd", "GD again", ("gd",))  # gd_literal is gradient_descent's
    assert scaffold._literal_name(text, taken) == "basics_gd_literal"
    free = registry.Exercise("basics.sketch_double", "Double it", ("sketch_double",))
    assert scaffold._literal_name(text, free) == "sketch_double_literal"


def test_the_catalogue_stub_goes_with_the_module_s_bugs(copy, scaffolded):
    """Before the sections of alternatives and hollow answers, under a heading of its own like
    the other exercises' bugs."""
    assert all(run.returncode == 0 for run in scaffolded.values())
    for module, name, section in (
        ("losses", "sketch_l1", "alternative correct implementations"),
        ("optim", "sketch_lion", "------ alternatives\n"),
        ("basics", "sketch_double", "# -- hollow"),
    ):
        text = (copy / "graders" / "catalogue" / f"{module}.py").read_text()
        stub = text.index(f"{name}_todo = bug(")
        assert stub < text.index(section), module
        heading = text.rindex("\n# -", 0, stub) + 1
        line = text[heading : text.index("\n", heading)]
        assert line.startswith("# ---") and line.endswith(f" {name}"), line
        others = [row for row in text.splitlines() if row.startswith("# ---") and row != line]
        assert len(line) in {len(row) for row in others}, module  # as wide as its neighbours


def test_the_catalogue_stub_asks_for_the_bug_s_generic_labels(copy, scaffolded):
    """A bug left without labels is counted as misnamed by the audit whatever its feedback says
    (a newcomer's softsign bug, truly 'omitted', showed as 'omitted?'): the stub asks for them
    beside a TODO the audit refuses to run past."""
    text = (copy / "graders" / "catalogue" / "losses.py").read_text()
    stub = text[text.index("sketch_l1_todo = bug(") :]
    stub = stub[: stub.index("\n)\n")]
    assert "generic=()" in stub and "TODO(new-exercise): the kind(s) of generic diagnosis" in stub


def test_the_next_steps_record_the_new_variants_generic_names(copy, scaffolded):
    out = " ".join(scaffolded[("losses", "sketch_l1")].stdout.split())
    assert "descent audit --module losses --record-generic" in out, out
    assert "descent audit --module losses --check-generic" in out, out
    assert "graders/catalogue/literal.py: the docstring's formula typed literally" in out, out
    assert "descent budget: the graders' work on the solutions" in out, out
    steps = (
        (KIT / "docs" / "how-to" / "author-exercises.md")
        .read_text()
        .split("Fill the pieces in", 1)[1]
    )
    steps = steps.split("\n\n", 2)[1]  # the table of steps
    assert "descent audit --module <module> --record-generic" in steps, steps


def test_an_optimizer_s_registry_entry_is_complete_with_its_title(copy, scaffolded):
    from descent.authoring.scaffold import MARKER

    text = (copy / "src/descent/registry.py").read_text()
    left = [line for line in text.splitlines() if MARKER in line]
    assert '("sketch_lion", "Lion"),' in text
    assert left and not [line for line in left if "sketch_lion" in line], left


def test_what_the_scaffold_writes_is_formatted_and_lint_free(copy, scaffolded):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[ci]')")
    for argv in (("format", "--check"), ("check",)):
        run = subprocess.run(
            [ruff, *argv, "src/descent/registry.py", "graders"],
            cwd=copy,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test_the_audit_refuses_a_scaffold_until_its_todos_are_filled(copy, scaffolded):
    run = descent(copy, "audit", "--module", "basics")
    assert run.returncode == 2
    said = " ".join(run.stdout.split())
    for where in (
        "src/descent/registry.py",
        "solutions/basics.py",
        "exercises/test_basics.py",
        "graders/test_basics.py",
        "graders/catalogue/basics.py",
        "docs/reference/exercises.md",
    ):
        assert where in said, where


@pytest.mark.parametrize(
    "argv, complaint",
    [
        (("basics", "gd_regime"), "basics.gd_regime is already in the registry"),
        (("Basics", "x"), "give a lower-case Python name"),
        (("losses", "mse_forward"), "already defines mse_forward"),
        (("basics", "sgd_step"), "sgd_step is taken"),
        (("optim", "sketch_lion", "--pair"), "no --pair here"),
    ],
)
def test_a_clash_or_a_bad_name_is_refused_and_changes_nothing(tmp_path, argv, complaint):
    root = tmp_path / "kit"
    for folder in ("src", "solutions", "docs"):
        shutil.copytree(
            KIT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    (root / "graders").mkdir()
    before = (root / "src/descent/registry.py").read_text()
    run = descent(root, "new-exercise", *argv)
    assert run.returncode == 2 and complaint in " ".join(run.stdout.split())
    assert (root / "src/descent/registry.py").read_text() == before


def test_the_kit_itself_has_no_scaffold_left():
    from descent.authoring.scaffold import unfinished

    assert unfinished(KIT) == []


# What an author writes for a new optimizer with no torch.optim twin, Lion (Chen et al. 2023):
# the reference and the grader's entry with an oracle of its own. Nothing else is edited.
LION_REFERENCE = '''def sketch_lion_step(param, grad, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    """One Lion step: new_param = param * (1 - lr * weight_decay) - lr * sign(c), where
    c = beta1 * m + (1 - beta1) * grad and m = state["exp_avg"] (zeros at first), which becomes
    beta2 * m + (1 - beta2) * grad.
    """
    # BEGIN SOLUTION
    m = state.get("exp_avg")
    m = torch.zeros_like(param) if m is None else m
    direction = torch.sign(betas[0] * m + (1 - betas[0]) * grad)
    new_param = param * (1 - lr * weight_decay) - lr * direction
    return new_param, {**state, "exp_avg": betas[1] * m + (1 - betas[1]) * grad}
    # END SOLUTION
'''
LION_ORACLE = '''def _sketch_lion(p, g, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    """Lion as the paper writes it (torch.optim has none)."""
    m = state.get("exp_avg", torch.zeros_like(p))
    update = (betas[0] * m + (1 - betas[0]) * g).sign() + weight_decay * p
    return p - lr * update, {"exp_avg": betas[1] * m + (1 - betas[1]) * g}


'''
LION_ENTRY = """    Optimizer(
        "optim.sketch_lion",
        "",
        {"lr-0.01": dict(lr=0.01), "decay": dict(lr=0.01, weight_decay=0.5)},
        ("exp_avg",),
        hints={"tiny-gradients": "Lion moves every entry by lr times a sign, whatever its size"},
        oracle=_sketch_lion,
    ),
"""


def test_a_new_optimizer_takes_its_reference_and_its_grader_entry(copy, scaffolded, tmp_path):
    """The scaffold plus the content: Lion, graded by name with an oracle of its own, gives the
    reference full marks on every optimizer check and code that computes nothing 0."""
    kit = tmp_path / "kit"
    shutil.copytree(copy, kit)
    reference = kit / "solutions" / "optim.py"
    text = reference.read_text()
    reference.write_text(text[: text.index("def sketch_lion_step(")] + LION_REFERENCE)
    graders = kit / "graders" / "test_optim.py"
    text = graders.read_text()
    entry = text.index("    # TODO(new-exercise): sketch_lion_step's")
    end = text.index("\n", text.index('Optimizer("optim.sketch_lion"', entry)) + 1
    text = text[:entry] + LION_ENTRY + text[end:]
    graders.write_text(text.replace("OPTIMIZERS = [", LION_ORACLE + "OPTIMIZERS = [", 1))
    results = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "graders/test_optim.py", "-k", "sketch_lion", "-q"]
        + ["-p", "no:cacheprovider", f"--results={results}", "--no-grade-summary"]
        + ["--impl=solutions", "--impl=hollow:optim.sketch_lion.zeros"],
        cwd=kit,
        env=dict(os.environ, PYTHONPATH=str(kit / "src")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    doc = json.loads(results.read_text())
    blocks = {b["name"]: b for b in doc["implementations"]}
    lion = [e for e in blocks["solutions"]["exercises"] if e["id"] == "optim.sketch_lion"]
    assert lion and lion[0]["points"] == lion[0]["max_points"] > 0, run.stdout[-3000:]
    checks = {t["nodeid"].split("::")[-1].split("[")[0] for t in doc["tests"]}
    assert checks == {
        "test_scenario",
        "test_returned_state",
        "test_default_hyperparameters",
        "test_arguments_and_state_unchanged",
    }
    assert blocks["hollow:optim.sketch_lion.zeros"]["points"] == 0
