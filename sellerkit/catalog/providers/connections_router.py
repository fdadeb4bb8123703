"""`GET /api/v3/providers`: what the caller's account has connected for live data. Never a secret."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.catalog.providers.connections import connections
from sellerkit.kit.http import JSON, ReadSession

router = APIRouter(prefix="/api/v3", tags=["Live data: providers"])


class Unlock(BaseModel):
    feature: str = Field(description="What the connection brings, e.g. \"live Buy Box prices\".")
    kinds: list[str] = Field(description="The kinds of live data it is (catalog, pricing, fees, offers, "
                                         "restrictions, eligibility).")
    available: bool = Field(description="Whether the account has it now.")
    needs: str | None = Field(description="What is missing for it, when it is not available.")


class ProviderStatus(BaseModel):
    provider: Literal["spapi", "keepa", "ebay"] = Field(
        description="`ebay` is a sales channel (its orders and tracking), not live data: it has no kinds.")
    name: str = Field(description="The provider as people call it, e.g. Amazon SP-API.")
    connected: bool = Field(description="Whether the account's live data comes from it now.")
    source: Literal["settings", "stored"] | None = Field(
        description="`stored`: connected with `sellerkit providers connect`; `settings`: the "
                    "SELLERKIT_SPAPI_* or SELLERKIT_KEEPA_KEY settings (the default account only).")
    seller_id: str | None = Field(description="The seller's merchant token (SP-API), never a secret.")
    marketplaces: list[str] = Field(description="Marketplace codes the connection serves.")
    kinds: list[str] = Field(description="Every kind of live data the provider can bring.")
    unlocks: list[Unlock]
    problems: list[str] = Field(description="Why a connection that exists cannot be used, if it cannot.")
    turn_on: str | None = Field(description="When not connected: the setting or command that connects it.")


class ProvidersReply(BaseModel):
    account_id: int
    default_account: bool = Field(description="Whether this is the install's default account (the first "
                                              "made), which the SELLERKIT_* provider settings connect.")
    providers: list[ProviderStatus]


@router.get(
    "/providers",
    response_model=ProvidersReply,
    summary="Live data providers of the calling account: what is connected, for which marketplaces, "
            "and what each connection unlocks",
    description="Credentials are never returned: a connection shows its source, seller id and "
                "marketplaces. Without connections everything works on the local catalog; `turn_on` "
                "says which setting or command connects a provider.",
)
async def providers(request: Request, who: CurrentPrincipal, session: ReadSession):
    return JSON(connections.status(session, request.app.state.settings, who.account_id))
