"""``kehu plugin new NAME``: writes an installable plugin package from the templates in ``plugin/``.

In paths the word ``PLUGIN`` becomes the plugin name; files ending ``.jinja`` are rendered (and lose
the suffix), other files are copied as they are (plugin templates use Jinja syntax themselves).
"""
from importlib.metadata import entry_points
from pathlib import Path

from jinja2 import Environment, StrictUndefined

import kehu
from kehu.plugins.manager import ENTRY_POINT_GROUP
from kehu.plugins.naming import check_plugin_name

TEMPLATE_ROOT = Path(__file__).with_name("plugin")
class ScaffoldError(Exception):
    """The plugin cannot be created as asked; the message says why."""


def _context(name: str) -> dict:
    return {
        "name": name,
        "dist_name": name.replace("_", "-"),
        "class_name": "".join(part.capitalize() for part in name.split("_")) + "Plugin",
        "core_version": kehu.__version__,
    }


def create_plugin(name: str, parent: Path) -> Path:
    """Write ``parent/kehu-plugin-<name>/`` and return it."""
    try:
        check_plugin_name(name)
    except ValueError as exc:
        raise ScaffoldError(str(exc)) from None
    installed = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name in installed:
        raise ScaffoldError(f"a plugin named {name!r} is installed already")
    context = _context(name)
    target = Path(parent) / f"kehu-plugin-{context['dist_name']}"
    if target.exists():
        raise ScaffoldError(f"{target} exists already")
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    for source in sorted(TEMPLATE_ROOT.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = str(source.relative_to(TEMPLATE_ROOT)).replace("PLUGIN", name)
        destination = target / relative.removesuffix(".jinja")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".jinja":
            destination.write_text(env.from_string(source.read_text(encoding="utf-8")).render(context),
                                   encoding="utf-8")
        else:
            destination.write_bytes(source.read_bytes())
    return target
