"""XLSX files with openpyxl: a frozen header row, frozen unit columns, percent formatting."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.domain.model.messages import Attachment, TableSpec

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FORMULA_STARTS = ("=", "+", "-", "@")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
_TITLE_FONT = Font(bold=True, size=13)
_NOTE_FONT = Font(italic=True)
_TOTAL_FONT = Font(bold=True)


def render_table(spec: TableSpec) -> Attachment:
    # Write-only mode streams rows: a 10 000-unit table stays small in memory.
    workbook = Workbook(write_only=True)
    title = _SHEET_FORBIDDEN.sub("-", _printable(spec.sheet_title))[:31]
    sheet = workbook.create_sheet(title=title)
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_row = len(spec.title_lines) + 2 if spec.title_lines else 1
    sheet.freeze_panes = f"{get_column_letter(spec.frozen_columns + 1)}{header_row + 1}"
    last_column = get_column_letter(len(spec.columns))
    filtered_rows = len(spec.rows) - (1 if spec.total_row else 0)
    sheet.auto_filter.ref = f"A{header_row}:{last_column}{header_row + max(filtered_rows, 1)}"
    for index, line in enumerate(spec.title_lines):
        cell = _text_cell(sheet, line)
        cell.font = _TITLE_FONT if index == 0 else _NOTE_FONT
        sheet.append([cell])
    if spec.title_lines:
        sheet.append([])
    sheet.append([_header(sheet, column.header) for column in spec.columns])
    percent_columns = [i for i, column in enumerate(spec.columns) if column.kind == "percent"]
    for number, row in enumerate(spec.rows, start=1):
        values: list[object] = [
            _text_cell(sheet, value) if isinstance(value, str) else value for value in row
        ]
        for index in percent_columns:
            if values[index] is not None:
                cell = WriteOnlyCell(sheet, value=values[index])
                cell.number_format = "0%"
                values[index] = cell
        if spec.total_row and number == len(spec.rows):
            values = [_bold(sheet, value) for value in values]
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Attachment(spec.filename, buffer.getvalue(), kind="document")


def _bold(sheet: object, value: object) -> object:
    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value)
    cell.font = _TOTAL_FONT
    return cell


def _printable(text: str) -> str:
    """Without the control characters that XLSX cannot hold (a file name, a unit's name)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _text_cell(sheet: object, text: str) -> WriteOnlyCell:
    """Always text, never a formula: names and file names come from people, and a leading
    =, +, - or @ would otherwise make a live formula (a link, a command) in officials' Excel."""
    printable = _printable(text)
    cell = WriteOnlyCell(sheet, value=printable)
    cell.data_type = "s"
    if printable[:1] in _FORMULA_STARTS:
        cell.quotePrefix = True  # and stays text if someone edits the cell
    return cell


def _header(sheet: object, text: str) -> WriteOnlyCell:
    cell = _text_cell(sheet, text)
    cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
    return cell
