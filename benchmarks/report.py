"""The benchmark runner's output: tables on the terminal, ``RESULTS.md`` and the targets.

Every table is built once as rows of text (:func:`tables`) and then printed or written as
Markdown, so the terminal and the file always say the same thing.
"""

from __future__ import annotations


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def peers_table(body: dict) -> tuple[list[str], list[list[str]]]:
    head = [
        "tool",
        "submissions",
        "wall s",
        "wall s / submission",
        "CPU s / submission",
        "ratio to nbgrader",
        "note",
    ]
    rows = []
    for r in body["rows"]:
        if "error" in r:
            rows.append(
                [
                    r["tool"],
                    str(r["submissions"]),
                    "-",
                    "-",
                    "-",
                    "-",
                    "did not run: " + r["error"].splitlines()[0][:160],
                ]
            )
        else:
            rows.append(
                [
                    r["tool"],
                    str(r["submissions"]),
                    _s(r["wall_s"]),
                    _s(r["wall_per_submission_s"]),
                    _s(r["cpu_per_submission_s"]),
                    _s(r.get("ratio_to_nbgrader")),
                    f"{r['checks_passed']} checks passed"
                    + (f"; from {r['environment']}" if r.get("environment") else ""),
                ]
            )
    return head, rows


def kit_table(body: dict) -> tuple[list[str], list[list[str]]]:
    head = [
        "submissions",
        "command",
        "wall s",
        "CPU s",
        "wall s / submission",
        "CPU s / submission",
        "note",
    ]
    rows = []
    for r in body["rows"]:
        if "error" in r:
            rows.append(
                [
                    str(r["submissions"]),
                    r["mode"],
                    "-",
                    "-",
                    "-",
                    "-",
                    "failed: " + r["error"].splitlines()[0][:160],
                ]
            )
        else:
            note = (
                ("lost points: " + ", ".join(r["lost_points"])[:120])
                if r["lost_points"]
                else "full marks"
            )
            if r.get("test_processes") == 2:
                note += "; tests shared by 2 processes"
            rows.append(
                [
                    str(r["submissions"]),
                    r["mode"],
                    _s(r["wall_s"]),
                    _s(r["cpu_s"]),
                    _s(r["wall_per_submission_s"]),
                    _s(r["cpu_per_submission_s"]),
                    note,
                ]
            )
    return head, rows


def isolation_ratios(body: dict) -> list[tuple[int, float, float]]:
    """(class size, isolated / in-process wall, the same for CPU) per class size. Both in one
    process: the isolated run with ``--test-processes 1`` where the run has it, since sharing
    the tests between two processes is another gain than isolation's cost."""
    by = {(r["submissions"], r["mode"]): r for r in body["rows"] if "error" not in r}
    out = []
    for (n, mode), base in sorted(by.items()):
        if mode != "grade, in-process":
            continue
        r = by.get((n, "grade, isolated, one process")) or by.get((n, "grade, isolated"))
        if r is not None:
            out.append((n, r["wall_s"] / base["wall_s"], r["cpu_s"] / base["cpu_s"]))
    return out


def profile_tables(profile: dict, top: int = 15) -> list[tuple[str, list[str], list[list[str]]]]:
    out = []
    for key, entries in profile.items():
        total = sum(s for _, s, _ in entries) or 1.0
        rows = [[name, f"{s:.2f}", f"{s / total:.0%}", str(c)] for name, s, c in entries[:top]]
        out.append(
            (
                f"time per {key} (summed test durations, isolated, first class; "
                f"top {min(top, len(entries))} of {len(entries)})",
                [key, "s", "share", "tests"],
                rows,
            )
        )
    return out


def budget_table(body: dict) -> tuple[list[str], list[list[str]]]:
    """Per grader module: seconds of one isolated grading and the counted work / its budget."""
    counts = ("requests", "calls", "steps", "examples")
    head = ["module", "s (one isolated grading)", "tests", *(f"{c} / budget" for c in counts)]
    rows = []
    for r in body["rows"]:
        cells = [
            f"{r['counts'].get(c, 0):,} / {r['budget'].get(c, 0):,}"
            + (" (over)" if r["counts"].get(c, 0) > r["budget"].get(c, 0) else "")
            for c in counts
        ]
        rows.append([r["module"], _s(r["seconds"]), str(r["tests"]), *cells])
    return head, rows


