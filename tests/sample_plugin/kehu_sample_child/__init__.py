"""Test plugin that requires ``sample`` (dependency order, enable/disable rules)."""
