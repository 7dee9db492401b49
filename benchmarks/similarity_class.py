"""How long ``descent similarity`` takes on a generated class.

    .venv/bin/python benchmarks/similarity_class.py [--students 100] [--copies 3] [--seed 0]

Each generated student fills every module of the kit, exercise by exercise, with the reference
solution, one of the catalogue's alternatives, or nothing (the stub), at random. A third of the
class would then hold the very same code, which no real class does, so each student's copy of a
function also gets numbers of its own between its statements (``_step = 48213``): as in a real
class, most of a student's code is theirs alone, while the common idioms stay common.
``--copies`` students are then replaced by disguised copies of others (names renamed, functions
reordered, comments rewritten, in notebook cells). Printed: the time to read the submissions,
to compare them and to write the reports (one run), the number of flagged pairs and the rank of
each planted pair.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT / "src"))
sys.path.insert(0, str(KIT / "tests" / "course"))

import similarity_class as sample  # noqa: E402

from descent import registry  # noqa: E402
from descent.course.similarity import corpus, engine, pages  # noqa: E402


def generate(folder: Path, students: int, copies: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    starter = {m: (KIT / "starter" / f"{m}.py").read_text() for m in registry.MODULES}
    options = {
        m: [sample.reference_bodies(KIT, m), sample.alternatives(KIT, m)] for m in registry.MODULES
    }
    texts = {}
    for i in range(students):
        modules = {}
        for m in registry.MODULES:
            bodies = {}
            for ex in (e for e in registry.EXERCISES.values() if e.module == m):
                pick = rng.choice([0, 0, 1, None])
                for fn in ex.functions:
                    source = options[m][pick].get(fn) if pick is not None else None
                    if source is not None:
                        bodies[fn] = individual(source, rng)
            modules[m] = sample.fill(starter[m], bodies)
        texts[f"s{i:03d}"] = modules
    planted = []
    names = sorted(texts)
    for original, copier in zip(rng.sample(names, copies), rng.sample(names, copies)):
        if original == copier:
            continue
        texts[copier] = {m: sample.disguise(t) for m, t in texts[original].items()}
        planted.append((original, copier))
    copiers = {copier for _, copier in planted}
    for name, modules in texts.items():
        if name in copiers:
            sample._write_notebook(folder / f"{name}.ipynb", modules)
        else:
            sample._write_folder(folder / name, modules)
    return planted


def individual(body: str, rng: random.Random) -> str:
    """``body`` with a line ``_step = <random number>`` before each of its statements."""
    body = textwrap.dedent(body)
    lines = body.splitlines()
    for node in reversed(ast.parse(body).body):
        indent = lines[node.lineno - 1][: node.col_offset]
        lines.insert(node.lineno - 1, f"{indent}_step = {rng.randrange(10**6)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        planted = generate(folder, args.students, args.copies, args.seed)
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
        f"total {t3 - t0:.1f} s"
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
    top = [
        p for p in analysis.pairs if frozenset((p.a, p.b)) not in {frozenset(x) for x in planted}
    ][:3]
    for p in top:
        print(f"next: {p.a} & {p.b} {p.similarity:.2f} longest {p.longest}")


if __name__ == "__main__":
    main()
