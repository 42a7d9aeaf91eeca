"""Importing customers from spreadsheets: readers, mapping, cleaning, dry run, run, undo."""
