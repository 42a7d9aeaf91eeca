"""Test plugin exercising every part of the plugin contract core offers."""
