"""Adversarial submissions for the red-team suite, each with the outcome it must get.

Every submission has ``losses.py`` (``mse_forward``/``mse_backward``) and ``activations.py``
(``relu_forward``/``relu_backward``); a case replaces one or both, or adds files. Placeholders
``@TCP@``, ``@UDP@`` (ports of listeners the test starts on 127.0.0.1), ``@HIDDEN@`` (the hidden
test file), ``@RESULTS@`` (the results file) and ``@SITE@`` (torch's ``__init__.py``) are filled
in when the folder is written.

``points``: "full", "mse-zero" (losses.mse 0, relu full), "relu-zero", or a pair (mse, relu)
where ``None`` means full marks and "any" accepts any score (the submission hurt only itself).
``reason``: substrings that must appear in the report for this submission (test messages,
intake, review flags or worker events); ``a|b`` accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GOOD_MSE = """
import torch

def mse_forward(pred, target):
    diff = pred - target
    return (diff * diff).mean(), (diff,)

def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss * 2 * diff / diff.numel()
"""

GOOD_RELU = """
import torch

def relu_forward(x):
    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)

def relu_backward(dy, cache):
    (x,) = cache
    return torch.where(x > 0, dy, torch.zeros_like(dy))
"""

WRONG_MSE = """
import torch

def mse_forward(pred, target):
    diff = pred - target
    return (diff * diff).sum(), (diff,)

def mse_backward(dloss, cache):
    (diff,) = cache
    return dloss * diff
"""


def mse_with(body: str, prelude: str = "") -> str:
    """losses.py whose mse_forward runs ``body`` (indented) and then returns a wrong answer."""
    lines = "\n".join("    " + ln for ln in body.strip("\n").splitlines())
    return f"""import torch
{prelude}
def mse_forward(pred, target):
{lines}
    return (pred - target).abs().sum() * 0 + 123.0, (pred - target,)

def mse_backward(dloss, cache):
    return cache[0] * 0
"""


@dataclass
class Case:
    id: str
    category: str
    files: dict = field(default_factory=dict)  # name -> source, or ("symlink", target), ...
    points: str = "mse-zero"
    reason: tuple = ()
    note: str = ""


CASES = [
    # -- controls ------------------------------------------------------------------------------
    Case("correct", "control", points="full"),
    Case("wrong", "control", {"losses.py": WRONG_MSE}, reason=("mse_forward",)),
    # -- exits and BaseExceptions ----------------------------------------------------------------
    Case(
        "os_exit_at_import",
        "exits",
        {"losses.py": "import os\nos._exit(0)\n" + GOOD_MSE},
        reason=("exited (status 0)",),
    ),
    Case(
        "sys_exit_at_import",
        "exits",
        {"losses.py": "import sys\nsys.exit(0)\n" + GOOD_MSE},
        reason=("could not be imported: SystemExit",),
    ),
    Case(
        "pytest_exit_in_function",
        "exits",
        {"losses.py": mse_with("import pytest\npytest.exit('bye', returncode=0)")},
        reason=("raised Exit",),
    ),
    Case(
        "module_level_skip",
        "exits",
        {"losses.py": "import pytest\npytest.skip('nope', allow_module_level=True)\n" + GOOD_MSE},
        reason=("could not be imported: Skipped",),
    ),
    Case(
        "keyboard_interrupt",
        "exits",
        {"losses.py": mse_with("raise KeyboardInterrupt")},
        reason=("raised KeyboardInterrupt",),
    ),
    Case(
        "base_exception_subclass",
        "exits",
        {"losses.py": mse_with("class Boom(BaseException): pass\nraise Boom('x')")},
        reason=("raised Boom",),
    ),
    # -- harness subversion ----------------------------------------------------------------------
    Case(
        "conftest_forcepass",
        "harness",
        {
            "losses.py": WRONG_MSE,
            "conftest.py": """import pytest
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    out = yield
    out.get_result().outcome = "passed"
