"""RocketSource-dialect `GET /api/v3/quotas`: the state of every provider budget of the caller's
seller account (docs/providers.md, "Budgets and quotas")."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.catalog.providers.quotas import QuotasReply, memory_note, quotas_reply
from sellerkit.kit.http import JSON

router = APIRouter(prefix="/api/v3", tags=["RocketSource: quotas"])


@router.get(
    "/quotas",
    summary="Every provider budget of your account: rate, burst, what is available now and when the next call goes",
    description="One budget per provider operation (SP-API `searchCatalogItems`, `getCompetitivePricing` ...; "
    "Keepa `tokens`) of the calling key's account, shared by every scan and look-up of that account and by "
    "every server and worker process when Redis is configured. Operations not used yet are listed as `idle` "
    "at their documented limits. Reads only: asking costs no quota.",
    response_model=QuotasReply,
    responses={503: {"description": "The budgets are on Redis (SELLERKIT_REDIS_URL) and Redis did not answer; "
                                    "retry shortly."}},
)
async def quotas(request: Request, who: CurrentPrincipal):
    settings = request.app.state.settings
    budgets = request.app.state.budgets
    note = memory_note(settings.workers) if budgets.kind == "memory" else None
    return JSON(quotas_reply(budgets, who.account_id, note))
