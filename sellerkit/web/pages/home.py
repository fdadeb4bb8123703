"""Home: the account at a glance: recent scans with their state, tokens left, today's orders and
the tracked collections due next."""

from __future__ import annotations

from datetime import UTC, datetime, time

from fastapi import Request

from sellerkit.accounts.service import keys
from sellerkit.commerce.orders_service import orders
from sellerkit.scans.service import scans
from sellerkit.tracking.service import tracking
from sellerkit.web.page import CurrentUser, page_router, render, service
from sellerkit.web.pages.keys import tokens_today

router = page_router()

SHOWN = 5  # rows of each list; each links to its full page


def _overview(session, account_id: int) -> dict:
    midnight = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
    todays, _items = orders.page(session, account_id, {"purchased_at_start": midnight}, "purchased_at", True,
                                 1, SHOWN)
    collections = tracking.collections(session, account_id, 0, 200)["collections"]
    due = sorted((c for c in collections if c["next_run_at"] and not c["is_paused"]),
                 key=lambda c: c["next_run_at"])[:SHOWN]
    return {
        "plan": keys.account(session, account_id)["plan"],
        "scans": scans.list(session, account_id, 1, SHOWN)["data"],
        "orders": [{"id": o.id, "order_number": o.order_number, "status": o.status, "buyer": o.buyer_name or "",
                    "purchased_at": o.purchased_at} for o in todays],
        "due": due,
    }


@router.get("/")
async def home(request: Request, user: CurrentUser):
    overview = await service(request, lambda s: _overview(s, user.account_id))
    tokens = tokens_today(request, user.account_id, overview["plan"])
    return render(request, "home.html", {"title": "Home", "tokens": tokens, **overview})
