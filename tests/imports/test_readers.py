"""Reading what users upload: .xlsx, .xls and .csv in every encoding and delimiter Excel and WPS save,
and a clear refusal, in the user's language, of everything else (ASVS 5.2.3 for zip bombs)."""
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from kehu.imports.readers import MAX_ROWS, FileRefused, read_table

HERE = Path(__file__).parent
HEADERS = ["单位名称", "手机", "地址"]
ROW = ["济宁鸿达机械制造有限公司", "13853712345", "山东省济宁市任城区建设路 1 号"]


def _csv(rows, delimiter=",") -> str:
    return "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"


def _xlsx(fill) -> bytes:
    book = openpyxl.Workbook()
    fill(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_in_every_encoding_and_delimiter(app, encoding, delimiter):
    rows = [HEADERS, ROW, ["曲阜孔府食品有限公司", "13953718888", "曲阜市鼓楼大街 8 号"]] * 3
    table = read_table(_csv(rows, delimiter).encode(encoding))
    assert table.kind == "csv" and table.delimiter == delimiter
    assert table.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030"}[encoding]
    assert table.rows[:2] == [HEADERS, ROW] and table.lines[:2] == [1, 2]


def test_gb18030_characters_outside_gbk_survive(app):
    rows = [HEADERS, ["𠮷野家（济宁店）", "13853712345", "济宁市任城区"]] * 5
    assert read_table(_csv(rows).encode("gb18030")).rows[1][0] == "𠮷野家（济宁店）"


def test_xlsx_numbers_dates_merged_cells_formulas_and_a_header_below_a_title(app):
    def fill(sheet):
        sheet["A1"] = "2026 年客户名单"
        sheet.append([])
        sheet.append(["单位名称", "联系人", "手机", "成立日期", "合计"])
        sheet.append(["兖州瑞丰建材商行", "王建国", 13853712345, date(2008, 5, 1), "=1+1"])
        sheet.append([None, "李秀英", 13953718888])
        sheet.merge_cells("A4:A5")

    table = read_table(_xlsx(fill))
    assert table.kind == "xlsx" and table.lines == [1, 3, 4, 5]
    assert table.rows[1][:4] == ["单位名称", "联系人", "手机", "成立日期"]
    assert table.rows[2][:4] == ["兖州瑞丰建材商行", "王建国", "13853712345", "2008-05-01"]
    assert table.rows[2][4] == ""  # a formula is never evaluated (openpyxl stored none's cached value)
    assert table.rows[3][:3] == ["兖州瑞丰建材商行", "李秀英", "13953718888"]  # the merged name fills its rows
    assert table.notes == ["合并的单元格已按其值填满每一格"]


def test_xls_from_excel_97(app):
    table = read_table((HERE / "customers-excel97.xls").read_bytes())
    assert table.kind == "xls"
    assert table.rows[1] == ["济宁鸿达机械制造有限公司", "13853711111", "任城区", "制造业", ""]
    assert table.rows[2][1] == "0635-8212345"


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<" + "a" * (60 * 1024 * 1024) + ">")
    return out.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"", "文件是空的"),
    (b"   \r\n ", "文件是空的"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "这不是表格文件：请上传 .xlsx、.xls 或 .csv"),
    (bytes(range(1, 32)) * 400, "这不是表格文件：请上传 .xlsx、.xls 或 .csv"),
    (b"PK\x03\x04 broken zip", "文件已损坏，无法作为 Excel 工作簿打开"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "文件已损坏，或不是 Excel 工作簿"),
], ids=["empty", "blank", "png", "control-bytes", "broken-zip", "broken-ole2"])
def test_what_is_not_a_sheet_is_refused_with_a_reason(app, data, message):
    with pytest.raises(FileRefused) as refused:
        read_table(data)
    assert str(refused.value) == message


def test_a_zip_bomb_is_refused_before_it_is_expanded(app):
    bomb = _zip_bomb()
    assert len(bomb) < 200 * 1024
    with pytest.raises(FileRefused, match="压缩炸弹"):
        read_table(bomb)


def test_a_zip_that_is_no_workbook_is_refused(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(FileRefused, match="这不是 Excel 工作簿"):
        read_table(out.getvalue())


def test_a_full_sheet_of_rows_is_refused_without_reading_it_all(app):
    data = ("单位名称,手机\n" + "济宁某公司,13853712345\n" * 1_048_575).encode()
    with pytest.raises(FileRefused) as refused:
        read_table(data)
    assert str(refused.value) == f"行数太多：一次最多导入 {MAX_ROWS:,} 行，请分成几个文件"


def test_an_xlsx_with_too_many_rows_is_refused_from_its_dimension(app):
    def fill(sheet):
        sheet["A1"] = "单位名称"
        sheet.cell(row=MAX_ROWS + 100, column=1, value="最后一行")

    with pytest.raises(FileRefused, match="行数太多"):
        read_table(_xlsx(fill))


def test_english_messages(app):
    from flask_babel import force_locale
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(FileRefused) as refused:
            read_table(b"")
    assert str(refused.value) == "The file is empty"
