"""Columnar snapshots of the catalog: what a scan joins a supplier file against.

Decoding a million JSON records takes seconds; a scan must not pay that. A snapshot holds, per
marketplace, the product fields a scan result shows (as typed columns named like the result's)
and the identifier graph's `(key, asin)` pairs, in Arrow IPC files under the data dir. It is
stamped with the marketplace's catalog revision (bumped by every write), so a stale snapshot is
rebuilt on first use after a change, and `sellerkit catalog import` rebuilds it when it ends.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sellerkit.catalog import repository as repo
from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.catalog")
CHUNK = 25_000  # records decoded at a time (bounded memory)
KEY_CHUNK = 250_000
_DIMS = pl.Struct({k: pl.Float64 for k in ("length", "width", "height", "weight")})
FAMILIES = ("upc", "ean", "isbn", "gtin", "jan")

# catalog-format field -> (result column, type)
FIELDS: dict[str, tuple[str, pl.DataType]] = {
    "asin": ("asin", pl.String),
    "title": ("amazon_title", pl.String),
    "brand": ("brand", pl.String),
    "color": ("color", pl.String),
    "size_name": ("size_name", pl.String),
    "category": ("category", pl.String),
    "rank": ("rank", pl.Int64),
    "buybox_price": ("buybox_price", pl.Int64),
    "list_price": ("list_price", pl.Int64),
    "lowest_price_new_fba": ("lowest_price_new_fba", pl.Int64),
    "lowest_price_new_fbm": ("lowest_price_new_fbm", pl.Int64),
    "lowest_price_used_fba": ("lowest_price_used_fba", pl.Int64),
    "lowest_price_used_fbm": ("lowest_price_used_fbm", pl.Int64),
    "amazon_pack_quantity": ("amazon_pack_quantity", pl.Int64),
    "competitive_sellers": ("competitive_sellers", pl.Int64),
    "new_fba_offers_count": ("new_fba_offers_count", pl.Int64),
    "new_fbm_offers_count": ("new_fbm_offers_count", pl.Int64),
    "total_offers_count": ("total_offers_count", pl.Int64),
    "number_of_variations": ("number_of_variations", pl.Int64),
    "parent_asin": ("parent_asin", pl.String),
    "sold_by_amazon": ("sold_by_amazon", pl.Boolean),
    "is_hazmat": ("is_hazmat", pl.Boolean),
    "is_meltable": ("is_meltable", pl.Boolean),
    "is_adult": ("is_adult", pl.Boolean),
    "monthly_sold": ("monthly_sold", pl.Int64),
    "demo": ("_demo", pl.Boolean),  # generated demo data: labelled wherever it shows
    "images": ("images", pl.List(pl.String)),
    "package_dimensions": ("dimensions.package_dimensions", _DIMS),
    "item_dimensions": ("dimensions.item_dimensions", _DIMS),
    "identifiers": ("identifiers", pl.Struct({f: pl.List(pl.String) for f in FAMILIES})),
    # live data a provider wrote (never shown as they are): the marketplace's own fee estimate
    # at a price, and whether the seller may list the product
    "amazon_fees": ("_amazon_fees", pl.Struct({"price": pl.Int64, "currency": pl.String, "fulfilment": pl.String,
                                               **{f: pl.Int64 for f in ("total", "referral", "fba", "closing",
                                                                         "per_item", "other")}})),
    "restrictions": ("_restrictions", pl.Struct({"condition": pl.String, "restricted": pl.Boolean,
                                                 "reasons": pl.List(pl.Struct({"code": pl.String,
                                                                               "message": pl.String}))})),
}
_SCHEMA = {name: dtype for name, (_, dtype) in FIELDS.items()}


@dataclass(frozen=True)
class CatalogFrame:
    marketplace: str
    revision: int
    products: pl.DataFrame  # one row per ASIN, columns named as in scan results
    keys: pl.DataFrame  # (key, asin): the identifier graph


def decode(records: list[str]) -> pl.DataFrame:
    """Catalog-format JSON records -> the snapshot's columns (unknown fields ignored)."""
    raw = pl.read_ndjson(io.BytesIO("\n".join(records).encode()), schema=_SCHEMA) if records \
        else pl.DataFrame(schema=_SCHEMA)
    out = []
    for name, (column, dtype) in FIELDS.items():
        if isinstance(dtype, pl.Struct):
            out += [pl.col(name).struct.field(f.name).alias(f"{column}.{f.name}") for f in dtype.fields]
        else:
            out.append(pl.col(name).alias(column))
    return raw.select(out)


