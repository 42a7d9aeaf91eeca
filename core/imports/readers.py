"""Reading an uploaded sheet (.xlsx, .xls, .csv) into rows of text, within limits that keep a hostile
file from taking the server down (OWASP ASVS 5.2.3).

The kind of file is told by its first bytes, not by its name: a zip is an .xlsx, an OLE2 compound file
an .xls, anything else must decode as text to be a CSV. Spreadsheets are read with python-calamine
(the cached value of a formula is read, a formula is never evaluated); CSV text encodings are detected
with charset-normalizer (GBK files are read as GB18030, its superset) and the delimiter with
``csv.Sniffer``. Every cell comes back as a string: a number typed into a phone column (13853712345.0)
as its digits, a date cell as ISO ``YYYY-MM-DD``.
"""
import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import charset_normalizer
import python_calamine
from flask_babel import gettext as _

MAX_BYTES = 30 * 1024 * 1024        # an upload larger than this is refused before it is read
MAX_ROWS = 200_000                   # rows of data in one import (a sheet can hold 1,048,576)
MAX_COLUMNS = 200
MAX_CELLS = 4_000_000
MAX_UNZIPPED = 400 * 1024 * 1024    # what an .xlsx may expand to in all
MAX_RATIO = 200                      # a part compressed more than this is a zip bomb, not a sheet
ZIP, OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CSV_DELIMITERS = ",;\t|"


class FileRefused(ValueError):
    """The file cannot be imported; the message says why, in the user's language."""


@dataclass
class Table:
    """A sheet read as text: ``rows`` are lists of cell strings, ``lines[i]`` is the line number (1-based,
    as the user's spreadsheet shows it) of ``rows[i]``; fully empty rows are left out."""
    kind: str                      # xlsx | xls | csv
    rows: list[list[str]]
    lines: list[int]
    encoding: str | None = None    # csv only
    delimiter: str | None = None   # csv only
    sheet: str | None = None       # the sheet read (the first one)
    notes: list[str] = field(default_factory=list)  # what the reader did that the user should know


def read_table(data: bytes) -> Table:
    """The first sheet of ``data`` as text rows; FileRefused when it is empty, too large or not a sheet."""
    if not data or not data.strip():
        raise FileRefused(_("文件是空的"))
    if len(data) > MAX_BYTES:
        raise FileRefused(_("文件太大：最大 %(mb)s MB", mb=MAX_BYTES // (1024 * 1024)))
    if data.startswith(ZIP):
        _check_zip(data)
        return _read_workbook(data, "xlsx")
    if data.startswith(OLE2):
        return _read_workbook(data, "xls")
    return _read_csv(data)


def _check_zip(data: bytes) -> None:
    """Refuse an archive that expands beyond the limits, before calamine opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise FileRefused(_("文件已损坏，无法作为 Excel 工作簿打开")) from None
    total = sum(p.file_size for p in parts)
    packed = max(sum(p.compress_size for p in parts), 1)
    if total > MAX_UNZIPPED or total / packed > MAX_RATIO:
        raise FileRefused(_("工作簿解压后过大（可能是压缩炸弹），已拒绝"))
    if not any(p.filename.startswith("xl/worksheets/") for p in parts):
        raise FileRefused(_("这不是 Excel 工作簿（.xlsx）"))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_workbook(data: bytes, kind: str) -> Table:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise FileRefused(_("工作簿里没有工作表"))
        sheet = workbook.get_sheet_by_index(0)
        if sheet.total_height > MAX_ROWS + 50:
            raise FileRefused(_("行数太多：一次最多导入 %(rows)s 行，请分成几个文件", rows=f"{MAX_ROWS:,}"))
        if sheet.total_width > MAX_COLUMNS or sheet.total_height * sheet.total_width > MAX_CELLS:
            raise FileRefused(_("工作表太大：最多 %(columns)s 列、%(cells)s 个单元格",
                                columns=MAX_COLUMNS, cells=f"{MAX_CELLS:,}"))
        merged = sheet.merged_cell_ranges or []
        raw = sheet.to_python(skip_empty_area=False)
    except FileRefused:
        raise
    except Exception:  # calamine raises its own errors for every kind of broken file
        raise FileRefused(_("文件已损坏，或不是 Excel 工作簿")) from None
    grid = [[_cell_text(v) for v in row] for row in raw]
    notes = []
    if merged:
        _fill_merged(grid, merged)
        notes.append(_("合并的单元格已按其值填满每一格"))
    rows, lines = [], []
    for index, row in enumerate(grid):
        if any(row):
            rows.append(row)
            lines.append(index + 1)  # skip_empty_area=False: the grid starts at A1
    return Table(kind, rows, lines, sheet=workbook.sheet_names[0], notes=notes)


def _fill_merged(grid, merged) -> None:
    """A merged range shows its value in every cell it covers (a customer's name merged over its contacts' rows)."""
    for (top, left), (bottom, right) in merged:
        if top >= len(grid) or left >= len(grid[top]):
            continue
        value = grid[top][left]
        for r in range(top, min(bottom, len(grid) - 1) + 1):
            for c in range(left, min(right, len(grid[r]) - 1) + 1):
                grid[r][c] = value


def _decoded(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data[:4096].count(b"\x00") > 0:  # UTF-16 text or a binary file: neither is a CSV a user saves
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "utf-16"
        raise FileRefused(_("这不是表格文件：请上传 .xlsx、.xls 或 .csv"))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:256 * 1024]).best()
    if best is None:
        raise FileRefused(_("无法识别文件的文字编码：请另存为 UTF-8 或 GBK 编码的 CSV"))
    encoding = best.encoding.lower().replace("-", "_")
    if encoding in ("gbk", "gb2312", "gb18030", "hz", "cp936"):
        encoding = "gb18030"  # a superset: characters outside GBK that Excel wrote still decode
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        raise FileRefused(_("无法识别文件的文字编码：请另存为 UTF-8 或 GBK 编码的 CSV")) from None


def _looks_like_text(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls <= len(sample) // 100


def _read_csv(data: bytes) -> Table:
    text, encoding = _decoded(data)
    if not _looks_like_text(text):
        raise FileRefused(_("这不是表格文件：请上传 .xlsx、.xls 或 .csv"))
    sample = text[:32 * 1024]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    rows, lines = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise FileRefused(_("行数太多：一次最多导入 %(rows)s 行，请分成几个文件", rows=f"{MAX_ROWS:,}"))
            if len(row) > MAX_COLUMNS:
                raise FileRefused(_("工作表太大：最多 %(columns)s 列、%(cells)s 个单元格",
                                    columns=MAX_COLUMNS, cells=f"{MAX_CELLS:,}"))
            cells = [c.strip() for c in row]
            if any(cells):
                rows.append(cells)
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise FileRefused(_("CSV 文件第 %(line)s 行格式错误：%(error)s", line=reader.line_num, error=exc)) from None
    if not rows:
        raise FileRefused(_("文件是空的"))
    return Table("csv", rows, lines, encoding=encoding, delimiter=delimiter)
