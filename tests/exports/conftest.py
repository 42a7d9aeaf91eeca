"""Exports: start one through the API, download it, read the file back (openpyxl for xlsx)."""
import csv
import io
import re

import openpyxl
import pytest

# XlsxWriter writes a control character (a CR) as OOXML's escape _x000D_, which Excel reads back as the
# character; openpyxl leaves the escape as it is
_ESCAPED = re.compile(r"_x([0-9A-F]{4})_")


def _cell(value):
    return _ESCAPED.sub(lambda found: chr(int(found.group(1), 16)), value) if isinstance(value, str) else value


def _read_xlsx(content: bytes) -> list[list]:
    """Every row of the first sheet as values (None for an empty cell)."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [[_cell(value) for value in row] for row in book.worksheets[0].iter_rows(values_only=True)]


def _read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "csv without its UTF-8 byte order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.fixture
def export(api_client_as):
    """``export(user, filter=None, format="xlsx")`` -> (job, rows of the file: header first)."""

    def run(user, filter=None, format="xlsx", client=None):
        client = client or api_client_as(user)
        answer = client.post("/api/v1/exports", json={"filter": filter or {}, "format": format})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        job = answer.json
        assert job["status"] == "done", job
        download = client.get(job["download_url"])
        assert download.status_code == 200, download.get_data(as_text=True)
        reader = _read_xlsx if format == "xlsx" else _read_csv
        return job, reader(download.data) if format in ("xlsx", "csv") else download.data

    return run


@pytest.fixture
def read_xlsx():
    return _read_xlsx


@pytest.fixture
def read_csv():
    return _read_csv


@pytest.fixture
def column():
    """``column(rows, title)`` -> the values under ``title`` (the header row left out)."""

    def values(rows: list[list], title: str) -> list:
        index = rows[0].index(title)
        return [row[index] for row in rows[1:]]

    return values
