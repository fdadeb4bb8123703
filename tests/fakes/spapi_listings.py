"""Listings Items 2021-08-01 routes of the fake SP-API (tests/fakes/spapi_server.py): `FakeSpApi`
inherits them. Put, patch, get and delete `/listings/2021-08-01/items/{sellerId}/{sku}`, keeping
each seller's listings (`FakeSpApi.listings[(seller id, sku)]`).

Replies are the official model examples
(../shared/fixtures/external/sp-api-models/examples/listingsItems_2021-08-01) with the SKU,
status, submission id and issues of the request:
- put: an offer on an ASIN of the fake's universe is ACCEPTED (stored); INVALID, not stored, with
  ERROR issues when `condition_type` is missing (the example's own issue), the ASIN is unknown,
  or the product is restricted (the getListingsItem example's "Restricted Products Policy
  Violation"); ACCEPTED with a WARNING when the price is over three times the Buy Box;
- patch: replaces or deletes top-level attributes of a stored listing (404 otherwise);
- get: summaries (BUYABLE when it has a price and MFN quantity or is FBA), offers, fulfilment
  availability and the listing's issues, shaped as the example; 404 for an unknown SKU;
- delete: removes a stored listing (404 otherwise);
- SKU `BadSKU` answers each operation's 400 example.
Usage plans from the model: put and get 5/s burst 10, patch and delete 5/s burst 5.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

LISTINGS_LIMITS: dict[str, tuple[float, float]] = {
    "putListingsItem": (5.0, 10), "patchListingsItem": (5.0, 5), "getListingsItem": (5.0, 10),
    "deleteListingsItem": (5.0, 5)}
_ITEM = re.compile(r"/listings/2021-08-01/items/(?P<sellerId>[^/]+)/(?P<sku>[^/]+)")
LISTINGS_ROUTES: list[tuple[str, re.Pattern, str]] = [
    ("PUT", _ITEM, "putListingsItem"), ("PATCH", _ITEM, "patchListingsItem"), ("GET", _ITEM, "getListingsItem"),
    ("DELETE", _ITEM, "deleteListingsItem")]
PATCH_OPS = ("add", "replace", "merge", "delete")
_cache: dict[str, Any] = {}


def _reply(status: int, body: Any):
    from tests.fakes.spapi_server import _Reply

    return _Reply(status, body)


def _invalid(message: str):
    from tests.fakes.spapi_server import _invalid as invalid

    return invalid(message)


def example(name: str) -> Any:
    """An example body of the Listings Items model (the `response` of a sandbox example)."""
    from tests.fakes.spapi_server import EXAMPLES

    if name not in _cache:
        body = json.loads((EXAMPLES / "listingsItems_2021-08-01" / name).read_text())
        _cache[name] = body.get("response", body) if "sandbox" in name else body
    return copy.deepcopy(_cache[name])


def example_issues() -> list[dict]:
    """The issues of the getListingsItem example (ERRORs with enforcements)."""
    return example("getListingsItem.200.example.json")["issues"]


def _submission(operation: str, sku: str, issues: list[dict]):
    body = example(f"{operation}.200.example.json")
    errors = any(i.get("severity") == "ERROR" for i in issues)
    body.update(sku=sku, status="INVALID" if errors else "ACCEPTED", submissionId=str(uuid.uuid4()), issues=issues)
    return _reply(200, body)


def _target(fake, operation: str, query: dict) -> tuple[str, str, str]:
    """(marketplace id, seller id, SKU) of a request (the path's parameters are in the query);
    the SKU `BadSKU` answers the operation's 400 example."""
    mp_id = _marketplace(fake, query)
    seller, sku = unquote(query["sellerId"][0]), unquote(query["sku"][0])
    if sku == "BadSKU":
        raise _reply(400, example(f"{operation}.400.sandbox-static-0.json"))
    return mp_id, seller, sku


def _not_found(sku: str, mp_id: str):
    return _reply(404, {"errors": [{"code": "NOT_FOUND", "message": f"SKU '{sku}' not found in marketplace {mp_id}",
                                    "details": ""}]})


def _marketplace(fake, query: dict) -> str:
    ids = fake._csv(query, "marketplaceIds")
    if len(ids) != 1:
        raise _invalid("marketplaceIds: give exactly one marketplace.")
    return fake._marketplace(ids[0])[0]


def _value(attributes: dict, name: str, mp_id: str) -> Any:
    for entry in attributes.get(name) or []:
        if isinstance(entry, dict) and entry.get("marketplace_id", mp_id) == mp_id:
            return entry
    return None


def _issue(code: str, message: str, severity: str, names: list[str], categories: list[str], mp_id: str) -> dict:
    """An issue shaped as the put example's first one."""
    issue = example("putListingsItem.200.sandbox-static-2.json")["issues"][0]
    issue.update(code=code, message=message, severity=severity, attributeNames=names, categories=categories,
                 marketplaceIds=[mp_id])
    if severity != "ERROR":
        issue.pop("enforcements", None)
    return issue


def _price(attributes: dict, mp_id: str) -> Decimal | None:
    offer = _value(attributes, "purchasable_offer", mp_id)
    try:
        return Decimal(str(offer["our_price"][0]["schedule"][0]["value_with_tax"]))
    except (TypeError, KeyError, IndexError, ArithmeticError):
        return None


def _check_offer(fake, attributes: dict, mp_id: str) -> list[dict]:
    issues = []
    if _value(attributes, "condition_type", mp_id) is None:
        issues.append(example("putListingsItem.200.sandbox-static-2.json")["issues"][0])
    asin = (_value(attributes, "merchant_suggested_asin", mp_id) or {}).get("value")
    product = fake.by_asin.get(asin)
    if product is None:
        issues.append(_issue("ASIN_NOT_FOUND", f"The ASIN '{asin}' is not in the Amazon catalog of this marketplace.",
                             "ERROR", ["merchant_suggested_asin"], ["INVALID_ATTRIBUTE"], mp_id))
    elif product.restricted:
        restricted = next(i for i in example_issues() if i["code"] == "18742")
        restricted["marketplaceIds"] = [mp_id]
        issues.append(restricted)
    price = _price(attributes, mp_id)
    if price is None:
        issues.append(_issue("MISSING_PRICE", "'purchasable_offer' is required but not supplied.", "ERROR",
                             ["purchasable_offer"], ["MISSING_PRICE"], mp_id))
    elif product is not None and price * 100 > 3 * product.price:
        issues.append(_issue("PRICE_HIGH", "The price is over three times the Buy Box price; the offer is unlikely to "
                             "win the Buy Box.", "WARNING", ["purchasable_offer"], ["INVALID_PRICE"], mp_id))
    return issues


class ListingsItems:
    """The Listings Items operations of `FakeSpApi` (module doc)."""

    @property
    def listings(self) -> dict[tuple[str, str], dict]:
        """(seller id, SKU) -> the listing as the seller last put and patched it."""
        return self.__dict__.setdefault("_listings", {})

    def _putListingsItem(self, query: dict, body: Any):  # noqa: N802 - operation name
        fake = self
        mp_id, seller, sku = _target(fake, "putListingsItem", query)
        if not isinstance(body, dict) or not body.get("productType") or not isinstance(body.get("attributes"), dict):
            raise _invalid("The request body needs productType and attributes.")
        issues = _check_offer(fake, body["attributes"], mp_id)
        reply = _submission("putListingsItem", sku, issues)
        if reply.body["status"] == "ACCEPTED":
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            with fake._lock:
                old = fake.listings.get((seller, sku))
                fake.listings[(seller, sku)] = {
                    "sku": sku, "marketplace_id": mp_id, "product_type": body["productType"],
                    "attributes": copy.deepcopy(body["attributes"]),
                    "issues": [i for i in issues if i["severity"] != "ERROR"],
                    "created": old["created"] if old else now, "updated": now}
        return reply

    def _patchListingsItem(self, query: dict, body: Any):  # noqa: N802 - operation name
        fake = self
        mp_id, seller, sku = _target(fake, "patchListingsItem", query)
        patches = body.get("patches") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not body.get("productType") or not isinstance(patches, list) or not patches:
            raise _invalid("The request body needs productType and at least one patch.")
        for p in patches:
            path = str(p.get("path") or "")
            if p.get("op") not in PATCH_OPS or not path.startswith("/attributes/") or path.count("/") != 2:
                raise _invalid(f"Invalid patch {p.get('op')!r} at {path!r}: only top-level attributes can be patched.")
        with fake._lock:
            listing = fake.listings.get((seller, sku))
            if listing is None:
                return _not_found(sku, mp_id)
            for p in patches:
                name = p["path"].split("/")[2]
                if p["op"] == "delete":
                    listing["attributes"].pop(name, None)
                else:
                    listing["attributes"][name] = copy.deepcopy(p.get("value"))
            listing["updated"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return _submission("patchListingsItem", sku, [])

    def _getListingsItem(self, query: dict, body: Any):  # noqa: N802 - operation name
        fake = self
        mp_id, seller, sku = _target(fake, "getListingsItem", query)
        with fake._lock:
            listing = copy.deepcopy(fake.listings.get((seller, sku)))
        if listing is None:
            return _not_found(sku, mp_id)
        attrs = listing["attributes"]
        reply = example("getListingsItem.200.example.json")
        asin = (_value(attrs, "merchant_suggested_asin", mp_id) or {}).get("value")
        product = fake.by_asin.get(asin)
        availability = attrs.get("fulfillment_availability") or []
        fba = any(str(a.get("fulfillment_channel_code", "")).startswith("AMAZON") for a in availability)
        quantity = sum(int(a.get("quantity") or 0) for a in availability)
        price = _price(attrs, mp_id)
        buyable = price is not None and (fba or quantity > 0)
        summary = reply["summaries"][0]
        summary.update(marketplaceId=mp_id, asin=asin, productType=listing["product_type"],
                       conditionType=(_value(attrs, "condition_type", mp_id) or {}).get("value"),
                       status=["BUYABLE", "DISCOVERABLE"] if buyable else ["DISCOVERABLE"],
                       itemName=product.title if product else None, createdDate=listing["created"],
                       lastUpdatedDate=listing["updated"])
        offer = reply["offers"][0]
        offer.update(marketplaceId=mp_id, price={"currencyCode": (_value(attrs, "purchasable_offer", mp_id) or {}).get(
            "currency", "USD"), "amount": str(price)} if price is not None else None)
        reply.update(sku=sku, summaries=[summary], offers=[offer] if price is not None else [],
                     fulfillmentAvailability=[{"fulfillmentChannelCode": a.get("fulfillment_channel_code"),
                                               **({"quantity": a["quantity"]} if "quantity" in a else {})}
                                              for a in availability],
                     issues=listing["issues"])
        included = set(fake._csv(query, "includedData")) or {"summaries"}
        return _reply(200, {k: v for k, v in reply.items() if k == "sku" or k in included})

    def _deleteListingsItem(self, query: dict, body: Any):  # noqa: N802 - operation name
        fake = self
        mp_id, seller, sku = _target(fake, "deleteListingsItem", query)
        with fake._lock:
            if fake.listings.pop((seller, sku), None) is None:
                return _not_found(sku, mp_id)
        return _submission("deleteListingsItem", sku, [])
