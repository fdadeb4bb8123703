"""Amazon Listings Items 2021-08-01 in sellerkit's terms: the offer a listing sends
(`putListingsItem`), the patches a later price or quantity change sends (`patchListingsItem`),
and what Amazon's `issues` and `summaries` mean for a listing's `list_status`. Pure: no I/O.

A sellerkit listing is an offer on an ASIN that is already in Amazon's catalog: Amazon documents
such offer-only listings as product type `PRODUCT` with `requirements=LISTING_OFFER_ONLY`
(the listing's own `product_type`, when a seller gave one, is sent instead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sellerkit.domain.marketplaces import Marketplace

PRODUCT_TYPE = "PRODUCT"
OFFER_ONLY = "LISTING_OFFER_ONLY"
MFN_CODE = "DEFAULT"  # merchant fulfilled: the seller's quantity
# Fulfilled by Amazon: Amazon counts the quantity; the code names its fulfilment network.
AFN_CODES = {"NA": "AMAZON_NA", "EU": "AMAZON_EU", "JP": "AMAZON_JP", "IN": "AMAZON_IN", "AU": "AMAZON_AU",
             "SG": "AMAZON_SG"}
AFN_REGION = {"US": "NA", "CA": "NA", "MX": "NA", "BR": "NA", "JP": "JP", "IN": "IN", "AU": "AU", "SG": "SG"}
# sellerkit's item_condition -> Amazon's condition_type (salvage has none: not sent)
CONDITIONS = {"new": "new_new", "like_new": "used_like_new", "very_good": "used_very_good", "good": "used_good",
              "acceptable": "used_acceptable", "refurbished": "refurbished_refurbished"}

MARKETPLACE_ERROR = "marketplace_error"  # list_status: the marketplace refused the listing (ERROR issues)
OKAY = "okay_to_ship"
DETAIL_CHARS = 2_000  # of the issues kept in list_status_error_detail


class OfferRefused(ValueError):
    """The listing cannot be sent as it is (said before asking Amazon)."""


@dataclass(frozen=True, slots=True)
class Offer:
    """What a listing offers: money in minor units of the marketplace's currency."""

    sku: str
    asin: str | None
    condition: str | None
    price: int | None
    quantity: int
    fba: bool
    product_type: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What Amazon's answer means for the listing: the product's `marketplace_status`, the
    listing's `list_status` and `list_status_error_detail` (ERRORs first, then WARNINGs)."""

    marketplace_status: str
    list_status: str
    detail: str | None


def fulfillment_code(fba: bool, mp: Marketplace) -> str:
    return AFN_CODES[AFN_REGION.get(mp.code, "EU")] if fba else MFN_CODE


def _tagged(value: dict[str, Any], mp: Marketplace) -> list[dict[str, Any]]:
    return [{**value, "marketplace_id": mp.marketplace_id}]


def purchasable_offer(price: int, mp: Marketplace) -> list[dict[str, Any]]:
    return _tagged({"currency": mp.currency, "our_price": [{"schedule": [{"value_with_tax": mp.major_units(price)}]}]},
                   mp)


def fulfillment_availability(quantity: int, fba: bool, mp: Marketplace) -> list[dict[str, Any]]:
    """MFN: the quantity to sell; FBA: only the channel (Amazon counts its own stock)."""
    if fba:
        return [{"fulfillment_channel_code": fulfillment_code(True, mp)}]
    return [{"fulfillment_channel_code": MFN_CODE, "quantity": max(0, quantity)}]


