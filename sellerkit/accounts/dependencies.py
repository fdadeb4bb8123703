"""Authentication for every dialect: one key, accepted in each style the references use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sellerkit.accounts.service import Principal, keys
from sellerkit.errors import Unauthorized
from sellerkit.kit.http import DbReader

_MISSING = (
    "missing API key: send it as `Authorization: Bearer <key>`, a `Token: <key>` or "
    "`X-Api-Key: <key>` header, or the `key` query parameter"
)


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


async def require_principal(request: Request, reader: DbReader) -> Principal:
    secret = key_from_request(request)
    if secret is None:
        raise Unauthorized(_MISSING)
    principal = keys.authenticate(reader, secret)
    if principal is None:
        raise Unauthorized("invalid API key: it was never issued, was rotated or was revoked")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
