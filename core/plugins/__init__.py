"""Plugin system: base class, manager (discovery, order, hooks), run-time state, migrations."""
