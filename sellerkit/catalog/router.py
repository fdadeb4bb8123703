"""RocketSource identifier conversion: `/api/v3/convert` and `/api/v3/asin-convert`."""

from __future__ import annotations

from fastapi import APIRouter

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.catalog.schemas import AsinConvertRequest, ConvertRequest
from sellerkit.catalog.service import catalog
from sellerkit.kit.http import JSON, DbReader

router = APIRouter(prefix="/api/v3", tags=["RocketSource: identifiers"])


@router.post(
    "/convert",
    summary="UPC, EAN or ISBN to ASINs and other identifiers (ASIN first)",
    response_model=dict[str, list[str]],
)
async def convert(body: ConvertRequest, _who: CurrentPrincipal, reader: DbReader):
    return JSON(catalog.convert(reader, body.marketplace, body.ids))


@router.post(
    "/asin-convert",
    summary="ASINs to their UPC, EAN, ISBN, GTIN and JAN codes",
    response_model=dict[str, dict[str, list[str]]],
)
async def asin_convert(body: AsinConvertRequest, _who: CurrentPrincipal, reader: DbReader):
    return JSON(catalog.asin_convert(reader, body.marketplace, body.asins))
