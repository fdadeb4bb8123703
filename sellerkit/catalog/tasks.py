"""Long catalog jobs that own their transactions: file imports and the demo load."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from sellerkit.catalog.files import CatalogFile, JsonlBlock
from sellerkit.catalog.service import ImportReport, catalog, prepare_batch
from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.catalog")
BATCH = 5_000
TURN_TIMEOUT = 600  # seconds a batch waits for the one before it to commit

Batch = JsonlBlock | list[tuple[int, Any]]


def _batches(items: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _import_batch(db: Database, batch: Batch, turn: Callable = nullcontext) -> ImportReport:
    """Validate a batch, then write it in one transaction; `turn` holds the write back until
    every earlier batch has committed, so the file's order decides between duplicates."""
    try:
        prepared = prepare_batch(list(batch.items()) if isinstance(batch, JsonlBlock) else batch)
    except BaseException:
        with turn():  # fail in order, letting the batches behind this one go on
            raise
    with turn(), db.session(write=True) as session:
        return catalog.write_prepared(session, prepared)


# ---- worker processes: each validates its batches in parallel and writes them in file order,
# so no product data crosses a process boundary twice and the writes never interleave.

_worker: dict[str, Any] = {}


def _start_worker(url: str, next_batch, changed) -> None:
    gc.disable()
    _worker.update(db=Database(url), next_batch=next_batch, changed=changed)


@contextmanager
def _turn_of(seq: int):
    next_batch, changed = _worker["next_batch"], _worker["changed"]
    with changed:
        if not changed.wait_for(lambda: next_batch.value == seq, timeout=TURN_TIMEOUT):
            raise RuntimeError(f"import stalled: batch {next_batch.value} never finished")
    try:
        yield
    finally:
        with changed:
            next_batch.value = seq + 1
            changed.notify_all()


def _import_in_worker(seq: int, batch: Batch) -> ImportReport:
    return _import_batch(_worker["db"], batch, partial(_turn_of, seq))


def _imported(db: Database, batches: Iterable[Batch], workers: int) -> Iterator[ImportReport]:
    """Reports of the batches, in order, with a bounded number in flight so a huge file never
    sits in memory."""
    if workers <= 1:
        for batch in batches:
            yield _import_batch(db, batch)
        return
    ctx = multiprocessing.get_context("spawn")
    next_batch, changed = ctx.Value("q", 0, lock=False), ctx.Condition()
    with ctx.Pool(workers, _start_worker, (db.url, next_batch, changed)) as pool:
        pending: deque = deque()
        for seq, batch in enumerate(batches):
            pending.append(pool.apply_async(_import_in_worker, (seq, batch)))
            if len(pending) >= 2 * workers:
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
) -> ImportReport:
    return import_batches(db, _batches(items, batch_size), progress, workers)


def import_batches(
    db: Database,
    batches: Iterable[Batch],
    progress: Callable[[ImportReport], None] | None = None,
    workers: int = 1,
) -> ImportReport:
    """Stream batches into the catalog, one transaction each (bounded memory, and a crash
    keeps every committed batch; re-running the same file only finishes the rest)."""
    report = ImportReport()
    with _no_cyclic_gc():
        for batch_report in _imported(db, batches, workers):
            report.add(batch_report)
            if progress:
                progress(report)
    db.checkpoint()
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
    return import_batches(db, source.batches(), on_batch, workers=workers)


def load_demo_if_empty(db: Database, products: int, seed: int) -> ImportReport | None:
    """First start of `make run`: an empty catalog gets the deterministic demo products."""
    from sellerkit.catalog.demo import generate

    with db.session() as session:
        if catalog.count(session) > 0:
            return None
    log.info("loading %d demo products (seed %d)", products, seed)
    lines = map(orjson.dumps, generate(products, seed=seed))  # the path a JSONL file takes
    return import_items(db, enumerate(lines, start=1))
