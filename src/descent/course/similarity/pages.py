"""The evidence, as self-contained HTML pages (no script, no network): the class report
(``index.html``) and one page per flagged pair with the two files side by side.

Everything from a submission (names, code) is untrusted text and is escaped; the highlighted
fragments are the runs of rare shared fingerprints found by :mod:`.engine`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..html_report import _CSS
from ..submissions import file_stem
from .bound import MAX_SOURCE
from .engine import Analysis, Pair
from .fingerprints import Doc
from .groups import describe

_MORE_CSS = """
main{max-width:none} .pane{display:flex;gap:12px;align-items:flex-start}
.file{flex:1;min-width:0;background:#fff;border:1px solid #dde1e6}
.file h3{margin:0;padding:6px 10px;background:#e9edf2;font-size:14px}
.code{display:flex;overflow-x:auto;font:12px/1.45 ui-monospace,monospace}
.code pre{margin:0;padding:6px 8px} .ln{color:#8a94a3;text-align:right;user-select:none;
border-right:1px solid #dde1e6} mark{padding:0;border-radius:2px}
.f0{background:#ffd54f}.f1{background:#90caf9}.f2{background:#a5d6a7}.f3{background:#f48fb1}
.f4{background:#ce93d8}.f5{background:#ffab91}
.fold{color:#8a94a3;font-style:italic} svg text{font:11px system-ui,sans-serif} .muted{color:#6b7280;font-size:13px}
"""
_COLOURS = 6
MAX_PAGES = 100  # evidence pages written: the highest-ranked flagged pairs (all are listed)


def write(analysis: Analysis, folder: Path, left_out: dict[str, list[str]] | None = None) -> Path:
    """Write ``index.html`` and one page per flagged pair into ``folder``; returns the index.
    ``left_out``: student -> what was not compared and why (listed in the index)."""
    folder.mkdir(parents=True, exist_ok=True)
    for rank, pair in enumerate(analysis.flagged[:MAX_PAGES], 1):
        (folder / pair_file(pair)).write_text(pair_page(analysis, pair, rank), encoding="utf-8")
    index = folder / "index.html"
    index.write_text(class_page(analysis, left_out or {}), encoding="utf-8")
    return index


def pair_file(pair: Pair) -> str:
    return f"pair-{file_stem(pair.a)}--{file_stem(pair.b)}.html"


def _head(title: str, subtitle: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}{_MORE_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header><main>"
    )


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def class_page(analysis: Analysis, left_out: dict[str, list[str]]) -> str:
    n = len(analysis.students)
    parts = [
        _head(
            "Descent: similarity across the class",
            f"{n} students, {len(analysis.pairs)} pairs compared module by module and across "
            f"modules; this report changes no grade",
        ),
        f"<p>A pair is flagged when its similarity reaches {_pct(analysis.threshold)} or "
        f"one fragment of rare shared code reaches {analysis.min_fragment} tokens. "
        f"Similarity is the rarity-weighted share of the smaller submission's own code "
        f"(template removed) that the other also has.</p>",
        "<h2>Flagged pairs</h2>",
    ]
    if len(analysis.flagged) > MAX_PAGES:
        parts.append(
            f"<p class='note'>{len(analysis.flagged)} pairs are flagged: pages are "
            f"written for the first {MAX_PAGES}. So many flags usually mean the "
            f"threshold is too low for this assignment (--threshold, "
            f"--min-fragment).</p>"
        )
    if analysis.flagged:
        parts.append(_pair_table(analysis.flagged, links=True))
    else:
        parts.append("<p>No pair reaches the threshold.</p>")
    parts.append(_groups(analysis))
    parts.append("<h2>The class distribution</h2>" + histogram(analysis))
    others = [p for p in analysis.pairs if not p.flagged][:10]
    if others:
        parts.append("<h2>The most similar pairs not flagged</h2>" + _pair_table(others))
    parts.append(_exercise_lists(analysis))
    if analysis.dynamic:
        items = "".join(
            f"<li>{escape(student)}: {escape(module)}.py, {escape('; '.join(lines))}</li>"
            for (student, module), lines in analysis.dynamic.items()
        )
        parts.append(
            "<h2>Code run from text built at run time</h2><p class='note'>exec, eval or "
            "compile of text the comparison cannot know without running the code (decoded, "
            "read from a file, put together at run time): what it runs is compared with "
            f"nothing. Read it.</p><ul>{items}</ul>"
        )
    if analysis.cut:
        items = "".join(
            f"<li>{escape(student)}: {escape(module)}.py, {kept:,} of its {total:,} characters</li>"
            for (student, module), (kept, total) in analysis.cut.items()
        )
        parts.append(
            f"<h2>Compared in part</h2><p class='note'>Over the cost bound of {MAX_SOURCE:,} "
            f"characters per module: only that much was compared, the definitions of the "
            f"functions the kit calls first, then the rest in the file's order. So much code is "
            f"itself worth a look.</p><ul>{items}</ul>"
        )
    if left_out:
        items = "".join(
            f"<li>{escape(student)}: {escape('; '.join(reasons))}</li>"
            for student, reasons in left_out.items()
        )
        parts.append(f"<h2>Left out of the comparison</h2><ul>{items}</ul>")
    parts.append("</main></body></html>")
    return "".join(parts)


def _groups(analysis: Analysis) -> str:
    """The groups of students who share code, with their flagged pairs."""
    head = (
        "<h2>Groups</h2><p class='muted'>Three students or more who, in a module, are "
        "near-copies of each other or alone share a fragment as long as the one that flags a "
        "pair. When rarity is weighed, they count as one student.</p>"
    )
    if not analysis.groups:
        return head + "<p>No group of three or more students shares code that way.</p>"
    flagged = {(p.a, p.b): p for p in analysis.flagged[:MAX_PAGES]}
    rows = ["<table><tr><th>#</th><th>students</th><th>modules</th><th>their pairs</th></tr>"]
    for rank, group in enumerate(analysis.groups, 1):
        modules = escape(describe(group))
        pairs = [
            f"<a href='{escape(pair_file(flagged[(a, b)]))}'>{escape(a)} &amp; {escape(b)}</a>"
            if (a, b) in flagged
            else f"{escape(a)} &amp; {escape(b)}"
            for i, a in enumerate(group.members)
            for b in group.members[i + 1 :]
        ]
        rows.append(
            f"<tr><td>{rank}</td><td>{escape(', '.join(group.members))}</td><td>{modules}</td>"
            f"<td>{', '.join(pairs)}</td></tr>"
        )
    return head + "".join(rows) + "</table>"


def _pair_table(pairs: list[Pair], *, links: bool = False) -> str:
    """Ranked pairs; with ``links``, the first :data:`MAX_PAGES` link to their pages."""
    rows = [
        "<table><tr><th>#</th><th>students</th><th>similarity</th><th>longest fragment "
        "(tokens)</th><th>per module</th></tr>"
    ]
    for rank, p in enumerate(pairs, 1):
        who = f"{escape(p.a)} &amp; {escape(p.b)}"
        if links and rank <= MAX_PAGES:
            who = f"<a href='{escape(pair_file(p))}'>{who}</a>"
        modules = ", ".join(
            [f"{escape(m)} {_pct(x.similarity)}" for m, x in p.modules.items() if x.shared]
            + [f"code moved: {escape(m)}" for m, x in p.modules.items() if x.modules]
            + ([f"across modules {_pct(p.across)}"] if p.across >= p.similarity > 0 else [])
        )
        rows.append(
            f"<tr><td>{rank}</td><td>{who}</td><td class='pts'>{_pct(p.similarity)}</td>"
            f"<td class='pts'>{p.longest}</td><td>{modules or '-'}</td></tr>"
        )
    return "".join(rows) + "</table>"


def _exercise_lists(analysis: Analysis) -> str:
    def items(found: dict[str, float]) -> str:
        return (
            "".join(f"<li>{escape(ex)} (median {m:g} fingerprints)</li>" for ex, m in found.items())
            or "<li>none</li>"
        )

    return (
        "<h2>Exercises too short to judge</h2><p class='muted'>Their typical solution has "
        "too few fingerprints for two independent students to write them differently; "
        "what students share there is not counted.</p>"
        f"<ul>{items(analysis.too_short)}</ul><h2>Exercises judged</h2>"
        f"<ul>{items(analysis.judged)}</ul>"
    )


def histogram(analysis: Analysis, mark: Pair | None = None) -> str:
    """Every pair's similarity in 5% bins (flagged pairs red); ``mark`` gets an arrow."""
    bins = [0] * 20
    flagged_bins = [0] * 20
    for p in analysis.pairs:
        i = min(19, int(p.similarity * 20))
        bins[i] += 1
        flagged_bins[i] += p.flagged
    top = max(bins) or 1
    width, height = 620, 170
    bars = []
    for i, (count, bad) in enumerate(zip(bins, flagged_bins)):
        h = 130 * count / top
        x = 30 + i * 29
        colour = "#c62828" if bad else "#24405f"
        bars.append(
            f"<rect x='{x}' y='{145 - h:.1f}' width='25' height='{h:.1f}' "
            f"fill='{colour}'/>"
            + (
                f"<text x='{x + 12}' y='{140 - h:.1f}' text-anchor='middle'>{count}</text>"
                if count
                else ""
            )
        )
    labels = "".join(f"<text x='{30 + i * 29}' y='160'>{i * 5}%</text>" for i in range(0, 20, 4))
    arrow = ""
    if mark is not None:
        x = 30 + min(19, int(mark.similarity * 20)) * 29 + 12
        arrow = (
            f"<polygon points='{x - 6},2 {x + 6},2 {x},12' fill='#d89614'/>"
            f"<text x='{x + 9}' y='11'>this pair</text>"
        )
    return (
        f"<svg width='{width}' height='{height}' role='img' aria-label='pairs per "
        f"similarity'>{''.join(bars)}{labels}{arrow}</svg><p class='muted'>Pairs of students "
        f"per similarity (5% bins), {len(analysis.pairs)} pairs.</p>"
    )


def pair_page(analysis: Analysis, pair: Pair, rank: int) -> str:
    below = sum(p.similarity < pair.similarity for p in analysis.pairs)
    parts = [
        _head(
            f"Similarity: {pair.a} and {pair.b}",
            f"flagged pair {rank} of {len(analysis.flagged)}; this page changes no grade",
        ),
        f"<p class='total'>{_pct(pair.similarity)} similar</p>"
        f"<p>More similar than {below} of the class's {len(analysis.pairs)} pairs; longest "
        f"fragment of rare shared code: {pair.longest} tokens. "
        f"<a href='index.html'>Class report</a></p>",
        histogram(analysis, mark=pair),
        *[
            f"<p class='note'>Both belong to group {rank} of the class report: "
            f"{escape(', '.join(g.members))} ({escape(describe(g))}).</p>"
            for rank, g in enumerate(analysis.groups, 1)
            if {pair.a, pair.b} <= set(g.members)
        ],
        "<h2>Per module</h2>",
        _module_table(pair),
    ]
    for module, match in pair.modules.items():
        if match.fragments:
            mine, theirs = match.modules or (module, module)
            parts.append(
                _side_by_side(
                    analysis.docs[(pair.a, mine)],
                    analysis.docs[(pair.b, theirs)],
                    match.fragments,
                    module,
                )
            )
    parts.append("</main></body></html>")
    return "".join(parts)


def _module_table(pair: Pair) -> str:
    rows = [
        "<table><tr><th>module</th><th>similarity</th><th>fragment</th><th>"
        f"{escape(pair.a)}</th><th>{escape(pair.b)}</th><th>tokens</th></tr>"
    ]
    for module, match in pair.modules.items():
        frags = match.fragments or [None]
        for i, f in enumerate(frags):
            head = (
                f"<td>{escape(module)}</td><td class='pts'>{_pct(match.similarity)}</td>"
                if i == 0
                else "<td></td><td></td>"
            )
            if f is None:
                rows.append(f"<tr>{head}<td colspan='4'>no rare shared fragment</td></tr>")
                continue
            link = escape(f"#{_anchor(module)}-a-{i + 1}")
            rows.append(
                f"<tr>{head}<td><a href='{link}'><mark class='f{i % _COLOURS}'>&nbsp;"
                f"{i + 1}&nbsp;</mark></a></td><td>{_where(f.a_lines, f.a_function)}</td>"
                f"<td>{_where(f.b_lines, f.b_function)}</td>"
                f"<td class='pts'>{f.size}</td></tr>"
            )
    return "".join(rows) + "</table>"


def _where(lines: tuple[int, int], function: str) -> str:
    where = f"lines {lines[0]}-{lines[1]}"
    return f"{where} ({escape(function)})" if function else where


def _anchor(key: str) -> str:
    """The id of a module's (or a pair of modules': ``a / b``) fragments on the page."""
    return key.replace(" / ", "--")


def _side_by_side(a: Doc, b: Doc, fragments, key: str) -> str:
    left = highlighted(
        a.text,
        [(piece, i) for i, f in enumerate(fragments) for piece in a.visible(*f.a)],
        anchor=f"{_anchor(key)}-a",
        folded=a.docstrings,
    )
    right = highlighted(
        b.text,
        [(piece, i) for i, f in enumerate(fragments) for piece in b.visible(*f.b)],
        anchor=f"{_anchor(key)}-b",
        folded=b.docstrings,
    )
    title = key if a.module == b.module else f"{key} (code moved between modules)"
    return (
        f"<h2>{escape(title)}</h2><div class='pane'>"
        f"<div class='file'><h3>{escape(a.student)}: {escape(a.module)}.py</h3>{left}</div>"
        f"<div class='file'><h3>{escape(b.student)}: {escape(b.module)}.py</h3>{right}</div>"
        f"</div>"
    )


def highlighted(
    text: str,
    ranges: list[tuple[tuple[int, int], int]],
    anchor: str = "",
    folded: list[tuple[int, int]] = (),
) -> str:
    """``text`` escaped, with line numbers, each ``((start, end), fragment)`` range marked in
    the fragment's colour (an overlap keeps the earlier range; the first mark of fragment ``i``
    gets the id ``{anchor}-{i + 1}``). Each ``folded`` range (whole lines, never marked: the
    template's docstrings) is shown as one dimmed line."""
    events = sorted(
        [(s, e, i) for (s, e), i in ranges]
        + [(s, e, -1) for s, e in folded if text.count("\n", s, e) > 1]
    )
    out, at, anchored, hidden = [], 0, set(), set()
    for start, end, i in events:
        start = max(start, at)
        if start >= end:
            continue
        out.append(escape(text[at:start]))
        if i < 0:
            first, last = text.count("\n", 0, start) + 1, text.count("\n", 0, end) + 1
            hidden.update(range(first + 1, last + 1))
            indent = text[start:end][: len(text[start:end]) - len(text[start:end].lstrip())]
            out.append(
                f'<span class=\'fold\'>{escape(indent)}"""... docstring, lines '
                f"{first}-{last} (template, not compared)</span>"
            )
        else:
            ident = f" id='{escape(anchor)}-{i + 1}'" if anchor and i not in anchored else ""
            anchored.add(i)
            out.append(
                f"<mark class='f{i % _COLOURS}'{ident} title='fragment {i + 1}'>"
                f"{escape(text[start:end])}</mark>"
            )
        at = end
    out.append(escape(text[at:]))
    numbers = "\n".join(str(n) for n in range(1, text.count("\n") + 2) if n not in hidden)
    return f"<div class='code'><pre class='ln'>{numbers}</pre><pre>{''.join(out)}</pre></div>"
