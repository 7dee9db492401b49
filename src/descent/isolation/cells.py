"""Notebook cells in a worker: run one cell in the notebook's namespace and hand back, as data,
what it printed and how it ended.

Serves the ``cell`` request of :class:`descent.isolation.worker.Worker`, which the labs' confined
executor sends (``descent.labs_exec``). It runs in the worker, after confinement. There is no
IPython here: a cell that is not Python because it holds magics (``%``, ``%%``) or shell escapes
(``!``) is refused before any of it runs, and a cell's last expression is shown the way IPython
shows it. While a cell runs, an audit hook notes the files it tried to open outside the scratch
directory; those the confinement refused are reported with the cell (``refused``), for the
instructor's tampering report.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import types

MODULE = "notebook"  # the namespace's name in the worker's module table
MAX_OUTPUT = 64 << 10  # characters kept of a cell's stdout and of its stderr
MAX_REFUSED = 20
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_seen: list[tuple[str, bool]] = []  # (path, wants to write) while a cell runs
_watching = False
_hooked = False


def namespace() -> types.ModuleType:
    """A fresh notebook namespace (``__name__`` is ``"__main__"``, as in a kernel)."""
    sys.dont_write_bytecode = True  # the confinement refuses it anyway: say so, not try
    mod = types.ModuleType("__main__")
    mod.display = lambda *values: print(*(repr(v) for v in values))
    return mod


class _Capped(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        self.parts: list[str] = []
        self.room = limit
        self.cut = False

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if self.room > 0:
            self.parts.append(text[: self.room])
        self.cut = self.cut or len(text) > self.room
        self.room = max(0, self.room - len(text))
        return len(text)

    def text(self) -> str:
        return "".join(self.parts) + ("\n[output cut here]\n" if self.cut else "")


def run(mod: types.ModuleType, source: str, *, watch: bool = True) -> dict:
    """Run ``source`` in ``mod``; returns ``{"stdout", "stderr", "result", "error", "refused"}``
    (``result``: the repr of the last expression or None; ``error``: ``{"type", "msg"}`` or
    None; ``refused``: paths the confinement kept the cell from). ``watch=False``: the paths
    are not watched, and no audit hook is installed for it (a cell of the kit's own, such as
    the write-the-tests harness's boot: the hook, once there, runs at every audited event of
    the process, every ``id()`` call among them)."""
    try:
        tree = ast.parse(source, "<cell>")
    except SyntaxError as exc:
        return {
            "stdout": "",
            "stderr": "",
            "result": None,
            "refused": [],
            "error": _syntax_error(source, exc),
        }
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out, err = _Capped(MAX_OUTPUT), _Capped(MAX_OUTPUT)
    saved = sys.stdout, sys.stderr
    result = error = None
    _watch(watch)
    try:
        sys.stdout, sys.stderr = out, err
        exec(compile(tree, "<cell>", "exec"), vars(mod))
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), vars(mod))
            if value is not None:
                result = _safe(lambda: repr(value), MAX_OUTPUT)
    except BaseException as exc:  # noqa: BLE001 - whatever the cell raises ends only the cell
        error = {
            "type": _safe(lambda e=exc: type(e).__name__, 100),
            "msg": _safe(lambda e=exc: str(e), 2000),
        }
    finally:
        sys.stdout, sys.stderr = saved
        _watch(False)
    return {
        "stdout": out.text(),
        "stderr": err.text(),
        "result": result,
        "error": error,
        "refused": refused(),
    }


def _syntax_error(source: str, exc: SyntaxError) -> dict:
    magic = [
        n for n, line in enumerate(source.splitlines(), 1) if line.lstrip().startswith(("%", "!"))
    ]
    if magic:
        return {
            "type": "RefusedCell",
            "msg": f"line {magic[0]}: IPython magics and shell "
            "escapes (%, %%, !) are not run while the notebook is graded; nothing in this "
            "cell ran",
        }
    return {"type": "SyntaxError", "msg": f"{exc.msg} (line {exc.lineno})"}


def _safe(fn, limit: int) -> str:
    try:
        text = fn()
        text = text if type(text) is str else "<unprintable>"
    except BaseException:  # noqa: BLE001 - a repr that raises
        text = "<unprintable>"
    return text[:limit]


# -- what the confinement refused -------------------------------------------------------------------
def _watch(on: bool) -> None:
    global _watching, _hooked
    if on and not _hooked:
        sys.addaudithook(_audit)  # permanent: the hook stays, idle between cells
        _hooked = True
    if on:
        _seen.clear()
    _watching = on


def _audit(event: str, args: tuple) -> None:
    if not _watching or len(_seen) >= 200:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        mode, flags = (args + (None, 0))[1:3]
        writes = bool(
            (isinstance(mode, str) and set(mode) & set("wax+"))
            or (isinstance(flags, int) and flags & _WRITE_FLAGS)
        )
        _seen.append((os.fsdecode(args[0]), writes))
    elif event in ("os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes)):
        _seen.append((os.fsdecode(args[0]), False))
    elif event == "sqlite3.connect" and args and isinstance(args[0], (str, bytes)):
        _seen.append((os.fsdecode(args[0]), True))


def refused() -> list[str]:
    """The paths noted while the cell ran that the confinement refuses: a write outside the
    scratch directory, or a read of an existing path this process may not open."""
    scratch = os.path.realpath(os.environ.get("HOME") or os.getcwd())
    out: list[str] = []
    for path, writes in dict.fromkeys(_seen):
        full = os.path.realpath(path)
        if full == "/dev/null" or full == scratch or full.startswith(scratch + os.sep):
            continue
        if (writes or _unreadable(full)) and path not in out:
            out.append(f"{'write' if writes else 'read'} {path}"[:300])
        if len(out) >= MAX_REFUSED:
            break
    _seen.clear()
    return out


# Private folders the worker covered in its mount namespace (server.confine): a path under one
# that is not there was hidden by the confinement, which counts as refused.
covered: list[str] = []


def _unreadable(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except PermissionError:
        return True
    except FileNotFoundError:
        return any(path.startswith(folder.rstrip("/") + "/") for folder in covered)
    except OSError:
        return False
    os.close(fd)
    return False
