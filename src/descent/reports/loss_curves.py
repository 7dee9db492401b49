"""The capstone's loss curves: written as data by its grader, drawn as a PNG only for a report.

Drawing costs a grading about a second of matplotlib (its import, then the figure), which no
grade depends on, so the grader only writes the curves of its main run, ``capstone_<name>.json``
next to the results document (:func:`write`). What shows the picture draws it first
(:func:`draw_all`): ``descent grade --html`` and ``descent grade --loss-curves``, which the
gradings of ``descent batch`` pass, since its reports and gradebook keep the picture.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from .pictures import figure

PREFIX = "capstone_"


def file_stem(name: str) -> str:
    """The file name part for an implementation's name (anything unusual becomes ``_``)."""
    return PREFIX + re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write(results_dir: Path, name: str, out: Any, target: float) -> Path | None:
    """Write the histories an implementation reported (``out["train_loss"]``, ``out["val_loss"]``)
    and the target validation loss as ``capstone_<name>.json``; None when there is nothing to
    draw. Entries that are not finite numbers are kept as gaps (null)."""
    if not isinstance(out, dict):
        return None
    curves = {key: _numbers(out.get(key)) for key in ("train_loss", "val_loss")}
    if not any(curves.values()):
        return None
    path = Path(results_dir) / f"{file_stem(name)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"implementation": name, "target": target, **curves}))
    return path


def _numbers(values: Any) -> list[float | None]:
    if not isinstance(values, (list, tuple)):
        return []
    return [
        float(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        else None
        for v in values[:100_000]
    ]


def draw_all(results_dir: Path) -> list[Path]:
    """A PNG beside each ``capstone_*.json`` of ``results_dir`` that has none newer than it;
    returns the PNGs drawn (none without matplotlib, an optional dependency)."""
    drawn = []
    for data in sorted(Path(results_dir).glob(f"{PREFIX}*.json")):
        png = data.with_suffix(".png")
        if png.exists() and png.stat().st_mtime >= data.stat().st_mtime:
            continue
        try:
            curves = json.loads(data.read_text())
        except (OSError, ValueError):
            continue
        if draw(curves, png):
            drawn.append(png)
    return drawn


def draw(curves: dict, png: Path) -> bool:
    """The loss curves as a PNG at ``png`` (log scale, the target as a dashed line)."""
    fig = figure()  # None without matplotlib
    if fig is None:
        return False
    ax = fig.subplots()
    for key, label in (("train_loss", "train"), ("val_loss", "validation")):
        ax.plot([math.nan if v is None else v for v in curves.get(key) or []], label=label)
    target = curves.get("target")
    if isinstance(target, (int, float)):
        ax.axhline(target, color="grey", linestyle="--", linewidth=0.8, label="target")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_title(f"capstone: {curves.get('implementation', '')}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)
    return True
