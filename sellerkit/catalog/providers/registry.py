"""Which providers a seller account has: built from its stored connections and the settings.

`providers_for` is the one place surfaces ask; `serving` keeps those that serve a marketplace;
`unavailable` says which live data no provider gives and what turns it on.
"""

from __future__ import annotations

import hashlib
import threading
import time

from sellerkit.catalog.providers.base import Provider
from sellerkit.catalog.providers.budget import Budgets

SCAN_KINDS = ("catalog", "pricing", "fees", "offers", "restrictions")  # the live data a scan uses


def _turned_on_by(kind: str) -> str:
    """The providers giving `kind` and what turns each on (connections.PROVIDERS says who gives what)."""
    from sellerkit.catalog.providers.connections import PROVIDERS, TURN_ON

    return " or ".join(f"{info.label} ({TURN_ON[name]})" for name, info in PROVIDERS.items() if kind in info.kinds)


CONNECTIONS_TTL = 30.0  # seconds an account's connections are reused before the database is read again


def providers_for(db, settings, budgets: Budgets, account_id: int) -> list[Provider]:
    """The account's providers, in the order they are asked: SP-API (free, rate-limited) before
    Keepa (whose tokens cost money). From its connections (`connections.connections_for`: stored,
    or the SELLERKIT_SPAPI_* / SELLERKIT_KEEPA_KEY settings for the default account), read at
    most every CONNECTIONS_TTL seconds per account and process: a look-up pays no query, and a
    connection made or removed with `sellerkit providers` is seen within that time."""
    found = {c.provider: c for c in _connections(db, settings, account_id)}
    out: list[Provider] = []
    if "spapi" in found:
        out.append(_spapi(found["spapi"], settings, budgets))
    if "keepa" in found:
        out.append(_keepa(found["keepa"], settings, budgets))
    return out


_connections_cache: dict[tuple, tuple[float, list]] = {}


def _connections(db, settings, account_id: int) -> list:
    from sellerkit.catalog.providers.connections import connections

    key = (getattr(db, "url", id(db)), account_id, settings.spapi_refresh_token, settings.spapi_client_id,
           settings.spapi_client_secret, settings.spapi_seller_id, settings.keepa_key, settings.secret_key)
    now = time.monotonic()
    with _cache_lock:
        hit = _connections_cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    found = connections.connections_for(db, settings, account_id)
    with _cache_lock:
        _connections_cache[key] = (now + CONNECTIONS_TTL, found)
    return found


def forget_connections() -> None:
    """Read every account's connections again at the next call (after connect or disconnect in
    this process)."""
    with _cache_lock:
        _connections_cache.clear()


def is_shared(provider: Provider) -> bool:
    """Kept for the process (an SP-API provider holds its access token): a caller whose event
    loop lives on must not close it after one use."""
    with _cache_lock:
        return any(p is provider for p in _spapi_cache.values())


# One SP-API provider per connection and process: it keeps the LWA access token (an exchange
# per look-up would cost a round trip to Amazon) and an HTTP client per event loop.
_spapi_cache: dict[tuple, Provider] = {}
_cache_lock = threading.Lock()


def _spapi(connection, settings, budgets: Budgets) -> Provider:
    from sellerkit.catalog.providers.spapi import Credentials, SpApiProvider

    secret = settings.spapi_client_secret.get_secret_value() if settings.spapi_client_secret else ""
    key = (connection.account_id, hashlib.sha256(f"{connection.secret}\0{secret}".encode()).hexdigest(),
           connection.seller_id, connection.marketplaces, settings.spapi_client_id, settings.spapi_endpoint,
           settings.spapi_lwa_url, settings.spapi_timeout, settings.spapi_max_retries, id(budgets))
    with _cache_lock:
        provider = _spapi_cache.get(key)
        if provider is None:
            provider = SpApiProvider(
                Credentials(connection.secret, settings.spapi_client_id or "", secret),
                account_id=connection.account_id, budgets=budgets, seller_id=connection.seller_id,
                endpoint=settings.spapi_endpoint, token_url=settings.spapi_lwa_url,
                timeout=settings.spapi_timeout, max_retries=settings.spapi_max_retries)
            provider.marketplaces = frozenset(connection.marketplaces)
            _spapi_cache[key] = provider
        return provider


def _keepa(connection, settings, budgets: Budgets) -> Provider:
    """A new one each time: it holds nothing worth keeping (the key is sent with every call)."""
    from sellerkit.catalog.providers.keepa import KeepaProvider

    provider = KeepaProvider(connection.secret, account_id=connection.account_id, budgets=budgets,
                             endpoint=settings.keepa_endpoint)
    provider.marketplaces = frozenset(connection.marketplaces)
    return provider


def serving(providers: list[Provider], marketplace: str) -> list[Provider]:
    """Those serving a marketplace: a provider with a `marketplaces` collection serves those
    only; one without serves every marketplace."""
    return [p for p in providers if getattr(p, "marketplaces", None) is None or marketplace in p.marketplaces]


def unavailable(providers: list[Provider]) -> list[dict[str, str]]:
    """Each kind of live data a scan uses that no provider gives, and what turns it on."""
    have = set().union(*(p.kinds for p in providers)) if providers else set()
    return [{"data": kind, "turn_on": _turned_on_by(kind)} for kind in SCAN_KINDS if kind not in have]
