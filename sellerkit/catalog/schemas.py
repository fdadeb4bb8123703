from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sellerkit.domain.identifiers import MAX_CODE_CHARS
from sellerkit.domain.marketplaces import MARKETPLACE_CHARS

Code = Annotated[str, Field(max_length=MAX_CODE_CHARS)]


class ConvertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace: str = Field(max_length=MARKETPLACE_CHARS, description="Marketplace code, e.g. US, UK, DE.")
    ids: list[Code] = Field(min_length=1, max_length=20, description=f"1 to 20 UPC, EAN or ISBN values, each at "
                            f"most {MAX_CODE_CHARS} characters.")


class AsinConvertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace: str = Field(max_length=MARKETPLACE_CHARS, description="Marketplace code, e.g. US, UK, DE.")
    asins: list[Code] = Field(min_length=1, max_length=1000, description=f"1 to 1,000 ASINs, each at most "
                              f"{MAX_CODE_CHARS} characters.")


class InboundEligibilityReply(BaseModel):
    """RocketSource's `inbound_eligibility` object for one ASIN, plus where the answer came from:
    an item of the official client's `InboundEligibility[]`."""

    asin: str = Field(description="The ASIN, normalised, in the order asked (duplicates once).")

    eligible: bool = Field(description="Whether the product can be sent to FBA.")
    updated_at: int = Field(description="Unix seconds of the check (Amazon's, or the estimate's).")
    ineligible_codes: list[str] = Field(description='SP-API reason codes, e.g. "FBA_INB_0004".')
    source: str = Field(
        description="`sp-api`: Amazon answered now; `cache`: Amazon's answer of `updated_at`, "
        "stored; `rules`: estimated from the catalog record, not Amazon's answer."
    )
    sp_api_error: str | None = Field(
        None, description="Only when SP-API is configured but gave no answer for this ASIN: why."
    )
    reason: str | None = Field(None, description="Only when not eligible: the codes' meanings, in one text.")
    restrictions: list[str] | None = Field(None, description="Only when not eligible: each code's meaning.")


# ---- ASINScope look-up -------------------------------------------------------------------------

NO_PLAN = "The key's account has no plan, so no token allowance."


class PackageDimensions(BaseModel):
    height: float | None
    width: float | None
    length: float | None
    weight: float | None


class LookupItem(BaseModel):
    """One product, in the reference's field names."""

    asin: str
    ean: str | None
    upc: str | None
    mpn: str | None
    bsr: int | None = Field(description="Best Sellers Rank in the root category.")
    category: str | None
    brand: str | None
    title: str | None
    productGroup: str | None
    lowestNewPrice: float | None = Field(description="Lowest new offer (else the Buy Box), in the marketplace's currency.")
    lowestFormattedPrice: str | None = Field(description="The same as Amazon writes it, e.g. `$22.79`, `22,79 €`.")
    soldByAmazon: bool
    packageDimensions: PackageDimensions | None = Field(description="Inches and pounds.")
    upcList: list[str]
    eanList: list[str]
    totalNew: int | None = Field(description="New offers.")
    smallImage: str | None
    mediumImage: str | None
    images: list[str]


class LookupReply(BaseModel):
    items: list[LookupItem] = Field(description="Products found (codes not in the catalog give none).")
    dailyTokensLeft: int | None = Field(description="Tokens left today; null on an unlimited plan.")
    bucketSize: int | None = Field(description="Tokens left in the bucket; null on an unlimited plan.")
    msBeforeNextDailyToken: int = Field(description="Milliseconds until the daily allowance resets (00:00 UTC).")
    consumedTokens: int = Field(description="Tokens this request cost: one per distinct code.")
