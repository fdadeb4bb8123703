"""The fee engine over a whole scan at once, in polars.

The same integer arithmetic as `engine.compute`, written as column expressions; a property test
holds the two to the same cent on every row. Tables become small dense arrays that each row
indexes (`gather`), so a million rows cost a few dozen vectorised passes.

Input columns: price (cents), longest, median, shortest (1/100 in, sorted), weight (1/10000 lb),
category (slug), apparel (bool). Output: the `FeeBreakdown` figures per row, plus `fee_error`
(null when the row's fees are complete).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from sellerkit.domain.fees.engine import CUBIC_FOOT, FeeOptions, scale
from sellerkit.domain.fees.schedule import BANDS, Card, FeeError, Schedule
from sellerkit.domain.money import BP

ABOVE = 99  # row index of "above the last row" in the dense fee array
ROWS = 100
OPEN = 1 << 53  # the upper bound of an open-ended referral tier


def div_round(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """`money.div_round` as an expression (denominator > 0)."""
    q = (2 * numerator.abs() + denominator) // (2 * denominator)
    return pl.when(numerator >= 0).then(q).otherwise(-q)


def _lookup(values: list, index: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.Int64)).gather(index)


def _weight(schedule: Schedule, tier_at: int, basis: str, k: int) -> pl.Expr:
    tier = schedule.tiers[tier_at]
    unit = pl.col("weight") * k
    if basis == "unit":
        return unit
    m = tier.dimensional_min
    volume = (pl.col("longest") * pl.max_horizontal(pl.col("median"), pl.lit(m))
              * pl.max_horizontal(pl.col("shortest"), pl.lit(m)))
    return pl.max_horizontal(unit, volume)


def _tier_index(schedule: Schedule, k: int) -> pl.Expr:
    chain = None
    for i, tier in enumerate(schedule.tiers):
        cond = pl.lit(True)
        if tier.max_sides:
            cond &= ((pl.col("longest") <= tier.max_sides[0]) & (pl.col("median") <= tier.max_sides[1])
                     & (pl.col("shortest") <= tier.max_sides[2]))
        if tier.max_length_girth is not None:
            cond &= pl.col("longest") + 2 * (pl.col("median") + pl.col("shortest")) <= tier.max_length_girth
        if tier.max_weight is not None:
            cond &= _weight(schedule, i, tier.tested_on, k) <= tier.max_weight * k
        chain = pl.when(cond).then(i) if chain is None else chain.when(cond).then(i)
    return chain.otherwise(None)  # type: ignore[union-attr]


def _cards(schedule: Schedule, when: date) -> list[Card | str]:
    """Non-apparel and apparel cards for the date, or the error a row using one gets."""
    out: list[Card | str] = []
    for apparel in (False, True):
        try:
            out.append(schedule.card(when, apparel))
        except FeeError as exc:
            out.append(str(exc))
    return out


def fee_frame(df: pl.DataFrame, schedule: Schedule, when: date, options: FeeOptions = FeeOptions()) -> pl.DataFrame:
    k = scale(schedule)
    tiers = schedule.tiers
    n_tiers, n_bands = len(tiers), len(BANDS)
    cards = _cards(schedule, when)
    fba = options.fulfilment == "FBA"

    # dense tables: fee[((card * tiers + tier) * ROWS + row) * bands + band], thresholds per (card, tier, row)
    fee_table = [None] * (2 * n_tiers * ROWS * n_bands)
    step_start, step_size, step_fee = ([None] * (2 * n_tiers) for _ in range(3))
    row_chain = None
    for c, card in enumerate(cards):
        if isinstance(card, str):
            continue
        for t, tier in enumerate(tiers):
            fees = card.tiers.get(tier.name)
            if fees is None:
                continue
            for r, (max_weight, by_band) in enumerate(fees.rows):
                for b, band in enumerate(BANDS):
                    fee_table[((c * n_tiers + t) * ROWS + r) * n_bands + b] = by_band[band]
                cond = (pl.col("_card") == c) & (pl.col("_tier") == t) & (pl.col("_charged") <= max_weight * k)
                row_chain = pl.when(cond).then(r) if row_chain is None else row_chain.when(cond).then(r)
            if fees.above:
                for b, band in enumerate(BANDS):
                    fee_table[((c * n_tiers + t) * ROWS + ABOVE) * n_bands + b] = fees.above.base[band]
                step_start[c * n_tiers + t] = fees.above.start * k
                step_size[c * n_tiers + t] = fees.above.step * k
                step_fee[c * n_tiers + t] = fees.above.per_step
    rows = (row_chain.otherwise(ABOVE) if row_chain is not None else pl.lit(ABOVE)).cast(pl.Int64)

    slugs = sorted(schedule.categories)
    cats = [schedule.categories[s] for s in slugs]
    width = max(len(c.tiers) for c in cats)
    tier_up = [[(c.tiers[i][0] if i < len(c.tiers) and c.tiers[i][0] is not None else OPEN) for c in cats]
               for i in range(width)]
    tier_bp = [[(c.tiers[i][1] if i < len(c.tiers) else 0) for c in cats] for i in range(width)]

    storage_tier = [0 if t.name in schedule.standard_storage_tiers else 1 for t in tiers]
    month = "jan_sep" if when.month <= 9 else "oct_dec"
    storage_rate = [schedule.storage[size][month] for size in ("standard", "oversize")]
    placement = [
        (options.placement_fee if options.placement_fee is not None else
         0 if options.placement == "none" else
         schedule.placement["extra_large" if t.name.startswith("extra_large") else t.name])
        for t in tiers
    ]
    fuel_bp = schedule.fuel_rate_bp if schedule.fuel_from is not None and when >= schedule.fuel_from else 0

    out = df.lazy().with_columns(
        _tier=_tier_index(schedule, k),
        _band=pl.when(pl.col("price") < schedule.low_price_below).then(0)
        .when(pl.col("price") <= schedule.mid_price_up_to).then(1).otherwise(2),
        _card=pl.col("apparel").cast(pl.Int64),
        _cat=pl.col("category").replace_strict(slugs, list(range(len(slugs))), default=None, return_dtype=pl.Int64),
    ).with_columns(
        _charged=pl.coalesce([pl.when(pl.col("_tier") == i).then(_weight(schedule, i, t.weight, k))
                              for i, t in enumerate(tiers)]),
    ).with_columns(_row=rows).with_columns(
        _ct=pl.col("_card") * n_tiers + pl.col("_tier"),
    )
    steps = pl.when(pl.col("_row") == ABOVE).then(
        pl.max_horizontal(pl.lit(0), (pl.col("_charged") - _lookup(step_start, pl.col("_ct"))
                                      + _lookup(step_size, pl.col("_ct")) - 1) // _lookup(step_size, pl.col("_ct")))
    ).otherwise(0)
    base = (_lookup(fee_table, (pl.col("_ct") * ROWS + pl.col("_row")) * n_bands + pl.col("_band"))
            + steps * pl.coalesce(_lookup(step_fee, pl.col("_ct")), pl.lit(0)))
    basis = pl.col("price") + pl.when(_lookup([int(c.media) for c in cats], pl.col("_cat")) == 1).then(0)\
        .otherwise(options.shipping_charge)
    portions = pl.sum_horizontal([
        _lookup(tier_bp[i], pl.col("_cat")) * pl.max_horizontal(
            pl.lit(0),
            pl.min_horizontal(basis, _lookup(tier_up[i], pl.col("_cat")))
            - (_lookup(tier_up[i - 1], pl.col("_cat")) if i else pl.lit(0)))
        for i in range(width)
    ])
    whole_rate = None
    for i in range(width):
        cond = basis <= _lookup(tier_up[i], pl.col("_cat"))
        rate = _lookup(tier_bp[i], pl.col("_cat"))
        whole_rate = pl.when(cond).then(rate) if whole_rate is None else whole_rate.when(cond).then(rate)
    raw = pl.when(_lookup([int(c.mode == "portions") for c in cats], pl.col("_cat")) == 1)\
        .then(portions).otherwise(basis * whole_rate)  # type: ignore[operator]
    referral = pl.max_horizontal(div_round(raw, BP), _lookup([c.minimum for c in cats], pl.col("_cat")))

    card_error = pl.lit(None, dtype=pl.String)
    for c, card in enumerate(cards):
        if isinstance(card, str):
            card_error = pl.when(pl.col("_card") == c).then(pl.lit(card)).otherwise(card_error)
    errors = [
        pl.when(pl.col("_cat").is_null()).then(pl.lit("category: unknown category ") + pl.col("category").fill_null("(none)")),
    ]
    if fba:
        dangerous = pl.col("dangerous_goods") if "dangerous_goods" in df.columns else pl.lit(False)
        errors += [pl.when(dangerous).then(pl.lit(f"fee schedule {schedule.id} has no dangerous-goods fulfilment fees "
                                                  "(Amazon's hazmat rate card is not in it)")),
                   card_error]
    zero = pl.lit(0, dtype=pl.Int64)
    out = out.with_columns(
        fba_fee_base=base if fba else zero,
        referral_fee=referral,
        variable_closing_fee=_lookup([schedule.closing_fee if c.closing_fee else 0 for c in cats], pl.col("_cat")),
        per_item_fee=pl.lit(schedule.per_item_fee if options.individual_plan else 0, dtype=pl.Int64),
        inbound_placement_fee=_lookup(placement, pl.col("_tier")) if fba else zero,
        monthly_storage_fee=div_round(
            _lookup(storage_rate, _lookup(storage_tier, pl.col("_tier")))
            * pl.col("longest") * pl.col("median") * pl.col("shortest"), CUBIC_FOOT) if fba else zero,
        weight_steps=steps if fba else zero,
        fee_error=pl.coalesce(errors),
    ).with_columns(
        fuel_surcharge=div_round(pl.col("fba_fee_base") * fuel_bp, BP),
    ).with_columns(
        fba_fee=pl.col("fba_fee_base") + pl.col("fuel_surcharge"),
    ).with_columns(
        fees_total=pl.col("fba_fee") + pl.col("referral_fee") + pl.col("variable_closing_fee")
        + pl.col("per_item_fee") + pl.col("inbound_placement_fee"),
        size_tier=pl.col("_tier").replace_strict(list(range(n_tiers)), [t.name for t in tiers], default=None,
                                                 return_dtype=pl.String),
        price_band=pl.col("_band").replace_strict([0, 1, 2], list(BANDS), return_dtype=pl.String),
        charged_weight=pl.col("_charged"),
    )
    fee_columns = ["fba_fee_base", "fuel_surcharge", "fba_fee", "referral_fee", "variable_closing_fee",
                   "per_item_fee", "inbound_placement_fee", "monthly_storage_fee", "fees_total"]
    out = out.with_columns([pl.when(pl.col("fee_error").is_null()).then(pl.col(c)) for c in fee_columns])
    return out.drop("_tier", "_band", "_card", "_cat", "_charged", "_row", "_ct").collect()

