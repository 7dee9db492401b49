"""Where the student's values first part from a correct computation's, for an exercise that no
repair and no float error places (:mod:`descent.diagnoses.verified` asks).

A failing comparison is run again twice, line by line (:meth:`Implementation.watched`): on the
student's code (in the worker for a submission) and on the reference, whose every torch
operation's result counts too (:class:`_Results`: the reference names few of its intermediate
values, and a student names others). Each value the student's
code computes is *known* when it equals one the reference computed on the same input (the same
entries in the same order, the transpose of a matrix, a row of a bigger array: a loop over
examples computes a batch's rows one at a time, one entry of each row), or the exp, the exp of the negative or the log of one (probabilities
where the reference holds their logs, a sigmoid where it holds a softplus), and *new* otherwise. A single number that equals
any entry the reference computed says nothing either way (a count, a rate, a sum both compute).
The line told is the first of the student's module that reads a known value (the values part
there, not upstream in something no step holds: random draws, counts, nor in a function it calls
that returned a new value) and computes a new value
that stays new:
the later lines of its function that read its name (or the name of a value computed from it)
compute only new values, down to a value returned. A new value that a later line makes known again
is a detour of a correct computation (the squares whose mean is the variance), one no line reads
is no part of the result, and a returned copy of an argument (a conversion) is neither, nor an
array made from a shape alone (an identity, ones). Only the
call that returned the checked result and the calls it made are searched: a forward run before
its backward hands on a cache that the reference may keep in another form. It is told only
where every comparison re-run (two at most) names the same line and the result the student
returns is new. It is a place to look, never a cause: no value of the reference is shown.
"""

from __future__ import annotations

import ast
import re

import torch
from torch.overrides import TorchFunctionMode

from .. import registry
from ..calls.steps import MOST_VALUES, Step, flat
from .base import leaves
from .float_trap import Trap
from .ledger import Ledger, Record

RUNS = 2  # failing comparisons re-run at most
RESULTS = 2000  # the reference's operation results kept at most
_RTOL, _ATOL = 1e-4, 1e-7  # float32 arithmetic in another order still agrees
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")  # a name a line reads (not an attribute)


