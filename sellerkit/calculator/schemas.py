"""Wire shapes of `POST /api/v3/calculate`: dollars and percentages in, cents and basis points out
(RocketSource's convention)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PackageDimensions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    length: Decimal = Field(gt=0, description="inches (centimetres with units=metric)")
    width: Decimal = Field(gt=0, description="inches (centimetres with units=metric)")
    height: Decimal = Field(gt=0, description="inches (centimetres with units=metric)")
    weight: Decimal = Field(ge=0, description="pounds (grams with units=metric)")
    units: Literal["imperial", "metric"] = Field("imperial", description="imperial: inches and pounds, as the "
                                                 "catalog has them; metric: centimetres and grams")


class MultipackPrepCost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    firstN: int = Field(0, ge=0)
    costForFirstN: Decimal = Field(Decimal(0), ge=0, description="dollars per unit for the first N units")
    costForRest: Decimal = Field(Decimal(0), ge=0, description="dollars per unit after the first N")


class CalculateRequest(BaseModel):
    """One product: by ASIN from the catalog, or by explicit price, dimensions and category
    (explicit values win over the catalog's)."""

    model_config = ConfigDict(extra="forbid")
    marketplace: str = Field("US", description="marketplace code (US, UK, DE ...) or SP-API id")
    asin: str | None = None
    price: Decimal | None = Field(None, ge=0, description="sale price in dollars; default: Buy Box, then fallbacks")
    cost: Decimal = Field(Decimal(0), ge=0, description="supplier cost of one supplier pack, dollars")
    package_dimensions: PackageDimensions | None = None
    category: str | None = Field(None, description="Amazon category name or fee-schedule slug")
    date: dt.date | None = Field(None, description="ship date that picks the fee schedule; default today (UTC)")
    fulfilment: Literal["FBA", "FBM"] = "FBA"
    apparel: bool | None = Field(None, description="apparel rate card; default: clothing categories")
    dangerous_goods: bool | None = Field(None, description="default: the catalog's is_hazmat")
    individual_plan: bool = False
    shipping_charge: Decimal = Field(Decimal(0), ge=0, description="FBM delivery charge paid by the buyer, dollars")
    inbound_placement: Literal["none", "estimate"] = "none"
    inbound_placement_fee: Decimal | None = Field(None, ge=0, description="your own placement fee, dollars/unit")
    supplier_pack_quantity: int = Field(1, ge=1, le=1000)
    amazon_pack_quantity: int | None = Field(None, ge=1, le=1000)
    multipack_override: bool = False
    multipack_override_quantity: int | None = Field(None, ge=1, le=1000)
    discount_supplier: Decimal = Field(Decimal(0), ge=0, le=100, description="percent")
    discount_per_product: Decimal = Field(Decimal(0), ge=0, le=100, description="percent")
    prep_cost: Decimal = Field(Decimal(0), ge=0, description="dollars per Amazon unit")
    multipack_prep_cost: MultipackPrepCost | None = None
    inbound_shipping_per_lb: Decimal = Field(Decimal(0), ge=0, le=100, description="dollars per pound")
    storage_months: int = Field(1, ge=0, le=36)
