"""Authentication for every dialect: one key, accepted in each style the references use, and the
key's request rate checked on every route that takes a key."""

from __future__ import annotations

import inspect
import json
from typing import Annotated, get_args

import annotated_types
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from sellerkit.accounts.service import Principal, keys
from sellerkit.errors import Invalid, SellerkitError, Unauthorized
from sellerkit.kit.http import RATE_LIMIT_SCOPE_KEY, DbReader, database

_MISSING = (
    "missing API key: send it as `Authorization: Bearer <key>`, a `Token: <key>` or "
    "`X-Api-Key: <key>` header, or the `key` query parameter"
)
_INVALID = "invalid API key: it was never issued, was rotated or was revoked"
_READER = get_args(DbReader)[1].dependency  # the reader dependency, as routes declare it
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


class DirectRoute(APIRoute):
    """A hot route's inputs resolved without FastAPI's dependency solver, which costs more than
    the work on the look-up and convert routes (about 200 us a request for a key, a reader and
    four query strings: docs/performance.md).

    The route is declared as any other: its signature still makes the OpenAPI document and the
    key's documentation. A request whose inputs are plainly valid (each query parameter a string
    within its `max_length`, a JSON object body that the body model accepts) calls the endpoint
    with them, the caller's principal and a reader, as FastAPI would; any other request goes
    through FastAPI's own handler, so every error stays FastAPI's, word for word. Endpoints with
    inputs of other kinds (headers, path parameters, other dependencies) always take FastAPI's
    handler."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        plan = _direct_plan(self)
        if plan is None:
            return handler
        request_name, principal_name, reader_name, queries, body = plan

        async def direct(request: Request):
            values = {}
            if queries:
                params = request.query_params
                for name, alias, max_length, default in queries:
                    value = params.get(alias)
                    if value is None:
                        values[name] = default
                    elif max_length is not None and len(value) > max_length:
                        return await handler(request)  # FastAPI's 400 naming the parameter
                    else:
                        values[name] = value
            if body is not None:
                name, model = body
                raw = await request.body()  # kept on the request: FastAPI's handler reads it again
                if not raw or not request.headers.get("content-type", "").startswith("application/json"):
                    return await handler(request)
                try:
                    values[name] = model.model_validate(json.loads(raw))  # as FastAPI: json, then the model
                except (ValueError, ValidationError):
                    return await handler(request)
            with database(request).reader() as reader:
                if request_name:
                    values[request_name] = request
                if reader_name:
                    values[reader_name] = reader
                values[principal_name] = await require_principal(request, reader)
                reply = await self.endpoint(**values)
            if not isinstance(reply, Response):
                raise TypeError(f"{self.path}: a DirectRoute endpoint returns a Response")
            return reply

        return direct


def _direct_plan(route: APIRoute):
    """What `DirectRoute` resolves for the route, or None when it has inputs of another kind."""
    dep = route.dependant
    if not inspect.iscoroutinefunction(route.endpoint) or dep.header_params or dep.cookie_params \
            or dep.path_params or dep.response_param_name or dep.background_tasks_param_name \
            or dep.websocket_param_name or dep.security_scopes_param_name:
        return None
    principal_name = reader_name = None
    for sub in dep.dependencies:
        if sub.call is require_principal:
            principal_name = sub.name
        elif sub.call is _READER:
            reader_name = sub.name
        else:
            return None
    if principal_name is None:
        return None
    queries = []
    for field in dep.query_params:
        info = field.field_info
        if info.annotation not in (str, str | None) or info.is_required() \
                or any(not isinstance(m, annotated_types.MaxLen) for m in info.metadata):
            return None
        max_length = next((m.max_length for m in info.metadata), None)
        queries.append((field.name, field.alias, max_length, field.default))
    body = None
    if len(dep.body_params) > 1:
        return None
    if dep.body_params:
        field, = dep.body_params
        model = field.field_info.annotation
        if getattr(field.field_info, "embed", False) or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        body = (field.name, model)
    return dep.request_param_name, principal_name, reader_name, queries, body


async def require_principal_400(request: Request, reader: DbReader) -> Principal:
    """ASINScope's `/account/tokens`: a missing key is 400 there (an invalid one still 401)."""
    return authenticate(request, reader, missing=Invalid)


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
TokensPrincipal = Annotated[Principal, Depends(require_principal_400)]