def offer_body(offer: Offer, mp: Marketplace) -> dict[str, Any]:
    """The putListingsItem body of an offer-only listing on an existing ASIN."""
    if not offer.asin:
        raise OfferRefused("an Amazon listing needs the ASIN it is an offer on")
    condition = CONDITIONS.get(offer.condition or "new")
    if condition is None:
        raise OfferRefused(f"Amazon has no condition for item_condition {offer.condition!r} "
                           f"(one of {', '.join(CONDITIONS)})")
    if offer.price is None or offer.price <= 0:
        raise OfferRefused("an Amazon offer needs a retail_price above 0")
    attributes = {
        "merchant_suggested_asin": _tagged({"value": offer.asin}, mp),
        "condition_type": _tagged({"value": condition}, mp),
        "purchasable_offer": purchasable_offer(offer.price, mp),
        "fulfillment_availability": fulfillment_availability(offer.quantity, offer.fba, mp),
    }
    return {"productType": offer.product_type or PRODUCT_TYPE, "requirements": OFFER_ONLY, "attributes": attributes}


def patch_body(product_type: str | None, mp: Marketplace, *, price: int | None = None, quantity: int | None = None,
               fba: bool = False) -> dict[str, Any] | None:
    """The patchListingsItem body replacing the price and (MFN) the quantity that changed;
    None when nothing is to be sent (an FBA quantity is Amazon's own)."""
    patches = []
    if price is not None:
        patches.append({"op": "replace", "path": "/attributes/purchasable_offer", "value": purchasable_offer(price, mp)})
    if quantity is not None and not fba:
        patches.append({"op": "replace", "path": "/attributes/fulfillment_availability",
                        "value": fulfillment_availability(quantity, False, mp)})
    if not patches:
        return None
    return {"productType": product_type or PRODUCT_TYPE, "patches": patches}


def _applies(issue: dict, marketplace_id: str | None) -> bool:
    ids = issue.get("marketplaceIds")
    return marketplace_id is None or not ids or marketplace_id in ids


def _said(issue: dict) -> str:
    code, message = issue.get("code"), str(issue.get("message") or "").strip()
    names = issue.get("attributeNames") or []
    where = f" [{', '.join(str(n) for n in names)}]" if names else ""
    return f"{issue.get('severity', 'ERROR')} {code}: {message}{where}" if code else f"{message}{where}"


def issues_detail(issues: list[dict] | None, marketplace_id: str | None = None) -> tuple[bool, str | None]:
    """(any ERROR, the issues as text: ERRORs first, then WARNINGs; INFO left out)."""
    mine = [i for i in issues or [] if isinstance(i, dict) and _applies(i, marketplace_id)]
    errors = [i for i in mine if i.get("severity", "ERROR") == "ERROR"]
    warnings = [i for i in mine if i.get("severity") == "WARNING"]
    text = "; ".join(_said(i) for i in errors + warnings)
    if len(text) > DETAIL_CHARS:
        text = text[:DETAIL_CHARS - 1] + "…"
    return bool(errors), text or None


def submission_verdict(reply: dict, marketplace_id: str | None = None) -> Verdict:
    """A put/patch/delete reply (ListingsItemSubmissionResponse): INVALID or any ERROR issue is
    a refusal; ACCEPTED keeps its WARNINGs in the detail."""
    error, detail = issues_detail(reply.get("issues"), marketplace_id)
    status = str(reply.get("status") or "")
    if status == "INVALID" or error:
        return Verdict("error", MARKETPLACE_ERROR, detail or f"Amazon answered {status or 'no status'}")
    return Verdict("active", OKAY, detail)


def item_verdict(item: dict, marketplace_id: str) -> Verdict:
    """A getListingsItem reply: `active` when the marketplace's summary says BUYABLE, else
    `inactive`; ERROR issues make the list_status an error (a listing may be buyable and still
    carry them: Amazon may suppress it later)."""
    error, detail = issues_detail(item.get("issues"), marketplace_id)
    summary = next((s for s in item.get("summaries") or [] if isinstance(s, dict)
                    and s.get("marketplaceId") == marketplace_id), None)
    statuses = set(summary.get("status") or []) if summary else set()
    return Verdict("active" if "BUYABLE" in statuses else "inactive", MARKETPLACE_ERROR if error else OKAY, detail)
