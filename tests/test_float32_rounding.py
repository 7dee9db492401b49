"""The float32 tolerance is measured, not guessed: on the hidden battery's own inputs cast to
float32, the solutions and every catalogued alternative of a forward/backward pair (the
docstring's formula typed literally among them) stay within ``compare``'s float32 tolerance
(``descent.comparison.ROUNDING_ULPS``) of the float64 result cast down, with torch's
kernels forced to plain C++ (``ATEN_CPU_CAPABILITY=default``) and to AVX2. Each vector width
runs in a subprocess of its own (this file run as a script prints what it measured)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1]
# The battery's topic files (graders/test_<topic>.py) whose SPECS are pairs.
TOPICS = ("activations", "losses", "normalization", "layers")
# Everyday cases whose float32 rounding is that of an ill-conditioned input, not of a formula:
# every formulation is equally far off there, and the graders check them in float64 only.
ILL_CONDITIONED = {
    ("normalization.batchnorm", "train-near-constant-feature"): "a feature whose spread is "
    "1e-3 of its mean: the gradient through its variance cancels (175 eps for the solution and "
    "every alternative alike, measured)",
}


def _measure() -> list[dict]:
    """Every (exercise, implementation, case, half) of the battery in float32: the worst error
    against the float64 result cast down, in eps of the largest value, and whether ``compare``
    (at the battery's float64 tolerance, floored for float32) accepts it."""
    import torch

    sys.path.insert(0, str(KIT / "graders"))
    from battery import _oracle_grads, _upstream

    from descent import catalogue
    from descent.calls.impl import FolderImplementation
    from descent.grading.compare import compare
    from descent.grading.inputs import Inputs, seed_for

    catalogue.load(KIT / "graders" / "catalogue")
    reference = FolderImplementation(KIT / "solutions", "reference")
    specs = []
    for topic in TOPICS:
        module = __import__(f"test_{topic}")
        specs += [s for s in vars(module).values() if type(s).__name__ == "PairSpec"]
        specs += getattr(module, "SPECS", [])
    eps = torch.finfo(torch.float32).eps
    rows = []
    for spec in {id(s): s for s in specs}.values():
        impls = [("solutions", reference)] + [
            (f"alternative:{v.id}", v.apply(reference))
            for v in catalogue.variants(catalogue.ALTERNATIVE, spec.exercise)
        ]
        for case in spec.cases:
            if not case.ordinary or (spec.exercise, case.name) in ILL_CONDITIONED:
                continue  # an edge of the exercise (ties, near-constant rows): float64 only
            seed = seed_for(f"float32-{spec.exercise}-{case.name}")
            args, kwargs = case.build(Inputs(seed, dtype=torch.float32))
            wide = tuple(
                a.double() if torch.is_tensor(a) and a.is_floating_point() else a for a in args
            )
            wide_kwargs = {
                k: v.double() if torch.is_tensor(v) and v.is_floating_point() else v
                for k, v in kwargs.items()
            }
            out = spec.oracle(*wide, **wide_kwargs)
            dout = _upstream(Inputs(seed + 1, dtype=torch.float64), out).float()
            truths = {
                "forward": out.float(),
                "backward": _oracle_grads(spec, wide, wide_kwargs, dout.double()),
            }
            if torch.is_tensor(truths["backward"]):
                truths["backward"] = truths["backward"].float()
            else:
                truths["backward"] = tuple(g.float() for g in truths["backward"])
            for name, impl in impls:
                try:
                    got = {
                        "forward": spec.forward(impl)(*args, **kwargs)[0],
                        "backward": spec.backward_of_forward(impl, args, kwargs, dout),
                    }
                except Exception as exc:  # noqa: BLE001 - reported, and fails the test
                    rows.append(
                        dict(
                            exercise=spec.exercise,
                            impl=name,
                            case=case.name,
                            half="both",
                            ulps=None,
                            ok=False,
                            error=repr(exc)[:200],
                        )
                    )
                    continue
                for half, truth in truths.items():
                    pairs = (
                        zip(got[half], truth) if isinstance(truth, tuple) else [(got[half], truth)]
                    )
                    worst = 0.0
                    for g, t in pairs:
                        scale = float(t.abs().max()) or 1.0
                        worst = max(worst, float((g.double() - t.double()).abs().max()) / scale)
                    ok = compare(got[half], truth, rtol=1e-7, atol=1e-9) is None
                    rows.append(
                        dict(
                            exercise=spec.exercise,
                            impl=name,
                            case=case.name,
                            half=half,
                            ulps=worst / eps,
                            ok=ok,
                        )
                    )
    return rows


def _run(capability: str) -> tuple[str, list[dict]]:
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    proc = subprocess.run(
        [sys.executable, __file__], env=env, capture_output=True, text=True, timeout=600, check=True
    )
    first, _, rest = proc.stdout.partition("\n")
    return first, json.loads(rest)


@pytest.mark.parametrize("capability", ["default", "avx2"])
def test_every_correct_float32_formulation_is_within_float32_s_tolerance(capability):
    running, rows = _run(capability)
    if running.lower() != capability:
        pytest.skip(f"this CPU cannot run torch's {capability} kernels (it runs {running})")
    assert len({r["exercise"] for r in rows}) >= 15 and len(rows) > 300
    refused = [r for r in rows if not r["ok"]]
    assert not refused, "\n".join(json.dumps(r) for r in refused)


if __name__ == "__main__":
    import torch

    print(torch.backends.cpu.get_cpu_capability())
    print(json.dumps(_measure()))
