"""Scan results out as CSV, XLSX, JSON and Google Sheets (the reference's Download and Export).

The caller has already chosen the rows and their order; each function takes that polars frame
(result columns by their dotted names, or the errors table) and writes it. The tabular formats
share one preparation (`domain.tabular`): lists joined with `|`, custom columns under their own
headers, money in cents, formula-like text neutralised. JSON is the reference's product objects.

Long exports report `progress(done_rows, total_rows)` and ask `should_stop()` between chunks, so
a background job can show progress and cancel (`ExportCancelled`) without killing a worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import polars as pl

from sellerkit.config import Settings, get_settings
from sellerkit.domain import tabular
from sellerkit.domain.results import product_columns, product_object
from sellerkit.errors import Invalid, SellerkitError

if TYPE_CHECKING:
    from sellerkit.scans import gsheets

Progress = Callable[[int, int], None]
StopCheck = Callable[[], bool]
Target = str | Path | IO[bytes]

CSV_CHUNK_ROWS = 100_000
XLSX_CHUNK_ROWS = 10_000
JSON_CHUNK_ROWS = 10_000
SHEETS_CELLS_PER_WRITE = 40_000  # about 1 MB a request; Google suggests at most 2 MB


class ExportCancelled(Exception):
    """`should_stop()` said stop; a file we opened by path is removed, not left half written."""


def write_csv(
    frame: pl.DataFrame,
    out: Target,
    *,
    custom_names: Sequence[str | None] = (),
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    chunk_rows: int = CSV_CHUNK_ROWS,
) -> int:
    """The frame as CSV (header of column names, `true`/`false`, empty for null); rows written.

    polars prepares and writes each chunk itself, so a million rows take seconds, not minutes:
    one streaming plan a chunk (prepare, then write, batch by batch), a fifth faster than
    preparing the chunk whole and then writing it."""
    columns = tabular.tabular_columns(frame, custom_names)
    tick = _ticker(frame.height, progress, should_stop)
    with _binary(out) as fh:
        frame.head(0).select(columns).write_csv(fh)
        for done, chunk in _chunks(frame, chunk_rows, tick):
            chunk.lazy().select(columns).sink_csv(fh, include_header=False)
            tick(done)
    return frame.height


def write_xlsx(
    frame: pl.DataFrame,
    path: str | Path,
    *,
    custom_names: Sequence[str | None] = (),
    sheet_name: str = "Results",
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    chunk_rows: int = XLSX_CHUNK_ROWS,
    rows_per_sheet: int = tabular.EXCEL_MAX_ROWS - 1,
) -> int:
    """The frame as an Excel workbook with the CSV's columns; rows written.

    Numbers are numbers, text is always a string (never a formula), text past Excel's 32,767
    characters is cut with a note, rows past a sheet's 1,048,575 go on to "Results (2)". The
    sheets' XML is built by polars a chunk at a time (`scans.xlsx`); a background job above
    `service.XLSX_NOW_ROWS` rows, with progress and cancel."""
    from sellerkit.scans import xlsx

    columns = tabular.tabular_columns(frame, custom_names, max_chars=tabular.EXCEL_MAX_CHARS)
    schema = frame.head(0).select(columns).schema
    tick = _ticker(frame.height, progress, should_stop)
    with xlsx.workbook(Path(path), sheet_name, schema, frame.height, rows_per_sheet,
                       data_bytes=frame.estimated_size()) as book:
        for done, chunk in _chunks(frame, chunk_rows, tick):
            book.extend(chunk.select(columns))
            tick(done)
    return frame.height


def product_objects(frame: pl.DataFrame, *, historical: bool | None = None) -> list[dict[str, Any]]:
    """One page of rows as the reference's product objects; `historical` defaults to
    "when the frame has those columns"."""
    if historical is None:
        historical = _has_historical(frame)
    return [product_object(row, historical=historical) for row in frame.iter_rows(named=True)]


def write_json(
    frame: pl.DataFrame,
    out: Target,
    *,
    historical: bool | None = None,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    chunk_rows: int = JSON_CHUNK_ROWS,
) -> int:
    """A JSON array of product objects, written chunk by chunk so a million rows never become one
    list in memory; rows written.

    The objects are `product_object`'s, nested as polars struct columns and serialised by polars:
    building them as Python dicts for orjson cost about 130 s a million rows, this about 15 s."""
    if historical is None:
        historical = _has_historical(frame)
    columns = product_columns(frame.columns, historical=historical)
    tick = _ticker(frame.height, progress, should_stop)
    with _binary(out) as fh:
        fh.write(b"[")
        for done, chunk in _chunks(frame, chunk_rows, tick):
            objects = chunk.select(columns).write_json().encode()
            fh.write((b"," if done > chunk.height else b"") + objects[1:-1])
            tick(done)
        fh.write(b"]")
    return frame.height


def export_gsheet(
    frame: pl.DataFrame,
    title: str,
    *,
    custom_names: Sequence[str | None] = (),
    settings: Settings | None = None,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    pacer: gsheets.Pacer | None = None,
    backoff: gsheets.Backoff | None = None,
    cells_per_write: int = SHEETS_CELLS_PER_WRITE,
) -> str:
    """A new Google spreadsheet named `title` with the CSV's columns and cells; its URL.

    Values go in RAW, so Sheets never runs text as a formula; the quote prefix stays anyway, so
    the cells match the other formats and a CSV downloaded from Sheets is safe too.

    `Invalid("Google Sheets integration is not set up")` without a service-account key. The
    pacer defaults to the process's shared one, the backoff to Google's advice."""
    # Imported here: gspread and Google's auth libraries take some 20 MiB in every server
    # process, and only this export uses them.
    import requests
    from google.auth.exceptions import RefreshError
    from gspread.exceptions import APIError

    from sellerkit.scans import gsheets

    settings = settings or get_settings()
    client = gsheets.connect(settings)
    pacer = pacer or gsheets.pacer(settings.google_sheets_requests_per_minute)
    api = gsheets.SheetsApi(client, pacer, backoff or gsheets.Backoff())
    columns = tabular.tabular_columns(frame, custom_names, max_chars=tabular.SHEETS_MAX_CHARS)
    header = frame.head(0).select(columns).columns
    cells = (frame.height + 1) * len(header)
    if cells > tabular.SHEETS_MAX_CELLS:
        raise Invalid(f"Google Sheets holds at most {tabular.SHEETS_MAX_CELLS:,} cells and these "
                      f"results need {cells:,} ({frame.height:,} rows x {len(header)} columns): "
                      "filter them or download a CSV")
    tick = _ticker(frame.height, progress, should_stop)
    rows_per_write = max(1, cells_per_write // max(1, len(header)))
    batches = (chunk.select(columns).rows() for _, chunk in _chunks(frame, rows_per_write, tick))
    try:
        return gsheets.export_rows(api, title, header, batches, frame.height,
                                   folder_id=settings.google_drive_folder_id,
                                   share_with=settings.google_share_with, after_write=tick)
    except APIError as error:
        raise SellerkitError(f"Google Sheets refused the export ({error.code}): "
                             f"{error.error.get('message', '')}", status_code=502) from error
    except RefreshError as error:
        reason = error.args[0] if error.args else error
        raise SellerkitError(f"Google refused the service account's sign-in: {reason}",
                             status_code=502) from error
    except requests.RequestException as error:
        raise SellerkitError(f"Google Sheets could not be reached: {error}",
                             status_code=502) from error


def _ticker(total: int, progress: Progress | None, should_stop: StopCheck | None):
    """Reports progress and raises `ExportCancelled` when asked to stop before the end."""
    def tick(done: int) -> None:
        if progress is not None:
            progress(done, total)
        if should_stop is not None and done < total and should_stop():
            raise ExportCancelled(f"export cancelled after {done:,} of {total:,} rows")
    return tick


def _chunks(
    frame: pl.DataFrame, rows: int, tick: Callable[[int], None]
) -> Iterator[tuple[int, pl.DataFrame]]:
    """(rows done after this chunk, chunk); ticks once before the first, so a job cancelled
    while queued stops before any work."""
    tick(0)
    done = 0
    for chunk in frame.iter_slices(rows):
        done += chunk.height
        yield done, chunk


def _has_historical(frame: pl.DataFrame) -> bool:
    return any(name.startswith("historical.") for name in frame.columns)


@contextlib.contextmanager
def _binary(out: Target) -> Iterator[IO[bytes]]:
    """A binary file to write: ours (removed again on failure) for a path, else the caller's."""
    if not isinstance(out, (str, Path)):
        yield out
        return
    path = Path(out)
    try:
        with path.open("wb") as fh:
            yield fh
    except BaseException:
        path.unlink(missing_ok=True)
        raise
