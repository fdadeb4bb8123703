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
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from sellerkit.catalog import repository as repo
from sellerkit.kit.db import Reader

V = TypeVar("V")
_MISSING = object()


class _Held(Generic[V]):
    """One marketplace's entries for one catalog revision, in two parts, each oldest first:
    `recent` holds what was derived and not asked for since, `repeated` what was asked for
    again while held. A key asked for once (a client going through a catalog) therefore only
    ever displaces other such keys, never the ones asked for again and again. OrderedDicts: a
    dict emptied from the front keeps the holes there until it grows, and finding its oldest
    entry walked them all (about 6 us an entry dropped at 20,000 entries)."""

    __slots__ = ("revision", "recent", "repeated")

    def __init__(self, revision: int) -> None:
        self.revision = revision
        self.recent: OrderedDict[str, V] = OrderedDict()
        self.repeated: OrderedDict[str, V] = OrderedDict()


class RevisionCache(Generic[V]):
    """`{key: value}` per marketplace, valid for one catalog revision, at most `capacity` entries
    per marketplace. Values may be None (known absent).

    Past its capacity the cache drops the oldest entry not asked for again since it was derived;
    entries asked for again keep at most `capacity` less a fifth (the oldest of them goes back
    among the others past that). With the oldest entry dropped whatever it was, a run of keys
    asked once (the bench's look-up of items not asked before: 50,000 to 100,000 ASINs a worker in
    10 s) emptied the cache of the ones asked for all the time, which were then read and built
    again, a few hundred microseconds each, in the first seconds after: about 2% of the next
    run's requests, its p99 (docs/performance.md)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.repeated_capacity = max(0, capacity - max(1, capacity // 5))
        self._by_marketplace: dict[str, _Held[V]] = {}
        self._lock = threading.Lock()  # the web pages read from worker threads too

    def current(self, reader: Reader, marketplace: str) -> _Held[V]:
        """The marketplace's entries, emptied if its catalog changed since they were derived."""
        revision = repo.revision(reader, marketplace)
        if not revision:  # no write counted yet (a catalog from before revisions): nothing to hold by
            return _Held(0)
        held = self._by_marketplace.get(marketplace)
        if held is None or held.revision != revision:
            held = _Held(revision)
            with self._lock:
                self._by_marketplace[marketplace] = held
        return held

    def get_many(self, reader: Reader, marketplace: str, keys: Iterable[str],
                 derive: Callable[[list[str]], dict[str, V]]) -> dict[str, V | None]:
        """Each key's value: held ones as they are, the others from one call of `derive` (given
        the missing keys; a key it leaves out is held as None)."""
        held = self.current(reader, marketplace)
        recent, repeated = held.recent, held.repeated
        found: dict[str, V | None] = {}
        missing, again = [], []
        for key in keys:
            value = repeated.get(key, _MISSING)
            if value is _MISSING:
                value = recent.get(key, _MISSING)
                if value is _MISSING:
                    missing.append(key)
                    continue
                again.append(key)
            found[key] = value
        derived = derive(missing) if missing else None
        if again or missing:
            with self._lock:
                for key in again:
                    self._promote(held, key)
                for key in missing:
                    found[key] = recent[key] = derived.get(key)
                    while len(recent) + len(repeated) > self.capacity:
                        (recent or repeated).popitem(last=False)
        return found

    def _promote(self, held: _Held[V], key: str) -> None:
        """A recent entry asked for again among the repeated ones (the caller holds the lock)."""
        if not self.repeated_capacity:  # a cache of one entry: nowhere to keep it apart
            return
        value = held.recent.pop(key, _MISSING)
        if value is _MISSING:  # dropped meanwhile (another thread's entries)
            return
        held.repeated[key] = value
        if len(held.repeated) > self.repeated_capacity:
            oldest, kept = held.repeated.popitem(last=False)
            held.recent[oldest] = kept

    def clear(self) -> None:
        with self._lock:
            self._by_marketplace.clear()
