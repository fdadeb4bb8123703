"""All SQL about the product catalog, identifier graph and observations."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.catalog.models import CatalogRevision, InboundEligibility, Observation, Product, ProductIdentifier
from sellerkit.kit.db import Reader, bulk_insert, insert_ignoring_conflicts, marks, upsert

P = Product.__table__
I = ProductIdentifier.__table__  # noqa: E741
O = Observation.__table__  # noqa: E741
R = CatalogRevision.__table__

# Row layouts of the bulk inserts (tuples, in this order).
PRODUCT_COLUMNS = ("marketplace", "asin", "data")
IDENTIFIER_COLUMNS = ("marketplace", "key", "asin", "family", "value")


def existing(
    session: Session, marketplace: str, asins: list[str], max_id: int | None = None
) -> dict[str, tuple[int, str]]:
    """`{asin: (id, data)}` of those already in the catalog (with ids up to `max_id`)."""
    stmt = sa.select(P.c.id, P.c.asin, P.c.data).where(
        P.c.marketplace == marketplace, P.c.asin.in_(asins)
    )
    if max_id is not None:
        stmt = stmt.where(P.c.id <= max_id)
    return {asin: (pid, data) for pid, asin, data in session.execute(stmt)}


def insert_new_products(
    session: Session, marketplace: str, rows: list[tuple]
) -> dict[str, tuple[int, str]]:
    """Insert the rows (one marketplace, distinct ASINs) whose product is not in the catalog
    yet; returns the others as `existing` does, for the caller to merge.

    On SQLite in one pass: an insert that skips conflicts, and a look-up only when some did
    conflict, as re-imports and updates do but a first import does not. The products that were
    there are those with ids up to the largest before the insert: SQLite numbers new rows
    above it, and the transaction holds the write lock. Elsewhere: look up, then insert."""
    if session.get_bind().dialect.name != "sqlite":
        found = existing(session, marketplace, [row[1] for row in rows])
        bulk_insert(session, P, PRODUCT_COLUMNS, [row for row in rows if row[1] not in found])
        return found
    floor = session.execute(sa.select(sa.func.max(P.c.id))).scalar() or 0
    if bulk_insert(session, P, PRODUCT_COLUMNS, rows, skip_conflicts=True) == len(rows):
        return {}
    return existing(session, marketplace, [row[1] for row in rows], max_id=floor)


def update_products(session: Session, rows: list[dict]) -> None:
    if rows:
        stmt = (
            P.update()
            .where(P.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in rows[0] if c != "_id"})
        )
        session.execute(stmt, rows)


def replace_identifiers(
    session: Session, marketplace: str, asins: list[str], rows: list[dict]
) -> None:
    if asins:
        session.execute(I.delete().where(I.c.marketplace == marketplace, I.c.asin.in_(asins)))
    if rows:
        session.execute(I.insert(), rows)


def insert_identifiers(session: Session, rows: list[tuple]) -> None:
    bulk_insert(session, I, IDENTIFIER_COLUMNS, rows)


def insert_observations(session: Session, rows: list[dict]) -> int:
    return insert_ignoring_conflicts(session, O, rows)


_MATCHES = (
    "SELECT key, asin, family, value FROM product_identifiers WHERE marketplace = ? AND asin IN "
    "(SELECT asin FROM product_identifiers WHERE marketplace = ? AND key IN ({marks}))"
)
_BY_ASINS = "SELECT asin, family, value FROM product_identifiers WHERE marketplace = ? AND asin IN ({marks})"


def matches_for_keys(
    reader: Reader, marketplace: str, keys: Iterable[str]
) -> list[tuple[str, str, str, str]]:
    """`(key, asin, family, value)`: every identifier of every ASIN that one of `keys` reaches."""
    keys = tuple(keys)
    return reader.rows(_MATCHES.format(marks=marks(len(keys))), (marketplace, marketplace, *keys))


_ASINS_BY_KEYS = "SELECT key, asin FROM product_identifiers WHERE marketplace = ? AND key IN ({marks})"


def asins_for_keys(reader: Reader, marketplace: str, keys: Iterable[str]) -> list[tuple[str, str]]:
    """`(key, asin)` of every ASIN the identifier keys reach (a key may reach several)."""
    keys = tuple(keys)
    if not keys:
        return []
    return reader.rows(_ASINS_BY_KEYS.format(marks=marks(len(keys))), (marketplace, *keys))


def record_texts(reader: Reader, marketplace: str, asins: Iterable[str]) -> dict[str, str]:
    """`{asin: catalog record as JSON text}` of those of `asins` in the marketplace's catalog."""
    asins = tuple(asins)
    if not asins:
        return {}
    return dict(reader.rows(_RECORDS.format(marks=marks(len(asins))), (marketplace, *asins)))