def loop_table(rows_in: list[dict]) -> tuple[list[str], list[list[str]]]:
    head = ["code", "pytest target", "wall s (median)", "CPU s", "runs", "note"]
    rows = []
    for r in rows_in:
        rows.append(
            [
                r["code"],
                r["target"],
                _s(r.get("wall_s")),
                _s(r.get("cpu_s")),
                str(r.get("runs", 0)),
                ("problem: " + r["error"].splitlines()[0][:160]) if "error" in r else "",
            ]
        )
    return head, rows


def ops_table(body: dict) -> tuple[list[str], list[list[str]]]:
    head = ["device", "operation", "size", "reference ms", "PyTorch ms", "reference / PyTorch"]
    rows = [
        [
            r["device"],
            r["operation"],
            r["size"],
            f"{r['reference_s'] * 1e3:.2f}",
            f"{r['pytorch_s'] * 1e3:.2f}",
            f"{r['ratio']:.2f}x",
        ]
        for r in body["rows"]
    ]
    return head, rows


def import_table(body: dict) -> tuple[list[str], list[list[str]]]:
    head = ["command", "wall s (median)", "runs", "note"]
    rows = []
    for r in body["rows"]:
        if "error" in r:
            rows.append([r["what"], "-", "-", "problem: " + r["error"].splitlines()[0][:160]])
        else:
            name, note = _IMPORT_NAMES.get(r["what"], r["what"]), _IMPORT_NOTES.get(r["what"], "")
            rows.append([name, _s(r["wall_s"]), str(r["runs"]), note])
    if body.get("ratio") is not None:
        rows.append(
            ["one grading / the import", f"{body['ratio']:.2f}x", "", "ratio of the medians"]
        )
    if body.get("paired_ratio") is not None:
        spread = _spread(body.get("rounds", {}))
        rows.append(
            [
                "one grading / the import, round by round",
                f"{body['paired_ratio']:.2f}x",
                "",
                "median of each round's ratio" + (f"; {spread}" if spread else ""),
            ]
        )
    if body.get("best_ratio") is not None:
        rows.append(
            [
                "one grading / the import, fastest rounds",
                f"{body['best_ratio']:.2f}x",
                "",
                "each command's fastest round",
            ]
        )
    return head, rows


def _spread(rounds: dict) -> str:
    """The fastest and slowest round of the grading and of the import, which say how noisy the
    machine was."""
    return ", ".join(
        f"{what} {min(w):.2f} to {max(w):.2f} s"
        for what, w in sorted(rounds.items())
        if w and what in ("grading", "import")
    )


_IMPORT_NAMES = {
    "import": 'python -c "import torch, pytest, numpy"',
    "import_no_exit": "the same import, ending in os._exit(0)",
    "grading": "descent grade, one copy of the solutions, isolated",
}
_IMPORT_NOTES = {
    "import": "the baseline: the import and the interpreter's exit after it",
    "import_no_exit": "without the exit: not what the ratio is taken against",
}


