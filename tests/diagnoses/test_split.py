"""Chunk sizes (``descent.diagnoses.split``): ``n`` items cut into folds or batches with the
remainder mishandled (all to the last chunk, ceil(n / k), a short last chunk lost or kept); the
same sizes in another order, or sizes too small to be a cut, name nothing."""

import pytest
import torch

from descent.diagnoses import split as split_diagnoses
from descent.diagnoses.values import diagnose

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.mark.parametrize(
    "expected, got, kind, words",
    [
        ([3, 3, 2, 2], [2, 2, 2, 4], "edge", "all go to the last chunk"),
        ([3, 3, 2, 2], [3, 3, 3, 1], "edge", "ceil(n / k)"),
        ([8, 8, 7, 7, 7], [7, 7, 7, 7, 7], "edge", "left out of every chunk"),
        ([3, 3, 3, 1], [3, 3, 3], "step", "lose the short last one (1 item)"),
        ([3, 3, 3], [3, 3, 3, 1], "step", "keep a short last one"),
    ],
)
def test_chunk_sizes(expected, got, kind, words):
    found = diagnose(expected, got)
    assert found is not None and found.kind == kind and words in found.text


@pytest.mark.parametrize(
    "expected, got",
    [
        ([3, 3, 2, 2], [3, 2, 3, 2]),  # the same sizes in another order: not a remainder slip
        ([1, 1, 0, 0], [0, 0, 0, 2]),  # too small to be a cut
        ([3, 3, 3, 1], [3, 3, 2]),  # a last chunk lost and another one short
        ([3, 3, 3], [3, 3, 3, 3]),  # a whole chunk too many is not a short one kept
    ],
)
def test_chunk_sizes_near_miss(expected, got):
    assert (
        split_diagnoses.chunk_sizes(
            torch.tensor(expected, dtype=torch.float64), torch.tensor(got, dtype=torch.float64)
        )
        is None
    )


def test_a_short_last_chunk_filled_up_to_the_full_size():
    # (issue 57) a mini-batch maker that pads its last batch with indices from earlier ones
    found = split_diagnoses.chunk_sizes(torch.tensor([3.0, 3, 3, 1]), torch.tensor([3.0, 3, 3, 3]))
    assert found is not None and found.kind == "edge" and "filled up" in found.text
    assert (
        split_diagnoses.chunk_sizes(torch.tensor([3.0, 3, 3, 1]), torch.tensor([3.0, 3, 3, 2]))
        is None
    )
