"""The fork server: one process per grading run that has imported torch once and forks workers.

Started by the trusted side as ``python -I -c ...`` (a fresh interpreter, so it is CUDA-free even
when the grader has already initialised CUDA). It pre-imports what workers use, pins torch to
one thread, installs the tripwire, freezes the heap (``gc.freeze()``) and then forks one worker
per request. The worker's end of its socketpair arrives over the control channel (SCM_RIGHTS).
At start it also forks a confined probe child and reports what actually held.

Control messages are single JSON datagrams on a SOCK_SEQPACKET socketpair.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import tempfile
import time
import traceback

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _pdeathsig() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _preload() -> None:
    # after the server starts: the one timed step that loads what workers use
    import inspect  # noqa: F401
    import math  # noqa: F401

    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    # after the thread settings above, as the rest of the preload
    import torch.autograd.functional  # noqa: F401
    import torch.nn.functional as F
    import torch.special  # noqa: F401

    from descent import catalogue, registry  # noqa: F401
    from descent.calls import callables, impl, tape  # noqa: F401
    from descent.isolation import (  # noqa: F401
        cgroups,
        confinement,
        landlock,
        limits,
        namespaces,
        privileges,
        protocol,
        seccomp,
        tripwire,
        worker,
    )

    # Forward only. Running the autograd engine here would start its device threads, which asks
    # the CUDA driver for its device count: the driver is then initialised in this process and
    # every forked worker gets "CUDA error: initialization error" (seen on an H100). A worker's
    # first backward costs under a millisecond more without this warm-up.
    x = torch.randn(8, 8, dtype=torch.float64, requires_grad=True)
    F.softmax(x @ x.T, -1).log().sum() + torch.erf(x).sum() + x.float().sum()
    torch.Generator().manual_seed(0)
    tripwire.install()


def child_main(sock: socket.socket, config: dict) -> None:
    """In the forked child: confine, then serve. Never returns."""
    code = 0
    try:
        os.setsid()
        _pdeathsig()
        if config.get("cpu") is not None:  # the grader's CPU (IsolationManager.colocate)
            try:
                os.sched_setaffinity(0, {int(config["cpu"])})
            except (OSError, ValueError):
                pass
        report = confine(config, keep=sock.fileno())
        # after the preload: the server's top imports only the standard library
        from descent.isolation import cells, protocol
        from descent.isolation.worker import Worker

        cells.covered[:] = [
            a.removeprefix("cover:") for a in report["applied"] if a.startswith("cover:")
        ]

        protocol.send_frame(sock, {"ready": report, "b": []})
        Worker(sock, config.get("folder"), config.get("variant")).serve()
    except BaseException as exc:  # noqa: BLE001
        code = 1
        try:
            # after the preload: the server's top imports only the standard library
            from descent.isolation import protocol

            protocol.send_frame(sock, {"fatal": f"{type(exc).__name__}: {exc}"[:2000], "b": []})
        except BaseException:  # noqa: BLE001
            pass
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


def confine(config: dict, keep: int) -> dict:
    """Apply every confinement the config asks for; returns what took effect."""
    # after the preload: the server's top imports only the standard library
    from descent.isolation import cgroups, namespaces, privileges, seccomp, task_cap
    from descent.isolation.limits import Limits, apply_rlimits

    done: list[str] = []
    scratch = config["scratch"]
    limits = Limits(**config.get("limits", {}))
    if config.get("cgroup"):
        cgroups.Cgroup(config["cgroup"]["dirs"], config["cgroup"]["version"]).join()
        done.append(f"cgroup-v{config['cgroup']['version']}")
    if config.get("namespaces") and (config.get("userns") or os.geteuid() == 0):
        done += namespaces.unshare_namespaces(
            scratch, limits.scratch_size, user=bool(config.get("userns"))
        )
    _enter_scratch(scratch, keep)
    if not config.get("confine", True):
        apply_rlimits(limits)
        return {"applied": done + ["rlimits"], "confined": False}
    uid = config.get("uid")
    if limits.processes is None:  # threads and processes, in every mode: see task_cap.py
        own = uid is not None and os.geteuid() == 0
        limits.processes = task_cap.nproc(limits.pids, own_uid=own, userns="userns" in done)
    apply_rlimits(limits)
    done.append("rlimits")
    if uid is not None and os.geteuid() == 0:
        if "mountns" in done:  # a private home above the interpreter: see the function
            done += [
                f"cover:{f}" for f in privileges.cover_private_folders(_reads(config), [scratch])
            ]
        privileges.drop_uid(uid, config.get("gid", uid))
        done.append(f"uid-{uid}")
    elif os.geteuid() == 0 or "userns" in done:  # root, or every capability in the user ns
        privileges.drop_capabilities()
        done.append("no-capabilities")
    if config.get("landlock", True):
        done.append(f"landlock-abi{_landlock(config, scratch)}")
    if config.get("seccomp", True):
        seccomp.apply_seccomp(
            no_fork=config.get("no_fork", True), unix_sockets=bool(config.get("cuda"))
        )
        done.append("seccomp" + ("-nofork" if config.get("no_fork", True) else ""))
    return {"applied": done, "confined": True}


def _enter_scratch(scratch: str, keep: int) -> None:
    """stdin from /dev/null, stdout and stderr to a file in the scratch directory, every other
    descriptor but ``keep`` closed, the environment scrubbed, and the scratch directory as the
    working directory, HOME and TMPDIR."""
    devnull = os.open("/dev/null", os.O_RDONLY)
    out = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in _open_fds():
        if fd > 2 and fd != keep:
            try:
                os.close(fd)
            except OSError:
                pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.chdir(scratch)
    os.environ.clear()
    # Every cache goes to the scratch directory: with a uid of its own the worker cannot create
    # one elsewhere (torch's compiler keys its cache folder in /tmp by the user's name).
    os.environ.update(
        {
            "HOME": scratch,
            "TMPDIR": scratch,
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "USER": "descent-worker",
            "LOGNAME": "descent-worker",
            "XDG_CACHE_HOME": scratch,
            "MPLCONFIGDIR": scratch,
            "TORCHINDUCTOR_CACHE_DIR": os.path.join(scratch, "torchinductor"),
            "TRITON_CACHE_DIR": os.path.join(scratch, "triton"),
        }
    )
    tempfile.tempdir = scratch  # the fork server may have computed it already
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]


def _reads(config: dict) -> list[str]:
    """What the worker reads beside the system's libraries: the interpreter and its packages,
    the submission, and any extra folder (the reference of a variant run)."""
    # after the preload: the server's top imports only the standard library
    from descent.isolation.confinement import interpreter_paths

    folder = [config["folder"]] if config.get("folder") else []
    return interpreter_paths() + folder + list(config.get("read_extra", ()))


def _landlock(config: dict, scratch: str) -> int:
    """Landlock: read the interpreter, the submission and system libraries; write the scratch
    directory; with CUDA also the GPU's devices. Returns the ABI in force."""
    # after the preload: the server's top imports only the standard library
    from descent.isolation.landlock import apply_landlock

    reads = _reads(config) + [
        "/usr",
        "/lib",
        "/lib64",
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/dev/urandom",
        "/dev/random",
        f"/proc/{os.getpid()}",
        "/proc/cpuinfo",
        "/proc/meminfo",
        "/sys/devices/system/cpu",
        "/sys/fs/cgroup/cpu",
        "/sys/fs/cgroup/cpu,cpuacct",
    ]
    devices, writes = [], [scratch, "/dev/null"]
    if config.get("cuda"):
        devices = [f"/dev/{n}" for n in os.listdir("/dev") if n.startswith("nvidia")]
        reads += ["/proc/driver/nvidia", "/sys/bus/pci", "/sys/devices", "/proc/self"]
        # The driver names the threads it starts (/proc/PID/task/TID/comm); its
        # initialisation fails when that write is refused (seen on an H100).
        writes.append(f"/proc/{os.getpid()}/task")
    return apply_landlock(reads, writes, devices)


