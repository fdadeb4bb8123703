"""Fee schedules: Amazon's published tables as versioned data files, one per marketplace and
effective date (`schedules/US-2026-01-15.json`), each table beside the sources it came from.

This module reads and selects them, and turns a schedule's tables into integers for the engine.
A schedule is written in its marketplace's units (inches and pounds, or centimetres and grams);
a package is measured in the catalog's units (hundredths of an inch, ten-thousandths of a pound)
or, for sellers who measure in metric, in micrometres and milligrams. For each
pair the schedule gets a `Measure`: every length edge as a count of package length units
(floored: a package side is a whole number of units, so `side <= floor(edge)` is exactly
`side <= edge`), every weight edge as a count of one "scaled" weight unit chosen so that a
package weight, a dimensional weight (volume / divisor) and every table weight are all whole
numbers of it. No table boundary is ever compared through a float or a rounded conversion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache, reduce
from math import floor, gcd, lcm
from pathlib import Path

from sellerkit.domain.money import quantise
from sellerkit.domain.quoting import quote

SCHEDULES = Path(__file__).parent / "schedules"
LENGTH = 100  # catalog (imperial) package length units per inch
WEIGHT = 10_000  # catalog (imperial) package weight units per pound
METRIC_LENGTH = 10_000  # metric package length units per centimetre (1 µm: 1/100 in is 254 of them)
METRIC_WEIGHT = 1_000  # metric package weight units per gram (1 mg)
IMPERIAL, METRIC = "in/lb", "cm/g"  # package unit systems
BANDS = ("lt_10", "10_to_50", "gt_50")  # the US price bands (other schedules name their own)

G_PER_LB = Fraction("453.59237")  # exact, by the international yard and pound agreement
CM_PER_IN = Fraction("2.54")  # exact
# (centimetres, grams) in one package length unit and one package weight unit
PACKAGE_UNITS = {IMPERIAL: (CM_PER_IN / LENGTH, G_PER_LB / WEIGHT),
                 METRIC: (Fraction(1, METRIC_LENGTH), Fraction(1, METRIC_WEIGHT))}
# a schedule's units: key suffix in its tables, size in cm or g, and the quantum its weights are written to
LENGTH_UNITS = {"inches": ("in", CM_PER_IN), "centimetres": ("cm", Fraction(1))}
WEIGHT_UNITS = {"pounds": ("lb", G_PER_LB, Fraction(1, WEIGHT)), "grams": ("g", Fraction(1), Fraction(1, 1_000))}
DIVISOR_UNITS = {"in3/lb": CM_PER_IN**3 / G_PER_LB, "cm3/kg": Fraction(1, 1_000)}  # x divisor = cm3 per gram
CUBIC_FOOT_CM3 = (12 * CM_PER_IN) ** 3
INT_SAFE = 1 << 62  # products the polars path forms must stay below this (Int64)
# the largest package accepted, per unit system (500 in sides, 10,000 lb): keeps products in Int64
LIMITS = {IMPERIAL: (500 * LENGTH, 10_000 * WEIGHT), METRIC: (1_270 * METRIC_LENGTH, 4_535_923_700)}


class FeeError(ValueError):
    """A fee that cannot be computed honestly: no schedule, no table, bad input."""


def inches(value: object, field: str = "length") -> int:
    return quantise(value, LENGTH, field)


def pounds(value: object, field: str = "weight") -> int:
    return quantise(value, WEIGHT, field)


def _exact(value: object) -> Fraction:
    return Fraction(Decimal(str(value)))


# ---- a schedule as written (its own units, exact fractions) --------------------------------


@dataclass(frozen=True, slots=True)
class TierSpec:
    name: str
    max_sides: tuple[Fraction, Fraction, Fraction] | None  # longest, median, shortest
    max_length_girth: Fraction | None
    max_weight: Fraction | None  # tested on `tested_on`
    max_unit_weight: Fraction | None  # a second limit on the unit weight alone
    weight: str  # "unit" or "shipping": what the fee is charged on
    tested_on: str  # which weight `max_weight` limits
    dimensional_min: Fraction  # minimum width/height for dimensional weight (0: none)


@dataclass(frozen=True, slots=True)
class StepsSpec:
    start: Fraction
    step: Fraction
    per_step: int
    base: dict[str, int]


@dataclass(frozen=True, slots=True)
class TierFeesSpec:
    rows: tuple[tuple[Fraction, dict[str, int]], ...]
    above: StepsSpec | None


@dataclass(frozen=True, slots=True, eq=False)
class Card:
    """One fulfilment rate card: a season, apparel or not."""

    id: str
    season: str
    starts: date
    ends: date
    apparel: bool
    confidence: str
    tiers: dict[str, TierFeesSpec]


@dataclass(frozen=True, slots=True)
class Band:
    """A price band: prices `< below`, or `<= up_to` (per category where the schedule says so),
    or open. `fallback`: the band charged where a table row has no rate for this one."""

    key: str
    below: int | None
    up_to: int | None
    up_to_by_category: dict[str, int]
    fallback: str | None

    def holds(self, price: int, category: str) -> bool:
        if self.below is not None:
            return price < self.below
        limit = self.up_to_by_category.get(category, self.up_to)
        return limit is None or price <= limit


@dataclass(frozen=True, slots=True)
class ReferralCategory:
    """max(percentage, minimum). `whole`: (up to, rate) thresholds on the whole price, the first
    the price fits in wins; above them `portions`: (up to or None, rate) charged on each portion
    of the price. Flat is one open portion; Amazon's "X% for items at or under $N" is a whole
    threshold, "X% for the portion up to $N" a portion."""

    slug: str
    names: tuple[str, ...]
    whole: tuple[tuple[int, int], ...]
    portions: tuple[tuple[int | None, int], ...]
    minimum: int
    media: bool
    closing_fee: bool


# ---- the same tables in integer units for one package unit system ------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    max_sides: tuple[int, int, int] | None  # package length units
    max_length_girth: int | None
    max_weight: int | None  # scaled weight units
    max_unit_weight: int | None
    weight: str
    tested_on: str
    dimensional_min: int  # package length units


@dataclass(frozen=True, slots=True)
class Steps:
    """base + per_step for every started `step` above `start` (Amazon rounds steps up)."""

    start: int
    step: int
    per_step: int
    base: dict[str, tuple[int, str]]  # by price band: (fee, band actually charged)


@dataclass(frozen=True, slots=True)
class TierFees:
    rows: tuple[tuple[int, dict[str, tuple[int, str]]], ...]  # (max weight, by band), right-inclusive
    above: Steps | None


@dataclass(frozen=True, slots=True, eq=False)
class Measure:
    """A schedule's tables for packages measured in `units`. One scaled weight unit divides the
    package weight unit (`unit_scale` of them), the dimensional weight of one package volume unit
    (`volume_scale`), a pound (`per_lb`) and the schedule's weight unit (`per_weight_unit`)."""

    units: str
    unit_scale: int
    volume_scale: int
    per_lb: int
    per_weight_unit: int
    cubic_foot: int  # package volume units in a cubic foot
    tiers: tuple[Tier, ...]
    fees: dict[str, dict[str, TierFees]]  # card id -> tier -> fees
    volume_cap: int | None  # polars path: volumes are clipped here (see `_volume_cap`)
    frame_error: str | None  # why the polars path cannot take this pair, if it cannot


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    id: str
    marketplace: str
    currency: str
    effective_from: date
    confidence: str | None  # the whole schedule's, where the research gives one ("unconfirmed")
    length_unit: str  # "in" or "cm"
    weight_unit: str  # "lb" or "g"
    length_cm: Fraction  # centimetres in one schedule length unit
    weight_g: Fraction  # grams in one schedule weight unit
    weight_quantum: Fraction  # schedule weights are whole multiples of this (schedule units)
    cm3_per_g: Fraction  # dimensional weight divisor
    tiers: tuple[TierSpec, ...]
    bands: tuple[Band, ...]
    fuel_rate_bp: int
    fuel_from: date | None
    cards: tuple[Card, ...]
    categories: dict[str, ReferralCategory]
    closing_fee: int | None  # None: the schedule does not know it
    per_item_fee: int | None
    storage: dict[str, dict[str, int]] | None  # per cubic foot; None: not known
    standard_storage_tiers: frozenset[str]
    placement: dict[str, int]
    category_index: dict[str, ReferralCategory]
    _measures: dict[str, Measure] = field(default_factory=dict, repr=False)

    def card(self, when: date, apparel: bool) -> Card:
        for card in self.cards:
            if card.apparel == apparel and card.starts <= when <= card.ends:
                return card
        kind = "apparel" if apparel else "non-apparel"
        spans = ", ".join(f"{c.starts}..{c.ends}" for c in self.cards if c.apparel == apparel)
        if not spans:
            raise FeeError(f"fee schedule {self.id} has no {kind} fulfilment fees")
        raise FeeError(f"fee schedule {self.id} has no {kind} fulfilment fees for {when} (it covers {spans})")

    def category(self, name: str) -> ReferralCategory:
        """By slug or by Amazon's display name, case-insensitively."""
        found = self.category_index.get(name.strip().casefold())
        if found is None:
            raise FeeError(f"category: unknown category {quote(name)}; expected an Amazon category name or one "
                           f"of {', '.join(sorted(self.categories))}")
        return found

    def band(self, price: int, category: str) -> Band:
        """The price band a price falls in (for the category's slug, where bands depend on it)."""
        return next(b for b in self.bands if b.holds(price, category))

    def measure(self, units: str = IMPERIAL) -> Measure:
        found = self._measures.get(units)
        if found is None:
            if units not in PACKAGE_UNITS:
                raise FeeError(f"units: expected one of {', '.join(PACKAGE_UNITS)}, got {quote(units)}")
            found = self._measures[units] = _measure(self, units)
        return found


