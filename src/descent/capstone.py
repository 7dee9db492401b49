"""What the capstone's public tests and graders both decide about a training run.

:func:`same_training` is the reproducibility rule of ``train_classifier``'s docstring: two runs
with the same seed agree when they return identical parameters after the same number of epochs,
or, when a time check stopped one of them earlier, identical loss histories over the epochs both
ran (the longer run's parameters were never reached by the shorter one, so they cannot be
compared). A loop that stops on the clock therefore loses nothing for it, while one that draws
from the global random state, or from the time, differs from its first epoch.
"""

from __future__ import annotations

from typing import Any

import torch

HISTORIES = ("train_loss", "val_loss")


def history(out: Any, key: str) -> Any:
    """``out[key]`` (a reported loss history) when ``out`` is a dict, else None."""
    return out.get(key) if isinstance(out, dict) else None


def epochs(out: Any) -> int | None:
    """How many epochs a run reports: the length of its training loss history, or None."""
    losses = history(out, "train_loss")
    return len(losses) if isinstance(losses, (list, tuple)) else None


def same_training(a: Any, b: Any) -> bool:
    """Whether two runs with the same seed agree (see the module docstring); both must hold a
    list of ``(W, b)`` pairs under ``"params"``."""
    shorter = min(epochs(a) or 0, epochs(b) or 0)
    if epochs(a) != epochs(b) and shorter > 0:
        return all(
            list(history(a, key) or [])[:shorter] == list(history(b, key) or [])[:shorter]
            for key in HISTORIES
        )
    pa, pb = a["params"], b["params"]
    return len(pa) == len(pb) and all(
        torch.equal(x, y) for la, lb in zip(pa, pb) for x, y in zip(la, lb)
    )
