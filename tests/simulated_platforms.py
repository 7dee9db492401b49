"""Windows' and macOS's Python, as far as the kit can tell, on this Linux machine.

Each platform is a ``sitecustomize.py`` in a folder put first on ``PYTHONPATH``: every Python
started with :func:`env` loads it before anything else. It first imports what picks its own code
paths by ``sys.platform`` at import (torch, NumPy, pytest, sysconfig's tables), as they would
have on that system, then takes away what that system's Python lacks:

- ``windows``: the modules ``fcntl``, ``resource`` and ``termios`` (an import fails as on
  Windows), ``os.fork`` and its relatives, POSIX interval timers and every signal Windows does not
  have; ``spawn`` as multiprocessing's start method; the standard streams in cp1252, as Windows
  writes a redirected stream or a CI log;
- ``macos``: ``sys.platform`` is ``darwin`` (no Landlock, no seccomp) and ``spawn`` is the start
  method, as on macOS since Python 3.8.

The kit's student loop must run under each (tests/test_platforms.py). What a real Windows has
that this Linux lacks (``msvcrt``, ``_winapi``) is not added: the kit must not need it.
"""

from __future__ import annotations

import os
from pathlib import Path

_FIRST = """\
import multiprocessing
import sys
import sysconfig

import numpy, pytest, torch  # noqa: E401,F401 - their platform paths, chosen now

sysconfig.get_config_vars()
multiprocessing.set_start_method("spawn", force=True)
"""

WINDOWS = (
    _FIRST
    + """\
import os
import signal

for name in ("fcntl", "resource", "termios"):
    sys.modules[name] = None  # `import fcntl` fails, find_spec finds nothing
for name in ("fork", "forkpty", "killpg", "setsid", "getpgid", "setpgid", "register_at_fork",
             "sched_getaffinity", "sched_setaffinity", "wait3", "wait4", "pidfd_open"):
    if hasattr(os, name):
        delattr(os, name)
for name in ("setitimer", "getitimer", "alarm", "pause", "siginterrupt", "pthread_sigmask",
             "pthread_kill", "sigwait", "sigpending", "ITIMER_REAL", "ITIMER_PROF",
             "ITIMER_VIRTUAL", "SIGALRM", "SIGPROF", "SIGVTALRM", "SIGXCPU", "SIGXFSZ", "SIGKILL",
             "SIGCHLD", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT", "SIGPIPE", "SIGSTOP",
             "SIGCONT", "SIGTSTP"):
    if hasattr(signal, name):
        delattr(signal, name)
"""
)

MACOS = (
    _FIRST
    + """\
sys.platform = "darwin"
"""
)

PLATFORMS = {"windows": WINDOWS, "macos": MACOS}


def env(folder: Path, platform: str) -> dict[str, str]:
    """This process's environment with ``platform`` simulated for every Python started with it
    (the shim is written into ``folder``). pytest's own variables are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(PLATFORMS[platform])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    if platform == "windows":
        env["PYTHONIOENCODING"] = "cp1252"
    return env
