"""A scan's files: the uploaded source and its results, one part per chunk of the source.

Parts are Arrow IPC files written under a temporary name and renamed into place, so a part is
either whole or absent: a scan interrupted anywhere resumes at the first missing part and ends
with exactly one copy of every row. Result row ids are row numbers over the parts in order.
Each version of results has its own folder (`v1`, `v2` ...): a rerun writes a new one beside the
one readers see (see `Scan`).
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

import polars as pl

CACHE_BYTES = 1536 * 2**20  # result frames kept in memory (a 1M-row scan takes about 1 GB)


class ScanFiles:
    def __init__(self, data_dir: Path, scan_id: int) -> None:
        self.folder = data_dir / "scans" / str(scan_id)
        self.scan_id = scan_id

    def source(self, fmt: str) -> Path:
        return self.folder / f"source.{fmt}"

    def _part(self, table: str, version: int, index: int) -> Path:
        return self.folder / f"v{version}" / f"{index:05d}.{table}.arrow"

    def has_part(self, version: int, index: int) -> bool:
        return self._part("results", version, index).exists() and self._part("errors", version, index).exists()

    def write_part(self, version: int, index: int, results: pl.DataFrame, errors: pl.DataFrame) -> None:
        for table, frame in (("errors", errors), ("results", results)):  # results last: has_part
            path = self._part(table, version, index)
            path.parent.mkdir(exist_ok=True)  # not the scan's own folder: a deleted scan stays deleted
            tmp = path.with_name(path.name + ".tmp")
            frame.write_ipc(tmp, compression="lz4")
            os.replace(tmp, path)

    def part_counts(self, version: int) -> tuple[int, int, int]:
        """(parts, result rows, error rows) written so far, read from the files' metadata."""
        parts = results = errors = 0
        for index in itertools.count():
            if not self.has_part(version, index):
                break
            parts += 1
            results += pl.scan_ipc(self._part("results", version, index)).select(pl.len()).collect().item()
            errors += pl.scan_ipc(self._part("errors", version, index)).select(pl.len()).collect().item()
        return parts, results, errors

    def parts(self, table: str, version: int) -> list[Path]:
        return sorted((self.folder / f"v{version}").glob(f"*.{table}.arrow"))

    def read(self, table: str, version: int) -> pl.DataFrame | None:
        paths = self.parts(table, version)
        if not paths:
            return None
        frame = pl.concat([pl.read_ipc(p) for p in paths], how="vertical_relaxed", rechunk=False)
        return frame.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))

    def export(self, export_id: int, fmt: str) -> Path:
        return self.folder / "exports" / f"{export_id}.{fmt}"

    def drop_version(self, version: int) -> None:
        shutil.rmtree(self.folder / f"v{version}", ignore_errors=True)

    def drop_versions_but(self, keep: int) -> None:
        """Every version of results but `keep`: those replaced, and any a run left unfinished."""
        for path in self.folder.glob("v*"):
            if path.is_dir() and path.name[1:].isdigit() and int(path.name[1:]) != keep:
                shutil.rmtree(path, ignore_errors=True)

    def delete(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class ResultCache:
    """The latest few scans' result frames in memory: a results page then costs a filter and a
    partial sort, not a read of the files."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self._frames: OrderedDict[tuple, pl.DataFrame | None] = OrderedDict()
        self._lock = threading.Lock()
        self.budget = budget

    def get(self, files: ScanFiles, table: str, version: int, final: bool) -> pl.DataFrame | None:
        """The scan's rows; cached only once the scan has ended (`final`), as parts still come."""
        key = (str(files.folder), table, version)
        with self._lock:
            if key in self._frames:
                self._frames.move_to_end(key)
                return self._frames[key]
        frame = files.read(table, version)
        if final and frame is not None:
            frame = frame.rechunk()  # one chunk per column: a page's rows are then a cheap gather
            with self._lock:
                others = [k for k in self._frames if k[:2] == key[:2]]
                if any(k[2] > version for k in others):  # a late reader of a replaced version
                    return frame
                for older in others:
                    del self._frames[older]
                self._frames[key] = frame
                while len(self._frames) > 1 and self._bytes() > self.budget:  # the newest always stays
                    self._frames.popitem(last=False)
        return frame

    def _bytes(self) -> int:
        return sum(f.estimated_size() for f in self._frames.values() if f is not None)

    def forget(self, files: ScanFiles, version: int | None = None) -> None:
        """Drop a scan's frames (of one version of results, or all)."""
        with self._lock:
            for key in [k for k in self._frames if k[0] == str(files.folder) and version in (None, k[2])]:
                del self._frames[key]


results_cache = ResultCache()
