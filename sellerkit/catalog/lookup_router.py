"""ASINScope: `GET /products/lookup` (its errors answer `{"error": ...}` as the reference's do)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request

from sellerkit.accounts.dependencies import CurrentPrincipal, DirectRoute
from sellerkit.catalog.lookup import lookups
from sellerkit.catalog.schemas import NO_PLAN, LookupReply
from sellerkit.domain.lookup import MAX_CODES, MAX_QUERY_CHARS
from sellerkit.domain.marketplaces import ASINSCOPE_DOMAINS
from sellerkit.kit.http import JSON, DbReader, DialectErrorRoute

class LookupRoute(DialectErrorRoute, DirectRoute):
    """ASINScope's error shape, inputs resolved directly (`DirectRoute`)."""


router = APIRouter(tags=["ASINScope: products"], route_class=LookupRoute)

MAX_DOMAIN_CHARS = 10
_CODES = f"Comma-separated list of 1 to {MAX_CODES} codes; send only one of asin, upc and ean."


@router.get(
    "/products/lookup",
    response_model=LookupReply,
    summary=f"Product details for 1 to {MAX_CODES} ASINs, UPCs or EANs (a token each)",
    responses={403: {"description": NO_PLAN}},
)
async def products_lookup(
    request: Request,
    who: CurrentPrincipal,
    reader: DbReader,
    asin: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="ASINs. " + _CODES)] = None,
    upc: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="UPC codes (a lost leading zero is restored). " + _CODES)] = None,
    ean: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="EAN codes. " + _CODES)] = None,
    domain: Annotated[str, Query(max_length=MAX_DOMAIN_CHARS,
                                 description=f"Amazon marketplace: {', '.join(ASINSCOPE_DOMAINS)} (any case).",
                                 json_schema_extra={"enum": list(ASINSCOPE_DOMAINS)})] = "com",
):
    query = lookups.query(asin, upc, ean, domain)
    charge = request.app.state.quotas.charge(who, query.cost)  # a refused request costs nothing, asks nothing
    await lookups.refresh(request.app.state.db, request.app.state.settings, who.account_id, query)
    items = lookups.items(reader, query, as_json=True, data_dir=request.app.state.settings.data_dir)
    return JSON({
        "items": [orjson.Fragment(one) for one in items],  # each item's JSON, prepared once
        "dailyTokensLeft": charge.daily_left,
        "bucketSize": charge.bucket_left,
        "msBeforeNextDailyToken": charge.ms_to_reset,
        "consumedTokens": charge.cost,
    })
