"""The package's map as data (``descent.diagnoses.package_map``): one row for each module of
``descent.diagnoses``, from which ``descent docs`` makes the docs' table and the package's map."""

from __future__ import annotations

from pathlib import Path

from descent.diagnoses import package_map

DIAGNOSES = Path(package_map.__file__).parent


def test_the_list_of_modules_names_each_module_of_the_package_once():
    """``package_map.MODULES`` is the one list of diagnoses: every module of the package, once,
    each text one line."""
    names = [module.name for module in package_map.MODULES]
    files = sorted(p.stem for p in DIAGNOSES.glob("*.py") if p.stem != "__init__")
    assert sorted(names) == files and len(names) == len(set(names))
    for module in package_map.MODULES:
        texts = (module.reads, module.summary, module.names)
        assert all(t.strip() and "\n" not in t for t in texts), module.name
