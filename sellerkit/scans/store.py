"""A scan's files in the blob store: the uploaded source and its results, one part per chunk.

Keys live under `scans/<id>/`: `source.<fmt>`, `v<version>/<index>.results.arrow` and
`.errors.arrow` (Arrow IPC), and `exports/<export id>.<fmt>`. A store write is whole or absent, and
each part ends with a marker `v<version>/<index>.done-<results>-<errors>` written after both
tables, so a scan interrupted anywhere, on any worker, resumes at the first part without a marker
and ends with exactly one copy of every row; one LIST gives the parts done and their row counts.
Result row ids are row numbers over the parts in order. Each version of results has its own
prefix (`v1`, `v2` ...): a rerun writes a new one beside the one readers see (see `Scan`).
Polars reads the parts straight from the store (its own object_store client on S3).

A version's results may refer to the catalog instead of carrying its columns: then
`v<version>/catalog/` holds the snapshot they were matched against (hard links to its files:
no copy, and it outlives the catalog's newer revisions), each result row its product's row
there (`_product`), and every read here joins the catalog's columns back, so readers see the
same rows either way (see `refer_to_catalog`).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from sellerkit.catalog.snapshot import REFERABLE
from sellerkit.domain import results as fields
from sellerkit.kit.blobs import Blobs, LocalBlobs, as_blobs, blobs_for

CACHE_BYTES = 1536 * 2**20  # result frames kept in memory (a 1M-row scan takes about 1 GB)
READ_COLUMNS = 8  # columns read and joined at a time into a cached frame (`ScanFiles.read`)
DERIVED_PER_FRAME = 64  # a frame's derived values (totals of a filter) kept with it
_MARKER = re.compile(r"^(\d{5,})\.done-(\d+)-(\d+)$")
_PART = re.compile(r"^(\d{5,})\.(results|errors)\.arrow$")
_CHUNK_ROWS = re.compile(r"^chunk-rows-(\d+)$")
_CATALOG = re.compile(r"^([A-Za-z]+)-(-?\d+)\.models\.json$")  # a kept snapshot's last file: it is whole
GATHER_THREADS = 2  # catalog columns taken for result rows at once (`_catalog_columns`)


class ScanFiles:
    def __init__(self, blobs: Blobs | Path, scan_id: int) -> None:
        self.blobs = as_blobs(blobs)
        self.scan_id = scan_id
        self.prefix = f"scans/{scan_id}"

    @classmethod
    def of(cls, settings, scan_id: int) -> ScanFiles:
        return cls(blobs_for(settings), scan_id)

    @property
    def ident(self) -> str:
        """The scan's place, store included: what caches key on."""
        return f"{self.blobs.describe()}|{self.prefix}"

    def source_key(self, fmt: str) -> str:
        return f"{self.prefix}/source.{fmt}"

    def keep_source(self, upload: Path, fmt: str) -> None:
        """The checked upload becomes the scan's source (moved, when on the same disk)."""
        self.blobs.put_file(self.source_key(fmt), upload, move=True)

    def local_source(self, fmt: str, work_dir: Path) -> Path:
        """The source as a file on this machine (the readers stream it from disk); on S3 it is
        fetched once into `work_dir` and removed by `forget_local`."""
        return self.blobs.local_copy(self.source_key(fmt), self._cache(work_dir))

    def forget_local(self, work_dir: Path) -> None:
        if not isinstance(self.blobs, LocalBlobs):
            import shutil

            shutil.rmtree(self._cache(work_dir) / self.prefix, ignore_errors=True)

    @staticmethod
    def _cache(work_dir: Path) -> Path:
        return Path(work_dir) / "cache"

    def _part(self, table: str, version: int, index: int) -> str:
        return f"{self.prefix}/v{version}/{index:05d}.{table}.arrow"

    def write_part(self, version: int, index: int, results: pl.DataFrame, errors: pl.DataFrame) -> None:
        for table, frame in (("errors", errors), ("results", results)):
            # lz4: zstd's parts are half the bytes but take 1.6 times as long to write, the
            # largest single cost of a scan's chunk; both read back as fast. Written to a path by
            # polars itself: through a BytesIO it costs 12% more and calls Python for each buffer
            self.blobs.put_written(self._part(table, version, index),
                                   lambda path, frame=frame: frame.write_ipc(path, compression="lz4"))
        self.blobs.put(f"{self.prefix}/v{version}/{index:05d}.done-{results.height}-{errors.height}", b"")

    def _catalog_prefix(self, version: int) -> str:
        return f"{self.prefix}/v{version}/catalog"

    def refer_to_catalog(self, version: int, snapshot: tuple[Path, Path, Path]) -> bool:
        """Keep a snapshot's files (products, identifier graph, rank models) with a version's
        results, before its first part, so that its rows can refer to the snapshot's rows. Only
        where that costs no copy (a hard link on the store's own disk): False otherwise, and the
        rows carry the catalog's columns as they always could."""
        if not isinstance(self.blobs, LocalBlobs):
            return False
        return all(self.blobs.put_link(f"{self._catalog_prefix(version)}/{path.name}", path)
                   for path in snapshot)  # the rank models last: their presence says the copy is whole

    def catalog_of(self, version: int) -> tuple[str, int] | None:
        """(marketplace, revision) of the snapshot a version's results refer to, if they do."""
        return self._listing(version)[3]

    def catalog_files(self, version: int, work_dir: Path) -> tuple[Path, Path, Path]:
        """The kept snapshot's files on this machine (a run resuming on a catalog changed since)."""
        stem = self._catalog_stem(version, self.catalog_of(version))
        assert stem is not None
        return tuple(self.blobs.local_copy(f"{stem}.{name}", self._cache(work_dir))  # type: ignore[return-value]
                     for name in ("products.arrow", "keys.arrow", "models.json"))

    def _catalog_stem(self, version: int, kept: tuple[str, int] | None) -> str | None:
        return f"{self._catalog_prefix(version)}/{kept[0]}-{kept[1]}" if kept else None

    def keep_chunk_rows(self, version: int, rows: int) -> None:
        """The rows per part of a version, written before its first part: a run that resumes
        it cuts the file the same way, whatever `SELLERKIT_SCAN_CHUNK_ROWS` says by then."""
        self.blobs.put(f"{self.prefix}/v{version}/chunk-rows-{rows}", b"")

    def chunk_rows(self, version: int) -> int | None:
        return self._listing(version)[2]

    def _listing(self, version: int) -> tuple[dict[int, tuple[int, int]], dict[int, set[str]], int | None,
                                              tuple[str, int] | None]:
        """(index -> (results, errors) of the parts marked done, index -> tables on the store,
        the version's rows per part when recorded, the catalog its results refer to), from one LIST."""
        done: dict[int, tuple[int, int]] = {}
        tables: dict[int, set[str]] = {}
        chunk_rows = None
        catalog = None
        for info in self.blobs.list(f"{self.prefix}/v{version}"):
            folder, name = info.key.rsplit("/", 1)
            if folder.endswith("/catalog"):
                if kept := _CATALOG.match(name):
                    catalog = (kept[1], int(kept[2]))
            elif marker := _MARKER.match(name):
                done[int(marker[1])] = (int(marker[2]), int(marker[3]))
            elif part := _PART.match(name):
                tables.setdefault(int(part[1]), set()).add(part[2])
            elif rows := _CHUNK_ROWS.match(name):
                chunk_rows = int(rows[1])
        return done, tables, chunk_rows, catalog

    def part_counts(self, version: int) -> tuple[int, int, int]:
        """(parts, result rows, error rows) of the parts done, in order from the first."""
        return self.progress(version)[:3]

    def progress(self, version: int) -> tuple[int, int, int, int | None]:
        """`part_counts` and the version's rows per part (None before a run recorded them)."""
        return self._progress(version, self._listing(version))

    def _progress(self, version: int, listing: tuple) -> tuple[int, int, int, int | None]:
        done, tables, chunk_rows, _ = listing
        parts = results = errors = 0
        while True:
            counts = done.get(parts)
            if counts is None and tables.get(parts) == {"results", "errors"}:  # written before markers
                counts = tuple(self._height(self._part(t, version, parts)) for t in ("results", "errors"))
            if counts is None:
                return parts, results, errors, chunk_rows
            parts, results, errors = parts + 1, results + counts[0], errors + counts[1]

    def _height(self, key: str) -> int:
        return self._scan([key]).select(pl.len()).collect().item()

    def _scan(self, keys: list[str]) -> pl.LazyFrame:
        frames = []
        for key in keys:
            source, options = self.blobs.polars_source(key)
            frames.append(pl.scan_ipc(source, storage_options=options))
        return pl.concat(frames, how="vertical_relaxed", rechunk=False)

    def part_keys(self, table: str, version: int) -> list[str]:
        """The parts of one table of results written so far, in order."""
        return self._parts(table, version)[0]

    def _parts(self, table: str, version: int) -> tuple[list[str], str | None]:
        """`part_keys`, and the products file of the catalog the results refer to (None: they
        carry its columns, or the table is the errors), from one LIST."""
        listing = self._listing(version)
        keys = [self._part(table, version, index) for index in range(self._progress(version, listing)[0])]
        stem = self._catalog_stem(version, listing[3]) if table == "results" else None
        return keys, f"{stem}.products.arrow" if stem else None

    def read_part(self, key: str) -> pl.DataFrame:
        """One part's rows, the catalog's columns joined back where they refer to it."""
        frame = self._scan([key]).collect()
        if "_product" not in frame.columns:
            return frame
        version = int(key.rsplit("/", 2)[-2][1:])
        stem = self._catalog_stem(version, self.catalog_of(version))
        assert stem is not None, f"{key} refers to a catalog its version does not keep"
        return self._joined(frame.get_columns(), f"{stem}.products.arrow")

    def schema(self, table: str, version: int) -> pl.Schema | None:
        keys = self.part_keys(table, version)
        return self._scan(keys[:1]).collect_schema() if keys else None

    def read(self, table: str, version: int, whole: bool = False) -> pl.DataFrame | None:
        """Every row of one table, with its id; `whole`: each column in one chunk (what the
        results cache keeps: a page's rows are then a cheap gather)."""
        keys, catalog = self._parts(table, version)
        if not keys:
            return None
        frame = self._with_ids(self._scan(keys))
        if not whole:
            return self._joined(frame.collect().get_columns(), catalog) if catalog else frame.collect()
        if isinstance(self.blobs, LocalBlobs):
            # a few columns at a time, each joined into one chunk before the next are read: a
            # 1M-row scan's peak ~0.75 GiB lower than all of them read, then joined (the parts
            # are local files, read again at the cost of their columns only)
            names = frame.collect_schema().names()
            columns = []
            for start in range(0, len(names), READ_COLUMNS):
                group = frame.select(names[start:start + READ_COLUMNS]).collect()
                columns += [column.rechunk() for column in group.get_columns()]
                del group
            return self._joined(columns, catalog) if catalog else pl.DataFrame(columns)
        # on an object store each read is a download: read once, then join a column at a time,
        # each part's copy of it let go before the next
        parts = frame.collect().get_columns()
        columns = []
        while parts:
            columns.append(parts.pop(0).rechunk())
        return self._joined(columns, catalog) if catalog else pl.DataFrame(columns)

    def _joined(self, columns: list[pl.Series], catalog: str) -> pl.DataFrame:
        """Result columns that refer to the catalog (`_product`) with the catalog's columns they
        lack, in the order rows that carry them have."""
        own = {column.name: column for column in columns}
        rows = own.pop("_product")
        own.update((column.name, column) for column in self._catalog_columns(catalog, rows))
        return pl.DataFrame([own[name] for name in _result_order(own)])

    def _catalog_columns(self, catalog: str, rows: pl.Series) -> list[pl.Series]:
        """The catalog's columns that results show, taken for each row's product: a column at
        a time, each in one chunk first (a gather from one chunk is ten times quicker), two at once."""
        products = self._shown(catalog)

        def taken(name: str) -> pl.Series:
            return products.select(name).collect().to_series().rechunk().gather(rows)

        with ThreadPoolExecutor(GATHER_THREADS, thread_name_prefix="scan-catalog") as pool:
            return list(pool.map(taken, products.collect_schema().names()))

    def _shown(self, catalog: str) -> pl.LazyFrame:
        """The catalog file's columns results show (`REFERABLE`), in the results' types."""
        source, options = self.blobs.polars_source(catalog)
        file = pl.scan_ipc(source, storage_options=options)
        names = [c for c in REFERABLE if c in file.collect_schema()]
        return file.select(pl.col(c).cast(fields.dtype(fields.ALL_PRODUCT_FIELDS[c])) for c in names)

    def lazy(self, table: str, version: int) -> pl.LazyFrame | None:
        """`read` as a plan: a query over it reads only the columns it needs."""
        keys, catalog = self._parts(table, version)
        if not keys:
            return None
        frame = self._with_ids(self._scan(keys))
        if catalog is None:
            return frame
        products = self._shown(catalog)
        joined = frame.join(products.with_row_index("_product"), on="_product", how="left", maintain_order="left")
        return joined.select(_result_order([c for c in frame.collect_schema().names() if c != "_product"]
                                           + products.collect_schema().names()))

    @staticmethod
    def _with_ids(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))

    def export_key(self, export_id: int, fmt: str) -> str:
        return f"{self.prefix}/exports/{export_id}.{fmt}"

    def drop_version(self, version: int) -> None:
        self.blobs.delete_prefix(f"{self.prefix}/v{version}")

    def drop_versions_but(self, keep: int) -> None:
        """Every version of results but `keep`: those replaced, and any a run left unfinished."""
        versions = {info.key[len(self.prefix) + 1:].split("/", 1)[0] for info in self.blobs.list(self.prefix)}
        for name in versions:
            if name[:1] == "v" and name[1:].isdigit() and int(name[1:]) != keep:
                self.drop_version(int(name[1:]))

    def delete(self) -> int:
        """Every object the scan owns (source, results, exports); how many there were."""
        return self.blobs.delete_prefix(self.prefix)