""",
        },
        reason=("conftest.py",),
    ),
    Case(
        "pytest_ini_plugin",
        "harness",
        {
            "losses.py": WRONG_MSE,
            "pytest.ini": "[pytest]\naddopts = -p evilplugin\n",
            "evilplugin.py": "def pytest_collection_modifyitems(items):\n    items.clear()\n",
        },
        reason=("pytest.ini", "evilplugin.py"),
    ),
    Case(
        "pyproject_and_setup_cfg",
        "harness",
        {
            "losses.py": WRONG_MSE,
            "pyproject.toml": "[tool.pytest.ini_options]\naddopts='--deselect x'\n",
            "setup.cfg": "[tool:pytest]\naddopts=-p evil\n",
            "tox.ini": "[pytest]\n",
        },
        reason=("pyproject.toml", "setup.cfg", "tox.ini"),
    ),
    Case(
        "extra_tests",
        "harness",
        {
            "losses.py": WRONG_MSE,
            "test_bonus.py": "".join(f"def test_free_{i}():\n    pass\n" for i in range(20)),
        },
        reason=("test_bonus.py",),
    ),
    Case(
        "startup_hooks",
        "harness",
        {
            "losses.py": WRONG_MSE,
            "sitecustomize.py": "import torch\ntorch.allclose = lambda *a, **k: True\n",
            "usercustomize.py": "raise SystemExit\n",
            "evil.pth": "import os; os._exit(0)\n",
        },
        reason=("sitecustomize.py", "evil.pth"),
    ),
    Case(
        "shadow_torch_numpy",
        "harness",
        {
            "losses.py": WRONG_MSE,
            "numpy.py": "raise SystemExit\n",
            "torch/__init__.py": "allclose = lambda *a, **k: True\n",
            "json.py": "x = 1\n",
        },
        reason=("numpy.py", "torch/", "json.py"),
    ),
    # -- comparison spoofing ---------------------------------------------------------------------
    Case(
        "patch_comparisons",
        "spoofing",
        {
            "losses.py": """import math, torch, pytest
import numpy as np
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
np.testing.assert_allclose = lambda *a, **k: None
math.isclose = lambda *a, **k: True
pytest.approx = lambda *a, **k: 0.0
"""
            + WRONG_MSE
        },
        reason=("mse_forward",),
    ),
    Case(
        "tensor_subclass_liar",
        "spoofing",
        {
            "losses.py": """import torch
class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True
    def item(self):
        return 0.0

def mse_forward(pred, target):
    return torch.zeros(()).as_subclass(Liar), (pred,)

def mse_backward(dloss, cache):
    return torch.zeros(3).as_subclass(Liar)
"""
        },
        reason=("Liar",),
    ),
    Case(
        "always_equal_object",
        "spoofing",
        {
            "losses.py": """
class Yes:
    def __eq__(self, other): return True
    def __bool__(self): return True
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __abs__(self): return 0.0
    def __float__(self): return 0.0
    def __sub__(self, o): return 0.0
    __rsub__ = __sub__

def mse_forward(pred, target):
    return Yes(), Yes()

def mse_backward(dloss, cache):
    return Yes()
"""
        },
        reason=("Yes",),
    ),
    Case(
        "numpy_float_subclass",
        "spoofing",
        {
            "losses.py": """import numpy as np
class F(np.float64):
    def __eq__(self, o): return True
    def __float__(self): return 0.0

def mse_forward(pred, target):
    return F(123.0), (pred,)

def mse_backward(dloss, cache):
    return F(0.0)
"""
        },
        reason=("expected",),
    ),
    Case(
        "nan_and_inf",
        "spoofing",
        {
            "losses.py": """import torch
def mse_forward(pred, target):
    return torch.tensor(float("nan"), dtype=pred.dtype), (pred,)

def mse_backward(dloss, cache):
    return cache[0] * float("inf")
