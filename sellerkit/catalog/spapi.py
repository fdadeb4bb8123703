"""The SP-API client of the settings' default connection (SELLERKIT_SPAPI_*), as
`/api/v3/inbound-eligibility` uses it. Everything lives in `providers/spapi.py` now; this module
keeps its old names importable.

`SpApiClient` is an `SpApiProvider` that may be unconfigured (no credentials: every call raises
`SpApiNotConfigured`) and, unless given the process's budgets, paces itself with budgets of its
own over its `clock` and `sleep` (tests pass fake time).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.catalog.providers.spapi import (  # noqa: F401 - re-exported
    ELIGIBILITY_PATH,
    ENDPOINTS,
    LWA_TOKEN_URL,
    REGION_OF,
    REGIONS,
    TOKEN_MARGIN,
    USER_AGENT,
    Credentials,
    ItemEligibility,
    Sleep,
    SpApiAuthError,
    SpApiError,
    SpApiInvalidInput,
    SpApiNotConfigured,
    SpApiNotFound,
    SpApiProvider,
    SpApiThrottled,
    SpApiUnavailable,
    endpoint_for,
)

SETTINGS_ACCOUNT_ID = 0  # the budgets' account of the SELLERKIT_SPAPI_* connection


class SpApiClient(SpApiProvider):
    def __init__(
        self,
        credentials: Credentials | None,
        *,
        account_id: int = SETTINGS_ACCOUNT_ID,
        budgets: Budgets | None = None,
        endpoint: str | None = None,
        token_url: str = LWA_TOKEN_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        **kwargs,
    ) -> None:
        if budgets is None:
            budgets = Budgets(MemoryBudgets(clock if clock is not time.monotonic else time.time), sleep=sleep)
        super().__init__(credentials, account_id=account_id, budgets=budgets, endpoint=endpoint,
                         token_url=token_url, timeout=timeout, max_retries=max_retries,
                         transport=transport, clock=clock, sleep=sleep, **kwargs)

    @classmethod
    def from_settings(cls, settings, *, budgets: Budgets | None = None,  # type: ignore[override]
                      account_id: int = SETTINGS_ACCOUNT_ID, **kwargs) -> SpApiClient:
        """As `SpApiProvider.from_settings`, on budgets of its own unless given the process's."""
        return super().from_settings(settings, budgets=budgets, account_id=account_id, **kwargs)