def _result_order(names) -> list[str]:
    """Result columns in the order a scan writes them: the fields', then the hidden ones."""
    return [c for c in fields.ALL_PRODUCT_FIELDS if c in names] + [c for c in names if c not in fields.ALL_PRODUCT_FIELDS]


class ResultCache:
    """The latest few scans' result frames in memory: a results page then costs a filter and a
    partial sort, not a read of the files."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self._frames: OrderedDict[tuple, pl.DataFrame | None] = OrderedDict()
        self._derived: dict[tuple, OrderedDict[Any, Any]] = {}
        self._lock = threading.Lock()
        self.budget = budget

    def derived(self, files: ScanFiles, table: str, version: int, what: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` of a cached frame (a filter's totals), kept while the frame is: the same
        filter sorted another way or paged on costs nothing more. Frames not cached (a scan still
        running) are computed each time."""
        key = (files.ident, table, version)
        with self._lock:
            memo = self._derived.get(key) if key in self._frames else None
            if memo is not None and what in memo:
                memo.move_to_end(what)
                return memo[what]
        value = compute()
        with self._lock:
            if key in self._frames:
                memo = self._derived.setdefault(key, OrderedDict())
                memo[what] = value
                while len(memo) > DERIVED_PER_FRAME:
                    memo.popitem(last=False)
        return value

    def get(self, files: ScanFiles, table: str, version: int, final: bool) -> pl.DataFrame | None:
        """The scan's rows; cached only once the scan has ended (`final`), as parts still come."""
        key = (files.ident, table, version)
        with self._lock:
            if key in self._frames:
                self._frames.move_to_end(key)
                return self._frames[key]
        frame = files.read(table, version, whole=final)  # one chunk per column, when kept
        if final and frame is not None:
            with self._lock:
                others = [k for k in self._frames if k[:2] == key[:2]]
                if any(k[2] > version for k in others):  # a late reader of a replaced version
                    return frame
                for older in others:
                    del self._frames[older]
                    self._derived.pop(older, None)
                self._frames[key] = frame
                while len(self._frames) > 1 and self._bytes() > self.budget:  # the newest always stays
                    self._derived.pop(self._frames.popitem(last=False)[0], None)
        return frame

    def _bytes(self) -> int:
        return sum(f.estimated_size() for f in self._frames.values() if f is not None)

    def forget(self, files: ScanFiles, version: int | None = None) -> None:
        """Drop a scan's frames (of one version of results, or all)."""
        with self._lock:
            for key in [k for k in self._frames if k[0] == files.ident and version in (None, k[2])]:
                del self._frames[key]
                self._derived.pop(key, None)


results_cache = ResultCache()
