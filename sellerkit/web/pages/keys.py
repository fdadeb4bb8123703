"""Keys and plan: the account's API keys (create, rotate, revoke; a secret is shown once, on
the reply to the form that made it), its plan, request rate and tokens used today."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from sellerkit.accounts.service import KEY_NAME_MAX, Principal, keys
from sellerkit.domain.plans import plan as get_plan
from sellerkit.errors import SellerkitError
from sellerkit.web.page import CurrentUser, page_router, redirect, render, service

router = page_router()

PartnerId = Annotated[str, Form(min_length=1, max_length=40)]


def tokens_today(request: Request, account_id: int, plan: str | None) -> dict | None:
    """The account's tokens as the API's `/account/tokens` answers them (none consumed); None
    without a plan. The quota store is per account: any key of it gives the same answer."""
    if plan is None:
        return None
    status = request.app.state.quotas.status(Principal(0, account_id, "", plan, None))
    used = None if status.daily_limit is None else status.daily_limit - (status.daily_left or 0)
    return {"daily_limit": status.daily_limit, "daily_left": status.daily_left, "used": used,
            "bucket_left": status.bucket_left, "capacity": status.capacity, "per_minute": status.per_minute,
            "hours_to_reset": round(status.reset_in / 3600, 1)}


async def _page(request: Request, user, issued: dict | None = None, error: str | None = None,
                status_code: int = 200):
    account = await service(request, lambda s: keys.account(s, user.account_id))
    listed = await service(request, lambda s: keys.list(s, user.account_id))
    settings = request.app.state.settings
    plan = get_plan(account["plan"]) if account["plan"] else None
    return render(request, "keys.html", {
        "title": "Keys and plan", "account": account, "keys": listed, "plan": plan, "issued": issued,
        "error": error, "tokens": tokens_today(request, user.account_id, account["plan"]),
        "default_rps": settings.rate_limit_rps, "account_rps": settings.account_rate_limit_rps,
        "name_max": KEY_NAME_MAX,
    }, status_code=status_code)


@router.get("/keys")
async def keys_page(request: Request, user: CurrentUser):
    return await _page(request, user)


@router.post("/keys")
async def create_key(request: Request, user: CurrentUser, name: Annotated[str, Form(max_length=200)]):
    cap = request.app.state.settings.max_keys_per_account
    try:
        issued = await service(request, lambda s: keys.create(
            s, name=name, plan=None, account=str(user.account_id), max_keys=cap).as_dict(), write=True)
    except SellerkitError as exc:
        return await _page(request, user, error=exc.message, status_code=exc.status_code)
    return await _page(request, user, issued={**issued, "action": "created", "name": name.strip()})


@router.post("/keys/rotate")
async def rotate_key(request: Request, user: CurrentUser, partner_id: PartnerId):
    issued = await service(request, lambda s: keys.rotate(s, partner_id, account_id=user.account_id).as_dict(),
                           write=True)
    return await _page(request, user, issued={**issued, "action": "rotated"})


@router.post("/keys/revoke")
async def revoke_key(request: Request, user: CurrentUser, partner_id: PartnerId):
    await service(request, lambda s: keys.revoke(s, partner_id, account_id=user.account_id), write=True)
    return redirect(request, "/keys", f"Key {partner_id} is revoked: it no longer authenticates.")
