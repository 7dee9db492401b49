"""Which exercises one exercise may call: ``registry.PARTS``, derived from the references.

One mistake, one charge: a composite is graded with the kit's stand-ins for the parts it may call
(:mod:`descent.calls.stand_ins`). Which parts those are is read from ``solutions/`` as source (no
import), never listed by hand. Exercise E may call exercise F when

* E's reference calls a function of F: by its name (defined in E's module or imported from
  another), as an attribute of an imported module (``_act.relu_forward``), or through
  ``getattr(module, f"{name}_forward")`` (every function of that module the pattern fits),
  directly or through private helpers of E's module (``_forward_layers``);
* E's reference and F's share a private helper (AdamW's and Adam's ``_adam_update``, SiLU's and
  the sigmoid's ``_sigmoid``) and E's docstrings name F (a function of F, or F's own name:
  "the Adam update of adam_step", "see sigmoid_forward", "log_softmax(logits)");
* E is its module's only exercise (the capstone) and the module's docstring names F's functions,
  or F's name followed by ``_*`` (``linear_*``: ``linear_forward`` and ``linear_backward``).

The table is written into ``registry.py`` between two marker lines; ``descent docs`` rewrites it
and ``descent docs --check`` says whether it is stale.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .. import registry
from .exercise_table import replace_between

BEGIN = "# BEGIN PARTS (made by `descent docs` from solutions/: descent.authoring.reuses)"
END = "# END PARTS"
FILE = Path("src") / "descent" / "registry.py"


class _Module:
    """One reference module read as source: its top-level definitions, the names it imports
    from sibling modules, and the sibling modules it imports under an alias."""

    def __init__(self, path: Path):
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.defs = {
            n.name: n for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
        }
        self.names: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        self.aliases: dict[str, str] = {}  # local name -> module
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module:
                        self.names[local] = (node.module, alias.name)
                    else:
                        self.aliases[local] = alias.name


def _reached(modules: dict[str, _Module], module: str, name: str, seen: set) -> set:
    """``(module, name)`` of every function that ``name`` of ``module`` reaches, through the
    private helpers of its module."""
    mod = modules[module]
    node = mod.defs.get(name)
    if node is None or (module, name) in seen:
        return set()
    seen.add((module, name))
    found: set[tuple[str, str]] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in mod.defs and n.id != name:
            found.add((module, n.id))
            if n.id.startswith("_"):
                found |= _reached(modules, module, n.id, seen)
        elif isinstance(n, ast.Name) and n.id in mod.names:
            found.add(mod.names[n.id])
        elif (
            isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and _alias(n.value, mod)
        ):
            found.add((mod.aliases[n.value.id], n.attr))
        elif isinstance(n, ast.Call) and _dynamic(n, mod):
            other, pattern = n.args[0], n.args[1]
            assert isinstance(other, ast.Name) and isinstance(pattern, ast.JoinedStr)
            found |= _pattern(modules, mod.aliases[other.id], pattern)
    return found


def _alias(node: ast.AST, mod: _Module) -> bool:
    return isinstance(node, ast.Name) and node.id in mod.aliases


def _dynamic(call: ast.Call, mod: _Module) -> bool:
    """``getattr(alias, f"...")``: a function of an imported module chosen by a pattern."""
    return (
        isinstance(call.func, ast.Name)
        and call.func.id == "getattr"
        and len(call.args) >= 2
        and _alias(call.args[0], mod)
        and isinstance(call.args[1], ast.JoinedStr)
    )


def _pattern(modules: dict[str, _Module], module: str, text: ast.JoinedStr) -> set:
    pieces = [
        re.escape(str(v.value)) if isinstance(v, ast.Constant) else r"\w+" for v in text.values
    ]
    rx = re.compile("".join(pieces))
    return {(module, name) for name in modules[module].defs if rx.fullmatch(name)}


def _docs(mod: _Module, ex: registry.Exercise) -> str:
    return " ".join(ast.get_docstring(mod.defs[f]) or "" for f in ex.functions if f in mod.defs)


def _named(text: str, other: registry.Exercise, listed: bool) -> bool:
    """``text`` names one of ``other``'s functions, or ``other`` itself (``log_softmax``); a
    ``listed`` text (a module's docstring listing what to import) only its functions, or its
    pair as ``name_*``."""
    short = other.id.split(".", 1)[1]
    words = other.functions if listed else (*other.functions, short)
    if any(re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", text) for w in words):
        return True
    return listed and re.search(rf"(?<![\w.]){re.escape(short)}_\*", text) is not None


def derive(kit: Path) -> dict[str, tuple[str, ...]]:
    """Exercise id -> the exercises it may call (see the module's docstring), for those with
    any."""
    modules = {m: _Module(kit / "solutions" / f"{m}.py") for m in registry.MODULES}
    owner = {(ex.module, f): ex for ex in registry.EXERCISES.values() for f in ex.functions}
    reach = {
        ex.id: set().union(*(_reached(modules, ex.module, f, set()) for f in ex.functions))
        for ex in registry.EXERCISES.values()
    }
    parts: dict[str, tuple[str, ...]] = {}
    for ex in registry.EXERCISES.values():
        alone = sum(e.module == ex.module for e in registry.EXERCISES.values()) == 1
        docs = _docs(modules[ex.module], ex)
        listing = ast.get_docstring(modules[ex.module].tree) or ""
        found = set()
        for other in registry.EXERCISES.values():
            if other.id == ex.id:
                continue
            called = any(owner.get(r) is other for r in reach[ex.id])
            helpers = {r for r in reach[ex.id] & reach[other.id] if r[1].startswith("_")}
            shared = bool(helpers) and _named(docs, other, listed=False)
            if called or shared or (alone and _named(listing, other, listed=True)):
                found.add(other.id)
        if found:
            parts[ex.id] = tuple(sorted(found))
    return parts


def block(parts: dict[str, tuple[str, ...]]) -> str:
    """The table as the Python source that ``registry.py`` holds between the markers."""
    lines = ["PARTS: dict[str, tuple[str, ...]] = {"]
    for exercise, called in parts.items():
        if len(called) == 1:  # as `ruff format` writes it
            lines.append(f'    "{exercise}": ("{called[0]}",),')
            continue
        lines.append(f'    "{exercise}": (')
        lines += [f'        "{p}",' for p in called]
        lines.append("    ),")
    return "\n".join(lines + ["}"]) + "\n"


def update(kit: Path, *, check: bool = False) -> bool:
    """Rewrite the table in ``registry.py`` (or with ``check`` only compare); whether it was
    stale."""
    text = (kit / FILE).read_text()
    fresh = replace_between(text, BEGIN, END, block(derive(kit)), FILE)
    if fresh != text and not check:
        (kit / FILE).write_text(fresh)
    return fresh != text
