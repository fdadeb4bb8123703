"""Typed results of the SDK's calls (plain dataclasses; `raw` keeps the reply as sent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PackageDimensions:
    height: float | None
    width: float | None
    length: float | None
    weight: float | None


@dataclass(frozen=True, slots=True)
class Product:
    """One item of a look-up (ASINScope's fields, in Python's spelling)."""

    asin: str
    ean: str | None
    upc: str | None
    mpn: str | None
    bsr: int | None
    category: str | None
    brand: str | None
    title: str | None
    product_group: str | None
    lowest_new_price: float | None
    lowest_formatted_price: str | None
    sold_by_amazon: bool
    package_dimensions: PackageDimensions | None
    upc_list: list[str]
    ean_list: list[str]
    total_new: int | None
    small_image: str | None
    medium_image: str | None
    images: list[str]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Product:
        dims = d.get("packageDimensions")
        return cls(
            asin=d["asin"], ean=d.get("ean"), upc=d.get("upc"), mpn=d.get("mpn"), bsr=d.get("bsr"),
            category=d.get("category"), brand=d.get("brand"), title=d.get("title"),
            product_group=d.get("productGroup"), lowest_new_price=d.get("lowestNewPrice"),
            lowest_formatted_price=d.get("lowestFormattedPrice"), sold_by_amazon=bool(d.get("soldByAmazon")),
            package_dimensions=PackageDimensions(dims.get("height"), dims.get("width"), dims.get("length"),
                                                 dims.get("weight")) if dims else None,
            upc_list=list(d.get("upcList") or ()), ean_list=list(d.get("eanList") or ()),
            total_new=d.get("totalNew"), small_image=d.get("smallImage"), medium_image=d.get("mediumImage"),
            images=list(d.get("images") or ()),
        )


@dataclass(frozen=True, slots=True)
class LookupResult:
    """A look-up's products and what it cost. The token figures are None on an unlimited plan."""

    items: list[Product]
    daily_tokens_left: int | None
    bucket_size: int | None  # tokens left in the bucket
    ms_before_next_daily_token: int
    consumed_tokens: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LookupResult:
        return cls([Product.from_json(i) for i in d.get("items", ())], d.get("dailyTokensLeft"),
                   d.get("bucketSize"), d.get("msBeforeNextDailyToken", 0), d.get("consumedTokens", 0))

    def by_asin(self) -> dict[str, Product]:
        return {p.asin: p for p in self.items}


@dataclass(frozen=True, slots=True)
class Tokens:
    """The account's tokens now (`GET /account/tokens`); None where the plan has no such limit."""

    daily_tokens_left: int | None
    daily_tokens_limit: int | None
    minutely_tokens_left: int | None
    minutely_bucket_capacity: int | None
    tokens_per_minute: int | None
    ms_before_next_daily_reset: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Tokens:
        return cls(d.get("dailyTokensLeft"), d.get("dailyTokensLimit"), d.get("minutelyTokensLeft"),
                   d.get("minutelyBucketCapacity"), d.get("tokensPerMinute"), d.get("msBeforeNextDailyReset", 0))


@dataclass(frozen=True, slots=True)
class Scan:
    """A scan's state (`GET /api/v3/scans/{id}`)."""

    id: int
    name: str | None
    marketplace: str
    status: str  # InProgress, Success, Error, Cancelled
    lines: int | None
    processed: int
    products: int
    errors: int
    progress: float
    message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status != "InProgress"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Scan:
        return cls(d["id"], d.get("name"), d.get("marketplace", ""), d["status"], d.get("lines"),
                   d.get("processed", 0), d.get("products", 0), d.get("errors", 0), d.get("progress", 0.0),
                   d.get("message"), d)


@dataclass(frozen=True, slots=True)
class ScanList:
    count: int
    scans: list[Scan]
    page: int
    per_page: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ScanList:
        meta = d.get("meta", {})
        return cls(d.get("count", 0), [Scan.from_json(s) for s in d.get("data", ())], meta.get("page", 1),
                   meta.get("per_page", 0))


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """A page of a scan's results: product objects (or error rows) as the server sends them."""

    count: int
    data: list[dict[str, Any]]
    meta: dict[str, Any]
    options: dict[str, Any]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ResultsPage:
        return cls(d.get("count", 0), list(d.get("data", ())), d.get("meta", {}), d.get("options", {}))


@dataclass(frozen=True, slots=True)
class Export:
    """A download prepared in the background (`GET /api/v3/exports/{id}`)."""

    id: int
    scan_id: int
    type: str
    status: str
    progress: float
    url: str | None
    message: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Export:
        return cls(d["id"], d["scan_id"], d["type"], d["status"], d.get("progress", 0.0), d.get("url"),
                   d.get("message"))


@dataclass(frozen=True, slots=True)
class Eligibility:
    """FBA inbound eligibility of one ASIN (`GET /api/v3/inbound-eligibility`)."""

    asin: str
    eligible: bool
    updated_at: int  # unix seconds
    ineligible_codes: list[str]
    source: str  # sp-api, cache or rules (an estimate from the catalog)
    reason: str | None = None  # the codes' meanings, when not eligible

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Eligibility:
        return cls(d["asin"], d["eligible"], d["updated_at"], list(d.get("ineligible_codes", ())), d.get("source", ""),
                   d.get("reason"))
