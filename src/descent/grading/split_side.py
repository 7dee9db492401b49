"""The grading plugin's part when two processes share a grading's tests (:mod:`.split`): what
the copy hands over (its tests' records, settled, and what its workers counted) and how the
original takes it in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import results


class PluginSide:
    """:class:`descent.grading.split.Side` for one
    :class:`~descent.grading.run_state.GradingState`."""

    def __init__(self, state):
        self.state = state

    def _workers(self) -> list:
        return [impl for impl in self.state.impls if getattr(impl, "isolated", False)]

    def _managers(self) -> list:
        return list({id(impl.manager): impl.manager for impl in self._workers()}.values())

    def pin(self, cpu: int) -> None:
        for manager in self._managers():
            manager.take_side(0)  # the copy's spare workers are the copy's
        self._pin(cpu)

    def _pin(self, cpu: int) -> None:
        for impl in self._workers():
            if impl.manager.settings.colocate:
                impl.manager.pin(cpu)

    def forked(self, cpu: int) -> None:
        for manager in self._managers():
            manager.forked(side=1)
        for impl in self._workers():
            impl.forked()
        self._pin(cpu)

    def export(self) -> dict[str, Any]:
        # start-up: verification loads with the first failure or the results, never before
        from ..diagnoses.verified import settle

        state = self.state
        settle(
            state.ledgers, state.reference, state.impls
        )  # the copy's exercises: weighed on its own checks
        # the fork came before the first test: every record here is of the copy's tests
        return {
            "tests": [t.as_dict() for t in state.tests],
            "finished": sorted(state.finished),
            "supporting": {n: list(v) for n, v in state.supporting.items()},
            "ordinary": sorted(state.ordinary),
            "charged_to": {n: list(v) for n, v in state.charged_to.items()},
            "workers": {impl.name: impl.tally() for impl in self._workers()},
        }

    def absorb(self, records: dict[str, Any], order: Sequence[str]) -> None:
        state = self.state
        state.tests.extend(results.TestResult(**t) for t in records["tests"])
        position = {nodeid: n for n, nodeid in enumerate(order)}
        state.tests.sort(key=lambda t: position.get(t.nodeid, len(position)))
        state.finished.update(records["finished"])
        state.supporting.update({n: tuple(v) for n, v in records["supporting"].items()})
        state.ordinary.update(records["ordinary"])
        state.charged_to.update({n: tuple(v) for n, v in records["charged_to"].items()})
        by_name = {impl.name: impl for impl in self._workers()}
        for name, tally in records["workers"].items():
            by_name[name].add_tally(tally)
        state.test_processes = 2

    def close(self) -> None:
        for impl in self._workers():
            impl.conn.close()  # its worker only: the intake's copy is the original's to remove
        for manager in self._managers():
            manager.drop_spares()  # the workers started for this side that no test needed
            manager.reap()  # those its tests stopped without waiting (the write-the-tests')
