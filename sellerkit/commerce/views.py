"""Reply objects in the reference's shapes (field names, nesting, money as `10.00`, hex ids).

Each takes the id codec; none reads the database (the service hands over what they show)."""

from __future__ import annotations

from typing import Any

from sellerkit.commerce.models import (InventoryLocation, Manifest, MarketplaceAccount, Product, ProductImage,
                                       ProductListing, Variant, VariantListing)
from sellerkit.commerce.wire import iso, loads, money, scaled
from sellerkit.domain import commerce as rules
from sellerkit.domain.commerce_ids import IdCodec


def folders(ids: IdCodec, channel_id: int) -> list[dict[str, Any]]:
    return [{"id": ids.encode("manifest_folder", rules.folder_number(channel_id, f.position)), "name": f.name,
             "internal_name": f.internal_name, "position": f.position} for f in rules.FOLDERS]


def marketplace_account(ids: IdCodec, ma: MarketplaceAccount) -> dict[str, Any]:
    return {"id": ids.encode("marketplace_account", ma.id), "name": ma.name,
            "icon_black": None, "icon_white": None,  # sellerkit ships no channel icons
            "marketplace": ma.marketplace, "marketplace_account_type": ma.account_type,
            "marketplace_id": ma.marketplace_id, "active": ma.active, "created_at": iso(ma.created_at),
            "manifest_folders": folders(ids, ma.id)}


CONTACT_FIELDS = ("name", "street1", "street2", "city", "state", "postal_code", "country", "phone", "email")


def contact(ids: IdCodec, kind: str, row) -> dict[str, Any]:
    out = {"id": ids.encode(kind, row.id), **{f: getattr(row, f) for f in CONTACT_FIELDS}}
    if hasattr(row, "website"):
        out["website"] = row.website
    out["created_at"] = iso(row.created_at)
    return out


def template(ids: IdCodec, row) -> dict[str, Any]:
    attrs = loads(row.attributes, {})
    channel = attrs.get("marketplace_account_id")
    return {"id": ids.encode("template", row.id), "name": row.name, "template_type": row.template_type,
            "marketplace_account_id": ids.encode("marketplace_account", channel) if channel else "",
            "created_at": iso(row.created_at)}


def _ref(ids: IdCodec, kind: str, n: int | None) -> str:
    return ids.encode(kind, n) if n else ""


def manifest(ids: IdCodec, m: Manifest, channel: MarketplaceAccount, count: int) -> dict[str, Any]:
    attrs = loads(m.attributes, {})
    folder = rules.FOLDER_BY_NAME[m.folder]
    return {
        "id": ids.encode("manifest", m.id), "name": m.name,
        "supplier_id": _ref(ids, "supplier", m.supplier_id),
        "ship_from_address_id": _ref(ids, "ship_from_address", m.ship_from_address_id),
        "created_at": iso(m.created_at), "updated_at": iso(m.updated_at or m.created_at),
        "status": m.status, "last_valid_status": m.last_valid_status, "status_message": m.status_message,
        "processing": True if m.submitting_since is not None else None,
        "number": m.number, "order_number": attrs.get("order_number"), "phase": 1 if m.status != "submitted" else 2,
        "client_paid": False, "seller_fulfilled": m.seller_fulfilled, "image_source": "stock",
        "label_prep": "merchant", "print_all_fba_labels": False, "print_fba_labels": "needed",
        "print_all_item_labels": False, "convert_images": None, "performing_action": "submit" if
        m.submitting_since is not None else None, "sku_prefix": m.sku_prefix,
        "auto_location_enabled": False, "auto_location_prefix": "", "skip_box_content": False,
        "auto_create_shipments": False, "auto_print_exp_dates": True, "prefill_product_data": True,
        "product_listings_count": count, "item_present_option": m.item_present_option,
        "multiple_matches_pick_strategy": "none",
        "manifest_folder_id": ids.encode("manifest_folder", rules.folder_number(m.marketplace_account_id,
                                                                                folder.position)),
        "processing_company_id": "", "marketplace_account_type": channel.account_type,
        "marketplace_account_id": ids.encode("marketplace_account", m.marketplace_account_id),
        "client_id": ids.encode("client", m.account_id), "contact_id": "",
        "template_type": rules.template_type(channel.account_type),
        "template_id": _ref(ids, "template", m.template_id),
        "manifest_xls_file_name": None, "manifest_xls_content_type": None, "manifest_xls_file_size": None,
        "manifest_xls_updated_at": None, "manifest_xls_fingerprint": None, "version": m.version,
        "modifier_id": "", "auto_submit": m.auto_submit,
        "_keywords": [w for w in "".join(c if c.isalnum() else " " for c in m.name.lower()).split()],
    }


