"""Confinement of a worker process: rlimits, capabilities or a uid drop, Landlock, seccomp,
cgroups and namespaces. Everything here is applied by the worker to itself, in a freshly forked
single-threaded child, before any submission code is imported.

Only ctypes and the kernel are needed (no binaries, no extra wheels). The seccomp filter is a
hand-assembled classic-BPF program (x86_64); Landlock is driven through its three syscalls.
:func:`probe` reports what this machine offers; the fork server also runs a confined probe child
at start and records what actually held (:mod:`descent.isolation.server`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import shutil
import socket
import stat
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]

X86_64 = platform.machine() == "x86_64"

# -- Landlock -------------------------------------------------------------------------------------
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
FS = {
    name: 1 << i
    for i, name in enumerate(
        (
            "EXECUTE",
            "WRITE_FILE",
            "READ_FILE",
            "READ_DIR",
            "REMOVE_DIR",
            "REMOVE_FILE",
            "MAKE_CHAR",
            "MAKE_DIR",
            "MAKE_REG",
            "MAKE_SOCK",
            "MAKE_FIFO",
            "MAKE_BLOCK",
            "MAKE_SYM",
            "REFER",
            "TRUNCATE",
            "IOCTL_DEV",
        )
    )
}
_FS_BY_ABI = {
    1: (1 << 13) - 1,
    2: (1 << 14) - 1,
    3: (1 << 15) - 1,
    4: (1 << 15) - 1,
    5: (1 << 16) - 1,
}
_FILE_RIGHTS = FS["EXECUTE"] | FS["WRITE_FILE"] | FS["READ_FILE"] | FS["TRUNCATE"] | FS["IOCTL_DEV"]
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2
PR_SET_NO_NEW_PRIVS = 38
READ = FS["READ_FILE"] | FS["READ_DIR"]
WRITE = (
    FS["WRITE_FILE"]
    | FS["REMOVE_DIR"]
    | FS["REMOVE_FILE"]
    | FS["MAKE_DIR"]
    | FS["MAKE_REG"]
    | FS["TRUNCATE"]
)


def landlock_abi() -> int:
    if not X86_64 and platform.machine() not in ("aarch64", "riscv64"):
        return 0
    v = _libc.syscall(
        SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION),
    )
    return int(v) if v > 0 else 0


def apply_landlock(read: list[str], write: list[str], devices: list[str] = ()) -> int:
    """Restrict this thread (the worker is single-threaded here) to the given paths, no TCP,
    and (ABI >= 6) no signals or abstract sockets outside its own domain. Returns the ABI."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available")
    fs = _FS_BY_ABI.get(abi, (1 << 16) - 1)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack("<QQQ", fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    buf = ctypes.create_string_buffer(attr[:size], size)
    fd = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in (
            (read, READ),
            (write, READ | WRITE),
            (devices, READ | FS["WRITE_FILE"] | FS["IOCTL_DEV"]),
        ):
            for path in paths:
                _add_path_rule(fd, path, rights & fs)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(fd)
    return abi


def _add_path_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # an optional path that does not exist here
    try:
        if not stat.S_ISDIR(os.fstat(pfd).st_mode):
            rights &= _FILE_RIGHTS
        rule = struct.pack("<Qi", rights, pfd)
        buf = ctypes.create_string_buffer(rule, len(rule))
        if (
            _libc.syscall(
                SYS_LANDLOCK_ADD_RULE,
                ctypes.c_int(ruleset),
                ctypes.c_int(1),
                buf,
                ctypes.c_uint32(0),
            )
            != 0
        ):
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(pfd)


# -- seccomp (classic BPF, assembled here) -----------------------------------------------------------
AUDIT_ARCH_X86_64 = 0xC000003E
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
BPF_RSH_K = 0x74
_LOW_29 = 0xFFFFFFFF >> 3
CLONE_THREAD = 0x00010000
TIOCSTI = 0x5412

# x86_64 syscall numbers.
NR = dict(
    socket=41,
    socketpair=53,
    clone=56,
    fork=57,
    vfork=58,
    clone3=435,
    kill=62,
    tkill=200,
    tgkill=234,
    rt_sigqueueinfo=129,
    rt_tgsigqueueinfo=297,
    ioctl=16,
    ptrace=101,
    process_vm_readv=310,
    process_vm_writev=311,
    bpf=321,
    perf_event_open=298,
    userfaultfd=323,
    keyctl=250,
    add_key=248,
    request_key=249,
    mount=165,
    umount2=166,
    pivot_root=155,
    chroot=161,
    unshare=272,
    setns=308,
    io_uring_setup=425,
    io_uring_enter=426,
    io_uring_register=427,
    kexec_load=246,
    kexec_file_load=320,
    init_module=175,
    finit_module=313,
    delete_module=176,
    setsid=112,
    setpgid=109,
    open_by_handle_at=304,
    name_to_handle_at=303,
    reboot=169,
    swapon=167,
    swapoff=168,
    syslog=103,
    acct=163,
    settimeofday=164,
    clock_settime=227,
    adjtimex=159,
    clock_adjtime=305,
    personality=135,
    quotactl=179,
    fanotify_init=300,
    inotify_init=253,
    inotify_init1=294,
    inotify_add_watch=254,
    sethostname=170,
    setdomainname=171,
    iopl=172,
    ioperm=173,
    vhangup=153,
    open_tree=428,
    move_mount=429,
    fsopen=430,
    fsconfig=431,
    fsmount=432,
    fspick=433,
    mount_setattr=442,
    pidfd_open=434,
    pidfd_send_signal=424,
    pidfd_getfd=438,
    process_madvise=440,
    kcmp=312,
    migrate_pages=256,
    move_pages=279,
    setuid=105,
    setgid=106,
    setreuid=113,
    setregid=114,
    setresuid=117,
    setresgid=119,
    setgroups=116,
    setfsuid=122,
    setfsgid=123,
    capset=126,
    mknod=133,
    mknodat=259,
    lookup_dcookie=212,
    memfd_secret=447,
    chmod=90,
    fchmod=91,
    fchmodat=268,
    fchmodat2=452,
    chown=92,
    fchown=93,
    lchown=94,
    fchownat=260,
    utime=132,
    utimes=235,
    futimesat=261,
    utimensat=280,
    setxattr=188,
    lsetxattr=189,
    fsetxattr=190,
    removexattr=197,
    lremovexattr=198,
    fremovexattr=199,
    setxattrat=463,
    removexattrat=466,
    link=86,
    linkat=265,
    symlink=88,
    symlinkat=266,
    file_setattr=469,
    prlimit64=302,
    getpriority=140,
    setpriority=141,
    sched_setparam=142,
    sched_getparam=143,
    sched_setscheduler=144,
    sched_getscheduler=145,
    sched_rr_get_interval=148,
    sched_setaffinity=203,
    sched_getaffinity=204,
    sched_setattr=314,
    sched_getattr=315,
    ioprio_set=251,
    ioprio_get=252,
    getpgid=121,
    getsid=124,
    get_robust_list=274,
    clock_gettime=228,
    clock_getres=229,
    clock_nanosleep=230,
    timer_create=222,
    memfd_create=319,
    execveat=322,
    process_mrelease=448,
    shmget=29,
    shmat=30,
    shmctl=31,
    shmdt=67,
    semget=64,
    semop=65,
    semctl=66,
    semtimedop=220,
    msgget=68,
    msgsnd=69,
    msgrcv=70,
    msgctl=71,
)
DENY_EPERM = (
    "ptrace process_vm_readv process_vm_writev bpf perf_event_open userfaultfd keyctl "
    "add_key request_key mount umount2 pivot_root chroot unshare setns io_uring_setup "
    "io_uring_enter io_uring_register kexec_load kexec_file_load init_module "
    "finit_module delete_module setsid setpgid open_by_handle_at name_to_handle_at "
    "reboot swapon swapoff syslog acct settimeofday clock_settime adjtimex clock_adjtime "
    "personality quotactl fanotify_init inotify_init inotify_init1 inotify_add_watch "
    "sethostname setdomainname iopl ioperm vhangup open_tree move_mount fsopen fsconfig "
    "fsmount fspick mount_setattr pidfd_open pidfd_send_signal pidfd_getfd "
    "process_madvise kcmp migrate_pages move_pages setuid setgid setreuid setregid "
    "setresuid setresgid setgroups setfsuid setfsgid capset "
    "lookup_dcookie memfd_secret tkill process_mrelease "
    # An anonymous file in memory is outside every Landlock rule, so memfd_create and execveat
    # would run a program Landlock's "no execute" never sees.
    "memfd_create execveat "
    # System V IPC: without an IPC namespace (no root, no user namespace) these reach the
    # segments, semaphores and queues of every process of the worker's uid.
    "shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv msgctl"
).split()
# Calls that name a process: each is allowed only when it names the worker itself (pid 0 or its
# own), so a worker can neither change nor read another process's limits, priority, scheduling,
# CPUs, I/O class, process group or CPU time, not even its fork server's or another worker's of
# the same uid. The value says how the call names its target:
# "pid": argument 0 is a pid (0: the caller);
# "priority", "ioprio": argument 0 picks a process, a process group or a whole uid (only a
# process passes) and argument 1 names it;
# "clock": argument 0 is a clock, and a negative one encodes another process's CPU clock.
SELF_ONLY = {
    **dict.fromkeys(
        "kill tgkill rt_sigqueueinfo rt_tgsigqueueinfo prlimit64 sched_setparam "
        "sched_getparam sched_setscheduler sched_getscheduler sched_rr_get_interval "
        "sched_setaffinity sched_getaffinity sched_setattr sched_getattr getpgid getsid "
        "get_robust_list".split(),
        "pid",
    ),
    "setpriority": "priority",
    "getpriority": "priority",
    "ioprio_set": "ioprio",
    "ioprio_get": "ioprio",
    **dict.fromkeys("clock_gettime clock_getres clock_nanosleep timer_create".split(), "clock"),
}
PRIO_PROCESS, IOPRIO_WHO_PROCESS = 0, 1
# File metadata and links. Landlock governs reading and writing file contents, not these: a
# file's owner may change its mode, times or extended attributes without any capability, so a
# worker that shares a uid with the grader (uid 0 under a private home, or the grader's own user
# without root) could otherwise open the keys to everyone or set a setuid bit. Links are refused
# too: a link made inside the scratch folder can name a file outside it. ``rename`` stays allowed
# inside the scratch folder (Landlock refuses it anywhere else).
DENY_EACCES = (
    "chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat utime utimes "
    "futimesat utimensat setxattr lsetxattr fsetxattr removexattr lremovexattr "
    "fremovexattr setxattrat removexattrat link linkat symlink symlinkat mknod "
    "mknodat file_setattr"
).split()


class _Asm:
    """A tiny assembler for classic BPF with forward labels."""

    def __init__(self):
        self.code: list[tuple] = []
        self.labels: dict[str, int] = {}

    def ins(self, code, k=0, jt=0, jf=0):
        self.code.append((code, jt, jf, k))

    def label(self, name):
        self.labels[name] = len(self.code)

    def assemble(self) -> bytes:
        out = []
        for i, (code, jt, jf, k) in enumerate(self.code):

            def rel(target, i=i):
                if isinstance(target, str):
                    off = self.labels[target] - i - 1
                    if not 0 <= off < 256:
                        raise ValueError("BPF jump out of range")
                    return off
                return target

            out.append(struct.pack("<HBBI", code, rel(jt), rel(jf), k & 0xFFFFFFFF))
        return b"".join(out)


def _self_only_rules(a: _Asm, own_pid: int) -> None:
    """The checks behind :data:`SELF_ONLY`: the syscall's arguments (the low 32 bits of each,
    at offset 16 + 8 * i) must name this process; anything else gives EPERM."""
    for label, kind in (("priority", PRIO_PROCESS), ("ioprio", IOPRIO_WHO_PROCESS)):
        a.label(label)  # a process, not a group or a uid ...
        a.ins(BPF_LD_W_ABS, 16)
        a.ins(BPF_JEQ_K, kind, 0, "eperm")
        a.ins(BPF_LD_W_ABS, 24)  # ... and that process is this one
        a.ins(BPF_JEQ_K, own_pid, "allow", 0)
        a.ins(BPF_JEQ_K, 0, "allow", "eperm")
    a.label("clock")  # a clock id below 0 is ~pid << 3 | type: only this process's own
    a.ins(BPF_LD_W_ABS, 16)
    a.ins(BPF_JGE_K, 0x80000000, 0, "allow")
    a.ins(BPF_RSH_K, 3)  # what is left of ~pid once shifted back, for pid 0 and for its own
    a.ins(BPF_JEQ_K, ~0 & _LOW_29, "allow", 0)
    a.ins(BPF_JEQ_K, ~own_pid & _LOW_29, "allow", "eperm")
    a.label("pid")  # argument 0 is this process (0 or its pid)
    a.ins(BPF_LD_W_ABS, 16)
    a.ins(BPF_JEQ_K, own_pid, "allow", 0)
    a.ins(BPF_JEQ_K, 0, "allow", "eperm")


def build_seccomp_filter(own_pid: int, no_fork: bool = True, unix_sockets: bool = False) -> bytes:
    """The worker's syscall filter. ``unix_sockets`` (CUDA workers only) lets ``socket`` and
    ``socketpair`` make AF_UNIX sockets: the NVIDIA driver opens one while it initialises and
    fails without it (seen on an H100). Every other family stays refused."""
    if not X86_64:
        raise OSError(errno.ENOSYS, "the seccomp filter is built for x86_64 only")
    a = _Asm()
    a.ins(BPF_LD_W_ABS, 4)  # arch
    a.ins(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0)
    a.ins(BPF_RET_K, SECCOMP_RET_KILL_PROCESS)
    a.ins(BPF_LD_W_ABS, 0)  # syscall number
    a.ins(BPF_JGE_K, 0x40000000, "kill", 0)  # x32 ABI: no
    for name in DENY_EPERM:
        a.ins(BPF_JEQ_K, NR[name], "eperm", 0)
    for name in DENY_EACCES:
        a.ins(BPF_JEQ_K, NR[name], "eacces", 0)
    sockets = "unix_only" if unix_sockets else "eacces"
    a.ins(BPF_JEQ_K, NR["socket"], sockets, 0)
    a.ins(BPF_JEQ_K, NR["socketpair"], sockets, 0)
    if no_fork:
        a.ins(BPF_JEQ_K, NR["fork"], "eagain", 0)
        a.ins(BPF_JEQ_K, NR["vfork"], "eagain", 0)
        a.ins(BPF_JEQ_K, NR["clone3"], "enosys", 0)  # glibc falls back to clone
        a.ins(BPF_JEQ_K, NR["clone"], "clone", 0)
    for name, named_by in SELF_ONLY.items():
        a.ins(BPF_JEQ_K, NR[name], named_by, 0)
    a.ins(BPF_JEQ_K, NR["ioctl"], "ioctl", 0)
    a.ins(BPF_RET_K, SECCOMP_RET_ALLOW)
    a.label("clone")  # threads yes, processes no
    a.ins(BPF_LD_W_ABS, 16)
    a.ins(BPF_JSET_K, CLONE_THREAD, "allow", "eagain")
    _self_only_rules(a, own_pid)
    a.label("unix_only")  # the family is argument 0
    a.ins(BPF_LD_W_ABS, 16)
    a.ins(BPF_JEQ_K, socket.AF_UNIX, "allow", "eacces")
    a.label("ioctl")
    a.ins(BPF_LD_W_ABS, 24)
    a.ins(BPF_JEQ_K, TIOCSTI, "eperm", "allow")
    a.label("allow")
    a.ins(BPF_RET_K, SECCOMP_RET_ALLOW)
    a.label("eperm")
    a.ins(BPF_RET_K, SECCOMP_RET_ERRNO | errno.EPERM)
    a.label("eacces")
    a.ins(BPF_RET_K, SECCOMP_RET_ERRNO | errno.EACCES)
    a.label("eagain")
    a.ins(BPF_RET_K, SECCOMP_RET_ERRNO | errno.EAGAIN)
    a.label("enosys")
    a.ins(BPF_RET_K, SECCOMP_RET_ERRNO | errno.ENOSYS)
    a.label("kill")
    a.ins(BPF_RET_K, SECCOMP_RET_KILL_PROCESS)
    return a.assemble()


SYS_SECCOMP = 317
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp(no_fork: bool = True, unix_sockets: bool = False) -> None:
    prog_bytes = build_seccomp_filter(os.getpid(), no_fork, unix_sockets)
    buf = ctypes.create_string_buffer(prog_bytes, len(prog_bytes))
    prog = _SockFprog(len(prog_bytes) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if (
        _libc.syscall(
            SYS_SECCOMP,
            ctypes.c_uint(SECCOMP_SET_MODE_FILTER),
            ctypes.c_uint(SECCOMP_FILTER_FLAG_TSYNC),
            ctypes.byref(prog),
        )
        != 0
    ):
        raise OSError(ctypes.get_errno(), "seccomp(SET_MODE_FILTER) failed")


def seccomp_available() -> bool:
    if not X86_64:
        return False
    try:
        return "Seccomp:" in Path("/proc/self/status").read_text()
    except OSError:
        return False


# -- capabilities and uids ---------------------------------------------------------------------------
PR_CAPBSET_DROP = 24
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def drop_capabilities() -> None:
    """Empty the bounding, effective, permitted and inheritable sets (uid 0 keeps no power)."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    header = struct.pack("<Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)
    hbuf, dbuf = ctypes.create_string_buffer(header, 8), ctypes.create_string_buffer(data, 24)
    if _libc.syscall(NR["capset"] if X86_64 else 91, hbuf, dbuf) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def drop_uid(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _private(path: Path) -> bool:
    """Whether other users cannot pass through ``path`` (a folder without o+x)."""
    mode = path.stat().st_mode
    return stat.S_ISDIR(mode) and not mode & stat.S_IXOTH


def readable_by_others(paths: list[str], cover: bool = False) -> tuple[bool, str]:
    """Whether a uid other than the owner can reach ``paths`` (every folder on the way o+x).
    With ``cover``, a private folder strictly above a path does not count: the worker covers
    it in its own mount namespace (:func:`cover_private_folders`)."""
    for p in paths:
        path = Path(p).resolve()
        try:
            if _private(path) or (not cover and any(_private(d) for d in path.parents)):
                blocker = next(d for d in [*reversed(path.parents), path] if _private(d))
                mode = blocker.stat().st_mode
                return False, (
                    f"{blocker} is not searchable by other users (mode {oct(mode & 0o777)})"
                )
        except OSError:
            return False, f"cannot stat {path}"
    return True, ""


MS_BIND, MS_REMOUNT, MS_RDONLY = 4096, 32, 1


def cover_private_folders(read: list[str], write: list[str] = ()) -> list[str]:
    """Let a worker that has dropped to its own uid reach ``read`` and ``write`` when a folder
    above them is private to root (a home such as ``/root``, mode 0700, holding the
    interpreter). In this process's own mount namespace (root, after
    :func:`unshare_namespaces`), each topmost such folder is covered by a tmpfs that holds only
    the way down to the paths under it, and each path is bound back from the original, the
    ``read`` ones read-only. Nothing changes on disk or outside the namespace, and nothing else
    in the private folder is visible. Returns the folders covered; raises OSError."""
    wanted = {str(Path(p).resolve()): False for p in read if os.path.exists(p)}
    wanted.update({str(Path(p).resolve()): True for p in write if os.path.exists(p)})
    groups: dict[Path, list[str]] = {}
    for p in sorted(wanted):
        top = next((d for d in reversed(Path(p).parents) if _private(d)), None)
        if top is not None and not any(p.startswith(q + "/") for q in groups.get(top, [])):
            groups.setdefault(top, []).append(p)
    for top, paths in groups.items():
        fds = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in paths}
        try:
            _mount(b"tmpfs", str(top), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=0755")
            for p, fd in fds.items():
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(p, 0o755, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(p), 0o755, exist_ok=True)
                    open(p, "a").close()
                _mount(f"/proc/self/fd/{fd}".encode(), p, None, MS_BIND | MS_REC, None)
                if not wanted[p]:
                    _mount(None, p, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
        finally:
            for fd in fds.values():
                os.close(fd)
    return [str(top) for top in groups]


def _mount(source, target: str, kind, flags: int, options) -> None:
    if _libc.mount(source, target.encode(), kind, flags, options) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount on {target}: {os.strerror(err)}")


# -- rlimits -------------------------------------------------------------------------------------------
@dataclass
class Limits:
    address_space: int | None = 4 << 30  # bytes (None on CUDA: it reserves huge ranges)
    cpu_seconds: int = 600
    file_size: int = 32 << 20
    open_files: int = 256
    processes: int | None = None  # RLIMIT_NPROC; None: what task_cap.nproc makes of ``pids``
    memory: int = 3 << 30  # cgroup memory limit
    pids: int = 64  # threads and processes: the cgroup's pids limit, and RLIMIT_NPROC's
    scratch_size: int = 64 << 20  # tmpfs for the scratch dir (root mode)


def apply_rlimits(limits: Limits) -> None:
    def set_(res, soft, hard=None):
        hard = soft if hard is None else hard
        cur_soft, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        resource.setrlimit(res, (soft, hard))

    if limits.address_space:
        set_(resource.RLIMIT_AS, limits.address_space)
    set_(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5)
    set_(resource.RLIMIT_FSIZE, limits.file_size)
    set_(resource.RLIMIT_NOFILE, limits.open_files)
    set_(resource.RLIMIT_CORE, 0)
    if limits.processes:
        set_(resource.RLIMIT_NPROC, limits.processes)


# -- cgroups (root) ------------------------------------------------------------------------------------
def _own_cgroup(controller: str) -> str | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            if controller in ctrls.split(","):
                return path
    except OSError:
        pass
    return None


@dataclass
class Cgroup:
    """A per-worker cgroup (v1 memory + pids controllers, or a v2 group)."""

    dirs: dict[str, str] = field(default_factory=dict)  # controller -> directory
    version: int = 1

    @classmethod
    def create(cls, name: str, limits: Limits) -> Cgroup | None:
        if os.geteuid() != 0:
            return None
        root = Path("/sys/fs/cgroup")
        if (root / "cgroup.controllers").exists():  # pure v2
            base = root / (_own_cgroup("") or "/").lstrip("/")
            d = base / name
            try:
                d.mkdir(exist_ok=True)
                (d / "memory.max").write_text(str(limits.memory))
                (d / "pids.max").write_text(str(limits.pids))
                try:
                    (d / "memory.swap.max").write_text("0")
                except OSError:
                    pass
            except OSError:
                return None
            return cls({"unified": str(d)}, 2)
        dirs = {}
        for ctrl in ("memory", "pids"):
            top = root / ctrl
            own = _own_cgroup(ctrl)
            if not top.is_dir() or own is None:
                continue
            d = top / own.lstrip("/") / name
            try:
                d.mkdir(exist_ok=True)
                if ctrl == "memory":
                    (d / "memory.limit_in_bytes").write_text(str(limits.memory))
                    try:
                        (d / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
                    except OSError:
                        pass
                else:
                    (d / "pids.max").write_text(str(limits.pids))
            except OSError:
                continue
            dirs[ctrl] = str(d)
        return cls(dirs, 1) if dirs else None

    def join(self, pid: int = 0) -> None:
        for d in self.dirs.values():
            Path(d, "cgroup.procs").write_text(str(pid or os.getpid()))

    def pids(self) -> set[int]:
        found = set()
        for d in self.dirs.values():
            try:
                found |= {int(x) for x in Path(d, "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill_all(self, rounds: int = 50) -> bool:
        """SIGKILL every process in the group until it is empty."""
        # audited as it stands: the isolation core's imports are not moved without a review
        import signal
        import time

        if self.version == 2:
            try:
                Path(self.dirs["unified"], "cgroup.kill").write_text("1")
            except OSError:
                pass
        for _ in range(rounds):
            left = self.pids()
            if not left:
                return True
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
        return not self.pids()

    def oom_killed(self) -> bool:
        try:
            if self.version == 2:
                text = Path(self.dirs["unified"], "memory.events").read_text()
            elif "memory" in self.dirs:
                text = Path(self.dirs["memory"], "memory.oom_control").read_text()
            else:
                return False
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip() != "0":
                return True
        return False

    def remove(self) -> None:
        for d in self.dirs.values():
            try:
                os.rmdir(d)
            except OSError:
                pass


# -- namespaces ----------------------------------------------------------------------------------------
CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS = (
    0x00020000,
    0x40000000,
    0x08000000,
    0x04000000,
)
CLONE_NEWUSER = 0x10000000
MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV = 0x4000, 1 << 18, 2, 4
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]


def enter_user_namespace() -> bool:
    """Become the owner of a new user namespace in which this process keeps its own uid and gid.

    Lets a worker started without root create the network and mount namespaces and the tmpfs of
    :func:`unshare_namespaces`. The process holds every capability inside the new namespace
    until :func:`drop_capabilities`; none of them reaches outside it. False when the kernel or
    its policy refuses unprivileged user namespaces (then nothing changed).
    """
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(CLONE_NEWUSER) != 0:
        return False
    try:  # setgroups must be denied before an unprivileged process may write gid_map
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError:
        # Left in a namespace without a mapping, where no file can be created: the confined
        # probe fails, and the manager then starts workers without a user namespace.
        return False
    return True


def unshare_namespaces(scratch: str | None, scratch_size: int, user: bool = False) -> list[str]:
    """New network (loopback only, down), IPC, UTS and mount namespaces; a size-capped tmpfs on the
    scratch dir. Needs root, or ``user=True`` where unprivileged user namespaces are allowed.
    Returns the names of what took effect."""
    done = []
    if user:
        if not enter_user_namespace():
            return done
        done.append("userns")
    if _libc.unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0:
        done.append("netns")
    if _libc.unshare(CLONE_NEWNS) == 0:
        if _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0:
            done.append("mountns")
            if scratch:
                opts = f"size={scratch_size},nr_inodes=4096,mode=0777".encode()
                if (
                    _libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts)
                    == 0
                ):
                    done.append("tmpfs-scratch")
    return done


# -- what this machine offers -------------------------------------------------------------------------------
def tool(name: str) -> str | None:
    return shutil.which(name)


def probe() -> dict:
    """Mechanisms available to workers started from this process (static checks only)."""
    root = os.geteuid() == 0
    info = {
        "platform": f"{sys.platform}-{platform.machine()}",
        "kernel": platform.release(),
        "root": root,
        "landlock_abi": landlock_abi() if sys.platform == "linux" else 0,
        "seccomp": sys.platform == "linux" and seccomp_available(),
        "cgroup": None,
        "uid_drop": False,
        "uid_drop_reason": "",
        "userns": sys.platform == "linux" and user_namespaces_allowed(),
        "bwrap": tool("bwrap"),
        "nsjail": tool("nsjail"),
    }
    if root and sys.platform == "linux":
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():
            info["cgroup"] = "v2"
        elif Path("/sys/fs/cgroup/memory").is_dir() and Path("/sys/fs/cgroup/pids").is_dir():
            info["cgroup"] = "v1"
        ok, why = readable_by_others(interpreter_paths(), cover=True)
        info["uid_drop"], info["uid_drop_reason"] = ok, why
    return info


def user_namespaces_allowed() -> bool:
    """Whether the sysctls let an unprivileged process create a user namespace (a hint: a
    security module may still refuse; the worker records what took effect)."""
    try:
        if int(Path("/proc/sys/user/max_user_namespaces").read_text()) == 0:
            return False
    except (OSError, ValueError):
        return False
    try:  # a Debian and Ubuntu switch; other kernels do not have it
        return Path("/proc/sys/kernel/unprivileged_userns_clone").read_text().strip() != "0"
    except OSError:
        return True


def interpreter_paths() -> list[str]:
    """Files the worker must read: the interpreter's prefixes and the import path."""
    # audited as it stands: the isolation core's imports are not moved without a review
    import sysconfig

    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    # audited as it stands: the isolation core's imports are not moved without a review
    import descent

    paths.add(str(Path(descent.__file__).resolve().parent))
    return sorted(str(Path(p).resolve()) for p in paths if os.path.exists(p))
