"""`kehu plugin new NAME` writes a package that installs with pip and passes its own tests unchanged."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kehu.cli import cli

HERE = Path(__file__).parent


def _core_imports():
    spec = importlib.util.spec_from_file_location("plugin_imports_check", HERE / "test_plugin_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.core_imports


def new_plugin(name, parent):
    return CliRunner().invoke(cli, ["plugin", "new", name, "--dir", str(parent)])


@pytest.mark.parametrize("name, message", [
    ("Farm", "lowercase"), ("9farm", "lowercase"), ("farm-visits", "lowercase"), ("x", "lowercase"),
    ("customers", "reserved"), ("webhooks", "reserved"), ("sample", "installed already"),
])
def test_names_are_checked(tmp_path, name, message):
    result = new_plugin(name, tmp_path)
    assert result.exit_code != 0
    assert message in result.output
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "kehu-plugin-farm-visits").mkdir()
    result = new_plugin("farm_visits", tmp_path)
    assert result.exit_code != 0 and "exists already" in result.output


def test_the_new_plugin_installs_with_pip_and_passes_its_own_tests(tmp_path):
    result = new_plugin("farm_visits", tmp_path)
    assert result.exit_code == 0, result.output
    project = tmp_path / "kehu-plugin-farm-visits"
    sources = sorted(project.rglob("*.py"))
    assert {p.relative_to(project).as_posix() for p in sources} >= {
        "kehu_plugin_farm_visits/__init__.py", "kehu_plugin_farm_visits/plugin.py",
        "kehu_plugin_farm_visits/models.py", "kehu_plugin_farm_visits/tasks.py",
        "kehu_plugin_farm_visits/migrations/env.py",
        "kehu_plugin_farm_visits/migrations/versions/0001_farm_visits_note.py", "tests/test_farm_visits.py"}
    core_imports = _core_imports()
    assert not {p.name: found for p in sources if (found := core_imports(p.read_text(encoding="utf-8")))}
    assert 'farm_visits = "kehu_plugin_farm_visits.plugin:FarmVisitsPlugin"' in (project / "pyproject.toml").read_text()

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(site), str(project)],
                   check=True, capture_output=True, text=True, timeout=120)
    assert (site / "kehu_plugin_farm_visits" / "migrations" / "versions" / "0001_farm_visits_note.py").is_file()
    assert (site / "kehu_plugin_farm_visits" / "templates" / "farm_visits" / "panel.html").is_file()

    # -P: the tests import the installed copy in site/, not the source folder they run in
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-P", "-m", "pytest", "-q"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "8 passed" in run.stdout


def test_the_templates_ship_in_the_wheel():
    spec = importlib.util.spec_from_file_location("packaging_check", HERE.parent / "architecture" / "test_packaging.py")
    packaging_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(packaging_check)
    parser = packaging_check._setup_cfg()
    package_dir = packaging_check._package_dir(parser)
    templates = [p for p in (HERE.parents[1] / "core" / "plugins" / "scaffold" / "plugin").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    assert len(templates) >= 12
    uncovered = [str(p) for p in templates if not packaging_check._package_data_covers(parser, package_dir, p)]
    assert not uncovered, f"setup.cfg [options.package_data] does not ship: {uncovered}"
