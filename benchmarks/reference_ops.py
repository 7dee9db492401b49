"""The reference solutions against PyTorch: forward plus backward of the common operations.

    .venv/bin/python benchmarks/reference_ops.py [--quick] [--repeats R] [--device cpu|cuda|all]

Each case runs the kit's reference (``solutions/``: forward, then its own backward) and PyTorch
(``torch.nn.functional`` forward, then ``autograd`` backward; ``torch.optim.Adam`` for the step) on
the same inputs, alternating between the two, and prints the median time of each and the ratio
reference / PyTorch. On CUDA every sample ends with a synchronize. ``--quick`` uses small sizes and
few repeats (a smoke run: it checks the cases run, not how fast).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from solutions import activations, losses, normalization, optim  # noqa: E402


def cases(device: str, quick: bool) -> dict:
    """name -> (size text, reference thunk, PyTorch thunk), inputs made once per case."""
    n, c, d = (256, 100, 128) if quick else (4096, 1000, 1024)
    gen = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=gen).to(device)

    logits, target = rand(n, c), torch.randint(0, c, (n,), generator=gen).to(device)
    x, gamma, beta = rand(n, d), rand(d), rand(d)
    dy, one = rand(n, d), torch.ones((), device=device)
    dlogits = rand(n, c)
    rm, rv = torch.zeros(d, device=device), torch.ones(d, device=device)

    def torch_pair(fn, *inputs, upstream=None):
        def run():
            leaves = [t.detach().requires_grad_() for t in inputs]
            out = fn(*leaves)
            out.backward(upstream if upstream is not None else torch.ones_like(out))
            return [leaf.grad for leaf in leaves]

        return run

    def ref_ce():
        loss, cache = losses.cross_entropy_forward(logits, target)
        return losses.cross_entropy_backward(one, cache)

    def ref_softmax():
        y, cache = activations.softmax_forward(dlogits)
        return activations.softmax_backward(logits, cache)

    def ref_log_softmax():
        y, cache = losses.log_softmax_forward(dlogits)
        return losses.log_softmax_backward(logits, cache)

    def ref_layernorm():
        y, cache = normalization.layernorm_forward(x, gamma, beta)
        return normalization.layernorm_backward(dy, cache)

    def ref_batchnorm():
        *_, cache = normalization.batchnorm_forward(x, gamma, beta, rm, rv, True)
        return normalization.batchnorm_backward(dy, cache)

    def ref_gelu():
        y, cache = activations.gelu_forward(x)
        return activations.gelu_backward(dy, cache)

    # Adam from its second step on (moments already there), as in a training loop.
    p0, g0 = rand(n, d), rand(n, d)
    _, state = optim.adam_step(p0, g0, {})
    torch_param = torch.nn.Parameter(p0.clone())
    torch_opt = torch.optim.Adam([torch_param], lr=1e-3)
    torch_param.grad = g0.clone()
    torch_opt.step()

    def ref_adam():
        return optim.adam_step(p0, g0, state)

    def torch_adam():
        torch_opt.step()

    return {
        "cross-entropy": (
            f"{n}x{c}",
            ref_ce,
            torch_pair(lambda z: F.cross_entropy(z, target), logits),
        ),
        "softmax": (
            f"{n}x{c}",
            ref_softmax,
            torch_pair(lambda z: F.softmax(z, -1), dlogits, upstream=logits),
        ),
        "log-softmax": (
            f"{n}x{c}",
            ref_log_softmax,
            torch_pair(lambda z: F.log_softmax(z, -1), dlogits, upstream=logits),
        ),
        "layer norm": (
            f"{n}x{d}",
            ref_layernorm,
            torch_pair(lambda z, g, b: F.layer_norm(z, (d,), g, b), x, gamma, beta, upstream=dy),
        ),
        "batch norm (training)": (
            f"{n}x{d}",
            ref_batchnorm,
            torch_pair(
                lambda z, g, b: F.batch_norm(z, rm.clone(), rv.clone(), g, b, True),
                x,
                gamma,
                beta,
                upstream=dy,
            ),
        ),
        "GELU": (f"{n}x{d}", ref_gelu, torch_pair(F.gelu, x, upstream=dy)),
        "Adam step": (f"{n}x{d}", ref_adam, torch_adam),
    }


def timed(fn, device: str) -> float:
    start = time.perf_counter()
    fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(device: str, quick: bool, repeats: int) -> list[dict]:
    """Median seconds of each side per case, the two sides alternating sample by sample."""
    rows = []
    for name, (size, ref, ours) in cases(device, quick).items():
        ref(), ours()  # warm-up (allocator, kernels)
        samples = {"reference": [], "pytorch": []}
        for _ in range(repeats):
            samples["reference"].append(timed(ref, device))
            samples["pytorch"].append(timed(ours, device))
        r, p = (statistics.median(samples[k]) for k in ("reference", "pytorch"))
        rows.append(
            {
                "device": device,
                "operation": name,
                "size": size,
                "reference_s": r,
                "pytorch_s": p,
                "ratio": r / p,
            }
        )
    return rows


def devices(choice: str) -> list[str]:
    found = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    return found if choice == "all" else [d for d in found if d == choice]


def print_rows(rows: list[dict]) -> None:
    for r in rows:
        print(
            f"  {r['device']:<5} {r['operation']:<22} {r['size']:>10}   reference "
            f"{r['reference_s'] * 1e3:8.2f} ms   PyTorch {r['pytorch_s'] * 1e3:8.2f} ms   "
            f"ratio {r['ratio']:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--device", choices=("cpu", "cuda", "all"), default="all")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: on a shared machine a second thread "
        "waits for a busy core and both sides slow down many times over)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeats = args.repeats or (3 if args.quick else 15)
    for device in devices(args.device):
        print_rows(measure(device, args.quick, repeats))


if __name__ == "__main__":
    main()
