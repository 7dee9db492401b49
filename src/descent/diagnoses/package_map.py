"""The package's map as data: one :class:`Module` row for each module of
:mod:`descent.diagnoses`, with what it reads and what it names. ``descent docs`` writes the map
in ``diagnoses/__init__.py`` and the table of docs/reference/generic-diagnoses.md from
:data:`MODULES` and the lists of :mod:`.order` (where each module's functions run). Data only:
it imports none of the modules it lists.
"""

from __future__ import annotations

from typing import NamedTuple


class Module(NamedTuple):
    """One module of the package, as the list of diagnoses shows it: ``name`` (``"values"``),
    what it ``reads`` (the values alone, the reference run again, the student's code run again,
    a message, an estimate), a one-line ``summary`` (the package's map), what it ``names`` (the
    table of docs/reference/generic-diagnoses.md) and, beside the places the lists of
    :mod:`.order` give its functions (:func:`.order.places`), any other ``stage`` it serves (a reader a grader passes,
    verification)."""

    name: str
    reads: str
    summary: str
    names: str
    stage: str = ""


#: Every module of the package, each once: the one list of diagnoses. ``descent docs`` makes the
#: package's map (``diagnoses/__init__.py``) and the table of docs/reference/generic-diagnoses.md
#: from it and the lists of :mod:`.order`, and ``descent docs --check`` fails when they drift.
MODULES: tuple[Module, ...] = (
    Module(
        "order",
        "nothing: it is data",
        "the order of diagnosis as data: stages, lists and KINDS.",
        "every list of the order as data; `KINDS` with each kind's meaning",
        stage="(the order)",
    ),
    Module(
        "package_map",
        "nothing: it is data",
        "the list of modules as data: this map and the docs' table are made from it.",
        "`MODULES`, this table",
        stage="(the order)",
    ),
    Module(
        "values",
        "the values",
        "``diagnose``: a result read against the expected, tier by tier (entry point).",
        "the entry point: float32 precision, another dtype or device, NaN or inf, a number for a "
        "tensor, the right value in a tuple, items in another order, the log of a small floor",
    ),
    Module(
        "linear",
        "the values",
        "the result a linear function of the expected: a factor, a complement, a term.",
        "zero everywhere, a constant factor (a size, half a size, 2, the sign, `1 - p`, a size "
        "over an argument), a factor missing entry by entry, a complement, a missing or extra "
        "term; last resort: an offset",
    ),
    Module(
        "sequence",
        "the values",
        "a sequence shifted in time: a step off, other steps, one item more or less.",
        "a sequence one step behind or ahead, changing at other steps, its first change scaled, "
        "one item too many or too few",
    ),
    Module(
        "placement",
        "the values",
        "the right values in the wrong places, or wrong in one place only.",
        "a layout (transposed, permuted then reshaped), a branch of a piecewise formula; last "
        "resort: an order, an edge, a broadcast, a normalization along the wrong dimension",
    ),
    Module(
        "base",
        "(shared)",
        "what every diagnosis shares: ``Diagnosis``, ``Case``, tolerances, readings.",
        "`Diagnosis`, `Case` (a failed check, as stages and re-runs read it), `NOTHING`, the "
        "tolerance `same`, `wrong_entries`, `whole`, the leaves of nested results",
        stage="(shared)",
    ),
    Module(
        "shape",
        "the values",
        "a result of another shape.",
        "the expected transposed, a dimension of size 1 too many or too few, a reduction left "
        "out, the non-zero entries picked out by a boolean index",
    ),
    Module(
        "split",
        "the values",
        "chunk sizes (folds, batches) with the remainder mishandled.",
        "chunk sizes (folds, batches): the `n % k` left-over items misplaced, `ceil(n / k)`, a "
        "short last chunk lost or kept",
    ),
    Module(
        "item",
        "the values",
        "results of several items (one left at zero, one entry too many).",
        "one item left at its zero start, what one item holds out kept in another, one entry "
        "more than an input's size; `handed_back` as a reader",
        stage="readers",
    ),
    Module(
        "pattern",
        "the values",
        "where a result goes wrong (a step made smooth, a bound, ...).",
        "where a result goes wrong: a step function made smooth, a final value not held, one "
        "side of a clamp, an argument handed back (a number, or a tensor unchanged), a log base, "
        "a gradient computed once, mirrored phases",
    ),
    Module(
        "derivative",
        "the values; the reference, run again",
        "a backward whose local derivative is misread.",
        "a backward's local derivative misread (y / x, half a product rule, a polynomial in y at "
        "x), a gradient off by exp of a log argument",
    ),
    Module(
        "limit",
        "the values",
        "a general formula evaluated at an infinite argument.",
        "a result of 1 where a number of the call is infinite",
    ),
    Module(
        "norm",
        "the values",
        "normalizations and moving averages read through what hides them.",
        "a normalization read through its affine step (another dimension, a mean that does not "
        "belong or is left out, the step itself left out), a moving average's new part off by "
        "n/(n - 1)",
    ),
    Module(
        "operand",
        "the values",
        "a division upside down.",
        "a division upside down: the reciprocal of the expected, everywhere or from the first "
        "wrong step",
    ),
    Module(
        "slice",
        "the values",
        "the last value tier: wrong slice by slice, or on a telling set of entries.",
        "wrong slice by slice (a normalizer per row, a path through a mean dropped, a Jacobian "
        "cut to its diagonal), a few signs, past a threshold, under a clamp, counts where values "
        "belong",
    ),
    Module(
        "gate",
        "the values",
        "a gradient gated on the wrong region of its input.",
        "a gradient gated on the wrong band of its input (`out > 1` where `x > 0` belongs)",
    ),
    Module(
        "argument",
        "the reference, run again",
        "the reference run again with one argument of the check changed.",
        "a number the recipe closes over taken as its complement or one off",
    ),
    Module(
        "rerun",
        "the reference, run again",
        "the check's numbers changed together.",
        "the recipe's numbers changed together: a rate times the batch size, one number plus or "
        "minus another, a count set to 0, n/(n - 1), a mix of two values, log-probabilities for "
        "probabilities",
    ),
    Module(
        "input",
        "the reference and the student's code, run again",
        "a tensor argument of the check changed; the student's code in float64.",
        "a tensor argument moved off a boundary, doubled or halved; a first-order error in eps; "
        "float32 unstable; NaN or inf read on moved inputs: no maximum subtracted, one for the "
        "whole batch, a log of an underflowed probability, an exp past its range",
    ),
    Module(
        "cut",
        "the reference, run again",
        "a list argument cut to one item.",
        "a list argument of which only the first or last item counts",
    ),
    Module(
        "reuse",
        "the reference, run again",
        "a random helper's first result reused.",
        "a random helper called once and its result reused",
    ),
    Module(
        "draw_order",
        "the reference, run again",
        "the random draws made in another order.",
        "the exercise's draws from its generator made in another order",
    ),
    Module(
        "last_call",
        "the reference, run again",
        "the last call of an activation left out.",
        "the last call of an activation left out",
    ),
    Module(
        "parameter",
        "the reference, run again",
        "one parameter forced; ``rerun_slip`` weighs every re-run together.",
        "one parameter of the exercise's functions forced: read nowhere, another option, "
        "another default, a counter one off, the state never read or started at ones, eps under "
        "the root, a square, another reduction, another exercise's function; `rerun_slip` "
        "weighs every re-run together",
    ),
    Module(
        "parameter_changes",
        "the reference, run again",
        "the ways a parameter may be misread, which parameter re-runs.",
        "the changes `parameter` tries: a parameter ignored, another option, value or default "
        "(one power of ten off; for `eps`, a constant typed in: 1e-4 to 1e-8), its complement, another exercise's function, a counter one off, "
        "the state never read or started at a constant, eps under the root, a square, a full "
        "reduction of another kind",
        stage="re-runs (of parameter)",
    ),
    Module(
        "scenario",
        "the reference and the student's code, run again",
        "a number moved as the others do not try; results too small to name.",
        "a number moved a hair (a comparison's boundary), negated, halved or doubled, a count "
        "one off; results too small to name alone, read on neighbouring inputs",
    ),
    Module(
        "check",
        "the failed check's message",
        "named by the kind of the failed check alone.",
        "an argument edited in place, draws not from the generator (generators seeded alike "
        "gave different results), an argument not refused with ValueError",
    ),
    Module(
        "exception",
        "the exception raised; type names",
        "an exception raised, type names returned, the accuracy of a solve.",
        "an overflow or a division by zero, a recursion as deep as the data, a reflected operator "
        "missing, a method looked up on `super` itself or given one argument too many, a "
        "product the wrong way round (torch's words or NumPy's), a None operand, two dtypes in "
        "one operation; "
        "`typed`, `ill_conditioned` and `overflowed_past_exp`, readers a grader passes",
        stage="by the exception; readers",
    ),
    Module(
        "exception_arrays",
        "the exception raised",
        "the mistakes of array code an exception names: one number, one library, one layout.",
        "an `if` on a whole array, a function of `math` given an array, a name of torch's on a "
        "NumPy array (or the reverse), a value that is None, a reduction that dropped its axis, "
        "a size written into a reshape",
        stage="by the exception (asked by `exception.raised`)",
    ),
    Module(
        "stat",
        "an estimate; random draws",
        "random draws graded by a statistic: spread, reuse, distribution.",
        "an estimate's ratio to its expected value (sqrt(3), a fan, `1 - p`, `p` and `1 - p` "
        "swapped, Phi(p) or 1 - Phi(p) of normal draws), a rate of exactly 0 (a comparison that never holds), draws "
        "repeated, shared, of the wrong law or dtype, a last batch that repeats indices (told "
        "from draws with replacement), draws that ignore a generator's state or move a global "
        "generator",
        stage="readers",
    ),
    Module(
        "rounding",
        "the values",
        "a reader: counts that are quotients rounded the other way.",
        "counts that are quotients rounded the other way (`ceil(a / b)` for `a // b`)",
        stage="readers",
    ),
    Module(
        "training",
        "a training run's report",
        "what a training run reports about itself (its history, its numbers).",
        "a report measured on another argument, a loss that climbs, rises, diverges or never "
        "moves, a short batch handled like a full one, weights all zero, a history per batch, "
        "parameters for standardized inputs or of an earlier epoch",
        stage="readers",
    ),
    Module(
        "neighbour",
        "the check's recipe, on the next input",
        "the neighbouring input of a check (the same recipe, next to it).",
        "the neighbouring input of a check: the batch one example shorter",
        stage="verification",
    ),
    Module(
        "mutant",
        "the reference's source, with a slip written in",
        "the reference's own code with one slip written into it.",
        "one slip (the rules of the four modules below) written into the reference's own code, "
        "into a catalogued alternative, or (`written_into`) into the code of a catalogued bug "
        "that explains some failing checks; powers, and groupings of one form, slipped alike",
        stage="verification (writes the slips of the code)",
    ),
    Module(
        "syntax",
        "the reference's source",
        "what the slip rules read off the reference's syntax tree (their context).",
        "nothing alone: the context the slips' rules read (the names a text may quote, the "
        "hyperparameters, running totals, counters, loops, a backward's operands)",
        stage="(shared by the slips)",
    ),
    Module(
        "formula",
        "the reference's source, with a slip written in",
        "slips of one operation of a formula (written in by mutant).",
        "an operation left out (a root, a log, a power, a division), a sum for a mean, eps left "
        "out or moved under the root, a hyperparameter for another, a term or a sign, a factor, "
        "`n` for `n - 1`, a count or a power one off, a condition left out, a matrix read "
        "transposed, a log clamped or a floor moved",
    ),
    Module(
        "bookkeeping",
        "the reference's source, with a slip written in",
        "slips of what code keeps between calls and steps (written in by mutant).",
        "`=` for `+=`, a mode flag forced (or the batch's statistics in evaluation with the "
        "running ones kept), a counter never advanced or stored as it was read, a loop's best "
        "never updated, a piece's length taken as the size pieces are cut to",
    ),
    Module(
        "backward",
        "the reference's source (and the alternatives'), with a slip written in",
        "slips of a backward's formula (written in by mutant, alternatives too).",
        "a gate on another argument or at 1, a strict comparison for an inclusive one, a "
        "choice's branches exchanged, a reduction over another axis, a factor or a numerator "
        "left out, another quantity of the operation (its output for its input)",
    ),
    Module(
        "regroup",
        "the reference's source, with a slip written in",
        "slips of how the reference's expressions are grouped (written in by mutant).",
        "a parenthesis misplaced or left out (precedence; `alpha * old + (1 - alpha * new)`), a "
        "power's base taken as its complement (`(1 - beta) ** t`)",
    ),
    Module(
        "differentiated",
        "a slipped forward's source",
        "a slipped forward paired with a backward that differentiates it.",
        "a slipped forward paired with a backward that differentiates it",
        stage="verification",
    ),
    Module(
        "ledger",
        "every comparison of the exercise",
        "the records of one exercise's comparisons, which verification weighs.",
        "nothing alone: each comparison a check made (`Record`: replayed on the reference, an "
        "alternative, the values), per implementation and exercise (`Ledger`); `agree`",
        stage="verification",
    ),
    Module(
        "edits",
        "the student's own source, as text",
        "small edits of the student's own code: the candidates of a repair.",
        "nothing alone: the student's module with one small change of :mod:`.edit_rules`, its "
        "line and its words",
        stage="verification",
    ),
    Module(
        "edit_everywhere",
        "the student's own source, as a tree",
        "edits written at every place at once: a number, a reduction, a power, an exp, a log.",
        "nothing alone: the same change at each place one expression is written",
        stage="verification",
    ),
    Module(
        "edit_rules",
        "the student's own source, as a tree",
        "the rules of a repair's edits: each small change of one node, with its words.",
        "nothing alone: an operator, a constant, a term, a root, an axis, a size, a copy, a name",
        stage="verification",
    ),
    Module(
        "edit_names",
        "the student's own source, as a tree",
        "edits that swap names: alike ones first, an undefined one, a lag, any other.",
        "nothing alone: a variable of a name like the one written, a name nothing defines, a "
        "value one step behind or ahead, another variable",
        stage="verification",
    ),
    Module(
        "edit_bypass",
        "the student's own source, as a tree",
        "the edits a search leaves out: a returned value no longer the module's own.",
        "nothing alone: an edit after which a value the function returns no longer comes from "
        "a call of the module's functions",
        stage="verification",
    ),
    Module(
        "edit_state",
        "the student's own source, as a tree",
        "the edit for state a call keeps: a value computed from it, never stored back.",
        "nothing alone: a value computed from an entry or attribute the state holds, stored back; "
        "a name a loop hands out made a new value, written into in place; "
        "a kept value replaced where a loop or a closure should add to it",
        stage="verification",
    ),
    Module(
        "edit_calls",
        "the student's own source, as a tree",
        "edits of which library call was made: min for max, n - 1, an exp's sign.",
        "nothing alone: the maximum for the minimum (or the reverse), a variance divided by n, "
        "an exponent negated",
        stage="verification",
    ),
    Module(
        "edit_shapes",
        "the student's own source, as a tree",
        "the edit of a result's layout: returned in the shape the input came in.",
        "nothing alone: the input's shape kept as the call begins and given to the value returned",
        stage="verification",
    ),
    Module(
        "edit_stable",
        "the student's own source, as a tree",
        "edits that make an unstable formula stable: a log, a ratio of exps, a shift.",
        "nothing alone: an exp shifted by its maximum, a log of a probability written from the "
        "scores, a sigmoid or a tanh written as a ratio of exps divided through",
        stage="verification",
    ),
    Module(
        "edit_cases",
        "the student's own source, as a tree",
        "edits for a case the docstring allows: a division by 0 there, a refusal of it.",
        "nothing alone: a quotient given a value of its own where its divisor is 0, an assert "
        "or a test that raises left out",
        stage="verification",
    ),
    Module(
        "edit_types",
        "the student's own source, as a tree",
        "the edits of a value's type: an int where a float belongs, one value for an array.",
        "nothing alone: an int argument of max or min, or an int assigned, returned or chosen, "
        "written as a float; a test of a whole array at once taken entry by entry",
        stage="verification",
    ),
    Module(
        "edit_nodes",
        "the student's own source, as a tree",
        "helpers the edit rules share: a call read, a changed copy of it written.",
        "nothing alone: a call's callee, a number, a square root; a call with other arguments",
        stage="verification",
    ),
    Module(
        "edit_context",
        "the student's own source, as a tree",
        "what a repair reads before editing: what runs, a function's settings and updates.",
        "nothing alone: what the exercise reaches, where a function reads its settings, updates",
        stage="verification",
    ),
    Module(
        "repair",
        "the student's code run again, edited",
        "an edit of the student's own code that makes every check of the exercise pass.",
        "for each failing exercise: the line and kind of change (or two, or a part) with which the "
        "comparisons pass; the cause where nothing verified names one, else where it is",
        stage="verification",
    ),
    Module(
        "float_trap",
        "the student's code run again, NumPy's float errors raised",
        "where a float first went wrong: the line of a log of 0, an exp that overflows.",
        "for an exercise no edit repairs: the line every non-finite comparison stops on",
        stage="verification",
    ),
    Module(
        "diverged",
        "the student's code and the reference run again, their values kept line by line",
        "where the student's values first part from a correct computation's, and stay apart.",
        "for an exercise no edit repairs and no float error places: the line both re-runs name",
        stage="verification",
    ),
    Module(
        "located",
        "a repair, or a float error's line, or where the values part",
        "where a cause is in the student's code: a repair's line, a float error's, or where the "
        "values part.",
        "the line as the cause where nothing verified names one, else as where it is",
        stage="verification",
    ),
    Module(
        "anchored",
        "the student's code as written",
        "the line that writes the floor or constant a verified cause names (a clip at 1e-15).",
        "for a floored log or a constant typed in for an argument, placed by no edit or float "
        "error: the lines that write it",
        stage="verification",
    ),
    Module(
        "claims",
        "nothing: the shape of a candidate cause",
        "a candidate cause as verification weighs it, and the words of an unnamed ratio.",
        "nothing alone: a claim's text, kind, slip and where it is in the code",
        stage="verification",
    ),
    Module(
        "verified",
        "every comparison of the exercise",
        "a cause named only once verified: what a failure finally names.",
        "weighs every claim on all the exercise's comparisons: a cause, or words as an observation",
        stage="verification",
    ),
)
