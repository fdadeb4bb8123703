"""HTTP glue shared by every router: the database session dependency and error rendering."""

from __future__ import annotations

import asyncio
import difflib
import logging
import sys
import time
import typing
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
import orjson
from pydantic import BaseModel, BeforeValidator
from starlette.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from sellerkit.domain.quoting import quote
from sellerkit.errors import SellerkitError
from sellerkit.kit.connections import close_soon
from sellerkit.kit.db import Database, Reader

log = logging.getLogger("sellerkit")


class JSON(JSONResponse):
    """orjson-rendered JSON: the reply class for every route (dialect shapes are plain dicts).
    A JSONResponse, so the OpenAPI document shows each route's `response_model`; a handler that
    returns one is not validated against that model (no cost on the hot routes)."""

    def render(self, content) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:  # keys that are not text (numbers, dates): orjson's mode for them takes twice as long
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class FileReply(Response):
    """The `response_class` of routes that send a file: no JSON media type claimed for their
    200 in the OpenAPI document (each lists its files' types in `responses`)."""

    media_type = None


def database(request: Request) -> Database:
    return request.app.state.db


def forwarded_client(peer: str, forwarded_for: list[str], trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The client's address behind trusted reverse proxies: from the peer, walk `X-Forwarded-For`
    right to left while the address at hand is a trusted proxy (each proxy appends the address it
    was reached from; entries left of the first untrusted one are the client's to forge)."""
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    address = peer
    while hops and _is_trusted(address, trusted):
        address = hops.pop()[:64]
    return address


def _is_trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: Request) -> str:
    """The address a request came from, as `forwarded_client` finds it behind the proxies
    `SELLERKIT_TRUSTED_PROXIES` names (none by default: the peer's address)."""
    peer = request.client.host if request.client else "-"
    trusted = request.app.state.settings.trusted_proxies
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"), trusted) if trusted else peer


async def _read_session(request: Request) -> AsyncIterator[Session]:
    # async so FastAPI keeps it on the event loop: short synchronous statements beat a thread hop.
    with database(request).session() as session:
        yield session


async def _write_session(request: Request) -> AsyncIterator[Session]:
    with database(request).session(write=True) as session:
        yield session


async def _reader(request: Request) -> AsyncIterator[Reader]:
    with database(request).reader() as reader:
        yield reader


ReadSession = Annotated[Session, Depends(_read_session)]
DbReader = Annotated[Reader, Depends(_reader)]
WriteSession = Annotated[Session, Depends(_write_session)]


def error_response(status: int, message: str, headers: dict | None = None, error: str | None = None) -> JSON:
    """Every error reply: `{"message", "status"}`, plus `error` on the routes of a dialect whose
    reference answers errors as `{"error": ...}` (ASINScope)."""
    body = {"message": message, "status": status} if error is None else {"error": error, "message": message,
                                                                          "status": status}
    return JSON(body, status_code=status, headers=headers)


def _location(loc: tuple) -> str:
    """`filters[2].value` from pydantic's `("body", "filters", 2, "value")`; a client's key is
    shown whole only when short."""
    parts = [str(p) if isinstance(p, int) or len(str(p)) <= 40 else quote(str(p))
             for p in loc if p not in ("body",)] or ["body"]
    text = parts[0]
    for p in parts[1:]:
        text += f"[{p}]" if p.isdigit() else f".{p}"
    return text


_NOT_AN_OBJECT = ("model_attributes_type", "dict_type", "model_type", "missing")


def validation_message(exc: RequestValidationError, request: Request | None = None) -> str:
    errors = exc.errors()
    if request is not None and any(tuple(e.get("loc", ())) == ("body",) and e.get("type") in _NOT_AN_OBJECT
                                   for e in errors):
        ctype = request.headers.get("content-type", "")
        if "json" not in ctype:
            return (f"request body must be a JSON object sent with Content-Type: application/json "
                    f"(got {quote(ctype) if ctype else 'no Content-Type'})")
        return "request body must be a JSON object"
    return validation_errors_message(errors, model=_body_model(request))


def _body_model(request: Request | None) -> type[BaseModel] | None:
    """The pydantic model of the route's JSON body, to name the fields an unknown key could be."""
    route = request.scope.get("route") if request is not None else None
    field = getattr(route, "body_field", None)
    return _model_in(getattr(getattr(field, "field_info", None), "annotation", None))


def _model_in(annotation) -> type[BaseModel] | None:
    """The model inside `Model`, `Model | None`, `list[Model]`, if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if found := _model_in(arg):
            return found
    return None


def _unknown_field(model: type[BaseModel] | None, loc: tuple) -> str:
    """`unknown field`, and what the object at that place takes (the likely intended name first)."""
    path = [p for p in loc[:-1] if p != "body" and not isinstance(p, int)]
    for part in path:
        info = model.model_fields.get(str(part)) if model is not None else None
        model = _model_in(info.annotation) if info is not None else None
    if model is None:
        return "unknown field"
    names = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]).lower()[:100], names, n=1)
    hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(names)}"
    return f"unknown field; {hint}"


def validation_errors_message(errors: list, prefix: str = "", model: type[BaseModel] | None = None,
                              moved: dict[str, str] | None = None) -> str:
    """pydantic's errors as one line naming each field at fault (`options.prep_cost: ...`,
    `filters[2].value: ...`); an unknown key is named with what the object takes instead.
    `moved`: top-level keys the client wrote elsewhere (`{"mapping": "options.mapping"}`)."""
    msgs = []
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx", {}).get("error", "")
            loc = err.get("loc", ())
            at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
            return f"request body is not valid JSON ({ctx}{at}); send Content-Type: application/json"
        raw_loc = tuple(err.get("loc", ()))
        shown = raw_loc
        if moved and raw_loc and str(raw_loc[0]) in moved:
            shown = (*moved[str(raw_loc[0])].split("."), *raw_loc[1:])
        loc = _location(((prefix,) if prefix else ()) + shown)
        if err.get("type") == "extra_forbidden":
            msgs.append(f"{loc}: {_unknown_field(model, raw_loc)}")
        else:
            msgs.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(msgs) or "invalid request"


MAX_ID = 2**31 - 1  # the largest id our id columns hold: INTEGER, 32 bits on PostgreSQL

# Every route that names a stored object by its number takes it as a `PathId`: ids from 1 to
# MAX_ID. Anything else (too large for any column, zero, negative, not a number) names nothing
# stored, so it is the route's ordinary 404 (see `_path_not_found`), never a 500 from the driver.
PathId = Annotated[int, Path(ge=1, le=MAX_ID, description=f"A whole number from 1 to {MAX_ID}.")]


def _path_not_found(errors: list) -> str | None:
    """The 404 message when a path parameter failed validation: the URL names nothing."""
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc[:1] == ("path",) and len(loc) > 1:
            name = str(loc[1])
            noun = name.removesuffix("_id").replace("_", " ")
            return f"{noun} {quote(err.get('input'))} not found"
    return None


def validation_reply(exc: RequestValidationError, request: Request, dialect_error: bool = False) -> JSON:
    """A request that failed validation: 404 when its path names nothing, else 400 saying what."""
    errors = exc.errors()
    missing = _path_not_found(errors)
    status, message = (404, missing) if missing else (400, validation_message(exc, request))
    return error_response(status, message, error=message if dialect_error else None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SellerkitError)
    async def _sellerkit(_req: Request, exc: SellerkitError):
        return error_response(exc.status_code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(req: Request, exc: RequestValidationError):
        return validation_reply(exc, req)

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"no route {req.method} {quote(req.url.path)}; see /docs for the API"
        elif exc.status_code == 405:
            allow = ", ".join(allowed_methods(req))
            if req.method == "OPTIONS":  # the path exists: say what it takes
                return Response(status_code=204, headers={"Allow": allow})
            message = f"method {req.method} is not allowed on {quote(req.url.path)}; it takes {allow}"
            headers = {**(headers or {}), "Allow": allow}
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, headers)

    @app.exception_handler(Exception)
    async def _crash(req: Request, exc: Exception):
        # The path and the public partner id, never the query string (a key may be in it).
        who = getattr(req.state, "principal", None)
        log.exception("unhandled error on %s %s (partner %s)", req.method, req.url.path,
                      who.partner_id if who else "-")
        return error_response(500, "internal server error; the failure was logged")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (routes of one path are declared apart, so
    the one that refused the method knows only its own), and OPTIONS, which we answer here."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    if root and path.startswith(root):  # routes match the path below the app's mount point
        path = path[len(root):]
    methods = {"OPTIONS"}
    for route in iter_route_contexts(request.app.routes):
        regex, route_methods = getattr(route, "path_regex", None), route.methods
        if regex is not None and route_methods and regex.match(path):
            methods |= route_methods
    return sorted(methods)


class ErrorShapeRoute(APIRoute):
    """A route whose errors, authentication's included, are answered in its dialect's own shape
    (`sellerkit_error`, `validation_error`) rather than by the app's handlers."""

    def sellerkit_error(self, exc: SellerkitError, request: Request) -> Response:
        raise NotImplementedError

    def validation_error(self, exc: RequestValidationError, request: Request) -> Response:
        raise NotImplementedError

    def error_reply(self, exc: Exception, request: Request) -> Response | None:
        """The reply to an error the route's handler raised, or None when it is not the route's
        to answer (`accounts.dependencies.DirectLane` asks, having no handler chain to raise through)."""
        if isinstance(exc, SellerkitError):
            return self.sellerkit_error(exc, request)
        if isinstance(exc, RequestValidationError):
            return self.validation_error(exc, request)
        below = getattr(super(), "error_reply", None)
        return below(exc, request) if below is not None else None

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SellerkitError as exc:
                return self.sellerkit_error(exc, request)
            except RequestValidationError as exc:
                return self.validation_error(exc, request)

        return route


