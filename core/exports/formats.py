"""The file formats of an export: core's xlsx and csv, and those plugins add (hook ``export_formats``).

A format's writer gets the column titles, an iterator of rows (lists of cell values in column order:
text, a number, or None for an empty cell) and a binary file; it streams, never holding all rows.
Text cells reach it neutralized (``neutralize``) unless the format says it is no spreadsheet.
"""
import csv
import io
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Iterator

import xlsxwriter
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one, after a
# tab or line break); OWASP ASVS 5.0 1.2.10 names them, NUL included.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
MAX_XLSX_TEXT = 32_767  # Excel's limit for one cell
MAX_WIDTH = 60


@dataclass(frozen=True)
class ExportFormat:
    """What the ``export_formats()`` hook returns, one per format.

    ``name`` is the key clients pass as ``format`` (lower-case letters, digits, ``_``); ``title`` is shown
    on the export page; ``extension`` (without the dot) and ``mimetype`` name the file.
    ``write(titles, rows, stream)`` writes the file: ``titles`` the column titles in the user's
    language, ``rows`` an iterator of cell lists, ``stream`` a binary file. ``neutralize``: text cells
    that a spreadsheet would run as a formula get a leading ``'``; turn it off only for a format no
    spreadsheet opens (JSON, say).
    """

    name: str
    title: str
    extension: str
    mimetype: str
    write: Callable[[list[str], Iterator[list], BinaryIO], None]
    neutralize: bool = True


def neutralize(value):
    """``value`` safe to open in a spreadsheet: text starting like a formula gets a leading ``'``
    (numbers cannot carry a formula and stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralized(rows: Iterable[list]) -> Iterator[list]:
    """``neutralize`` on every cell, written out: it runs for each of a million cells."""
    for row in rows:
        yield ["'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value for value in row]


def write_xlsx(titles: list[str], rows: Iterator[list], stream: BinaryIO) -> None:
    """One sheet, streamed (XlsxWriter's constant_memory: a row is written out before the next one);
    text is written as text, never as a formula or a number (``write_string``). XlsxWriter's temporary
    files go to the export folder, not to a /tmp other users of the machine can read."""
    book = xlsxwriter.Workbook(stream, {"constant_memory": True, "tmpdir": current_app.config["KEHU_EXPORT_DIR"]})
    sheet = book.add_worksheet(_("客户")[:31])
    header = book.add_format({"bold": True, "bg_color": "#E9EEF6", "border": 1})
    for column, title in enumerate(titles):
        sheet.set_column(column, column, min(max(len(title) * 2 + 2, 10), MAX_WIDTH))
        sheet.write_string(0, column, title, header)
    sheet.freeze_panes(1, 0)
    last_row = 0
    for last_row, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(last_row, column, value)
            else:
                sheet.write_string(last_row, column, str(value)[:MAX_XLSX_TEXT])
    if titles:
        sheet.autofilter(0, 0, max(last_row, 1), len(titles) - 1)
    book.close()


def write_csv(titles: list[str], rows: Iterator[list], stream: BinaryIO) -> None:
    """RFC 4180 CSV in UTF-8 with a byte order mark (``utf-8-sig``): Excel on Chinese Windows reads it
    as UTF-8 instead of GBK only with the mark."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(titles)
        writer.writerows(["" if value is None else value for value in row] for row in rows)
    finally:
        text.flush()
        text.detach()  # the caller closes the file


CORE_FORMATS = (
    ExportFormat("xlsx", _l("Excel 表格（.xlsx）"), "xlsx", XLSX_MIMETYPE, write_xlsx),
    ExportFormat("csv", _l("CSV（UTF-8，Excel 可直接打开）"), "csv", CSV_MIMETYPE, write_csv),
)


def available_formats() -> dict[str, ExportFormat]:
    """``{name: format}``: core's, then the enabled plugins' in hook order (on a clash of names the first wins)."""
    found = {f.name: f for f in CORE_FORMATS}
    for contributed in current_app.extensions["kehu_plugins"].hook("export_formats")():
        for offered in contributed or []:
            if isinstance(offered, ExportFormat):
                found.setdefault(offered.name, offered)
    return found
