"""Look-up: ASINs, UPCs or EANs to products (ASINScope's `GET /products/lookup`), with the token
cost shown before the look-up (as the codes are typed) and what it cost after."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from sellerkit.accounts.service import Principal, keys
from sellerkit.catalog.lookup import lookups
from sellerkit.domain.lookup import MAX_CODES, MAX_QUERY_CHARS
from sellerkit.domain.marketplaces import ASINSCOPE_DOMAINS
from sellerkit.errors import SellerkitError
from sellerkit.web.page import CurrentUser, page_router, read, render, service
from sellerkit.web.pages.keys import tokens_today

router = page_router()

KINDS = ("asin", "upc", "ean")
Codes = Annotated[str, Form(max_length=MAX_QUERY_CHARS * 2)]
Kind = Annotated[str, Form(pattern="^(asin|upc|ean)$")]
Domain = Annotated[str, Form(max_length=10)]


def _codes(text: str) -> str:
    """The textarea's codes (one a line, or separated by commas or spaces) as the API's list."""
    return ",".join(text.replace("\n", ",").replace(" ", ",").split(","))


def _query(kind: str, codes: str, domain: str):
    return lookups.query(**{k: codes if k == kind else None for k in KINDS}, domain=domain)


def _preview(kind: str, codes: str, domain: str) -> dict:
    """What the look-up would cost, or why it would be refused, before it is made."""
    if not codes.strip(","):
        return {"cost": 0, "error": None}
    try:
        return {"cost": _query(kind, codes, domain).cost, "error": None}
    except SellerkitError as exc:
        return {"cost": None, "error": exc.message}


async def _plan(request: Request, account_id: int) -> str | None:
    return (await service(request, lambda s: keys.account(s, account_id)))["plan"]


def _context(request: Request, user, form: dict, **extra) -> dict:
    return {"title": "Look-up", "form": form, "kinds": KINDS, "domains": ASINSCOPE_DOMAINS, "max_codes": MAX_CODES,
            "preview": _preview(form["kind"], _codes(form["codes"]), form["domain"]), **extra}


@router.get("/lookup")
async def lookup_page(request: Request, user: CurrentUser):
    form = {"kind": "asin", "codes": "", "domain": "com"}
    tokens = tokens_today(request, user.account_id, await _plan(request, user.account_id))
    return render(request, "lookup.html", _context(request, user, form, tokens=tokens))


@router.post("/lookup/cost")
async def lookup_cost(request: Request, user: CurrentUser, kind: Kind = "asin", codes: Codes = "",
                      domain: Domain = "com"):
    """htmx: the cost line, refreshed as the codes are typed (nothing is spent)."""
    return render(request, "_lookup_cost.html", {"preview": _preview(kind, _codes(codes), domain),
                                                 "max_codes": MAX_CODES})


@router.post("/lookup")
async def lookup(request: Request, user: CurrentUser, kind: Kind, codes: Codes, domain: Domain = "com"):
    form = {"kind": kind, "codes": codes, "domain": domain}
    plan = await _plan(request, user.account_id)
    before = tokens_today(request, user.account_id, plan)
    who = Principal(0, user.account_id, "", plan, None)
    try:
        query = _query(kind, _codes(codes), domain)
        charge = request.app.state.quotas.charge(who, query.cost)  # refused: nothing spent, nothing asked
        db, settings = request.app.state.db, request.app.state.settings
        await lookups.refresh(db, settings, user.account_id, query)
        items = await read(request, lambda r: lookups.items(r, query, data_dir=settings.data_dir))
    except SellerkitError as exc:
        return render(request, "lookup.html", _context(request, user, form, tokens=before, error=exc.message),
                      status_code=exc.status_code)
    after = tokens_today(request, user.account_id, plan)
    return render(request, "lookup.html", _context(request, user, form, tokens=after, before=before,
                                                   items=items, spent=charge.cost, asked=len(query.codes)))