class DialectErrorRoute(ErrorShapeRoute):
    """A route of a dialect whose reference answers errors as `{"error": "..."}` (ASINScope):
    its errors, authentication's included, carry `error` beside `message` and `status`."""

    def sellerkit_error(self, exc: SellerkitError, request: Request) -> Response:
        return error_response(exc.status_code, exc.message, exc.headers, error=exc.error or exc.message)

    def validation_error(self, exc: RequestValidationError, request: Request) -> Response:
        return validation_reply(exc, request, dialect_error=True)


def envelope(data, code: int = 200, headers: dict | None = None) -> JSON:
    """The `{code, data, status}` reply of the tracked-collections dialect: `status` 1 on success,
    0 on failure with `code` the intended status and `data` the message; HTTP 200 either way."""
    return JSON({"code": code, "data": data, "status": 1 if code < 300 else 0}, headers=headers)


class EnvelopeRoute(ErrorShapeRoute):
    """A route of the tracked-collections dialect (`sellerkit.tracking.router`): its errors,
    authentication's included, are the envelope with HTTP 200. Only the limits that act before
    routing (`BodyGuard`'s 413 and 408) keep their status."""

    def sellerkit_error(self, exc: SellerkitError, request: Request) -> Response:
        return envelope(exc.message, exc.status_code, exc.headers or None)

    def validation_error(self, exc: RequestValidationError, request: Request) -> Response:
        missing = _path_not_found(exc.errors())  # an id in the path that names nothing: 404, as elsewhere
        return envelope(missing, 404) if missing else envelope(validation_errors_message(exc.errors()), 400)


