"""Pure rules of tracked collections: the marketplaces a collection can track (with the ids the
Multicart dialect numbers them by), postcode formats, result file names and pages, what changed
between two runs, and credit arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sellerkit.domain.marketplaces import MARKETPLACES, Marketplace

PAGE_ITEMS = 500  # items per result page file
MAX_ITEMS = 5_000  # per collection, and per bulk CSV
PRIORITIES = {"Highest": 90, "High": 70, "Normal": 50, "Low": 30, "Lowest": 10}  # Huey: larger runs first
FETCH_MODES = ("full", "availability_only")
REQUEST_TYPES = ("amazon",)
OUTPUTS = ("JSON", "HTML")

# Postcode formats by country (the `postcode_regex` the domains list publishes).
_POSTCODES = {
    "US": r"^\d{5}(-\d{4})?$", "CA": r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$", "MX": r"^\d{5}$", "BR": r"^\d{5}-?\d{3}$",
    "UK": r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$", "DE": r"^\d{5}$", "FR": r"^\d{5}$", "IT": r"^\d{5}$",
    "ES": r"^\d{5}$", "NL": r"^\d{4} ?[A-Za-z]{2}$", "BE": r"^\d{4}$", "IE": r"^[A-Za-z\d]{3} ?[A-Za-z\d]{4}$",
    "SE": r"^\d{3} ?\d{2}$", "PL": r"^\d{2}-\d{3}$", "TR": r"^\d{5}$", "EG": r"^\d{5}$", "AE": r"^.{1,12}$",
    "SA": r"^\d{5}(-\d{4})?$", "IN": r"^\d{6}$", "JP": r"^\d{3}-?\d{4}$", "AU": r"^\d{4}$", "SG": r"^\d{6}$",
}
_COUNTRY = {"UK": "GB"}


@dataclass(frozen=True, slots=True)
class Domain:
    id: int
    market: Marketplace
    postcode_regex: str

    @property
    def domain(self) -> str:
        return self.market.domain

    def wire(self) -> dict:
        return {"id": self.id, "domain": self.domain, "country_code": _COUNTRY.get(self.market.code, self.market.code),
                "supplier_type": "scraping", "status": "active", "postcode_regex": self.postcode_regex}

    def short(self) -> dict:
        return {"id": self.id, "domain": self.domain, "supplier_type": "scraping"}

    def valid_postcode(self, value: str) -> bool:
        return re.match(self.postcode_regex, value) is not None


# The service numbers amazon.com.au 1; the others follow in sellerkit's marketplace order, so an
# id never changes meaning when a marketplace is added (new ones go last).
_ORDER = ["AU"] + [code for code in MARKETPLACES if code != "AU"]
DOMAINS: dict[int, Domain] = {i: Domain(i, MARKETPLACES[code], _POSTCODES[code]) for i, code in enumerate(_ORDER, 1)}
_BY_NAME = {d.domain: d for d in DOMAINS.values()}


def domain_by_id(value: object) -> Domain | None:
    try:
        return DOMAINS.get(int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def domain_by_name(value: object) -> Domain | None:
    if not isinstance(value, str):
        return None
    name = value.strip().lower().removeprefix("https://").removeprefix("www.").rstrip("/")
    return _BY_NAME.get(name)


def safe_name(name: str) -> str:
    """A collection's name as it appears in file names: letters, digits, `-` and `_`."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:80] or "Collection"


def page_file(collection_name: str, run_id: int, page: int) -> str:
    return f"{safe_name(collection_name)}_{run_id}_Results_Page_{page}.json"


def zip_file(collection_name: str, run_id: int) -> str:
    return f"{safe_name(collection_name)}_{run_id}_Results_All_Pages.zip"


def page_count(items: int) -> int:
    return max(1, -(-items // PAGE_ITEMS)) if items else 0


def spendable(available: int, used: int, frozen: int) -> int:
    return available - (used + frozen)


def credit_refusal(needed: int, available: int, used: int, frozen: int) -> str | None:
    """The 402 message when an account cannot pay for `needed` items, else None."""
    left = spendable(available, used, frozen)
    if left >= needed:
        return None
    return f"Not enough credits — you need {needed} but have {max(left, 0)} remaining."


WATCHED = ("price", "currency", "availability", "in_stock")


def changes(previous: dict[str, dict], current: dict[str, dict]) -> list[dict]:
    """The items (by key) whose price or availability differ from the previous run's capture;
    an item the previous run did not capture is not a change."""
    out = []
    for key, now in current.items():
        before = previous.get(key)
        if before is None:
            continue
        diff = {f: {"before": before.get(f), "after": now.get(f)} for f in WATCHED if before.get(f) != now.get(f)}
        if diff:
            out.append({"asin": now.get("asin"), "custom_id": now.get("custom_id"), "changes": diff})
    return out
