"""Plugins import only kehu_sdk: the layering rule that keeps core free to change.

Walks every .py file under plugins/ and examples/ (the AST, so strings and comments do not count).
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("plugins", "examples")


def core_imports(source: str) -> list[str]:
    """The ``kehu``/``kehu.x`` imports in ``source`` (kehu_sdk and kehu_plugins are not core)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names if name == "kehu" or name.startswith("kehu.")]
    return found


def python_files():
    return sorted(p for tree in TREES if (ROOT / tree).is_dir()
                  for p in (ROOT / tree).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("source, expected", [
    ("import kehu", ["line 1: kehu"]),
    ("import os, kehu.models as m", ["line 1: kehu.models"]),
    ("from kehu import db", ["line 1: kehu"]),
    ("from kehu.plugins.base import Plugin", ["line 1: kehu.plugins.base"]),
    ("def f():\n    from kehu.extensions import db", ["line 2: kehu.extensions"]),
    ("import kehu_sdk\nfrom kehu_sdk.db import db\nfrom kehu_plugins.sms import plugin\nimport kehuish", []),
    ("from . import kehu", []),
    ("x = 'import kehu'  # from kehu import db", []),
])
def test_core_imports_are_recognised(source, expected):
    assert core_imports(source) == expected


def test_plugins_and_examples_import_only_the_sdk():
    files = python_files()
    assert any(p.relative_to(ROOT).parts[0] == "plugins" for p in files)
    offenders = {str(p.relative_to(ROOT)): found for p in files
                 if (found := core_imports(p.read_text(encoding="utf-8")))}
    assert not offenders, f"plugins must import kehu_sdk, not kehu: {offenders}"
