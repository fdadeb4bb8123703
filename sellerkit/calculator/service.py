"""The calculator use case: fees, financials and sales estimates for one product.

Reached by `POST /api/v3/calculate` and `sellerkit fees`; scans use the same domain functions in
their vectorised form.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal

from sellerkit.calculator import repository as repo
from sellerkit.calculator.schemas import CalculateRequest
from sellerkit.catalog.service import resolve_marketplace
from sellerkit.domain import sales
from sellerkit.domain.fees import (APPAREL_CATEGORIES, FeeBreakdown, FeeError, FeeOptions, Package, compute,
                                   schedule_for, tier_title)
from sellerkit.domain.money import cents, quantise
from sellerkit.domain.profit import CostError, CostOptions, MultipackPrep, financials, sale_price
from sellerkit.domain.quoting import quote
from sellerkit.errors import Invalid, NotFound
from sellerkit.kit.db import Reader

MODEL_TTL = 3_600  # seconds a category's rank model is reused before it is fitted again


def _cents(value: Decimal | None) -> int:
    return cents(value or 0, "amount")


UNITS = ("imperial", "metric")  # inches and pounds (the catalog's units), or centimetres and grams


def package_of(dims: dict, field: str = "package_dimensions", units: str = "imperial") -> Package:
    missing = [k for k in ("length", "width", "height", "weight") if dims.get(k) is None]
    if missing:
        raise Invalid(f"{field}: missing {', '.join(missing)}")
    make = Package.metric if units == "metric" else Package.of
    try:
        return make(dims["length"], dims["width"], dims["height"], dims["weight"])
    except (FeeError, ValueError) as exc:
        raise Invalid(f"{field}: {exc}") from None


def _missing_message(missing: list[str], asin: str | None) -> str:
    """Every input the calculation lacks, named at once (`{}` names them all)."""
    names, them = ", ".join(missing), "it" if len(missing) == 1 else "them"
    if asin:
        return f"{names}: required (the catalog has none for {quote(asin)}); send {them}"
    return f"{names}: required without an asin; send {them}, or an asin the catalog holds"


class Calculator:
    def __init__(self) -> None:
        self._models: dict[tuple[str, str], tuple[float, sales.RankModel | None]] = {}

    def rank_model(self, reader: Reader, marketplace: str, category: str) -> sales.RankModel | None:
        key = (marketplace, category)
        cached = self._models.get(key)
        if cached is None or time.monotonic() - cached[0] > MODEL_TTL:
            model = sales.fit_rank_model(repo.rank_sales_points(reader, marketplace, category), category)
            self._models[key] = cached = (time.monotonic(), model)
        return cached[1]

    def fees(self, marketplace: str, package: Package, price: int, category: str, when: date,
             options: FeeOptions = FeeOptions()) -> FeeBreakdown:
        try:
            return compute(schedule_for(resolve_marketplace(marketplace), when), package, price, category,
                           when, options)
        except FeeError as exc:
            raise Invalid(str(exc)) from None

    def calculate(self, reader: Reader, req: CalculateRequest, now: datetime | None = None) -> dict:
        now = now or datetime.now(UTC)
        mp = resolve_marketplace(req.marketplace)
        record: dict = {}
        asin = req.asin.strip().upper() if req.asin else None
        if asin:
            record = repo.product(reader, mp, asin) or {}
            if not record:
                raise NotFound(f"asin: {quote(asin)} is not in the {mp} catalog")
        if req.price is not None:
            price, price_source = _cents(req.price), "request"
        else:
            price, price_source = sale_price(record)
        dims = req.package_dimensions.model_dump() if req.package_dimensions else record.get("package_dimensions")
        category = req.category or record.get("category")
        missing = [name for name, value in (("price", price), ("package_dimensions", dims), ("category", category))
                   if not value and value != 0]
        if missing:
            raise Invalid(_missing_message(missing, asin))
        when = req.date or now.date()
        try:
            schedule = schedule_for(mp, when)
            slug = schedule.category(category).slug
        except FeeError as exc:
            raise Invalid(str(exc)) from None
        apparel = req.apparel if req.apparel is not None else slug in APPAREL_CATEGORIES
        dangerous = req.dangerous_goods if req.dangerous_goods is not None else bool(record.get("is_hazmat"))
        fee_options = FeeOptions(
            fulfilment=req.fulfilment, apparel=apparel, dangerous_goods=dangerous,
            individual_plan=req.individual_plan, shipping_charge=_cents(req.shipping_charge),
            placement=req.inbound_placement,
            placement_fee=_cents(req.inbound_placement_fee) if req.inbound_placement_fee is not None else None,
        )
        package = package_of(dims, units=req.package_dimensions.units if req.package_dimensions else "imperial")
        try:
            breakdown = compute(schedule, package, price, slug, when, fee_options)
        except FeeError as exc:
            raise Invalid(str(exc)) from None
        mp_prep = req.multipack_prep_cost
        try:
            cost_options = CostOptions(
                discount_supplier_bp=quantise(req.discount_supplier, 100, "discount_supplier"),
                prep_cost=_cents(req.prep_cost),
                multipack_prep=MultipackPrep(mp_prep.firstN, _cents(mp_prep.costForFirstN), _cents(mp_prep.costForRest))
                if mp_prep and mp_prep.enabled else None,
                multipack_override=req.multipack_override,
                multipack_override_quantity=req.multipack_override_quantity,
                inbound_per_lb=_cents(req.inbound_shipping_per_lb),
                storage_months=req.storage_months,
            )
            money = financials(
                price, breakdown.total, breakdown.monthly_storage_fee, breakdown.charged_weight,
                breakdown.weight_scale, _cents(req.cost), cost_options,
                supplier_pack_quantity=req.supplier_pack_quantity,
                amazon_pack_quantity=req.amazon_pack_quantity or record.get("amazon_pack_quantity"),
                discount_per_product_bp=quantise(req.discount_per_product, 100, "discount_per_product"),
            )
        except CostError as exc:
            raise Invalid(str(exc)) from None
        history = repo.rank_history(reader, mp, asin, now - sales.WINDOW) if asin else []
        rank = record.get("rank")
        model = self.rank_model(reader, mp, category) if rank and not record.get("monthly_sold") else None
        estimate = sales.estimate(record.get("monthly_sold"), history, now, rank, model)
        offers = sum(record.get(k) or 0 for k in ("new_fba_offers_count", "new_fbm_offers_count")) or None
        return {
            "asin": asin,
            "marketplace": mp,
            "price": price,
            "price_source": price_source,
            "size_tier": tier_title(breakdown.size_tier),
            "inputs": {
                "cost": _cents(req.cost),
                "supplier_pack_quantity": req.supplier_pack_quantity,
                "amazon_pack_quantity": money.amazon_pack_quantity,
                "discount_cost": money.discount_cost,
                "total_cogs": money.total_cogs,
            },
            "financials": {
                "profit": money.profit, "margin": money.margin, "roi": money.roi,
                "net_revenue": money.net_revenue, "discount_cost": money.discount_cost,
                "total_cogs": money.total_cogs, "prep_cost": money.prep_cost,
                "inbound_shipping": money.inbound_shipping, "fba_storage_fees": money.fba_storage_fees,
            },
            "amazon_fees": {
                "referral_fee": breakdown.referral_fee,
                "fba_fees": breakdown.fba_fee,
                "per_item_fee": breakdown.per_item_fee or None,
                "variable_closing_fee": breakdown.variable_closing_fee or None,
                "inbound_placement_fee": breakdown.inbound_placement_fee or None,
                "error": None,
            },
            "fee_breakdown": breakdown.as_dict(),
            **sales.monthly_figures(estimate.units_per_month, price, money.profit, offers),
            "sales_estimate": estimate.as_dict(),
        }


calculator = Calculator()