def suite_table(body: dict) -> tuple[list[str], list[list[str]]]:
    head = ["command", "wall s", "CPU s", "tests", "failed", "errors", "skipped"]
    rows = []
    for r in body["rows"]:
        if "error" in r:
            rows.append([r["command"], "-", "-", "-", "-", "-", "did not run: " + r["error"][:160]])
        else:
            counts = [str(r.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")]
            rows.append([r["command"], _s(r["wall_s"]), _s(r["cpu_s"]), *counts])
    return head, rows


def slowest_table(body: dict) -> tuple[list[str], list[list[str]]]:
    """The suite's slowest tests (setup, call and teardown together)."""
    return ["test", "s"], [[t["test"], _s(t["seconds"])] for t in body.get("slowest", [])]


def failed_table(body: dict) -> tuple[list[str], list[list[str]]]:
    """The suite's tests that failed or erred, with the first line of each message."""
    return ["test", "message"], [[t["test"], t["failed"]] for t in body.get("failed", [])]


def headline(results: dict) -> list[list[str]]:
    """The figures issue 54 asks of every run: [figure, value], for those this run measured."""
    out = []
    suite = results.get("suite", {})
    ran = [r for r in suite.get("rows", []) if "error" not in r]
    if ran:
        name = "the kit's suite, " + ran[0]["command"]
        out.append([name, f"{ran[0]['wall_s']:.0f} s wall ({ran[0]['cpu_s']:.0f} CPU s)"])
    body = results.get("import", {})
    if body.get("ratio") is not None:
        runs = {r["what"]: r for r in body["rows"] if "error" not in r}
        out.append(
            [
                "one grading / the import of torch, pytest and numpy (interleaved medians"
                + (f"; {body['select']}" if body.get("select") else "")
                + ")",
                f"{body['ratio']:.2f}x ({runs['grading']['wall_s']:.2f} s / "
                f"{runs['import']['wall_s']:.2f} s, {runs['grading']['runs']} rounds"
                + (
                    f"; round by round {body['paired_ratio']:.2f}x"
                    if body.get("paired_ratio") is not None
                    else ""
                )
                + (
                    f"; fastest rounds {body['best_ratio']:.2f}x"
                    if body.get("best_ratio") is not None
                    else ""
                )
                + ")",
            ]
        )
    kit = results.get("kit", {})
    batch = [
        r for r in kit.get("rows", []) if r.get("mode") == "batch, isolated" and "error" not in r
    ]
    if batch:
        big = max(batch, key=lambda r: r["submissions"])
        out.append(
            [
                f"descent batch, CPU s per submission (a class of {big['submissions']})",
                f"{big['cpu_per_submission_s']:.2f} CPU s",
            ]
        )
    for n, t in enumerate(suite.get("slowest", []), 1):
        out.append([f"the suite's slowest test {n}", f"{t['seconds']:.1f} s {t['test']}"])
    return out


def targets(results: dict) -> list[list[str]]:
    """The issue's targets that this run measured: [target, measured, met?]."""
    out = []

    def add(name, value, ok):
        out.append([name, value, "met" if ok else "missed"])

    peers = {
        r["tool"].split()[0]: r
        for r in results.get("peers", {}).get("rows", [])
        if "error" not in r
    }

    def speed_up(peer: str) -> tuple[float, str]:
        ours, theirs = peers["Descent"], peers[peer]
        wall = theirs["wall_per_submission_s"] / ours["wall_per_submission_s"]
        cpu = theirs["cpu_per_submission_s"] / ours["cpu_per_submission_s"]
        return wall, f"{wall:.1f}x faster in wall time ({cpu:.1f}x less CPU)"

    if "Descent" in peers and "nbgrader" in peers:
        ratio, text = speed_up("nbgrader")
        add("small assignment: Descent >= 10x faster than nbgrader", text, ratio >= 10)
    if "Descent" in peers and "otter-grader" in peers:
        ratio, text = speed_up("otter-grader")
        add("small assignment: Descent faster than otter-grader", text, ratio > 1)
    kit = results.get("kit")
    if kit and not kit.get("select"):
        rows = {(r["submissions"], r["mode"]): r for r in kit["rows"] if "error" not in r}
        iso = [r for (n, m), r in rows.items() if m != "grade, in-process"]
        if iso:
            big = max(r["submissions"] for r in iso)
            best = min(r["cpu_per_submission_s"] for r in iso if r["submissions"] == big)
            add(
                f"full graders isolated: <= 3 CPU s per submission over 50 (measured over {big})",
                f"{best:.2f} CPU s",
                best <= 3 and big >= 50,
            )
        one = rows.get((1, "grade, isolated"))
        if one:
            add(
                "one submission alone, isolated: <= 5 s wall",
                f"{one['wall_s']:.2f} s",
                one["wall_s"] <= 5,
            )
        capstone = {r["module"]: r for r in kit.get("budget", {}).get("rows", [])}.get("train")
        if capstone and capstone["seconds"] is not None:
            add(
                "the capstone's tests on the reference, isolated: < 1 s",
                f"{capstone['seconds']:.2f} s",
                capstone["seconds"] < 1,
            )
        over = [
            f"{r['module']} {c}"
            for r in kit.get("budget", {}).get("rows", [])
            for c, v in r["counts"].items()
            if v > r["budget"].get(c, 0)
        ]
        if kit.get("budget"):
            add("every grader module within its budget", ", ".join(over) or "all", not over)
        for n, wall, _ in isolation_ratios(kit):
            add(
                f"isolation <= 1.10x in-process ({n} submission(s), wall)",
                f"{wall:.2f}x",
                wall <= 1.10,
            )
    for r in results.get("loop", []):
        if r["code"] == "solutions" and "wall_s" in r:
            limit = 3.0 if r["target"] == "whole" else 1.5
            add(
                f"pytest exercises/ on the solutions, {r['target']}: < {limit:g} s",
                f"{r['wall_s']:.2f} s",
                r["wall_s"] < limit,
            )
    ratio = results.get("import", {}).get("ratio")
    if ratio is not None and not results["import"].get("select"):
        add(
            "one grading <= 2.75x the import of torch, pytest and numpy",
            f"{ratio:.2f}x",
            ratio <= 2.75,
        )
    suite = [r for r in results.get("suite", {}).get("rows", []) if "error" not in r]
    if suite and not results["suite"].get("quick"):
        wall, bad = suite[0]["wall_s"], suite[0].get("failures", 0) + suite[0].get("errors", 0)
        add(
            "the kit's suite (./dev test) passes in <= 10 minutes",
            f"{wall / 60:.1f} min" + (f", {bad} failed" if bad else ""),
            wall <= 600 and not bad,
        )
    ops = results.get("ops", {}).get("rows", [])
    cpu = [r for r in ops if r["device"] == "cpu"]
    if cpu:
        worst = max(cpu, key=lambda r: r["ratio"])
        add(
            "every reference operation within 2x of PyTorch on CPU",
            f"worst {worst['operation']} {worst['ratio']:.2f}x",
            worst["ratio"] <= 2,
        )
    return out


def tables(results: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    out = []
    if "peers" in results:
        out.append(
            (
                "1. The small assignment (cross-entropy and Adam, 7 checks) per tool",
                *peers_table(results["peers"]),
            )
        )
    if "kit" in results:
        kit = results["kit"]
        title = "2. The full hidden graders on copies of the solutions"
        if kit.get("select"):
            title += f" (only the tests selected by {kit['select']})"
        out.append((title, *kit_table(kit)))
        if kit.get("budget"):
            out.append(
                (
                    f"2b. The graders' budget in seconds (work counted {kit['budget']['counts']} "
                    "on the solutions, against graders/budget.toml)",
                    *budget_table(kit["budget"]),
                )
            )
    if "loop" in results:
        out.append(
            ("3. The student loop (pytest in a student bundle)", *loop_table(results["loop"]))
        )
    if "ops" in results:
        ops = results["ops"]
        out.append(
            (
                f"4. Reference operations against PyTorch, forward + backward "
                f"({ops['threads']} CPU thread(s); CUDA "
                f"{'present' if ops['cuda'] else 'not present'})",
                *ops_table(ops),
            )
        )
    if "import" in results:
        title = "5. One grading against the import of torch, pytest and numpy (interleaved)"
        if results["import"].get("select"):
            title += f" (only the tests selected by {results['import']['select']})"
        out.append((title, *import_table(results["import"])))
    if "suite" in results:
        out.append(("6. The kit's suite", *suite_table(results["suite"])))
        if results["suite"].get("slowest"):
            out.append(("6b. The suite's slowest tests", *slowest_table(results["suite"])))
        if results["suite"].get("failed"):
            out.append(("6c. The suite's tests that failed", *failed_table(results["suite"])))
    goals = targets(results)
    if goals:
        out.append(("Speed targets", ["target", "measured", ""], goals))
    return out


def _text(title: str, head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths))  # noqa
    return "\n".join([title, line(head), *(line(r) for r in rows)])


def _md(head: list[str], rows: list[list[str]]) -> str:
    esc = lambda c: c.replace("|", "\\|")  # noqa: E731
    return "\n".join(
        [
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
            *("| " + " | ".join(esc(c) for c in r) + " |" for r in rows),
        ]
    )


def print_section(title: str, head: list[str], rows: list[list[str]]) -> None:
    print("\n" + _text(title, head, rows), flush=True)


def print_peers(body: dict) -> None:
    print_section("1. small assignment", *peers_table(body))
    for note in body["notes"]:
        print("  " + note)


def print_kit(body: dict, profile: bool) -> None:
    print_section("2. full graders", *kit_table(body))
    for n, wall, cpu in isolation_ratios(body):
        print(f"  isolated / in-process, {n} submission(s): wall {wall:.2f}x, CPU {cpu:.2f}x")
    if body.get("budget"):
        print_section("2b. graders' budget in seconds", *budget_table(body["budget"]))
    if profile and body.get("profile"):
        for table in profile_tables(body["profile"]):
            print_section(*table)


def print_loop(rows: list[dict]) -> None:
    print_section("3. student loop", *loop_table(rows))


def print_ops(body: dict) -> None:
    print_section("4. reference / PyTorch", *ops_table(body))


def print_import(body: dict) -> None:
    print_section("5. one grading / the import", *import_table(body))


def print_suite(body: dict) -> None:
    print_section("6. the kit's suite", *suite_table(body))
    if body.get("slowest"):
        print_section("6b. its slowest tests", *slowest_table(body))
    if body.get("failed"):
        print_section("6c. its tests that failed", *failed_table(body))


def print_headline(results: dict) -> None:
    rows = headline(results)
    if rows:
        print_section("headline (this run)", ["figure", "measured"], rows)


def _loads(values) -> str:
    return "-" if not values else " / ".join(f"{x:.1f}" for x in values)


def markdown(results: dict) -> str:
    m = results["machine"]
    parts = [
        "# Benchmark results",
        "",
        "Written by `benchmarks/run.py` (see its `--help`); every table comes from one run, "
        "whose compared commands were interleaved. Compare numbers within this file only.",
        "",
        f"- command: `{results['command']}`"
        + (
            ""
            if results.get("complete", True)
            else f" (cut short: this file holds the sections it finished, "
            f"{', '.join(results['sections']) or 'none'})"
        ),
        f"- date: {m['date']}; the run took {results['duration_s']:.0f} s",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; load average (1, 5, 15 "
        f"min) at the start {_loads(m.get('load_average_start'))}, at the end "
        f"{_loads(m['load_average'])}",
        f"- Python {m['python']}, torch {m['torch']}; CUDA: {m['cuda'] or 'no device'}",
    ]
    for note in results.get("notes", []):
        parts.append(f"- {note}")
    for note in results.get("peers", {}).get("notes", []):
        parts.append(f"- {note}")
    lines = headline(results)
    if lines:
        parts += ["", "## Headline", "", _md(["figure", "measured"], lines)]
    for title, head, rows in tables(results):
        parts += ["", f"## {title}", "", _md(head, rows)]
        if title.startswith("2."):
            parts += [
                "",
                f"Graded by every command: {results['kit'].get('sizes')} submission(s); "
                f"by `descent batch` alone: a class of {results['kit'].get('batch_class', 0)}. "
                "`descent batch` runs with its default jobs; CPU seconds count the grading "
                "processes and every worker they waited for.",
            ]
        if title.startswith("2.") and results["kit"].get("profile"):
            for ptitle, phead, prows in profile_tables(results["kit"]["profile"]):
                parts += ["", f"### {ptitle[0].upper()}{ptitle[1:]}", "", _md(phead, prows)]
    return "\n".join(parts) + "\n"
