"""Tables offered for download: CSV (UTF-8 with a BOM, so Excel reads it) and XLSX; every
export goes through here.

Text is written as text. A spreadsheet takes a cell starting with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before them) as a formula: a name or number typed as
``=HYPERLINK(...)`` would run on the clerk's PC when the file is opened (CSV injection). In
CSV such text gets a leading ``'`` (Excel shows the text, not a formula); in XLSX every text
cell is stored as a string (never a formula) and characters XLSX cannot hold are dropped.
Numbers stay numbers; dates and times are given as ``date``/``datetime`` and become real
dates in XLSX (day/month/year, sortable and filterable) and ISO text in CSV. The XLSX header row
is bold and frozen, and each column is as wide as its longest value (within bounds).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
#: Column widths in characters: never so narrow a header is cut, never wider than a screen.
MIN_WIDTH, MAX_WIDTH = 8, 60


def csv_cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would read as a formula starts with ``'``."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any, *, bold: bool = False) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: the moment as the caller's clock shows it.
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=datetime(value.year, value.month, value.day))
        cell.number_format = DATE_FORMAT
        return cell
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # text, even when it starts with "=" (openpyxl would write a formula)
    if bold:
        cell.font = Font(bold=True)
    return cell


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return len(str(value)) if value is not None else 0


def csv_response(rows: Sequence[Sequence[Any]], filename: str) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([csv_cell(value) for value in row] for row in rows)
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def xlsx_response(rows: Sequence[Sequence[Any]], filename: str, sheet_name: str) -> Response:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])  # Excel's limit on sheet names
    # A write-only sheet takes its layout before the first row.
    widths: dict[int, int] = {}
    for row in rows:
        for index, value in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), _width(value))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    sheet.freeze_panes = "A2"  # the header stays while scrolling
    for number, row in enumerate(rows):
        sheet.append([_xlsx_cell(sheet, value, bold=number == 0) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
