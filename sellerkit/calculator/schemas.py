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


# ---- the reply: cents and basis points ----------------------------------------------------------


class CalculatedInputs(BaseModel):
    cost: int = Field(description="Supplier cost of one supplier pack, cents.")
    supplier_pack_quantity: int
    amazon_pack_quantity: int
    discount_cost: int = Field(description="Cents.")
    total_cogs: int = Field(description="Cost of goods per Amazon unit, cents.")


class Financials(BaseModel):
    """Per Amazon unit sold, cents; margin and ROI in basis points (3000 = 30%)."""

    profit: int | None
    margin: int | None
    roi: int | None
    net_revenue: int | None
    discount_cost: int | None
    total_cogs: int | None
    prep_cost: int | None
    inbound_shipping: int | None
    fba_storage_fees: int | None


class AmazonFees(BaseModel):
    """Cents; null where the fee does not apply."""

    referral_fee: int
    fba_fees: int
    per_item_fee: int | None
    variable_closing_fee: int | None
    inbound_placement_fee: int | None
    error: str | None


class FeeBreakdown(BaseModel):
    """Every fee component in minor units of `currency`, with what decided it."""

    schedule: str = Field(description="The fee schedule used (marketplace and effective date).")
    card: str | None
    currency: str
    confidence: str | None
    size_tier: str
    price_band: str
    shipping_weight_lb: float
    dimensional_weight_lb: float | None
    unit_weight_lb: float
    weight_unit: Literal["lb", "g"]
    shipping_weight: float
    dimensional_weight: float | None
    unit_weight: float
    weight_steps: int
    category: str
    fba_fee_base: int
    fuel_surcharge: int
    fba_fee: int
    referral_fee: int
    variable_closing_fee: int
    per_item_fee: int
    inbound_placement_fee: int
    monthly_storage_fee: int = Field(description="Per unit, for the month of the date.")
    missing: list[str] = Field(description="Components the schedule does not know, counted as 0.")
    total: int = Field(description="What Amazon deducts per unit sold.")


class SalesEstimate(BaseModel):
    units_per_month: int | None
    low: int | None
    high: int | None
    method: Literal["amazon_monthly_sold", "rank_drops_30d", "bsr_catalog_fit", "none"]
    detail: str = Field(description="How the figure was reached, in words.")


class CalculateReply(BaseModel):
    asin: str | None
    marketplace: str
    price: int = Field(description="Sale price used, cents.")
    price_source: str = Field(description="`request`, or where the catalog's price came from.")
    size_tier: str = Field(description="RocketSource's display form, e.g. `Small Standard`.")
    inputs: CalculatedInputs
    financials: Financials
    amazon_fees: AmazonFees
    fee_breakdown: FeeBreakdown
    units_per_month: int | None
    sales_per_month: int | None = Field(description="Cents.")
    profit_per_month: int | None = Field(description="Cents: the seller's even share among the offers.")
    sales_estimate: SalesEstimate
