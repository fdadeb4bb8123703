"""Authentication for every dialect: one key, accepted in each style the references use, and the
key's request rate checked on every route that takes a key."""

from __future__ import annotations

import inspect
from typing import Annotated, NamedTuple, get_args
from urllib.parse import parse_qsl

import annotated_types
import orjson
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import Response

from sellerkit.accounts.service import Principal, keys
from sellerkit.errors import Invalid, SellerkitError, Unauthorized
from sellerkit.kit.http import RATE_LIMIT_SCOPE_KEY, DbReader, database
from sellerkit.kit.uploads import read_upload_form

_MISSING = (
    "missing API key: send it as `Authorization: Bearer <key>`, a `Token: <key>` or "
    "`X-Api-Key: <key>` header, or the `key` query parameter"
)
_INVALID = "invalid API key: it was never issued, was rotated or was revoked"
_READER = get_args(DbReader)[1].dependency  # the reader dependency, as routes declare it
MAX_KEY_CHARS = 200  # keys are about 50; a longer one is refused before it is hashed


def key_from_request(request: Request) -> str | None:
    return key_from_scope(request.scope["headers"], request.query_params)


def key_from_scope(headers, query) -> str | None:
    """The key as the caller sent it: `Authorization` (Bearer, Token or bare), `Token`,
    `X-Api-Key`, else the `key` query parameter. `headers` are the ASGI scope's (the first of a
    name counts, as Starlette's `Headers.get`), `query` a mapping of the query string."""
    auth = token = api_key = None
    for name, value in headers:
        if name == b"authorization":
            if auth is None:
                auth = value.decode("latin-1")
        elif name == b"token":
            if token is None:
                token = value.decode("latin-1")
        elif name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
    if auth:
        scheme, _, rest = auth.strip().partition(" ")
        if scheme.rstrip(":").lower() in ("bearer", "token") and rest.strip():
            return rest.strip()
        if " " not in auth.strip():
            return auth.strip()
    for value in (token, api_key):
        if value and value.strip():
            return value.strip()
    value = query.get("key")
    return value.strip() if value and value.strip() else None


def authenticate(request: Request, reader, missing: type[SellerkitError] = Unauthorized) -> Principal:
    """The caller's key, then one request against its rate limit (429 beyond it). The decision's
    `X-RateLimit-*` headers go on the reply (`kit.http.RateLimitHeaders`)."""
    return authenticate_scope(request.scope, key_from_request(request), reader, missing)


def authenticate_scope(scope, secret: str | None, reader, missing: type[SellerkitError] = Unauthorized) -> Principal:
    """`authenticate` on the ASGI scope, given the key the request sent (`key_from_scope`)."""
    if secret is None:
        raise missing(_MISSING)
    principal = keys.authenticate(reader, secret) if len(secret) <= MAX_KEY_CHARS else None
    if principal is None:
        raise Unauthorized(_INVALID)
    scope.setdefault("state", {})["principal"] = principal  # what `request.state.principal` reads
    decision = scope["app"].state.quotas.check_rate(principal)
    scope[RATE_LIMIT_SCOPE_KEY] = decision.headers()
    return principal


async def require_principal(request: Request, reader: DbReader) -> Principal:
    already = getattr(request.state, "principal", None)  # checked before the body (KeyFirstRoute)
    return already if already is not None else authenticate(request, reader)


