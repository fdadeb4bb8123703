"""The profit model: what one Amazon unit earns after Amazon's fees and the seller's costs.

All figures are integer cents and basis points, each rounded once (half away from zero):

    amazon units        q   = multipack_override_quantity if multipack_override else amazon_pack_quantity
    discount_cost           = cost x q / supplier_pack_quantity x (1 - discount_supplier) x (1 - discount_per_product)
    prep_cost               = multipack prep, when enabled: min(q, firstN) x costForFirstN + max(0, q - firstN) x costForRest
                              otherwise the flat prep_cost per Amazon unit
    inbound_shipping        = inbound cost per lb x the shipping weight the FBA fee is charged on
    total_cogs              = discount_cost + prep_cost + inbound_shipping
    amazon fees             = fba fee (with fuel surcharge) + referral + variable closing + per-item + inbound placement
    net_revenue             = sale price - amazon fees
    fba_storage_fees        = monthly storage fee per unit x storage_months
    profit                  = net_revenue - total_cogs - fba_storage_fees
    margin                  = profit / sale price          (basis points)
    roi                     = profit / total_cogs          (basis points; none when total_cogs is 0)

The sale price is the Buy Box price, else the lowest new FBA offer, else the lowest new FBM offer,
else the list price (`sale_price`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

import polars as pl

from sellerkit.domain.fees.frame import div_round as frame_div_round
from sellerkit.domain.money import BP, div_round, ratio_bp
from sellerkit.domain.numbers import Frame

PRICE_SOURCES = ("buybox_price", "lowest_price_new_fba", "lowest_price_new_fbm", "list_price")
MAX_PACK = 1_000  # keeps cost x pack x discount products inside 64-bit integers
MAX_COST = 10_000_000  # $100,000 per row


class CostError(ValueError):
    """Scan options or row inputs the profit model cannot use."""


def sale_price(product: Mapping) -> tuple[int | None, str | None]:
    """(price in cents, which field it came from): the price a new unit sells at."""
    for field in PRICE_SOURCES:
        value = product.get(field)
        if isinstance(value, int) and value > 0:
            return value, field
    return None, None


@dataclass(frozen=True, slots=True)
class MultipackPrep:
    first_n: int
    cost_first_n: int  # cents per unit for the first N units of a multipack
    cost_rest: int  # cents per unit after that

    def cost(self, units: int) -> int:
        return min(units, self.first_n) * self.cost_first_n + max(0, units - self.first_n) * self.cost_rest


@dataclass(frozen=True, slots=True)
class CostOptions:
    """A scan's cost options (RocketSource's `options`), converted to cents and basis points."""

    discount_supplier_bp: int = 0
    prep_cost: int = 0
    multipack_prep: MultipackPrep | None = None
    multipack_override: bool = False
    multipack_override_quantity: int | None = None
    inbound_per_lb: int = 0  # cents per pound of shipping weight
    storage_months: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.discount_supplier_bp <= BP:
            raise CostError("discount_supplier: must be between 0 and 100 percent")
        if self.prep_cost < 0 or self.inbound_per_lb < 0 or self.storage_months < 0:
            raise CostError("prep_cost, inbound_shipping_per_lb and storage_months must not be negative")
        if self.inbound_per_lb > 10_000:
            raise CostError("inbound_shipping_per_lb: over $100 per pound")
        if self.multipack_override and not (self.multipack_override_quantity or 0) >= 1:
            raise CostError("multipack_override_quantity: must be a whole number of at least 1 "
                            "when multipack_override is set")
        prep = self.multipack_prep
        if prep and (prep.first_n < 0 or prep.cost_first_n < 0 or prep.cost_rest < 0):
            raise CostError("multipack_prep_cost: firstN and costs must not be negative")

    def amazon_units(self, amazon_pack_quantity: int | None) -> int:
        if self.multipack_override:
            return self.multipack_override_quantity  # type: ignore[return-value]
        return 1 if amazon_pack_quantity is None else amazon_pack_quantity


@dataclass(frozen=True, slots=True)
class Financials:
    amazon_pack_quantity: int
    discount_cost: int
    prep_cost: int
    inbound_shipping: int
    total_cogs: int
    amazon_fees: int
    net_revenue: int
    fba_storage_fees: int
    profit: int
    margin: int | None
    roi: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def check_row(cost: int, supplier_pack_quantity: int, discount_per_product_bp: int, units: int) -> None:
    if not 0 <= cost <= MAX_COST:
        raise CostError("cost: must be between 0 and 100,000")
    if not 1 <= supplier_pack_quantity <= MAX_PACK:
        raise CostError(f"supplier_pack_quantity: must be a whole number from 1 to {MAX_PACK:,}")
    if not 1 <= units <= MAX_PACK:
        raise CostError(f"amazon_pack_quantity: must be a whole number from 1 to {MAX_PACK:,}")
    if not 0 <= discount_per_product_bp <= BP:
        raise CostError("discount_per_product: must be between 0 and 100 percent")


def financials(
    price: int,
    fees_total: int,
    monthly_storage_fee: int,
    charged_weight: int,
    weight_scale: int,
    cost: int,
    options: CostOptions = CostOptions(),
    supplier_pack_quantity: int = 1,
    amazon_pack_quantity: int | None = 1,
    discount_per_product_bp: int = 0,
) -> Financials:
    """One row's financials. `charged_weight / weight_scale` is the shipping weight in pounds."""
    units = options.amazon_units(amazon_pack_quantity)
    check_row(cost, supplier_pack_quantity, discount_per_product_bp, units)
    discount_cost = div_round(cost * units * (BP - options.discount_supplier_bp) * (BP - discount_per_product_bp),
                              supplier_pack_quantity * BP * BP)
    prep = options.multipack_prep.cost(units) if options.multipack_prep else options.prep_cost
    inbound = div_round(options.inbound_per_lb * charged_weight, weight_scale)
    total_cogs = discount_cost + prep + inbound
    net_revenue = price - fees_total
    storage = monthly_storage_fee * options.storage_months
    profit = net_revenue - total_cogs - storage
    return Financials(
        amazon_pack_quantity=units,
        discount_cost=discount_cost,
        prep_cost=prep,
        inbound_shipping=inbound,
        total_cogs=total_cogs,
        amazon_fees=fees_total,
        net_revenue=net_revenue,
        fba_storage_fees=storage,
        profit=profit,
        margin=ratio_bp(profit, price),
        roi=ratio_bp(profit, total_cogs),
    )


