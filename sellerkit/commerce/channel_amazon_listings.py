"""The Amazon channel's listing side: a seller's listings through SP-API Listings Items 2021-08-01.

`AmazonListings` is mixed into the Amazon channel (`channel_amazon.AmazonChannel`, whose order
side is Orders v0); it needs `provider` (the account's `SpApiProvider`, with the seller id),
`code` and `marketplace_id`.
Every call goes through `SpApiProvider.call` (its LWA token, its per-operation budget shared by
every process, its 429/5xx retries), so a 5,000-listing manifest is sent at the pace the usage
plan allows (putListingsItem 5/s, burst 10) and never faster. Calls are made `CONCURRENCY` at a
time so the reply time hides under the budget's pace; `progress` receives the answers in
batches, in a thread, so a database write never stalls the calls in flight.

| what | operation | SP-API role |
|---|---|---|
| put a listing live (offer on an ASIN) | `putListingsItem` | Product Listing |
| price and quantity changes | `patchListingsItem` | Product Listing |
| status and issues read back | `getListingsItem` | Product Listing |
| end a listing | `deleteListingsItem` | Product Listing |
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote as url_quote

from sellerkit.catalog.providers import spapi
from sellerkit.commerce.channels import Change, Listed, LocalChannel, Outcome, Published
from sellerkit.commerce.models import MarketplaceAccount
from sellerkit.domain import listings_items as li
from sellerkit.domain.marketplaces import marketplace

log = logging.getLogger("sellerkit.channels")

PUT, PATCH, GET, DELETE = "putListingsItem", "patchListingsItem", "getListingsItem", "deleteListingsItem"
ITEM_PATH = "/listings/2021-08-01/items/{seller}/{sku}"
CONCURRENCY = 12  # calls in flight: enough to keep a 5/s budget busy at a few hundred ms a reply
PROGRESS_EVERY = 100  # answers handed to `progress` at a time
ROLE = "Product Listing"
CONNECT_HINT = ("connect the seller with `sellerkit providers connect amazon --seller-id S --marketplace M` "
                "(or SELLERKIT_SPAPI_REFRESH_TOKEN and SELLERKIT_SPAPI_SELLER_ID for the default account)")


NO_SELLER_ID = ("no live amazon channel is connected for listings (the SP-API connection has no seller id, which "
                "Listings Items need; {hint})")


class AmazonListings:
    """The listing side of the Amazon channel (module doc)."""

    provider: spapi.SpApiProvider
    code: str
    marketplace_id: str
    concurrency: int = CONCURRENCY

    @property
    def listings_live(self) -> bool:
        return bool(self.provider.seller_id)

    @property
    def listings_note(self) -> str:
        """Where listings go, or why they stay in sellerkit."""
        if not self.listings_live:
            return NO_SELLER_ID.format(hint=CONNECT_HINT)
        return f"Amazon {self.code} (seller {self.provider.seller_id})"

    def publish(self, channel: MarketplaceAccount, products: list) -> Published:
        """Listings are put live by a background job (channel_listings.publish_manifest)."""
        if not self.listings_live:
            return LocalChannel(self.listings_note).publish(channel, products)
        return Published("pending", f"{len(products):,} listings are being put live on Amazon {self.code} "
                                    f"({PUT}) by a background job")

    # ---- listings ------------------------------------------------------------------------------

    def _path(self, sku: str) -> str:
        return ITEM_PATH.format(seller=url_quote(self.provider.seller_id or "", safe=""), sku=url_quote(sku, safe=""))

    def _params(self, **extra: str) -> dict[str, str]:
        return {"marketplaceIds": self.marketplace_id, "issueLocale": "en_US", **extra}

    def _answer(self, product_id: int, reply: Any) -> Outcome:
        reply = reply if isinstance(reply, dict) else {}
        issues = [i for i in reply.get("issues") or [] if isinstance(i, dict)]
        return Outcome(product_id, li.submission_verdict(reply, self.marketplace_id),
                       submission_status=reply.get("status"), submission_id=reply.get("submissionId"),
                       issues=_plain(issues))

    async def _put(self, x: Listed) -> Outcome:
        try:
            body = li.offer_body(x.offer, marketplace(self.code))
        except li.OfferRefused as exc:
            return Outcome(x.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, f"not sent to Amazon: {exc}"))
        try:
            reply = await self.provider.call(PUT, self.code, "PUT", self._path(x.sku), params=self._params(), body=body)
        except spapi.SpApiInvalidInput as exc:  # 400: Amazon refused the request itself
            return Outcome(x.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, exc.message), error=exc.message)
        return self._answer(x.product_id, reply)

    async def _patch(self, c: Change) -> Outcome:
        body = li.patch_body(c.product_type, marketplace(self.code), price=c.price, quantity=c.quantity, fba=c.fba)
        if body is None:
            return Outcome(c.product_id, li.Verdict("active", li.OKAY, None))
        try:
            reply = await self.provider.call(PATCH, self.code, "PATCH", self._path(c.sku), params=self._params(),
                                             body=body)
        except (spapi.SpApiInvalidInput, spapi.SpApiNotFound) as exc:
            return Outcome(c.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, exc.message), error=exc.message)
        return self._answer(c.product_id, reply)

    async def _delete(self, x: Listed) -> Outcome:
        try:
            reply = await self.provider.call(DELETE, self.code, "DELETE", self._path(x.sku), params=self._params())
        except spapi.SpApiNotFound:  # already gone from Amazon: ended all the same
            return Outcome(x.product_id, li.Verdict("ended", li.OKAY, None), submission_status="NOT_FOUND")
        except spapi.SpApiInvalidInput as exc:
            return Outcome(x.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, exc.message), error=exc.message)
        outcome = self._answer(x.product_id, reply)
        if outcome.verdict is not None and outcome.verdict.marketplace_status == "active":
            outcome = Outcome(x.product_id, li.Verdict("ended", li.OKAY, outcome.verdict.detail),
                              outcome.submission_status, outcome.submission_id, outcome.issues)
        return outcome

    async def _get(self, x: Listed) -> Outcome:
        try:
            item = await self.provider.call(GET, self.code, "GET", self._path(x.sku), params=self._params(
                includedData="summaries,issues,offers,fulfillmentAvailability"))
        except spapi.SpApiNotFound:
            return Outcome(x.product_id, li.Verdict("inactive", li.MARKETPLACE_ERROR,
                                                    f"Amazon has no listing with SKU {x.sku} in {self.code}"),
                           channel_status="NOT_FOUND")
        item = item if isinstance(item, dict) else {}
        summary = next((s for s in item.get("summaries") or [] if isinstance(s, dict)
                        and s.get("marketplaceId") == self.marketplace_id), {})
        return Outcome(x.product_id, li.item_verdict(item, self.marketplace_id),
                       issues=_plain([i for i in item.get("issues") or [] if isinstance(i, dict)]),
                       channel_status=",".join(summary.get("status") or []) or None)

    async def put(self, channel, listings: list[Listed], progress: Callable[[list[Outcome]], None] | None = None
                  ) -> list[Outcome]:
        return await self._each(listings, self._put, progress)

    async def update(self, channel, changes: list[Change]) -> list[Outcome]:
        return await self._each(changes, self._patch, None)

    async def end(self, channel, listings: list[Listed]) -> list[Outcome]:
        return await self._each(listings, self._delete, None)

    async def status(self, channel, listings: list[Listed]) -> list[Outcome]:
        return await self._each(listings, self._get, None)

    # ---- running many calls ----------------------------------------------------------------------

    async def _each(self, items: list, work, progress) -> list[Outcome]:
        """Each item through `work`, `concurrency` at a time. A failure Amazon may not have later
        (throttled or failing after the retries) leaves the item unanswered; one of the connection
        (refused credentials, a missing role) leaves it and everything after it unanswered."""
        results: list[Outcome] = []
        buffer: list[Outcome] = []
        flushing = asyncio.Lock()
        stopped: list[str] = []
        queue = list(reversed(items))

        async def flush(force: bool = False) -> None:
            if progress is None or not buffer or (not force and len(buffer) < PROGRESS_EVERY):
                return
            async with flushing:
                batch = buffer[:]
                del buffer[:]
                if batch:
                    await asyncio.to_thread(progress, batch)

        async def worker() -> None:
            while queue:
                item = queue.pop()
                if stopped:
                    outcome = Outcome(item.product_id, None, error=stopped[0])
                else:
                    try:
                        outcome = await work(item)
                    except spapi.FATAL as exc:
                        role = f" (Listings Items need the {ROLE} role)" if exc.status == 403 else ""
                        stopped.append(exc.message + role)
                        outcome = Outcome(item.product_id, None, error=stopped[0])
                    except spapi.SpApiError as exc:  # throttled or failing still: try again later
                        log.warning("Amazon listing %s: %s", getattr(item, "sku", "?"), exc.message)
                        outcome = Outcome(item.product_id, None, error=exc.message)
                results.append(outcome)
                buffer.append(outcome)
                await flush()

        if items:
            await asyncio.gather(*(worker() for _ in range(max(1, min(self.concurrency, len(items))))))
            await flush(force=True)
        return results


def _plain(value: Any) -> Any:
    """Amazon's JSON (decimals as Decimal) as plain JSON values, to be stored."""
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