class _Results(TorchFunctionMode):
    """Inside it, the result of every torch operation (the reference's) is kept as a step."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Step] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for leaf in result if isinstance(result, (tuple, list)) else (result,):
            values = flat(leaf) if isinstance(leaf, torch.Tensor) else None
            if values is not None and values.numel() and len(self.steps) < RESULTS:
                shape = tuple(leaf.shape)
                self.steps.append(
                    Step("", 0, "", "result", "", shape, values[:MOST_VALUES].clone())
                )
        return result


def located(book: Ledger, impl, reference) -> Trap | None:
    """The line of the student's module where its values part from the reference's on every
    failing comparison re-run, in words; ``None`` where the re-runs disagree or find none."""
    exercise = registry.EXERCISES.get(book.exercise or "")
    if exercise is None or impl is None or reference is None or not hasattr(impl, "watched"):
        return None
    source = impl.source(exercise.module)
    if not source:
        return None  # a catalogued variant: the kit's own code
    failing = [r for r in book.records if r.failed and r.recipe and _finite(r)][:RUNS]
    file = f"{exercise.module}.py"
    parted = {_parting(r, impl, reference, file) for r in failing}
    if not failing or None in parted or len(parted) != 1:
        return None
    line, function, caller = next(iter(parted))  # type: ignore[misc]
    lines = source.splitlines()
    code = " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
    if not code:
        return None
    quoted = code if len(code) <= 60 else code[:57] + "..."
    # a function that computes right may be the wrong one to call: the call's line is said too
    called = f", called from line {caller}" if caller else ""
    return Trap(
        f"line {line} (in `{function}`{called}): `{quoted}` is where your values first part from a "
        "correct computation's on this check's input: the values before it agree with one, "
        "what this line computes does not, nor anything your code computes from it",
        tuple(failing),
        code,
    )


def _finite(record: Record) -> bool:
    """The comparison's result (a tensor, or a tuple of them: a backward's gradients) holds
    floats, all finite (a NaN is the float trap's to place)."""
    found = [v for v in leaves(record.got) if isinstance(v, torch.Tensor)]
    return bool(found) and all(
        v.is_floating_point() and bool(torch.isfinite(v).all()) for v in found
    )


def _parting(record: Record, impl, reference, file: str) -> tuple[int, str, int] | None:
    """(line, function, the line that called it where that call is nested in the checked one, or
    0) of ``file`` where the student's values part from the reference's on ``record``'s recipe,
    as the module's docstring says."""
    with impl.watched() as mine:
        record.run_on(impl)
    with reference.watched() as theirs, _Results() as results:
        record.run_on(reference)
    theirs = theirs + results.steps
    theirs = theirs + _exps_and_logs(theirs)
    known = [_known(s, theirs) for s in mine]
    if not theirs or not any(s.kind == "return" and k is False for s, k in zip(mine, known)):
        return None  # no value handed back is new: nothing parted
    texts, last = _sources(impl, file), mine[-1].call
    for i, step in enumerate(mine):
        # only within the call that returned the result (a forward run before its backward
        # returns a cache the reference keeps in another form)
        if (
            step.call >= last
            and step.file == file
            and step.kind != "argument"
            and known[i] is False
        ):
            if (
                _fed(mine, known, i, texts)
                and not _copied(mine, i)
                and not _constructed(texts, step.line)
                and _stays_new(mine, known, i, texts)
            ):
                return step.line, step.function, _caller(mine, known, i, last)
    return None


def _exps_and_logs(theirs: list[Step]) -> list[Step]:
    """The exp, the negative and the exp of the negative of each value the reference computed,
    and the log of each positive one: a correct computation may hold probabilities where the
    reference holds their logs (a softmax where it computes a log-softmax; a sigmoid, exp(-x),
    where it computes a softplus x of the negated logit), or the reverse, or a loss's terms."""
    found = []
    for step in theirs:
        values = step.values
        if values.numel() > 1 and bool(torch.isfinite(values).all()):
            found += [step._replace(values=v) for v in (values.exp(), -values, (-values).exp())]
            if bool((values > 0).all()):
                found.append(step._replace(values=values.log()))
    return found


def _caller(mine: list[Step], known: list, i: int, last: int) -> int:
    """The line that called step ``i``'s function, where that function was handed only known
    values and ``i`` is the first it computed (a right function may be the wrong one to call
    there), and the call is nested in the checked one; 0 otherwise."""
    step = mine[i]
    if step.call <= last or not step.caller:
        return 0
    before = [(s, k) for s, k in zip(mine[:i], known[:i]) if s.call == step.call]
    # (a number handed in, a rate or an eps kept on the object, is no evidence either way)
    handed = all(s.kind == "argument" and (k or not s.shape) for s, k in before)
    return step.caller if handed else 0


def _fed(mine: list[Step], known: list, i: int, texts: list[str]) -> bool:
    """Step ``i``'s line reads a name whose last value before it is known: the values part on
    that line, not upstream of it in something no step holds (random draws, a count), nor in
    a function it calls that returned a new value (a leaky ReLU's backward whose method for the
    local gradient parted first: the line that multiplies by the upstream gradient is not)."""
    step, last = mine[i], {}
    for s, k in zip(mine[:i], known[:i]):
        if s.call == step.call and s.name:
            last[s.name] = k
        elif s.call > step.call and s.kind == "return" and s.caller == step.line and k is False:
            return False  # a call this line made returned a new value: they parted in there
    text = texts[step.line - 1] if 0 < step.line <= len(texts) else ""
    return any(k and _reads(name, text) for name, k in last.items())


# calls that make an array from its shape alone: what they make reads no input's values
_CONSTRUCTORS = frozenset(
    {"ones", "zeros", "eye", "identity", "full", "empty", "arange", "ones_like", "zeros_like"}
)


def _constructed(texts: list[str], line: int) -> bool:
    """Line ``line`` makes a new array from a shape (``w = np.ones((1, 1), dtype=x.dtype)``, an
    identity): a value no input's values reach is a constant of the code, not where values part,
    however new it is to the reference."""
    text = texts[line - 1].strip() if 0 < line <= len(texts) else ""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    stmt = tree.body[0] if len(tree.body) == 1 else None
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Return)) else None
    return value is not None and _made(value)


