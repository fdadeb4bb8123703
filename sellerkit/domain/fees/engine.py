"""The fee engine: Amazon's fees for one unit, exact to the cent, from a published schedule.

Weights are compared as integers scaled so that a dimensional weight (volume / divisor) never
needs a division: `scaled weight = pounds x WEIGHT x K` and `volume in LENGTH^3 units` are the
same unit. Every table edge is therefore an exact integer comparison.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sellerkit.domain.fees.schedule import (
    LENGTH,
    WEIGHT,
    FeeError,
    ReferralCategory,
    Schedule,
    Tier,
    TierFees,
    inches,
    pounds,
    schedule_for,
)
from sellerkit.domain.money import BP, div_round

MAX_SIDE = 500 * LENGTH  # keeps volume x rate products inside 64-bit integers (polars path)
MAX_WEIGHT = 10_000 * WEIGHT
CUBIC_FOOT = 1_728 * LENGTH**3
FULFILMENT = ("FBA", "FBM")
PLACEMENT = ("none", "estimate")


def scale(schedule: Schedule) -> int:
    """K: scaled-weight units per weight unit, so that volume (LENGTH^3) == weight x K."""
    k, rest = divmod(schedule.dim_divisor * LENGTH**3, WEIGHT)
    assert not rest, "divisor x LENGTH^3 must be a whole number of weight units"
    return k


@dataclass(frozen=True, slots=True)
class Package:
    """A packaged unit: sides sorted longest first, in 1/LENGTH inch; weight in 1/WEIGHT lb."""

    longest: int
    median: int
    shortest: int
    weight: int

    @classmethod
    def of(cls, length: object, width: object, height: object, weight: object) -> Package:
        sides = sorted((inches(length, "length"), inches(width, "width"), inches(height, "height")),
                       reverse=True)
        return cls.checked(*sides, pounds(weight, "weight"))

    @classmethod
    def checked(cls, longest: int, median: int, shortest: int, weight: int) -> Package:
        if shortest < 0 or weight < 0:
            raise FeeError("package dimensions and weight must not be negative")
        if longest > MAX_SIDE or weight > MAX_WEIGHT:
            raise FeeError("package is larger than any parcel Amazon fulfils (over 500 in or 10,000 lb)")
        return cls(longest, median, shortest, weight)

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
    individual_plan: bool = False  # $0.99 per item on Amazon's Individual selling plan
    shipping_charge: int = 0  # cents the buyer pays for delivery (FBM); part of the referral basis
    placement: str = "none"  # inbound placement: none, or the schedule's rough per-tier estimate
    placement_fee: int | None = None  # the seller's own per-unit placement fee (cents), wins

    def __post_init__(self) -> None:
        if self.fulfilment not in FULFILMENT:
            raise FeeError(f"fulfilment: expected one of {', '.join(FULFILMENT)}, got {self.fulfilment!r}")
        if self.placement not in PLACEMENT:
            raise FeeError(f"placement: expected one of {', '.join(PLACEMENT)}, got {self.placement!r}")
        if self.shipping_charge < 0 or (self.placement_fee or 0) < 0:
            raise FeeError("shipping_charge and placement_fee must not be negative")


@dataclass(frozen=True, slots=True)
class FeeBreakdown:
    """Every component in cents, with what decided it."""

    schedule: str
    card: str | None
    size_tier: str
    price_band: str
    shipping_weight_lb: Decimal  # the weight the fulfilment fee was charged on
    dimensional_weight_lb: Decimal | None
    unit_weight_lb: Decimal
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
    charged_weight: int = field(repr=False)  # shipping weight x weight_scale, exact
    weight_scale: int = field(repr=False)

    @property
    def total(self) -> int:
        """What Amazon deducts per unit sold (storage is billed by the month, not per sale)."""
        return (self.fba_fee + self.referral_fee + self.variable_closing_fee + self.per_item_fee
                + self.inbound_placement_fee)

    def as_dict(self) -> dict:
        out = asdict(self)
        del out["charged_weight"], out["weight_scale"]
        for key in ("shipping_weight_lb", "dimensional_weight_lb", "unit_weight_lb"):
            out[key] = float(out[key]) if out[key] is not None else None
        out["total"] = self.total
        return out


def _lb(scaled: int, k: int) -> Decimal:
    return (Decimal(scaled) / (k * WEIGHT)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _weight(package: Package, tier: Tier, basis: str, k: int) -> int:
    unit = package.weight * k
    return unit if basis == "unit" else max(unit, package.volume(tier.dimensional_min))


def size_tier(schedule: Schedule, package: Package) -> Tier:
    k = scale(schedule)
    for tier in schedule.tiers:
        if tier.max_sides and (package.longest > tier.max_sides[0] or package.median > tier.max_sides[1]
                               or package.shortest > tier.max_sides[2]):
            continue
        if tier.max_length_girth is not None and package.length_girth > tier.max_length_girth:
            continue
        if tier.max_weight is not None and _weight(package, tier, tier.tested_on, k) > tier.max_weight * k:
            continue
        return tier
    raise FeeError(f"fee schedule {schedule.id} has no size tier for this package")


def price_band(schedule: Schedule, price: int) -> str:
    if price < schedule.low_price_below:
        return "lt_10"
    return "10_to_50" if price <= schedule.mid_price_up_to else "gt_50"


def table_fee(fees: TierFees, weight: int, band: str, k: int) -> tuple[int, int]:
    """(fee, steps above the last row) for a scaled weight; rows are right-inclusive."""
    for max_weight, by_band in fees.rows:
        if weight <= max_weight * k:
            return by_band[band], 0
    if fees.above is None:
        raise FeeError("weight is above the last row of the fee table")
    above = fees.above
    over = weight - above.start * k
    steps = -(-over // (above.step * k)) if over > 0 else 0
    return above.base[band] + steps * above.per_step, steps


def referral_fee(category: ReferralCategory, basis: int) -> int:
    """max(percentage, minimum); tiers are whole-price thresholds or marginal portions."""
    if category.mode == "portions":
        raw, low = 0, 0
        for up_to, rate in category.tiers:
            high = basis if up_to is None else min(basis, up_to)
            if high > low:
                raw += (high - low) * rate
            if up_to is None or basis <= up_to:
                break
            low = up_to
    else:  # flat is one open tier; whole_price charges the first tier the price fits in
        rate = next(r for up_to, r in category.tiers if up_to is None or basis <= up_to)
        raw = basis * rate
    return max(div_round(raw, BP), category.minimum)


def storage_fee(schedule: Schedule, package: Package, tier: str, when: date, dangerous: bool) -> int:
    size = "standard" if tier in schedule.standard_storage_tiers else "oversize"
    rate = schedule.storage[("dangerous_" if dangerous else "") + size]["jan_sep" if when.month <= 9 else "oct_dec"]
    return div_round(rate * package.volume(), CUBIC_FOOT)


def placement_fee(schedule: Schedule, tier: str, options: FeeOptions) -> int:
    if options.placement_fee is not None:
        return options.placement_fee
    if options.placement == "none":
        return 0
    return schedule.placement["extra_large" if tier.startswith("extra_large") else tier]


def compute(schedule: Schedule, package: Package, price: int, category: str, when: date,
            options: FeeOptions = FeeOptions()) -> FeeBreakdown:
    """Fees for one unit of `package` sold at `price` cents, shipped on `when`."""
    if price < 0:
        raise FeeError("price must not be negative")
    k = scale(schedule)
    cat = schedule.category(category)
    tier = size_tier(schedule, package)
    band = price_band(schedule, price)
    charged = _weight(package, tier, tier.weight, k)
    dimensional = package.volume(tier.dimensional_min) if tier.weight == "shipping" else None
    fba = fba_base = fuel = steps = 0
    card_id = None
    fba_programme = options.fulfilment == "FBA"
    if fba_programme:
        if options.dangerous_goods:
            raise FeeError(f"fee schedule {schedule.id} has no dangerous-goods fulfilment fees "
                           "(Amazon's hazmat rate card is not in it)")
        card = schedule.card(when, options.apparel)
        fees = card.tiers.get(tier.name)
        if fees is None:
            raise FeeError(f"fee card {card.id} has no fees for size tier {tier.name}")
        card_id = card.id
        fba_base, steps = table_fee(fees, charged, band, k)
        if schedule.fuel_from is not None and when >= schedule.fuel_from:
            fuel = div_round(fba_base * schedule.fuel_rate_bp, BP)
        fba = fba_base + fuel
    basis = price if cat.media else price + options.shipping_charge
    return FeeBreakdown(
        schedule=schedule.id,
        card=card_id,
        size_tier=tier.name,
        price_band=band,
        shipping_weight_lb=_lb(charged, k),
        dimensional_weight_lb=_lb(dimensional, k) if dimensional is not None else None,
        unit_weight_lb=_lb(package.weight * k, k),
        weight_steps=steps,
        category=cat.slug,
        fba_fee_base=fba_base,
        fuel_surcharge=fuel,
        fba_fee=fba,
        referral_fee=referral_fee(cat, basis),
        variable_closing_fee=schedule.closing_fee if cat.closing_fee else 0,
        per_item_fee=schedule.per_item_fee if options.individual_plan else 0,
        inbound_placement_fee=placement_fee(schedule, tier.name, options) if fba_programme else 0,
        monthly_storage_fee=(storage_fee(schedule, package, tier.name, when, options.dangerous_goods)
                             if fba_programme else 0),
        charged_weight=charged,
        weight_scale=k * WEIGHT,
    )


def fees_for(marketplace: str, package: Package, price: int, category: str, when: date,
             options: FeeOptions = FeeOptions()) -> FeeBreakdown:
    return compute(schedule_for(marketplace, when), package, price, category, when, options)


APPAREL_CATEGORIES = frozenset({"clothing_and_accessories"})  # category slugs on the apparel card


def tier_title(slug: str) -> str:
    """RocketSource's display form: `Small Standard`, `Extra Large 50-70 lb`, `Extra Large 150+ lb`."""
    if slug.startswith("extra_large_"):
        band = slug.removeprefix("extra_large_").replace("_plus", "+").replace("_", "-")
        return f"Extra Large {band} lb"
    return slug.replace("_", " ").title()
