from __future__ import annotations

from pydantic import BaseModel, Field


class ConvertRequest(BaseModel):
    marketplace: str = Field(description="Marketplace code, e.g. US, UK, DE.")
    ids: list[str] = Field(min_length=1, max_length=20, description="1 to 20 UPC, EAN or ISBN values.")


class AsinConvertRequest(BaseModel):
    marketplace: str = Field(description="Marketplace code, e.g. US, UK, DE.")
    asins: list[str] = Field(min_length=1, max_length=1000, description="1 to 1,000 ASINs.")


class InboundEligibilityReply(BaseModel):
    """RocketSource's `inbound_eligibility` object, plus where the answer came from."""

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