def _made(value: ast.expr) -> bool:
    """``value`` is an array made from a shape, or a list or dict of such arrays (a held-out
    Sydney optimizer's ``[np.zeros(p.data.shape) for p in self.parameters]``)."""
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        return _made(value.elt)
    if isinstance(value, ast.DictComp):
        return _made(value.value)
    if isinstance(value, (ast.List, ast.Tuple)):
        return bool(value.elts) and all(_made(e) for e in value.elts)
    func = value.func if isinstance(value, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in _CONSTRUCTORS


def _sources(impl, file: str) -> list[str]:
    """The lines of the student's ``file``, as graded."""
    return (impl.source(file.removesuffix(".py")) or "").splitlines()


def _copied(mine: list[Step], i: int) -> bool:
    """Step ``i`` returns (or binds) the values of an earlier step (an argument, a value kept on
    an object): a conversion, not a computation."""
    size = mine[i].values.numel()
    return any(
        s.values.numel() == size and bool(_close(s.values, mine[i].values).all()) for s in mine[:i]
    )


def _stays_new(mine: list[Step], known: list, i: int, texts: list[str]) -> bool:
    """The value of step ``i`` reaches a value its function returns through new values only
    (see the module's docstring): names read by later lines of its function, followed from it."""
    step = mine[i]
    if step.kind == "return":
        return True
    tainted = {step.name}
    for j in range(i + 1, len(mine)):
        later = mine[j]
        if later.call != step.call or later.kind == "argument":
            continue
        text = texts[later.line - 1] if 0 < later.line <= len(texts) else ""
        if not any(_reads(name, text) for name in tainted):
            continue
        if known[j] or later.kind == "return" and known[j] is None:
            return False  # made good again: a detour (a number returned that the reference has)
        if later.kind == "return":
            return True
        if later.name:
            tainted.add(later.name)
    # state kept on an object or in a dict and changed (an optimizer's update, not a first
    # binding: random weights drawn in a constructor) is a result of its own
    updated = {s.name for s in mine[:i]}
    return any(("." in name or "[" in name) and name in updated for name in tainted)


def _reads(name: str, text: str) -> bool:
    """The line ``text`` reads ``name``: a local by its name, an attribute by ``.attribute``, a
    dict's item by the dict."""
    base = name.partition("[")[0]
    if "." in base:
        return re.search(rf"\.{re.escape(base.rsplit('.', 1)[1])}\b", text) is not None
    return base in _NAME.findall(text)


def _known(step: Step, theirs: list[Step]) -> bool | None:
    """``step`` computes a value the reference computed (``True``), none (``False``), or is a
    single number that equals one of the reference's entries (``None``: it tells nothing)."""
    if not step.shape or step.values.numel() == 1:
        return None if any(_close(step.values, t.values).any() for t in theirs) else False
    return any(_same(step, t) for t in theirs)


def _same(step: Step, theirs: Step) -> bool:
    """The two values agree: the same entries in order, a matrix's transpose, one entry of each
    row of ``theirs`` (:func:`_picked`), or ``step`` is a row of ``theirs`` laid out as rows of
    its size."""
    mine, other = step.values, theirs.values
    if mine.numel() == other.numel() and bool(_close(mine, other).all()):
        return True
    if (
        len(step.shape) == 2
        and tuple(reversed(step.shape)) == theirs.shape
        and other.numel() == step.shape[0] * step.shape[1]
    ):
        flipped = other.reshape(theirs.shape).T.reshape(-1)
        return mine.numel() == flipped.numel() and bool(_close(mine, flipped).all())
    size = mine.numel()
    if _picked(step, theirs):
        return True
    if size < 2 or other.numel() < 2 * size or other.numel() % size:
        return False
    return bool(_close(other.reshape(-1, size), mine).all(dim=1).any())


def _picked(step: Step, theirs: Step) -> bool:
    """``step`` holds one entry of each row of the matrix ``theirs`` (a loss's term of each
    example's target class, ``-log(p[range(n), y])``)."""
    rows = theirs.shape[0] if len(theirs.shape) == 2 else 0
    if step.shape != (rows,) or rows < 2 or theirs.values.numel() != rows * theirs.shape[1]:
        return False
    matrix = theirs.values.reshape(theirs.shape)
    return bool(_close(matrix, step.values[:, None]).any(dim=1).all())


def _close(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.isclose(a, b, rtol=_RTOL, atol=_ATOL, equal_nan=True)
