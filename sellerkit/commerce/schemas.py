"""Wire models of the SellerChamp dialect's core: request bodies (lenient, `commerce.wire`) and
reply envelopes (for the OpenAPI document; replies are built as dicts by `commerce.views`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sellerkit.commerce.wire import Bool, Choice, Date, Int, Money, Scaled, StrList, Text, WireModel
from sellerkit.domain import commerce as rules

Pounds = Scaled(1000, "pounds")
Inches = Scaled(100, "inches")
Quantity = Int  # non-negative: checked by the service with the field's name


# ---- requests ----------------------------------------------------------------------------------


class MarketplaceAccountIn(WireModel):
    name: Text = None
    marketplace_account_type: Text = Field(None, description=f"One of {', '.join(rules.CHANNELS)}.")
    marketplace_id: Text = Field(None, description="Amazon's marketplace (US, UK, DE ...); Amazon accounts only.")
    active: Bool = None


class MarketplaceAccountBody(WireModel):
    marketplace_account: MarketplaceAccountIn


class ContactIn(WireModel):
    name: Text = None
    street1: Text = None
    street2: Text = None
    city: Text = None
    state: Text = None
    postal_code: Text = None
    country: Text = None
    phone: Text = None
    email: Text = None


class SupplierIn(ContactIn):
    website: Text = None


class ShipFromAddressBody(WireModel):
    ship_from_address: ContactIn


class SupplierBody(WireModel):
    supplier: SupplierIn


class TemplateIn(WireModel):
    name: Text = None
    template_type: Text = Field(None, description=f"One of {', '.join(rules.TEMPLATE_TYPES)}.")
    marketplace_account_id: Text = None


class TemplateBody(WireModel):
    template: TemplateIn


class VariantListingIn(WireModel):
    variant_sku: Text = None
    sku: Text = None  # the reply's name for it; accepted on the way in too
    variant_alt_sku: Text = None
    alt_sku: Text = None
    position: Int = None
    option1_name: Text = None
    option1_value: Text = None
    option2_name: Text = None
    option2_value: Text = None
    option3_name: Text = None
    option3_value: Text = None
    option4_name: Text = None
    option4_value: Text = None
    asin: Text = None
    upc: Text = None
    retail_price: Money = None
    quantity: Quantity = None
    item_location: Text = None
    weight_in_pounds: Pounds = None
    title: Text = None
    image_urls: StrList = None


class PricesIn(WireModel):
    """The money fields a listing and a product take alike (dollars; cents inside)."""

    retail_price: Money = None
    min_price: Money = None
    max_price: Money = None
    msrp_price: Money = None
    cost_price: Money = None
    map_price: Money = None
    handling_cost: Money = None
    shipping_cost: Money = None
    misc_cost: Money = None


class ProductListingIn(PricesIn):
    """One line of `product_listings_attributes`: every field of the reference, typed."""

    asin: Text = None
    quantity: Quantity = None
    item_condition: Choice(rules.ITEM_CONDITIONS) = None
    upc: Text = None
    sku: Text = None
    title: Text = None
    color: Text = None
    manufacturer: Text = None
    model: Text = None
    part_number: Text = None
    listing_duration: Choice(rules.LISTING_DURATIONS) = None
    item_location: Text = None
    item_category: Text = None
    item_category_id: Text = None
    item_remarks: Text = None
    brand: Text = None
    description: Text = None
    features: StrList = None
    details_html: Text = None
    item_specifics: list[dict[str, Any]] | None = None
    mpn: Text = None
    listing_format: Choice(rules.LISTING_FORMATS) = None
    store_category_external_id: Text = None
    store_category_2_external_id: Text = None
    weight_in_pounds: Pounds = None
    package_dimensions_length: Inches = None
    package_dimensions_width: Inches = None
    package_dimensions_height: Inches = None
    item_dimensions_length: Inches = None
    item_dimensions_width: Inches = None
    item_dimensions_height: Inches = None
    handling_time: Int = None
    shipping_charge_type: Choice(rules.SHIPPING_CHARGE_TYPES) = None
    global_shipping: Bool = None
    free_shipping: Bool = None
    shipping_service_code: Choice(rules.SHIPPING_SERVICE_CODES) = None
    shipping_service_cost: Money = None
    extra_shipping_service_cost: Money = None
    domestic_rate_table: Bool = None
    international_shipping_service_code: Choice(rules.INTERNATIONAL_SHIPPING_SERVICE_CODES) = None
    international_shipping_service_cost: Money = None
    extra_international_shipping_service_cost: Money = None
    international_ship_to_locations: StrList = None
    international_rate_table: Bool = None
    return_in_days_value: Choice(rules.RETURN_IN_DAYS, rules.RETURN_IN_DAYS_ALIASES) = None
    refund_policy_value: Choice(rules.REFUND_POLICIES) = None
    return_shipping_paid_by_value: Choice(rules.RETURN_SHIPPING_PAID_BY) = None
    quantity_in_case: Int = None
    expiration_date: Date = None
    fnsku: Text = None
    image_urls: StrList = None
    external_ids: StrList = None
    variant_listings: list[VariantListingIn] | None = None


class ManifestIn(WireModel):
    name: Text = None
    marketplace_account_id: Text = None
    supplier_id: Text = None
    ship_from_address_id: Text = None
    template_id: Text = None
    seller_fulfilled: Bool = None
    auto_submit: Bool = None
    item_present_option: Choice(rules.ITEM_PRESENT_OPTIONS) = None
    sku_prefix: Text = None
    product_listings_attributes: list[ProductListingIn] | None = None


class ManifestBody(WireModel):
    manifest: ManifestIn


class ListingsBody(WireModel):
    product_listings_attributes: list[ProductListingIn]
    auto_submit: Bool = None


class ProductIn(PricesIn):
    """`PUT /api/products/{id}` and one item of a bulk update."""

    id: Text = None
    sku: Text = None
    alt_sku: Text = None
    asin: Text = None
    upc: Text = None
    fnsku: Text = None
    title: Text = None
    description: Text = None
    ebay_item_condition_id: Int = None
    item_condition: Choice(rules.ITEM_CONDITIONS) = None
    item_remarks: Text = None
    brand: Text = None
    quantity_available: Quantity = None
    fulfillment_provider_account_id: Text = None
    fulfillment_provider_sku: Text = None
    tags_array: StrList = None


class ProductBody(WireModel):
    product: ProductIn
    timestamp: Text = Field(None, description="ISO 8601 time of the inventory change (API principles).")


class BulkUpdateBody(WireModel):
    products: list[ProductIn]
    relist: Bool = None
    timestamp: Text = Field(None, description="ISO 8601 time of the inventory change (API principles).")


class VariantIn(WireModel):
    option1_value: Text = None
    option2_value: Text = None
    option3_value: Text = None
    option4_value: Text = None
    retail_price: Money = None
    sku: Text = None
    alt_sku: Text = None
    upc: Text = None
    asin: Text = None
    quantity: Quantity = None
    quantity_available: Quantity = None
    title: Text = None
    item_location: Text = None
    weight_in_pounds: Pounds = None


class VariantBody(VariantIn):
    """The reference sends a variant's fields bare; `{"variant": {...}}` is accepted too."""

    variant: VariantIn | None = None
    timestamp: Text = Field(None, description="ISO 8601 time of the inventory change (API principles).")