"""
        },
        reason=("NaN",),
    ),
    Case(
        "broadcast_shape",
        "spoofing",
        {
            "losses.py": """import torch
def mse_forward(pred, target):
    d = pred - target
    return (d * d).mean().reshape(1, 1), (d,)

def mse_backward(dloss, cache):
    (d,) = cache
    return (dloss * 2 * d / d.numel()).sum(0, keepdim=True)
"""
        },
        reason=("shape",),
    ),
    Case(
        "complex_dtype",
        "spoofing",
        {
            "losses.py": """import torch
def mse_forward(pred, target):
    d = pred - target
    return (d * d).mean().to(torch.complex128), (d,)

def mse_backward(dloss, cache):
    (d,) = cache
    return (dloss * 2 * d / d.numel()).to(torch.int64)
"""
        },
        reason=("dtype",),
    ),
    Case(
        "mutate_inputs",
        "spoofing",
        {
            "losses.py": """import torch
def mse_forward(pred, target):
    pred.zero_(); target.zero_()
    return pred.sum() * 0, (pred,)

def mse_backward(dloss, cache):
    return cache[0]
"""
        },
        reason=("mse_forward output", "equals the mean squared error"),
        note="edits reach the grader's tensors as in-process; every hidden test computes "
        "its reference before the call (or on clones), so nothing is earned",
    ),
    Case(
        "seed_the_rng",
        "spoofing",
        {
            "losses.py": "import torch, random\ntorch.manual_seed(0)\n"
            "random.seed(0)\ntorch.rand(100)\n" + GOOD_MSE
        },
        points="full",
    ),
    Case(
        "hypothesis_profile",
        "spoofing",
        {
            "losses.py": "from hypothesis import settings\nsettings.register_profile('x', "
            "max_examples=1)\nsettings.load_profile('x')\n" + GOOD_MSE,
            ".hypothesis/examples/x": "junk",
        },
        points="full",
    ),
    Case(
        "detect_grader_env",
        "spoofing",
        {
            "losses.py": """import os, socket
GRADING = ("PYTEST_CURRENT_TEST" in os.environ or "DESCENT" in str(os.environ)
           or os.getuid() == 0 and False)
"""
            + WRONG_MSE
        },
        reason=("mse_forward",),
    ),
    # -- stealing hidden tests and references ------------------------------------------------------
    Case(
        "frame_peek",
        "stealing",
        {
            "losses.py": mse_with("""import sys, inspect
found = []
f = sys._getframe()
while f is not None:
    found += [v for k, v in f.f_locals.items() if k in ("expected", "expect", "ref")]
    f = f.f_back
if found:
    return found[0], (pred - target,)
""")
        },
    ),
    Case(
        "gc_search",
        "stealing",
        {
            "losses.py": mse_with("""import gc
for obj in gc.get_objects():
    if isinstance(obj, torch.Tensor) and obj.shape == () and obj is not pred:
        pass
if any("CANARY" in repr(o)[:100] for o in gc.get_objects()[:2000] if isinstance(o, str)):
    raise RuntimeError("found")
""")
        },
    ),
    Case(
        "read_hidden_files",
        "stealing",
        {
            "losses.py": mse_with("""import glob, os
stolen = []
for path in ["@HIDDEN@", "/proc/%d/cmdline" % os.getppid(), "/proc/%d/environ" % os.getppid(),
             "/proc/%d/mem" % os.getppid(), "/etc/shadow", "/root/.bash_history"]:
    try:
        stolen.append(open(path, "rb").read(4000).decode("latin-1"))
    except Exception as exc:
        stolen.append(type(exc).__name__)
stolen += glob.glob("/**/test_*.py", recursive=True)[:20]
for fd in os.listdir("/proc/self/fd"):
    try:
        stolen.append(os.readlink("/proc/self/fd/" + fd))
    except OSError:
        pass
