"""Every key of a results document, declared (``descent.reports.results_keys``): a real
document (the toy kit graded in this process) holds only declared keys; a record's keys and
types are its dataclass's, and a field without a meaning stops the page."""

from __future__ import annotations

import pytest

from descent import results
from descent.reports import results_keys

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]  # the toy kit's grading (grade_toy) runs through pytester

TOY = """
import pytest
import torch

@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_forward(self, impl):
        loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
        assert float(loss) == 1.0

    @pytest.mark.supporting()
    def test_shape(self, impl):
        loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
        assert loss.shape == ()
"""


def _keys(doc: dict) -> dict[str, set[str]]:
    """The keys a real document holds, by the schema's name of each object."""
    impls = doc["implementations"]
    return {
        "document": set(doc),
        "environment": set(doc["environment"]),
        "isolation_details": set(doc["environment"].get("isolation_details", {})),
        "implementation": {k for b in impls for k in b},
        "exercise": {k for b in impls for e in b["exercises"] for k in e},
        "test": {k for t in doc["tests"] for k in t},
    }


def test_every_key_of_a_real_results_document_is_declared(grade_toy):
    toy = grade_toy(TOY, "--impl=solutions", "--impl=starter", "--isolation=none", "--insecure")
    declared = results_keys.objects()
    for name, keys in _keys(toy.doc).items():
        assert keys <= set(declared[name]), f"{name}: undeclared {keys - set(declared[name])}"
    assert {"schema", "environment", "tests"} <= _keys(toy.doc)["document"]


def test_a_record_field_without_a_meaning_stops_the_page():
    meanings = dict(results_keys.TEST_MEANINGS)
    meanings.pop("drawn")
    with pytest.raises(ValueError, match="no meaning for \\['drawn'\\]"):
        results_keys.record_keys(results.TestResult, meanings)


def test_a_fields_annotation_is_written_as_a_json_type():
    assert results_keys.json_type("str | None") == "string or null"
    assert results_keys.json_type("list[str]") == "array of strings"
    assert results_keys.objects()["test"]["picture"].type == "object or null"
