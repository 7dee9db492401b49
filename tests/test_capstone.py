"""The capstone's promises that need a planted loop: a training loop that stops on the clock
(as its docstring allows) loses nothing in the graders or in the public tests, and the public
tests catch a loop that draws from the global random generator, as the graders do."""

from __future__ import annotations

import shutil

from conftest import KIT, grade

# Where the reference checks its clock, and what the planted loop does instead: every second
# call stops after 80% of its epochs, as a time check would on a machine busy at that moment.
CLOCK = "        if time.perf_counter() - start > 0.8 * time_budget_s:\n"
SHORT = "        if _CALLS[0] % 2 == 0 and len(history['train_loss']) >= 0.8 * epochs:\n"
COUNTER = """
_CALLS = [0]


def train_classifier(*args, **kwargs):
    _CALLS[0] += 1
    return _train(*args, **kwargs)
"""


def _stopping_on_the_clock(tmp_path):
    folder = tmp_path / "clock"
    shutil.copytree(KIT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    source = (KIT / "solutions" / "train.py").read_text()
    assert CLOCK in source and source.count("def train_classifier(") == 1
    source = source.replace(CLOCK, SHORT).replace("def train_classifier(", "def _train(")
    (folder / "train.py").write_text(source + COUNTER)
    return folder


def test_a_loop_that_stops_on_the_clock_keeps_every_point(tmp_path):
    folder = _stopping_on_the_clock(tmp_path)
    run = grade(
        tmp_path,
        ["graders/test_train.py", "exercises/test_train.py"],
        [str(folder)],
        "--isolation=none",
        "--insecure",
    )
    outcomes = {
        (t["nodeid"].split("/")[0], t["name"].split("[")[0]): (t["outcome"], t["message"])
        for t in run.results["tests"]
        if t["exercise"] == "train.train_classifier"
    }
    for suite, name in (
        ("graders", "TestCapstone::test_reproducible_from_the_seed"),
        ("exercises", "TestTrainClassifier::test_reproducible_from_the_seed"),
    ):
        assert outcomes.get((suite, name), ("missing",))[0] == "passed", (suite, outcomes)
    assert all(outcome == "passed" for outcome, _ in outcomes.values()), outcomes


def test_the_public_tests_catch_a_loop_on_the_global_generator(public_bugs_run):
    failed = [
        t
        for t in public_bugs_run.results["tests"]
        if t["implementation"] == "bug:train_not_seeded" and t["outcome"] != "passed"
    ]
    # its draws also move the global generator, which the docstring forbids
    assert sorted(t["name"].split("[")[0] for t in failed) == [
        "TestTrainClassifier::test_leaves_the_global_random_state_alone",
        "TestTrainClassifier::test_reproducible_from_the_seed",
    ]
    [seeded] = [t for t in failed if "test_reproducible_from_the_seed" in t["name"]]
    assert seeded["message"].startswith("[reproducible] two runs with the same seed")


# Draws of the batch of 8 on which the reference once stayed above the bar (0.04795 and 0.04626,
# with 100 optimizer steps; 12 of 80 such draws failed): a correct loop must memorize 8 points
# on every draw, or a correct student loses the check on some of them.
HARD_BATCHES = ("overfit-63", "overfit-57")


def test_the_reference_memorizes_every_batch_of_8_it_is_given(tmp_path):
    for seed in HARD_BATCHES:
        run = grade(
            tmp_path / seed,
            ["graders/test_train.py", "-k", "overfits"],
            [str(KIT / "solutions")],
            "--isolation=none",
            "--insecure",
            f"--input-seed={seed}",
        )
        [test] = run.results["tests"]
        assert test["outcome"] == "passed", (seed, test["message"])