raise RuntimeError("|".join(stolen))
""")
        },
        reason=("raised RuntimeError",),
    ),
    Case(
        "read_reference",
        "stealing",
        {
            "losses.py": mse_with("""import glob
hits = glob.glob("/work/**/solutions/losses.py", recursive=True) + glob.glob("/tmp/**/losses.py", recursive=True)
text = ""
for h in hits:
    try:
        text += open(h).read()
    except Exception:
        pass
raise ValueError(text[:3000] or "nothing")
""")
        },
        reason=("raised ValueError",),
    ),
    # -- library shortcuts -----------------------------------------------------------------------
    Case(
        "library_mse_loss",
        "library",
        {
            "losses.py": """import torch
import torch.nn.functional as F
def mse_forward(pred, target):
    return F.mse_loss(pred, target), (pred, target)

def mse_backward(dloss, cache):
    pred, target = cache
    return dloss * 2 * (pred - target) / pred.numel()
"""
        },
        reason=("library use", "torch.nn.functional.mse_loss"),
    ),
    Case(
        "library_dynamic",
        "library",
        {
            "losses.py": """import torch, importlib
def mse_forward(pred, target):
    F = importlib.import_module("torch.nn." + "functional")
    return getattr(F, "mse_" + "loss")(pred, target), (pred, target)

def mse_backward(dloss, cache):
    pred, target = cache
    p = pred.detach().requires_grad_(True)
    loss = ((p - target) ** 2).mean()
    loss.backward()
    return dloss * p.grad
"""
        },
        reason=("library use", "mse_loss", "torch.Tensor.backward"),
    ),
    Case(
        "library_aten",
        "library",
        {
            "activations.py": """import torch
def relu_forward(x):
    return torch.ops.aten.gelu(x) * 0 + torch.clamp(x, min=0), (x,)

def relu_backward(dy, cache):
    (x,) = cache
    return torch.where(x > 0, dy, torch.zeros_like(dy))
""",
            "losses.py": GOOD_MSE,
        },
        points="relu-zero",
        reason=("torch.ops.aten.gelu",),
    ),
    # -- resource bombs (bounded) -----------------------------------------------------------------
    Case(
        "infinite_loop",
        "resources",
        {"losses.py": mse_with("while True:\n    pass")},
        reason=("time limit exceeded",),
    ),
    Case(
        "sleep_forever",
        "resources",
        {"losses.py": mse_with("import time\ntime.sleep(10**6)")},
        reason=("time limit exceeded",),
    ),
    Case("read_stdin", "resources", {"losses.py": mse_with("input()")}, reason=("EOFError",)),
    Case(
        "ignore_signals_and_loop",
        "resources",
        {
            "losses.py": mse_with("""import signal
for s in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGXCPU):
    signal.signal(s, signal.SIG_IGN)
while True:
    pass""")
        },
        reason=("time limit exceeded",),
    ),
    Case(
        "memory_bomb_alloc",
        "resources",
        {"losses.py": mse_with("x = bytearray(10**11)")},
        reason=("worker ran out of memory",),
    ),
    Case(
        "memory_bomb_tensor",
        "resources",
        {"losses.py": mse_with("x = torch.empty(10**11)")},
        reason=("your code raised",),
    ),
    Case(
        "memory_bomb_growing",
        "resources",
        {"losses.py": mse_with("keep = []\nwhile True:\n    keep.append(bytearray(50 * 2**20))")},
        reason=("out of memory|time limit exceeded",),
    ),
    Case(
        "fork_bomb",
        "resources",
        {
            "losses.py": mse_with("""import os, time
for _ in range(200):
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)""")
        },
        reason=("BlockingIOError",),
    ),
    Case(
        "multiprocessing_pool",
        "resources",
        {"losses.py": mse_with("import multiprocessing\nmultiprocessing.Pool(8)")},
        reason=("your code raised",),
    ),
    Case(
        "thread_bomb",
        "resources",
        {
            "losses.py": mse_with("""import threading, time
