"""Ctrl-C from Python's start in a student's pytest run (``descent.grading.early_interrupt`` and
the bundle's ``_descent-interrupt.pth``): one line and status 2 however early it comes, and any
other Python of that environment untouched. Without the ``.pth`` the handler came 0.3 s after
Python started, once pytest had imported itself, and a Ctrl-C before printed a traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import KIT

from descent.authoring.bundle import build_student_bundle
from descent.grading.early_interrupt import runs_pytest
from descent.grading.interrupt import INTERRUPTED, MESSAGE

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PTH = KIT / "src" / "descent" / "grading" / "_descent-interrupt.pth"

posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT with os.kill")

PYTEST_STARTS = [
    ["/home/s/.venv/bin/python", "/home/s/.venv/bin/pytest", "exercises/"],
    ["/usr/bin/python3", "/usr/local/bin/py.test", "-k", "relu"],  # Colab's `!py.test`
    ["python", "-m", "pytest", "exercises/"],
    ["python", "-mpytest"],
    ["python", "-X", "importtime", "-u", "-m", "pytest", "-q"],
    [r"C:\s\.venv\Scripts\python.exe", r"C:\s\.venv\Scripts\pytest.exe", "exercises/"],
    [r"C:\Python310\python.exe", r"C:\Python310\Scripts\pytest-script.py"],
]
OTHER_STARTS = [
    ["python"],
    ["python", "-c", "import pytest; pytest.main()"],
    ["python", "-m", "pip", "install", "pytest"],
    ["python", "-m", "pytest_cov"],
    ["python", "train.py", "--log", "pytest.txt"],
    ["python", "-W", "pytest", "train.py"],
    ["/home/s/pytest-course/.venv/bin/python", "-m", "descent", "check"],
]


@pytest.mark.parametrize("argv", PYTEST_STARTS, ids=lambda a: " ".join(a[1:]))
def test_a_pytest_start_is_one_and_the_pth_line_lets_it_through(argv):
    assert runs_pytest(argv)
    # the .pth line's own test, the only one every Python of the environment makes
    assert any("pytest" in a or "py.test" in a for a in argv[1:])


@pytest.mark.parametrize("argv", OTHER_STARTS, ids=lambda a: " ".join(a[1:]) or "repl")
def test_any_other_start_is_not(argv):
    assert not runs_pytest(argv)


def _environment(root: Path, descent_src: Path | None) -> Path:
    """A virtual environment at ``root`` that sees this one's packages (pytest, torch) but reads
    none of its ``.pth`` files, and ``descent`` from ``descent_src`` (None: installed by the
    caller). Returns its site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    bin_dir = root / ("Scripts" if sys.platform == "win32" else "bin")
    python = next(bin_dir.glob("python*"))
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    # a folder on sys.path, as a line of a .pth: the files in it are not read as .pth files
    (site_packages / "zz-this-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    if descent_src is not None:  # as an editable install of the bundle has it, before its .pth
        (site_packages / "__editable__.descent.pth").write_text(f"{descent_src}\n")
    return site_packages


def _pytest_script(root: Path, first_line: str = "") -> Path:
    """The environment's ``pytest`` as pip writes it, ``first_line`` run before pytest is
    imported."""
    script = root / "bin" / "pytest"
    script.write_text(
        f"#!{root / 'bin' / 'python'}\nimport sys\n{first_line}\n"
        "from pytest import console_main\nsys.exit(console_main())\n"
    )
    script.chmod(0o755)
    return script


CTRL_C_NOW = "import os, signal; os.kill(os.getpid(), signal.SIGINT)"


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # a terminal's foreground process: Python's own Ctrl-C handler, whatever this run inherited
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))},
    )  # fmt: skip


def _assert_one_line(run: subprocess.CompletedProcess) -> None:
    assert (run.returncode, run.stdout + run.stderr) == (INTERRUPTED, MESSAGE + "\n")


def _assert_ctrl_c_is_one_line_from_the_start(root: Path, site_packages: Path, cwd: Path) -> None:
    # while Python still reads the .pth files (after descent's, as another package's would)
    (site_packages / "zz-ctrl-c.pth").write_text(CTRL_C_NOW + "\n")
    _assert_one_line(_run([str(_pytest_script(root)), "-q"], cwd))
    (site_packages / "zz-ctrl-c.pth").unlink()
    # before pytest imports anything
    _assert_one_line(_run([str(_pytest_script(root, CTRL_C_NOW)), "-q"], cwd))


@posix_signals
def test_ctrl_c_before_pytest_imports_is_one_line(tmp_path):
    site_packages = _environment(tmp_path / "venv", KIT / "src")
    shutil.copy(PTH, site_packages / PTH.name)
    _assert_ctrl_c_is_one_line_from_the_start(tmp_path / "venv", site_packages, tmp_path)


ANOTHER_PYTHON = (
    "import signal, sys; "
    "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
    "sorted(m for m in sys.modules if m.startswith('descent')))"
)


def _assert_another_python_is_untouched(root: Path, cwd: Path) -> None:
    run = _run([str(root / "bin" / "python"), "-c", ANOTHER_PYTHON], cwd)
    assert (run.returncode, run.stdout, run.stderr) == (0, "True []\n", "")


@posix_signals
def test_another_python_of_the_environment_is_untouched(tmp_path):
    site_packages = _environment(tmp_path / "venv", KIT / "src")
    shutil.copy(PTH, site_packages / PTH.name)
    _assert_another_python_is_untouched(tmp_path / "venv", tmp_path)


@posix_signals
@pytest.mark.parametrize("editable", [True, False], ids=["pip install -e .", "pip install ."])
@pytest.mark.slow(reason="pip builds and installs a whole student bundle, 5 to 10 s each")
def test_installing_the_bundle_installs_the_pth(tmp_path, editable):
    """The bundle's setup.py puts the .pth in site-packages both ways; pip builds with this
    environment's setuptools (no index: --no-build-isolation), as a student's pip would with
    the newest."""
    bundle = build_student_bundle(KIT, tmp_path / "student")
    site_packages = _environment(tmp_path / "venv", None)
    install = [sys.executable, "-m", "pip", "--python", str(tmp_path / "venv" / "bin" / "python")]
    proc = subprocess.run(
        [*install, "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         *(["-e"] if editable else []), str(bundle)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site_packages / PTH.name).read_text() == PTH.read_text()
    _assert_ctrl_c_is_one_line_from_the_start(tmp_path / "venv", site_packages, bundle)
    _assert_another_python_is_untouched(tmp_path / "venv", bundle)
    proc = subprocess.run([*install, "uninstall", "--yes", "--quiet", "descent"], timeout=120)
    assert proc.returncode == 0 and not (site_packages / PTH.name).exists()
