"""A sample class for ``descent similarity``, written from the kit's own files.

Every student starts from ``starter/`` (the template) and fills some stubs:

* ``alice/``   the reference solutions (``solutions/``, markers removed);
* ``bob/``     the catalogue's alternative solutions (``graders/catalogue``), with his helpers;
* ``carol.ipynb``  bob's modules copied into tagged notebook cells, with every name renamed,
  the functions in another order and the comments rewritten;
* ``dave.zip`` his own regression, except ``linear_regression_closed_form`` copied from alice
  (one variable renamed); activations left as stubs;
* ``erin/``    her own solutions, NumPy bridged to tensors;
* ``frank/``   his own solutions, written as classes bound to the module's names;
* ``gus/``, ``hana/``  untouched stubs (hana's regression only).

Independent pairs: every pair among alice, bob, erin and frank (and dave with all but alice).

Also here: the rewrites an automated obfuscator makes (:func:`obfuscate`: a dead statement after
every statement, independent statements swapped, unused functions added), and a larger class
generated from the catalogue (:func:`generate`, for the ring test and the benchmark).
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import random
import re
import textwrap
import zipfile
from pathlib import Path

MODULES = ("regression", "activations")
COPIED = ("bob", "carol")
SHARED_FUNCTION = ("alice", "dave", "linear_regression_closed_form")
INDEPENDENT = ("alice", "bob", "erin", "frank")
_STUB = re.compile(r'^(\s*)raise NotImplementedError\(".*?: (\w+) is not implemented yet.*$', re.M)


def fill(starter: str, bodies: dict[str, str], helpers: str = "") -> str:
    """``starter`` with each named stub's ``raise NotImplementedError`` replaced by a body
    (dedented source), and ``helpers`` placed after the imports."""

    def body(match):
        name = match.group(2)
        if name not in bodies:
            return match.group(0)
        return textwrap.indent(textwrap.dedent(bodies[name]).strip("\n"), match.group(1))

    text = _STUB.sub(body, starter)
    if helpers:
        lines = text.splitlines()
        last_import = max(
            i for i, line in enumerate(lines) if line.startswith(("import ", "from "))
        )
        lines[last_import + 1 : last_import + 1] = ["", "", textwrap.dedent(helpers).strip("\n")]
        text = "\n".join(lines) + "\n"
    return text


def body_of(fn) -> str:
    """The body of a catalogued function, without its signature or decorator."""
    source = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(source).body[0]
    lines = source.splitlines()
    return "\n".join(lines[node.body[0].lineno - 1 : node.end_lineno])


def reference(kit: Path, module: str) -> str:
    text = (kit / "solutions" / f"{module}.py").read_text()
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")
    )


def alternatives(kit: Path, module: str) -> dict[str, str]:
    """function name -> body, one catalogued alternative per exercise of ``module``: a
    hand-written one of the module's own catalogue file, not literal.py's docstring formulas
    typed out and their rewrites (close to the reference by design, and often a one-line call
    of a helper, which would make bob's exercise too short to judge)."""
    from descent import catalogue

    catalogue.load(kit / "graders" / "catalogue")
    bodies: dict[str, str] = {}
    for variant in catalogue.variants(catalogue.ALTERNATIVE):
        if variant.module == module and not variant.derive:
            for name, fn in variant.functions.items():
                if Path(inspect.getsourcefile(fn) or "").name != "literal.py":
                    bodies.setdefault(name, body_of(fn))
    return bodies


BOB_HELPERS = {
    "regression": """
        def _epoch(n, batch_size, generator):
            # one shuffled epoch, the same draws as minibatches
            return minibatches(n, batch_size, generator)
    """,
    "activations": """
        def _sigmoid(x):
            # exp of a negative number only, whichever the sign of x
            z = torch.exp(-torch.abs(x))
            return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    """,
}

ERIN = {  # NumPy bridged to tensors
    "regression": {
        "minibatches": """
            if n < 0 or batch_size < 1:
                raise ValueError("n must be >= 0, batch_size >= 1")
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
            perm = np.random.default_rng(seed).permutation(n)
            cut = (n // batch_size) * batch_size if drop_last else n
            chunks = [perm[s:min(s + batch_size, cut)] for s in range(0, cut, batch_size)]
            return [torch.as_tensor(c, dtype=torch.long, device=generator.device) for c in chunks]
        """,
        "train_linear_regression": """
            Xn, yn = X.detach().cpu().numpy(), y.detach().cpu().numpy()
            weights, bias, history = np.zeros(Xn.shape[1], dtype=Xn.dtype), 0.0, []
            for epoch in range(epochs):
                for batch in minibatches(len(Xn), batch_size, generator):
                    rows = batch.cpu().numpy()
                    err = Xn[rows].dot(weights) + bias - yn[rows]
                    history.append(float(np.mean(err ** 2)))
                    weights = weights - lr * 2.0 * Xn[rows].T.dot(err) / len(rows)
                    bias = bias - lr * 2.0 * err.mean()
            return X.new_tensor(weights), X.new_tensor(bias), history
        """,
        "linear_regression_closed_form": """
            if X.ndim != 2 or y.shape[0] != X.shape[0] or X.shape[0] < X.shape[1]:
                raise ValueError("X must be (N, D) with N >= D and y must have N rows")
            A = X.detach().cpu().numpy()
            gram = A.T @ A
            L = np.linalg.cholesky(gram)
            z = np.linalg.solve(L, A.T @ y.detach().cpu().numpy())
            return X.new_tensor(np.linalg.solve(L.T, z))
        """,
    },
    "activations": {
        "sigmoid_forward": "y = X_sig(x)\nreturn y, (y,)",
        "relu_forward": "return x * (x > 0), (x,)",
        "softmax_forward": """
            shifted = x - x.amax(dim=dim, keepdim=True)
            e = torch.exp(shifted)
            out = e / e.sum(dim=dim, keepdim=True)
            return out, (out, dim)
        """,
    },
}
ERIN_HELPERS = {
    "regression": "import numpy as np",
    "activations": "def X_sig(x):\n    return 0.5 + 0.5 * torch.tanh(x / 2)",
}

FRANK = {  # classes, bound to the names the exercise asks for
    "regression": """
        class _Shuffler:
            def __init__(self, generator):
                self.generator = generator

            def epoch(self, n, size, drop_last):
                if n < 0 or size < 1:
                    raise ValueError(f"invalid n={n} or batch_size={size}")
                keys = torch.rand(n, generator=self.generator, device=self.generator.device)
                order = keys.sort().indices
                full = len(order) // size
                parts = [order[k * size:(k + 1) * size] for k in range(full)]
                if not drop_last and full * size < n:
                    parts.append(order[full * size:])
                return parts


        class _Regressor:
            def __init__(self, X):
                self.coef = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
                self.intercept = torch.zeros((), dtype=X.dtype, device=X.device)

            def step(self, xs, ys, lr):
                delta = torch.mv(xs, self.coef) + self.intercept - ys
                loss = delta.pow(2).mean().item()
                k = xs.shape[0]
                self.coef = self.coef - (2 * lr / k) * torch.mv(xs.t(), delta)
                self.intercept = self.intercept - (2 * lr / k) * delta.sum()
                return loss


        def minibatches(n, batch_size, generator, drop_last=False):
            return _Shuffler(generator).epoch(n, batch_size, drop_last)


        def train_linear_regression(X, y, lr, epochs, batch_size, generator):
            model, trace = _Regressor(X), []
            for _ in range(epochs):
                trace.extend(model.step(X[b], y[b], lr) for b in minibatches(len(X), batch_size, generator))
            return model.coef, model.intercept, trace


        def linear_regression_closed_form(X, y):
            if X.dim() != 2 or len(X) != len(y) or X.shape[1] > X.shape[0]:
                raise ValueError("shapes do not fit a least-squares problem")
            Q, R = torch.linalg.qr(X, mode="reduced")
            target = Q.t() @ (y.unsqueeze(-1) if y.dim() == 1 else y)
            sol = torch.linalg.solve_triangular(R, target, upper=True)
            return sol.squeeze(-1) if y.dim() == 1 else sol
    """,
    "activations": """
        class _Relu:
            @staticmethod
            def forward(x):
                keep = x > 0
                return torch.where(keep, x, x.new_zeros(())), (keep,)

            @staticmethod
            def backward(dy, cache):
                (keep,) = cache
                return torch.where(keep, dy, dy.new_zeros(()))


        relu_forward = _Relu.forward
        relu_backward = _Relu.backward
    """,
}

DAVE = {
    "minibatches": """
        if batch_size < 1 or n < 0:
            raise ValueError("bad arguments")
        p = torch.randperm(n, generator=generator, device=generator.device).tolist()
        out = []
        i = 0
        while i < n:
            piece = p[i:i + batch_size]
            if len(piece) < batch_size and drop_last:
                break
            out.append(torch.tensor(piece, device=generator.device))
            i += batch_size
        return out
    """,
    "train_linear_regression": """
        N = X.shape[0]
        W = torch.zeros_like(X[0])
        B = torch.zeros_like(y[0])
        L = []
        e = 0
        while e < epochs:
            for ids in minibatches(N, batch_size, generator):
                diff = X[ids].matmul(W) + B - y[ids]
                L.append((diff ** 2).sum().item() / ids.numel())
                gW = X[ids].transpose(0, 1).matmul(diff) * (2 / ids.numel())
                gB = diff.sum() * (2 / ids.numel())
                W, B = W - lr * gW, B - lr * gB
            e += 1
        return W, B, L
    """,
}


def build(folder: Path, kit: Path) -> Path:
    """Write the sample class into ``folder`` (created); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    starter = {m: (kit / "starter" / f"{m}.py").read_text() for m in MODULES}
    alice = {m: reference(kit, m) for m in MODULES}
    bob = {m: fill(starter[m], alternatives(kit, m), BOB_HELPERS[m]) for m in MODULES}
    erin = {m: fill(starter[m], ERIN[m], ERIN_HELPERS[m]) for m in MODULES}
    frank = {m: _replace_stubs(starter[m], FRANK[m]) for m in MODULES}
    closed_form = _function(alice["regression"], "linear_regression_closed_form")
    dave_regression = fill(starter["regression"], DAVE)
    dave_regression = _swap_function(
        dave_regression, "linear_regression_closed_form", closed_form.replace("chol", "factor")
    )
    dave = {"regression": dave_regression, "activations": starter["activations"]}
    _write_folder(folder / "alice", alice)
    _write_folder(folder / "bob", bob)
    _write_notebook(folder / "carol.ipynb", {m: disguise(bob[m]) for m in MODULES})
    with zipfile.ZipFile(folder / "dave.zip", "w") as zf:
        for m, text in dave.items():
            zf.writestr(f"{m}.py", text)
    _write_folder(folder / "erin", erin)
    _write_folder(folder / "frank", frank)
    _write_folder(folder / "gus", starter)
    _write_folder(folder / "hana", {"regression": starter["regression"]})
    return folder


RENAMES = {
    "keys": "draws",
    "pieces": "chunks",
    "theta": "params",
    "losses": "history",
    "residual": "err",
    "rhs": "right",
    "q": "Q",
    "r": "R",
    "w": "weights",
    "A": "design",
    "y": "out",
    "x": "inp",
    "dy": "grad_out",
    "cache": "saved",
    "t": "th",
    "m": "mx",
    "lse": "log_norm",
    "cdf": "Phi",
    "pdf": "phi",
    "s": "sig",
    "z": "ez",
    "positive": "pos_mask",
    "scale": "factor",
    "slope": "alpha",
}


def disguise(text: str) -> str:
    """A copy as a student hides one: names renamed, functions reordered (reversed), comments
    rewritten, docstrings kept."""
    pattern = re.compile(r"(?<![!.])\b(" + "|".join(map(re.escape, RENAMES)) + r")\b")
    text = pattern.sub(lambda m: RENAMES[m.group(1)], text)
    text = re.sub(r"#[^\n\"']*$", "# (my own note)", text, flags=re.M)
    tree = ast.parse(text)
    lines = text.splitlines()
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    head = "\n".join(lines[: defs[0].lineno - 1])
    chunks = ["\n".join(lines[n.lineno - 1 : n.end_lineno]) for n in defs]
    return head + "\n\n\n".join(reversed(chunks)) + "\n"


def _function(text: str, name: str) -> str:
    node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == name)
    return "\n".join(text.splitlines()[node.lineno - 1 : node.end_lineno])


def _swap_function(text: str, name: str, new: str) -> str:
    old = _function(text, name)
    return text.replace(old, new)


def _replace_stubs(starter: str, code: str) -> str:
    """The starter with every stub it defines in ``code`` taken out and ``code`` appended."""
    names = {
        n.name for n in ast.parse(textwrap.dedent(code)).body if isinstance(n, ast.FunctionDef)
    }
    names |= set(re.findall(r"^(\w+) = ", textwrap.dedent(code), re.M))
    for name in names & {n.name for n in ast.parse(starter).body if isinstance(n, ast.FunctionDef)}:
        starter = starter.replace(_function(starter, name) + "\n", "")
    return starter.rstrip("\n") + "\n\n\n" + textwrap.dedent(code).strip("\n") + "\n"


def _write_folder(folder: Path, modules: dict[str, str]) -> None:
    folder.mkdir(exist_ok=True)
    for m, text in modules.items():
        (folder / f"{m}.py").write_text(text)


def _write_notebook(path: Path, modules: dict[str, str]) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# My exercises"]}]
    for m, text in modules.items():
        cells.append(
            {
                "cell_type": "code",
                "metadata": {"tags": [f"descent:{m}"]},
                "source": text.splitlines(keepends=True),
                "outputs": [],
                "execution_count": None,
            }
        )
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )


def reference_bodies(kit: Path, module: str) -> dict[str, str]:
    """function name -> the reference solution's body (no docstring, no markers)."""
    text = reference(kit, module)
    lines = text.splitlines()
    bodies = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            if body:
                bodies[node.name] = "\n".join(lines[body[0].lineno - 1 : node.end_lineno])
    return bodies


def obfuscate(text: str, how: str) -> str:
    """``text`` rewritten as an automated obfuscator would, without changing what it computes:
    ``dead`` puts a dead or no-op statement after every statement (an unused variable, ``pass``,
    ``if False:``, a bare name, a string); ``reordered`` puts the functions in reverse order
    and swaps neighbouring assignments where neither binds a name the other uses; ``unused``
    adds functions nothing calls, and an unused import."""
    tree = ast.parse(text)
    if how == "unused":
        extra = ast.parse(UNUSED).body
        tree.body[1:1] = extra[:1]
        tree.body.extend(extra[1:])
    elif how == "reordered":  # the functions in reverse order, as well
        functions = [i for i, node in enumerate(tree.body) if isinstance(node, ast.FunctionDef)]
        for i, node in zip(functions, [tree.body[i] for i in reversed(functions)]):
            tree.body[i] = node
    if how != "unused":
        numbers = itertools.count()
        rewrite = (lambda block: _with_dead_code(block, numbers)) if how == "dead" else _swapped
        for node in ast.walk(tree):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(node, _BODIES):
                    setattr(node, name, rewrite(block))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


_BODIES = (ast.FunctionDef, ast.For, ast.While, ast.If, ast.With, ast.Try)
_DEAD = [
    "_tmp{n} = {n}",
    "pass",
    "if False:\n    _tmp{n} = len([{n}])",
    "_tmp{n} = [{n}, {n}]\n_tmp{n}.append({n})",
    "'step {n}'",
    "_tmp{n} = _tmp{n} = {n} * 2",
]


def _with_dead_code(block: list[ast.stmt], numbers) -> list[ast.stmt]:
    out = []
    for stmt in block:
        out.append(stmt)
        n = next(numbers)
        out.extend(ast.parse(_DEAD[n % len(_DEAD)].format(n=n)).body)
    return out


def _swapped(block: list[ast.stmt]) -> list[ast.stmt]:
    out, i = list(block), 0
    while i < len(out) - 1:
        a, b = out[i], out[i + 1]
        if isinstance(a, ast.Assign) and isinstance(b, ast.Assign) and _independent(a, b):
            out[i], out[i + 1] = b, a
            i += 1
        i += 1
    return out


def _independent(a: ast.stmt, b: ast.stmt) -> bool:
    """Neither binds a name the other reads or binds."""
    return not (_stored(a) & _names(b) or _stored(b) & _names(a))


def _stored(node: ast.AST) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


UNUSED = """
import itertools


def _pairwise_distances(points, other):
    diff = points[:, None, :] - other[None, :, :]
    squared = (diff * diff).sum(dim=-1)
    return squared.clamp_min(0).sqrt()


def _running_mean(values, momentum=0.9):
    mean = None
    out = []
    for value in values:
        mean = value if mean is None else momentum * mean + (1 - momentum) * value
        out.append(mean)
    return out
"""


def generate(
    folder: Path, kit: Path, students: int, *, modules=None, seed: int = 0
) -> dict[str, dict[str, str]]:
    """Write a class of ``students`` (``s000``, ...) into ``folder``; returns their modules.

    Each student fills every module, exercise by exercise, with the reference solution, one of
    the catalogue's alternatives, or nothing (the stub), at random. A third of the class would
    then hold the very same code, which no real class does, so each student's copy is made
    their own (:func:`individual`): as in a real class, most of a student's code is theirs
    alone, while the common idioms stay common. (Dead statements would not do: the comparison
    drops dead code.)"""
    from descent import registry

    modules = modules or registry.MODULES
    rng = random.Random(seed)
    starter = {m: (kit / "starter" / f"{m}.py").read_text() for m in modules}
    options = {m: [reference_bodies(kit, m), alternatives(kit, m)] for m in modules}
    texts = {}
    for i in range(students):
        filled = {}
        for m in modules:
            bodies = {}
            for ex in (e for e in registry.EXERCISES.values() if e.module == m):
                pick = rng.choice([0, 0, 1, None])
                for fn in ex.functions:
                    source = options[m][pick].get(fn) if pick is not None else None
                    if source is not None:
                        bodies[fn] = individual(source, rng)
            filled[m] = fill(starter[m], bodies)
        texts[f"s{i:03d}"] = filled
    folder.mkdir(parents=True, exist_ok=True)
    for name, filled in texts.items():
        _write_folder(folder / name, filled)
    return texts


def individual(body: str, rng: random.Random) -> str:
    """``body`` written as one student of many would: a call ``_note(<random number>)`` before
    each of its statements, and half of its assignments and returns (at any depth) with the
    value passed through ``_own(value, <random number>)``, so that two students who start from
    the same solution share its idioms here and there, not whole functions."""
    tree = ast.parse(textwrap.dedent(body))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.Return)) and node.value and rng.random() < 0.5:
            node.value = _call("_own", node.value, rng)
    for node in [tree, *ast.walk(tree)]:
        block = getattr(node, "body", None)
        if node is tree or (isinstance(block, list) and block and isinstance(node, _BODIES)):
            node.body = [s for stmt in node.body for s in (_note(rng), stmt)]
    return ast.unparse(ast.fix_missing_locations(tree))


def _call(name: str, value: ast.expr, rng: random.Random) -> ast.Call:
    number = ast.Constant(rng.randrange(10**6))
    return ast.Call(ast.Name(name, ast.Load()), [value, number], [])


def _note(rng: random.Random) -> ast.stmt:
    return ast.Expr(
        ast.Call(ast.Name("_note", ast.Load()), [ast.Constant(rng.randrange(10**6))], [])
    )


def enormous(text: str, limit: int = 1024 * 1024) -> tuple[str, int]:
    """``text`` grown to just under ``limit`` bytes with tiny functions that call one another,
    all live (the first hangs on ``minibatches``, which the kit calls); returns the text and
    how many functions were added."""
    parts, size, i = [text, "\n\nminibatches.chain = helper_00000\n"], len(text) + 40, 0
    while True:
        part = (
            f"\n\ndef helper_{i:05d}(values, scale):\n    total = values * scale + {i}\n"
            f"    return helper_{i + 1:05d}(total, scale - 1) if scale > 0 else total\n"
        )
        if size + len(part) > limit:
            return "".join(parts), i
        parts.append(part)
        size += len(part)
        i += 1
