"""XLSX files with openpyxl: a frozen header row, frozen unit columns, percent formatting."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.domain.messages import Attachment, TableSpec

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")


def render_table(spec: TableSpec) -> Attachment:
    # Write-only mode streams rows: a 10 000-unit table stays small in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_SHEET_FORBIDDEN.sub("-", spec.sheet_title)[:31])
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = f"{get_column_letter(spec.frozen_columns + 1)}2"
    sheet.append([_header(sheet, column.header) for column in spec.columns])
    percent_columns = [i for i, column in enumerate(spec.columns) if column.kind == "percent"]
    for row in spec.rows:
        values: list[object] = list(row)
        for index in percent_columns:
            if values[index] is not None:
                cell = WriteOnlyCell(sheet, value=values[index])
                cell.number_format = "0%"
                values[index] = cell
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Attachment(spec.filename, buffer.getvalue(), kind="document")


def _header(sheet: object, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
    return cell
