"""The submission inside the worker: its modules, a catalogued variant's overrides, its errors.

The worker imports the submission's modules on request, as a package under a private name (like
:class:`descent.calls.impl.FolderImplementation`), so relative imports between them work as they
do in-process, and so do the imports of the student's own helper files that intake took with
them (:mod:`descent.calls.helpers`). A call target names a module and a function of it; for a catalogued variant
(``bug:*``), the variant's overrides stand in for the reference's functions. An exception from
the submission is described as data, with only the frames in the submission's own files.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import sys
import traceback
from pathlib import Path
from typing import Any

from .. import catalogue, registry
from ..calls import helpers, stand_ins, timelimit
from ..calls.impl import _describe_import_error, defined, import_culprit, refuse
from . import cells
from .protocol import ProtocolError

PACKAGE = "_descent_submission"
_EXERCISE_OF: dict = {}
MAX_TEXT = 2000


class Submission:
    """The submission's modules in this worker (``folder``), or a catalogued ``variant``'s."""

    def __init__(self, folder: str | None, variant: dict | None = None):
        self.folder = folder
        self.variant = variant or {}
        self.modules: dict[str, Any] = {}
        self.overrides: dict[tuple[str, str], Any] | None = None
        self.package = None
        self.standing: stand_ins.StandingIn | None = None  # the kit's parts in place

    def _ensure_package(self):
        if self.package is None:
            spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
            spec.submodule_search_locations = [self.folder] if self.folder else []
            self.package = importlib.util.module_from_spec(spec)
            sys.modules[PACKAGE] = self.package
            # the helper files intake took with the modules, importable as the student wrote
            folder = Path(self.folder or "/nonexistent")
            sources = {
                m: (folder / f"{m}.py").read_text(errors="replace")
                for m in registry.MODULES
                if (folder / f"{m}.py").is_file()
            }
            chosen = helpers.select(sources, helpers.candidates_in(folder, registry.MODULES))
            helpers.HOOK.register(PACKAGE, registry.MODULES, chosen)
        return self.package

    def load(self, name: str, limit: float | None = None) -> dict:
        """Import module ``name`` (once) and list its names; or say why it is not there.
        ``limit``: CPU seconds the import may take here, a little less than the trusted side
        waits, so that an import that does not return is stopped in this worker, which names
        its line and stays alive, and is refused at once when another module imports it."""
        if name not in registry.MODULES and not (name == cells.MODULE and name in self.modules):
            raise LookupError(f"{name} is not an exercise module")
        if name not in self.modules:
            path = Path(self.folder or "/nonexistent", f"{name}.py")
            if not path.is_file():
                return {"missing": True}
            self._ensure_package()
            limited = timelimit.guard(None, limit) if limit else contextlib.nullcontext()
            try:
                with limited:
                    mod = importlib.import_module(f"{PACKAGE}.{name}")
            except BaseException as exc:  # noqa: BLE001 - the student's import, whatever it raises
                return {"import_error": self._import_failed(exc, path)}
            self.modules[name] = mod
        mod = self.modules[name]
        names = {}
        for attr in list(vars(mod)):
            if attr.startswith("__"):
                continue
            value = vars(mod)[attr]
            names[attr] = (
                "class" if isinstance(value, type) else "function" if callable(value) else "data"
            )
        for (m, fn), value in self._overrides().items():
            if m == name:
                names[fn] = "class" if isinstance(value, type) else "function"
        return {"attrs": names}

    def refuse(self, out_of_time: list[list[str]]) -> None:
        """Refuse from now on, as after an import out of time here, the modules (with their
        reasons) whose import ran out of time in another worker of this grading: none of them
        runs again (the trusted side keeps that record, descent.isolation.import_limits)."""
        if out_of_time:
            self._ensure_package()  # its import hook first: the refusals must come before it
        for module, reason in out_of_time:
            if module in registry.MODULES and module not in self.modules:
                refuse(f"{PACKAGE}.{module}", f"{module}.py", reason[:MAX_TEXT])

    def _import_failed(self, exc: BaseException, path: Path) -> str:
        """Why ``path`` could not be imported; a module out of time (itself, or one of the
        submission's that it imports) is refused from now on, wherever it is imported again."""
        reason = text(lambda: _describe_import_error(exc, path))
        if isinstance(exc, timelimit.CallTimeout):
            culprit = import_culprit(exc, path)
            refuse(f"{PACKAGE}.{culprit.stem}", culprit.name, _describe_import_error(exc, culprit))
        return f"{path.name} could not be imported: {reason}"

    def _overrides(self) -> dict:
        if self.overrides is None:
            self.overrides = {}
            if self.variant:
                catalogue.load(self.variant["catalogue"])
                v = catalogue.get(self.variant["id"])
                self.overrides = v.overrides(self._base_function)
        return self.overrides

    def _base_function(self, module: str, name: str):
        """The reference's own function (a derived variant wraps it), never an override."""
        self.load(module)
        return getattr(self.modules[module], name)

    def function(self, target: dict) -> tuple[Any, str | None]:
        """What a call target ``{"m": module, "a": name}`` names, and its exercise's id."""
        module, attr = target.get("m"), target.get("a")
        if type(module) is not str or type(attr) is not str:
            raise ProtocolError("bad call target")
        key = (module, attr)
        if key not in _EXERCISE_OF:
            _EXERCISE_OF[key] = registry.exercise_of(module, attr)
        ex = _EXERCISE_OF[key]
        over = self._overrides().get((module, attr))
        if over is not None:
            return over, ex.id if ex else None
        if module not in self.modules:
            info = self.load(module)
            if module not in self.modules:
                raise LookupError(info)
        return getattr(self.modules[module], attr), ex.id if ex else None

    def edit(self, module: str, names: list[str], source: str | None) -> bool:
        """A repair under trial (:mod:`descent.diagnoses.repair`): the functions ``names`` of
        ``module`` taken from ``source`` (the module's functions, one with one small edit), run
        in a copy of the module's namespace (the module itself is left as it is); ``None`` puts
        the student's own back. ``False`` when the edit cannot be made (the module is not
        loaded, the text does not define them)."""
        if self.variant:
            return False  # a catalogued variant's overrides are the kit's, never edited
        overrides = self._overrides()
        if source is None:
            for name in names:
                overrides.pop((module, name), None)
            return True
        if module not in self.modules:
            return False
        try:
            found = defined(self.modules[module], names, source)
        except Exception:  # noqa: BLE001 - an edit that does not compile or define: no trial
            return False
        if found is None:
            return False
        overrides.update(((module, n), fn) for n, fn in found.items())
        return True

    def stand_in(self, parts: list[str], quiet=None) -> list[str] | None:
        """The kit's stand-ins in place of the submission's own ``parts`` (exercise ids), in
        every module of it (:mod:`descent.calls.stand_ins`); with no parts, its own back, and
        the parts whose stand-ins were called. ``None`` for a catalogued variant (its parts are
        the reference's own). ``quiet``: the context each stand-in runs in (the tripwire's, so
        that the library use recorded in the block is the submission's own alone)."""
        if self.variant:
            return None
        called: list[str] = self.standing.restore() if self.standing is not None else []
        self.standing = None
        if parts:
            prefix = f"{PACKAGE}."
            mine = {
                n[len(prefix) :]: m for n, m in list(sys.modules.items()) if n.startswith(prefix)
            }
            defining = {name: m for name, m in mine.items() if name in registry.MODULES}
            mods = [m for m in mine.values() if m is not None]
            self.standing = stand_ins.StandingIn(mods, defining, parts, quiet=quiet)
            return []
        return called

    def describe(self, exc: BaseException) -> dict:
        """An exception as the trusted side rebuilds it: its type and bases, its message, and
        where it was raised, in the submission's own files only."""
        mro = [c.__name__ for c in type(exc).__mro__][:20]
        where = []
        roots = [r for r in (self.folder, self.variant.get("catalogue")) if r]
        for frame in traceback.extract_tb(exc.__traceback__):
            if any(frame.filename.startswith(r) for r in roots):
                where.append(f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}")
        return {
            "type": text(lambda: type(exc).__name__)[:100],
            "mro": mro,
            "msg": text(lambda: str(exc)),
            "where": where[-3:],
            "base": not isinstance(exc, Exception),
        }


def text(fn) -> str:
    """``fn()``'s text, cut to :data:`MAX_TEXT`; never raises (a hostile ``__str__``)."""
    try:
        out = fn()
        if type(out) is not str:
            out = str.__str__(out) if isinstance(out, str) else "<unprintable>"
    except BaseException:  # noqa: BLE001
        out = "<unprintable>"
    return out[:MAX_TEXT]
