"""Wire shapes of `POST /api/v3/calculate`: dollars and percentages in, cents and basis points out
(RocketSource's convention)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sellerkit.domain.identifiers import MAX_CODE_CHARS
from sellerkit.domain.marketplaces import MARKETPLACE_CHARS

# Ranges of what a client may send, checked by the model (a 400 naming the field and the limit).
MAX_DOLLARS = 1_000_000  # a price, cost or fee in the marketplace's currency
MAX_SIZE = 10_000  # inches or centimetres; pounds or grams are capped at MAX_WEIGHT
MAX_WEIGHT = 1_000_000
CATEGORY_CHARS = 200


class PackageDimensions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    length: Decimal = Field(gt=0, le=MAX_SIZE, description="inches (centimetres with units=metric)")
    width: Decimal = Field(gt=0, le=MAX_SIZE, description="inches (centimetres with units=metric)")
    height: Decimal = Field(gt=0, le=MAX_SIZE, description="inches (centimetres with units=metric)")
    weight: Decimal = Field(ge=0, le=MAX_WEIGHT, description="pounds (grams with units=metric)")
    units: Literal["imperial", "metric"] = Field("imperial", description="imperial: inches and pounds, as the "
                                                 "catalog has them; metric: centimetres and grams")


class MultipackPrepCost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    firstN: int = Field(0, ge=0, le=1000)
    costForFirstN: Decimal = Field(Decimal(0), ge=0, le=MAX_DOLLARS, description="dollars per unit for the first N units")
    costForRest: Decimal = Field(Decimal(0), ge=0, le=MAX_DOLLARS, description="dollars per unit after the first N")


class CalculateRequest(BaseModel):
    """One product: by ASIN from the catalog, or by explicit price, dimensions and category
    (explicit values win over the catalog's)."""

    model_config = ConfigDict(extra="forbid")
    marketplace: str = Field("US", max_length=MARKETPLACE_CHARS, description="marketplace code (US, UK, DE ...) or SP-API id")
    asin: str | None = Field(None, max_length=MAX_CODE_CHARS, description="a product in the catalog; without it send price, "
                             "package_dimensions and category")
    price: Decimal | None = Field(None, ge=0, le=MAX_DOLLARS, description="sale price in dollars; default: Buy Box, then fallbacks")
    cost: Decimal = Field(Decimal(0), ge=0, le=MAX_DOLLARS, description="supplier cost of one supplier pack, dollars")
    package_dimensions: PackageDimensions | None = None
    category: str | None = Field(None, max_length=CATEGORY_CHARS, description="Amazon category name or fee-schedule slug")
    date: dt.date | None = Field(None, description="ship date that picks the fee schedule; default today (UTC)")
    fulfilment: Literal["FBA", "FBM"] = "FBA"
    apparel: bool | None = Field(None, description="apparel rate card; default: clothing categories")
    dangerous_goods: bool | None = Field(None, description="default: the catalog's is_hazmat")
    individual_plan: bool = False
    shipping_charge: Decimal = Field(Decimal(0), ge=0, le=MAX_DOLLARS, description="FBM delivery charge paid by the buyer, dollars")
    inbound_placement: Literal["none", "estimate"] = "none"
    inbound_placement_fee: Decimal | None = Field(None, ge=0, le=MAX_DOLLARS, description="your own placement fee, dollars/unit")
    supplier_pack_quantity: int = Field(1, ge=1, le=1000)
    amazon_pack_quantity: int | None = Field(None, ge=1, le=1000)
    multipack_override: bool = False
    multipack_override_quantity: int | None = Field(None, ge=1, le=1000)
    discount_supplier: Decimal = Field(Decimal(0), ge=0, le=100, description="percent")
    discount_per_product: Decimal = Field(Decimal(0), ge=0, le=100, description="percent")
    prep_cost: Decimal = Field(Decimal(0), ge=0, le=MAX_DOLLARS, description="dollars per Amazon unit")
    multipack_prep_cost: MultipackPrepCost | None = None
    inbound_shipping_per_lb: Decimal = Field(Decimal(0), ge=0, le=100, description="dollars per pound")
    storage_months: int = Field(1, ge=0, le=36)