_OPTIONS = tuple(f"option{i}_{p}" for i in range(1, 5) for p in ("name", "value"))


def _options(row) -> dict[str, Any]:
    return {k: getattr(row, k) for k in _OPTIONS}


def variant_listing(ids: IdCodec, v: VariantListing) -> dict[str, Any]:
    return {"id": ids.encode("variant_listing", v.id), "variant_id": _ref(ids, "variant", v.variant_id) or None,
            "product_listing_id": ids.encode("product_listing", v.product_listing_id), **_options(v),
            "sku": v.sku, "alt_sku": v.alt_sku, "position": v.position, "title": v.title, "upc": v.upc,
            "asin": v.asin, "item_location": v.item_location, "quantity": v.quantity,
            "retail_price": money(v.retail_price), "weight_in_pounds": scaled(v.weight, 1000),
            "image_urls": loads(v.image_urls, [])}


def listing(ids: IdCodec, pl: ProductListing, variants: list[VariantListing]) -> dict[str, Any]:
    attrs = loads(pl.attributes, {})
    return {
        "id": ids.encode("product_listing", pl.id), "product_id": _ref(ids, "product", pl.product_id),
        "manifest_id": ids.encode("manifest", pl.manifest_id),
        "marketplace_account_id": ids.encode("marketplace_account", pl.marketplace_account_id),
        "sku": pl.sku, "asin": pl.asin, "upc": pl.upc, "title": pl.title, "brand": pl.brand,
        "quantity": pl.quantity, "quantity_listed": pl.quantity_listed,
        "retail_price": money(pl.retail_price), "msrp": money(pl.msrp), "min_price": money(pl.min_price),
        "max_price": money(pl.max_price), "cost_price": money(pl.cost_price), "map_price": money(pl.map_price),
        "handling_cost": money(pl.handling_cost), "shipping_cost": money(pl.shipping_cost),
        "misc_cost": money(pl.misc_cost), "item_condition": pl.item_condition, "item_location": pl.item_location,
        "variant_listings": [variant_listing(ids, v) for v in variants],
        "product_images": [{"id": None, "product_id": _ref(ids, "product", pl.product_id), "product_name": pl.title,
                            "position": i + 1, "original_image_url": url, "small_image_url": None,
                            "medium_image_url": None, "large_image_url": url}
                           for i, url in enumerate(loads(pl.image_urls, []))],
        "list_status": pl.list_status, "list_status_error_detail": pl.list_status_error_detail,
        "list_status_error_detail_2": pl.list_status_error_detail_2, "errors": attrs.get("errors") or {},
        "created_at": iso(pl.created_at), "updated_at": iso(pl.updated_at or pl.created_at),
    }


def location(ids: IdCodec, loc: InventoryLocation) -> dict[str, Any]:
    return {"id": ids.encode("inventory_location", loc.id), "location": loc.location,
            "quantity_available": loc.quantity, "awaiting_pick": loc.awaiting_pick, "priority": loc.priority,
            "delete_if_empty": loc.delete_if_empty,
            "variant_id": _ref(ids, "variant", loc.variant_id) or None}


def image_url(ids: IdCodec, img: ProductImage, size: str) -> str:
    """Where an uploaded image's file of `size` (original, small, medium, large) is served."""
    return (f"/api/products/{ids.encode('product', img.product_id)}/product_images/"
            f"{ids.encode('product_image', img.id)}/{size}")


