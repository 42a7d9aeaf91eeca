"""Version checks and deprecation for plugin code.

``API_VERSION`` is the REST API's version segment (``/api/v1``). ``CORE_VERSION`` is the running
kehu. The plugin manager already refuses a plugin whose ``requires_core`` does not match; use
``require_core`` for finer checks at run time (e.g. before using a newer facility).
"""
import functools
import warnings

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from kehu import __version__ as CORE_VERSION
from kehu.plugins.manager import PluginError

API_VERSION = "v1"


class CoreVersionError(PluginError):
    """The running kehu core does not satisfy a version requirement."""


class KehuDeprecationWarning(DeprecationWarning):
    """A ``kehu_sdk`` name that still works but will be removed; the message names its replacement."""


def core_satisfies(spec: str) -> bool:
    """True when the running core matches the PEP 440 specifier ``spec`` (e.g. ``">=0.1,<0.3"``)."""
    try:
        return CORE_VERSION in SpecifierSet(spec)
    except InvalidSpecifier:
        raise CoreVersionError(f"{spec!r} is not a version specifier") from None


def require_core(spec: str) -> None:
    """Raise ``CoreVersionError`` unless the running core matches ``spec``."""
    if not core_satisfies(spec):
        raise CoreVersionError(f"needs kehu {spec}, this is {CORE_VERSION}")


def warn_deprecated(name: str, alternative: str, removed_in: str | None = None, stacklevel: int = 3) -> None:
    until = f" and will be removed in {removed_in}" if removed_in else ""
    warnings.warn(f"{name} is deprecated{until}; use {alternative}", KehuDeprecationWarning,
                  stacklevel=stacklevel)


def deprecated(name: str, alternative: str, removed_in: str | None = None):
    """Decorator: calling the function (or class) warns that ``name`` is deprecated for ``alternative``.

    kehu_sdk deprecates a name for at least one minor release before removing it.
    """
    def decorator(obj):
        @functools.wraps(obj)
        def wrapper(*args, **kwargs):
            warn_deprecated(name, alternative, removed_in)
            return obj(*args, **kwargs)
        return wrapper
    return decorator


__all__ = ["API_VERSION", "CORE_VERSION", "CoreVersionError", "KehuDeprecationWarning", "core_satisfies",
           "deprecated", "require_core", "warn_deprecated"]
