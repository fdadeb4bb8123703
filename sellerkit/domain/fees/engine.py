"""The fee engine: Amazon's fees for one unit, exact to the cent, from a published schedule.

Weights are compared as integers in the schedule's scaled unit (see `schedule.Measure`): a
package's unit weight, its dimensional weight (volume / divisor) and every table weight are whole
numbers of it, whatever units the schedule and the package are written in. Every table edge is
therefore an exact integer comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sellerkit.domain.fees.schedule import (
    IMPERIAL,
    LENGTH,
    LIMITS,
    METRIC,
    METRIC_LENGTH,
    METRIC_WEIGHT,
    FeeError,
    Measure,
    ReferralCategory,
    Schedule,
    Tier,
    TierFees,
    inches,
    pounds,
    schedule_for,
)
from sellerkit.domain.money import BP, div_round, quantise
from sellerkit.domain.quoting import quote

MAX_SIDE, MAX_WEIGHT = LIMITS[IMPERIAL]  # keeps volume x rate products inside 64-bit integers (polars path)
CUBIC_FOOT = 1_728 * LENGTH**3
FULFILMENT = ("FBA", "FBM")
PLACEMENT = ("none", "estimate")
_US_EXTRA_LARGE = re.compile(r"extra_large_\d+_(\d+|plus)")  # the US weight bands, not UK's extra-large envelope
_PLACES = {"lb": Decimal("0.001"), "g": Decimal("0.01")}  # how weights are shown


def scale(schedule: Schedule) -> int:
    """Scaled weight units per catalog weight unit (1/10000 lb)."""
    return schedule.measure(IMPERIAL).unit_scale


def weight_scale(schedule: Schedule, units: str = IMPERIAL) -> int:
    """Scaled weight units per pound: `charged_weight / weight_scale` is pounds."""
    return schedule.measure(units).per_lb


@dataclass(frozen=True, slots=True)
class Package:
    """A packaged unit, sides sorted longest first. `units` in/lb: sides in 1/LENGTH inch and
    weight in 1/WEIGHT lb (the catalog's units); cm/g: sides in micrometres and weight in mg."""

    longest: int
    median: int
    shortest: int
    weight: int
    units: str = IMPERIAL

    @classmethod
    def of(cls, length: object, width: object, height: object, weight: object) -> Package:
        """From inches and pounds, as the catalog has them."""
        sides = sorted((inches(length, "length"), inches(width, "width"), inches(height, "height")),
                       reverse=True)
        return cls.checked(*sides, pounds(weight, "weight"))

    @classmethod
    def metric(cls, length: object, width: object, height: object, weight: object) -> Package:
        """From centimetres and grams (to 1 µm and 1 mg), for sellers who measure in metric."""
        sides = sorted((quantise(v, METRIC_LENGTH, f) for v, f in
                        ((length, "length"), (width, "width"), (height, "height"))), reverse=True)
        return cls.checked(*sides, quantise(weight, METRIC_WEIGHT, "weight"), units=METRIC)

    @classmethod
    def checked(cls, longest: int, median: int, shortest: int, weight: int, units: str = IMPERIAL) -> Package:
        if units not in LIMITS:
            raise FeeError(f"units: expected {IMPERIAL} or {METRIC}, got {quote(units)}")
        if shortest < 0 or weight < 0:
            raise FeeError("package dimensions and weight must not be negative")
        max_side, max_weight = LIMITS[units]
        if longest > max_side or weight > max_weight:
            raise FeeError("package is larger than any parcel Amazon fulfils (over 500 in or 10,000 lb)")
        return cls(longest, median, shortest, weight, units)

    def volume(self, minimum: int = 0) -> int:
        return self.longest * max(self.median, minimum) * max(self.shortest, minimum)

    @property
    def length_girth(self) -> int:
        return self.longest + 2 * (self.median + self.shortest)


@dataclass(frozen=True, slots=True)
class FeeOptions:
    fulfilment: str = "FBA"
    apparel: bool = False
    dangerous_goods: bool = False
    individual_plan: bool = False  # per-item fee on Amazon's Individual selling plan
    shipping_charge: int = 0  # cents the buyer pays for delivery (FBM); part of the referral basis
    placement: str = "none"  # inbound placement: none, or the schedule's rough per-tier estimate
    placement_fee: int | None = None  # the seller's own per-unit placement fee (cents), wins

    def __post_init__(self) -> None:
        if self.fulfilment not in FULFILMENT:
            raise FeeError(f"fulfilment: expected one of {', '.join(FULFILMENT)}, got {quote(self.fulfilment)}")
        if self.placement not in PLACEMENT:
            raise FeeError(f"placement: expected one of {', '.join(PLACEMENT)}, got {quote(self.placement)}")
        if self.shipping_charge < 0 or (self.placement_fee or 0) < 0:
            raise FeeError("shipping_charge and placement_fee must not be negative")


def _shown(scaled: int, per: int, places: Decimal) -> Decimal:
    return (Decimal(scaled) / per).quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class FeeBreakdown:
    """Every component in minor units of `currency` (cents, pence), with what decided it.

    Weights are kept exact in the schedule's scaled unit: `charged_weight / weight_scale` is the
    shipping weight in pounds, `charged_weight / unit_scale` in the schedule's `weight_unit`."""

    schedule: str
    card: str | None
    currency: str
    confidence: str | None  # the schedule's ("unconfirmed"), else the rate card's
    size_tier: str
    price_band: str  # the band whose rate was charged
    weight_steps: int
    category: str
    fba_fee_base: int
    fuel_surcharge: int
    fba_fee: int
    referral_fee: int
    variable_closing_fee: int
    per_item_fee: int
    inbound_placement_fee: int
    monthly_storage_fee: int  # per unit, for the month of the date
    missing: tuple[str, ...]  # components the schedule does not know, counted as 0
    weight_unit: str  # the schedule's: "lb" or "g"
    charged_weight: int  # the weight the fulfilment fee was charged on, scaled
    weight_scale: int  # scaled units per pound
    unit_scale: int  # scaled units per `weight_unit`
    dimensional_charged: int | None
    unit_charged: int

    @property
    def total(self) -> int:
        """What Amazon deducts per unit sold (storage is billed by the month, not per sale)."""
        return (self.fba_fee + self.referral_fee + self.variable_closing_fee + self.per_item_fee
                + self.inbound_placement_fee)

    def _lb(self, scaled: int | None) -> Decimal | None:
        return None if scaled is None else _shown(scaled, self.weight_scale, _PLACES["lb"])

    def _own(self, scaled: int | None) -> Decimal | None:
        return None if scaled is None else _shown(scaled, self.unit_scale, _PLACES[self.weight_unit])

    @property
    def shipping_weight_lb(self) -> Decimal:
        return self._lb(self.charged_weight)  # type: ignore[return-value]

    @property
    def dimensional_weight_lb(self) -> Decimal | None:
        return self._lb(self.dimensional_charged)

    @property
    def unit_weight_lb(self) -> Decimal:
        return self._lb(self.unit_charged)  # type: ignore[return-value]

    @property
    def shipping_weight(self) -> Decimal:
        """In the schedule's `weight_unit`."""
        return self._own(self.charged_weight)  # type: ignore[return-value]

    @property
    def dimensional_weight(self) -> Decimal | None:
        return self._own(self.dimensional_charged)

    @property
    def unit_weight(self) -> Decimal:
        return self._own(self.unit_charged)  # type: ignore[return-value]

    def as_dict(self) -> dict:
        def num(d: Decimal | None) -> float | None:
            return float(d) if d is not None else None

        return {
            "schedule": self.schedule, "card": self.card, "currency": self.currency,
            "confidence": self.confidence, "size_tier": self.size_tier, "price_band": self.price_band,
            "shipping_weight_lb": num(self.shipping_weight_lb),
            "dimensional_weight_lb": num(self.dimensional_weight_lb),
            "unit_weight_lb": num(self.unit_weight_lb),
            "weight_unit": self.weight_unit, "shipping_weight": num(self.shipping_weight),
            "dimensional_weight": num(self.dimensional_weight), "unit_weight": num(self.unit_weight),
            "weight_steps": self.weight_steps, "category": self.category,
            "fba_fee_base": self.fba_fee_base, "fuel_surcharge": self.fuel_surcharge, "fba_fee": self.fba_fee,
            "referral_fee": self.referral_fee, "variable_closing_fee": self.variable_closing_fee,
            "per_item_fee": self.per_item_fee, "inbound_placement_fee": self.inbound_placement_fee,
            "monthly_storage_fee": self.monthly_storage_fee, "missing": list(self.missing), "total": self.total,
        }


def _weight(package: Package, tier: Tier, basis: str, m: Measure) -> int:
    unit = package.weight * m.unit_scale
    return unit if basis == "unit" else max(unit, package.volume(tier.dimensional_min) * m.volume_scale)


def _size_tier(schedule: Schedule, m: Measure, package: Package) -> Tier:
    for tier in m.tiers:
        if tier.max_sides and (package.longest > tier.max_sides[0] or package.median > tier.max_sides[1]
                               or package.shortest > tier.max_sides[2]):
            continue
        if tier.max_length_girth is not None and package.length_girth > tier.max_length_girth:
            continue
        if tier.max_unit_weight is not None and package.weight * m.unit_scale > tier.max_unit_weight:
            continue
        if tier.max_weight is not None and _weight(package, tier, tier.tested_on, m) > tier.max_weight:
            continue
        return tier
    raise FeeError(f"fee schedule {schedule.id} has no size tier for this package")


def size_tier(schedule: Schedule, package: Package) -> Tier:
    """The first tier whose limits the package fits (tiers are listed smallest first)."""
    return _size_tier(schedule, schedule.measure(package.units), package)


def table_fee(fees: TierFees, weight: int, band: str) -> tuple[int, int, str]:
    """(fee, steps above the last row, band charged) for a scaled weight; rows are right-inclusive."""
    for max_weight, by_band in fees.rows:
        if weight <= max_weight:
            fee, charged = by_band[band]
            return fee, 0, charged
    if fees.above is None:
        raise FeeError("weight is above the last row of the fee table")
    above = fees.above
    over = weight - above.start
    steps = -(-over // above.step) if over > 0 else 0
    fee, charged = above.base[band]
    return fee + steps * above.per_step, steps, charged


def referral_fee(category: ReferralCategory, basis: int) -> int:
    """max(percentage, minimum): a whole-price threshold the basis fits, else the portions."""
    for up_to, rate in category.whole:
        if basis <= up_to:
            return max(div_round(basis * rate, BP), category.minimum)
    raw, low = 0, 0
    for up_to, rate in category.portions:
        high = basis if up_to is None else min(basis, up_to)
        if high > low:
            raw += (high - low) * rate
        if up_to is None or basis <= up_to:
            break
        low = up_to
    return max(div_round(raw, BP), category.minimum)


def storage_fee(schedule: Schedule, package: Package, tier: str, when: date, dangerous: bool) -> int:
    if schedule.storage is None:
        raise FeeError(f"fee schedule {schedule.id} has no storage rates")
    size = "standard" if tier in schedule.standard_storage_tiers else "oversize"
    rate = schedule.storage[("dangerous_" if dangerous else "") + size]["jan_sep" if when.month <= 9 else "oct_dec"]
    return div_round(rate * package.volume(), schedule.measure(package.units).cubic_foot)


def placement_fee(schedule: Schedule, tier: str, options: FeeOptions) -> int:
    if options.placement_fee is not None:
        return options.placement_fee
    if options.placement == "none":
        return 0
    key = "extra_large" if _US_EXTRA_LARGE.fullmatch(tier) else tier
    if key not in schedule.placement:
        raise FeeError(f"fee schedule {schedule.id} has no inbound placement estimate for {tier}; "
                       "give your own placement fee")
    return schedule.placement[key]


def compute(schedule: Schedule, package: Package, price: int, category: str, when: date,
            options: FeeOptions = FeeOptions()) -> FeeBreakdown:
    """Fees for one unit of `package` sold at `price` (minor units), shipped on `when`."""
    if price < 0:
        raise FeeError("price must not be negative")
    m = schedule.measure(package.units)
    cat = schedule.category(category)
    tier = _size_tier(schedule, m, package)
    band = schedule.band(price, cat.slug).key
    charged = _weight(package, tier, tier.weight, m)
    dimensional = package.volume(tier.dimensional_min) * m.volume_scale if tier.weight == "shipping" else None
    fba = fba_base = fuel = steps = storage = 0
    card = None
    missing = []
    fba_programme = options.fulfilment == "FBA"
    if fba_programme:
        if options.dangerous_goods:
            raise FeeError(f"fee schedule {schedule.id} has no dangerous-goods fulfilment fees "
                           "(Amazon's hazmat rate card is not in it)")
        card = schedule.card(when, options.apparel)
        fees = m.fees[card.id].get(tier.name)
        if fees is None:
            raise FeeError(f"fee card {card.id} has no fees for size tier {tier.name}")
        fba_base, steps, band = table_fee(fees, charged, band)
        if schedule.fuel_from is not None and when >= schedule.fuel_from:
            fuel = div_round(fba_base * schedule.fuel_rate_bp, BP)
        fba = fba_base + fuel
        if schedule.storage is None:
            missing.append("monthly_storage_fee")
        else:
            storage = storage_fee(schedule, package, tier.name, when, options.dangerous_goods)
    closing = 0
    if cat.closing_fee:
        if schedule.closing_fee is None:
            missing.append("variable_closing_fee")
        else:
            closing = schedule.closing_fee
    per_item = 0
    if options.individual_plan:
        if schedule.per_item_fee is None:
            missing.append("per_item_fee")
        else:
            per_item = schedule.per_item_fee
    basis = price if cat.media else price + options.shipping_charge
    return FeeBreakdown(
        schedule=schedule.id,
        card=card.id if card else None,
        currency=schedule.currency,
        confidence=schedule.confidence or (card.confidence if card else None),
        size_tier=tier.name,
        price_band=band,
        weight_steps=steps,
        category=cat.slug,
        fba_fee_base=fba_base,
        fuel_surcharge=fuel,
        fba_fee=fba,
        referral_fee=referral_fee(cat, basis),
        variable_closing_fee=closing,
        per_item_fee=per_item,
        inbound_placement_fee=placement_fee(schedule, tier.name, options) if fba_programme else 0,
        monthly_storage_fee=storage,
        missing=tuple(missing),
        weight_unit=schedule.weight_unit,
        charged_weight=charged,
        weight_scale=m.per_lb,
        unit_scale=m.per_weight_unit,
        dimensional_charged=dimensional,
        unit_charged=package.weight * m.unit_scale,
    )


def fees_for(marketplace: str, package: Package, price: int, category: str, when: date,
             options: FeeOptions = FeeOptions()) -> FeeBreakdown:
    return compute(schedule_for(marketplace, when), package, price, category, when, options)


APPAREL_CATEGORIES = frozenset({"clothing_and_accessories"})  # category slugs on the apparel card


def tier_title(slug: str) -> str:
    """RocketSource's display form: `Small Standard`, `Extra Large 50-70 lb`, `Extra Large 150+ lb`."""
    if _US_EXTRA_LARGE.fullmatch(slug):
        band = slug.removeprefix("extra_large_").replace("_plus", "+").replace("_", "-")
        return f"Extra Large {band} lb"
    return slug.replace("_", " ").title()
