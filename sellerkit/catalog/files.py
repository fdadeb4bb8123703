"""Catalog files on disk: JSON Lines (optionally gzipped) and CSV, streamed in both directions."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson

from sellerkit.catalog.records import CSV_COLUMNS, RecordRejected, flatten, unflatten

csv.field_size_limit(1 << 24)


BLOCK_BYTES = 16 * 2**20  # per worker task; transactions span many (see tasks.TRANSACTION_ROWS)


@dataclass(frozen=True, slots=True)
class JsonlBlock:
    """Whole JSON lines as one bytes object, starting at line `first_line`: the import's main
    process hands blocks to its workers without ever touching single lines."""

    first_line: int
    data: bytes

    def items(self) -> Iterator[tuple[int, bytes]]:
        for n, line in enumerate(self.data.split(b"\n"), start=self.first_line):
            if line.strip():
                yield n, line


@dataclass(frozen=True, slots=True)
class JsonlSpan:
    """Whole JSON lines of an uncompressed file, by position: the worker that validates them
    reads them itself, so the main process only finds where blocks start and no block's bytes
    pass through a pipe."""

    path: str
    offset: int
    size: int
    first_line: int

    def items(self) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as raw:
            raw.seek(self.offset)
            data = raw.read(self.size)
        return JsonlBlock(self.first_line, data).items()


class CatalogFile:
    """Iterates `(line_number, raw)` and tells how far it has read; `raw` is a JSON line's
    bytes, a CSV row as a record dict, or a RecordRejected. `batches()` gives the same in
    import-sized pieces."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        name = self.path.name.lower()
        self.gzipped = name.endswith(".gz")
        base = name[:-3] if self.gzipped else name
        if base.endswith((".jsonl", ".ndjson", ".json")):
            self.format = "jsonl"
        elif base.endswith(".csv"):
            self.format = "csv"
        else:
            raise ValueError(
                f"{self.path.name}: unknown catalog file type; use .jsonl, .jsonl.gz or .csv"
            )
        self.total_bytes = self.path.stat().st_size
        self._raw: IO[bytes] | None = None

    @property
    def bytes_read(self) -> int:
        return self._raw.tell() if self._raw and not self._raw.closed else self.total_bytes

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        for batch in self.batches():
            yield from batch if isinstance(batch, list) else batch.items()

    def batches(
        self, rows: int = 5_000
    ) -> Iterator[JsonlSpan | JsonlBlock | list[tuple[int, Any]]]:
        """JSONL as blocks of about BLOCK_BYTES (spans of the file unless it is gzipped); CSV
        as lists of `rows` parsed rows."""
        with open(self.path, "rb") as raw:
            self._raw = raw
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if self.gzipped else raw
            if self.format == "jsonl" and not self.gzipped:
                yield from _jsonl_spans(str(self.path), raw)
            elif self.format == "jsonl":
                yield from _jsonl_blocks(stream)
            else:
                rows_iter = _csv(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
                while batch := list(islice(rows_iter, rows)):
                    yield batch


def _jsonl_spans(path: str, raw: IO[bytes]) -> Iterator[JsonlSpan]:
    first, offset = 1, 0
    while chunk := raw.read(BLOCK_BYTES):
        cut = chunk.rfind(b"\n") + 1
        while not cut and (more := raw.read(BLOCK_BYTES)):  # one line longer than a block
            chunk += more
            cut = chunk.rfind(b"\n") + 1
        size = cut or len(chunk)  # the last line may lack its newline
        yield JsonlSpan(path, offset, size, first)
        first += chunk.count(b"\n", 0, size)
        offset += size
        raw.seek(offset)


def _jsonl_blocks(stream: IO[bytes]) -> Iterator[JsonlBlock]:
    first, rest = 1, b""
    while chunk := stream.read(BLOCK_BYTES):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        if not cut:  # one line longer than a block: keep reading
            rest = data
            continue
        block, rest = data[:cut], data[cut:]
        yield JsonlBlock(first, block)
        first += block.count(b"\n")
    if rest:
        yield JsonlBlock(first, rest)


def _csv(text: IO[str]) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(text)
    for row in reader:
        n = reader.line_num
        if None in row:
            yield n, RecordRejected(n, f"more cells than the {len(reader.fieldnames or [])} header columns")
            continue
        yield n, unflatten(row)


def write_jsonl(out: IO[bytes], records: Iterable[dict]) -> int:
    count = 0
    for rec in records:
        out.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
        count += 1
    return count


def write_csv(out: IO[str], records: Iterable[dict]) -> int:
    """Spec fields in the spec's order, then sellerkit's labels such as `demo` (JSON Lines is
    the lossless format: other extra fields stay out of CSV)."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for rec in records:
        writer.writerow(flatten(rec))
        count += 1
    return count
