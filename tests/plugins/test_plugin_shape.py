"""Every plugin has the one folder shape (docs/architecture.md), and so does what ``kehu plugin new`` writes.

``plugin.py`` holds the class and its hooks only; beside it only the files and folders that mean in a
plugin what they mean in core. The loader imports ``models.py`` and ``tasks.py`` by convention, so
``plugin.py`` imports neither for its side effects.
"""
import ast
from pathlib import Path

import pytest

from kehu.plugins.scaffold import create_plugin

ROOT = Path(__file__).resolve().parents[2]
FILES = {"__init__.py", "plugin.py", "models.py", "schemas.py", "service.py", "api.py", "views.py", "tasks.py"}
FOLDERS = {"templates", "migrations", "data", "tests", "service"}
# a family of one kind of thing may be a sub-package
FAMILIES = {"providers", "adapters"}
IGNORED = {"__pycache__"}


def plugin_packages() -> list[Path]:
    found = [p for p in sorted((ROOT / "plugins").iterdir()) if (p / "plugin.py").exists()]
    found += [p.parent for p in sorted((ROOT / "examples").glob("*/*/plugin.py"))]
    return found


def shape_problems(package: Path) -> list[str]:
    problems = []
    for entry in sorted(package.iterdir()):
        name = entry.name
        if name in IGNORED or name.endswith(".egg-info"):
            continue
        if entry.is_file() and name not in FILES:
            problems.append(f"{name}: not a file of the plugin shape ({', '.join(sorted(FILES))})")
        elif entry.is_dir() and name not in FOLDERS | FAMILIES:
            problems.append(f"{name}/: not a folder of the plugin shape ({', '.join(sorted(FOLDERS | FAMILIES))})")
        elif entry.is_dir() and name in FAMILIES | {"service"} and not (entry / "__init__.py").exists():
            problems.append(f"{name}/: a sub-package needs __init__.py")
    if (package / "service.py").exists() and (package / "service").exists():
        problems.append("service.py and service/: one or the other")
    if (package / "migrations").exists() and not (package / "migrations" / "versions").is_dir():
        problems.append("migrations/ without versions/")
    templates = package / "templates"
    if templates.exists():
        stray = [p.name for p in templates.iterdir() if p.name not in IGNORED and not p.is_dir()]
        if stray:
            problems.append(f"templates/ holds {stray}: keep them in templates/<plugin>/")
    problems += _plugin_py_problems(package / "plugin.py")
    return problems


def _plugin_py_problems(path: Path) -> list[str]:
    """The module: a docstring, imports, constants and one Plugin class whose body is attributes and
    ``@hookimpl`` methods (plus the few a plugin class may define, such as ``__init__``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems, classes = [], []
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.asname or a.name for a in node.names]
            module = getattr(node, "module", None) or ""
            imports_convention = module.endswith((".models", ".tasks")) or any(
                a.name in ("models", "tasks") for a in node.names)
            if imports_convention and not any(n in used for n in names):
                problems.append("plugin.py imports models/tasks only for their side effects: the loader "
                                "imports them by convention")
        elif isinstance(node, ast.ClassDef):
            classes.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            continue
        else:
            problems.append(f"plugin.py line {node.lineno}: only imports, constants and the plugin class belong here")
    if len(classes) != 1:
        problems.append(f"plugin.py defines {len(classes)} classes; it holds the one plugin class")
    for cls in classes:
        for item in cls.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decorators = {ast.unparse(d).split("(")[0] for d in item.decorator_list}
                if not decorators & {"hookimpl", "property", "staticmethod"} and item.name != "__init__":
                    problems.append(f"plugin.py: {cls.name}.{item.name} is not a hook (@hookimpl)")
            elif not isinstance(item, (ast.Assign, ast.AnnAssign, ast.Expr)):
                problems.append(f"plugin.py line {item.lineno}: the class holds attributes and hooks only")
    return problems


def test_there_are_plugins_to_check():
    names = {p.name for p in plugin_packages()}
    assert {"erp", "industry", "sms", "kehu_plugin_delivery"} <= names


@pytest.mark.parametrize("package", plugin_packages(), ids=lambda p: p.name)
def test_every_plugin_has_the_shape(package):
    assert shape_problems(package) == []


def test_kehu_plugin_new_writes_the_shape(tmp_path):
    target = create_plugin("shape_check", tmp_path)
    [package] = [p for p in target.iterdir() if (p / "plugin.py").exists()]
    assert shape_problems(package) == []


def test_the_check_catches_a_loose_module(tmp_path):
    package = tmp_path / "loose"
    package.mkdir()
    (package / "plugin.py").write_text("from kehu_plugins.loose import models  # noqa\n\n\ndef helper():\n"
                                       "    pass\n\n\nclass LoosePlugin:\n    def helper(self):\n        pass\n")
    (package / "campaigns.py").write_text("")
    problems = shape_problems(package)
    assert any("campaigns.py" in p for p in problems)
    assert any("side effects" in p for p in problems)
    assert any("only imports, constants" in p for p in problems)
    assert any("LoosePlugin.helper is not a hook" in p for p in problems)
