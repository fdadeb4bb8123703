"""The provider interface: what a source of live product data answers, and in which shape.

A provider is one seller account's access to one outside service. Its answers are partial
catalog-format records (`specs/catalog-format.md`): `marketplace`, `asin`, the fields the
operation observed, `updated_at` (the observed time) and `provenance` (below), so they merge
into the catalog field by field like any import. Each call spends the provider's budget
(`budget.Budgets`) for its operation, waiting for it rather than being refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from sellerkit.domain import identifiers as ids

# The kinds of live data, in the order a scan spends quota on them (cheapest and most needed
# first). Each has its own time-to-live (settings `ttl_<kind>`).
KINDS = ("catalog", "pricing", "fees", "offers", "restrictions", "eligibility")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where one kind of a record's data came from."""

    provider: str  # "spapi", "keepa", "keepa-export", "import"
    operation: str  # "searchCatalogItems", "getCompetitivePricing", "product" ...
    observed_at: datetime

    def as_dict(self) -> dict[str, str]:
        from sellerkit.catalog.records import format_timestamp

        return {"provider": self.provider, "operation": self.operation,
                "observed_at": format_timestamp(self.observed_at)}


@dataclass
class Answer:
    """What one or more calls of a provider returned.

    - `records`: partial catalog-format product records, each with `updated_at` and
      `provenance: {kind: Provenance.as_dict()}` for the kinds it carries.
    - `observations`: catalog-format observation records (history).
    - `matches`: identifier key (`Identifier.key`) -> ASINs it resolves to (match only).
    - `misses`: identifier key or ASIN -> why the provider has nothing for it (e.g. "Amazon
      has no product with this UPC in US"): remembered for the misses' time-to-live, and shown
      as the reason in a scan's errors table.
    - `failures`: identifier key or ASIN -> why it could not be asked now (a failure that a
      later try may not have); not remembered.
    """

    records: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    matches: dict[str, list[str]] = field(default_factory=dict)
    misses: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def add(self, other: Answer) -> None:
        self.records += other.records
        self.observations += other.observations
        for key, asins in other.matches.items():
            self.matches.setdefault(key, [])
            self.matches[key] += [a for a in asins if a not in self.matches[key]]
        self.misses.update(other.misses)
        self.failures.update(other.failures)


@dataclass(frozen=True, slots=True)
class PricedItem:
    """An ASIN and the price a fee estimate is asked for (minor units)."""

    asin: str
    price: int
    fulfilment: str = "FBA"  # "FBA" or "FBM"


@runtime_checkable
class Provider(Protocol):
    """One seller account's access to one service. `kinds` says what it can answer; a kind
    it cannot is never asked. `batch[kind]` is how many codes or ASINs one call takes."""

    name: str
    kinds: frozenset[str]
    batch: dict[str, int]

    async def match(self, marketplace: str, codes: list[ids.Identifier]) -> Answer:
        """Identifiers (UPC, EAN, ISBN, JAN) -> ASINs, with the catalog attributes."""
        ...

    async def attributes(self, marketplace: str, asins: list[str]) -> Answer:
        """Catalog attributes of known ASINs (kind `catalog`)."""
        ...

    async def pricing(self, marketplace: str, asins: list[str]) -> Answer:
        """Buy Box and competitive prices, offer counts and ranks (kind `pricing`)."""
        ...

    async def offers(self, marketplace: str, asins: list[str]) -> Answer:
        """Lowest prices by condition and channel, offer counts (kind `offers`)."""
        ...

    async def fees(self, marketplace: str, items: list[PricedItem]) -> Answer:
        """The marketplace's own fee estimate at a price (kind `fees`): field `amazon_fees`."""
        ...

    async def restrictions(self, marketplace: str, asins: list[str]) -> Answer:
        """Whether the seller may list each ASIN new (kind `restrictions`): field
        `restrictions`."""
        ...

    async def eligibility(self, marketplace: str, asins: list[str]) -> Answer:
        """FBA inbound eligibility (kind `eligibility`)."""
        ...

    async def aclose(self) -> None:
        ...


class NotConnected(Exception):
    """The provider has no credentials for this account (the message names the setting)."""
