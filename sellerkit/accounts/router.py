"""Self-service account and key management (`/account`), and ASINScope's `/account/tokens`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from sellerkit.accounts.dependencies import MAX_KEY_CHARS, CurrentPrincipal, TokensPrincipal
from sellerkit.accounts.schemas import AccountInfo, IssuedKeyOut, NewKeyRequest, TokensReply
from sellerkit.accounts.service import keys
from sellerkit.kit.http import JSON, DialectErrorRoute, ReadSession, WriteSession

router = APIRouter(prefix="/account", tags=["Account and keys"])
tokens_router = APIRouter(tags=["ASINScope: products"], route_class=DialectErrorRoute)

# A key's public id (`pk_` and 16 hex digits); a longer one names no key: 404, like any unknown id.
PartnerId = Annotated[str, Path(min_length=1, max_length=64, description="The key's public id, e.g. pk_0123456789abcdef.")]


@tokens_router.get(
    "/account/tokens",
    response_model=TokensReply,
    summary="Tokens left and the plan's limits, consuming none",
)
async def account_tokens(
    request: Request,
    who: TokensPrincipal,
    key: Annotated[str | None, Query(max_length=MAX_KEY_CHARS, description="Your API key (or send it in an Authorization header).")] = None,
):
    status = request.app.state.quotas.status(who)
    return JSON({
        "dailyTokensLeft": status.daily_left,
        "dailyTokensLimit": status.daily_limit,
        "minutelyTokensLeft": status.bucket_left,
        "minutelyBucketCapacity": status.capacity,
        "tokensPerMinute": status.per_minute,
        "msBeforeNextDailyReset": status.ms_to_reset,
    })


@router.get("", response_model=AccountInfo, summary="The calling key's account and its keys")
async def get_account(who: CurrentPrincipal, session: ReadSession):
    return keys.account(session, who.account_id)


@router.post("/keys", response_model=IssuedKeyOut, status_code=201, summary="Issue another key")
async def create_key(request: Request, body: NewKeyRequest, who: CurrentPrincipal, session: WriteSession):
    cap = request.app.state.settings.max_keys_per_account
    return keys.create(session, name=body.name, plan=None, account=str(who.account_id), max_keys=cap).as_dict()


@router.post(
    "/keys/{partner_id}/rotate",
    response_model=IssuedKeyOut,
    summary="New secret for a key; the old secret stops working at once",
)
async def rotate_key(partner_id: PartnerId, who: CurrentPrincipal, session: WriteSession):
    return keys.rotate(session, partner_id, account_id=who.account_id).as_dict()


@router.delete("/keys/{partner_id}", status_code=204, summary="Revoke a key")
async def revoke_key(partner_id: PartnerId, who: CurrentPrincipal, session: WriteSession):
    keys.revoke(session, partner_id, account_id=who.account_id)
    return Response(status_code=204)
