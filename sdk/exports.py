"""Export formats for plugin code (hook ``export_formats``): what a format is, and the neutralizing of
cells core applies before a format's writer sees them (``neutralize``, for a writer that adds cells)."""
from kehu.exports.formats import ExportFormat, neutralize

__all__ = ["ExportFormat", "neutralize"]
