"""RocketSource identifiers: `/api/v3/convert`, `/api/v3/asin-convert` and
`/api/v3/inbound-eligibility`."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request

from sellerkit.accounts.dependencies import CurrentPrincipal, DirectRoute
from sellerkit.catalog.providers.registry import providers_for
from sellerkit.catalog.eligibility import MAX_ASINS, eligibility
from sellerkit.catalog.schemas import AsinConvertRequest, ConvertRequest, InboundEligibilityReply
from sellerkit.catalog.service import catalog
from sellerkit.domain.identifiers import MAX_CODE_CHARS
from sellerkit.domain.marketplaces import MARKETPLACE_CHARS
from sellerkit.kit.http import JSON, DbReader, WriteSession

router = APIRouter(prefix="/api/v3", tags=["RocketSource: identifiers"], route_class=DirectRoute)  # the hot routes


NOT_CONVERTED = "X-Not-Converted"


@router.post(
    "/convert",
    summary="UPC, EAN or ISBN to ASINs and other identifiers (ASIN first)",
    description="Codes that convert are in the body, as the reference has it; those that do not are left "
    f"out of it, and the `{NOT_CONVERTED}` header says why for each: a JSON object (ASCII) of code -> "
    "reason, e.g. `{\"0385086955\": \"not a valid code: check digit is 5, expected 4 (ISBN-10)\"}`.",
    response_model=dict[str, list[str]],
    responses={200: {"headers": {NOT_CONVERTED: {
        "description": "Only when some code was not converted: a JSON object (ASCII) of code -> why.",
        "schema": {"type": "string"}}}}},
)
async def convert(body: ConvertRequest, _who: CurrentPrincipal, reader: DbReader):
    found, why_not = catalog.conversion(reader, body.marketplace, body.ids)
    # A header, not a body key: the reference's clients read the body as `{code: [ids...]}`.
    headers = {NOT_CONVERTED: json.dumps(why_not, ensure_ascii=True)} if why_not else None
    return JSON(found, headers=headers)


@router.post(
    "/asin-convert",
    summary="ASINs to their UPC, EAN, ISBN, GTIN and JAN codes",
    response_model=dict[str, dict[str, list[str]]],
)
async def asin_convert(body: AsinConvertRequest, _who: CurrentPrincipal, reader: DbReader):
    return JSON(catalog.asin_convert(reader, body.marketplace, body.asins))


@router.get(
    "/inbound-eligibility",
    summary="FBA inbound eligibility of 1 to 100 ASINs: Amazon's (SP-API, cached) or the catalog rules' estimate",
    description="One object per ASIN, in the order asked (the official client's `InboundEligibility[]`).",
    response_model=list[InboundEligibilityReply],
    response_model_exclude_none=True,
)
async def inbound_eligibility(
    request: Request,
    who: CurrentPrincipal,
    reader: DbReader,
    session: WriteSession,
    asins: Annotated[str, Query(max_length=MAX_ASINS * (MAX_CODE_CHARS + 1),
                                description=f"1 to {MAX_ASINS} comma-separated ASINs.")],
    marketplace: Annotated[str, Query(max_length=MARKETPLACE_CHARS,
                                      description="Marketplace code, e.g. US, UK, DE.")] = "US",
):
    settings, state = request.app.state.settings, request.app.state
    # the caller's own SP-API connection; without one, an unconfigured client (the rules answer)
    spapi = next((p for p in providers_for(state.db, settings, state.budgets, who.account_id) if p.name == "spapi"),
                 state.spapi)
    return JSON(eligibility.as_list(await eligibility.inbound_eligibility(
        session, reader, spapi, marketplace, asins.split(","),
        ttl=settings.eligibility_cache_ttl, budget=settings.spapi_time_budget,
    )))
