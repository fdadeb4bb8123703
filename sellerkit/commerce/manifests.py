"""Manifests and their listings: create (with listings and nested variant listings), list by
channel account and folder, the checks that give each listing its `list_status`, and submission,
which turns a manifest's listings into products and variants of the account through a channel.

SKU rule (docs/commerce.md): a listing without a SKU gets `{sku_prefix}{manifest number}-{n}`,
n its position in the manifest from 1, zero-padded to 4 digits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from sellerkit.catalog import repository as catalog_repo
from sellerkit.commerce import orders_repository as orders_repo
from sellerkit.commerce import repository as repo
from sellerkit.commerce.channel_listings import channel_listings
from sellerkit.commerce.channels import Live, channel_for
from sellerkit.commerce.models import InventoryLocation, Manifest, MarketplaceAccount, Product, ProductListing
from sellerkit.commerce.schemas import ManifestIn, ProductListingIn
from sellerkit.commerce.service import channel_accounts, contacts, templates
from sellerkit.commerce.tasks import PUBLISH, SUBMIT
from sellerkit.domain import commerce as rules
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Gone, Invalid, NotFound
from sellerkit.kit.db import Database, Reader, utcnow
from sellerkit.scans import repository as scans_repo

if TYPE_CHECKING:
    from sellerkit.config import Settings

log = logging.getLogger("sellerkit.commerce")
PL = ProductListing.__table__

MAX_LISTINGS = 5_000  # listings one request may add (a manifest may grow by several requests)
SUBMIT_NOW = 1_000  # manifests up to this many listings are submitted within the request (200), larger as a job (202)
STALE_SUBMISSION = timedelta(minutes=10)  # a claim older than this was left by a process that died
DEFAULT_LOCATION = "Default"

# ProductListingIn fields stored in their own columns (the rest go to `attributes`).
_COLUMNS = {"sku", "asin", "upc", "title", "brand", "quantity", "item_condition", "item_location", "retail_price",
            "min_price", "max_price", "cost_price", "map_price", "handling_cost", "shipping_cost", "misc_cost",
            "image_urls"}
_PRICE_COLUMNS = ("retail_price", "min_price", "max_price", "cost_price", "map_price", "handling_cost",
                  "shipping_cost", "misc_cost")


@dataclass(frozen=True, slots=True)
class Refs:
    """The manifest's references, decoded from the wire (None: not given)."""

    marketplace_account_id: int | None
    supplier_id: int | None = None
    ship_from_address_id: int | None = None
    template_id: int | None = None


def _quantity(value: int | None, field: str) -> int | None:
    if value is not None and value < 0:
        raise Invalid(f"{field}: must not be negative, got {value}")
    if value is not None and value > 10_000_000:
        raise Invalid(f"{field}: at most 10,000,000, got {value:,}")
    return value


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{field}: at most {limit} characters, got {len(value):,}")
    return value or None


def _json(value: Any) -> str:
    return orjson.dumps(value, default=lambda v: v.isoformat() if isinstance(v, date | datetime) else str(v)).decode()


