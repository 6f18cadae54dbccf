"""XLSX exports read like a prepared sheet: bold frozen header, columns as wide as their
values, dates as dates and numbers as numbers; CSV carries the same dates as ISO text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from siaga_web.exports import csv_response, xlsx_response

ROWS = [
    ["Kabupaten/kota", "Berhenti sejak", "Aktivitas terakhir", "Blanko"],
    ["Kabupaten Murung Raya", date(2026, 9, 24), datetime(2026, 12, 2, 8, 5, tzinfo=UTC), 0],
    ["Kota Palangka Raya", None, datetime(2026, 12, 2, 9, 30, tzinfo=UTC), 1250],
]


def test_the_xlsx_header_is_bold_and_frozen_and_dates_are_dates() -> None:
    book = load_workbook(io.BytesIO(xlsx_response(ROWS, "x.xlsx", "Provinsi").body))
    sheet = book.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    stopped, active, cards = sheet["B2"], sheet["C2"], sheet["D3"]
    assert stopped.is_date and stopped.value == datetime(2026, 9, 24)
    assert stopped.number_format == "dd/mm/yyyy"
    assert active.is_date and active.value == datetime(2026, 12, 2, 8, 5)
    assert cards.data_type == "n" and cards.value == 1250
    widths = {c: sheet.column_dimensions[c].width for c in "ABCD"}
    assert widths["A"] >= len("Kabupaten Murung Raya") and widths["D"] >= len("Blanko")
    assert all(8 <= w <= 60 for w in widths.values())


def test_csv_writes_the_same_dates_as_iso_text() -> None:
    text = csv_response(ROWS, "x.csv").body.decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))
    assert read[1][1:] == ["2026-09-24", "2026-12-02 08:05+00:00", "0"]
