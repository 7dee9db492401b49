"""The edits that swap one name for another (``descent.diagnoses.edit_names``): names written
alike first, a name nothing defines given one like it or its constant."""

from __future__ import annotations

import pytest

from descent.diagnoses.edit_names import near

from .test_edit_rules import _texts

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


NEAR_NAMES = """
import numpy as np


def adam(w, g, m, s, t, beta1=0.9, beta2=0.999, eps=1e-8, lr=0.1):
    m = beta1 * m + (1 - beta1) * g
    s = beta1 * s + (1 - beta2) * g * g
    m_corrected = m / (1 - beta1 ** t)
    s_corrected = s / (1 - beta2 ** t)
    return w - lr * m_corrected / (np.sqrt(s) + eps), m, s
"""


def test_names_like_each_other_are_swapped_before_the_others():
    """Adam's uncorrected `s` in the step and `beta1` in the second moment (Coursera
    learners): the swaps of names written alike come first, the rest after them."""
    names = _texts(NEAR_NAMES, "adam", "name") + _texts(NEAR_NAMES, "adam", "swap")
    plain = "`g` is used where another of your variables belongs"
    first = names[: next(i for i, (t, _) in enumerate(names) if plain in t)]
    assert any("np.sqrt(s_corrected)" in f for _, f in first)
    assert any("s = beta2 * s" in f for _, f in first)
    assert near("s", "s_corrected") and near("beta1", "beta2") and near("dw", "dW")
    assert near("v", "new_v") and not near("s", "self") and not near("lr", "g")


UNDEFINED = """
import numpy as np


def relu(z, keep=None):
    out = np.maximum(o, z)
    return out.sum(axis=0, keepdims=true) + mini_out
"""


def test_a_name_nothing_defines_is_given_a_name_like_it_or_its_constant():
    """Coursera learners' `o` for `0` and `true`, and a variable misspelt: only names that
    neither the function, the module nor Python defines are edited so."""
    found = _texts(UNDEFINED, "relu", "name")
    said = [t for t, _ in found if "is not defined where it is read" in t]
    assert {t.split("`")[3] for t in said} == {"o", "true", "mini_out"}
    edited = [f for t, f in found if "is not defined where it is read" in t]
    assert any("np.maximum(0, z)" in f for f in edited)
    assert any("keepdims=True" in f for f in edited)
    assert any("+ out\n" in f + "\n" for f in edited)
    star = UNDEFINED.replace("import numpy as np", "from numpy import *")
    assert not any("is not defined where it is read" in t for t, _ in _texts(star, "relu", "name"))


ANOTHER_S_LOCALS = """
import numpy as np


def train(x, eps=1e-5):
    sample_mean, sample_var = x.mean(0), x.var(0)
    return (x - sample_mean) / np.sqrt(sample_var + eps)


def test(x, mean, var, eps=1e-5):
    return (x - sample_mean) / np.sqrt(sample_var + eps)
"""


def test_names_local_to_another_function_are_undefined_and_put_right_together():
    """A Peking learner's test-time batch norm reads the training function's `sample_mean` and
    `sample_var`: NameError there, whichever one alone is put right. Both are read as the
    names like them, `mean` and `var`, in one edit."""
    found = _texts(ANOTHER_S_LOCALS, "test", "name")
    both = [f for t, f in found if "`sample_mean` and `sample_var` (line 11): not defined" in t]
    assert len(both) == 1 and "(x - mean) / np.sqrt(var + eps)" in both[0]
    assert not _texts(ANOTHER_S_LOCALS, "train", "name")