class Manifests:
    # ---- manifests ---------------------------------------------------------------------------

    def get(self, session: Session, account_id: int, manifest_id: int) -> Manifest:
        row = repo.owned(session, Manifest, account_id, manifest_id, with_deleted=True)
        if row is None:
            raise NotFound("manifest not found")
        if row.deleted_at is not None:
            raise Gone(f"manifest {quote(row.name)} was deleted")
        return row

    def create(self, session: Session, account_id: int, body: ManifestIn, refs: Refs) -> Manifest:
        """A manifest and its listings (checked), in one transaction: a bad listing is a 400 that
        names it, and nothing is written."""
        name = _text(body.name, "manifest.name", 200)
        if not name:
            raise Invalid("manifest.name: required")
        if refs.marketplace_account_id is None:
            raise Invalid("manifest.marketplace_account_id: required")
        channel = channel_accounts.get(session, account_id, refs.marketplace_account_id,
                                       "manifest.marketplace_account_id")
        if refs.ship_from_address_id is not None:
            contacts.get(session, account_id, "ship_from_address", refs.ship_from_address_id,
                         "manifest.ship_from_address_id")
        if refs.supplier_id is not None:
            contacts.get(session, account_id, "supplier", refs.supplier_id, "manifest.supplier_id")
        if refs.template_id is not None:
            templates.get(session, account_id, refs.template_id)
        now = utcnow()
        manifest = repo.add(session, Manifest(
            account_id=account_id, marketplace_account_id=channel.id, supplier_id=refs.supplier_id,
            ship_from_address_id=refs.ship_from_address_id, template_id=refs.template_id, name=name,
            number=repo.next_manifest_number(session, account_id), status="created", last_valid_status="created",
            folder="drafts", seller_fulfilled=True if body.seller_fulfilled is None else body.seller_fulfilled,
            auto_submit=bool(body.auto_submit), item_present_option=body.item_present_option or "inc_quantity",
            sku_prefix=_text(body.sku_prefix, "manifest.sku_prefix", 40) or "", created_at=now, updated_at=now))
        self.add_listings(session, manifest, channel, body.product_listings_attributes or [],
                          "manifest.product_listings_attributes")
        return manifest

    def page(self, session: Session, account_id: int, channel_id: int | None, folder_number: int | None,
             page: int, page_size: int):
        folder = None
        if folder_number is not None:
            found = rules.folder_of_number(folder_number)
            if found is None:
                raise NotFound("manifest_folder_id: manifest folder not found")
            folder_channel, f = found
            channel_accounts.get(session, account_id, folder_channel, "manifest_folder_id")
            if channel_id is not None and channel_id != folder_channel:
                return []
            channel_id, folder = folder_channel, (None if f.internal_name == "all" else f.internal_name)
        return repo.manifests_page(session, account_id, channel_id, folder, (page - 1) * page_size, page_size)

    def shown(self, session: Session, manifests: list[Manifest]) -> list[tuple[Manifest, MarketplaceAccount, int]]:
        """Each manifest with its channel account and listing count, as the views want them."""
        counts = repo.listing_counts(session, [m.id for m in manifests])
        return [(m, session.get(MarketplaceAccount, m.marketplace_account_id), counts.get(m.id, 0))
                for m in manifests]

    def status_counts(self, session: Session, account_id: int, manifest_id: int) -> dict[str, int]:
        """How many of the manifest's listings have each `list_status` (what a submit would hold)."""
        self.get(session, account_id, manifest_id)
        return repo.list_status_counts(session, manifest_id)

    # ---- listings ----------------------------------------------------------------------------

    def add_listings(self, session: Session, manifest: Manifest, channel: MarketplaceAccount,
                     items: list[ProductListingIn], where: str) -> list[int]:
        if len(items) > MAX_LISTINGS:
            raise Invalid(f"{where}: at most {MAX_LISTINGS:,} listings a request, got {len(items):,}")
        if manifest.submitting_since is not None:
            raise Conflict(f"manifest {quote(manifest.name)} is being submitted; add listings when it is done")
        if not items:
            return []
        start = sum(repo.listing_counts(session, [manifest.id]).values())
        rows, variants = [], []
        for i, item in enumerate(items):
            row, vrows = self._listing_row(manifest, item, f"{where}[{i}]", start + i + 1)
            rows.append(row)
            variants.append(vrows)
        self._check(session, manifest, channel, rows)
        ids = repo.insert_listings(session, rows)
        flat = []
        for listing_id, vrows in zip(ids, variants, strict=True):
            for v in vrows:
                v["product_listing_id"] = listing_id
                flat.append(v)
        repo.insert_variant_listings(session, flat)
        manifest.updated_at = utcnow()
        return ids

    def _listing_row(self, manifest: Manifest, item: ProductListingIn, where: str, position: int):
        given = item.given()
        _quantity(item.quantity, f"{where}.quantity")
        sku = _text(item.sku, f"{where}.sku", 100) or f"{manifest.sku_prefix}{manifest.number}-{position:04d}"
        asin = _text(item.asin, f"{where}.asin", 40)
        now = utcnow()
        row = {
            "account_id": manifest.account_id, "manifest_id": manifest.id,
            "marketplace_account_id": manifest.marketplace_account_id, "sku": sku,
            "asin": asin.upper() if asin else None, "upc": _text(item.upc, f"{where}.upc", 14),
            "title": _text(item.title, f"{where}.title", 2000), "brand": _text(item.brand, f"{where}.brand", 200),
            "quantity": item.quantity or 0, "quantity_listed": 0, "item_condition": item.item_condition,
            "item_location": _text(item.item_location, f"{where}.item_location", 200),
            **{c: getattr(item, c) for c in _PRICE_COLUMNS}, "msrp": item.msrp_price,
            "image_urls": _json(item.image_urls or []),
            "attributes": _json({k: v for k, v in given.items() if k not in _COLUMNS and k != "variant_listings"
                                 and k != "msrp_price" and v is not None}),
            "created_at": now, "updated_at": now,
        }
        vrows = []
        for j, v in enumerate(item.variant_listings or []):
            vw = f"{where}.variant_listings[{j}]"
            if not (v.option1_name and v.option1_value):
                raise Invalid(f"{vw}: option1_name and option1_value are required")
            _quantity(v.quantity, f"{vw}.quantity")
            vrows.append({
                "account_id": manifest.account_id,
                **{f"option{k}_{p}": _text(getattr(v, f"option{k}_{p}"), f"{vw}.option{k}_{p}", 100 if p == "name"
                                           else 200) for k in range(1, 5) for p in ("name", "value")},
                "sku": _text(v.variant_sku or v.sku, f"{vw}.variant_sku", 100) or f"{sku}-{j + 1}",
                "alt_sku": _text(v.variant_alt_sku or v.alt_sku, f"{vw}.variant_alt_sku", 100),
                "position": v.position if v.position is not None else j, "title": _text(v.title, f"{vw}.title", 2000),
                "upc": _text(v.upc, f"{vw}.upc", 14), "asin": (_text(v.asin, f"{vw}.asin", 10) or "").upper() or None,
                "item_location": _text(v.item_location, f"{vw}.item_location", 200), "quantity": v.quantity,
                "retail_price": v.retail_price, "weight": v.weight_in_pounds, "image_urls": _json(v.image_urls or []),
            })
        return row, vrows

    def _check(self, session: Session, manifest: Manifest, channel: MarketplaceAccount, rows: list[dict]) -> None:
        """Set `list_status` of new listing rows from the checks (`domain.commerce.check_listing`)."""
        amazon = channel.account_type == "AmazonAccount"
        market = channel.marketplace_id or "US"
        asins = {r["asin"] for r in rows if r["asin"]}
        catalog = catalog_repo.product_records(_reader(session), market, sorted(asins)) if amazon and asins else {}
        blocked = scans_repo.blocked_brands(session, manifest.account_id)
        existing = repo.manifest_skus(session, manifest.id)
        dup = rules.duplicate_skus([r["sku"] for r in rows]) | {r["sku"] for r in rows if r["sku"] in existing}
        products = {sku: p.asin for sku, p in repo.live_products_by_sku(session, channel.id, {r["sku"] for r in rows},
                                                                         lock=False).items()}
        today = utcnow().date()
        for r in rows:
            other = r["sku"] in products and (products[r["sku"]] or None) != (r["asin"] or None)
            verdict = rules.check_listing(rules.ListingFacts(
                asin=r["asin"], upc=r["upc"], title=r["title"], sku=r["sku"], brand=r["brand"], amazon=amazon,
                fba=amazon and not manifest.seller_fulfilled, catalog=catalog.get(r["asin"]) if r["asin"] else None,
                blocked_brands=blocked, duplicate_sku=r["sku"] in dup or other, marketplace=market, on=today))
            r.update(list_status=verdict.status, list_status_error_detail=verdict.detail,
                     list_status_error_detail_2=verdict.detail_2)

    def listings_page(self, session: Session, account_id: int, manifest_id: int, created: tuple, page: int,
                      page_size: int):
        self.get(session, account_id, manifest_id)
        rows = repo.listings_page(session, manifest_id, created[0], created[1], (page - 1) * page_size, page_size)
        return rows, repo.variant_listings(session, [r.id for r in rows])

    def delete_listing(self, session: Session, account_id: int, manifest_id: int, listing_id: int) -> None:
        manifest = self.get(session, account_id, manifest_id)
        row = repo.owned(session, ProductListing, account_id, listing_id)
        if row is None or row.manifest_id != manifest.id:
            raise NotFound("product listing not found")
        if manifest.submitting_since is not None:
            raise Conflict(f"manifest {quote(manifest.name)} is being submitted; delete the listing when it is done")
        session.delete(row)
        manifest.updated_at = utcnow()
        session.flush()

    # ---- submission --------------------------------------------------------------------------

    def claim(self, session: Session, account_id: int, manifest_id: int) -> int:
        """Take the manifest for a submission: 409 while another holds it. Returns how many
        listings it has (the caller submits now or as a job)."""
        manifest = self.get(session, account_id, manifest_id)
        now = utcnow()
        if not repo.claim_submission(session, manifest.id, now, now - STALE_SUBMISSION):
            raise Conflict(f"manifest {quote(manifest.name)} is being submitted (since "
                           f"{manifest.submitting_since:%Y-%m-%d %H:%M:%S} UTC); wait for `processing` to be null")
        session.refresh(manifest)
        return sum(repo.listing_counts(session, [manifest.id]).values())

    def request_submission(self, db: Database, queue, account_id: int, manifest_id: int) -> bool:
        """Claim the manifest (409 while another holds it), then submit it now if it has at most
        SUBMIT_NOW listings (True) or as a job (False). Blocking: the API and the dashboard call
        it off the event loop. A live channel's listings are sent by a job enqueued after the
        commit (the manifest stays `submitting` until it is done)."""
        with db.session(write=True) as session:
            count = self.claim(session, account_id, manifest_id)
        if count <= SUBMIT_NOW:
            if self.submit(db, manifest_id, queue.settings):
                queue.enqueue(PUBLISH, manifest_id)
            return True
        queue.enqueue(SUBMIT, manifest_id)
        return False

    def submit(self, db: Database, manifest_id: int, settings: Settings | None = None) -> bool:
        """Turn a claimed manifest's listings into products (or merge them), through the channel,
        in one transaction; then release the claim, or, for a live channel (`settings` given and
        the account connected), keep it: True, and the caller runs or enqueues PUBLISH, which
        puts the listings live and releases it. A failure leaves the manifest `failed` with the
        reason, and releases it too."""
        try:
            with db.session(write=True) as session:
                return self._submit(session, manifest_id, db, settings)
        except Exception as exc:  # noqa: BLE001 - recorded on the manifest, then re-raised
            log.exception("manifest %s: submission failed", manifest_id)
            with db.session(write=True) as session:
                m = session.get(Manifest, manifest_id)
                if m is not None:
                    m.status, m.status_message, m.submitting_since = "failed", f"submission failed: {exc}"[:500], None
            raise

    def _submit(self, session: Session, manifest_id: int, db: Database, settings: Settings | None) -> bool:
        manifest = session.get(Manifest, manifest_id)
        if manifest is None:
            return False
        channel = session.get(MarketplaceAccount, manifest.marketplace_account_id)
        listings = [pl for pl in repo.all_listings(session, manifest.id) if pl.product_id is None]
        ready = [pl for pl in listings if pl.list_status == rules.OKAY]
        held = len(listings) - len(ready)
        variants = repo.variant_listings(session, [pl.id for pl in ready])
        now = utcnow()
        existing = repo.live_products_by_sku(session, channel.id, [pl.sku for pl in ready])
        new_rows, new_listings = [], []
        for pl in ready:
            if pl.sku in existing:
                continue
            new_rows.append(self._product_row(pl, now))
            new_listings.append(pl)
        new_ids = repo.insert_products(session, new_rows)
        if len(new_ids) >= repo.PLANNER_STATS_AFTER:
            repo.refresh_planner_stats(session)
        locations: list[dict] = []
        for pl, pid in zip(new_listings, new_ids, strict=True):
            set_committed_value(pl, "product_id", pid)  # written below with the others, in bulk
            if not variants[pl.id] and pl.quantity:
                locations.append(self._location(pl.account_id, pid, None, pl.item_location, pl.quantity, now))
        merged = 0
        for pl in ready:
            if pl.product_id is not None:
                continue
            product = existing[pl.sku]
            set_committed_value(pl, "product_id", product.id)
            merged += 1
            self._merge(session, manifest.item_present_option, product, pl, now)
        self._variants(session, ready, variants, locations, now)
        repo.insert_locations(session, locations)
        orders_repo.insert_url_images(session, [(pl.account_id, pl.product_id, url) for pl, _ in
                                                zip(new_listings, new_ids, strict=True)
                                                for url in orjson.loads(pl.image_urls or "[]")], now)
        # one executemany, not an UPDATE a listing (the ORM's flush on SQLite): about a quarter
        # of the CPU time of a 5,000-listing submission
        repo.update_rows(session, PL, [{"_id": pl.id, "product_id": pl.product_id, "quantity_listed": pl.quantity,
                                        "updated_at": now} for pl in ready])
        for pl in ready:
            set_committed_value(pl, "quantity_listed", pl.quantity)
            set_committed_value(pl, "updated_at", now)
        products = repo.products_by_ids(session, [pl.product_id for pl in ready])
        ch = channel_for(channel, Live.of(db, settings)) if settings is not None else channel_for(channel)
        published = ch.publish(channel, products)
        sending = ch.listings_live and bool(products)
        if sending:
            channel_listings.queue_puts(session, manifest, products, now)
        else:
            repo.set_marketplace_status(session, products, published.marketplace_status)
        message = published.message
        if merged:
            message += f"; {merged:,} merged into existing products ({manifest.item_present_option})"
        if held:
            message += f"; {held:,} listings not submitted: their list_status is not okay_to_ship"
        manifest.status = "submitting" if sending else "submitted"
        if not sending:
            manifest.last_valid_status = "submitted"
        manifest.folder = rules.STATUS_FOLDER[manifest.status]
        manifest.status_message = message
        manifest.submitted_at = manifest.updated_at = now
        manifest.submitting_since = now if sending else None
        manifest.version += 1
        return sending

    @staticmethod
    def _product_row(pl: ProductListing, now: datetime) -> dict:
        attrs = orjson.loads(pl.attributes or "{}")
        return {"account_id": pl.account_id, "marketplace_account_id": pl.marketplace_account_id, "sku": pl.sku,
                "asin": pl.asin, "upc": pl.upc, "upc_key": rules.upc_key(pl.upc), "fnsku": attrs.get("fnsku"),
                "title": pl.title, "brand": pl.brand, "quantity_listed": pl.quantity, "item_condition": pl.item_condition,
                "description": attrs.get("description"), "item_remarks": attrs.get("item_remarks"),
                **{c: getattr(pl, c) for c in _PRICE_COLUMNS}, "msrp": pl.msrp, "tags": "[]", "tags_key": "",
                "attributes": pl.attributes, "marketplace_status": "inactive", "created_at": now, "updated_at": now,
                "version": 1}

    @staticmethod
    def _location(account_id: int, product_id: int, variant_id: int | None, name: str | None, quantity: int,
                  now: datetime) -> dict:
        return {"account_id": account_id, "product_id": product_id, "variant_id": variant_id,
                "location": name or DEFAULT_LOCATION, "quantity": quantity, "awaiting_pick": 0, "priority": 1,
                "delete_if_empty": False, "created_at": now, "updated_at": now}

    def _merge(self, session: Session, option: str, product: Product, pl: ProductListing, now: datetime) -> None:
        """A listing whose SKU is already a product: its quantity per `item_present_option`
        (inc_quantity adds to the listing's location, or the first one), its prices replace."""
        if option == "skip":
            return
        locations = repo.locations_of(session, [product.id])[product.id]
        own = [loc for loc in locations if loc.variant_id is None]
        target = next((loc for loc in own if pl.item_location and loc.location == pl.item_location), None)
        target = target or (own[0] if own and not pl.item_location else None)
        if option == "replace_quantity":
            for loc in own:
                if loc is not target:
                    loc.quantity = 0
        if target is None:
            if pl.quantity:
                repo.add(session, InventoryLocation(**self._location(product.account_id, product.id, None,
                                                                     pl.item_location, pl.quantity, now)))
        else:
            target.quantity = rules.merged_quantity(option, target.quantity, pl.quantity)
            target.updated_at = now
        for c in _PRICE_COLUMNS:
            if getattr(pl, c) is not None:
                setattr(product, c, getattr(pl, c))
        product.quantity_listed = product.quantity_listed + pl.quantity if option == "inc_quantity" else pl.quantity
        product.updated_at, product.version = now, product.version + 1

    def _variants(self, session: Session, ready: list[ProductListing], variants: dict, locations: list[dict],
                  now: datetime) -> None:
        rows, owners = [], []
        for pl in ready:
            known = {v.sku: v for v in repo.variants_of(session, [pl.product_id])[pl.product_id]} if variants[pl.id] \
                else {}
            for vl in variants[pl.id]:
                if vl.sku in known:
                    vl.variant_id = known[vl.sku].id
                    continue
                rows.append({"account_id": pl.account_id, "product_id": pl.product_id,
                             **{f"option{k}_{p}": getattr(vl, f"option{k}_{p}") for k in range(1, 5)
                                for p in ("name", "value")},
                             "sku": vl.sku, "alt_sku": vl.alt_sku, "position": vl.position, "title": vl.title,
                             "upc": vl.upc, "asin": vl.asin, "item_location": vl.item_location,
                             "retail_price": vl.retail_price, "weight": vl.weight, "image_urls": vl.image_urls,
                             "created_at": now, "updated_at": now})
                owners.append((pl, vl))
        for (pl, vl), vid in zip(owners, repo.insert_variants(session, rows), strict=True):
            vl.variant_id = vid
            if vl.quantity:
                locations.append(self._location(pl.account_id, pl.product_id, vid, vl.item_location, vl.quantity, now))