# ---- reading a file -------------------------------------------------------------------------


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _parse(doc: dict) -> Schedule:
    units = doc.get("units") or {}
    length_key, length_cm = LENGTH_UNITS[units.get("length", "inches")]
    weight_key, weight_g, quantum = WEIGHT_UNITS[units.get("weight", "pounds")]
    L, W = length_key, weight_key

    def length(value: object) -> Fraction:
        return _exact(value)

    def weight(value: object) -> Fraction:
        v = _exact(value)
        if (v / quantum).denominator != 1:
            raise FeeError(f"fee schedule {doc['id']}: weight {value} {W} is not a whole number of {quantum} {W}")
        return v

    def opt(table: dict, key: str, read):
        return read(table[key]) if key in table else None

    tiers = tuple(
        TierSpec(
            name=t["name"],
            max_sides=tuple(length(v) for v in t[f"max_{L}"]) if f"max_{L}" in t else None,  # type: ignore[arg-type]
            max_length_girth=opt(t, f"max_length_girth_{L}", length),
            max_weight=opt(t, f"max_{W}", weight),
            max_unit_weight=opt(t, f"max_unit_{W}", weight),
            weight=t["weight"],
            tested_on=t.get("tested_on", t["weight"]),
            dimensional_min=length(t.get(f"dimensional_min_{L}", 0)),
        )
        for t in doc["size_tiers"]["tiers"]
    )
    cards = tuple(
        Card(
            id=c["id"], season=c["season"], starts=_day(c["from"]), ends=_day(c["to"]), apparel=c["apparel"],
            confidence=c["confidence"],
            tiers={
                name: TierFeesSpec(
                    rows=tuple((weight(r[f"max_{W}"]), r["fee"]) for r in t.get("rows", ())),
                    above=StepsSpec(weight(t["above"][f"from_{W}"]), weight(t["above"][f"step_{W}"]),
                                    t["above"]["per_step"], t["above"]["base"]) if "above" in t else None,
                )
                for name, t in c["tiers"].items()
            },
        )
        for c in doc["fulfilment"]
    )
    bands = tuple(
        Band(key=b["key"], below=b.get("below"), up_to=b.get("up_to"),
             up_to_by_category=b.get("up_to_by_category", {}), fallback=b.get("fallback"))
        for b in doc["price_bands"]["bands"]
    )
    fuel = doc.get("fuel_surcharge") or {}
    categories = {slug: _category(slug, c) for slug, c in doc["referral"]["categories"].items()}
    storage = doc.get("storage") or {}
    if storage.get("rates") is not None and "cubic foot" not in storage.get("unit", "cubic foot"):
        raise FeeError(f"fee schedule {doc['id']}: storage rates must be per cubic foot")
    dim = doc["dimensional_weight"]
    divisor_unit = dim.get("divisor_unit", "in3/lb" if L == "in" else "cm3/kg")
    schedule = Schedule(
        id=doc["id"], marketplace=doc["marketplace"], currency=doc["currency"],
        effective_from=_day(doc["effective_from"]), confidence=doc.get("confidence"),
        length_unit=L, weight_unit=W, length_cm=length_cm, weight_g=weight_g, weight_quantum=quantum,
        cm3_per_g=_exact(dim["divisor"]) * DIVISOR_UNITS[divisor_unit],
        tiers=tiers, bands=bands,
        fuel_rate_bp=fuel.get("rate_bp", 0), fuel_from=_day(fuel["from"]) if fuel else None,
        cards=cards, categories=categories,
        closing_fee=doc["closing_fee"]["amount"], per_item_fee=doc["per_item_fee"]["amount"],
        storage=storage.get("rates"), standard_storage_tiers=frozenset(storage.get("standard_tiers", ())),
        placement=doc["inbound_placement"]["rates"],
        category_index={key.casefold(): cat for cat in categories.values()
                        for key in (cat.slug, cat.slug.replace("_", " "), *cat.names)},
    )
    _check(schedule)
    return schedule


