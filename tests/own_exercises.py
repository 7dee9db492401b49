"""A plugin of the kit's own gradings of several submission folders in one run
(``conftest.grade(..., own=...)`` loads it into the grading process): each folder is graded on
the exercises named for it alone, as a catalogued variant is graded on its own exercise only.

A test that plants one slip per folder and grades them together then pays for each folder's
own tests, not for every folder times every exercise that ``-k`` chose for one of them (a
capstone run, a training, for each of twenty folders). The folders and their exercises come in
the environment variable ``OWN_EXERCISES`` (JSON: folder name -> exercise ids); a folder it does
not name is graded on everything selected, as without the plugin. Whole exercises are left out,
never part of one, so no exercise is scored on part of its tests."""

from __future__ import annotations

import json
import os

import pytest

from descent.grading.run_state import deselect, exercise_of, impl_of

VARIABLE = "OWN_EXERCISES"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    own = json.loads(os.environ.get(VARIABLE) or "{}")

    def named_for_its_folder(item: pytest.Item) -> bool:
        exercises = own.get(impl_of(item).name)
        exercise = exercise_of(item)
        return exercises is None or exercise is None or exercise in exercises

    deselect(config, items, named_for_its_folder)
