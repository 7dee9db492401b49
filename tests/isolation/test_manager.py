"""Picking the confinement mode (:mod:`descent.isolation.manager`): the probe asked once per
configuration, and a user namespace that breaks the probe left out."""

from __future__ import annotations

import pytest

from descent.isolation import confinement


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
