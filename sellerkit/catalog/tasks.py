"""Long catalog jobs that own their transactions: file imports and the demo load."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from sellerkit.catalog.files import CatalogFile, JsonlBlock, JsonlSpan
from sellerkit.catalog.service import ImportReport, PreparedBatch, catalog, prepare_batch
from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.catalog")
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt() parameters
BATCH = 5_000
# Rows per write transaction. Every commit rewrites each index page it touched, and a block's
# random ASINs and GTINs touch nearly all of them: fewer, larger transactions write far less.
TRANSACTION_ROWS = 250_000

Batch = JsonlSpan | JsonlBlock | list[tuple[int, Any]]


def _batches(items: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _prepare(batch: Batch, decimal: str | None = None) -> PreparedBatch:
    return prepare_batch(batch if isinstance(batch, list) else list(batch.items()), decimal)


def _start_worker() -> None:
    gc.disable()  # see _no_cyclic_gc
    _keep_freed_memory()
    os.nice(5)  # the writer is the import's critical path: let it have a core when it can use one


def _keep_freed_memory() -> None:
    """Every block allocates and frees tens of MiB; glibc would give freed memory back to the
    kernel at once and fault it in again for the next block (a sixth of an import's CPU went
    to page faults). Keep up to 1 GiB of it for reuse, and take blocks from the heap."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_TRIM_THRESHOLD, 2**30)
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's largest
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def _prepared(batches: Iterable[Batch], workers: int, decimal: str | None = None) -> Iterator[PreparedBatch]:
    """The batches validated, in file order. Worker processes validate several at once while
    this process writes; a bounded number in flight keeps a huge file out of memory."""
    if workers <= 1:
        yield from (_prepare(batch, decimal) for batch in batches)
        return
    _keep_freed_memory()  # for the blocks this process reads and the results it gets back
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, _start_worker) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(_prepare, (batch, decimal)))
            if len(pending) > workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
        pool.join()


@contextmanager
def _no_cyclic_gc():
    """Batches allocate millions of small acyclic objects; the cyclic collector would walk
    them again and again (a third of the import time) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def import_items(
    db: Database,
    items: Iterable[tuple[int, Any]],
    progress: Callable[[ImportReport], None] | None = None,
    batch_size: int = BATCH,
    workers: int = 1,
    decimal: str | None = None,
) -> ImportReport:
    return import_batches(db, _batches(items, batch_size), progress, workers, decimal)


def import_batches(
    db: Database,
    batches: Iterable[Batch],
    progress: Callable[[ImportReport], None] | None = None,
    workers: int = 1,
    decimal: str | None = None,
) -> ImportReport:
    """Stream batches into the catalog in file order, a transaction per TRANSACTION_ROWS or
    so (bounded memory, and a crash keeps every committed transaction; re-running the same
    file only finishes the rest). `decimal`: how numbers written as text are read (`.` or `,`;
    default: each record's marketplace's)."""
    report = ImportReport()
    stream = _prepared(batches, workers, decimal)
    with _no_cyclic_gc(), db.bulk_load() as load:
        prepared = next(stream, None)
        while prepared is not None:
            with load.session() as session:
                written = 0
                while prepared is not None:
                    report.add(catalog.write_prepared(session, prepared))
                    if progress:
                        progress(report)
                    written += prepared.rows
                    prepared = None  # not held while the next one is awaited
                    if written < TRANSACTION_ROWS:
                        prepared = next(stream, None)
            prepared = next(stream, None)  # None again once the stream has ended
    return report


def import_file(
    db: Database,
    path: str | Path,
    progress: Callable[[CatalogFile, ImportReport], None] | None = None,
    workers: int | None = None,
    decimal: str | None = None,
) -> ImportReport:
    source = CatalogFile(path)
    if workers is None:  # worker processes pay off from a few batches up
        workers = default_workers() if source.total_bytes > 20 * 2**20 else 1
    on_batch = (lambda rep: progress(source, rep)) if progress else None
    return import_batches(db, source.batches(), on_batch, workers=workers, decimal=decimal)


def load_demo_if_empty(db: Database | None, products: int, seed: int) -> ImportReport | None:
    """First start of `make run`: an empty catalog gets the deterministic demo products (`db`
    None: the settings' database, for a process of its own)."""
    from sellerkit.catalog.demo import generate

    if db is None:
        from sellerkit.config import get_settings

        db = Database(get_settings().resolved_database_url)

    with db.session() as session:
        if catalog.count(session) > 0:
            return None
    log.info("loading %d demo products (seed %d)", products, seed)
    lines = map(orjson.dumps, generate(products, seed=seed))  # the path a JSONL file takes
    return import_items(db, enumerate(lines, start=1))


_LOAD_DEMO = """
import json, sys
from sellerkit.catalog.tasks import load_demo_if_empty
from sellerkit.config import get_settings
from sellerkit.kit.db import Database
settings = get_settings()
db = Database(settings.resolved_database_url)
report = load_demo_if_empty(db, int(sys.argv[1]), int(sys.argv[2]))
if report:
    from sellerkit.scans.runner import refresh_snapshots
    refresh_snapshots(db, settings)
print(json.dumps(report.inserted if report else None))
"""


def load_demo_apart(products: int, seed: int) -> int | None:
    """`load_demo_if_empty` in a process of its own, with the catalog snapshots it makes stale
    built there too; the products inserted, or None if the catalog had some. Generating and
    importing the demo catalog takes a few hundred MiB that Python would keep, and a server's
    workers would inherit, for good; building the snapshots would take some 40 MiB in the
    worker whose first sweep found them missing. A plain child process: multiprocessing's spawn
    would leave its resource-tracker process running beside the server (6 MiB)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _LOAD_DEMO, str(products), str(seed)], check=True,
                         stdout=subprocess.PIPE, text=True).stdout  # its log and errors go to our stderr
    return orjson.loads(out.strip().splitlines()[-1])
