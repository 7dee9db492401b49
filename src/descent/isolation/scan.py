"""AST scan of submission sources for borrowed library operations (trusted side, no execution).

For each exercise, the scan follows the exercise's functions (and the module's helper functions
and classes they call, including ``from .losses import ...`` across modules) and resolves every
name and attribute chain through the module's imports and aliases (``import torch.nn.functional
as F``, ``sm = torch.softmax``, ``getattr(F, "cross_entropy")``). A reference under one of the
exercise's forbidden prefixes is a finding; dynamic access that defeats the scan (``getattr``
with a computed name, ``__import__``, ``importlib``, ``eval``, ``exec``, ``torch._C``,
``torch.ops``, ``sys.modules``...) is reported as suspicious, for review only.

The rule (docs/explanation/isolation/borrowed-code.md): only a name the scan resolves to the
library through the module's imports is a finding (kind ``forbidden``; in the worker it scores
the exercise 0). A tensor method's name on an object the scan cannot resolve (``x.softmax()``,
``loss.backward()``) may be the student's own method (``layer.backward(dy)``), so it is only a
``possible`` use, for review: the runtime tripwire sees whether a real tensor method ran, and
decides the score. A name the submission defines itself (a method, or an attribute it assigns,
``self.softmax = ...``) is not reported at all, and a store is never a use. Inside a function,
a name the function binds itself (a parameter, a loop variable) is its own value, as in Python.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .. import registry
from ..calls import source_tree
from .scopes import defaults, evaluated_outside, in_scope, params, scope_names

TENSOR_METHODS = {
    "softmax",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "sigmoid_",
    "backward",
    "inverse",
    "pinverse",
}
# Other spellings of forbidden APIs: (prefix, what it counts as).
EQUIVALENT = (
    ("torch.func", "torch.autograd.func"),
    ("torch._C._nn", "torch.nn.functional._C"),
    ("torch.special.expit", "torch.sigmoid"),
    ("torch.special.softmax", "torch.softmax"),
    ("torch.special.log_softmax", "torch.log_softmax"),
    ("torch.special.logsumexp", "torch.logsumexp"),
)
DYNAMIC_CALLS = {"__import__", "eval", "exec", "compile", "globals", "vars", "locals", "breakpoint"}
DYNAMIC_PREFIXES = (
    "torch._C",
    "torch.ops",
    "importlib",
    "sys.modules",
    "builtins",
    "ctypes",
    "inspect",
    "gc",
    "torch._refs",
    "torch._decomp",
    "torch._prims",
)


@dataclass
class DefInfo:
    refs: set = field(default_factory=set)  # (dotted, line): resolved through imports
    possible: set = field(default_factory=set)  # (tensor method name, line): unresolved
    calls: set = field(default_factory=set)  # local names called/referenced
    dynamic: set = field(default_factory=set)  # (what, line)


@dataclass
class Finding:
    exercise: str
    name: str
    line: int
    module: str
    kind: str  # "forbidden" (certain, scored) | "possible" | "dynamic" (both review only)

    def text(self) -> str:
        return f"{self.name} ({self.module}.py line {self.line})"


# What each kind of finding means, for reports (a possible use is never scored by the scan).
MEANING = {
    "forbidden": "used",
    "possible": "possibly used (a tensor method's name on an object the scan cannot resolve; "
    "your own method of that name is fine, the run-time check decides)",
    "dynamic": "dynamic access the scan cannot follow",
}


class _ModuleScan(ast.NodeVisitor):
    """One module's references. Names resolve through the module's bindings as they stand
    after the whole module has run (what a function sees when it is called): a first pass
    collects them, a second, given ``bindings``, records the references."""

    def __init__(self, module: str, bindings: dict[str, str] | None = None):
        self.module = module
        self.frozen = bindings is not None
        self.aliases: dict[str, str] = dict(bindings or {})
        self.defs: dict[str, DefInfo] = {}
        self.current: DefInfo | None = None
        self.toplevel = DefInfo()
        self.own_names: set[str] = set()  # methods and attributes the submission defines
        self.local_names: list[set[str]] = []  # per enclosing function: the names it binds
        self.scope_aliases: list[dict[str, str]] = []  # ... and those it binds to the library's

    # -- imports and aliases --------------------------------------------------------------------
    def visit_Import(self, node):
        for a in node.names:
            if a.asname:
                self._bind(a.asname, a.name)
            else:
                head = a.name.split(".")[0]
                self._bind(head, head)
            self._maybe_dynamic(a.name, node.lineno)

    def visit_ImportFrom(self, node):
        base = node.module or ""
        if node.level:
            base = f"submission.{base}" if base else "submission"
        for a in node.names:
            if a.name == "*":
                (self.current or self.toplevel).dynamic.add((f"from {base} import *", node.lineno))
                continue
            self._bind(a.asname or a.name, f"{base}.{a.name}" if base else a.name)
        self._maybe_dynamic(base, node.lineno)

    def _bind(self, name: str, dotted: str | None) -> None:
        """``name`` now means ``dotted`` (None: something of the submission's own)."""
        if self.frozen:
            return
        if dotted is None:
            self.aliases.pop(name, None)
        else:
            self.aliases[name] = dotted

    def _maybe_dynamic(self, dotted: str, line: int):
        if any(dotted == p or dotted.startswith(p + ".") for p in DYNAMIC_PREFIXES):
            (self.current or self.toplevel).dynamic.add((dotted, line))

    # -- definitions ----------------------------------------------------------------------------
    def _def(self, node, name):
        if self.current is None:
            self._bind(name, None)  # the submission's own definition shadows an import
            info = self.defs.setdefault(name, DefInfo())
            self.current = info
            self._scoped(node)
            self.current = None
        else:
            self._scoped(node)

    def _scoped(self, node) -> None:
        """Visit ``node`` with the names its own scope binds taken as local: in ``for grad in
        grads`` a loop variable named like an imported ``grad`` is the student's value, not the
        library's (a held-out sigmoid was told of ``torch.func.grad`` at such a line)."""
        own = scope_names(node) if not isinstance(node, ast.ClassDef) else set()
        for outer in evaluated_outside(node):  # `def f(x, F=F)`: that F is the enclosing one
            self.visit(outer)
        # a parameter whose default is the library's is the library's unless a caller says
        # otherwise: `def relu_forward(x, F=F): return F.relu(x)` still reads F.relu
        own -= {name for name, default in defaults(node).items() if self.resolve(default)}
        # a name this scope binds only to the library's values is an alias in it, as at the
        # top level: `F = torch.nn.functional` then `F.relu(x)` still reads F.relu
        bound = self._library_bindings(node, own)
        enclosing = self.local_names[-1] if self.local_names else set()
        self.local_names.append((own | enclosing) - set(bound))
        self.scope_aliases.append(
            {**(self.scope_aliases[-1] if self.scope_aliases else {}), **bound}
        )
        try:
            self.generic_visit(node)
        finally:
            self.local_names.pop()
            self.scope_aliases.pop()

    def _library_bindings(self, node, own: set[str]) -> dict[str, str]:
        """The names among ``own`` that every binding of ``node``'s scope sets to a value the
        scan resolves (``F = torch.nn.functional``), with that value; not a parameter's."""
        stores: dict[str, int] = {}
        resolved: dict[str, list[str]] = {}
        for child in in_scope(node):
            if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                stores[child.id] = stores.get(child.id, 0) + 1
            if isinstance(child, ast.Assign) and len(child.targets) == 1:
                target, dotted = child.targets[0], self.resolve(child.value)
                if isinstance(target, ast.Name) and dotted:
                    resolved.setdefault(target.id, []).append(dotted)
        given = params(node)
        return {
            name: dotted[0]
            for name, dotted in resolved.items()
            if name in own
            and name not in given
            and len(set(dotted)) == 1
            and len(dotted) == stores.get(name)
        }

    def _local(self, name: str) -> bool:
        return bool(self.local_names) and name in self.local_names[-1]

    def _alias(self, name: str) -> str | None:
        """What ``name`` means where the scan stands: the enclosing scopes' alias, else the
        module's."""
        scoped = self.scope_aliases[-1] if self.scope_aliases else {}
        return scoped.get(name, self.aliases.get(name))

    def visit_FunctionDef(self, node):
        self._def(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = _scoped
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scoped

    def visit_ClassDef(self, node):
        self.own_names.update(
            b.name for b in node.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
        self._def(node, node.name)

    def visit_Assign(self, node):
        if (
            self.current is None
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            self._bind(node.targets[0].id, self.resolve(node.value))
        self.generic_visit(node)

    # -- references -----------------------------------------------------------------------------
    def resolve(self, node) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            inner = self.resolve(node.args[0])
            return ".".join([inner, node.args[1].value, *reversed(parts)]) if inner else None
        if not isinstance(node, ast.Name) or self._local(node.id):
            return None
        base = self._alias(node.id)
        if base is None:
            return None
        return ".".join([base, *reversed(parts)])

    def _info(self) -> DefInfo:
        return self.current or self.toplevel

    def visit_Attribute(self, node):
        dotted = self.resolve(node)
        info = self._info()
        if not isinstance(node.ctx, ast.Load):  # a store is never a use (self.softmax = ...)
            self.own_names.add(node.attr)
            if dotted and not dotted.startswith("submission"):
                info.dynamic.add((f"assigns {dotted}", node.lineno))
        elif dotted:
            info.refs.add((dotted, node.lineno))
            self._maybe_dynamic(dotted, node.lineno)
        elif node.attr in TENSOR_METHODS:
            info.possible.add((node.attr, node.lineno))
        if node.attr in (
            "__dict__",
            "__builtins__",
            "__globals__",
            "f_back",
            "f_locals",
            "__subclasses__",
            "_execution_engine",
        ):
            info.dynamic.add((f".{node.attr}", node.lineno))
        self.generic_visit(node)

    def visit_Name(self, node):
        info = self._info()
        dotted = self._alias(node.id)
        if dotted and isinstance(node.ctx, ast.Load) and not self._local(node.id):
            info.refs.add((dotted, node.lineno))
        info.calls.add(node.id)
        if node.id in DYNAMIC_CALLS or node.id == "__builtins__":
            info.dynamic.add((node.id, node.lineno))

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr", "delattr"):
            if (
                len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                dotted = self.resolve(node)
                if dotted:
                    self._info().refs.add((dotted, node.lineno))
            elif node.args:
                target = self.resolve(node.args[0])
                if target and not target.startswith("submission"):
                    self._info().dynamic.add(
                        (f"{node.func.id}({target}, <computed name>)", node.lineno)
                    )
        self.generic_visit(node)


def scan(sources: dict[str, str]) -> list[Finding]:
    """Findings of every exercise over the submission's modules (module name -> source)."""
    scans = _parse_all(sources)
    own = set().union(*(s.own_names for s in scans.values())) if scans else set()
    findings: list[Finding] = []
    for ex in registry.EXERCISES.values():
        if ex.module in scans:
            findings += _exercise_findings(ex, scans, own)
    # a bare module reference on the same line as a deeper one adds nothing
    names = {(f.exercise, f.module, f.line, f.name) for f in findings}
    return [
        f
        for f in findings
        if not any(
            e == f.exercise and m == f.module and ln == f.line and n.startswith(f.name + ".")
            for e, m, ln, n in names
        )
    ]


def sibling_imports(source: str, siblings: set[str]) -> list[str]:
    """The modules of ``siblings`` (the submission's other modules) that a module whose text is
    ``source`` imports when it is itself imported: ``from .losses import f``, ``from . import
    losses``, ``import losses``, outside any function; [] when it does not parse."""
    tree = source_tree.parse(source)
    if tree is None:
        return []
    found: list[str] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue  # runs when called, not at import
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                names = [node.module.split(".")[0]]
            else:  # from . import losses
                names = [a.name for a in node.names] if node.level else []
        else:
            todo.extend(ast.iter_child_nodes(node))
            continue
        found += [n for n in names if n in siblings and n not in found]
    return found


def forbidden_uses(sources: dict[str, str]) -> list[Finding]:
    """The library uses the exercises forbid, by module and line, for a student's report.

    ``sources`` maps a module name (``"losses"``) to its source text. Each finding names the
    exercise, the library name (``torch.softmax``), the module and line, and its ``kind``:
    ``"forbidden"`` when the scan resolved the name to the library through the module's imports
    (certain), ``"possible"`` for a tensor method's name on an object it cannot resolve
    (``t.backward()``: a real tensor's method is forbidden, the student's own is fine). A module
    that does not parse has no findings (the import check reports it). Dynamic access is left
    out: it is for a person reviewing a submission, not a reason to change correct code.
    """
    found = [f for f in scan(sources) if f.kind != "dynamic"]
    return sorted(found, key=lambda f: (f.module, f.line, f.exercise, f.name))


def _parse_all(sources: dict[str, str]) -> dict[str, _ModuleScan]:
    """A scan of each module that parses (one that does not is the import check's to report)."""
    scans: dict[str, _ModuleScan] = {}
    for module, text in sources.items():
        tree = source_tree.parse(text)
        if tree is None:
            continue
        try:
            first = _ModuleScan(module)
            first.visit(tree)
            s = _ModuleScan(module, bindings=first.aliases)
            s.visit(tree)
        except RecursionError:
            continue
        scans[module] = s
    return scans


def _reachable(ex, scans: dict[str, _ModuleScan]) -> list[tuple]:
    """(module, def info, is the module's top level) for the exercise's functions and every
    function of the submission they call, across modules."""
    seen: set[tuple[str, str]] = set()
    todo = [(ex.module, f) for f in ex.functions]
    infos = [(ex.module, scans[ex.module].toplevel, True)]
    while todo:
        mod, name = todo.pop()
        if (mod, name) in seen or mod not in scans:
            continue
        seen.add((mod, name))
        info = scans[mod].defs.get(name)
        if info is None:
            continue
        infos.append((mod, info, False))
        for called in info.calls:
            if called in scans[mod].defs:
                todo.append((mod, called))
            target = scans[mod].aliases.get(called, "")
            if target.startswith("submission."):
                parts = target.split(".")
                if len(parts) == 3:
                    todo.append((parts[1], parts[2]))
    return infos


def _exercise_findings(ex, scans: dict[str, _ModuleScan], own: set[str]) -> list[Finding]:
    prefixes = tuple(ex.forbidden) + tuple(registry.ALWAYS_FORBIDDEN)
    findings: list[Finding] = []
    reported = set()

    def add(name: str, line: int, mod: str, kind: str) -> None:
        if (name, mod, kind) not in reported:
            reported.add((name, mod, kind))
            findings.append(Finding(ex.id, name, line, mod, kind))

    for mod, info, top in _reachable(ex, scans):
        if not top:  # module-level references are aliases/imports, not uses
            for dotted, line in sorted(info.refs):
                if _forbidden(dotted, prefixes):
                    add(dotted, line, mod, "forbidden")
            for attr, line in sorted(info.possible):
                name = f"torch.Tensor.{attr.rstrip('_')}"
                if attr not in own and _forbidden(name, prefixes):
                    add(name, line, mod, "possible")
        for what, line in sorted(info.dynamic):
            add(what, line, mod, "dynamic")
    return findings


def _forbidden(dotted: str, prefixes: tuple[str, ...]) -> bool:
    names = [dotted] + [
        alias + dotted[len(src) :]
        for src, alias in EQUIVALENT
        if dotted == src or dotted.startswith(src + ".")
    ]
    return any(n == p or n.startswith(p + ".") for n in names for p in prefixes)
