"""What the hot read routes derive from the catalog, kept in memory for one catalog revision.

A look-up of 10 ASINs read 10 JSON records, decoded them and built each item; a conversion of 20
codes walked the identifier graph twice per code: together most of what those requests cost
(docs/performance.md). Each marketplace's catalog revision is bumped in the same transaction as
every product write (`CatalogService._upsert`), so reading that one row per request (a few
microseconds) says whether what this process derived earlier still holds: when the revision
moved, the marketplace's entries are dropped. A write from any process (an import, live data
fetched by a look-up) is therefore seen by the next request, as when every request read the
records. Entries are derived after the revision is read, so none is older than its revision.
A catalog's first revision is random (`repository.bump_revision`), so entries of one database
are never taken for another's (tests make many; a server restored from a backup restarts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from sellerkit.catalog import repository as repo
from sellerkit.kit.db import Reader

V = TypeVar("V")
_MISSING = object()


class RevisionCache(Generic[V]):
    """`{key: value}` per marketplace, valid for one catalog revision, at most `capacity` entries
    per marketplace (the oldest dropped first). Values may be None (known absent)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._by_marketplace: dict[str, tuple[int, dict[str, V]]] = {}
        self._lock = threading.Lock()  # the web pages read from worker threads too

    def current(self, reader: Reader, marketplace: str) -> dict[str, V]:
        """The marketplace's entries, emptied if its catalog changed since they were derived."""
        revision = repo.revision(reader, marketplace)
        if not revision:  # no write counted yet (a catalog from before revisions): nothing to hold by
            return {}
        held = self._by_marketplace.get(marketplace)
        if held is None or held[0] != revision:
            held = (revision, {})
            with self._lock:
                self._by_marketplace[marketplace] = held
        return held[1]

    def get_many(self, reader: Reader, marketplace: str, keys: Iterable[str],
                 derive: Callable[[list[str]], dict[str, V]]) -> dict[str, V | None]:
        """Each key's value: held ones as they are, the others from one call of `derive` (given
        the missing keys; a key it leaves out is held as None)."""
        entries = self.current(reader, marketplace)
        found: dict[str, V | None] = {}
        missing = []
        for key in keys:
            value = entries.get(key, _MISSING)
            if value is _MISSING:
                missing.append(key)
            else:
                found[key] = value
        if missing:
            derived = derive(missing)
            with self._lock:
                for key in missing:
                    if len(entries) >= self.capacity:
                        entries.pop(next(iter(entries)), None)
                    found[key] = entries[key] = derived.get(key)
        return found

    def clear(self) -> None:
        with self._lock:
            self._by_marketplace.clear()