def _category(slug: str, c: dict) -> ReferralCategory:
    tiers = tuple((t["up_to"], t["rate_bp"]) for t in c["tiers"])
    mode = c["mode"]
    if mode in ("flat", "portions"):
        whole, portions = (), tiers
    elif mode == "whole_price":  # every tier but the last is a threshold; the last, open, is the rest
        whole, portions = tiers[:-1], ((None, tiers[-1][1]),)
    elif mode == "whole_then_portions":
        whole, portions = tuple((t["up_to"], t["rate_bp"]) for t in c["whole_price_tiers"]), tiers
    else:
        raise FeeError(f"referral category {slug}: unknown mode {quote(mode)}")
    if portions[-1][0] is not None or any(up is None for up, _ in whole):
        raise FeeError(f"referral category {slug}: the last portion must be open and thresholds closed")
    return ReferralCategory(slug=slug, names=tuple(c["names"]), whole=whole, portions=portions,  # type: ignore[arg-type]
                            minimum=c["minimum"] or 0, media=c["media"], closing_fee=c["closing_fee"])


def _check(s: Schedule) -> None:
    keys = [b.key for b in s.bands]
    if s.bands[-1].below is not None or s.bands[-1].up_to is not None:
        raise FeeError(f"fee schedule {s.id}: the last price band must be open")
    for b in s.bands:
        if b.fallback is not None and b.fallback not in keys:
            raise FeeError(f"fee schedule {s.id}: band {b.key} falls back to unknown band {b.fallback}")
        unknown = set(b.up_to_by_category) - set(s.categories)
        if unknown:
            raise FeeError(f"fee schedule {s.id}: band {b.key} names unknown categories {sorted(unknown)}")
    names = {t.name for t in s.tiers}
    for card in s.cards:
        for name, fees in card.tiers.items():
            if name not in names:
                raise FeeError(f"fee card {card.id}: unknown size tier {name}")
            for by_band in [r[1] for r in fees.rows] + ([fees.above.base] if fees.above else []):
                _resolved(s, by_band, card.id)