class InventoryLocationIn(WireModel):
    location: Text = None
    quantity_available: Quantity = None
    delete_if_empty: Bool = None
    priority: Int = None
    variant_id: Text = None


class InventoryLocationBody(WireModel):
    inventory_location: InventoryLocationIn
    timestamp: Text = Field(None, description="ISO 8601 time of the inventory change (API principles).")


class ScanManifestBody(WireModel):
    """`POST /api/v3/scans/{id}/manifest`: which results become listings, and where."""

    marketplace_account_id: Text = None
    ship_from_address_id: Text = None
    supplier_id: Text = None
    name: Text = None
    result_ids: list[int] | None = Field(None, description="Result row numbers (`id` of the scan's results).")
    filter: list[dict[str, Any]] | None = Field(None, description="A results filter, as in `POST /api/v3/scans/{id}`.")
    quantity: Quantity = Field(None, description="Quantity of every listing; else the supplier's stock, else 1.")
    sku_prefix: Text = None
    item_condition: Choice(rules.ITEM_CONDITIONS) = None
    auto_submit: Bool = None
    limit: Int = Field(None, description="At most this many results (default and cap: 5,000).")


# ---- replies (documentation) -------------------------------------------------------------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class MarketplaceAccountOut(_Open):
    id: str
    name: str
    marketplace: str
    marketplace_account_type: str
    active: bool
    manifest_folders: list[dict[str, Any]]


class MarketplaceAccountReply(BaseModel):
    marketplace_account: MarketplaceAccountOut


class MarketplaceAccountList(BaseModel):
    marketplace_accounts: list[MarketplaceAccountOut]


class ContactOut(_Open):
    id: str
    name: str


class ShipFromAddressReply(BaseModel):
    ship_from_address: ContactOut


class ShipFromAddressList(BaseModel):
    ship_from_addresses: list[ContactOut]


class SupplierReply(BaseModel):
    supplier: ContactOut


class SupplierList(BaseModel):
    suppliers: list[ContactOut]


class TemplateReply(BaseModel):
    template: ContactOut


class TemplateList(BaseModel):
    templates: list[ContactOut]


class ManifestOut(_Open):
    id: str
    name: str
    status: str
    processing: bool | None
    marketplace_account_id: str
    manifest_folder_id: str
    product_listings_count: int


class ManifestReply(_Open):
    manifest: ManifestOut


class ManifestList(BaseModel):
    manifests: list[ManifestOut]


class ListingOut(_Open):
    id: str
    manifest_id: str
    list_status: str


class ListingList(BaseModel):
    product_listings: list[ListingOut]


class ProductOut(_Open):
    id: str
    marketplace_account_id: str
    sku: str
    quantity_available: int
    awaiting_pick: int


class ProductReply(BaseModel):
    product: ProductOut


class ProductList(BaseModel):
    products: list[ProductOut]


class BulkUpdateReply(BaseModel):
    products: list[ProductOut]
    errors: list[dict[str, Any]] = Field(description="Items not applied: `index`, `id`, `message`.")


class Deleted(_Open):
    deleted: bool


class VariantOut(_Open):
    id: str
    quantity_available: int


class VariantReply(BaseModel):
    variant: VariantOut


class LocationOut(_Open):
    id: str
    location: str
    quantity_available: int
    awaiting_pick: int
    priority: int
    delete_if_empty: bool | None


class LocationList(BaseModel):
    inventory_locations: list[LocationOut]


class LocationReply(BaseModel):
    inventory_location: LocationOut