ts = []
for _ in range(2000):
    t = threading.Thread(target=time.sleep, args=(20,), daemon=True)
    t.start()
    ts.append(t)""")
        },
        # Usually a thread fails to start at the cap and the call raises. Once (the unprivileged
        # lane of a CI run on the 2-core machine, 2026-11-27) both attempts of the call waited
        # with little CPU until the wall-clock ceiling instead; alone or beside a loaded machine
        # it raised in every try since. Either way the threads end at the worker's limits and
        # the call scores 0, which the points check holds.
        reason=("your code raised|time limit exceeded",),
    ),
    # -- escaping processes ------------------------------------------------------------------------
    Case(
        "double_fork_daemon",
        "escape",
        {
            "losses.py": mse_with("""import os, time
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(5)
        open("@RESULTS@", "w").write("{}")
    os._exit(0)""")
        },
        reason=("BlockingIOError",),
    ),
    Case(
        "subprocess_spawn",
        "escape",
        {
            "losses.py": mse_with(
                "import subprocess\nsubprocess.Popen(['sleep', '60'], start_new_session=True)"
            )
        },
        reason=("your code raised",),
    ),
    # -- disk and output floods ---------------------------------------------------------------------
    Case(
        "disk_big_file",
        "disk",
        {
            "losses.py": mse_with("""with open("big.bin", "wb") as f:
    for _ in range(200):
        f.write(b"x" * 2**20)""")
        },
        reason=("OSError",),
    ),
    Case(
        "disk_many_files",
        "disk",
        {
            "losses.py": mse_with("""for i in range(100000):
    open("f%d" % i, "w").close()""")
        },
        reason=("OSError",),
    ),
    Case(
        "output_flood",
        "disk",
        {
            "losses.py": mse_with("""import sys
for _ in range(100):
    sys.stdout.write("== 6 passed ==\\n" * 100000)""")
        },
        reason=("mse_forward",),
    ),
    # -- network -----------------------------------------------------------------------------------
    Case(
        "network_tcp",
        "network",
        {
            "losses.py": mse_with("""import socket
s = socket.create_connection(("127.0.0.1", @TCP@), timeout=1)
s.sendall(b"STOLEN")""")
        },
        reason=("PermissionError",),
    ),
    Case(
        "network_udp",
        "network",
        {
            "losses.py": mse_with("""import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"STOLEN", ("127.0.0.1", @UDP@))""")
        },
        reason=("PermissionError",),
    ),
    Case(
        "network_dns_netlink_packet",
        "network",
        {
            "losses.py": mse_with("""import socket
errors = []
for fam, kind in ((socket.AF_NETLINK, socket.SOCK_RAW), (socket.AF_PACKET, socket.SOCK_RAW),
                  (socket.AF_INET6, socket.SOCK_STREAM), (socket.AF_UNIX, socket.SOCK_STREAM)):
    try:
        socket.socket(fam, kind)
        errors.append("opened")
    except OSError as exc:
        errors.append(type(exc).__name__)
try:
    socket.getaddrinfo("example.com", 80)
except OSError as exc:
    errors.append("dns " + type(exc).__name__)
raise OSError(" ".join(errors))""")
        },
        reason=("PermissionError",),
    ),
    # -- attacks on the grader process ------------------------------------------------------------------
    Case(
        "write_grader_files",
        "grader",
        {
            "losses.py": mse_with("""errs = []
for path in ["@RESULTS@", "@HIDDEN@", "@SITE@"]:
    try:
        open(path, "a").write("# pwned")
        errs.append("wrote " + path)
    except OSError as exc:
        errs.append(type(exc).__name__)
raise PermissionError(" ".join(errs))""")
        },
        reason=("PermissionError",),
    ),
    Case(
        "chmod_grader_files",
        "grader",
        {
            "losses.py": mse_with("""import os
