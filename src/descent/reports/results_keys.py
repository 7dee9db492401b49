"""Every key of a ``descent.results/1`` document (:mod:`descent.results`), declared with its JSON
type and meaning; ``descent docs`` makes ``docs/reference/results-schema.md`` from
:func:`objects`.

A test's and an exercise's record are the dataclasses :class:`~descent.results.TestResult` and
:class:`~descent.results.ExerciseResult`: their keys and types are read from the fields, and only
the meanings are written here (a field without one stops ``descent docs``). The other objects
are built as dicts (:func:`descent.results.build`, the grading plugin's
:mod:`~descent.grading.results_document` and :mod:`~descent.grading.plugin_workers`, a
submission's :meth:`~descent.isolation.remote.WorkerImplementation.describe`), so their keys are
declared here in full; the kit's tests check a real document against them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import results


@dataclass(frozen=True)
class Key:
    type: str  # the JSON type, in words
    meaning: str
    when: str = ""  # "": always there; else when the key is present


WORKER = "graded in a worker"

DOCUMENT = {
    "schema": Key("string", f"always `{results.SCHEMA}`"),
    "suite": Key("string", "the test folders that ran (`graders`, `exercises`), comma-separated"),
    "started_at": Key("string", "when the run started, ISO 8601 with its offset"),
    "duration_s": Key("number", "the run's wall time in seconds"),
    "devices": Key("array of strings", "the devices tests ran on (`cpu`, `cuda`)"),
    "environment": Key("object", "what the run ran on: see [environment](#environment)"),
    "interrupted": Key(
        "boolean", "the run was stopped early (Ctrl-C); tests cut short count as errors"
    ),
    "implementations": Key(
        "array of objects", "one per implementation graded: see [implementation](#implementation)"
    ),
    "tests": Key("array of objects", "one per test and implementation: see [test](#test)"),
}

ENVIRONMENT = {
    "python": Key("string", "the Python version"),
    "torch": Key("string", "the torch version"),
    "cuda": Key("boolean", "whether a CUDA device was available"),
    "platform": Key("string", "`sys.platform` (`linux`, `darwin`, `win32`)"),
    "test_processes": Key("integer", "how many processes shared the tests (1 or 2)"),
    "input_seed": Key(
        "string",
        "what the hidden inputs were drawn from: the course's secret (its fingerprint), an "
        "`--input-seed`, or `fixed`",
    ),
    "isolation": Key(
        "string", "`in-process`, `worker` or `worker-unconfined`, with a note when mixed"
    ),
    "isolation_details": Key(
        "object",
        "how the workers were confined: see [isolation_details](#isolation_details)",
        WORKER,
    ),
}

ISOLATION_DETAILS = {
    "mode": Key("string", "the confinement mode the probe found"),
    "mechanisms": Key("array of strings", "the confinement mechanisms applied"),
    "unprivileged_workers": Key("boolean", "workers confined as a user without root"),
    "machine": Key("object", "what the machine offers for confinement"),
    "probe": Key("object", "what the confined probe reported"),
    "fork_server_preload_s": Key("number or null", "seconds the fork server took to import"),
    "colocated_cpu": Key("integer or null", "the CPU the grading and its workers were pinned to"),
}

IMPLEMENTATION = {
    "name": Key("string", "the implementation's name (`starter`, a folder, `bug:ID`, a student)"),
    "kind": Key(
        "string",
        "`folder` (a folder of modules) or `patched` (the solutions with a catalogued variant)",
    ),
    "points": Key("number", "points earned over its exercises"),
    "max_points": Key("number", "points its exercises are worth"),
    "exercises": Key("array of objects", "one per exercise graded: see [exercise](#exercise)"),
    "isolation": Key("string", "`in-process` or `worker`"),
    "intake": Key(
        "object",
        "the submission's files: `taken` (paths), `ignored` and `refused` (each a path and a "
        "reason), `tests` (test files a write-the-tests exercise read)",
        "a folder with files other than its modules",
    ),
    "review": Key("object", "per exercise id, why it is marked for a person to review", WORKER),
    "worker_events": Key("array", "what happened to its workers (at most 100)", WORKER + ", any"),
    "worker_requests": Key("integer", "requests sent to its workers", WORKER),
    "worker_pipelined": Key("integer", "requests sent without waiting for an answer", WORKER),
    "worker_requests_top": Key("object", "the ten tests that sent the most requests", WORKER),
}

# The meanings of the records' fields (their keys and types are the dataclasses').
EXERCISE_MEANINGS = {
    "id": "the exercise's id (`losses.mse`)",
    "title": "its title",
    "points": "points earned",
    "max_points": "points it is worth (10 unless the registry says otherwise)",
    "status": "`passed`, `partial`, `failed`, `not_implemented` or `error`",
    "passed": "counted tests that passed",
    "failed": "counted tests that failed",
    "not_implemented": "counted tests stopped by `NotImplementedError`",
    "errors": "counted tests whose code could not load or crashed",
    "skipped": "counted tests skipped",
    "first_failure": "the message of its first lost test",
    "misconceptions": "the catalogued mistakes its tests named",
}
EXERCISE_EXTRA = {"review": Key("boolean", "marked for a person to review", WORKER + ", flagged")}

TEST_MEANINGS = {
    "nodeid": "pytest's id of the test",
    "implementation": "the implementation's name",
    "exercise": "the exercise id",
    "name": "the test's name within its file, parameters included",
    "device": "the device it ran on, or null",
    "weight": "its share within its exercise (its `points` marker)",
    "max_points": "its weight scaled so that the exercise's counted tests add up to its points",
    "outcome": "`passed`, `failed`, `not_implemented`, `error` or `skipped`",
    "points": "points earned",
    "counted": "false for a test skipped for want of hardware (CUDA): it adds to neither total",
    "message": "what the student reads: the failure, its diagnosis, why points were capped",
    "misconception": "the catalogued mistake it named",
    "diagnosis": "the generic diagnosis's kind (`sum-mean`, ...)",
    "diagnosis_cut_short": "that diagnosis ran out of time (a busier machine may name another)",
    "duration_s": "its wall time in seconds",
    "drawn": "its inputs were drawn (keyed to the code), not written into the test",
    "picture": "a failed check's values to draw, a `line` or a `histogram` (null: none; "
    "descent.grading.pictures gives the layout)",
}

_JSON = {"str": "string", "float": "number", "int": "integer", "bool": "boolean", "dict": "object"}


def json_type(annotation: str) -> str:
    """A field's annotation as a JSON type in words: ``str | None`` -> ``string or null``,
    ``list[str]`` -> ``array of strings``."""
    parts = [p.strip() for p in annotation.split("|")]
    named = []
    for part in parts:
        if part == "None":
            named.append("null")
        elif part.startswith("list[") and part.endswith("]"):
            named.append(f"array of {_JSON.get(part[5:-1], part[5:-1])}s")
        else:
            named.append(_JSON.get(part, part))
    return " or ".join(named)


def record_keys(cls: type, meanings: dict[str, str]) -> dict[str, Key]:
    """The keys of a dataclass record, in its fields' order, each with its meaning; a
    ``ValueError`` when a field has no meaning or a meaning no field."""
    names = [f.name for f in dataclasses.fields(cls)]
    if set(names) != set(meanings):
        lacking = sorted(set(names) - set(meanings))
        stray = sorted(set(meanings) - set(names))
        raise ValueError(f"{cls.__name__}: no meaning for {lacking}; meanings of no field {stray}")
    return {f.name: Key(json_type(str(f.type)), meanings[f.name]) for f in dataclasses.fields(cls)}


def objects() -> dict[str, dict[str, Key]]:
    """Each object of the document, by the name the page gives it, with its keys."""
    return {
        "document": DOCUMENT,
        "environment": ENVIRONMENT,
        "isolation_details": ISOLATION_DETAILS,
        "implementation": IMPLEMENTATION,
        "exercise": record_keys(results.ExerciseResult, EXERCISE_MEANINGS) | EXERCISE_EXTRA,
        "test": record_keys(results.TestResult, TEST_MEANINGS),
    }
