"""Generic diagnoses: what a failed check names when no catalogued bug fits.

* :mod:`.argument`   re-run: the reference run again with one argument of the check changed.
* :mod:`.base`       what every diagnosis shares: ``Diagnosis``, ``Case``, tolerances, readings.
* :mod:`.check`      named by the kind of the failed check alone.
* :mod:`.cut`        re-run: a list argument cut to one item.
* :mod:`.derivative` value tier: a backward whose local derivative is misread.
* :mod:`.differentiated` a slipped forward paired with a backward that differentiates it.
* :mod:`.draw_order` re-run: the random draws made in another order.
* :mod:`.exception`  an exception raised, type names returned, the accuracy of a solve.
* :mod:`.input`      re-run: a tensor argument of the check changed.
* :mod:`.item`       value tier: results of several items (one left at zero, one entry too many).
* :mod:`.last_call`  re-run: the last call of an activation left out.
* :mod:`.limit`      value tier: a general formula evaluated at an infinite argument.
* :mod:`.norm`       value tier: normalizations and moving averages read through what hides them.
* :mod:`.order`      the order of diagnosis as data: stages, tiers, re-runs, mutant slips, KINDS.
* :mod:`.operand`    value tier: a division upside down.
* :mod:`.parameter`  re-run: one parameter forced; ``rerun_slip`` weighs every re-run together.
* :mod:`.pattern`    value tier: where a result goes wrong (a step made smooth, a bound, ...).
* :mod:`.rerun`      re-run: the check's numbers changed together.
* :mod:`.rounding`   a reader: counts that are quotients rounded the other way.
* :mod:`.reuse`      re-run: a random helper's first result reused.
* :mod:`.scenario`   re-run: a number moved as the others do not try; results too small to name.
* :mod:`.shape`      value tier: a result of another shape.
* :mod:`.slice`      the last value tier: wrong slice by slice, or on a telling set of entries.
* :mod:`.split`      value tier: chunk sizes (folds, batches) with the remainder mishandled.
* :mod:`.stat`       random draws graded by a statistic: spread, reuse, distribution.
* :mod:`.training`   what a training run reports about itself (its history, its numbers).
* :mod:`.values`     ``diagnose``: a result read against the expected, tier by tier (entry point).
* :mod:`.gate`       a gradient gated on the wrong region of its input.
* :mod:`.mutant`     re-run: the reference's own code with one slip written into it.
* :mod:`.neighbour`  the neighbouring input of a check (the same recipe, next to it).
* :mod:`.verified`   a cause named only once verified: what a failure finally names.

Module names drop the ``_diagnoses`` suffix their files had at the top of
``descent``; importers keep the old name as the local one
(``from descent.diagnoses import slice as slice_diagnoses``), since ``slice`` and
``input`` are builtins. See docs/authoring.md, *Generic diagnoses*.
"""