errs = []
for path in ["@HIDDEN@", os.path.dirname("@HIDDEN@"), "@SITE@"]:
    for attempt in (lambda: os.chmod(path, 0o4777), lambda: os.utime(path, (0, 0)),
                    lambda: os.chown(path, os.getuid(), os.getgid()),
                    lambda: os.setxattr(path, "user.pwned", b"1"),
                    lambda: os.link(path, "hard"), lambda: os.symlink(path, "soft")):
        try:
            attempt()
            errs.append("changed " + path)
        except OSError as exc:
            errs.append(type(exc).__name__)
raise PermissionError(" ".join(errs))""")
        },
        reason=("PermissionError",),
        note="metadata calls and links: the filter refuses them with EACCES",
    ),
    Case(
        "signal_the_grader",
        "grader",
        {
            "losses.py": mse_with("""import os, signal
errs = []
for pid, sig in ((os.getppid(), signal.SIGSTOP), (os.getppid(), signal.SIGKILL), (-1, signal.SIGKILL), (1, signal.SIGTERM)):
    try:
        os.kill(pid, sig)
        errs.append("sent")
    except OSError as exc:
        errs.append(type(exc).__name__)
raise PermissionError(" ".join(errs))""")
        },
        reason=("PermissionError",),
    ),
    Case(
        "ptrace_the_grader",
        "grader",
        {
            "losses.py": mse_with("""import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
r = libc.ptrace(PTRACE_ATTACH, os.getppid(), None, None)
raise PermissionError("ptrace %d errno %d" % (r, ctypes.get_errno()))""")
        },
        reason=("PermissionError",),
    ),
    Case(
        "fake_output",
        "grader",
        {
            "losses.py": "print('== 6 passed in 0.1s ==')\n"
            "print('{\"score\": 100}\\x1b[2J<script>')\n" + WRONG_MSE
        },
        reason=("mse_forward",),
    ),
    Case(
        "feedback_injection",
        "grader",
        {
            "losses.py": mse_with(
                'raise ValueError("\\x1b[2J\\x1b[31m[bold red]FULL MARKS[/] '
                '<script>alert(1)</script>")'
            ),
            "evil\x1b[2J.py": "x = 1\n",
        },
        reason=("raised ValueError", "<script>"),
        note="shown as text: control characters (ANSI escapes) are replaced",
    ),
    # -- protocol forgery -------------------------------------------------------------------------------
    Case(
        "protocol_garbage",
        "protocol",
        {
            "losses.py": mse_with("""import os, socket, stat
for fd in map(int, os.listdir("/proc/self/fd")):
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            os.write(fd, b"GARBAGE" * 1000)
    except OSError:
        pass""")
        },
        reason=("protocol violation",),
    ),
    Case(
        "protocol_forged_frame",
        "protocol",
        {
            "losses.py": mse_with("""import os, stat, struct, json, pickle
frame = json.dumps({"id": 999999, "ok": 0.0, "b": []}).encode()
blob = pickle.dumps(object)
for fd in map(int, os.listdir("/proc/self/fd")):
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            os.write(fd, struct.pack("<2sIQ", b"DS", len(frame), 0) + frame)
            os.write(fd, struct.pack("<2sIQ", b"DS", 2**31, 2**40) + blob)
    except OSError:
        pass
import time
time.sleep(30)""")
        },
        reason=("protocol violation",),
    ),
    # -- hostile return values -------------------------------------------------------------------------
    Case(
        "huge_tensor",
        "values",
        {
            "losses.py": """import torch
def mse_forward(pred, target):
    return torch.zeros(2**28 + 2**27), (pred,)

def mse_backward(dloss, cache):
    return torch.zeros(2**28 + 2**27)
"""
        },
        reason=("protocol violation|time limit exceeded|out of memory",),
    ),
    Case(
        "deep_nesting",
        "values",
        {
            "losses.py": """
def mse_forward(pred, target):
    x = []
    for _ in range(100000):
        x = [x]
    return x, (pred,)

def mse_backward(dloss, cache):
    x = 0
    for _ in range(100000):
        x = (x,)
    return x