def _open_fds() -> list[int]:
    try:
        return [int(x) for x in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 256))


# -- probe ------------------------------------------------------------------------------------------
def probe_child(config: dict) -> dict:
    """Fork a confined child that tries what a hostile submission would; report what held."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        result = {}
        try:
            os.setsid()
            result["applied"] = confine(config, keep=b.fileno())["applied"]
            result.update(_attempts())
        except BaseException as exc:  # noqa: BLE001
            result["error"] = f"{type(exc).__name__}: {exc}"
        try:
            b.sendall(json.dumps(result).encode())
        finally:
            os._exit(0)
    b.close()
    a.settimeout(20)
    chunks = []
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            chunks.append(data)
    except OSError:
        pass
    a.close()
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {"error": "probe child sent nothing"}


def _attempts() -> dict:
    out = {}

    def attempt(name, fn):
        try:
            fn()
            out[name] = "allowed"
        except OSError as exc:
            out[name] = f"blocked ({errno.errorcode.get(exc.errno, exc.errno)})"
        except Exception as exc:  # noqa: BLE001
            out[name] = f"blocked ({type(exc).__name__})"

    attempt("read_outside", lambda: open("/etc/hostname").read())
    attempt("tcp_socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
    attempt("udp_socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close())

    def fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)

    attempt("fork", fork)
    attempt("signal_parent", lambda: os.kill(os.getppid(), 0))
    attempt("write_scratch", lambda: open("probe.txt", "w").write("x"))
    return out


# -- main loop --------------------------------------------------------------------------------------
def main(ctrl_fd: int, preload: list[str] | None = None) -> None:
    """Serve the control channel ``ctrl_fd``; ``preload``: modules to import after the server's
    own preload (the caller's choice, see ForkServer)."""
    _pdeathsig()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctrl = socket.socket(fileno=ctrl_fd)
    hello = _start(preload or [])
    children: dict[int, dict] = {}
    finished: dict[int, dict] = {}
    probes: dict[str, dict] = {}  # the probe's answer per configuration (see _probe)
    while True:
        _reap(children, finished)
        ready, _, _ = select.select([ctrl], [], [], 0.5)
        if not ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(ctrl, 1 << 16, 4)
        except OSError:
            break
        if not data:
            break
        reply = _answer(ctrl, data, fds, hello, children, finished, probes)
        if reply is _EXIT:
            break
        if reply is None:
            continue
        try:
            ctrl.send(json.dumps(reply).encode())
        except OSError:
            break
    _kill_all(children)
    os._exit(0)


_EXIT = object()  # _answer's reply to "exit"


def _import_all(names: list[str] | tuple[str, ...]) -> list[str]:
    """Import each module of ``names``; those that could not be imported. A worker that needs
    one of them imports it itself, and fails there as it would have without the preload."""
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - reported in the hello, never fatal
            failed.append(name)
    return failed


def _start(preload: list[str] | tuple[str, ...] = ()) -> dict:
    """Preload (ours, then the caller's ``preload``), probe the machine, freeze the heap; the
    hello message says how it went."""
    started = time.perf_counter()
    hello: dict = {"pid": os.getpid()}
    # What the preload makes lives as long as the server: collected once below, not again and
    # again as it piles up (about a seventh of the import of torch). Workers inherit it enabled.
    gc.disable()
    try:
        _preload()
        hello["preload_failed"] = _import_all(preload)
        # after the preload: the server's top imports only the standard library
        from descent.isolation import confinement

        hello["static"] = confinement.probe()
    except BaseException as exc:  # noqa: BLE001
        hello["error"] = f"{type(exc).__name__}: {exc}"
    hello["preload_s"] = round(time.perf_counter() - started, 3)
    gc.collect()
    gc.freeze()
    gc.enable()
    return hello


def _answer(
    ctrl, data: bytes, fds: list[int], hello: dict, children: dict, finished: dict, probes: dict
):
    """The reply to one control message: a dict, None for none, or _EXIT."""
    try:
        msg = json.loads(data)
    except ValueError:
        _close(fds)
        return None
    op = msg.get("op")
    if op == "hello":
        return hello
    if op == "probe":
        _close(fds)
        return {"probe": _probe(msg.get("config", {}), probes)}
    if op == "spawn" and len(fds) == 1:
        pid = os.fork()
        if pid == 0:
            ctrl.close()
            child_main(socket.socket(fileno=fds[0]), msg["config"])
        os.close(fds[0])
        children[pid] = {}
        return {"pid": pid}
    if op == "status":
        return _status(msg, children, finished)
    if op == "exit":
        return _EXIT
    _close(fds)
    return {"error": "bad request"}


def _probe(config: dict, probes: dict) -> dict:
    """The confined probe child's answer for ``config``, probed once per configuration: it
    describes what the kernel lets this server's children do, which no grading can change (a
    worker cannot alter the server, and a warm parent replaces a server whose vitals changed),
    so the gradings a warm parent lends this server to need not fork it again."""
    key = json.dumps(config, sort_keys=True)
    if key not in probes:
        scratch = tempfile.mkdtemp(prefix="descent-probe-")
        probes[key] = probe_child(dict(config, scratch=scratch, folder=None))
        _rmtree(scratch)
    return probes[key]


def _status(msg: dict, children: dict, finished: dict) -> dict:
    """How worker ``pid`` ended, waiting up to ``wait`` seconds for it to end."""
    pid = msg.get("pid")
    deadline = time.monotonic() + float(msg.get("wait", 0))
    while True:
        _reap(children, finished)
        if pid in finished or pid not in children or time.monotonic() >= deadline:
            break
        time.sleep(0.005)
    return finished.pop(pid, None) or ({"running": True} if pid in children else {"unknown": True})


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _kill_all(children: dict) -> None:
    for pid in list(children):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap(children: dict, finished: dict) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.pop(pid, None)
        if os.WIFSIGNALED(status):
            finished[pid] = {"signal": os.WTERMSIG(status)}
        else:
            finished[pid] = {"exit": os.WEXITSTATUS(status)}


def _rmtree(path: str) -> None:
    # audited as it stands: the isolation core's imports are not moved without a review
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
