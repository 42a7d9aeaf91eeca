"""setup.cfg lists packages explicitly (find: does not follow package_dir): keep the list complete.

A folder with __init__.py that is missing from `packages =` works in the editable install of a
developer but is silently left out of the wheel a customer installs.
"""
import configparser
import glob
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every folder with __init__.py counts, plugin test folders included (they import as
# kehu_plugins.<name>.tests); only caches are ignored.
SKIP_PARTS = {"__pycache__"}


def _setup_cfg():
    parser = configparser.ConfigParser(interpolation=None)
    assert parser.read(ROOT / "setup.cfg", encoding="utf-8"), "setup.cfg not found"
    return parser


def _lines(value):
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def _package_dir(parser):
    mapping = {}
    for line in _lines(parser["options"]["package_dir"]):
        name, _, folder = line.partition("=")
        mapping[name.strip()] = folder.strip()
    return mapping


def _declared_packages(parser):
    return set(_lines(parser["options"]["packages"]))


def _folder_of(package, package_dir):
    """kehu.web -> core/web, using the longest package_dir prefix."""
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in package_dir:
            return ROOT / package_dir[prefix] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def test_package_dir_maps_the_three_trees():
    assert _package_dir(_setup_cfg()) == {"kehu": "core", "kehu_sdk": "sdk", "kehu_plugins": "plugins"}


def test_every_package_folder_is_listed():
    parser = _setup_cfg()
    package_dir = _package_dir(parser)
    declared = _declared_packages(parser)
    missing = []
    for import_name, folder in package_dir.items():
        base = ROOT / folder
        for init in sorted(base.rglob("__init__.py")):
            relative = init.parent.relative_to(base)
            if SKIP_PARTS & set(relative.parts):
                continue
            package = ".".join((import_name, *relative.parts))
            if package not in declared:
                missing.append(f"{package} ({init.parent.relative_to(ROOT)})")
    assert not missing, ("setup.cfg [options] packages is missing: " + ", ".join(missing)
                         + " — add them, or they are left out of the wheel")


def test_every_listed_package_exists():
    parser = _setup_cfg()
    package_dir = _package_dir(parser)
    absent = [f"{package} (expected {_folder_of(package, package_dir).relative_to(ROOT)}/__init__.py)"
              for package in sorted(_declared_packages(parser))
              if not (_folder_of(package, package_dir) / "__init__.py").is_file()]
    assert not absent, "setup.cfg [options] packages lists packages that do not exist: " + ", ".join(absent)


def _package_data_covers(parser, package_dir, path: Path) -> bool:
    """True when a package_data pattern ships ``path`` (setuptools globs relative to the package)."""
    path = path.resolve()
    for package, patterns in parser["options.package_data"].items():
        folder = _folder_of(package, package_dir)
        if folder.resolve() not in path.parents:
            continue
        for pattern in _lines(patterns):
            if path in {Path(p).resolve() for p in glob.glob(str(folder / pattern), recursive=True)}:
                return True
    return False


@pytest.mark.parametrize("pattern", [
    "core/customers/data/gb2260.json",
    "core/*/templates/*/*.html",
    "core/migrations/versions/*.py",
    "core/web/templates/*.html",
])
def test_package_data_covers(pattern):
    parser = _setup_cfg()
    package_dir = _package_dir(parser)
    files = sorted(Path(p) for p in glob.glob(str(ROOT / pattern)))
    assert files, f"no file matches {pattern}"
    uncovered = [str(f.relative_to(ROOT)) for f in files if not _package_data_covers(parser, package_dir, f)]
    assert not uncovered, "setup.cfg [options.package_data] does not ship: " + ", ".join(uncovered)
