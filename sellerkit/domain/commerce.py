"""Rules of the commerce surface (SellerChamp dialect), pure: channel types, manifest folders and
statuses, the reference's enums, and the checks that give a listing its `list_status`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sellerkit.domain import eligibility as elig
from sellerkit.domain.eligibility import inbound_eligibility
from sellerkit.domain.identifiers import InvalidIdentifier, parse, parse_asin
from sellerkit.domain.quoting import quote

# ---- channel accounts --------------------------------------------------------------------------

# marketplace_account_type -> marketplace (the reference's `marketplace` field)
CHANNELS: dict[str, str] = {
    "AmazonAccount": "amazon",
    "EbayAccount": "ebay",
    "ShopifyAccount": "shopify",
    "WalmartAccount": "walmart",
    "GoogleAccount": "google",
}
# Channels whose orders can be acknowledged (the reference: Google Merchant and Walmart).
ACKNOWLEDGING = frozenset({"GoogleAccount", "WalmartAccount"})
# Channels whose orders sellerkit pulls and whose tracking it sends back (issue 22); Walmart,
# Shopify and Google accounts stay local until their own issue.
LIVE_ORDER_CHANNELS = frozenset({"amazon", "ebay"})


def confirms_shipment(marketplace: str, fulfilled_by: str | None) -> bool:
    """Whether tracking entered in sellerkit goes back to the channel: eBay orders, and Amazon's
    merchant-fulfilled ones (Amazon ships its FBA orders itself)."""
    return marketplace in LIVE_ORDER_CHANNELS and not (marketplace == "amazon" and fulfilled_by == "amazon")
TEMPLATE_TYPES = ("AmazonTemplate", "EbayTemplate", "ShopifyTemplate", "WalmartTemplate", "GoogleTemplate")


def channel_type(value: object, field: str = "marketplace_account_type") -> str:
    """The channel type a client named (`AmazonAccount`, or `amazon`), else ValueError."""
    if isinstance(value, str):
        text = value.strip().lower()
        for kind, market in CHANNELS.items():
            if text in (kind.lower(), market):
                return kind
    raise ValueError(f"{field}: must be one of {', '.join(CHANNELS)}; got {quote(value)}")


def template_type(channel: str) -> str:
    return channel.removesuffix("Account") + "Template"


# ---- manifests ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    internal_name: str
    position: int


FOLDERS = (Folder("All", "all", 0), Folder("Active", "active", 1), Folder("Drafts", "drafts", 2),
           Folder("Channel Imports", "channel_imports", 3), Folder("Archived", "archived", 4),
           Folder("Purchase Orders", "purchase_orders", 5))
FOLDER_BY_NAME = {f.internal_name: f for f in FOLDERS}
FOLDER_SLOTS = 8  # a folder's number is marketplace account id * 8 + position


def folder_number(marketplace_account_id: int, position: int) -> int:
    return marketplace_account_id * FOLDER_SLOTS + position


def folder_of_number(number: int) -> tuple[int, Folder] | None:
    """(marketplace account id, folder) of a folder number; None when it is not one."""
    account, position = divmod(number, FOLDER_SLOTS)
    if account < 1 or position >= len(FOLDERS):
        return None
    return account, FOLDERS[position]


# status -> the folder a manifest with it is in
STATUS_FOLDER = {"created": "drafts", "submitting": "drafts", "failed": "drafts", "submitted": "active",
                 "archived": "archived"}
ITEM_PRESENT_OPTIONS = ("inc_quantity", "replace_quantity", "skip")


# ---- the reference's enums ---------------------------------------------------------------------

ITEM_CONDITIONS = ("new", "like_new", "very_good", "good", "acceptable", "refurbished", "salvage")
LISTING_DURATIONS = ("days_1", "days_3", "days_5", "days_7", "days_10", "days_30", "gtc")
LISTING_FORMATS = ("fixed_price", "auction")
SHIPPING_CHARGE_TYPES = ("flat", "calculated", "calculated_domestic_flat_international",
                         "flat_domestic_calculated_international", "freight", "freight_flat", "not_specified")
SHIPPING_SERVICE_CODES = (
    "Other", "ShippingMethodStandard", "ShippingMethodExpress", "ShippingMethodOvernight", "Pickup",
    "FlatRateFreight", "USPSFirstClass", "USPSMedia", "USPSPriority", "USPSPriorityFlatRateEnvelope",
    "USPSPriorityMailSmallFlatRateBox", "USPSPriorityFlatRateBox", "USPSPriorityMailLargeFlatRateBox",
    "USPSPriorityMailPaddedFlatRateEnvelope", "USPSPriorityMailLegalFlatRateEnvelope", "USPSExpressMail",
    "USPSExpressFlatRateEnvelope", "USPSExpressMailLegalFlatRateEnvelope", "UPSNextDayAir", "UPSNextDay",
    "UPS2ndDay", "UPS3rdDay", "UPSGround", "FedExHomeDelivery", "FedEx2Day", "FedExExpressSaver",
    "FedExStandardOvernight", "FedExPriorityOvernight")
INTERNATIONAL_SHIPPING_SERVICE_CODES = (
    "US_IntlEconomyShippingFromGC", "ExpeditedDeliveryToRussia", "US_IntlExpeditedShippingFromGC",
    "OtherInternational", "ExpeditedInternational", "US_RUTrackedFromChina", "StandardInternational",
    "US_IntlStandardShippingFromGC", "USPSFirstClassMailInternational", "USPSExpressMailInternational",
    "USPSExpressMailInternationalFlatRateEnvelope", "USPSExpressMailInternationalLegalFlatRateEnvelope",
    "USPSPriorityMailInternational", "USPSPriorityMailInternationalFlatRateEnvelope",
    "USPSPriorityMailInternationalLargeFlatRateBox", "USPSPriorityMailInternationalLegalFlatRateEnvelope",
    "USPSPriorityMailInternationalFlatRateBox", "USPSPriorityMailInternationalPaddedFlatRateEnvelope",
    "USPSPriorityMailInternationalSmallFlatRateBox", "UPSStandardToCanada", "UPSWorldWideExpedited",
    "UPSWorldWideExpress", "UPSWorldWideExpressPlus", "UPSWorldwideSaver", "FedExGroundInternationalToCanada",
    "FedExInternationalEconomy", "FedExInternationalPriority")
RETURN_IN_DAYS = ("ReturnsNotAccepted", "Days_30", "Days_60")
# The reference's own example sends "30": read as Days_30 (docs/commerce.md).
RETURN_IN_DAYS_ALIASES = {"30": "Days_30", "60": "Days_60", "0": "ReturnsNotAccepted", "none": "ReturnsNotAccepted"}
REFUND_POLICIES = ("MoneyBack", "MoneyBackOrReplacement", "MoneyBackOrExchange")
RETURN_SHIPPING_PAID_BY = ("Buyer", "Seller")


# ---- listing checks ----------------------------------------------------------------------------

OKAY = "okay_to_ship"
MISSING = "missing_required_fields"
INVALID_ID = "invalid_identifier"
RESTRICTED = "restricted_listing"
HAZMAT = "hazmat"
BLOCKED_BRAND = "restricted_brand"
DUPLICATE = "duplicate_sku"
LIST_STATUSES = (OKAY, MISSING, INVALID_ID, DUPLICATE, RESTRICTED, BLOCKED_BRAND, HAZMAT)


@dataclass(frozen=True, slots=True)
class Verdict:
    """`list_status` and its two details, as the reference shows them."""

    status: str
    detail: str | None = None
    detail_2: str | None = None


@dataclass(frozen=True, slots=True)
class ListingFacts:
    """What the checks read of a listing, and of the world around it."""

    asin: str | None
    upc: str | None
    title: str | None
    sku: str | None
    brand: str | None
    amazon: bool  # the channel is Amazon (ASIN required)
    fba: bool  # Amazon, not seller fulfilled: inbound restrictions apply
    catalog: Mapping | None = None  # the catalog-format record of the ASIN, when known
    blocked_brands: frozenset[str] = frozenset()  # lower case, as scans keep them
    duplicate_sku: bool = False  # another listing of the manifest, or a product of another ASIN, has it
    marketplace: str = "US"
    on: date | None = None  # the day the FBA checks are for (meltable season); today when None


def check_listing(facts: ListingFacts) -> Verdict:
    """The first failing check, in the order a seller fixes them: required fields, identifier
    validity, duplicate SKU, the catalog's restrictions (adult; for FBA, hazmat and meltable in
    season, as `domain.eligibility` decides them), the account's restricted brands (the blocklist
    scans use). All problems are named in `detail_2` when there are several."""
    problems: list[tuple[str, str]] = []
    missing = [name for name, value in (("title", facts.title), ("asin", facts.asin if facts.amazon else "x"))
               if not (value and str(value).strip())]
    if missing:
        problems.append((MISSING, f"required field{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}"))
    if facts.asin:
        try:
            parse_asin(facts.asin)
        except InvalidIdentifier as exc:
            problems.append((INVALID_ID, f"asin: {exc}"))
    if facts.upc:
        try:
            parse(facts.upc, hint="upc")
        except InvalidIdentifier as exc:
            problems.append((INVALID_ID, f"upc: {exc}"))
    if facts.duplicate_sku:
        problems.append((DUPLICATE, f"sku {quote(facts.sku)} is already used by another listing or product"))
    record = facts.catalog or {}
    if facts.amazon and record:
        if record.get("is_adult") is True:
            problems.append((RESTRICTED, f"{quote(facts.title or facts.asin)} is an adult product: Amazon "
                                         "restricts listing it (approval needed)"))
        if facts.fba:
            codes = inbound_eligibility(record, on=facts.on or date.today(), marketplace=facts.marketplace).ineligible_codes
            if elig.HAZMAT in codes:
                problems.append((HAZMAT, f"{facts.asin} is a dangerous good (hazmat): FBA needs the dangerous "
                                         "goods program; list it seller fulfilled"))
            if elig.NO_RECEIVING_CENTRE in codes:
                problems.append((RESTRICTED, f"{facts.asin} is meltable and FBA does not receive meltable "
                                             "inventory in this season; list it seller fulfilled"))
    brand = (facts.brand or record.get("brand") or "").strip().lower()
    if brand and brand in facts.blocked_brands:
        problems.append((BLOCKED_BRAND, f"brand {quote(facts.brand or record.get('brand'))} is on your "
                                        "restricted brand list"))
    if not problems:
        return Verdict(OKAY)
    status, detail = problems[0]
    rest = "; ".join(d for _, d in problems[1:]) or None
    return Verdict(status, detail, rest)


def duplicate_skus(skus: Iterable[str | None]) -> set[str]:
    """SKUs that occur more than once."""
    seen: set[str] = set()
    dup: set[str] = set()
    for s in skus:
        if s:
            (dup if s in seen else seen).add(s)
    return dup


# ---- products ----------------------------------------------------------------------------------

TAG_SEPARATOR = "\x1f"


def tags_key(tags: Iterable[str]) -> str:
    """A product's tag set as one comparable text: `tags_array[]` matches it exactly."""
    return TAG_SEPARATOR.join(sorted({t.strip() for t in tags if t and t.strip()}))


def upc_key(code: str | None) -> str | None:
    """The GTIN-14 every spelling of a UPC, EAN or ISBN shares; None when it is not a valid one."""
    if not code:
        return None
    try:
        ident = parse(code)
    except InvalidIdentifier:
        return None
    return None if ident.family == "asin" else ident.key


def merged_quantity(option: str, existing: int, incoming: int) -> int:
    """The quantity of a product a submitted listing merges into (`item_present_option`)."""
    if option == "inc_quantity":
        return existing + incoming
    if option == "replace_quantity":
        return incoming
    return existing  # skip


def spread_total(quantities: list[int], target: int) -> list[int]:
    """Locations' quantities (in priority order) changed so they sum to `target`: an increase
    goes to the first location, a decrease is taken in priority order, as a sale takes."""
    if target < 0:
        raise ValueError("quantity: must not be negative")
    new = list(quantities)
    delta = target - sum(new)
    if delta >= 0:
        if new:
            new[0] += delta
        return new
    need = -delta
    for i, q in enumerate(new):
        take = min(q, need)
        new[i] -= take
        need -= take
        if not need:
            break
    return new
