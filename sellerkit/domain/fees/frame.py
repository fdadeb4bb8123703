"""The fee engine over a whole scan at once, in polars.

The same integer arithmetic as `engine.compute`, written as column expressions; a property test
holds the two to the same cent on every row, for every schedule. Tables become small dense arrays
that each row indexes (`gather`), so a million rows cost a few dozen vectorised passes.

Input columns: price (minor units), longest, median, shortest (1/100 in, sorted), weight
(1/10000 lb): the catalog's units, whatever units the schedule is written in; category (slug),
apparel (bool), optionally dangerous_goods (bool). Output: the `FeeBreakdown` figures per row,
`charged_weight` (scaled: `weight_scale(schedule)` units per pound), and `fee_error` (null when
the row's fees are complete).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import polars as pl

from sellerkit.domain.fees.engine import FeeOptions, placement_fee
from sellerkit.domain.fees.schedule import IMPERIAL, Card, FeeError, Measure, Schedule
from sellerkit.domain.money import BP

ABOVE = 99  # row index of "above the last row" in the dense fee array
ROWS = 100
OPEN = 1 << 53  # the upper bound of an open-ended referral tier or price band


def div_round(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """`money.div_round` as an expression (denominator > 0)."""
    q = (2 * numerator.abs() + denominator) // (2 * denominator)
    return pl.when(numerator >= 0).then(q).otherwise(-q)


def _lookup(values: list, index: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.Int64)).gather(index)


def _volume(m: Measure, minimum: int) -> pl.Expr:
    volume = (pl.col("longest") * pl.max_horizontal(pl.col("median"), pl.lit(minimum))
              * pl.max_horizontal(pl.col("shortest"), pl.lit(minimum)))
    if m.volume_cap is not None:  # see schedule._volume_cap: changes no result, keeps Int64
        volume = pl.min_horizontal(volume, pl.lit(m.volume_cap))
    return volume * m.volume_scale


def _weight(m: Measure, tier_at: int, basis: str) -> pl.Expr:
    unit = pl.col("weight") * m.unit_scale
    if basis == "unit":
        return unit
    return pl.max_horizontal(unit, _volume(m, m.tiers[tier_at].dimensional_min))


def _tier_index(m: Measure) -> pl.Expr:
    chain = None
    for i, tier in enumerate(m.tiers):
        cond = pl.lit(True)
        if tier.max_sides:
            cond &= ((pl.col("longest") <= tier.max_sides[0]) & (pl.col("median") <= tier.max_sides[1])
                     & (pl.col("shortest") <= tier.max_sides[2]))
        if tier.max_length_girth is not None:
            cond &= pl.col("longest") + 2 * (pl.col("median") + pl.col("shortest")) <= tier.max_length_girth
        if tier.max_unit_weight is not None:
            cond &= pl.col("weight") * m.unit_scale <= tier.max_unit_weight
        if tier.max_weight is not None:
            cond &= _weight(m, i, tier.tested_on) <= tier.max_weight
        chain = pl.when(cond).then(i) if chain is None else chain.when(cond).then(i)
    return chain.otherwise(None)  # type: ignore[union-attr]


def _band_index(schedule: Schedule, slugs: list[str]) -> pl.Expr:
    chain = None
    last = len(schedule.bands) - 1
    for i, band in enumerate(schedule.bands[:-1]):
        if band.below is not None:
            cond = pl.col("price") < band.below
        elif band.up_to_by_category:
            limits = [band.up_to_by_category.get(s, band.up_to) for s in slugs]
            cond = pl.col("price") <= _lookup([OPEN if v is None else v for v in limits], pl.col("_cat"))
        else:
            cond = pl.col("price") <= (OPEN if band.up_to is None else band.up_to)
        chain = pl.when(cond).then(i) if chain is None else chain.when(cond).then(i)
    return pl.lit(last) if chain is None else chain.otherwise(last)


def _cards(schedule: Schedule, when: date) -> list[Card | str]:
    """Non-apparel and apparel cards for the date, or the error a row using one gets."""
    out: list[Card | str] = []
    for apparel in (False, True):
        try:
            out.append(schedule.card(when, apparel))
        except FeeError as exc:
            out.append(str(exc))
    return out


def _referral(schedule: Schedule, slugs: list[str], basis: pl.Expr) -> pl.Expr:
    cats = [schedule.categories[s] for s in slugs]
    cat = pl.col("_cat")
    width = max(len(c.portions) for c in cats)
    up = [[(c.portions[i][0] if i < len(c.portions) and c.portions[i][0] is not None else OPEN) for c in cats]
          for i in range(width)]
    bp = [[(c.portions[i][1] if i < len(c.portions) else 0) for c in cats] for i in range(width)]
    raw = pl.sum_horizontal([
        _lookup(bp[i], cat) * pl.max_horizontal(
            pl.lit(0), pl.min_horizontal(basis, _lookup(up[i], cat)) - (_lookup(up[i - 1], cat) if i else pl.lit(0)))
        for i in range(width)
    ])
    for i in reversed(range(max(len(c.whole) for c in cats))):  # whole-price thresholds win, first first
        w_up = [c.whole[i][0] if i < len(c.whole) else -1 for c in cats]
        w_bp = [c.whole[i][1] if i < len(c.whole) else 0 for c in cats]
        raw = pl.when(basis <= _lookup(w_up, cat)).then(basis * _lookup(w_bp, cat)).otherwise(raw)
    return pl.max_horizontal(div_round(raw, BP), _lookup([c.minimum for c in cats], cat))


class _Stages:
    """`with_columns` calls recorded once and replayed on each frame: a scan computes fees for
    every chunk of its file with the same expressions, built in Python once (tens of ms)."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def with_columns(self, *exprs, **named) -> _Stages:
        self.calls.append((exprs, named))
        return self

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        for exprs, named in self.calls:
            frame = frame.with_columns(*exprs, **named)
        return frame


