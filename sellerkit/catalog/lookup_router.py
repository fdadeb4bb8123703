"""ASINScope: `GET /products/lookup` (its errors answer `{"error": ...}` as the reference's do)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from sellerkit.accounts.dependencies import MAX_KEY_CHARS, CurrentPrincipal
from sellerkit.catalog.lookup import lookups
from sellerkit.catalog.schemas import LookupReply
from sellerkit.domain.lookup import MAX_CODES, MAX_QUERY_CHARS
from sellerkit.domain.marketplaces import ASINSCOPE_DOMAINS
from sellerkit.kit.http import JSON, DbReader, DialectErrorRoute

router = APIRouter(tags=["ASINScope: products"], route_class=DialectErrorRoute)

MAX_DOMAIN_CHARS = 10
_CODES = f"Comma-separated list of 1 to {MAX_CODES} codes; send only one of asin, upc and ean."


@router.get(
    "/products/lookup",
    response_model=LookupReply,
    summary=f"Product details for 1 to {MAX_CODES} ASINs, UPCs or EANs (a token each)",
)
async def products_lookup(
    request: Request,
    who: CurrentPrincipal,
    reader: DbReader,
    asin: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="ASINs. " + _CODES)] = None,
    upc: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="UPC codes (a lost leading zero is restored). " + _CODES)] = None,
    ean: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="EAN codes. " + _CODES)] = None,
    domain: Annotated[str, Query(max_length=MAX_DOMAIN_CHARS, description=f"Amazon marketplace: {', '.join(ASINSCOPE_DOMAINS)}.")] = "com",
    key: Annotated[str | None, Query(max_length=MAX_KEY_CHARS, description="Your API key (or send it in an Authorization header).")] = None,
):
    charge, items = lookups.lookup(reader, request.app.state.quotas, who, asin=asin, upc=upc, ean=ean, domain=domain)
    return JSON({
        "items": items,
        "dailyTokensLeft": charge.daily_left,
        "bucketSize": charge.bucket_left,
        "msBeforeNextDailyToken": charge.ms_to_reset,
        "consumedTokens": charge.cost,
    })
