"""Fee schedules: Amazon's published tables as versioned data files, one per marketplace and
effective date (`schedules/US-2026-01-15.json`), each table beside the sources it came from.

This module only reads and selects them; the engine does the arithmetic. Internally every
amount is integer cents, every rate basis points, lengths hundredths of an inch and weights
ten-thousandths of a pound, so no table boundary is ever missed by a float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from sellerkit.domain.money import quantise

SCHEDULES = Path(__file__).parent / "schedules"
LENGTH = 100  # units per inch
WEIGHT = 10_000  # units per pound
BANDS = ("lt_10", "10_to_50", "gt_50")


class FeeError(ValueError):
    """A fee that cannot be computed honestly: no schedule, no table, bad input."""


def inches(value: object, field: str = "length") -> int:
    return quantise(value, LENGTH, field)


def pounds(value: object, field: str = "weight") -> int:
    return quantise(value, WEIGHT, field)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    max_sides: tuple[int, int, int] | None  # longest, median, shortest
    max_length_girth: int | None
    max_weight: int | None
    weight: str  # "unit" or "shipping": what the fee is charged on
    tested_on: str  # which weight decides the tier
    dimensional_min: int  # minimum width/height for dimensional weight (0: none)


@dataclass(frozen=True, slots=True)
class Steps:
    """base + per_step for every started `step` above `start` (Amazon rounds steps up)."""

    start: int
    step: int
    per_step: int
    base: dict[str, int]


@dataclass(frozen=True, slots=True)
class TierFees:
    rows: tuple[tuple[int, dict[str, int]], ...]  # (max weight, fee by band), right-inclusive
    above: Steps | None


@dataclass(frozen=True, slots=True, eq=False)
class Card:
    """One fulfilment rate card: a season, apparel or not."""

    id: str
    season: str
    starts: date
    ends: date
    apparel: bool
    confidence: str
    tiers: dict[str, TierFees]


@dataclass(frozen=True, slots=True)
class ReferralCategory:
    slug: str
    names: tuple[str, ...]
    mode: str  # flat | whole_price | portions
    tiers: tuple[tuple[int | None, int], ...]  # (up to cents or None, rate bp)
    minimum: int
    media: bool
    closing_fee: bool


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    id: str
    marketplace: str
    currency: str
    effective_from: date
    dim_divisor: int
    tiers: tuple[Tier, ...]
    low_price_below: int
    mid_price_up_to: int
    fuel_rate_bp: int
    fuel_from: date | None
    cards: tuple[Card, ...]
    categories: dict[str, ReferralCategory]
    closing_fee: int
    per_item_fee: int
    storage: dict[str, dict[str, int]]
    standard_storage_tiers: frozenset[str]
    placement: dict[str, int]
    category_index: dict[str, ReferralCategory]

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
            raise FeeError(f"category: unknown category {name!r}; expected an Amazon category name or one "
                           f"of {', '.join(sorted(self.categories))}")
        return found


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _parse(doc: dict) -> Schedule:
    tiers = tuple(
        Tier(
            name=t["name"],
            max_sides=tuple(inches(v) for v in t["max_in"]) if "max_in" in t else None,  # type: ignore[arg-type]
            max_length_girth=inches(t["max_length_girth_in"]) if "max_length_girth_in" in t else None,
            max_weight=pounds(t["max_lb"]) if "max_lb" in t else None,
            weight=t["weight"],
            tested_on=t.get("tested_on", t["weight"]),
            dimensional_min=inches(t.get("dimensional_min_in", 0)),
        )
        for t in doc["size_tiers"]["tiers"]
    )
    cards = tuple(
        Card(
            id=c["id"], season=c["season"], starts=_day(c["from"]), ends=_day(c["to"]), apparel=c["apparel"],
            confidence=c["confidence"],
            tiers={
                name: TierFees(
                    rows=tuple((pounds(r["max_lb"]), r["fee"]) for r in t.get("rows", ())),
                    above=Steps(pounds(t["above"]["from_lb"]), pounds(t["above"]["step_lb"]),
                                t["above"]["per_step"], t["above"]["base"]) if "above" in t else None,
                )
                for name, t in c["tiers"].items()
            },
        )
        for c in doc["fulfilment"]
    )
    bands = {b["key"]: b for b in doc["price_bands"]["bands"]}
    fuel = doc.get("fuel_surcharge") or {}
    categories = {
        slug: ReferralCategory(
            slug=slug, names=tuple(c["names"]), mode=c["mode"],
            tiers=tuple((t["up_to"], t["rate_bp"]) for t in c["tiers"]),
            minimum=c["minimum"], media=c["media"], closing_fee=c["closing_fee"],
        )
        for slug, c in doc["referral"]["categories"].items()
    }
    return Schedule(
        id=doc["id"], marketplace=doc["marketplace"], currency=doc["currency"],
        effective_from=_day(doc["effective_from"]),
        dim_divisor=doc["dimensional_weight"]["divisor"],
        tiers=tiers,
        low_price_below=bands["lt_10"]["below"], mid_price_up_to=bands["10_to_50"]["up_to"],
        fuel_rate_bp=fuel.get("rate_bp", 0), fuel_from=_day(fuel["from"]) if fuel else None,
        cards=cards, categories=categories,
        closing_fee=doc["closing_fee"]["amount"], per_item_fee=doc["per_item_fee"]["amount"],
        storage=doc["storage"]["rates"], standard_storage_tiers=frozenset(doc["storage"]["standard_tiers"]),
        placement=doc["inbound_placement"]["rates"],
        category_index={key.casefold(): cat for cat in categories.values()
                        for key in (cat.slug, cat.slug.replace("_", " "), *cat.names)},
    )


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
