"""Home: the account at a glance."""

from __future__ import annotations

from fastapi import Request

from sellerkit.web.page import CurrentUser, page_router, render

router = page_router()


@router.get("/")
async def home(request: Request, user: CurrentUser):
    return render(request, "home.html", {"title": "Home"})
