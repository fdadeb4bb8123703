"""One chunk of a supplier file -> result rows and error rows, all in polars.

Per row: read the identifier and cost, match through the identifier graph (one result per
ASIN it reaches), join the catalog snapshot, then fees (`fee_frame`), financials
(`financial_frame`) and estimates: the same domain functions the calculator uses one product
at a time. No I/O here: the task hands in the chunk and a context built once per run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
import hashlib
from pathlib import Path
from datetime import date

import polars as pl

from sellerkit.catalog.snapshot import REFERABLE, CatalogFrame
from sellerkit.domain import identifiers as ids
from sellerkit.domain import results, sales
from sellerkit.domain.eligibility import eligibility_exprs
from sellerkit.domain.fees import APPAREL_CATEGORIES, FeeError, FeeOptions, Schedule, tier_title
from sellerkit.domain.fees.engine import weight_scale
from sellerkit.domain.fees.frame import div_round, fee_frame
from sellerkit.domain.fees.schedule import LENGTH, WEIGHT
from sellerkit.domain.money import quantise_float
from sellerkit.domain.profit import PRICE_SOURCES, CostOptions, financial_frame
from sellerkit.domain import numbers
from sellerkit.domain.quoting import quote_expr
from sellerkit.scans.files import money_text

ERROR_SCHEMA = {"line": pl.Int64, "identifier": pl.String, "cost": pl.String, "reason": pl.String}
SMALL_LIGHT_MAX_WEIGHT = 3  # lb: the old Small and Light limit, kept for low-price FBA
SMALL_LIGHT_TIERS = ("small_standard", "large_standard", "light_envelope", "standard_envelope", "large_envelope",
                     "extra_large_envelope", "small_parcel")


@dataclass(frozen=True)
class ScanContext:
    """Everything a chunk needs, built once per run of a scan."""

    marketplace: str
    catalog: CatalogFrame
    schedule: Schedule | None  # None: the marketplace has no fee schedule (`no_schedule` says so)
    when: date
    columns: dict[str, int]  # mapped input -> source column number
    cost_options: CostOptions = CostOptions()
    fee_options: FeeOptions = FeeOptions()
    custom_count: int = 0
    blocked_brands: frozenset[str] = frozenset()
    rank_models: dict[str, sales.RankModel] = field(default_factory=dict)
    historical: pl.DataFrame | None = None  # asin + historical.* columns
    no_schedule: str | None = None
    checked_at: int = 0  # unix time of the scan: when its eligibility estimate was made
    decimal: str = "."  # the file's decimal separator (`numbers` reads its cells by it)
    unknown: pl.DataFrame | None = None  # (key, reason): codes live data says no product has
    live: bool = False  # live data was asked, or the catalog holds some: results carry its columns
    rows: int | None = None  # the rows the run has still to scan, where known (see `priced_once`)
    referenced: bool = False  # results refer to the catalog's rows (`_product`), kept with them, for its columns

    @cached_property
    def category_slugs(self) -> dict[str, str]:
        """Catalog category names -> fee-schedule slugs, worked out once per snapshot and schedule
        (names the schedule lacks are left out: fee_frame then reports the unknown category by
        name). Finding a large catalog's categories takes a run ~10 ms: a 100k-row file's 2%."""
        assert self.schedule is not None
        slugs = self.catalog.category_slugs.get(self.schedule.id)
        if slugs is None:
            slugs = {}
            for name in self.catalog.products.get_column("category").unique().drop_nulls().to_list():
                try:
                    slugs[name] = self.schedule.category(name).slug
                except FeeError:
                    pass
            self.catalog.category_slugs[self.schedule.id] = slugs
        return slugs

    @cached_property
    def pricing(self) -> tuple:
        """What a product's figures depend on besides the product (the key they are kept by)."""
        return (self.marketplace, self.schedule, self.no_schedule, self.when, self.fee_options, self.blocked_brands,
                self.live, tuple(sorted((c, m.intercept, m.slope) for c, m in self.rank_models.items())))

    @cached_property
    def figures_name(self) -> str:
        """What the products' figures are kept beside the snapshot as: the way of pricing and
        the code that prices (figures worked out by an earlier release are never read)."""
        schedule = self.schedule.id if self.schedule is not None else None
        models = self.pricing[-1]
        key = repr((self.marketplace, schedule, self.no_schedule, self.when, self.fee_options,
                    sorted(self.blocked_brands), self.live, models))
        return "figures-" + hashlib.sha256(f"{_pricing_code()}|{key}".encode()).hexdigest()[:20]

    @cached_property
    def products(self) -> pl.DataFrame:
        """The catalog's products with their figures (`with_figures`), worked out once for all
        scans on this snapshot that price the same way, and kept while it is current: in memory,
        and beside the snapshot's files (any process, and later starts, read them: pricing a
        million products takes a second of CPU)."""
        memo = self.catalog.memo
        products = memo.get(self.pricing)
        if products is None:
            figures = self.catalog.kept(self.figures_name)
            if figures is None:
                figures = product_figures(self.catalog.products, self)
                self.catalog.keep(self.figures_name, figures, FIGURES_KEPT)
            products = self.catalog.products.hstack(figures)
            while len(memo) >= FIGURES_KEPT:  # the oldest way of pricing goes first
                memo.pop(next(iter(memo)))
            memo[self.pricing] = products
        return products

    def ready(self) -> ScanContext:
        """What chunks share, worked out now, before several compute at once."""
        if self.schedule is not None:
            self.category_slugs
        if self.priced_once:
            self.products
        if not self.referenced:  # rows carry the catalog's columns: all of them
            self.catalog.deferred
        self.catalog.prepare()
        return self

    @property
    def priced_once(self) -> bool:
        """Whether chunks gather their products' figures (`products`) rather than work them out
        row by row: when they are at hand, or the run has enough rows to repay pricing the whole
        catalog (about what pricing half as many rows costs), or reading them (`KEPT_SHARE`)."""
        height = self.catalog.products.height
        return self.pricing in self.catalog.memo or self.rows is None or 2 * self.rows >= height \
            or (KEPT_SHARE * self.rows >= height and self.catalog.has_kept(self.figures_name))