class KeyFirstRoute(APIRoute):
    """Routes whose body is an upload (`kit.http.takes_upload`) check the key from the headers
    before the body is read: FastAPI parses a form before it resolves dependencies, so a request
    without a valid key would otherwise have its whole file read (and spooled to disk) first.
    The key's request is counted once: `require_principal` then takes the principal found here.
    Then the form is read with its files written straight to work files (`kit.uploads`)."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        if not getattr(self.endpoint, "takes_upload", False):
            return handler

        async def route(request: Request):
            with database(request).reader() as reader:
                authenticate(request, reader)
            await read_upload_form(request, request.app.state.settings)
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
    handler.

    Once the router has chosen the route for a path, `DirectLane` sends that path's requests to
    it straight from the ASGI scope (`lane`), without routing or a Starlette request."""

    direct_plan: _Plan | None = None

    def get_route_handler(self):
        handler = super().get_route_handler()
        self.direct_plan = plan = _direct_plan(self)
        if plan is None:
            return handler

        async def direct(request: Request):
            scope = request.scope
            lane = scope.get(LANE_SCOPE_KEY)
            if lane is not None:
                lane.learn(scope, self)
            body = await request.body() if plan.body else None  # kept: FastAPI's handler reads it again
            reply = await self.answer(scope, request.query_params, body, request)
            return await handler(request) if reply is None else reply

        return direct

    async def answer(self, scope, query, body: bytes | None, request: Request | None) -> Response | None:
        """The endpoint's reply to plainly valid inputs (`query`: a mapping of the query string;
        `body`: the request's body; `request`: given when the endpoint takes it), or None when
        FastAPI's handler must answer (its errors)."""
        plan = self.direct_plan
        values = {}
        for name, alias, max_length, default in plan.queries:
            value = query.get(alias)
            if value is None:
                values[name] = default
            elif max_length is not None and len(value) > max_length:
                return None  # FastAPI's 400 naming the parameter
            else:
                values[name] = value
        if plan.body is not None:
            name, model = plan.body
            if not body or not _first_header(scope, b"content-type").startswith("application/json"):
                return None
            try:  # as FastAPI: JSON, then the model. orjson reads a subset of what json reads (UTF-8 only,
                # no NaN, 64-bit integers) into the same values; anything else goes to FastAPI's handler
                values[name] = model.model_validate(orjson.loads(body))
            except (ValueError, ValidationError):
                return None
        with scope["app"].state.db.reader() as reader:
            if plan.request_name:
                values[plan.request_name] = request
            if plan.reader_name:
                values[plan.reader_name] = reader
            state = scope.get("state")
            already = state.get("principal") if state else None  # checked before the body (KeyFirstRoute)
            values[plan.principal_name] = already if already is not None else authenticate_scope(
                scope, key_from_scope(scope["headers"], query), reader)
            reply = await self.endpoint(**values)
        if not isinstance(reply, Response):
            raise TypeError(f"{self.path}: a DirectRoute endpoint returns a Response")
        return reply

    def error_reply(self, exc: Exception, request: Request) -> Response | None:
        """The route's own reply to an error its handler raised (None: the app's handlers answer).
        `kit.http.ErrorShapeRoute` answers its dialect's errors here."""
        return None

    async def lane(self, scope, receive, send, inner) -> None:
        """One request of this route's method and path, from the ASGI scope: what routing would
        have put in the scope, the body read whole, then `answer`; errors answered by the route's
        and then the app's exception handlers, as when routed. A request `answer` leaves to
        FastAPI goes on to `inner` (the app below the lane), its body replayed."""
        scope["router"] = scope["app"].router
        scope["endpoint"] = self.endpoint  # before the body is read: `BodyGuard` sets the route's limit
        scope["path_params"] = {}
        scope["route"] = self
        body = None
        if self.direct_plan.body:
            messages, body = await _read_body(receive)
            if body is None:  # a disconnect (or `BodyGuard`'s refusal): as routed, from the messages
                return await inner(scope, _replay(messages, receive), send)
            receive = _replay(messages, receive)
        request = Request(scope, receive, send) if self.direct_plan.request_name else None
        try:
            reply = await self.answer(scope, _query(scope), body, request)
        except Exception as exc:  # noqa: BLE001 - answered by the handlers a routed request has
            reply = self.error_reply(exc, request or Request(scope, receive, send))
            if reply is None:
                return await _app_handlers(scope["app"], exc)(scope, receive, send)
        if reply is None:
            return await inner(scope, receive, send)
        await reply(scope, receive, send)


LANE_SCOPE_KEY = "sellerkit.lane"


class DirectLane:
    """Requests for a `DirectRoute` sent to it from the ASGI scope, before Starlette's exception
    middleware, FastAPI's routing and its route wrappers, which together cost about as much as
    the look-up itself (docs/performance.md). Plain ASGI, inside every other middleware of ours,
    so those see the request as before.

    The lane learns from the router: when a `DirectRoute` handles a request (so the router chose
    it for that method and exact path), later requests of that method and path go to it
    directly. Routing depends on nothing else for such a route (no path parameters, no host), so
    the choice holds while the app's routes stay as they were at start. Requests under a
    `root_path`, and every request while FastAPI's OpenTelemetry instrumentation is on, are
    routed as usual."""

    def __init__(self, app) -> None:
        self.app = app
        self.routes: dict[tuple[str, str], DirectRoute] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            route = self.routes.get((scope["method"], scope["path"]))
            if route is not None and not scope.get("root_path") and "fastapi.telemetry" not in scope:
                return await route.lane(scope, receive, send, self.app)
            scope[LANE_SCOPE_KEY] = self
        await self.app(scope, receive, send)

    def learn(self, scope, route: DirectRoute) -> None:
        method = scope["method"]
        if scope.get("route") is route and method != "HEAD" and method in (route.methods or ()) \
                and not scope.get("root_path") and "fastapi.telemetry" not in scope:
            self.routes[(method, scope["path"])] = route


def _first_header(scope, name: bytes) -> str:
    """A request header as Starlette's `Headers.get` gives it (the first of the name), or ""."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _query(scope) -> dict[str, str]:
    """The query string as Starlette's `QueryParams` reads it (`parse_qsl`, blank values kept),
    the last value of a name kept. Without `%` or `+` there is nothing to unquote: split only."""
    raw = scope.get("query_string", b"")
    if not raw:
        return {}
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    found = {}
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            found[name] = value
    return found


async def _read_body(receive) -> tuple[list, bytes | None]:
    """The request's messages up to its last body part, and the body (None on a disconnect)."""
    messages, chunks = [], []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list, receive):
    """`receive` that gives the messages already read again first."""
    pending = list(messages)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed


def _app_handlers(app, exc: Exception):
    """An ASGI app raising `exc` inside the app's exception middleware (its handlers but the
    500's, which answer outside every middleware), as a routed request's error is answered."""

    async def raising(scope, receive, send):
        raise exc

    handlers = {key: value for key, value in app.exception_handlers.items() if key not in (500, Exception)}
    return ExceptionMiddleware(raising, handlers=handlers, debug=app.debug)


class _Plan(NamedTuple):
    request_name: str | None
    principal_name: str
    reader_name: str | None
    queries: list[tuple[str, str, int | None, str | None]]
    body: tuple[str, type[BaseModel]] | None


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
    return _Plan(dep.request_param_name, principal_name, reader_name, queries, body)


async def require_principal_400(request: Request, reader: DbReader) -> Principal:
    """ASINScope's `/account/tokens`: a missing key is 400 there (an invalid one still 401)."""
    return authenticate(request, reader, missing=Invalid)


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
TokensPrincipal = Annotated[Principal, Depends(require_principal_400)]
