"""RocketSource's single-product calculator: `POST /api/v3/calculate`."""

from __future__ import annotations

from fastapi import APIRouter

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.calculator.schemas import CalculateReply, CalculateRequest
from sellerkit.calculator.service import calculator
from sellerkit.kit.http import JSON, DbReader

router = APIRouter(prefix="/api/v3", tags=["RocketSource: calculator"])


@router.post(
    "/calculate",
    summary="Fees, profit, margin, ROI and monthly sales for one product (by ASIN or explicit inputs)",
    response_model=CalculateReply,
    responses={
        400: {"description": "Invalid input, or a product that cannot be priced: the message names every "
                             "missing input (price, dimensions, category: in the request or the catalog) or the "
                             "value the fee schedule does not cover."},
        404: {"description": "The `asin` is not in the marketplace's catalog."},
    },
)
async def calculate(body: CalculateRequest, _who: CurrentPrincipal, reader: DbReader):
    return JSON(calculator.calculate(reader, body))
