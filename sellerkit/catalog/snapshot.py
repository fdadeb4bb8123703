"""Columnar snapshots of the catalog: what a scan joins a supplier file against.

Decoding a million JSON records takes seconds; a scan must not pay that. A snapshot holds, per
marketplace, the product fields a scan result shows (as typed columns named like the result's)
and the identifier graph's `(key, asin)` pairs, in Arrow IPC files under the data dir. It is
stamped with the marketplace's catalog revision (bumped by every write), so a stale snapshot is
rebuilt on first use after a change, and `sellerkit catalog import` rebuilds it when it ends.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import orjson
import polars as pl

from sellerkit.catalog import repository as repo
from sellerkit.domain import results, sales
from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.catalog")
CHUNK = 25_000  # records decoded at a time (bounded memory)
KEY_CHUNK = 250_000
ABANDONED_SECONDS = 600  # what no build has written to for this long is a killed build's leftover
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


KEY_SCHEMA = pl.Schema({"key": pl.Int64, "row": pl.UInt32})


@dataclass(frozen=True)
class CatalogFrame:
    marketplace: str
    revision: int
    products: pl.DataFrame  # one row per ASIN, columns named as in scan results
    graph: pl.DataFrame  # (key, row): the identifier graph, as `KEY_SCHEMA` says (`key_rows`)
    rank_models: dict[str, sales.RankModel] = field(default_factory=dict)  # `fit_rank_models`
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # what scans work out once per snapshot
    category_slugs: dict = field(default_factory=dict, compare=False, repr=False)  # schedule id -> {name: slug}
    narrowed: dict = field(default_factory=dict, compare=False, repr=False)  # column -> its type as built
    path: Path | None = None  # the products file: `DEFERRED` columns are read from it when first needed
    keeps: bool = False  # columns derived from the products may be kept beside its files (`keep`)

    def _kept(self, name: str) -> Path | None:
        if not self.keeps or self.path is None:
            return None
        return self.path.with_name(self.path.name.replace(".products.arrow", f".{name}.arrow"))

    def kept(self, name: str) -> pl.DataFrame | None:
        """Columns kept beside the snapshot's files under this name (`keep`), if any."""
        path = self._kept(name)
        if path is None or not path.exists():
            return None
        try:
            frame = _whole_columns(path, list(pl.read_ipc_schema(path)))
        except (OSError, pl.exceptions.PolarsError):  # removed meanwhile, or torn: worked out again
            return None
        return frame if frame.height == self.products.height else None

    def has_kept(self, name: str) -> bool:
        path = self._kept(name)
        return path is not None and path.exists()

    def keep(self, name: str, frame: pl.DataFrame, most: int) -> None:
        """Keep columns derived from the products (a row each) beside the snapshot's files, for
        other processes and later starts; at most `most` such files a snapshot, the newest. They
        go with the snapshot's revision (`_build` removes earlier revisions' files)."""
        path = self._kept(name)
        if path is None:
            return
        temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            frame.write_ipc(temp, compression="uncompressed")
            os.replace(temp, path)
        except OSError as exc:  # a read-only or full disk: the figures are simply worked out again
            log.warning("could not keep %s beside the catalog snapshot: %s", path.name, exc)
            temp.unlink(missing_ok=True)
            return
        stem = self.path.name.replace(".products.arrow", "")  # type: ignore[union-attr]
        others = sorted((p for p in path.parent.glob(f"{stem}.*.arrow") if p not in (path, self.path)
                         and not p.name.endswith(".keys.arrow")), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[most - 1:]:
            old.unlink(missing_ok=True)

    @cached_property
    def deferred(self) -> pl.DataFrame:
        """The `DEFERRED` columns `products` lacks, read when a scan first needs them (one whose
        rows carry the catalog's columns); a frame of no columns when `products` has them all."""
        missing = [c for c in DEFERRED if c not in self.products.columns]
        if not missing or self.path is None:
            return pl.DataFrame()
        return _whole_columns(self.path, [c for c in pl.read_ipc_schema(self.path) if c in missing])

    def widened(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame`'s product columns in the types they were built with (`load_products`)."""
        names = [c for c in self.narrowed if c in frame.columns]
        return frame.with_columns(pl.col(c).cast(self.narrowed[c]) for c in names) if names else frame

    def reach(self, codes: pl.Series) -> pl.DataFrame:
        """(at, row): each code's position in `codes` and a product row it reaches, every pair
        once, by position then ASIN. Integer codes are looked up in the graph, ASINs among the
        products; both by binary search on sorted columns, so a chunk costs its own rows however
        large the catalog (a hash join would build or probe the whole catalog for each chunk)."""
        haystack, rows, ends = self._asins if codes.dtype == pl.String else self._codes
        lo = haystack.search_sorted(codes, side="left")
        spans = pl.DataFrame({"at": pl.int_range(len(codes), dtype=pl.UInt32, eager=True), "lo": lo, "code": codes}) \
            .filter(pl.col("lo") < len(haystack))
        spans = spans.filter(haystack.gather(spans.get_column("lo")) == spans.get_column("code"))
        spans = spans.with_columns(ends.gather(spans.get_column("lo")).alias("hi"))  # one search a code, not two
        found = spans.select("at", pl.int_ranges("lo", "hi", dtype=pl.UInt32).alias("pos")).explode("pos")
        return found.select("at", rows.gather(found.get_column("pos")).alias("row"))

    def prepare(self) -> None:
        """The sorted columns `reach` searches, before threads share the frame."""
        self._asins, self._codes

    @cached_property
    def _asins(self) -> tuple[pl.Series, pl.Series, pl.Series]:
        """The products' ASINs in order, their rows, and where each one's run of equal ASINs
        ends (the next position: ASINs are unique). The build writes the products and the graph
        in order (then nothing is copied); another frame is sorted once."""
        asins, rows = self.products.get_column("asin"), pl.int_range(self.products.height, dtype=pl.UInt32, eager=True)
        if not asins.is_sorted():
            order = asins.arg_sort()
            asins, rows = asins.gather(order), rows.gather(order)
        return asins, rows, pl.int_range(1, len(asins) + 1, dtype=pl.UInt32, eager=True)

    @cached_property
    def _codes(self) -> tuple[pl.Series, pl.Series, pl.Series]:
        """The graph's keys in order, their rows (a key's products by ASIN, as `key_rows` writes
        them), and where each key's run ends."""
        keys, rows = self.graph.get_column("key"), self.graph.get_column("row")
        if not keys.is_sorted():
            ordered = self.graph.with_columns(self.products.get_column("asin").gather(rows).alias("asin")) \
                .sort("key", "asin")
            keys, rows = ordered.get_column("key"), ordered.get_column("row")
        return keys, rows, _run_ends(keys)

    @cached_property
    def keys(self) -> pl.DataFrame:
        """The graph as (key, asin) text, as the catalog's index has it (for reading, not scans)."""
        return self.graph.select(pl.col("key").cast(pl.String).str.zfill(14),
                                 self.products.get_column("asin").gather(self.graph.get_column("row")).alias("asin"))


def _run_ends(ordered: pl.Series) -> pl.Series:
    """For each position of a sorted column, where its run of equal values ends (the next
    position): a third of the time of a search for each value."""
    last = ordered.ne_missing(ordered.shift(-1))
    return pl.select(pl.when(last).then(pl.int_range(1, len(ordered) + 1, dtype=pl.UInt32)).backward_fill()) \
        .to_series()


def fit_rank_models(products: pl.DataFrame) -> dict[str, sales.RankModel]:
    """Each category's rank -> monthly-sold model, fitted on the snapshot as the calculator does
    on the catalog; once per snapshot, when it is built (a fit takes tenths of a second)."""
    points = products.filter((pl.col("rank") > 0) & (pl.col("monthly_sold") > 0)).select("category", "rank", "monthly_sold")
    models = {}
    for (category,), group in points.group_by("category"):
        if category is None:
            continue
        model = sales.fit_rank_model(list(zip(group["rank"].to_list(), group["monthly_sold"].to_list())), category)
        if model is not None:
            models[category] = model
    return models


def key_rows(products: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """The identifier graph's (key, asin) pairs as (key, row): each key an integer (every key of
    a barcode or an ISBN is 14 digits) and the row of `products` it reaches, sorted by key then
    ASIN. A scan then matches by binary search on integers (`reach`) and takes the products'
    columns by row number, instead of joining on text against every product for each chunk;
    keys of ASINs the snapshot lacks are left out here, once."""
    rows = products.select("asin").with_row_index("row")
    return pairs.join(rows, on="asin", how="inner").with_columns(pl.col("key").cast(pl.Int64, strict=False)) \
        .drop_nulls("key").sort("key", "asin").select("key", "row")


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
# The snapshot's bulkiest columns (three fifths of its memory), which no pricing reads: a snapshot
# is loaded without them, and they are read when a scan whose rows carry them first needs them.
DEFERRED = ("amazon_title", "images", *(f"identifiers.{f}" for f in FAMILIES))
# The product fields a scan result shows exactly as the snapshot holds them. A scan that refers
# to its snapshot stores each result's product row (`_product`) instead, and its readers take these
# columns from the snapshot's file kept with the results (`ScanFiles`). The ASIN stays in each row
# (pages, filters and exports key on it); the pack quantity is the row's own (a multipack override).
REFERABLE = tuple(c for c in _COLUMNS if c in results.ALL_PRODUCT_FIELDS and c not in ("asin", "amazon_pack_quantity"))
# Column groups of live data a snapshot leaves out while no product has any (scans join fewer columns)
OPTIONAL = ("_amazon_fees", "_restrictions")


class Snapshots:
    """Snapshots on disk, and the latest of each marketplace in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[tuple[Path, str], CatalogFrame] = {}

    def current(self, db: Database, data_dir: Path, marketplace: str) -> CatalogFrame:
        with db.reader() as reader:  # one row (every marketplace's needs a pass over the products)
            revision = repo.revision(reader, marketplace)
        with self._lock:  # one build at a time per process; they are memory-hungry
            cached = self._cached.get((data_dir, marketplace))
            if cached is not None and cached.revision == revision:
                return cached
            frame = self._load(data_dir, marketplace, revision)
            if frame is None:
                self._build(db, data_dir, marketplace, revision)
                frame = self._load(data_dir, marketplace, revision)
                assert frame is not None
            self._cached[(data_dir, marketplace)] = frame
            return frame

    def forget(self) -> None:
        """Let go of the snapshots held in memory (their files stay)."""
        with self._lock:
            self._cached.clear()

    def refresh(self, db: Database, data_dir: Path) -> list[str]:
        """Bring every marketplace's snapshot files up to date; returns those rebuilt. Only the
        files: a process loads a snapshot when a scan needs it."""
        with db.reader() as reader:
            revisions = repo.revisions(reader)
        built = []
        for mp, revision in sorted(revisions.items()):
            drop_abandoned(data_dir, mp)
            if not _current(*files(data_dir, mp, revision)):
                with self._lock:
                    self._build(db, data_dir, mp, revision)
                built.append(mp)
        return built

    @staticmethod
    def _load(data_dir: Path, marketplace: str, revision: int) -> CatalogFrame | None:
        return load_frame(marketplace, revision, *files(data_dir, marketplace, revision), keeps=True)

    @staticmethod
    def _build(db: Database, data_dir: Path, marketplace: str, revision: int) -> None:
        log.info("building the %s catalog snapshot (revision %d)", marketplace, revision)
        folder = data_dir / "catalog"
        folder.mkdir(parents=True, exist_ok=True)
        products_path, keys_path, models_path = files(data_dir, marketplace, revision)
        # decoded a chunk at a time into part files, then joined into one file by the streaming
        # engine: the build holds one chunk, never the whole catalog (nor it twice, as a concat does)
        with tempfile.TemporaryDirectory(dir=folder, prefix=f".{marketplace}-build-") as scratch:
            parts = []
            key_schema = {"key": pl.String, "asin": pl.String}
            with db.reader() as reader:
                for chunk in repo.product_data_chunks(reader, marketplace, CHUNK):
                    parts.append(Path(scratch) / f"{len(parts):05d}.arrow")
                    decode(chunk).write_ipc(parts[-1], compression="uncompressed")
                key_parts = [pl.DataFrame(rows, schema=key_schema, orient="row")
                             for rows in repo.identifier_key_chunks(reader, marketplace, KEY_CHUNK)]
            products = pl.scan_ipc(parts) if parts else decode([]).lazy()
            live = [c for c in _COLUMNS if c.startswith(OPTIONAL)]
            held = products.select(pl.col(c).is_not_null().any() for c in live).collect().row(0, named=True)
            empty = tuple(f"{group}." for group in OPTIONAL  # no product has it: a scan carries nothing for it
                          if not any(held[c] for c in live if c.startswith(f"{group}.")))
            products = products.drop([c for c in live if c.startswith(empty)]) if empty else products
            tmp = products_path.with_suffix(".tmp")
            products.sink_ipc(tmp, compression="uncompressed")  # loaded at the speed of a copy
            os.replace(tmp, products_path)
        pairs = pl.concat(key_parts).unique() if key_parts else pl.DataFrame(schema=key_schema)
        del key_parts
        tmp = keys_path.with_suffix(".tmp")
        key_rows(pl.read_ipc(products_path, columns=["asin"]), pairs).write_ipc(tmp, compression="uncompressed")
        os.replace(tmp, keys_path)
        del pairs
        fitted = fit_rank_models(pl.read_ipc(products_path, columns=["category", "rank", "monthly_sold"]))
        tmp = models_path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps({c: dataclasses.asdict(m) for c, m in fitted.items()}))
        os.replace(tmp, models_path)  # last: its presence says the snapshot is whole
        for old in [*folder.glob(f"{marketplace}-*.arrow"), *folder.glob(f"{marketplace}-*.models.json")]:
            if not old.name.startswith(f"{marketplace}-{revision}."):  # earlier revisions
                old.unlink(missing_ok=True)


def load_frame(marketplace: str, revision: int, products: Path, keys: Path, models: Path,
               keeps: bool = False) -> CatalogFrame | None:
    """A snapshot from its files (the data dir's, whose processes share what is kept beside them:
    `keeps`; or the copy a scan keeps); None when they are missing or were written by an earlier
    version."""
    if not _current(products, keys, models):
        return None
    columns = list(pl.read_ipc_schema(products))
    if [c for c in _COLUMNS if c in columns or not c.startswith(OPTIONAL)] != columns:
        return None  # written by an earlier version: rebuilt with today's fields
    fitted = {c: sales.RankModel(**m) for c, m in orjson.loads(models.read_bytes()).items()}
    frame, narrowed = load_products(products, [c for c in columns if c not in DEFERRED])
    return CatalogFrame(marketplace, revision, frame, _whole_columns(keys, list(KEY_SCHEMA)), fitted,
                        narrowed=narrowed, path=products, keeps=keeps)


NARROW_TEXTS = ("brand", "category", "color", "size_name")  # few distinct values: held as categories


def load_products(path: Path, columns: list[str]) -> tuple[pl.DataFrame, dict[str, pl.DataType]]:
    """A snapshot's products, each column in one chunk and narrowed as it is read: whole numbers
    as 32-bit where every value fits, few-valued texts as categories; and the columns so held, with
    their types as built. About 60 MB less for a million-product catalog, which a scan's chunks in
    flight use instead (matching and pricing widen the rows they take: `CatalogFrame.widened`)."""
    frame = _whole_columns(path, columns, narrow=True)
    return frame, _types_narrowed(pl.read_ipc_schema(path), frame.schema)


def _narrowed(column: pl.Series) -> pl.Series:
    if column.dtype == pl.Int64 and (column.null_count() == len(column) or column.abs().max() < 2**31):
        return column.cast(pl.Int32)
    if column.dtype == pl.String and column.name in NARROW_TEXTS:
        return column.cast(pl.Categorical)
    return column


def _types_narrowed(built: pl.Schema, held: pl.Schema) -> dict[str, pl.DataType]:
    return {c: t for c, t in built.items() if c in held and held[c] != t}


def _whole_columns(path: Path, columns: list[str], narrow: bool = False) -> pl.DataFrame:
    """An Arrow file's columns each in one chunk, as built: a scan gathers rows from them, ten
    times quicker than from the file's record batches. Read `LOAD_COLUMNS` at a time on each of
    two threads (each read of a file costs ~15 ms however few its columns), so that only that
    many columns are ever held twice (the file's batches and their copy); `narrow`: each column
    then narrowed as `load_products` says."""
    def read(group: list[str]) -> list[pl.Series]:
        return [_narrowed(c.rechunk()) if narrow else c.rechunk() for c in pl.read_ipc(path, columns=group).get_columns()]

    groups = [columns[start:start + LOAD_COLUMNS] for start in range(0, len(columns), LOAD_COLUMNS)]
    with ThreadPoolExecutor(2, thread_name_prefix="snapshot-load") as pool:
        return pl.DataFrame([column for group in pool.map(read, groups) for column in group])


LOAD_COLUMNS = 8  # a snapshot's columns read at a time (`_whole_columns`): 0.15 s for the US one, 0.19-0.27 one by one


def _current(products: Path, keys: Path, models: Path) -> bool:
    """The files exist, the graph in today's form (read from the file's schema alone: before
    `key_rows` it was (key, asin) text), its rank models written last."""
    return products.exists() and models.exists() and keys.exists() and pl.read_ipc_schema(keys) == dict(KEY_SCHEMA)


def files(data_dir: Path, marketplace: str, revision: int) -> tuple[Path, Path, Path]:
    """A snapshot's files: its products, its identifier graph, its rank models (written last)."""
    folder = data_dir / "catalog"
    stem = folder / f"{marketplace}-{revision}"
    return Path(f"{stem}.products.arrow"), Path(f"{stem}.keys.arrow"), Path(f"{stem}.models.json")


def drop_abandoned(data_dir: Path, marketplace: str) -> None:
    """Remove what builds that stopped (a killed process) left in the catalog folder: scratch
    folders of parts, `.tmp` files and `.part` files, of the snapshot and the look-up items
    alike; a 1M-product build leaves gigabytes. A build writes all the time, so what has not
    been written to for ABANDONED_SECONDS is nobody's."""
    folder = data_dir / "catalog"
    cutoff = time.time() - ABANDONED_SECONDS
    for path in [*folder.glob(f".{marketplace}-build-*"), *folder.glob(f"{marketplace}-*.tmp"),
                 *folder.glob(f".{marketplace}-*.part")]:
        try:
            if path.is_dir():
                if max([path.stat().st_mtime, *(e.stat().st_mtime for e in os.scandir(path))]) < cutoff:
                    shutil.rmtree(path)
            elif path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # gone meanwhile, or not ours to remove
            continue


snapshots = Snapshots()