def identifiers_for_asins(
    reader: Reader, marketplace: str, asins: Iterable[str]
) -> list[tuple[str, str, str]]:
    asins = tuple(asins)
    return reader.rows(_BY_ASINS.format(marks=marks(len(asins))), (marketplace, *asins))


def iter_product_data(session: Session, marketplace: str | None = None) -> Iterator[str]:
    stmt = sa.select(P.c.data).order_by(P.c.marketplace, P.c.asin)
    if marketplace:
        stmt = stmt.where(P.c.marketplace == marketplace)
    for (data,) in session.execute(stmt.execution_options(yield_per=2000)):
        yield data


def iter_observations(session: Session, marketplace: str | None = None) -> Iterator[sa.Row]:
    stmt = sa.select(O).order_by(O.c.marketplace, O.c.asin, O.c.observed_at)
    if marketplace:
        stmt = stmt.where(O.c.marketplace == marketplace)
    yield from session.execute(stmt.execution_options(yield_per=5000))


def count_products(session: Session) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(P)).scalar_one()


def sample_identifiers(
    session: Session, marketplace: str, family: str, limit: int, skip_prefixes: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """`(value, asin)` of up to `limit` identifiers of a family, without those starting with one
    of `skip_prefixes` (an EAN that is only a UPC with a leading 0, or an ISBN)."""
    stmt = sa.select(I.c.value, I.c.asin).where(I.c.marketplace == marketplace, I.c.family == family)
    for prefix in skip_prefixes:
        stmt = stmt.where(sa.not_(I.c.value.startswith(prefix, autoescape=True)))
    return [tuple(row) for row in session.execute(stmt.limit(limit))]


def bump_revision(session: Session, marketplace: str) -> None:
    """Mark the marketplace's catalog changed (in the caller's transaction). The first revision
    is a random number, not 1, so a revision names one state of one catalog: a process that
    holds what it derived at a revision (`catalog.cache`) never takes another database's, or
    the same database's after it was emptied, for it."""
    done = session.execute(R.update().where(R.c.marketplace == marketplace)
                           .values(revision=R.c.revision + 1)).rowcount
    if not done:
        insert_ignoring_conflicts(session, R, [{"marketplace": marketplace, "revision": secrets.randbelow(2**60) + 1}])


def revision(reader: Reader, marketplace: str) -> int:
    """The marketplace's catalog revision now (0 before the first counted write): one row, read
    again only when the database changed (`Reader.memo`: SQLite)."""
    held = reader.memo("catalog.revision")
    if held is not None and (found := held.get(marketplace)) is not None:
        return found
    rows = reader.rows("SELECT revision FROM catalog_revisions WHERE marketplace = ?", (marketplace,))
    found = rows[0][0] if rows else 0
    if held is not None:
        held[marketplace] = found
    return found


# The marketplaces with products, one index seek each (DISTINCT reads the whole (marketplace,
# asin) index: ~100 MB of a 1M-product catalog, every minute, mapped into the process's memory).
_MARKETPLACES = """WITH RECURSIVE m(marketplace) AS (
    SELECT min(marketplace) FROM products
    UNION ALL
    SELECT (SELECT min(marketplace) FROM products WHERE marketplace > m.marketplace) FROM m
    WHERE m.marketplace IS NOT NULL)
SELECT marketplace FROM m WHERE marketplace IS NOT NULL"""


def revisions(reader: Reader) -> dict[str, int]:
    """Every marketplace with products -> its catalog revision (0 before the first counted write)."""
    found = {mp: 0 for (mp,) in reader.rows(_MARKETPLACES, ())}
    return found | dict(reader.rows("SELECT marketplace, revision FROM catalog_revisions", ()))


def product_data_chunks(reader: Reader, marketplace: str, size: int) -> Iterator[list[str]]:
    """Every product record of a marketplace, `size` at a time in ASIN order (keyset paging on
    the (marketplace, asin) index: each chunk costs its own rows, not a re-sort)."""
    last = ""
    while True:
        rows = reader.rows("SELECT asin, data FROM products WHERE marketplace = ? AND asin > ? "
                           "ORDER BY marketplace, asin LIMIT ?", (marketplace, last, size))
        if not rows:
            return
        last = rows[-1][0]
        yield [data for _, data in rows]


def identifier_key_chunks(reader: Reader, marketplace: str, size: int) -> Iterator[list[tuple[str, str]]]:
    """`(key, asin)` of the whole identifier graph of a marketplace, in key order, `size` rows at
    a time (a key's rows may span two chunks: callers drop duplicates)."""
    last_key, last_asin = "", ""
    while True:
        rows = reader.rows("SELECT key, asin FROM product_identifiers WHERE marketplace = ? "
                           "AND (key > ? OR (key = ? AND asin > ?)) ORDER BY key, asin LIMIT ?",
                           (marketplace, last_key, last_key, last_asin, size))
        if not rows:
            return
        last_key, last_asin = rows[-1]
        yield rows


def observations_of(reader: Reader, marketplace: str, asin: str, limit: int = 1_000) -> list[tuple]:
    """`(observed_at, buybox_price, rank)` of one ASIN, oldest first: the latest `limit` points."""
    rows = reader.rows("SELECT observed_at, buybox_price, rank FROM observations WHERE marketplace = ? AND asin = ? "
                       "ORDER BY observed_at DESC LIMIT ?", (marketplace, asin, limit))
    return [(_utc(at), price, rank) for at, price, rank in reversed(rows)]


def observations_since(reader: Reader, marketplace: str, since) -> list[tuple]:
    """`(asin, observed_at, buybox_price, rank, amazon_in_stock)` of a marketplace since a time."""
    return reader.rows("SELECT asin, observed_at, buybox_price, rank, amazon_in_stock FROM observations "
                       "WHERE marketplace = ? AND observed_at >= ?",
                       (marketplace, since.strftime("%Y-%m-%d %H:%M:%S") if reader.is_sqlite else since))


def provided_stats(reader: Reader, marketplace: str, field: str = "keepa_stats") -> list[tuple[str, dict]]:
    """`(asin, record[field])` of the marketplace's products whose record carries `field` (a
    provider's own historical figures, e.g. Keepa's); the text test only narrows the scan."""
    rows = reader.rows("SELECT asin, data FROM products WHERE marketplace = ? AND data LIKE ?",
                       (marketplace, f'%"{field}"%'))
    out = []
    for asin, data in rows:
        value = orjson.loads(data).get(field)
        if isinstance(value, dict):
            out.append((asin, value))
    return out


# ---- FBA inbound eligibility -----------------------------------------------------------------

E = InboundEligibility.__table__
_RECORDS = "SELECT asin, data FROM products WHERE marketplace = ? AND asin IN ({marks})"
_ELIGIBILITY = (
    "SELECT asin, eligible, ineligible_codes, checked_at, source FROM inbound_eligibility "
    "WHERE marketplace = ? AND asin IN ({marks})"
)


@dataclass(frozen=True, slots=True)
class StoredEligibility:
    asin: str
    eligible: bool
    ineligible_codes: list[str]
    checked_at: datetime
    source: str


def _utc(value: datetime | str) -> datetime:
    """A timestamp column read through a Reader: PostgreSQL gives an aware datetime, SQLite
    the UTC text SQLAlchemy stored."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def product_records(reader: Reader, marketplace: str, asins: Iterable[str]) -> dict[str, dict]:
    """`{asin: catalog record}` of those of `asins` in the marketplace's catalog."""
    asins = tuple(asins)
    if not asins:
        return {}
    rows = reader.rows(_RECORDS.format(marks=marks(len(asins))), (marketplace, *asins))
    return {asin: orjson.loads(data) for asin, data in rows}


def stored_eligibility(
    reader: Reader, marketplace: str, asins: Iterable[str]
) -> dict[str, StoredEligibility]:
    asins = tuple(asins)
    if not asins:
        return {}
    rows = reader.rows(_ELIGIBILITY.format(marks=marks(len(asins))), (marketplace, *asins))
    return {
        asin: StoredEligibility(asin, bool(eligible), orjson.loads(codes), _utc(checked_at), source)
        for asin, eligible, codes, checked_at, source in rows
    }


def store_eligibility(session: Session, marketplace: str, rows: list[StoredEligibility]) -> None:
    """Insert or replace answers, one row per (marketplace, asin)."""
    upsert(session, E, [
        {"marketplace": marketplace, "asin": r.asin, "eligible": r.eligible,
         "ineligible_codes": orjson.dumps(r.ineligible_codes).decode(),
         "checked_at": r.checked_at, "source": r.source}
        for r in rows
    ], keys=("marketplace", "asin"))
