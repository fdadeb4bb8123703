"""Which providers a seller account has: built from its stored connections and the settings.

`providers_for` is the one place surfaces ask; `serving` keeps those that serve a marketplace;
`unavailable` says which live data no provider gives and what turns it on.
"""

from __future__ import annotations

from sellerkit.catalog.providers.base import Provider
from sellerkit.catalog.providers.budget import Budgets

# What a seller connects to get each kind of live data (the scan status and the look-up say it).
SPAPI_ON = ("SELLERKIT_SPAPI_REFRESH_TOKEN and SELLERKIT_SPAPI_SELLER_ID (with SELLERKIT_SPAPI_CLIENT_ID and "
            "SELLERKIT_SPAPI_CLIENT_SECRET), or `sellerkit providers connect amazon`")
KEEPA_ON = "SELLERKIT_KEEPA_KEY"
TURNED_ON_BY: dict[str, str] = {
    "catalog": f"Amazon SP-API ({SPAPI_ON}) or Keepa ({KEEPA_ON})",
    "pricing": f"Amazon SP-API ({SPAPI_ON}) or Keepa ({KEEPA_ON})",
    "fees": f"Amazon SP-API ({SPAPI_ON})",
    "offers": f"Amazon SP-API ({SPAPI_ON}) or Keepa ({KEEPA_ON})",
    "restrictions": f"Amazon SP-API ({SPAPI_ON})",
}


def providers_for(db, settings, budgets: Budgets, account_id: int) -> list[Provider]:
    """The account's providers, in the order they are asked (SP-API before Keepa, whose tokens
    cost money). Filled from the stored connections and SELLERKIT_SPAPI_* / SELLERKIT_KEEPA_KEY
    once the concrete providers are merged; until then no account has any."""
    return []


def serving(providers: list[Provider], marketplace: str) -> list[Provider]:
    """Those serving a marketplace: a provider with a `marketplaces` collection serves those
    only; one without serves every marketplace."""
    return [p for p in providers if getattr(p, "marketplaces", None) is None or marketplace in p.marketplaces]


def unavailable(providers: list[Provider]) -> list[dict[str, str]]:
    """Each kind of live data a scan uses that no provider gives, and what turns it on."""
    have = set().union(*(p.kinds for p in providers)) if providers else set()
    return [{"data": kind, "turn_on": how} for kind, how in TURNED_ON_BY.items() if kind not in have]
