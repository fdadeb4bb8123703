"""Listings on live channels: the work is written down in the caller's transaction and done by
background jobs, so a request never waits for Amazon and a restart loses nothing.

- A submitted manifest of a live channel account queues a put per product
  (`queue_puts`); the job `publish_manifest` sends them at the operation's pace, writing the
  answers and the manifest's progress as they come.
- A price or quantity change (a product edit, an inventory location, an order taking or giving
  back stock) marks the product changed (`changed`): one patch per product is sent once the
  debounce window after its first change has passed, carrying the price and quantity as they
  are then; changes within the window make no further patch, and a change back to what the
  channel already has makes none at all.
- Ending a listing (`end`) queues a delete; relisting (`relist`) a put.
- `send_due` (the periodic sweep, and after each request that queued work) sends whatever is
  due; `refresh` reads a listing's status back.

What a channel answers becomes the product's `marketplace_status` and `list_status` (and its
detail), and the manifest listing's `list_status` and `list_status_error_detail`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import orjson
from sqlalchemy.orm import Session

from sellerkit.commerce import channel_repository as repo
from sellerkit.commerce import repository as core_repo
from sellerkit.commerce.channels import Change, Channel, Listed, Live, LocalChannel, Outcome, channel_for
from sellerkit.commerce.models import ChannelListing, Manifest, MarketplaceAccount, Product, ProductListing
from sellerkit.domain import listings_items as li
from sellerkit.kit.db import utcnow

if TYPE_CHECKING:
    from sellerkit.config import Settings
    from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.channels")

PUT, PATCH, DELETE = "put", "patch", "delete"
RETRY_BASE = 30.0  # seconds before unanswered work is tried again; doubled each time, at most an hour
RETRY_CAP = 3600.0
LEASE_MARGIN = 300.0  # seconds a run holds its work beyond the time its calls take at the documented rate
RATE = 5.0  # calls a second of each Listings Items operation (the documented usage plans)
SEND_AT_ONCE = 1_000  # listings one run of `send_due` takes (the next sweep, a minute later, takes more)


@dataclass
class Sent:
    """What one run of `send_due` sent, by kind, and how many got no answer."""

    put: int = 0
    patch: int = 0
    delete: int = 0
    unanswered: int = 0
    errors: list[str] = field(default_factory=list)


def _lease(now: datetime, calls: int) -> datetime:
    return now + timedelta(seconds=calls / RATE * 2 + LEASE_MARGIN)


def _retry_at(now: datetime, attempts: int) -> datetime:
    return now + timedelta(seconds=min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1)))


def listing_channel(channel: MarketplaceAccount, db: Database, settings: Settings) -> tuple[Channel, str]:
    """The channel a channel account's listings go through, and where that is (or why they stay
    in sellerkit): a live channel whose listing side cannot be used (an Amazon connection
    without a seller id) is the local one, saying so."""
    ch = channel_for(channel, Live.of(db, settings))
    return (ch, ch.listings_note) if ch.listings_live else (LocalChannel(ch.listings_note), ch.listings_note)


def _product_type(p: Product) -> str | None:
    """The Amazon product type a seller gave in the listing's fields, if any."""
    kind = orjson.loads(p.attributes or "{}").get("product_type")
    return kind if isinstance(kind, str) else None


def _run(ch: Channel, call, *args):
    """One of the channel's listing calls, from a job's thread (no event loop of its own)."""
    async def go():
        try:
            return await call(*args)
        finally:
            await ch.aclose()

    return asyncio.run(go())


