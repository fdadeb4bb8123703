"""The look-up's items of one catalog revision, prepared ahead in a file that processes map.

A look-up of 10 ASINs that no request asked for before read 10 records from SQLite, decoded each,
built its item and encoded it: some 30 us an item, most of such a request (docs/performance.md).
After the catalog snapshots, the sweep (and `sellerkit catalog snapshot`) writes each product's
item JSON, in ASIN order, to one file per marketplace and revision. Server workers map the file
read-only (its pages are the page cache's, shared by every process, never private memory) and
find an item by binary search: a few microseconds. A look-up uses the file only while its
revision is the marketplace's catalog revision; otherwise it reads the catalog as before.

The file, little-endian: the items' JSON one after another, padded to 8 bytes; `n + 1` offsets
(u64) where each item starts and the last ends; the `n` ASINs as sortable integers (i64, base 36:
an ASIN is 10 characters of 0-9 and A-Z, so their order is the text's); then a footer of the
magic, `n` and where the offsets start.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path

import orjson

from sellerkit.catalog import repository as repo
from sellerkit.catalog.snapshot import drop_abandoned
from sellerkit.domain.lookup import item
from sellerkit.domain.marketplaces import marketplace as marketplace_of
from sellerkit.kit.db import Database, Reader

log = logging.getLogger("sellerkit.catalog")
MAGIC = b"SKITEMS1"
_FOOTER = struct.Struct("<8sQQ")  # magic, n, where the offsets start
CHUNK = 25_000  # records read at a time
RECHECK_SECONDS = 1.0  # how often a process looks again for a file it did not find


def asin_key(asin: str) -> int:
    """An ASIN as an integer in the same order as its text (ValueError for anything else: int()
    alone would also take lower case, spaces, signs and underscores)."""
    if len(asin) != 10 or not (asin.isascii() and asin.isalnum()) or asin != asin.upper():
        raise ValueError(asin)
    return int(asin, 36)


def write(path: Path, items: Iterable[tuple[str, bytes]]) -> int:
    """Write `(asin, item JSON)` pairs, given in ascending ASIN order, as an items file (whole or
    not at all: written aside, then renamed); returns how many."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    keys, offsets = array("q"), array("Q", [0])
    try:
        with open(temp, "wb") as out:
            at = 0
            for asin, text in items:
                key = asin_key(asin)
                if keys and key <= keys[-1]:
                    raise ValueError(f"items out of ASIN order at {asin}")
                out.write(text)
                at += len(text)
                keys.append(key)
                offsets.append(at)
            out.write(b"\0" * (-at % 8))
            offsets_at = at + (-at % 8)
            out.write(offsets.tobytes())
            out.write(keys.tobytes())
            out.write(_FOOTER.pack(MAGIC, len(keys), offsets_at))
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return len(keys)


class ItemFile:
    """One items file, mapped; `get` finds an item by ASIN."""

    def __init__(self, path: Path, revision: int) -> None:
        self.path, self.revision = path, revision
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, n, offsets_at = _FOOTER.unpack_from(self._map, len(self._map) - _FOOTER.size)
        keys_at = offsets_at + 8 * (n + 1)
        if magic != MAGIC or keys_at + 8 * n + _FOOTER.size != len(self._map):
            raise ValueError(f"{path.name}: not an items file")
        view = memoryview(self._map)
        self._offsets = view[offsets_at:keys_at].cast("Q")
        self._keys = view[keys_at:keys_at + 8 * n].cast("q")
        self.size = n

    def get(self, asin: str) -> bytes | None:
        try:
            key = asin_key(asin)
        except ValueError:
            return None
        keys = self._keys
        at = bisect_left(keys, key)
        if at == len(keys) or keys[at] != key:
            return None
        return self._map[self._offsets[at]:self._offsets[at + 1]]

    def get_many(self, asins: Iterable[str]) -> dict[str, bytes | None]:
        return {asin: self.get(asin) for asin in asins}


def file_for(data_dir: Path, marketplace: str, revision: int) -> Path:
    return data_dir / "catalog" / f"{marketplace}-{revision}.items.bin"


class ItemFiles:
    """The items file of each marketplace's current revision, mapped once per process."""

    def __init__(self) -> None:
        self._open: dict[tuple[Path, str], ItemFile] = {}
        self._missing: dict[tuple[Path, str, int], float] = {}  # not found, when last looked for
        self._lock = threading.Lock()

    def current(self, reader: Reader, data_dir: Path, marketplace: str) -> ItemFile | None:
        """The marketplace's items file if one of its current catalog revision exists, else None
        (read the catalog). A revision's file is looked for at most every RECHECK_SECONDS."""
        revision = repo.revision(reader, marketplace)
        held = self._open.get((data_dir, marketplace))
        if held is not None and held.revision == revision:
            return held
        if not revision:
            return None
        now = time.monotonic()
        looked = self._missing.get((data_dir, marketplace, revision))
        if looked is not None and now - looked < RECHECK_SECONDS:
            return None
        path = file_for(data_dir, marketplace, revision)
        try:
            opened = ItemFile(path, revision)
        except (OSError, ValueError):  # not built yet (or torn, which `write`'s rename rules out)
            with self._lock:
                self._missing[(data_dir, marketplace, revision)] = now
            return None
        with self._lock:
            self._open[(data_dir, marketplace)] = opened  # an earlier revision's map closes with its last user
            self._missing = {k: v for k, v in self._missing.items() if k[:2] != (data_dir, marketplace)}
        return opened

    def refresh(self, db: Database, data_dir: Path) -> list[str]:
        """Write the items file of every marketplace whose current revision has none; returns
        those written. A marketplace written to meanwhile gets none (the next refresh writes
        it): the file must hold exactly its revision's products."""
        with db.reader() as reader:
            revisions = repo.revisions(reader)
        written = []
        folder = data_dir / "catalog"
        for mp, revision in sorted(revisions.items()):
            path = file_for(data_dir, mp, revision)
            if not revision or path.exists():
                continue
            drop_abandoned(data_dir, mp)
            started = time.perf_counter()
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with db.reader() as reader:
                    count = write(path, _items(reader, mp))
                    if repo.revision(reader, mp) != revision:
                        path.unlink(missing_ok=True)
                        continue
            except OSError as exc:  # a full or read-only disk: look-ups read the catalog meanwhile
                log.warning("could not prepare the %s look-up items: %s", mp, exc)
                continue
            log.info("prepared %d %s look-up items (revision %d) in %.1f s", count, mp, revision,
                     time.perf_counter() - started)
            written.append(mp)
            with self._lock:  # this process need not wait to find it
                self._missing.pop((data_dir, mp, revision), None)
            for old in folder.glob(f"{mp}-*.items.bin"):
                if old != path:
                    old.unlink(missing_ok=True)
        return written


def _items(reader: Reader, marketplace: str) -> Iterable[tuple[str, bytes]]:
    market = marketplace_of(marketplace)
    for chunk in repo.product_data_chunks(reader, marketplace, CHUNK):
        for text in chunk:
            one = item(orjson.loads(text), market)
            yield one["asin"], orjson.dumps(one)


item_files = ItemFiles()
