"""Results documents read out: the terminal, Gradescope, CSV, loss curves, pictures.

* :mod:`.export`          a results document to Gradescope's results.json or CSV.
* :mod:`.loss_curves`     the capstone's loss curves: data from the grader, a PNG for a report.
* :mod:`.pictures`        a failed check's values as a line or a histogram PNG; the kit's figures.
* :mod:`.results_keys`    every key of a results document, declared (the schema page's source).
* :mod:`.spreadsheet`     every CSV the kit writes (no cell becomes a formula).
* :mod:`.terminal_report` the terminal report of a results document.
"""
