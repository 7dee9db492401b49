"""The namespaces a worker makes for itself, with and without a user namespace.

Each case runs in a forked child (namespaces cannot be left again), which reports back as JSON.
"""

from __future__ import annotations

import errno
import os
import socket

import pytest

from descent.isolation import confinement, namespaces, privileges

from .forked import in_child

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or not os.path.exists("/proc/self/ns"), reason="Linux namespaces only"
)


def _cap_eff() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return -1


def _confined_view(scratch: str, port: int, user: bool) -> dict:
    done = namespaces.unshare_namespaces(scratch, 1 << 20, user=user)
    if "userns" in done or os.geteuid() == 0:
        privileges.drop_capabilities()
    out: dict = {"done": done, "cap_eff": _cap_eff()}
    try:
        with open(os.path.join(scratch, "big.bin"), "wb") as f:
            f.write(b"x" * (2 << 20))
        out["write_2mib"] = "allowed"
    except OSError as exc:
        out["write_2mib"] = errno.errorcode.get(exc.errno, str(exc.errno))
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        out["connect"] = "allowed"
    except OSError as exc:
        out["connect"] = errno.errorcode.get(exc.errno, type(exc).__name__)
    return out


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.skipif(
    not confinement.user_namespaces_allowed(),
    reason="this kernel refuses unprivileged user namespaces",
)
def test_a_user_namespace_gives_network_and_scratch_limits_without_root(tmp_path, listener):
    report = in_child(lambda _: _confined_view(str(tmp_path), listener, user=True))
    if report.get("done") == []:
        pytest.skip("a security module refused the user namespace here")
    assert report["done"] == ["userns", "netns", "mountns", "tmpfs-scratch"], report
    assert report["cap_eff"] == 0, report  # nothing kept inside it either
    assert report["write_2mib"] == "ENOSPC", report  # the 1 MiB tmpfs is full
    assert report["connect"] in ("ENETUNREACH", "ECONNREFUSED", "EPERM"), report
    # The tmpfs lived in the child's mount namespace: nothing reached the real directory.
    assert list(tmp_path.iterdir()) == []


def test_without_a_user_namespace_only_root_gets_namespaces(tmp_path):
    report = in_child(lambda _: {"done": namespaces.unshare_namespaces(str(tmp_path), 1 << 20)})
    if os.geteuid() == 0:
        assert report["done"] == ["netns", "mountns", "tmpfs-scratch"], report
    else:
        assert report["done"] == [], report
