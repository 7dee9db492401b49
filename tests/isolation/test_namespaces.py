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


@pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)
def test_the_mode_goes_without_a_user_namespace_that_breaks_the_probe(monkeypatch):
    from descent.isolation.manager import IsolationManager, Settings

    manager = IsolationManager(Settings(unprivileged=True))
    try:
        real = manager._probe
        tried = []

        def probe(userns):
            tried.append(userns)
            return {"error": "simulated: uid_map refused"} if userns else real(False)

        monkeypatch.setattr(manager, "_probe", probe)
        info = manager.mode()
        assert tried == [True, False]
        assert info["mode"] == "landlock+seccomp" and info["userns"] is False
        assert "userns" not in info["probe"]["applied"]
        assert manager.base_config()["userns"] is False
    finally:
        manager.close()


@pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)
def test_the_probe_is_asked_once_per_configuration():
    """A second configuration gets its own answer (the fallback above needs one without a user
    namespace after one with), and the same configuration asked again is not probed again."""
    from descent.isolation.manager import IsolationManager

    manager = IsolationManager()
    try:
        confined = dict(manager.base_config(), userns=False)
        loose = dict(confined, confine=False)
        server = manager.server
        assert server.probe(confined)["read_outside"].startswith("blocked")
        assert server.probe(loose)["read_outside"] == "allowed"
        assert server.probe(confined)["read_outside"].startswith("blocked")
    finally:
        manager.close()


def test_the_fork_server_forks_one_probe_child_per_configuration(monkeypatch):
    """A server lent to one grading after another answers a repeated probe from what it
    found the first time, without forking another probe child."""
    import json

    from descent.isolation import server

    forked = []
    monkeypatch.setattr(server, "probe_child", lambda config: forked.append(config) or {"ok": 1})
    probes: dict = {}

    def ask(config: dict) -> dict:
        message = json.dumps({"op": "probe", "config": config}).encode()
        return server._answer(None, message, [], {}, {}, {}, probes)

    assert ask({"userns": True}) == ask({"userns": True}) == {"probe": {"ok": 1}}
    ask({"userns": False})
    assert [c["userns"] for c in forked] == [True, False]
