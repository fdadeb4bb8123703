"""RocketSource's single-product calculator: `POST /api/v3/calculate`."""

from __future__ import annotations

from fastapi import APIRouter

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.calculator.schemas import CalculateRequest
from sellerkit.calculator.service import calculator
from sellerkit.kit.http import JSON, DbReader

router = APIRouter(prefix="/api/v3", tags=["RocketSource: calculator"])


@router.post(
    "/calculate",
    summary="Fees, profit, margin, ROI and monthly sales for one product (by ASIN or explicit inputs)",
)
async def calculate(body: CalculateRequest, _who: CurrentPrincipal, reader: DbReader):
    return JSON(calculator.calculate(reader, body))
