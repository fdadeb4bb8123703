"""Self-service account and key management (`/account`, beside ASINScope's `/account/tokens`)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.accounts.schemas import AccountInfo, IssuedKeyOut, NewKeyRequest
from sellerkit.accounts.service import keys
from sellerkit.kit.http import ReadSession, WriteSession

router = APIRouter(prefix="/account", tags=["Account and keys"])


@router.get("", response_model=AccountInfo, summary="The calling key's account and its keys")
async def get_account(who: CurrentPrincipal, session: ReadSession):
    return keys.account(session, who.account_id)


@router.post("/keys", response_model=IssuedKeyOut, status_code=201, summary="Issue another key")
async def create_key(body: NewKeyRequest, who: CurrentPrincipal, session: WriteSession):
    return keys.create(session, name=body.name, plan=None, account=str(who.account_id)).as_dict()


@router.post(
    "/keys/{partner_id}/rotate",
    response_model=IssuedKeyOut,
    summary="New secret for a key; the old secret stops working at once",
)
async def rotate_key(partner_id: str, who: CurrentPrincipal, session: WriteSession):
    return keys.rotate(session, partner_id, account_id=who.account_id).as_dict()


@router.delete("/keys/{partner_id}", status_code=204, summary="Revoke a key")
async def revoke_key(partner_id: str, who: CurrentPrincipal, session: WriteSession):
    keys.revoke(session, partner_id, account_id=who.account_id)
    return Response(status_code=204)