@cache
def _pricing_code() -> str:
    """A digest of the code and fee tables figures come from (this module and the domain's),
    once a process."""
    domain = Path(__file__).resolve().parents[1] / "domain"
    digest = hashlib.sha256()
    for path in sorted([Path(__file__).resolve(), *domain.rglob("*.py"), *domain.rglob("*.json")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


FIGURES_SLICE = 100_000
FIGURES_THREADS = 2  # slices priced at once (polars releases the GIL: a slice's Python part overlaps)
FIGURES_KEPT = 2  # ways of pricing a snapshot's products are kept (each ~150 bytes a product)
# A run with a twentieth as many rows as the catalog has products reads figures kept beside the
# snapshot (reading them costs about that share of pricing them); a smaller one prices its own
# rows and holds no figures for the whole catalog.
KEPT_SHARE = 20


def _col(ctx: ScanContext, name: str) -> pl.Expr:
    col = ctx.columns.get(name)
    return pl.col(f"c{col}") if col is not None else pl.lit(None, dtype=pl.String)


def _whole(number: pl.Expr) -> pl.Expr:
    """A number's plain text (`3`, `3.0`, `1234`) -> Int64 when it is whole, null otherwise."""
    return pl.when(number.str.contains(r"^[-+]?\d+(\.0*)?$")).then(
        number.str.extract(r"^([-+]?\d+)", 1).cast(pl.Int64, strict=False))


def read_inputs(chunk: pl.DataFrame, ctx: ScanContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The chunk's inputs typed, split into rows to match and rows that cannot be scanned.
    Numbers are read by the file's decimal separator; an ambiguous one is an error that says so."""
    ident_text = chunk.get_column(f"c{ctx.columns['id']}")
    verdicts = ids.readings_frame(ident_text)
    custom = [_col(ctx, f"custom_{i}") for i in range(ctx.custom_count)]
    typed = chunk.lazy().select(
        "line",
        pl.col(f"c{ctx.columns['id']}").str.strip_chars().alias("inputs.identifier"),
        pl.col(f"c{ctx.columns['cost']}").str.strip_chars().alias("_cost_text"),
        _col(ctx, "supplier_sku").alias("inputs.supplier_sku"),
        _col(ctx, "supplier_image").alias("inputs.supplier_image"),
        _col(ctx, "supplier_title").alias("inputs.supplier_title"),
        _col(ctx, "stock_quantity").str.strip_chars().alias("_stock_text"),
        _col(ctx, "supplier_pack_quantity").str.strip_chars().alias("_pack_text"),
        _col(ctx, "map").str.strip_chars().alias("_map_text"),
        _col(ctx, "discount_per_product").str.strip_chars().alias("_discount_text"),
        (pl.concat_list(custom) if custom else pl.lit(None, dtype=pl.List(pl.String))).alias("inputs.custom_columns"),
    ).with_columns(
        verdicts.get_column("key").alias("_key"),
        verdicts.get_column("kind").alias("_kind"),
        verdicts.get_column("error").alias("_id_error"),
        verdicts.get_column("also").alias("_also"),
        verdicts.get_column("note").alias("_id_note"),
    )
    for field, text, outputs, clean in (  # each cell -> its value, once per distinct cell
        ("cost", "_cost_text", {"inputs.cost": lambda n: numbers.units(n, 2)}, money_text),
        ("map", "_map_text", {"inputs.map": lambda n: numbers.units(n, 2)}, money_text),
        ("supplier_pack_quantity", "_pack_text", {"_pack": _whole}, None),
        ("stock_quantity", "_stock_text", {"inputs.stock": _whole}, None),
        ("discount_per_product", "_discount_text", {"discount_per_product_bp": lambda n: numbers.units(n, 2)},
         lambda t: t.str.replace_all(r"[%\s]", "")),
    ):
        if field in ctx.columns:
            typed = numbers.read_cells(typed, text, ctx.decimal, outputs, clean)
        else:  # not mapped: no cells to read
            typed = typed.with_columns(*(make(pl.lit(None, dtype=pl.String)).alias(name) for name, make in outputs.items()),
                                       pl.lit(False).alias(f"{text}_ambiguous"))
    typed = typed.with_columns(
        pl.when(pl.col("_pack_text").is_null() | (pl.col("_pack_text") == "")).then(1)
        .otherwise(pl.col("_pack")).alias("inputs.supplier_pack_quantity"),
    )
    suffix = numbers.ambiguous_suffix(ctx.decimal)

    def ambiguous(text: str, field: str) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(f"{text}_ambiguous"), pl.lit(f"{field}: ") + quote_expr(pl.col(text)) + pl.lit(suffix)

    def unreadable(text: str, value: str, field: str, wanted: str, bad: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """An optional mapped cell that holds something, but nothing usable."""
        given = pl.col(text).is_not_null() & (pl.col(text) != "")
        return given & (pl.col(value).is_null() | bad), \
            pl.lit(f"{field}: cannot read ") + quote_expr(pl.col(text)) + pl.lit(f" as {wanted}")

    checks = [  # (the row fails it, why), the first failed one is the row's reason
        (pl.col("_id_error").is_not_null(), pl.lit("identifier: ") + pl.col("_id_error")),
        (pl.col("_cost_text").is_null() | (pl.col("_cost_text") == ""), pl.lit("cost: missing")),
        ambiguous("_cost_text", "cost"),
        (pl.col("inputs.cost").is_null(), pl.lit("cost: cannot read ") + quote_expr(pl.col("_cost_text"))
         + pl.lit(f" as money with decimal '{ctx.decimal}'")),
        (pl.col("inputs.cost") < 0, pl.lit("cost: negative")),
        ambiguous("_pack_text", "supplier_pack_quantity"),
        (pl.col("inputs.supplier_pack_quantity").is_null() | (pl.col("inputs.supplier_pack_quantity") < 1),
         pl.lit("supplier_pack_quantity: cannot read ") + quote_expr(pl.col("_pack_text"))
         + pl.lit(" as a whole number of at least 1")),
        ambiguous("_map_text", "map"),
        unreadable("_map_text", "inputs.map", "map", "money", pl.col("inputs.map") < 0),
        ambiguous("_stock_text", "stock_quantity"),
        unreadable("_stock_text", "inputs.stock", "stock_quantity", "a whole number", pl.col("inputs.stock") < 0),
        ambiguous("_discount_text", "discount_per_product"),
        unreadable("_discount_text", "discount_per_product_bp", "discount_per_product", "a percent from 0 to 100",
                   ~pl.col("discount_per_product_bp").is_between(0, 10_000)),
    ]
    # the tests run on every row, the reasons' text only on the (few) rows that fail one
    typed = typed.with_columns(pl.any_horizontal(test.fill_null(False) for test, _ in checks).alias("_failed")) \
        .collect()  # the plan so far, once
    reason = pl.coalesce(pl.when(test).then(why) for test, why in checks)
    bad = typed.filter(pl.col("_failed")).select(
        "line", pl.col("inputs.identifier").alias("identifier"), pl.col("_cost_text").alias("cost"),
        reason.alias("reason"))
    good = typed.filter(~pl.col("_failed")).drop(
        "_failed", "_id_error", "_pack_text", "_map_text", "_discount_text", "_stock_text", "_pack",
        *(f"{text}_ambiguous" for text in ("_cost_text", "_map_text", "_pack_text", "_stock_text", "_discount_text")),
    ).with_columns(pl.col("discount_per_product_bp").fill_null(0))
    return good, bad


def match(good: pl.DataFrame, catalog: CatalogFrame, unknown: pl.DataFrame | None = None,
          products: pl.DataFrame | None = None, referenced: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows joined to every ASIN their identifier reaches, in file order, with the columns of
    `products` (the catalog's, row for row, by default); and the rows that reach none, with
    why: the provider's own answer where live data asked (`unknown`: key, reason), else that
    the catalog has no such product. `referenced`: each row keeps its product's row (`_product`),
    and priced `products` give only what the row's own figures need (`finish`), not the columns
    results take from the catalog."""
    if referenced and products is not None:
        products = products.drop([c for c in REFERABLE if c not in _FINISH_READS], strict=False)
    products = catalog.products if products is None else products
    good = good.with_row_index("_row")

    def reached(frame: pl.DataFrame, codes: pl.Series) -> pl.DataFrame:
        """(row, product) of the frame's rows whose code reaches products, by row then ASIN."""
        found = catalog.reach(codes)
        return pl.DataFrame({"_row": frame.get_column("_row").gather(found.get_column("at")),
                             "_product": found.get_column("row")})

    asin = pl.col("_kind") == "asin"
    by_asin, by_code = good.filter(asin), good.filter(~asin)
    found = [reached(by_asin, by_asin.get_column("_key")),
             reached(by_code, by_code.get_column("_key").cast(pl.Int64, strict=False))]
    if "_also" in good.columns:  # codes valid both ways (an ISBN-10 that is a zero-filled UPC too)
        both = good.filter(pl.col("_also").is_not_null())
        if both.height:
            found.append(reached(both, both.get_column("_also").cast(pl.Int64, strict=False)))
    pairs = pl.concat(found)
    if len(found) > 2:  # a row reaching products two ways: each once, by ASIN
        pairs = pairs.unique()
        pairs = pairs.with_columns(catalog.products.get_column("asin").gather(pairs.get_column("_product"))
                                   .alias("_asin")).sort("_row", "_asin").drop("_asin")
    else:
        pairs = pairs.sort("_row", maintain_order=True)
    rows = pairs.get_column("_product")
    parts = [good.drop("_row", "asin", strict=False).select(pl.all().gather(pairs.get_column("_row"))),
             catalog.widened(products.select(pl.all().gather(rows)))]
    if referenced:
        parts.append(pairs.select("_product"))
    elif catalog.deferred.width:  # the catalog's columns the loaded snapshot leaves out
        parts.append(catalog.deferred.select(pl.all().gather(rows)))
    matched = pl.concat(parts, how="horizontal")
    unmatched = good.filter(~pl.col("_row").is_in(pairs.get_column("_row").implode()))
    reason = pl.concat_str(pl.lit(f"identifier: no product in the {catalog.marketplace} catalog for "),
                           pl.when(pl.col("_kind") == "asin").then(pl.lit("ASIN ")).otherwise(pl.lit("code ")),
                           pl.col("inputs.identifier"))
    if "_id_note" in unmatched.columns:
        reason = pl.concat_str(reason, pl.lit(" ("), pl.col("_id_note"), pl.lit(")"), ignore_nulls=False) \
            .fill_null(reason)
    if unknown is not None and unknown.height and unmatched.height:
        unmatched = unmatched.join(unknown.select(pl.col("key").alias("_key"), pl.col("reason").alias("_live")),
                                   on="_key", how="left", maintain_order="left")
        reason = pl.coalesce(pl.col("_live"), reason)
    unmatched = unmatched.select(
        "line", pl.col("inputs.identifier").alias("identifier"), pl.col("_cost_text").alias("cost"),
        reason.alias("reason"))
    return matched, unmatched


def _fee_inputs(ctx: ScanContext) -> list[pl.Expr]:
    sides = [quantise_float(pl.col(f"dimensions.package_dimensions.{s}"), LENGTH)
             for s in ("length", "width", "height")]
    price = _sale_price()
    slugs = ctx.category_slugs
    category = pl.col("category").replace_strict(slugs, default=pl.col("category"), return_dtype=pl.String) \
        if slugs else pl.col("category")
    return [
        price.alias("price"),
        pl.max_horizontal(sides).alias("longest"),
        (pl.sum_horizontal(sides) - pl.max_horizontal(sides) - pl.min_horizontal(sides)).alias("median"),
        pl.min_horizontal(sides).alias("shortest"),
        quantise_float(pl.col("dimensions.package_dimensions.weight"), WEIGHT).alias("weight"),
        category.alias("_slug"),
    ]


def compute(matched: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """Fees, financials, estimates and flags for matched rows, as result columns."""
    return finish(with_figures(matched, ctx), ctx)


# The catalog's columns `finish` reads besides the product's figures.
_FINISH_READS = ("new_fba_offers_count", "new_fbm_offers_count")
# Figures kept as 32-bit numbers per product where they fit (cents: far below 2**31).
_NARROW = ("amazon_fees.referral_fee", "amazon_fees.fba_fees", "amazon_fees.per_item_fee",
           "amazon_fees.variable_closing_fee", "amazon_fees.inbound_placement_fee", "amazon_fees.total",
           "financials.sale_price", "_f.monthly_storage_fee")
# The product's own figures that only the row's figures use; `with_figures` leaves them for `finish`.
_FIGURE_INPUTS = ("_f.monthly_storage_fee", "_f.charged_weight")


def with_figures(frame: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """The figures of each row's product: fees at its sale price, the sales estimate,
    eligibility and its flags. They depend on the product and the run's schedule, date and
    options, never on the supplier's row: a scan works them out once per product
    (`ScanContext.products`) and gathers them with the product."""
    blocked = pl.col("brand").str.to_lowercase().is_in(list(ctx.blocked_brands)).fill_null(False) \
        if ctx.blocked_brands else pl.lit(False)
    df = frame.with_columns(blocked.alias("is_brand_blocklisted"))
    df = _fees(df, ctx) if ctx.schedule is not None else df.with_columns(
        _sale_price().alias("financials.sale_price"), pl.lit(ctx.no_schedule).alias("amazon_fees.error"),
        pl.lit(False).alias("small_and_light_eligible"))
    df = _estimates(df, ctx)
    flags = pl.concat_str([pl.when(pl.col(c)).then(pl.lit(label))
                           for c, label in (("is_hazmat", "hazmat"), ("is_meltable", "meltable"), ("is_adult", "adult"),
                                            ("is_brand_blocklisted", "brand_blocklisted"),
                                            ("sold_by_amazon", "amazon_sells"), ("_demo", "demo_data"))],
                          separator=_UNIT_SEPARATOR, ignore_nulls=True)
    df = df.with_columns(
        pl.when(flags != "").then(flags).alias("_product_flags"),
        *eligibility_exprs(on=ctx.when, marketplace=ctx.marketplace, dimensions="dimensions.package_dimensions."),
    )
    if ctx.live:
        df = df.with_columns(_live_columns(df, ctx))
    return df


def product_figures(products: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """`with_figures`' columns for every product of the catalog, one row per product; their
    texts (a few dozen distinct ones) as categories, for a fifth of the memory, and the fees
    and prices as 32-bit numbers (`finish` widens them before any arithmetic). Worked out a
    slice at a time, two side by side: what it needs on the way stays that of two chunks."""
    if ctx.schedule is not None:
        ctx.category_slugs  # once, before the threads read it

    def priced(start: int) -> pl.DataFrame:
        rows = ctx.catalog.widened(products.slice(start, FIGURES_SLICE))
        return _narrowed(with_figures(rows, ctx).select(pl.all().exclude(products.columns)))

    with ThreadPoolExecutor(FIGURES_THREADS, thread_name_prefix="scan-figures") as pool:  # slices side by side
        slices = list(pool.map(priced, range(0, max(products.height, 1), FIGURES_SLICE)))
    return pl.concat(slices, how="vertical_relaxed").rechunk()


def _narrowed(figures: pl.DataFrame) -> pl.DataFrame:
    narrow = [c for c in _NARROW if c in figures.columns]  # none without a fee schedule
    fits = figures.select(pl.col(narrow).abs().max().lt(2**31).fill_null(True)).row(0, named=True) if narrow else {}
    return figures.with_columns(pl.col(pl.String).cast(pl.Categorical),
                                *(pl.col(c).cast(pl.Int32) for c, small in fits.items() if small))


def finish(df: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """The row's own figures (what the supplier's cost, packs and discount change) on rows that
    carry their product's figures, then the result columns: one plan, run once."""
    names = set(df.columns)
    plan = df.lazy().with_columns(pl.col(c).cast(pl.Int64) for c in _NARROW if c in names).with_columns(
        pl.col("amazon_pack_quantity").alias("_catalog_pack_quantity"),
        pl.col("discount_per_product_bp").alias("_discount_per_product_bp"),
        pl.col("monthly_sold").alias("_monthly_sold"))
    plan = _financials(plan, ctx) if ctx.schedule is not None else plan.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("financials.profit"), pl.lit(None, dtype=pl.String).alias("_m.cost_error"))
    sellers = pl.col("new_fba_offers_count").fill_null(0) + pl.col("new_fbm_offers_count").fill_null(0) + 1
    plan = plan.with_columns(
        div_round(pl.col("units_per_month") * pl.col("financials.profit"), sellers).alias("profit_per_month"),
        _labels([pl.col("_product_flags")] + ([pl.col("_id_note")] if "_id_note" in names else [])).alias("flags"),
        _labels([pl.col("amazon_fees.error"), pl.col("_m.cost_error")]).alias("errors"),
        pl.col("line").alias("inputs.line"),
        pl.lit(ctx.checked_at, dtype=pl.Int64).alias("inbound_eligibility.updated_at"),
    )
    if ctx.historical is not None:  # -1: too little history to say, as the catalog format has it
        plan = plan.join(ctx.historical.lazy(), on="asin", how="left", maintain_order="left") \
            .with_columns(pl.col(c).fill_null(-1) for c in ctx.historical.columns if c != "asin")
    have = set(plan.collect_schema().names())
    return plan.select([(pl.col(c) if c in have else pl.lit(None)).cast(t).alias(c)
                        for c, t in result_schema(ctx).items()]).collect()


def _live_columns(out: pl.DataFrame, ctx: ScanContext) -> list[pl.Expr]:
    """The marketplace's own fee estimate beside the local figure, where the catalog holds one
    at the row's sale price and fulfilment, and the listing restrictions. Re-pricing keeps the
    stored estimate (the sale price does not change) and compares it with the new local figure."""
    cols = set(out.columns)
    if "_amazon_fees.total" in cols:
        same = (pl.col("_amazon_fees.price") == pl.col("financials.sale_price")) \
            & (pl.col("_amazon_fees.fulfilment").fill_null("FBA") == ctx.fee_options.fulfilment)
        amazon = pl.when(same).then(pl.col("_amazon_fees.total"))
    elif "fees.amazon_total" in cols:
        amazon = pl.col("fees.amazon_total")
    else:
        amazon = pl.lit(None, dtype=pl.Int64)
    local = pl.col("amazon_fees.total") - pl.col("amazon_fees.inbound_placement_fee").fill_null(0) \
        if "amazon_fees.total" in cols else pl.lit(None, dtype=pl.Int64)
    difference = pl.when(local > 0).then(((amazon - local) * 100 / local).round(2))
    exprs = [amazon.cast(pl.Int64).alias("fees.amazon_total"),
             difference.alias("fees.amazon_difference_percent"),
             (difference.abs() > results.FEE_MISMATCH_PERCENT).alias("fees.amazon_mismatch")]
    if "_restrictions.restricted" in cols:
        exprs += [pl.col("_restrictions.restricted").alias("restricted"),
                  pl.col("_restrictions.reasons").list.eval(
                      pl.coalesce(pl.element().struct.field("message"), pl.element().struct.field("code")))
                  .alias("restriction_reasons")]
    return exprs


def _sale_price() -> pl.Expr:
    """`profit.sale_price` as an expression: the first positive of the price sources."""
    return pl.coalesce([pl.when(pl.col(f) > 0).then(pl.col(f)) for f in PRICE_SOURCES])


def _fees(df: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """The fee columns and the sale price, where the marketplace has a fee schedule."""
    assert ctx.schedule is not None
    df = df.with_columns(_fee_inputs(ctx)).with_columns(
        pl.col("_slug").is_in(list(APPAREL_CATEGORIES)).alias("apparel"),
        pl.col("is_hazmat").fill_null(False).alias("dangerous_goods"),
    )
    missing = pl.coalesce(
        pl.when(pl.col("price").is_null()).then(pl.lit("no Buy Box, offer or list price to sell at")),
        pl.when(pl.any_horizontal([pl.col(c).is_null() for c in ("longest", "median", "shortest", "weight")]))
        .then(pl.lit("no package dimensions and weight: fees unknown")),
    )
    fee_in = df.select(pl.col("price").fill_null(0), pl.col("longest").fill_null(0), pl.col("median").fill_null(0),
                       pl.col("shortest").fill_null(0), pl.col("weight").fill_null(0),
                       pl.col("_slug").alias("category"), "apparel", "dangerous_goods")
    fees = fee_frame(fee_in, ctx.schedule, ctx.when, ctx.fee_options)
    out = pl.concat([df, fees.select(pl.all().name.prefix("_f."))], how="horizontal") \
        .with_columns(pl.coalesce(missing, pl.col("_f.fee_error")).alias("amazon_fees.error"))
    ok = pl.col("amazon_fees.error").is_null()

    def fee(name: str, zero_is_null: bool = False) -> pl.Expr:
        value = pl.when(ok).then(pl.col(f"_f.{name}"))
        return pl.when(value != 0).then(value) if zero_is_null else value

    per_lb = weight_scale(ctx.schedule)  # charged_weight / per_lb is pounds, whatever the schedule's units
    reasons = {  # each test the eligibility needs, so a client can say which one failed
        "low_price": pl.col("_f.price_band") == ctx.schedule.bands[0].key,  # the low-price rate is the one charged
        "small_size": pl.col("_f.size_tier").is_in(SMALL_LIGHT_TIERS),
        "light_weight": pl.col("_f.charged_weight") <= SMALL_LIGHT_MAX_WEIGHT * per_lb,
    }
    out = out.with_columns(
        pl.when(ok).then(pl.col("_f.size_tier").replace_strict(
            {t.name: tier_title(t.name) for t in ctx.schedule.tiers}, default=None)).alias("size_tier"),
        fee("referral_fee").alias("amazon_fees.referral_fee"),
        fee("fba_fee").alias("amazon_fees.fba_fees"),
        fee("per_item_fee", True).alias("amazon_fees.per_item_fee"),
        fee("variable_closing_fee", True).alias("amazon_fees.variable_closing_fee"),
        fee("inbound_placement_fee", True).alias("amazon_fees.inbound_placement_fee"),
        fee("fees_total").alias("amazon_fees.total"),
        pl.col("price").alias("financials.sale_price"),
        *(pl.when(ok).then(test).alias(f"small_and_light_eligible_reasons.{name}") for name, test in reasons.items()),
        (ok & pl.all_horizontal(reasons.values())).alias("small_and_light_eligible"),
    )
    return out.drop("price", "longest", "median", "shortest", "weight", "_slug", "apparel", "dangerous_goods",
                    *(c for c in out.columns if c.startswith("_f.") and c not in _FIGURE_INPUTS))


def _financials(plan: pl.LazyFrame, ctx: ScanContext) -> pl.LazyFrame:
    """The financial columns of rows that carry their product's fees (`_fees`)."""
    assert ctx.schedule is not None
    money = financial_frame(plan.select(
        pl.col("financials.sale_price").fill_null(0).alias("price"),
        pl.col("amazon_fees.total").alias("fees_total"),  # null where fees fail: the figures then are too
        pl.col("_f.monthly_storage_fee").alias("monthly_storage_fee"),
        pl.col("_f.charged_weight").alias("charged_weight"),
        pl.col("inputs.cost").alias("cost"),
        pl.col("inputs.supplier_pack_quantity").alias("supplier_pack_quantity"),
        "amazon_pack_quantity", "discount_per_product_bp",
    ), weight_scale(ctx.schedule), ctx.cost_options)
    out = pl.concat([plan, money.select(pl.all().name.prefix("_m."))], how="horizontal")
    ok = pl.col("amazon_fees.error").is_null()
    cost_ok = pl.col("_m.cost_error").is_null()
    good = ok & cost_ok

    def fin(name: str) -> pl.Expr:
        return pl.when(good).then(pl.col(f"_m.{name}"))

    return out.with_columns(
        pl.col("_m.amazon_pack_quantity").alias("amazon_pack_quantity"),
        fin("profit").alias("financials.profit"),
        fin("margin").alias("financials.margin"),
        fin("roi").alias("financials.roi"),
        pl.when(ok).then(pl.col("_m.net_revenue")).alias("financials.net_revenue"),
        pl.when(cost_ok).then(pl.col("_m.prep_cost")).alias("financials.prep_cost"),
        fin("inbound_shipping").alias("financials.inbound_shipping"),
        fin("fba_storage_fees").alias("financials.fba_storage_fees"),
        pl.when(cost_ok).then(pl.col("_m.discount_cost")).alias("inputs.discount_cost"),
        fin("total_cogs").alias("inputs.total_cogs"),
    )


_UNIT_SEPARATOR = "\x1f"


def _labels(parts: list[pl.Expr]) -> pl.Expr:
    """The non-null texts of each row as a list (a joined string split again: ten times quicker
    than building lists element by element)."""
    joined = pl.concat_str(parts, separator=_UNIT_SEPARATOR, ignore_nulls=True)
    return pl.when(joined.fill_null("") == "").then(pl.lit([], dtype=pl.List(pl.String))) \
        .otherwise(joined.str.split(_UNIT_SEPARATOR))


def _estimates(df: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """units and sales per month: Amazon's figure, else the category's rank model (profit per
    month is the row's: `finish`)."""
    intercept = {c: m.intercept for c, m in ctx.rank_models.items()}
    slope = {c: m.slope for c, m in ctx.rank_models.items()}
    a = pl.col("category").replace_strict(intercept, default=None, return_dtype=pl.Float64) if intercept else pl.lit(None, pl.Float64)
    b = pl.col("category").replace_strict(slope, default=None, return_dtype=pl.Float64) if slope else pl.lit(None, pl.Float64)
    modelled = (a + b * pl.col("rank").cast(pl.Float64).log()).exp().round(0).cast(pl.Int64)
    sold = pl.col("monthly_sold")
    units = pl.when(sold > 0).then(sold).when(pl.col("rank") > 0).then(modelled)
    method = pl.when(sold > 0).then(pl.lit("amazon_monthly_sold")) \
        .when((pl.col("rank") > 0) & modelled.is_not_null()).then(pl.lit("bsr_catalog_fit")).otherwise(pl.lit("none"))
    return df.with_columns(units.alias("units_per_month"), method.alias("sales_estimate_method")).with_columns(
        (pl.col("units_per_month") * pl.col("financials.sale_price")).alias("sales_per_month"))


def process(chunk: pl.DataFrame, ctx: ScanContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(results, errors) of one chunk; every input line ends up in exactly one of them, or in
    results once per ASIN it matched."""
    good, bad = read_inputs(chunk, ctx)
    once = ctx.priced_once
    matched, unmatched = match(good, ctx.catalog, ctx.unknown, ctx.products if once else None, ctx.referenced)
    out = empty_results(ctx) if not matched.height else finish(matched, ctx) if once else compute(matched, ctx)
    errors = pl.concat([bad, unmatched]).cast(ERROR_SCHEMA).sort("line")
    return out, errors


# Stored beside the result fields (never shown): what re-pricing needs and the results lack.
HIDDEN = {"_discount_per_product_bp": "discount_per_product_bp", "_monthly_sold": "monthly_sold",
          "_catalog_pack_quantity": "_catalog_pack_quantity", "_demo": "_demo", "_id_note": "_id_note"}
_HIDDEN_TYPES = {"_demo": pl.Boolean, "_id_note": pl.String}


def result_schema(ctx: ScanContext) -> dict[str, pl.DataType]:
    """A scan's stored columns: every product field but `id` (the row number when read back),
    historical ones only when the scan pulls history, live data's only when it had some, then
    the hidden ones."""
    schema = {c: results.dtype(k) for c, k in results.ALL_PRODUCT_FIELDS.items()
              if c != "id" and (ctx.historical is not None or not c.startswith("historical."))
              and (ctx.live or c not in results.LIVE_FIELDS) and not (ctx.referenced and c in REFERABLE)}
    return schema | {c: _HIDDEN_TYPES.get(c, pl.Int64) for c in HIDDEN} \
        | ({"_product": pl.UInt32} if ctx.referenced else {})


def reprice(stored: pl.DataFrame, ctx: ScanContext) -> pl.DataFrame:
    """Fees, financials and estimates again for stored results (today's schedule, the scan's
    options), with no re-matching: the product data is the one the scan found."""
    historical = [c for c in stored.columns if c.startswith("historical.")]
    frame = stored.drop(historical).rename({k: v for k, v in HIDDEN.items() if k != v}).with_columns(
        pl.col("_catalog_pack_quantity").alias("amazon_pack_quantity"), pl.col("inputs.line").alias("line"))
    out = compute(frame, replace(ctx, historical=None, live="fees.amazon_total" in stored.columns))
    return pl.concat([out, stored.select(historical)], how="horizontal").select(stored.columns)


def empty_results(ctx: ScanContext) -> pl.DataFrame:
    return pl.DataFrame(schema=result_schema(ctx))
