"""Generic diagnoses: what a failed check names when no catalogued bug fits.

.. the map below is made by ``descent docs`` from :data:`.package_map.MODULES`

* :mod:`.order`              the order of diagnosis as data: stages, lists and KINDS.
* :mod:`.package_map`        the list of modules as data: this map and the docs' table are made from
                             it.
* :mod:`.values`             ``diagnose``: a result read against the expected, tier by tier (entry
                             point).
* :mod:`.linear`             the result a linear function of the expected: a factor, a complement, a
                             term.
* :mod:`.sequence`           a sequence shifted in time: a step off, other steps, one item more or
                             less.
* :mod:`.placement`          the right values in the wrong places, or wrong in one place only.
* :mod:`.base`               what every diagnosis shares: ``Diagnosis``, ``Case``, tolerances,
                             readings.
* :mod:`.shape`              a result of another shape.
* :mod:`.split`              chunk sizes (folds, batches) with the remainder mishandled.
* :mod:`.item`               results of several items (one left at zero, one entry too many).
* :mod:`.pattern`            where a result goes wrong (a step made smooth, a bound, ...).
* :mod:`.derivative`         a backward whose local derivative is misread.
* :mod:`.limit`              a general formula evaluated at an infinite argument.
* :mod:`.norm`               normalizations and moving averages read through what hides them.
* :mod:`.operand`            a division upside down.
* :mod:`.slice`              the last value tier: wrong slice by slice, or on a telling set of
                             entries.
* :mod:`.gate`               a gradient gated on the wrong region of its input.
* :mod:`.argument`           the reference run again with one argument of the check changed.
* :mod:`.rerun`              the check's numbers changed together.
* :mod:`.input`              a tensor argument of the check changed; the student's code in float64.
* :mod:`.cut`                a list argument cut to one item.
* :mod:`.reuse`              a random helper's first result reused.
* :mod:`.draw_order`         the random draws made in another order.
* :mod:`.last_call`          the last call of an activation left out.
* :mod:`.parameter`          one parameter forced; ``rerun_slip`` weighs every re-run together.
* :mod:`.parameter_changes`  the ways a parameter may be misread, which parameter re-runs.
* :mod:`.scenario`           a number moved as the others do not try; results too small to name.
* :mod:`.check`              named by the kind of the failed check alone.
* :mod:`.exception`          an exception raised, type names returned, the accuracy of a solve.
* :mod:`.exception_arrays`   the mistakes of array code an exception names: one number, one library,
                             one layout.
* :mod:`.stat`               random draws graded by a statistic: spread, reuse, distribution.
* :mod:`.rounding`           a reader: counts that are quotients rounded the other way.
* :mod:`.training`           what a training run reports about itself (its history, its numbers).
* :mod:`.neighbour`          the neighbouring input of a check (the same recipe, next to it).
* :mod:`.mutant`             the reference's own code with one slip written into it.
* :mod:`.syntax`             what the slip rules read off the reference's syntax tree (their
                             context).
* :mod:`.formula`            slips of one operation of a formula (written in by mutant).
* :mod:`.bookkeeping`        slips of what code keeps between calls and steps (written in by
                             mutant).
* :mod:`.backward`           slips of a backward's formula (written in by mutant, alternatives too).
* :mod:`.regroup`            slips of how the reference's expressions are grouped (written in by
                             mutant).
* :mod:`.differentiated`     a slipped forward paired with a backward that differentiates it.
* :mod:`.ledger`             the records of one exercise's comparisons, which verification weighs.
* :mod:`.edits`              small edits of the student's own code: the candidates of a repair.
* :mod:`.edit_everywhere`    edits written at every place at once: a number, a reduction, a power,
                             an exp, a log.
* :mod:`.edit_rules`         the rules of a repair's edits: each small change of one node, with its
                             words.
* :mod:`.edit_names`         edits that swap names: alike ones first, an undefined one, a lag, any
                             other.
* :mod:`.edit_bypass`        the edits a search leaves out: a returned value no longer the module's
                             own.
* :mod:`.edit_state`         the edit for state a call keeps: a value computed from it, never stored
                             back.
* :mod:`.edit_calls`         edits of which library call was made: min for max, n - 1, an exp's
                             sign.
* :mod:`.edit_shapes`        the edit of a result's layout: returned in the shape the input came in.
* :mod:`.edit_stable`        edits that make an unstable formula stable: a log, a ratio of exps, a
                             shift.
* :mod:`.edit_cases`         edits for a case the docstring allows: a division by 0 there, a refusal
                             of it.
* :mod:`.edit_types`         the edits of a value's type: an int where a float belongs, one value
                             for an array.
* :mod:`.edit_nodes`         helpers the edit rules share: a call read, a changed copy of it
                             written.
* :mod:`.edit_context`       what a repair reads before editing: what runs, a function's settings
                             and updates.
* :mod:`.repair`             an edit of the student's own code that makes every check of the
                             exercise pass.
* :mod:`.float_trap`         where a float first went wrong: the line of a log of 0, an exp that
                             overflows.
* :mod:`.diverged`           where the student's values first part from a correct computation's, and
                             stay apart.
* :mod:`.located`            where a cause is in the student's code: a repair's line, a float
                             error's, or where the values part.
* :mod:`.anchored`           the line that writes the floor or constant a verified cause names (a
                             clip at 1e-15).
* :mod:`.claims`             a candidate cause as verification weighs it, and the words of an
                             unnamed ratio.
* :mod:`.verified`           a cause named only once verified: what a failure finally names.

.. end of the map made by ``descent docs``

Module names drop the ``_diagnoses`` suffix their files had at the top of
``descent``; importers keep the old name as the local one
(``from descent.diagnoses import slice as slice_diagnoses``), since ``slice`` and
``input`` are builtins. See docs/reference/generic-diagnoses.md.
"""
