"""docs/plugins.md documents every hook, every core signal and every testing fixture, with an example."""
import ast
import inspect
import re
from pathlib import Path

import pytest

from kehu.plugins import hookspecs
from kehu_sdk import testing
from kehu_sdk.signals import CORE_SIGNALS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """``### heading`` -> its text up to the next heading; the key is the heading's first word."""
    found = {}
    for match in re.finditer(r"^### (\w+)[^\n]*\n(.*?)(?=^#{2,3} |\Z)", DOC, re.M | re.S):
        found[match.group(1)] = match.group(2)
    return found


HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
               if hasattr(fn, "kehu_spec"))
FIXTURES = sorted(node.name for node in ast.walk(ast.parse(Path(testing.__file__).read_text(encoding="utf-8")))
                  if isinstance(node, ast.FunctionDef)
                  and any("fixture" in ast.unparse(d) for d in node.decorator_list))


def test_the_lists_are_not_empty():
    assert len(HOOKS) >= 20 and len(CORE_SIGNALS) >= 8 and "client_as_role" in FIXTURES


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_with_an_example(hook):
    section = sections().get(hook)
    assert section is not None, f"docs/plugins.md has no '### {hook}(...)' section"
    assert "@hookimpl" in section and f"def {hook}(self" in section, f"the {hook} section needs an example"


def test_every_core_signal_is_a_core_signal_and_has_a_section_with_an_example():
    from kehu.plugins import signals as core_signals
    defined = {name for name, value in vars(core_signals).items() if value.__class__.__name__ == "NamedSignal"}
    assert defined == set(CORE_SIGNALS), "kehu_sdk.signals.CORE_SIGNALS must list every core signal"
    for name in CORE_SIGNALS:
        section = sections().get(name)
        assert section is not None, f"docs/plugins.md has no '### {name}' section"
        assert "```python" in section, f"the {name} section needs an example"


@pytest.mark.parametrize("fixture", FIXTURES)
def test_every_fixture_is_documented(fixture):
    assert f"`{fixture}" in DOC, f"fixture {fixture} is not documented in docs/plugins.md"
