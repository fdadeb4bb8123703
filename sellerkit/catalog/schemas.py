from __future__ import annotations

from pydantic import BaseModel, Field


class ConvertRequest(BaseModel):
    marketplace: str = Field(description="Marketplace code, e.g. US, UK, DE.")
    ids: list[str] = Field(min_length=1, max_length=20, description="1 to 20 UPC, EAN or ISBN values.")


class AsinConvertRequest(BaseModel):
    marketplace: str = Field(description="Marketplace code, e.g. US, UK, DE.")
    asins: list[str] = Field(min_length=1, max_length=1000, description="1 to 1,000 ASINs.")
