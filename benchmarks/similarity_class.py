"""How long ``descent similarity`` takes on a generated class, and what it finds there.

    .venv/bin/python benchmarks/similarity_class.py [--students 100] [--copies 3] [--ring 5]
        [--seed 0]

The class is ``similarity_class.generate`` (tests/course/similarity): each student fills every
module, exercise by exercise, with the reference solution, one of the catalogue's alternatives, or
nothing (the stub), at random, and is made their own (calls of their own between statements,
half their values passed through a call of their own), so that most of a student's code is
theirs alone while the common idioms stay common. ``--copies`` students are then replaced by
disguised copies of others (names renamed, functions reordered, comments rewritten, a dead
statement after every statement, in notebook cells), and ``--ring`` more hand one student's
modules around verbatim. Printed: the time to read the submissions, to compare them and to
write the reports (one run), the number of flagged pairs, the rank of each planted pair, the
groups found and the most similar pairs not planted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT / "src"))
sys.path.insert(0, str(KIT / "tests" / "course" / "similarity"))

import similarity_class as sample  # noqa: E402

from descent import registry  # noqa: E402
from descent.course.similarity import corpus, engine, pages  # noqa: E402


def generate(
    folder: Path, students: int, copies: int, ring: int, seed: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """Write the class; returns the planted copies (original, copier) and the ring."""
    texts = sample.generate(folder, KIT, students, seed=seed)
    rng = random.Random(seed + 1)
    names = sorted(texts)
    ringed = names[:ring] if ring >= 2 else []
    for member in ringed[1:]:
        sample._write_folder(folder / member, texts[ringed[0]])
    others = names[len(ringed) :]
    planted = []
    for original, copier in zip(rng.sample(others, copies), rng.sample(others, copies)):
        if original == copier or copier in {o for o, _ in planted}:
            continue
        disguised = {
            m: sample.obfuscate(sample.disguise(t), "dead") for m, t in texts[original].items()
        }
        for m in texts[copier]:
            (folder / copier / f"{m}.py").unlink()
        (folder / copier).rmdir()
        sample._write_notebook(folder / f"{copier}.ipynb", disguised)
        planted.append((original, copier))
    return planted, ringed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--ring", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        planted, ring = generate(folder, args.students, args.copies, args.ring, args.seed)
        t0 = time.perf_counter()
        found = corpus.read(folder, KIT, registry.MODULES)
        t1 = time.perf_counter()
        analysis = engine.analyse(found)
        t2 = time.perf_counter()
        pages.write(analysis, Path(tmp) / "out")
        t3 = time.perf_counter()
    print(
        f"{len(found.students)} students, {len(registry.MODULES)} modules, "
        f"{len(analysis.pairs)} pairs; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"read {t1 - t0:.1f} s, compare {t2 - t1:.1f} s, reports {t3 - t2:.1f} s, "
        f"total {t3 - t0:.1f} s; {analysis.tokens:,} tokens fingerprinted"
    )
    print(
        f"flagged {len(analysis.flagged)}; too short to judge: {len(analysis.too_short)} of "
        f"{len(analysis.too_short) + len(analysis.judged)} exercises"
    )
    ranks = {frozenset((p.a, p.b)): i for i, p in enumerate(analysis.pairs, 1)}
    for pair in planted:
        p = analysis.pairs[ranks[frozenset(pair)] - 1]
        print(
            f"planted copy {pair[0]} -> {pair[1]}: rank {ranks[frozenset(pair)]}, "
            f"similarity {p.similarity:.2f}, flagged {p.flagged}"
        )
    inside = [p for p in analysis.pairs if {p.a, p.b} <= set(ring)]
    if inside:
        print(
            f"ring of {len(ring)}: similarity {min(p.similarity for p in inside):.2f} to "
            f"{max(p.similarity for p in inside):.2f}, {sum(p.flagged for p in inside)} of "
            f"{len(inside)} pairs flagged"
        )
    for group in analysis.groups:
        print(f"group: {', '.join(group.members)} ({'; '.join(group.modules)})")
    known = {frozenset(x) for x in planted} | {frozenset((p.a, p.b)) for p in inside}
    for p in [p for p in analysis.pairs if frozenset((p.a, p.b)) not in known][:3]:
        print(f"next: {p.a} & {p.b} {p.similarity:.2f} longest {p.longest} flagged {p.flagged}")


if __name__ == "__main__":
    main()