# ---- the same model over a whole scan (polars), held to `financials` by a property test ----

FRAME_INPUTS = ("price", "fees_total", "monthly_storage_fee", "charged_weight", "cost",
                "supplier_pack_quantity", "amazon_pack_quantity", "discount_per_product_bp")


def _inbound(per_lb: int, charged: pl.Expr, weight_scale: int) -> pl.Expr:
    """`div_round(per_lb x charged, weight_scale)` without forming the product: a metric schedule's
    scaled weights are about 1e18 for a heavy parcel, and x $100 would leave Int64. Exact for
    non-negative values: (q x s + r) x p / s = q x p + r x p / s."""
    return (charged // weight_scale) * per_lb + frame_div_round((charged % weight_scale) * per_lb, weight_scale)


def financial_frame(df: Frame, weight_scale: int, options: CostOptions = CostOptions()) -> Frame:
    """`financials` for every row; rows whose inputs fail `check_row` get `cost_error` instead
    (a lazy frame stays lazy)."""
    units = (pl.lit(options.multipack_override_quantity, dtype=pl.Int64) if options.multipack_override
             else pl.col("amazon_pack_quantity").fill_null(1))
    if options.multipack_prep:
        mp = options.multipack_prep
        prep = (pl.min_horizontal(pl.col("amazon_pack_quantity"), pl.lit(mp.first_n)) * mp.cost_first_n
                + pl.max_horizontal(pl.lit(0), pl.col("amazon_pack_quantity") - mp.first_n) * mp.cost_rest)
    else:
        prep = pl.lit(options.prep_cost, dtype=pl.Int64)
    spq, dpp = pl.col("supplier_pack_quantity"), pl.col("discount_per_product_bp")
    error = pl.coalesce(
        pl.when(~pl.col("cost").is_between(0, MAX_COST)).then(pl.lit("cost: must be between 0 and 100,000")),
        pl.when(~spq.is_between(1, MAX_PACK))
        .then(pl.lit(f"supplier_pack_quantity: must be a whole number from 1 to {MAX_PACK:,}")),
        pl.when(~pl.col("amazon_pack_quantity").is_between(1, MAX_PACK))
        .then(pl.lit(f"amazon_pack_quantity: must be a whole number from 1 to {MAX_PACK:,}")),
        pl.when(~dpp.is_between(0, BP)).then(pl.lit("discount_per_product: must be between 0 and 100 percent")),
    )
    ok = error.is_null()
    out = df.lazy().with_columns(amazon_pack_quantity=units).with_columns(
        cost_error=error,
        discount_cost=pl.when(ok).then(frame_div_round(
            pl.col("cost") * pl.col("amazon_pack_quantity") * (BP - options.discount_supplier_bp) * (BP - dpp),
            spq * (BP * BP))),
        prep_cost=pl.when(ok).then(prep),
        inbound_shipping=_inbound(options.inbound_per_lb, pl.col("charged_weight"), weight_scale),
        fba_storage_fees=pl.col("monthly_storage_fee") * options.storage_months,
        amazon_fees=pl.col("fees_total"),
    ).with_columns(
        total_cogs=pl.col("discount_cost") + pl.col("prep_cost") + pl.col("inbound_shipping"),
        net_revenue=pl.col("price") - pl.col("fees_total"),
    ).with_columns(
        profit=pl.col("net_revenue") - pl.col("total_cogs") - pl.col("fba_storage_fees"),
    ).with_columns(
        margin=pl.when(pl.col("price") > 0).then(frame_div_round(pl.col("profit") * BP, pl.col("price"))),
        roi=pl.when(pl.col("total_cogs") > 0).then(frame_div_round(pl.col("profit") * BP, pl.col("total_cogs"))),
    )
    return out if isinstance(df, pl.LazyFrame) else out.collect()
