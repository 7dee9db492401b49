"""The line of the student's code that writes the floor or the constant a verified cause
names, for :mod:`descent.diagnoses.verified`: a loss told "the logs of the sigmoid's
probabilities with p clipped to [1e-15, 1 - 1e-15]" is pointed at the line that writes 1e-15, a
leaky ReLU told "uses the constant 0.1 where `negative_slope` belongs" at the lines that write
0.1 (a learner's helper that takes no slope, which no edit can make read one), and a softmax's
backward told "uses only the diagonal y*(1 - y) of the Jacobian" at the line that writes
``s * (1 - s)``. An optimizer told "puts eps inside the square root" is pointed at the line that
writes ``sqrt(v + eps)`` (where a second mistake leaves no single edit that repairs every
check), a bias correction read with the step's power left out at the lines that divide by
``1 - beta1`` (code that keeps no step counter, which no edit can give a power), and a softmax
told that one maximum is subtracted for every row, where each row needs its own, at the line
that subtracts ``np.max(x)`` taken over every entry; an initializer whose spread is read as a
standard deviation given as a uniform's bound at the lines that write that bound, and a GELU in
its tanh approximation at the lines that call ``tanh``; an Adam matched to the paper's
rearranged step (eps added to the root of the uncorrected average) at the lines that add a
stability term to a square root; a sigmoid backward matched to the input used in ``x * (1 -
x)`` at the lines that write that product; an Adam without its bias correction at its step
from the raw averages, and an AdamW's decay without the learning rate at ``1 - weight_decay``.

A log floored at a constant has no small edit that repairs it (the log belongs computed from
the logits), and its result is finite, so no float error stops on it either; the cause, verified
on every failing check, names the constant, and the code the exercise runs writes it on one line
or a few. The line is told only for a cause that no repair and no float error placed, and only
where at most :data:`MOST` lines write the number (a number written everywhere places
nothing).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import replace

from .base import BIAS_CORRECTION, OWN_MAXIMUM, STD_AS_BOUND
from .base import UNDER_ROOT as UNDER_ROOT_WORDS
from .claims import Claim
from .edit_context import STABILITY
from .edit_nodes import callee, method_call
from .edit_rules import root_of, uncounted
from .edit_stable import small

MOST = 4  # lines that write the number, at most, for it to be told (a clip written as 4 ifs)
_SMALL = re.compile(r"(?<![\w.])(\d(?:\.\d+)?e-\d+)")  # a floor as the kit writes it: 1e-15
_TYPED = re.compile(r"uses the constant (\S+) where `")  # a parameter's typed-in constant


def anchored(
    claim: Claim, code: list[ast.AST] | None, text: str | None, exercise: str | None = None
) -> Claim:
    """``claim`` with the lines of ``code`` (the student's functions the exercise runs, as
    :func:`.located.student_source` gives them; ``text``, the module's source) that write the
    floor it names, as where it is (of those in several functions, the ones in a function or
    class named for ``exercise``, when some are: :func:`_named_for`); ``claim`` as it is where
    it is placed already, names no floor, or the floor is written nowhere or on too many
    lines. A cause of a form of its own (a maximum of the whole input, a standard deviation
    used as a uniform's bound) placed by a repair of another mistake, at none of the lines that
    write that form, is placed at those lines instead (a learner's softmax over the whole
    batch, told at the log a partial repair mends)."""
    if not code or not text or claim.located and not _FORMS.search(claim.text):
        return claim
    if _LEFT_OUT.search(claim.text) and not claim.located:
        return _default_read(claim, code, text.splitlines())
    numbers, noun = _named(claim) if not claim.located else (set(), "")
    written_lines = text.splitlines()
    lines = _writing(code, numbers) if numbers else []
    if noun == "floor":  # a log's floor, not the same number guarding a division elsewhere
        lines = [n for n in lines if n <= len(written_lines) and _floors(written_lines[n - 1])]
    if claim.misconception == DIAGONAL:
        lines, noun = _diagonal(code), "diagonal"
    if claim.misconception in UNDER_ROOT or UNDER_ROOT_WORDS in claim.text:
        lines, noun = _under_root(code), "sum under the square root"
    if BIAS_CORRECTION in claim.text:
        lines, noun = _uncounted(code), "correction without the step's power"
    if OWN_MAXIMUM in claim.text:
        lines, noun = _whole_maximum(code), "maximum of the whole input"
    if STD_AS_BOUND in claim.text:
        lines, noun = _uniform_bounds(code), "bound"
    if claim.misconception == TANH_APPROXIMATION:
        lines, noun = _called(code, "tanh"), "approximation"
    if claim.misconception == INPUT_AS_OUTPUT:
        lines, noun = _diagonal(code), "product of the output form"
    if claim.misconception == EPS_HAT:
        lines, noun = _after_root(code), "eps after the root of the uncorrected average"
    if claim.misconception in NO_CORRECTION:
        lines, noun = _after_root(code), "step, from the averages as they are"
    if claim.misconception == DECAY_WITHOUT_RATE:
        lines, noun = _decay_factors(code, written_lines), "decay, without the learning rate"
    lines = _named_for(lines, code, exercise)
    if not lines or len(lines) > MOST or _near(claim.located, lines):
        return claim
    return replace(claim, located=_said(lines, code, written_lines, noun))


# the causes of a form their own lines write, whatever placed them first
_FORMS = re.compile("|".join(map(re.escape, (OWN_MAXIMUM, STD_AS_BOUND))))


def _near(located: str, lines: list[int]) -> bool:
    """``located`` (a placing already made, or none) names a line within 2 of one of ``lines``."""
    placed = [int(n) for n in re.findall(r"\bline (\d+)", located)]
    return any(abs(p - n) <= 2 for p in placed for n in lines)


def anchored_all(
    whole: list[Claim],
    parts: list[Claim],
    facts: dict,
    code: list[ast.AST] | None,
    text: str | None,
    exercise: str | None = None,
) -> tuple[list[Claim], list[Claim], dict]:
    """:func:`anchored` of every claim of ``exercise``: those verified on every failing check,
    those verified on some, and the facts checks saw (a floor read off one large input's values
    is one: "stops at 34.539 = -log(1e-15)")."""
    return (
        [anchored(c, code, text, exercise) for c in whole],
        [anchored(c, code, text, exercise) for c in parts],
        {k: f and anchored(f, code, text, exercise) for k, f in facts.items()},
    )


# a parameter's default read off the values: "when `eps`, left out by the call, defaults to 0
# instead of 1e-10: check the default in the signature"
_LEFT_OUT = re.compile(r"`(\w+)`, left out by the call, defaults to (\S+) instead of ([^\s:(]+)")
_SIGNATURE = ": check the default in the signature"


def _default_read(claim: Claim, code: list[ast.AST], text: list[str]) -> Claim:
    """A default read off the values, said of the student's signatures that take the parameter:
    where one writes another default, that line; where every one writes the expected default,
    the default is not what the code uses, and the words say so (a parameter never read, a
    constant in its place, at the lines that write that constant) instead of sending the
    student to a signature that is right."""
    found = _LEFT_OUT.search(claim.text)
    assert found is not None
    name, used, expected = found.groups()
    defaults = [d for part in code for d in _defaults_of(part, name)]
    if not defaults or _SIGNATURE not in claim.text:
        return claim
    other = [(line, v) for line, v in defaults if v is None or not _same(v, expected)]
    if other:
        line, _ = other[0]
        return replace(claim, located=f"line {line}: the signature gives `{name}` that default")
    said = (
        f"; your signature's default is {expected}, so that value is not the one the code uses "
        f"(is `{name}` read where it belongs, or a constant written in its place?)"
    )
    read = found.group(0).replace(" defaults to ", " is ")
    claim = replace(claim, text=claim.text.replace(found.group(0), read).replace(_SIGNATURE, said))
    lines = _writing(code, {float(used)}) if _literal_text(used) else []
    return (
        replace(claim, located=_said(lines, code, text, "constant"))
        if 0 < len(lines) <= MOST
        else claim
    )


def _literal_text(text: str) -> bool:
    """``text`` is a number other than 0 (a constant typed in; 0 is an argument left out)."""
    try:
        return float(text) != 0
    except ValueError:
        return False


def _defaults_of(tree: ast.AST, name: str) -> list[tuple[int, float | None]]:
    """(line, default) of each function of ``tree`` with a parameter ``name`` that has one
    (``None``: a default that is no number)."""
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        positional = [a.arg for a in fn.args.args]
        # the last len(defaults) positional parameters have the defaults, in order
        given = dict(zip(positional[len(positional) - len(fn.args.defaults) :], fn.args.defaults))
        given.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d})
        if name in given:
            out.append((fn.lineno, _literal(given[name])))
    return out


def _same(value: float, text: str) -> bool:
    try:
        return math.isclose(value, float(text), rel_tol=1e-9)
    except ValueError:
        return False


def _named_for(lines: list[int], code: list[ast.AST], exercise: str | None) -> list[int]:
    """Of ``lines`` in several functions, those in a function or class whose name holds the
    first word of ``exercise``'s name (``softmax`` for ``activations.softmax``), when some are
    and some are not: one learner's module writes ``s * (1 - s)`` in its sigmoid's, its
    softmax's and its swish's derivatives alike, all reachable from the softmax's backward
    through one dispatch, and only the softmax's is where its backward keeps the diagonal."""
    word = (exercise or "").rpartition(".")[2].split("_")[0].lower()
    if not word or len({_function(code, n) for n in lines}) < 2:
        return lines
    named = [n for n in lines if any(word in name.lower() for name in _holders(code, n))]
    return named if 0 < len(named) < len(lines) else lines


def _holders(code: list[ast.AST], line: int) -> list[str]:
    """The names of the functions and classes of ``code`` that hold ``line``."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [
        n.name
        for part in code
        for n in ast.walk(part)
        if isinstance(n, kinds) and n.lineno <= line <= (n.end_lineno or n.lineno)
    ]


def _named(claim: Claim) -> tuple[set[float], str]:
    """The numbers ``claim`` says the code writes, and what it calls them: a log's floor, or a
    constant typed in where an argument belongs ("uses the constant 0.1 where `negative_slope`
    belongs")."""
    if claim.kind == "clamp":
        return {float(f) for f in _SMALL.findall(claim.text)}, "floor"
    typed = _TYPED.search(claim.text) if claim.kind == "argument" else None
    try:
        return ({float(typed.group(1))}, "constant") if typed else (set(), "")
    except ValueError:  # several values named at once
        return set(), ""


def _writing(code: list[ast.AST], floors: set[float]) -> list[int]:
    """The lines that write one of ``floors``: a literal, ``1 - f`` included, or a power of
    literals (``10 ** -9``)."""
    found = set()
    for node in (n for part in code for n in ast.walk(part)):
        value = written(node)
        if value is not None and any(math.isclose(value, f, rel_tol=1e-9) for f in floors):
            found.add(node.lineno)  # type: ignore[attr-defined]
    return sorted(found)


# a line that floors a probability: a log, a clip, a maximum, or a comparison (a clip written
# as `if p[i] <= 1e-5: p[i] = 1e-5`)
_FLOORING = re.compile(r"log|clip|clamp|max|<|>")
_NAMED = re.compile(r"^\s*[\w.\[\]]+\s*=\s*[-+\d.e* ]+\s*(#.*)?$")  # `EPS = 1e-8`, `p[i] = 1e-5`


def _floors(line: str) -> bool:
    """``line`` can write a log's floor: a log, a clip, a clamp, a maximum or a comparison is
    on it, or it gives the number a name (``eps = 1e-8``, ``p[i] = 1e-5``); a division's guard,
    ``y / (p + 1e-8)``, is not (a held-out loss floors its log with a clip and guards a
    derivative's division with the same number)."""
    return bool(_FLOORING.search(line) or _NAMED.match(line))


DIAGONAL = "softmax_backward_diag_only"  # the catalogued softmax backward cut to its diagonal


# the catalogued optimizers with eps under the root, and the parameter reading that says so
UNDER_ROOT = frozenset(
    {"adagrad_eps_inside_sqrt", "rmsprop_eps_inside_sqrt", "adam_eps_inside_sqrt"}
)


def _under_root(code: list[ast.AST]) -> list[int]:
    """The lines that take the square root of a sum or a difference with a stability term in
    it (``np.sqrt(v + eps)``, ``torch.sqrt(self.eps + s)``, ``(v - 1e-8) ** 0.5``)."""
    found = set()
    for node in (n for part in code for n in ast.walk(part)):
        inside = root_of(node)
        if isinstance(inside, ast.BinOp) and isinstance(inside.op, (ast.Add, ast.Sub)):
            if any(map(_stability_term, (inside.left, inside.right))):
                found.add(node.lineno)  # type: ignore[attr-defined]
    return sorted(found)


def _uncounted(code: list[ast.AST]) -> list[int]:
    """The lines that divide by one minus a rate (``m / (1 - beta1)``, ``v / (1 - self.b2)``):
    a bias correction without the step counter as its power."""
    found = set()
    for node in (n for part in code for n in ast.walk(part)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and uncounted(node.right):
            found.add(node.lineno)
    return sorted(found)


TANH_APPROXIMATION = "gelu_tanh_approx"  # the catalogued GELU in its tanh approximation
EPS_HAT = "adam_eps_hat_form"  # the catalogued Adam with the paper's rearranged step
INPUT_AS_OUTPUT = "sigmoid_backward_uses_input"  # x * (1 - x) where y * (1 - y) belongs
# Adam and AdamW stepping with m / (sqrt(v) + eps) uncorrected: placed on that step
NO_CORRECTION = frozenset({"adam_no_bias_correction", "adamw_no_bias_correction"})
DECAY_WITHOUT_RATE = "adamw_decay_without_lr"  # p * (1 - weight_decay): placed on that factor


def _after_root(code: list[ast.AST]) -> list[int]:
    """The lines that add a stability term to a square root (``np.sqrt(v) + 1e-8``)."""
    found: set[int] = set()
    for node in (n for part in code for n in ast.walk(part)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            sides = (node.left, node.right)
            if any(root_of(a) is not None and _stability_term(b) for a, b in (sides, sides[::-1])):
                found.add(node.lineno)
    return sorted(found)


def _decay_factors(code: list[ast.AST], text: list[str]) -> list[int]:
    """The lines that write ``1 - <a decay>`` (``1 - self.weight_decay``) or a decay times
    something (``self.weight_decay * param.data`` added to the step) and name no learning rate
    (``1 - lr * weight_decay`` is the decoupled decay written right)."""
    found: set[int] = set()
    for node in (n for part in code for n in ast.walk(part)):
        if not isinstance(node, ast.BinOp):
            continue
        shrinks = isinstance(node.op, ast.Sub) and _literal(node.left) == 1
        if (
            shrinks
            and _DECAY.search(ast.unparse(node.right))
            or (
                isinstance(node.op, ast.Mult)
                and any(_DECAY.fullmatch(_last_name(side)) for side in (node.left, node.right))
            )
        ):
            found.add(node.lineno)
    return sorted(n for n in found if n <= len(text) and not _RATE.search(text[n - 1]))


def _last_name(node: ast.expr) -> str:
    """The name a value is read by (``wd``, the ``weight_decay`` of ``self.weight_decay``)."""
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")


_DECAY = re.compile(r"\b(\w*decay\w*|wd|lambda_?|lam)\b", re.IGNORECASE)
_RATE = re.compile(r"\blr\b|learning_rate|step_size", re.IGNORECASE)
_UNIFORM = frozenset({"uniform", "uniform_"})
_BOUNDS = frozenset({"low", "high", "a", "b", "from", "to"})


def _uniform_bounds(code: list[ast.AST]) -> list[int]:
    """The lines that write a computed bound of a uniform draw (``rng.uniform(low=-np.sqrt(2 /
    fan_in), high=...)``, ``w.uniform_(-s, s)``): a standard deviation given as the bound."""
    found: set[int] = set()
    for node in (n for part in code for n in ast.walk(part)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _UNIFORM:
                bounds = [*node.args[:2], *(k.value for k in node.keywords if k.arg in _BOUNDS)]
                found.update(b.lineno for b in bounds if _literal(b) is None)
    return sorted(found)


def _called(code: list[ast.AST], name: str) -> list[int]:
    """The lines that call a function called ``name`` (``np.tanh(u)``, ``u.tanh()``)."""
    found = set()
    for node in (n for part in code for n in ast.walk(part)):
        if isinstance(node, ast.Call) and callee(node) == name:
            found.add(node.lineno)
    return sorted(found)


_MAXIMA = frozenset({"max", "amax"})


def _whole_maximum(code: list[ast.AST]) -> list[int]:
    """The lines that subtract a maximum taken over every entry (``x - np.max(x)``, ``x -=
    x.max()``): one shift for the whole input where each row needs its own."""
    found = set()
    for node in (n for part in code for n in ast.walk(part)):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Sub):
            taken = node.right if isinstance(node, ast.BinOp) else node.value
            if _over_every_entry(taken):
                found.add(node.lineno)
    return sorted(found)


def _over_every_entry(node: ast.expr) -> bool:
    """``np.max(x)`` or ``x.max()`` (``amax`` too): a maximum given no axis."""
    if not isinstance(node, ast.Call) or node.keywords or not isinstance(node.func, ast.Attribute):
        return False
    return callee(node) in _MAXIMA and len(node.args) == (0 if method_call(node) else 1)


def _stability_term(node: ast.expr) -> bool:
    """A name or an attribute that says eps, or a small number written in."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        return bool(STABILITY.search(ast.unparse(node)))
    return small(node)


def _diagonal(code: list[ast.AST]) -> list[int]:
    """The lines that write ``y * (1 - y)`` for some ``y`` (its factors in any order, among
    others: ``dy * s * (1 - s)``), or ``y - y ** 2``: a softmax's Jacobian cut to its diagonal
    where the cause says so."""
    found = set()
    for node in (n for part in code for n in ast.walk(part)):
        if isinstance(node, ast.BinOp) and _diagonal_of(node):
            found.add(node.lineno)
    return sorted(found)


def _diagonal_of(node: ast.BinOp) -> bool:
    if isinstance(node.op, ast.Sub) and isinstance(node.right, ast.BinOp):
        square = node.right
        if isinstance(square.op, ast.Pow) and _literal(square.right) == 2:
            return ast.dump(square.left) == ast.dump(node.left)
        return isinstance(square.op, ast.Mult) and ast.dump(square.left) == ast.dump(
            square.right
        ) == ast.dump(node.left)
    if not isinstance(node.op, ast.Mult):
        return False
    factors = [ast.dump(f) for f in _factors(node)]
    complements = [
        ast.dump(f.right)
        for f in _factors(node)
        if isinstance(f, ast.BinOp) and isinstance(f.op, ast.Sub) and _literal(f.left) == 1
    ]
    return any(c in factors for c in complements)


def _factors(node: ast.expr) -> list[ast.expr]:
    """The factors of a product written with ``*`` (``a * b * c``: ``a``, ``b``, ``c``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return [*_factors(node.left), *_factors(node.right)]
    return [node]


def written(node: ast.AST) -> float | None:
    """The number ``node`` writes: a literal, or a power of literals (``10 ** -9``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, power = _literal(node.left), _literal(node.right)
        if base is not None and power is not None and base > 0 and abs(power) <= 400:
            try:
                return base**power
            except OverflowError:  # 10 ** 400: no floor
                return None
    return None


def _literal(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    return None


def _said(lines: list[int], code: list[ast.AST], text: list[str], noun: str) -> str:
    """ "line 12 (in `loss`): `p = np.clip(p, 1e-15, 1 - 1e-15)` writes that floor"; with
    more lines, "lines 12, 30 write that floor (line 12 (in `loss`): `...`)"."""
    first = lines[0]
    quoted = _code(text[first - 1]) if first <= len(text) else ""
    quoted = quoted if len(quoted) <= 60 else quoted[:57] + "..."
    inside = _function(code, first)
    at = f"line {first}" + (f" (in `{inside}`)" if inside else "") + f": `{quoted}`"
    if len(lines) == 1:
        return f"{at} writes that {noun}"
    return f"lines {', '.join(map(str, lines))} write that {noun} ({at})"


def _code(line: str) -> str:
    """The line's code, its comment left out (a ``#`` after the last quote)."""
    code, mark, comment = line.rpartition("#")
    if not mark or "'" in comment or '"' in comment or not code.strip():
        code = line
    return " ".join(code.split())


def _function(code: list[ast.AST], line: int) -> str | None:
    """The name of the innermost function of ``code`` that holds ``line``."""
    holding = [
        n
        for part in code
        for n in ast.walk(part)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and n.lineno <= line <= (n.end_lineno or n.lineno)
    ]
    return max(holding, key=lambda n: n.lineno).name if holding else None
