"""The worker's syscall filter: a hand-assembled classic-BPF program (x86_64), no root needed.

What it refuses, and why, is in docs/explanation/isolation/ (confinement.md, files.md,
processes.md): the lists below are those tables.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
from pathlib import Path

from .syscalls import NR, PR_SET_NO_NEW_PRIVS, X86_64
from .syscalls import libc as _libc

AUDIT_ARCH_X86_64 = 0xC000003E
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
BPF_RSH_K = 0x74
_LOW_29 = 0xFFFFFFFF >> 3
CLONE_THREAD = 0x00010000
TIOCSTI = 0x5412

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
