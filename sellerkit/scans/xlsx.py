"""Excel workbooks through XlsxWriter in constant_memory mode: one row in memory at a time.

Cells are written by their column's type (numbers as numbers, text always as a string, never a
formula), the header is bold and frozen on every sheet, and rows past one sheet's limit go on to
the next ("Results (2)").
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from sellerkit.domain import tabular
from sellerkit.errors import Invalid


class Sheets:
    """The workbook's sheets as one long table."""

    def __init__(self, workbook: xlsxwriter.Workbook, name: str, schema: pl.Schema,
                 rows_per_sheet: int = tabular.EXCEL_MAX_ROWS - 1):
        self.workbook, self.name, self.schema = workbook, name, schema
        self.rows_per_sheet = rows_per_sheet
        self.bold = workbook.add_format({"bold": True})
        self.sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self.sheets += 1
        suffix = "" if self.sheets == 1 else f" ({self.sheets})"
        ws = self.workbook.add_worksheet(tabular.excel_sheet_name(self.name, suffix))
        ws.freeze_panes(1, 0)
        for col, header in enumerate(self.schema):
            ws.write_string(0, col, header, self.bold)
            ws.set_column(col, col, min(max(len(header) + 2, 10), 50))
        self.writers = [_cell_writer(ws, dtype) for dtype in self.schema.values()]
        self.row = 1

    def extend(self, rows: Iterable[tuple]) -> None:
        for values in rows:
            if self.row > self.rows_per_sheet:
                self._new_sheet()
            row = self.row
            for col, (write, value) in enumerate(zip(self.writers, values)):
                if value is not None:
                    write(row, col, value)
            self.row = row + 1


@contextlib.contextmanager
def workbook(path: Path, sheet_name: str, schema: pl.Schema,
             rows_per_sheet: int = tabular.EXCEL_MAX_ROWS - 1) -> Iterator[Sheets]:
    """A workbook at `path`, written when the block ends and removed if it raises.

    XlsxWriter keeps rows in named temporary files until close(): they live in a directory of
    ours beside the output (not a small /tmp) that goes away whatever happens."""
    if len(schema) > tabular.EXCEL_MAX_COLUMNS:
        raise Invalid(f"Excel holds at most {tabular.EXCEL_MAX_COLUMNS:,} columns; "
                      f"this export has {len(schema):,}")
    with tempfile.TemporaryDirectory(prefix=".xlsx-", dir=path.parent) as scratch:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": scratch})
        try:
            yield Sheets(book, sheet_name, schema, rows_per_sheet)
            book.close()
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def _cell_writer(ws: Any, dtype: pl.DataType) -> Callable[[int, int, Any], Any]:
    if dtype == pl.Boolean:
        return ws.write_boolean
    if dtype.is_numeric():
        return ws.write_number
    if dtype == pl.String:
        return ws.write_string
    return lambda row, col, value: ws.write_string(row, col, str(value))