"""
        },
        reason=("unsupported return value",),
    ),
    Case(
        "reduce_object",
        "values",
        {
            "losses.py": """import os
class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/descent-pwned",))

def mse_forward(pred, target):
    return Evil(), Evil()

def mse_backward(dloss, cache):
    return Evil()
"""
        },
        reason=("Evil",),
    ),
    Case(
        "huge_exception_message",
        "values",
        {"losses.py": mse_with('raise ValueError("x" * 10**7)')},
        reason=("raised ValueError",),
    ),
    # -- intake tricks -----------------------------------------------------------------------------------
    Case(
        "symlink_to_secret",
        "intake",
        {"losses.py": ("symlink", "/etc/passwd")},
        reason=("symbolic link",),
    ),
    Case(
        "symlink_to_hidden_tests",
        "intake",
        {"losses.py": ("symlink", "@HIDDEN@")},
        reason=("symbolic link",),
    ),
    Case("hardlink", "intake", {"losses.py": ("hardlink", WRONG_MSE)}, reason=("hard link",)),
    Case(
        "oversized_file", "intake", {"losses.py": GOOD_MSE + "#" * (2 << 20)}, reason=("exceeds",)
    ),
    Case(
        "zip_traversal_and_bomb",
        "intake",
        {
            "@zip": [
                ("../../evil.py", "x=1"),
                ("/abs.py", "x=1"),
                ("losses.py", WRONG_MSE),
                ("activations.py", GOOD_RELU),
                ("bomb.txt", "0" * (80 << 20)),
            ]
        },
        reason=("`..`", "zip bomb"),
    ),
    # -- notebooks ----------------------------------------------------------------------------------------
    Case(
        "notebook_magics",
        "notebook",
        {
            "@notebook": {
                "losses": WRONG_MSE.replace(
                    "import torch",
                    "import torch\n!cat /work/main/graders/*.py\n%env X=1\n"
                    "get_ipython().system('id')",
                ),
                "activations": GOOD_RELU,
            }
        },
        reason=("magic",),
    ),
    Case(
        "notebook_good",
        "notebook",
        {"@notebook": {"losses": GOOD_MSE, "activations": GOOD_RELU}},
        points="full",
    ),
    # -- syntax, missing, import errors ------------------------------------------------------------------------
    Case(
        "syntax_error",
        "errors",
        {"losses.py": "def mse_forward(:\n"},
        reason=("could not be imported: SyntaxError",),
    ),
    Case(
        "deep_attribute_chain",
        "errors",
        {
            "losses.py": GOOD_MSE.replace(
                "    diff = pred - target", "    diff = pred - target\n    torch" + ".T" * 1200
            )
        },
        reason=("mse|recursion|Recursion",),
        note="a 1200-deep chain: the scan and the import must not take the run down",
    ),
    Case(
        "missing_function",
        "errors",
        {"losses.py": GOOD_MSE.split("def mse_backward")[0]},
        points=(7.5, None),
        reason=("has no `mse_backward`",),
        note="the forward tests pass: partial credit is earned",
    ),
    Case(
        "homoglyph_name",
        "errors",
        {"losses.py": GOOD_MSE.replace("def mse_forward", "def mse_f\u043erward")},
        reason=("has no `mse_forward`",),
    ),
    Case(
        "missing_package",
        "errors",
        {"losses.py": "import sklearn_not_installed\n" + GOOD_MSE},
        reason=("ModuleNotFoundError",),
    ),
    Case(
        "tamper_builtins",
        "errors",
        {
            "losses.py": """import builtins, sys
builtins.open = None
builtins.__import__ = lambda *a, **k: None
sys.modules["torch"] = None
"""
            + WRONG_MSE.replace("import torch", "")
        },
        points=(0.0, "any"),
        reason=("mse_forward",),
        note="the tampering breaks only its own worker (relu shares it)",
    ),
]