def _resolved(s: Schedule, by_band: dict[str, int], where: str) -> dict[str, tuple[int, str]]:
    """Each band's (fee, band charged): a band a row has no rate for takes its fallback's."""
    out: dict[str, tuple[int, str]] = {}
    fallbacks = {b.key: b.fallback for b in s.bands}
    for key in fallbacks:
        charged, seen = key, set()
        while charged not in by_band:
            seen.add(charged)
            charged = fallbacks[charged]  # type: ignore[assignment]
            if charged is None or charged in seen:
                raise FeeError(f"fee card {where}: no rate for price band {key} and no fallback")
        out[key] = (by_band[charged], charged)
    return out


# ---- a schedule in integer units for one package unit system -------------------------------


def _gcd(*values: Fraction) -> Fraction:
    return Fraction(reduce(gcd, (v.numerator for v in values)), reduce(lcm, (v.denominator for v in values)))


def _whole(value: Fraction, what: str) -> int:
    if value.denominator != 1:
        raise FeeError(f"{what} is not a whole number of units ({value})")
    return value.numerator


def _measure(s: Schedule, units: str) -> Measure:
    cm, g = PACKAGE_UNITS[units]
    dim_g = cm**3 / s.cm3_per_g  # dimensional weight of one package volume unit, in grams
    scaled = _gcd(g, dim_g, s.weight_quantum * s.weight_g, G_PER_LB / WEIGHT)  # grams in one scaled unit

    def length(x: Fraction) -> int:
        return floor(x * s.length_cm / cm)

    def weight(x: Fraction) -> int:
        return _whole(x * s.weight_g / scaled, f"fee schedule {s.id}: weight {x} {s.weight_unit}")

    tiers = tuple(
        Tier(
            name=t.name,
            max_sides=tuple(length(v) for v in t.max_sides) if t.max_sides else None,  # type: ignore[arg-type]
            max_length_girth=length(t.max_length_girth) if t.max_length_girth is not None else None,
            max_weight=weight(t.max_weight) if t.max_weight is not None else None,
            max_unit_weight=weight(t.max_unit_weight) if t.max_unit_weight is not None else None,
            weight=t.weight, tested_on=t.tested_on,
            dimensional_min=_whole(t.dimensional_min * s.length_cm / cm, f"tier {t.name}: minimum side"),
        )
        for t in s.tiers
    )
    fees = {
        card.id: {
            name: TierFees(
                rows=tuple((weight(w), _resolved(s, by_band, card.id)) for w, by_band in spec.rows),
                above=Steps(weight(spec.above.start), weight(spec.above.step), spec.above.per_step,
                            _resolved(s, spec.above.base, card.id)) if spec.above else None,
            )
            for name, spec in card.tiers.items()
        }
        for card in s.cards
    }
    unit_scale = _whole(g / scaled, "package weight unit")
    volume_scale = _whole(dim_g / scaled, "dimensional weight unit")
    cap, error = _volume_cap(s, units, tiers, unit_scale, volume_scale)
    return Measure(
        units=units, unit_scale=unit_scale, volume_scale=volume_scale,
        per_lb=_whole(G_PER_LB / scaled, "pound"), per_weight_unit=_whole(s.weight_g / scaled, "weight unit"),
        cubic_foot=_whole(CUBIC_FOOT_CM3 / cm**3, "cubic foot"), tiers=tiers, fees=fees,
        volume_cap=cap, frame_error=error,
    )


