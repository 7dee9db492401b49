"""What the grading plugin knows about one run, and what it reads of a collected test.

:class:`GradingState` (kept in the config's stash under :data:`STATE`) holds what is graded,
against what, the inputs' seeds and every test's record (:data:`RESULT`, in the item's stash, is
the record of one test). The functions read a collected test: the implementation it runs against,
its exercise and points, and the key its inputs are drawn by.
"""

from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path
from typing import Any

import pytest

from .. import catalogue, results
from ..calls.impl import FolderImplementation, Implementation, function_sources
from . import input_seed, plugin_workers

STATE = pytest.StashKey["GradingState"]()
RESULT = pytest.StashKey[results.TestResult]()
# The states of the runs configured in this process and not yet ended, innermost last (a run
# may start another: descent audit's draws, the kit's own tests). The plugin's fixtures read
# the run and the test from here rather than from ``request``: pytest builds a fixture
# definition, with a signature read, for every ``request`` a fixture asks for, at every test
# that uses it, session fixtures included (about 20 µs each, four a test).
ACTIVE: list[GradingState] = []


def active() -> GradingState:
    """The state of the innermost run in progress in this process."""
    return ACTIVE[-1]


class GradingState:
    """Everything the plugin knows about one run: what is graded, against what, and the results."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.root = Path(config.rootpath)
        self.specs = config.getoption("impl") or ["starter"]
        # what the hidden inputs are drawn from: the course's secret and the code graded
        try:
            self.draws = input_seed.choose(config.getoption("input_seed"), self.root)
        except input_seed.SecretError as exc:
            raise pytest.UsageError(str(exc)) from None
        self._codes: dict[str, str] = {}  # implementation -> digest of its code
        device = config.getoption("device")
        self.devices = ["cpu", "cuda"] if device == "all" else [device]
        self.tests: list[results.TestResult] = []
        self.supporting: dict[str, tuple[str, ...]] = {}  # node id -> value checks it needs
        self.ordinary: set[str] = set()  # node ids of the checks of everyday inputs
        self.finished: set[str] = set()  # node ids whose outcome a report decided
        # node id -> the exercises a composite's failure is due to (descent.grading.composite)
        self.charged_to: dict[str, tuple[str, ...]] = {}
        # (implementation, exercise) -> how many of its tests a selection (-k, -m) left out
        self.deselected: dict[tuple[str, str], int] = {}
        self.interrupted = False
        self.test_processes = 1  # 2 once a forked copy's half is taken in (descent.grading.split)
        self.started = time.time()
        self.started_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._impls: list[Implementation] | None = None
        self._roots: frozenset[Path] | None = None
        self._reference: Implementation | None | bool = False
        self._loaded: set[str] = set()  # the kinds whose folder of variants is loaded
        self._bugs: dict[str, list[catalogue.Variant]] = {}
        self.doc: dict[str, Any] | None = None
        self.results_path: Path | None = None
        # (implementation, exercise) -> every comparison its checks made, so that a cause is
        # named only once verified on all of them (descent.diagnoses.verified)
        self.ledgers: dict[tuple[str, str], Any] = {}
        # implementation run in a worker -> how many of this session's items use it still: at
        # none, its worker is stopped (descent.grading.running)
        self.left: dict[str, int] = {}
        self.item: pytest.Item | None = None  # the test being set up or run (pytest_runtest_setup)

    # -- what is graded ------------------------------------------------------------------------
    def _option_path(self, option: str, default: str) -> Path | None:
        value = self.config.getoption(option)
        path = Path(value) if value else self.root / default
        if value and not path.is_dir():
            raise pytest.UsageError(f"--{option} {value}: no such folder")
        return path if path.is_dir() else None

    def _variants_folder(self, kind: str) -> Path | None:
        """Where variants of ``kind`` are declared: ``--catalogue`` or ``--corpus``."""
        option = catalogue.FOLDERS[kind]
        return self._option_path(option, f"graders/{option}")

    def load_catalogue(self, kind: str = catalogue.BUG) -> None:
        if kind not in self._loaded:
            folder = self._variants_folder(kind)
            if folder is not None:
                catalogue.load(folder)
            self._loaded.add(kind)

    @property
    def reference(self) -> Implementation | None:
        if self._reference is False:
            folder = self._option_path("reference", "solutions")
            self._reference = FolderImplementation(folder, "reference") if folder else None
        return self._reference

    @property
    def impls(self) -> list[Implementation]:
        if self._impls is None:
            self._impls = [impl for spec in self.specs for impl in self._resolve(spec)]
        return self._impls

    def _resolve(self, spec: str) -> list[Implementation]:
        kind, _, name = spec.partition(":")
        if kind in catalogue.KINDS and name:
            self.load_catalogue(kind)
            if self.reference is None:
                raise pytest.UsageError(f"--impl {spec} needs the reference solutions")
            try:
                chosen = catalogue.variants(kind) if name == "*" else [catalogue.named(kind, name)]
            except KeyError as exc:  # a typo ends the run before collection, in one line
                raise pytest.UsageError(f"--impl {spec}: {exc.args[0]}") from None
            return [
                plugin_workers.resolve_variant(
                    self.config, v, self.reference, self._variants_folder(kind)
                )
                for v in chosen
            ]
        path = self.root / spec if spec in ("starter", "solutions") else Path(spec)
        if not (path.is_dir() or path.suffix in (".py", ".ipynb", ".zip") and path.is_file()):
            raise pytest.UsageError(f"--impl {spec}: no such folder or catalogued variant")
        return [
            plugin_workers.resolve_folder(
                self.config,
                spec,
                path,
                spec if spec in ("starter", "solutions") else None,
                self.root,
            )
        ]

    @property
    def roots(self) -> frozenset[Path]:
        """The folders whose files are code under test (:attr:`Implementation.root`), looked up
        once: every frame of every failure is matched against them, and an audit grades hundreds
        of implementations (a scan of each for each frame was a sixth of its time)."""
        if self._roots is None:
            self._roots = frozenset(i.root for i in self.impls if i.root is not None)
        return self._roots

    @property
    def several(self) -> bool:
        return len(self.specs) > 1 or any(s.endswith(":*") for s in self.specs)

    def seed_of(self, item: pytest.Item) -> int:
        """The seed of ``item``'s inputs: of its id (without device and implementation) and,
        by default, of the code it grades (descent.grading.input_seed)."""
        return self.seed_of_key(input_key(item), impl_of(item))

    def inputs_for(self, item: pytest.Item, device: str) -> Any:
        """Fresh input builders for ``item`` on ``device``: the ``inputs`` fixture's, and those
        of a composite's test run again with the kit's parts, which must draw the same."""
        # start-up: this module may not import torch (see the plugin's imports); inputs does
        from .inputs import Inputs

        impl = impl_of(item)
        return Inputs(self.seed_of(item), device, keyed=lambda key: self.seed_of_key(key, impl))

    def seed_of_key(self, key: str, impl: Implementation) -> int:
        """The seed of ``key`` (not a test's id) in this grading of ``impl``: Inputs.for_key."""
        return self.draws.seed(key, self.code_of(impl) if self.draws.keyed else "")

    def code_of(self, impl: Implementation) -> str:
        """The digest of the code ``impl`` runs: its files, or for a catalogued variant its name
        and the source of the functions it replaces. Not the reference's files: adding an
        exercise to a module of ``solutions/`` would then draw new inputs for every variant of
        that module, and move the diagnoses recorded for them (graders/generic_names.json)."""
        if impl.name not in self._codes:
            variant = variant_of(impl)
            if variant is not None:  # in this process or through a worker alike
                # a derived variant's functions call the base only when run: none is needed here
                own = function_sources(variant.overrides(lambda module, name: None))
                digest = input_seed.code_digest(own, impl.name)
            else:
                digest = input_seed.code_digest(plugin_workers.sources_of(impl))
            self._codes[impl.name] = digest
        return self._codes[impl.name]

    def bugs_for(self, exercise: str | None) -> list[catalogue.Variant]:
        if exercise is None:
            return []
        if exercise not in self._bugs:  # every graded test asks; the catalogue holds hundreds
            self.load_catalogue()
            self._bugs[exercise] = catalogue.variants(catalogue.BUG, exercise)
        return self._bugs[exercise]


def variant_of(impl: Implementation | None) -> catalogue.Variant | None:
    if impl is None:
        return None
    kind, _, name = impl.name.partition(":")
    if getattr(impl, "kind", "") == "patched" and kind in catalogue.KINDS:
        return catalogue.get(name)
    return None


def param(item: pytest.Item, name: str) -> Any:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(name) if callspec else None


def deselect(config: pytest.Config, items: list[pytest.Item], keep) -> None:
    """Leave out of ``items`` (in place) those ``keep(item)`` refuses, reported to pytest as
    deselected, as ``-k`` reports what it leaves out."""
    kept = [item for item in items if keep(item)]
    if len(kept) < len(items):
        chosen = {id(item) for item in kept}
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in chosen])
        items[:] = kept


