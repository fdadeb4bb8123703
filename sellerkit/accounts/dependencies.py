"""Authentication for every dialect: one key, accepted in each style the references use, and the
key's request rate checked on every route that takes a key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from sellerkit.accounts.service import Principal, keys
from sellerkit.errors import Invalid, SellerkitError, Unauthorized
from sellerkit.kit.http import RATE_LIMIT_SCOPE_KEY, DbReader, database

_MISSING = (
    "missing API key: send it as `Authorization: Bearer <key>`, a `Token: <key>` or "
    "`X-Api-Key: <key>` header, or the `key` query parameter"
)
_INVALID = "invalid API key: it was never issued, was rotated or was revoked"
MAX_KEY_CHARS = 200  # keys are about 50; a longer one is refused before it is hashed


def key_from_request(request: Request) -> str | None:
    headers = request.headers
    auth = headers.get("authorization")
    if auth:
        scheme, _, rest = auth.strip().partition(" ")
        if scheme.rstrip(":").lower() in ("bearer", "token") and rest.strip():
            return rest.strip()
        if " " not in auth.strip():
            return auth.strip()
    for name in ("token", "x-api-key"):
        value = headers.get(name)
        if value and value.strip():
            return value.strip()
    value = request.query_params.get("key")
    return value.strip() if value and value.strip() else None


def authenticate(request: Request, reader, missing: type[SellerkitError] = Unauthorized) -> Principal:
    """The caller's key, then one request against its rate limit (429 beyond it). The decision's
    `X-RateLimit-*` headers go on the reply (`kit.http.RateLimitHeaders`)."""
    secret = key_from_request(request)
    if secret is None:
        raise missing(_MISSING)
    principal = keys.authenticate(reader, secret) if len(secret) <= MAX_KEY_CHARS else None
    if principal is None:
        raise Unauthorized(_INVALID)
    request.state.principal = principal
    decision = request.app.state.quotas.check_rate(principal)
    request.scope[RATE_LIMIT_SCOPE_KEY] = decision.headers()
    return principal


async def require_principal(request: Request, reader: DbReader) -> Principal:
    already = getattr(request.state, "principal", None)  # checked before the body (KeyFirstRoute)
    return already if already is not None else authenticate(request, reader)


class KeyFirstRoute(APIRoute):
    """Routes whose body is an upload (`kit.http.takes_upload`) check the key from the headers
    before the body is read: FastAPI parses a form before it resolves dependencies, so a request
    without a valid key would otherwise have its whole file read (and spooled to disk) first.
    The key's request is counted once: `require_principal` then takes the principal found here."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        if not getattr(self.endpoint, "takes_upload", False):
            return handler

        async def route(request: Request):
            with database(request).reader() as reader:
                authenticate(request, reader)
            return await handler(request)

        return route


async def require_principal_400(request: Request, reader: DbReader) -> Principal:
    """ASINScope's `/account/tokens`: a missing key is 400 there (an invalid one still 401)."""
    return authenticate(request, reader, missing=Invalid)


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
TokensPrincipal = Annotated[Principal, Depends(require_principal_400)]