def _volume_cap(s: Schedule, units: str, tiers: tuple[Tier, ...], unit_scale: int,
                volume_scale: int) -> tuple[int | None, str | None]:
    """Where volume x volume_scale could leave Int64 (centimetre schedules: one scaled unit is a
    picogram or so), the polars path clips volumes at the first one heavier than every weight
    limit. That changes nothing when every tier charged on shipping weight limits the shipping
    weight: a clipped row is still over every such limit, so it lands in the same tier (charged
    on unit weight) or in none, as unclipped. The single path (Python integers) never clips."""
    max_side, max_weight = LIMITS[units]
    if max_weight * unit_scale >= INT_SAFE:
        return None, f"fee schedule {s.id}: weights in {units} do not fit 64-bit integers"
    if max_side**3 * volume_scale < INT_SAFE:
        return None, None
    unbounded = [t.name for t in tiers if t.weight == "shipping" and (t.max_weight is None or t.tested_on != "shipping")]
    if unbounded:
        return None, (f"fee schedule {s.id}: tiers {', '.join(unbounded)} charge shipping weight without "
                      "limiting it, so volumes in 64-bit integers cannot be clipped")
    edges = [t.max_weight for t in tiers if t.max_weight is not None]
    cap = max(edges) // volume_scale + 1
    return cap, None


@cache
def _marketplace_schedules(code: str) -> tuple[Schedule, ...]:
    files = sorted(SCHEDULES.glob(f"{code}-*.json"))
    return tuple(_parse(json.loads(f.read_text(encoding="utf-8"))) for f in files)


def available() -> dict[str, list[str]]:
    """Schedule ids by marketplace, for messages and the docs."""
    out: dict[str, list[str]] = {}
    for f in sorted(SCHEDULES.glob("*-*.json")):
        code = f.stem.split("-", 1)[0]
        out.setdefault(code, []).append(f"{code} {f.stem.split('-', 1)[1]}")
    return out


def schedule_for(marketplace: str, when: date) -> Schedule:
    """The schedule in force on `when` (the date the unit ships from the fulfilment centre)."""
    schedules = _marketplace_schedules(marketplace)
    if not schedules:
        have = ", ".join(available()) or "none"
        raise FeeError(f"no fee schedule for {marketplace} (fee schedules exist for: {have})")
    in_force = [s for s in schedules if s.effective_from <= when]
    if not in_force:
        raise FeeError(f"no {marketplace} fee schedule in force on {when} "
                       f"(the earliest is {schedules[0].id})")
    return in_force[-1]