RATE_LIMIT_SCOPE_KEY = "sellerkit.ratelimit"


class RateLimitHeaders:
    """`X-RateLimit-*` on every reply to a request that passed the rate limit check: the check
    leaves the header pairs in the ASGI scope (plain ASGI: a few microseconds a request)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = scope.get(RATE_LIMIT_SCOPE_KEY)
                if extra:
                    message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def access_log_on(level: str, log_level: str) -> bool:
    """Whether access lines of `level` ("off" for none) show at the server's `log_level`."""
    threshold = logging.getLevelNamesMapping().get(log_level.upper(), logging.INFO)
    return level != "off" and _LEVELS[level] >= threshold


def _stdout_line(line: str) -> None:
    out = sys.stdout  # of the moment: a test's capture replaces it
    out.write(line)
    out.flush()


class AccessLog:
    """One JSON line per request: time, method, path (never the query string: a key may be in
    it), status, duration, the key's partner id and the client address. Plain ASGI, outermost of
    ours so it sees every reply, the 413s and 408s of `BodyGuard` included. Written straight to
    standard output: through `logging` a line cost about 20 microseconds, four times the rest."""

    def __init__(self, app, write=_stdout_line) -> None:
        self.app = app
        self.write = write

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before it answers

        async def send_noting_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            ms = (time.perf_counter() - started) * 1000
            state = scope.get("state")
            who = state.get("principal") if state else None
            now = time.time()
            client = scope.get("client")
            self.write(orjson.dumps({
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
                "method": scope["method"], "path": scope["path"], "status": status, "ms": round(ms, 2),
                "partner": who.partner_id if who is not None else None,
                "client": client[0] if client else None}).decode() + "\n")


def takes_upload(endpoint):
    """Declares, beside the route, that its body is an uploaded file: it may be as large as the
    upload limit (every other route's body: the JSON limit). `accounts.dependencies.KeyFirstRoute`
    also checks the key of such a route before its form is read."""
    endpoint.takes_upload = True
    return endpoint


def _has_body(scope) -> tuple[bool, int | None]:
    """Whether the request may carry a body, and its declared length."""
    declared, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    if declared == 0 and not chunked:
        return False, 0
    # HTTP/2 frames a body without either header; a GET or HEAD without one is read by no route.
    return declared is not None or chunked or (scope.get("http_version") == "2" and scope["method"] not in
                                               ("GET", "HEAD")), declared


