"""The Python SDK: `Client` (blocking) and `AsyncClient` (asyncio) over httpx.

Only httpx and the standard library: it imports nothing of the server.
"""

from sellerkit.sdk.client import NO_FALLBACK, AsyncClient, Client
from sellerkit.sdk.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeout,
    BadRequest,
    Conflict,
    DailyLimitReached,
    Forbidden,
    NotEnoughTokens,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    SellerkitClientError,
    ServerError,
    Unauthorized,
)
from sellerkit.sdk.models import (
    Eligibility,
    Export,
    LookupResult,
    PackageDimensions,
    Product,
    ResultsPage,
    Scan,
    ScanList,
    Tokens,
)

__all__ = [
    "NO_FALLBACK", "AsyncClient", "Client",
    "APIConnectionError", "APIStatusError", "APITimeout", "BadRequest", "Conflict", "DailyLimitReached",
    "Forbidden", "NotEnoughTokens", "NotFound", "PayloadTooLarge", "RateLimited", "SellerkitClientError",
    "ServerError", "Unauthorized",
    "Eligibility", "Export", "LookupResult", "PackageDimensions", "Product", "ResultsPage", "Scan", "ScanList", "Tokens",
]