def _reader(session: Session) -> Reader:
    """The session's own connection as a `Reader`, for the catalog's hot-path queries."""
    conn = session.connection()
    return Reader(conn.connection.driver_connection, conn.dialect.paramstyle)


manifests = Manifests()


# ---- from scan results -------------------------------------------------------------------------

MAX_FROM_SCAN = 5_000


def scan_sku(prefix: str, asin: str, scan_id: int, result_id: int) -> str:
    """The documented SKU of a listing made from a scan result: `{prefix}{ASIN}-S{scan}R{result}`,
    unique per result and the same if the same result is listed again (it then merges)."""
    return f"{prefix}{asin}-S{scan_id}R{result_id}"


def listings_from_results(rows: list[dict[str, Any]], scan_id: int, prefix: str, quantity: int | None,
                          condition: str | None) -> list[ProductListingIn]:
    """Scan result rows as listings: cost from the supplier row, price from the Buy Box (else the
    list price), quantity as given, else the supplier's stock, else 1."""
    from sellerkit.domain.money import dollars

    out = []
    for r in rows:
        upcs = r.get("identifiers.upc") or []
        price = r.get("buybox_price") if r.get("buybox_price") is not None else r.get("list_price")
        stock = r.get("inputs.stock")
        out.append(ProductListingIn.model_validate({
            "asin": r["asin"], "title": r.get("amazon_title") or r.get("inputs.supplier_title"),
            "sku": scan_sku(prefix, r["asin"], scan_id, r["id"]), "brand": r.get("brand"),
            "upc": upcs[0] if upcs else None, "item_condition": condition or "new",
            "quantity": quantity if quantity is not None else (stock if stock is not None and stock >= 0 else 1),
            "cost_price": dollars(r.get("inputs.cost")), "retail_price": dollars(price),
            "item_remarks": None, "mpn": r.get("inputs.supplier_sku"),
        }))
    return out


