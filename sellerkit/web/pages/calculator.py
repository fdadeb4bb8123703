"""Calculator: one product, by ASIN from the catalog or by price, dimensions and category, with
FBA and FBM side by side (RocketSource's calculator service, as `POST /api/v3/calculate`)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import Request
from pydantic import ValidationError

from sellerkit.calculator.schemas import CalculateRequest
from sellerkit.calculator.service import calculator
from sellerkit.domain.marketplaces import MARKETPLACES
from sellerkit.errors import SellerkitError
from sellerkit.web.page import CurrentUser, page_router, read, render

router = page_router()

FIELDS = ("marketplace", "asin", "price", "cost", "category", "length", "width", "height", "weight",
          "shipping_charge", "prep_cost")


def _request(form: dict[str, str], fulfilment: str) -> CalculateRequest:
    """The form's fields as the API's request: empty fields are left to the catalog."""
    given = {k: v.strip() for k, v in form.items() if v and v.strip()}
    body: dict = {"marketplace": given.get("marketplace", "US"), "fulfilment": fulfilment}
    for name in ("asin", "price", "cost", "category", "prep_cost"):
        if name in given:
            body[name] = given[name]
    if fulfilment == "FBM" and "shipping_charge" in given:
        body["shipping_charge"] = given["shipping_charge"]
    dims = [given.get(k) for k in ("length", "width", "height", "weight")]
    if any(dims):
        body["package_dimensions"] = dict(zip(("length", "width", "height", "weight"), dims))
    return CalculateRequest(**body)


def _messages(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:4])


@router.get("/calculator")
async def calculator_page(request: Request, user: CurrentUser):
    form = {k: request.query_params.get(k, "")[:80] for k in FIELDS}
    form["marketplace"] = form["marketplace"] or "US"
    results, error = None, None
    if form["asin"].strip() or form["price"].strip():
        try:
            requests = {f: _request(form, f) for f in ("FBA", "FBM")}
            results = await read(request, lambda r: {f: calculator.calculate(r, q) for f, q in requests.items()})
        except ValidationError as exc:
            error = _messages(exc)
        except SellerkitError as exc:
            error = exc.message
    return render(request, "calculator.html", {
        "title": "Calculator", "form": form, "results": results, "error": error,
        "marketplaces": list(MARKETPLACES), "zero": Decimal(0),
    }, status_code=400 if error else 200)
