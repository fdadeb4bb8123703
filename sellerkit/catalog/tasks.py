"""Long catalog jobs that own their transactions: file imports and the demo load."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from sellerkit.catalog.files import CatalogFile
from sellerkit.catalog.service import ImportReport, PreparedBatch, catalog, prepare_batch
from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.catalog")
BATCH = 5_000


def _batches(items: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _prepared(batches: Iterator[list], workers: int) -> Iterator[PreparedBatch]:
    """Validate batches in worker processes, in order, with a bounded number in flight so a
    huge file never sits in memory."""
    if workers <= 1:
        yield from map(prepare_batch, batches)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(prepare_batch, (batch,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def import_items(
    db: Database,
    items: Iterable[tuple[int, Any]],
    progress: Callable[[ImportReport], None] | None = None,
    batch_size: int = BATCH,
    workers: int = 1,
) -> ImportReport:
    """Stream items into the catalog, one transaction per batch (bounded memory, and a crash
    keeps every committed batch; re-running the same file only finishes the rest)."""
    report = ImportReport()
    for prepared in _prepared(_batches(items, batch_size), workers):
        with db.session(write=True) as session:
            report.add(catalog.write_prepared(session, prepared))
        if progress:
            progress(report)
    return report


def import_file(
    db: Database,
    path: str | Path,
    progress: Callable[[CatalogFile, ImportReport], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    source = CatalogFile(path)
    if workers is None:  # worker processes pay off from a few batches up
        workers = default_workers() if source.total_bytes > 20 * 2**20 else 1
    on_batch = (lambda rep: progress(source, rep)) if progress else None
    return import_items(db, source, on_batch, workers=workers)


def load_demo_if_empty(db: Database, products: int, seed: int) -> ImportReport | None:
    """First start of `make run`: an empty catalog gets the deterministic demo products."""
    from sellerkit.catalog.demo import generate

    with db.session() as session:
        if catalog.count(session) > 0:
            return None
    log.info("loading %d demo products (seed %d)", products, seed)
    return import_items(db, enumerate(generate(products, seed=seed), start=1))