def from_scan(session: Session, account_id: int, scan, frame_rows: list[dict[str, Any]], body, refs: Refs) -> Manifest:
    """A manifest of the chosen results of a scan (its rows already selected by the router's
    call to the scans service), on the account's channel account for the scan's marketplace
    unless one is named."""
    if not frame_rows:
        raise Invalid("no results selected: the filter or result_ids match no product rows of the scan")
    if len(frame_rows) > MAX_FROM_SCAN:
        raise Invalid(f"{len(frame_rows):,} results selected; at most {MAX_FROM_SCAN:,} a manifest (narrow the "
                      "filter or pass `limit`)")
    if refs.marketplace_account_id is None:
        found = [c for c in channel_accounts.list(session, account_id)
                 if c.account_type == "AmazonAccount" and c.marketplace_id == scan.marketplace]
        if not found:
            raise Invalid(f"marketplace_account_id: required (you have no Amazon {scan.marketplace} channel account; "
                          "add one with POST /api/marketplace_accounts)")
        refs = Refs(found[0].id, refs.supplier_id, refs.ship_from_address_id, refs.template_id)
    prefix = (body.sku_prefix or "").strip()
    listings = listings_from_results(frame_rows, scan.id, prefix, body.quantity, body.item_condition)
    manifest_in = ManifestIn(name=body.name or f"{scan.name} ({len(listings):,} results)", seller_fulfilled=False,
                             sku_prefix=prefix, product_listings_attributes=listings)
    return manifests.create(session, account_id, manifest_in, refs)