def _columns() -> list[str]:
    """The columns `decode` makes, from FIELDS alone: a polars operation at import would start
    polars' thread pool, and a server worker forked after that deadlocks in its first query."""
    out = []
    for column, dtype in FIELDS.values():
        out += [f"{column}.{f.name}" for f in dtype.fields] if isinstance(dtype, pl.Struct) else [column]
    return out


_COLUMNS = _columns()
# Column groups of live data a snapshot leaves out while no product has any (scans join fewer columns)
OPTIONAL = ("_amazon_fees", "_restrictions")


class Snapshots:
    """Snapshots on disk, and the latest of each marketplace in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[tuple[Path, str], CatalogFrame] = {}

    def current(self, db: Database, data_dir: Path, marketplace: str) -> CatalogFrame:
        with db.reader() as reader:
            revision = repo.revisions(reader).get(marketplace, 0)
        with self._lock:  # one build at a time per process; they are memory-hungry
            cached = self._cached.get((data_dir, marketplace))
            if cached is not None and cached.revision == revision:
                return cached
            frame = self._load(data_dir, marketplace, revision) or self._build(db, data_dir, marketplace, revision)
            self._cached[(data_dir, marketplace)] = frame
            return frame

    def refresh(self, db: Database, data_dir: Path) -> list[str]:
        """Bring every marketplace's snapshot files up to date; returns those rebuilt. Only the
        files: a process loads a snapshot when a scan needs it."""
        with db.reader() as reader:
            revisions = repo.revisions(reader)
        built = []
        for mp, revision in sorted(revisions.items()):
            if not _paths(data_dir, mp, revision)[0].exists():
                with self._lock:
                    self._build(db, data_dir, mp, revision)
                built.append(mp)
        return built

    @staticmethod
    def _load(data_dir: Path, marketplace: str, revision: int) -> CatalogFrame | None:
        products, keys = _paths(data_dir, marketplace, revision)
        if not (products.exists() and keys.exists()):
            return None
        frame = pl.read_ipc(products)
        if [c for c in _COLUMNS if c in frame.columns or not c.startswith(OPTIONAL)] != frame.columns:
            return None  # written by an earlier version: rebuilt with today's fields
        return CatalogFrame(marketplace, revision, frame, pl.read_ipc(keys))

    @staticmethod
    def _build(db: Database, data_dir: Path, marketplace: str, revision: int) -> CatalogFrame:
        log.info("building the %s catalog snapshot (revision %d)", marketplace, revision)
        key_schema = {"key": pl.String, "asin": pl.String}
        with db.reader() as reader:
            parts = [decode(chunk) for chunk in repo.product_data_chunks(reader, marketplace, CHUNK)]
            key_parts = [pl.DataFrame(rows, schema=key_schema, orient="row")
                         for rows in repo.identifier_key_chunks(reader, marketplace, KEY_CHUNK)]
        products = pl.concat(parts).rechunk() if parts else decode([])
        del parts
        for group in OPTIONAL:  # no product has that live data: a scan carries nothing for it
            columns = [c for c in products.columns if c.startswith(f"{group}.")]
            if all(products.get_column(c).null_count() == products.height for c in columns):
                products = products.drop(columns)
        keys = pl.concat(key_parts).unique(maintain_order=True) if key_parts else pl.DataFrame(schema=key_schema)
        folder = data_dir / "catalog"
        folder.mkdir(parents=True, exist_ok=True)
        for frame, path in zip((products, keys), _paths(data_dir, marketplace, revision)):
            tmp = path.with_suffix(".tmp")
            frame.write_ipc(tmp, compression="lz4")
            os.replace(tmp, path)
        for old in folder.glob(f"{marketplace}-*.arrow"):  # earlier revisions
            if not old.name.startswith(f"{marketplace}-{revision}."):
                old.unlink(missing_ok=True)
        return CatalogFrame(marketplace, revision, products, keys)


def _paths(data_dir: Path, marketplace: str, revision: int) -> tuple[Path, Path]:
    folder = data_dir / "catalog"
    return folder / f"{marketplace}-{revision}.products.arrow", folder / f"{marketplace}-{revision}.keys.arrow"


snapshots = Snapshots()