def fee_frame(df: pl.DataFrame, schedule: Schedule, when: date, options: FeeOptions = FeeOptions()) -> pl.DataFrame:
    m = schedule.measure(IMPERIAL)
    if m.frame_error:
        raise FeeError(m.frame_error)
    stages = _fee_stages(schedule, when, options, "dangerous_goods" in df.columns)
    return stages.apply(df.lazy()).drop("_tier", "_band", "_card", "_cat", "_charged", "_row", "_ct", "_cell").collect()


@lru_cache(maxsize=64)
def _fee_stages(schedule: Schedule, when: date, options: FeeOptions, dangerous_column: bool) -> _Stages:
    m = schedule.measure(IMPERIAL)
    tiers = m.tiers
    bands = [b.key for b in schedule.bands]
    n_tiers, n_bands = len(tiers), len(bands)
    cards = _cards(schedule, when)
    fba = options.fulfilment == "FBA"

    # dense tables: fee[((card * tiers + tier) * ROWS + row) * bands + band] and the band it charges
    fee_table: list[int | None] = [None] * (2 * n_tiers * ROWS * n_bands)
    band_table: list[int | None] = [None] * len(fee_table)
    step_start, step_size, step_fee = ([None] * (2 * n_tiers) for _ in range(3))
    row_chain = None
    for c, card in enumerate(cards):
        if isinstance(card, str):
            continue
        for t, tier in enumerate(tiers):
            fees = m.fees[card.id].get(tier.name)
            if fees is None:
                continue
            assert len(fees.rows) < ABOVE, "fee table too long for the dense array"
            cells = [(r, by_band) for r, (_, by_band) in enumerate(fees.rows)]
            if fees.above:
                cells.append((ABOVE, fees.above.base))
                step_start[c * n_tiers + t] = fees.above.start
                step_size[c * n_tiers + t] = fees.above.step
                step_fee[c * n_tiers + t] = fees.above.per_step
            for r, by_band in cells:
                for b, band in enumerate(bands):
                    at = ((c * n_tiers + t) * ROWS + r) * n_bands + b
                    fee_table[at], charged = by_band[band]
                    band_table[at] = bands.index(charged)
            for r, (max_weight, _) in enumerate(fees.rows):
                cond = (pl.col("_card") == c) & (pl.col("_tier") == t) & (pl.col("_charged") <= max_weight)
                row_chain = pl.when(cond).then(r) if row_chain is None else row_chain.when(cond).then(r)
    rows = (row_chain.otherwise(ABOVE) if row_chain is not None else pl.lit(ABOVE)).cast(pl.Int64)

    slugs = sorted(schedule.categories)
    cats = [schedule.categories[s] for s in slugs]
    storage_tier = [0 if t.name in schedule.standard_storage_tiers else 1 for t in tiers]
    month = "jan_sep" if when.month <= 9 else "oct_dec"
    storage_rate = [schedule.storage[size][month] for size in ("standard", "oversize")] if schedule.storage else [0, 0]
    placement: list[int | None] = []
    placement_error: dict[int, str] = {}
    for i, t in enumerate(tiers):
        try:
            placement.append(placement_fee(schedule, t.name, options))
        except FeeError as exc:
            placement.append(0)
            placement_error[i] = str(exc)
    fuel_bp = schedule.fuel_rate_bp if schedule.fuel_from is not None and when >= schedule.fuel_from else 0
    closing = schedule.closing_fee or 0
    per_item = (schedule.per_item_fee or 0) if options.individual_plan else 0

    out = _Stages().with_columns(
        _tier=_tier_index(m),
        _card=pl.col("apparel").cast(pl.Int64),
        _cat=pl.col("category").replace_strict(slugs, list(range(len(slugs))), default=None, return_dtype=pl.Int64),
    ).with_columns(
        _band=_band_index(schedule, slugs),
        _charged=pl.coalesce([pl.when(pl.col("_tier") == i).then(_weight(m, i, t.weight))
                              for i, t in enumerate(tiers)]),
    ).with_columns(_row=rows).with_columns(
        _ct=pl.col("_card") * n_tiers + pl.col("_tier"),
    ).with_columns(
        _cell=(pl.col("_ct") * ROWS + pl.col("_row")) * n_bands + pl.col("_band"),
    )
    size = _lookup(step_size, pl.col("_ct"))
    steps = pl.when(pl.col("_row") == ABOVE).then(
        pl.max_horizontal(pl.lit(0), (pl.col("_charged") - _lookup(step_start, pl.col("_ct")) + size - 1) // size)
    ).otherwise(0)
    base = _lookup(fee_table, pl.col("_cell")) + steps * pl.coalesce(_lookup(step_fee, pl.col("_ct")), pl.lit(0))
    basis = pl.col("price") + pl.when(_lookup([int(c.media) for c in cats], pl.col("_cat")) == 1).then(0)\
        .otherwise(options.shipping_charge)

    card_error = pl.lit(None, dtype=pl.String)
    for c, card in enumerate(cards):
        if isinstance(card, str):
            card_error = pl.when(pl.col("_card") == c).then(pl.lit(card)).otherwise(card_error)
    errors = [
        pl.when(pl.col("_cat").is_null()).then(pl.lit("category: unknown category ") + pl.col("category").fill_null("(none)")),
        pl.when(pl.col("_tier").is_null()).then(pl.lit(f"fee schedule {schedule.id} has no size tier for this package")),
    ]
    if fba:
        dangerous = pl.col("dangerous_goods") if dangerous_column else pl.lit(False)
        errors += [pl.when(dangerous).then(pl.lit(f"fee schedule {schedule.id} has no dangerous-goods fulfilment fees "
                                                  "(Amazon's hazmat rate card is not in it)")),
                   card_error,
                   pl.when(pl.col("_card").is_not_null() & pl.col("_tier").is_not_null()
                           & _lookup(fee_table, pl.col("_cell")).is_null())
                   .then(pl.lit("fee card has no fees for this size tier and weight"))]
        if placement_error:
            errors.append(pl.col("_tier").replace_strict(placement_error, default=None, return_dtype=pl.String))
    zero = pl.lit(0, dtype=pl.Int64)
    band_charged = _lookup(band_table, pl.col("_cell")) if fba else pl.col("_band")
    out = out.with_columns(
        fba_fee_base=base if fba else zero,
        referral_fee=_referral(schedule, slugs, basis),
        variable_closing_fee=_lookup([closing if c.closing_fee else 0 for c in cats], pl.col("_cat")),
        per_item_fee=pl.lit(per_item, dtype=pl.Int64),
        inbound_placement_fee=_lookup(placement, pl.col("_tier")) if fba else zero,
        monthly_storage_fee=div_round(
            _lookup(storage_rate, _lookup(storage_tier, pl.col("_tier")))
            * pl.col("longest") * pl.col("median") * pl.col("shortest"), m.cubic_foot) if fba else zero,
        weight_steps=steps if fba else zero,
        price_band=band_charged.replace_strict(list(range(n_bands)), bands, default=None, return_dtype=pl.String),
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
        charged_weight=pl.col("_charged"),
    )
    fee_columns = ["fba_fee_base", "fuel_surcharge", "fba_fee", "referral_fee", "variable_closing_fee",
                   "per_item_fee", "inbound_placement_fee", "monthly_storage_fee", "fees_total"]
    return out.with_columns([pl.when(pl.col("fee_error").is_null()).then(pl.col(c)) for c in fee_columns])