def image(ids: IdCodec, img: ProductImage, product_name: str | None, url_of=image_url) -> dict[str, Any]:
    """An image as the reference shows it: an outside URL as given, an upload by its served URLs."""
    original = img.original_url or url_of(ids, img, "original")
    return {"id": ids.encode("product_image", img.id), "product_id": ids.encode("product", img.product_id),
            "product_name": product_name, "position": img.position, "original_image_url": original,
            "small_image_url": url_of(ids, img, "small") if img.small_key else None,
            "medium_image_url": url_of(ids, img, "medium") if img.medium_key else None,
            "large_image_url": url_of(ids, img, "large") if img.large_key else original}


def variant(ids: IdCodec, v: Variant, locations: list[InventoryLocation]) -> dict[str, Any]:
    own = [loc for loc in locations if loc.variant_id == v.id]
    return {"id": ids.encode("variant", v.id), **_options(v), "sku": v.sku, "alt_sku": v.alt_sku,
            "position": v.position, "title": v.title, "upc": v.upc, "asin": v.asin, "item_location": v.item_location,
            "quantity_available": sum(loc.quantity for loc in own), "awaiting_pick": v.awaiting_pick,
            "retail_price": money(v.retail_price), "weight_in_pounds": scaled(v.weight, 1000),
            "inventory_locations": [location(ids, loc) for loc in own], "images": []}


def _dimensions(attrs: dict, prefix: str) -> dict[str, Any]:
    values = {k: attrs.get(f"{prefix}_{k}") for k in ("length", "width", "height")}
    given = any(v is not None for v in values.values())
    return {"unit": "inches" if given else None, **{k: scaled(v, 100) for k, v in values.items()}}


def product(ids: IdCodec, p: Product, variants: list[Variant], locations: list[InventoryLocation],
            images: list[ProductImage]) -> dict[str, Any]:
    """A product as the reference shows it. Its own locations are those without a variant;
    `quantity_available` is the sum of all of them."""
    attrs = loads(p.attributes, {})
    images = [image(ids, img, p.title) for img in images if img.variant_id is None]
    out = {
        "id": ids.encode("product", p.id),
        "marketplace_account_id": ids.encode("marketplace_account", p.marketplace_account_id),
        "sku": p.sku, "alt_sku": p.alt_sku, "asin": p.asin, "fnsku": p.fnsku, "upc": p.upc, "title": p.title,
        "quantity_available": sum(loc.quantity for loc in locations), "quantity_listed": p.quantity_listed,
        "awaiting_pick": p.awaiting_pick, "awaiting_paid": p.awaiting_paid,
        "retail_price": money(p.retail_price), "msrp": money(p.msrp), "min_price": money(p.min_price),
        "max_price": money(p.max_price), "map_price": money(p.map_price), "cost_price": money(p.cost_price),
        "handling_cost": money(p.handling_cost), "shipping_cost": money(p.shipping_cost),
        "misc_cost": money(p.misc_cost), "marketplace_fee": money(p.marketplace_fee),
        "marketplace_status": p.marketplace_status, "marketplace_id": p.marketplace_id,
        "item_condition": p.item_condition, "ebay_item_condition_id": p.ebay_item_condition_id,
        "description": p.description, "item_remarks": p.item_remarks, "features": attrs.get("features") or [],
        "features_html": attrs.get("details_html"), "item_specifics": attrs.get("item_specifics") or [],
        "item_category": attrs.get("item_category"), "item_category_hierarchy": attrs.get("item_category"),
        "item_category_id": attrs.get("item_category_id"), "brand": p.brand, "color": attrs.get("color"),
        "mpn": attrs.get("mpn"), "weight_in_pounds": scaled(attrs.get("weight_in_pounds"), 1000),
        "package_weight_in_pounds": None,
        "item_dimensions": _dimensions(attrs, "item_dimensions"),
        "package_dimensions": _dimensions(attrs, "package_dimensions"),
        "fulfillment_provider_account_id": attrs.get("fulfillment_provider_account_id"),
        "fulfillment_provider_sku": attrs.get("fulfillment_provider_sku"),
        "tags_array": loads(p.tags, []), "list_status": attrs.get("list_status", "okay_to_ship"),
        "list_status_error_detail": attrs.get("list_status_error_detail"),
        "primary_image": images[0]["large_image_url"] if images else None,
        "inventory_locations": [location(ids, loc) for loc in locations if loc.variant_id is None],
        "product_images": images or [],
        "variants": [variant(ids, v, locations) for v in variants],
        "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
    }
    return out