def impl_of(item: pytest.Item) -> Implementation:
    """The implementation this item runs against (its parameter, or the only one)."""
    impl = param(item, "impl")
    return impl if isinstance(impl, Implementation) else item.config.stash[STATE].impls[0]


def exercise_of(item: pytest.Item) -> str | None:
    """The exercise of the item's ``exercise`` marker, read once (hooks ask about four times
    a test, and a marker is looked for through every node above the test)."""
    try:
        return item.stash[_EXERCISE]
    except KeyError:
        marker = item.get_closest_marker("exercise")
        found = item.stash[_EXERCISE] = marker.args[0] if marker else None
        return found


_EXERCISE = pytest.StashKey["str | None"]()


def points_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 1.0


def input_key(node: pytest.Item) -> str:
    """The test's id without the device and implementation parts of its parametrization."""
    base, _, cid = node.nodeid.partition("[")
    cid = cid.rstrip("]")
    for part in (getattr(param(node, "impl"), "name", None), param(node, "device")):
        if part:
            pieces = cid.split("-")
            # Ids join parameters with "-"; drop the run of pieces that spells this parameter.
            width = part.count("-") + 1
            for i in range(len(pieces) - width + 1):
                if "-".join(pieces[i : i + width]) == part:
                    del pieces[i : i + width]
                    break
            cid = "-".join(pieces)
    return f"{base}[{cid}]"