class ChannelListings:
    # ---- in the caller's transaction ------------------------------------------------------------

    def queue_puts(self, session: Session, manifest: Manifest, products: list[Product], now: datetime) -> int:
        """A put per product (a product already listed is put again: a merge changed it), due
        now; the products are `pending` until the channel answers."""
        known = repo.of_products(session, [p.id for p in products])
        fba = not manifest.seller_fulfilled
        rows = []
        for p in products:
            kind = _product_type(p)
            row = known.get(p.id)
            if row is None:
                rows.append({"account_id": p.account_id, "marketplace_account_id": p.marketplace_account_id,
                             "product_id": p.id, "manifest_id": manifest.id, "sku": p.sku, "product_type": kind,
                             "fba": fba, "pending": PUT, "due_at": now, "issues": "[]", "attempts": 0,
                             "created_at": now, "updated_at": now})
            else:
                row.manifest_id, row.fba, row.pending, row.due_at, row.changed_at = manifest.id, fba, PUT, now, None
                row.product_type, row.attempts, row.updated_at = kind or row.product_type, 0, now
        repo.insert(session, rows)
        core_repo.set_marketplace_status(session, products, "pending")
        return len(products)

    def changed(self, session: Session, product_ids: list[int], now: datetime | None = None) -> None:
        """The products' price or quantity may have changed: a debounced patch for those listed
        on a live channel (one UPDATE; nothing for products that are not)."""
        if product_ids:
            repo.mark_changed(session, product_ids, now or utcnow())

    def end(self, session: Session, products: list[Product], now: datetime) -> int:
        """Queue a delete for those of the products listed on a live channel."""
        rows = repo.of_products(session, [p.id for p in products])
        for row in rows.values():
            row.pending, row.due_at, row.changed_at, row.attempts, row.updated_at = DELETE, now, None, 0, now
        return len(rows)

    def relist(self, session: Session, product: Product, now: datetime) -> bool:
        """Put a product listed on a live channel again; False when it is not on one (a product
        made before its account was connected goes live through a manifest with its SKU)."""
        row = repo.of_products(session, [product.id]).get(product.id)
        if row is None:
            return False
        row.pending, row.due_at, row.changed_at, row.attempts, row.updated_at = PUT, now, None, 0, now
        product.marketplace_status = "pending"
        return True

    # ---- jobs -----------------------------------------------------------------------------------

    def publish_manifest(self, db: Database, settings: Settings, manifest_id: int) -> None:
        """Send the manifest's pending puts through its channel, recording answers and progress
        in batches, then release the manifest (`submitted`, with what happened)."""
        now = utcnow()
        with db.session(write=True) as s:
            manifest = s.get(Manifest, manifest_id)
            if manifest is None:
                return
            channel = s.get(MarketplaceAccount, manifest.marketplace_account_id)
            s.expunge(channel)
            total = sum(repo.manifest_counts(s, manifest_id).values())
            rows = repo.claim_due(s, now, _lease(now, total), kinds=(PUT,), manifest_id=manifest_id)
            listed = self._listed(s, rows)
        ch, note = listing_channel(channel, db, settings)
        log.info("manifest %s: %s listings to %s", manifest_id, len(listed), note)

        def progress(batch: list[Outcome]) -> None:
            with db.session(write=True) as s:
                self._record(s, PUT, batch, listed, utcnow())
                self._progress(s, manifest_id, note, done=False)

        _run(ch, ch.put, channel, list(listed.values()), progress)
        with db.session(write=True) as s:
            self._progress(s, manifest_id, note, done=True)

    def send_due(self, db: Database, settings: Settings, now: datetime | None = None) -> Sent:
        """Every put, patch and delete that is due, through each channel account's channel."""
        now = now or utcnow()
        window = timedelta(seconds=settings.channel_debounce_seconds)
        sent = Sent()
        with db.session(write=True) as s:
            rows = repo.claim_due(s, now, _lease(now, SEND_AT_ONCE), kinds=(PUT, PATCH, DELETE),
                                  patch_before=now - window, limit=SEND_AT_ONCE)
            work: dict[int, dict[str, list[ChannelListing]]] = {}
            for row in rows:
                work.setdefault(row.marketplace_account_id, {}).setdefault(row.pending, []).append(row)
            plans = []
            for channel_id, kinds in work.items():
                channel = s.get(MarketplaceAccount, channel_id)
                s.expunge(channel)
                every = [r for group in kinds.values() for r in group]
                plans.append((channel, {kind: self._listed(s, group) for kind, group in kinds.items()},
                              self._changes(s, kinds.get(PATCH, [])), {r.manifest_id for r in every} - {None}))
        for channel, listed, changes, manifests in plans:
            ch, note = listing_channel(channel, db, settings)
            for kind in (PUT, PATCH, DELETE):
                items = changes if kind == PATCH else listed.get(kind, {})
                if not items:
                    continue
                send = {PUT: ch.put, PATCH: ch.update, DELETE: ch.end}[kind]
                outcomes = _run(ch, send, channel, list(items.values()))
                with db.session(write=True) as s:
                    self._record(s, kind, outcomes, items, utcnow())
                    for manifest_id in manifests if kind == PUT else ():
                        self._progress(s, manifest_id, note, done=None)
                setattr(sent, kind, getattr(sent, kind) + sum(o.verdict is not None for o in outcomes))
                missed = [o.error or "no answer" for o in outcomes if o.verdict is None]
                sent.unanswered += len(missed)
                sent.errors += missed[:3]
        return sent

    def refresh(self, db: Database, settings: Settings, account_id: int, product_id: int) -> Outcome:
        """Read a product's listing back from its channel (getListingsItem) and record it."""
        from sellerkit.commerce.products import products

        with db.session() as s:
            product = products.get(s, account_id, product_id)
            channel = s.get(MarketplaceAccount, product.marketplace_account_id)
            s.expunge(channel)
            row = repo.of_products(s, [product.id]).get(product.id)
            listed = Listed(product.id, product.sku, self._offer(product, 0, bool(row and row.fba)),
                            row.product_type if row else None)
        ch, _ = listing_channel(channel, db, settings)
        [outcome] = _run(ch, ch.status, channel, [listed])
        if outcome.verdict is not None:
            with db.session(write=True) as s:
                self._record(s, "status", [outcome], {product_id: listed}, utcnow())
        return outcome

    # ---- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _offer(p: Product, quantity: int, fba: bool) -> li.Offer:
        return li.Offer(sku=p.sku, asin=p.asin, condition=p.item_condition, price=p.retail_price, quantity=quantity,
                        fba=fba, product_type=_product_type(p))

    def _listed(self, session: Session, rows: list[ChannelListing]) -> dict[int, Listed]:
        products = {p.id: p for p in core_repo.products_by_ids(session, [r.product_id for r in rows])}
        counts = repo.quantities(session, list(products))
        out = {}
        for r in rows:
            p = products.get(r.product_id)
            if p is not None:
                out[p.id] = Listed(p.id, p.sku, self._offer(p, counts[p.id], r.fba), r.product_type)
        return out

    def _changes(self, session: Session, rows: list[ChannelListing]) -> dict[int, Change]:
        """What each pending patch sends: the price and quantity now, where they differ from
        what the channel has."""
        products = {p.id: p for p in core_repo.products_by_ids(session, [r.product_id for r in rows])}
        counts = repo.quantities(session, list(products))
        out = {}
        for r in rows:
            p = products.get(r.product_id)
            if p is None:
                continue
            price = p.retail_price if p.retail_price != r.sent_price else None
            quantity = counts[p.id] if counts[p.id] != r.sent_quantity and not r.fba else None
            out[p.id] = Change(p.id, p.sku, price, quantity, r.fba, r.product_type)
        return out

    def _record(self, session: Session, kind: str, outcomes: list[Outcome], items: dict, now: datetime) -> None:
        """Write the channel's answers: the channel listing row (what the channel has, what is
        still pending), the product and the manifest listing it came from. In a few executemany
        statements: this runs beside the calls still in flight, and must not hold them up."""
        ids = [o.product_id for o in outcomes]
        rows = repo.of_products(session, ids)
        products = {p.id: p for p in core_repo.products_by_ids(session, ids)}
        listings = repo.latest_listings(session, ids)
        counts = repo.quantities(session, ids) if kind in (PUT, PATCH) else {}
        row_updates, product_updates, listing_updates = [], [], []
        for o in outcomes:
            row, product = rows.get(o.product_id), products.get(o.product_id)
            if row is None or product is None:
                continue
            if o.verdict is None:  # no answer: the same work again later
                update = {"_id": row.id, "attempts": row.attempts + 1, "last_error": (o.error or "no answer")[:500],
                          "updated_at": now}
                if kind != "status":
                    update["due_at"] = _retry_at(now, row.attempts + 1)
                row_updates.append(update)
                continue
            v = o.verdict
            update = {"_id": row.id, "attempts": 0, "last_error": None, "list_status": v.list_status,
                      "issues": orjson.dumps(o.issues).decode(), "updated_at": now}
            if kind == "status":
                update.update(channel_status=o.channel_status, checked_at=now)
            else:
                update.update(submission_status=o.submission_status or ("NOT_SENT" if v.list_status != li.OKAY
                                                                        else None),
                              submission_id=o.submission_id, pending=None, due_at=None, changed_at=None)
            item = items.get(o.product_id)
            if kind in (PUT, PATCH) and v.list_status == li.OKAY and item is not None:
                price, quantity = ((item.offer.price, item.offer.quantity) if kind == PUT else
                                   (item.price if item.price is not None else row.sent_price,
                                    item.quantity if item.quantity is not None else row.sent_quantity))
                update.update(sent_at=now, sent_price=price, sent_quantity=quantity)
                # a change made while the call was on its way: patch again (debounced)
                if product.retail_price != price or (not row.fba and counts.get(product.id) != quantity):
                    update.update(pending=PATCH, changed_at=now, due_at=None)
            row_updates.append(update)
            attrs = orjson.loads(product.attributes or "{}")
            attrs.update(list_status=v.list_status, list_status_error_detail=v.detail)
            change = {"_id": product.id, "attributes": orjson.dumps(attrs).decode(), "updated_at": now,
                      "version": product.version + 1}
            if kind != PATCH:  # a refused patch leaves the listing as it was on the channel
                change["marketplace_status"] = v.marketplace_status
            product_updates.append(change)
            pl = listings.get(o.product_id)
            if pl is not None:
                listing_updates.append({"_id": pl.id, "list_status": v.list_status,
                                        "list_status_error_detail": v.detail, "updated_at": now})
        core_repo.update_rows(session, ChannelListing.__table__, row_updates)
        core_repo.update_rows(session, Product.__table__, product_updates)
        core_repo.update_rows(session, ProductListing.__table__, listing_updates)

    @staticmethod
    def _progress(session: Session, manifest_id: int, note: str, done: bool | None) -> None:
        """The manifest's message says how far its listings got; while the job runs (`done`
        False) its claim is kept fresh (`processing` stays true), and at the end (True) it is
        released as `submitted`. From the sweep (None) it is released once nothing is pending."""
        from sellerkit.domain import commerce as rules

        m = session.get(Manifest, manifest_id)
        if m is None:
            return
        c = repo.manifest_counts(session, manifest_id)
        total = sum(c.values())
        text = (f"{note}: {total - c['pending']:,} of {total:,} listings answered ({c['okay']:,} live, "
                f"{c['refused']:,} refused: see their list_status")
        text += f"; {c['pending']:,} waiting to be sent or retried)" if c["pending"] else ")"
        why = repo.last_error(session, manifest_id) if c["pending"] else None
        if why:
            text += f"; last failure: {why}"
        now = utcnow()
        m.status_message, m.updated_at = text, now
        if done is False and m.submitting_since is not None:
            m.submitting_since = now
        # the sweep answered the last of a manifest whose job died: it is done
        done = done or (done is None and not c["pending"] and m.status == "submitting")
        if done:
            m.status = m.last_valid_status = "submitted"
            m.folder = rules.STATUS_FOLDER["submitted"]
            m.submitting_since = None
            m.version += 1


channel_listings = ChannelListings()