class BodyGuard:
    """Every request body bounded before anything reads it whole: the route's size limit (the JSON
    limit, or the upload limit on routes marked `takes_upload`), for Content-Length and chunked
    bodies alike, and the read timeouts that cut off a stalled or trickled body. Past either the
    error goes out at once (413, 408) with `Connection: close`, and the app reads a disconnect.
    Plain ASGI; a request without a body passes straight through."""

    def __init__(self, app, json_limit_kb: int, upload_limit_mb: int, idle_timeout: float,
                 read_timeout: float) -> None:
        self.app = app
        self.json_limit_kb = json_limit_kb
        self.json_limit = json_limit_kb * 1000
        self.upload_limit_mb = upload_limit_mb
        self.upload_limit = upload_limit_mb * 1_000_000 + 1_000_000  # the file plus its form fields
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout

    def limit_of(self, scope) -> tuple[int, str]:
        """The matched route's limit (known once routing has run) and how to say it."""
        if getattr(scope.get("endpoint"), "takes_upload", False):
            return self.upload_limit, f"the upload limit of {self.upload_limit_mb} MB"
        return self.json_limit, f"this route's limit of {self.json_limit_kb:,} KB (a JSON body)"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        has_body, declared = _has_body(scope)
        if not has_body:
            return await self.app(scope, receive, send)
        await _GuardedBody(self, scope, receive, send, declared).run()


class _GuardedBody:
    """One request's body as `BodyGuard` lets the app read it."""

    __slots__ = ("guard", "scope", "receive", "send", "declared", "limit", "said", "received", "deadline",
                 "started", "replied", "complete")

    def __init__(self, guard: BodyGuard, scope, receive, send, declared: int | None) -> None:
        self.guard, self.scope, self.receive, self.send, self.declared = guard, scope, receive, send, declared
        self.limit: int | None = None
        self.said = ""
        self.received = 0
        self.deadline = asyncio.get_running_loop().time() + guard.read_timeout
        self.started = self.replied = self.complete = False

    async def run(self) -> None:
        guard = self.guard
        if self.declared is not None and self.declared > max(guard.json_limit, guard.upload_limit):
            # Larger than any route takes: no need to know which route it is.
            return await self.reply(413, f"request body of {self.declared:,} bytes is larger than the upload "
                                         f"limit of {guard.upload_limit_mb} MB, the most any route takes")
        try:
            await guard.app(self.scope, self.read, self.write)
        except Exception:
            if not self.replied:
                raise
            # The app failed on the disconnect it read after our reply: nothing left to answer.

    async def read(self):
        if self.replied:
            return {"type": "http.disconnect"}
        if self.limit is None:  # the first read: routing has run, so the route is known
            self.limit, self.said = self.guard.limit_of(self.scope)
            if self.declared is not None and self.declared > self.limit:
                return await self.refuse(413, f"request body of {self.declared:,} bytes is larger than {self.said}")
        loop = asyncio.get_running_loop()
        now = loop.time()
        try:
            async with asyncio.timeout_at(min(now + self.guard.idle_timeout, self.deadline)):
                message = await self.receive()
        except TimeoutError:
            if loop.time() >= self.deadline:
                why = f"not received within {self.guard.read_timeout:g} s (SELLERKIT_BODY_READ_TIMEOUT)"
            else:
                why = f"paused for more than {self.guard.idle_timeout:g} s (SELLERKIT_BODY_IDLE_TIMEOUT)"
            return await self.refuse(408, f"request body {why}; send the body at once after the headers")
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                return await self.refuse(413, f"request body larger than {self.said}")
            if not message.get("more_body", False):
                self.complete = True
        return message

    async def refuse(self, status: int, message: str):
        if not self.started:
            await self.reply(status, message)
        self.replied = True
        return {"type": "http.disconnect"}

    async def reply(self, status: int, message: str) -> None:
        self.replied = True
        if self.scope.get("http_version") == "2":
            headers = None  # the stream ends; the connection's other streams go on
        else:
            headers = {"connection": "close"}
            close_soon(self.scope.get("client"))
        await error_response(status, message, headers)(self.scope, self.receive, self.send)

    async def write(self, message) -> None:
        if self.replied:
            return  # the app's answer to the disconnect after our 413/408
        if message["type"] == "http.response.start":
            self.started = True
            if not self.complete and self.scope.get("http_version") != "2":
                # Answered before the body was read (a 401, a 404...): close rather than read on.
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
        await self.send(message)


def _event_time(value):
    from sellerkit.domain.timestamps import event_time

    return None if value is None else event_time(value)


# The optional `timestamp` of a write that records an event (API principles): a request-body
# field typed `EventTimestamp = None` accepts ISO 8601 with an offset; the service calls
# `domain.timestamps.event_time(body.timestamp)`, which is the server's time when it is None.
EventTimestamp = Annotated[datetime | None, BeforeValidator(_event_time)]
