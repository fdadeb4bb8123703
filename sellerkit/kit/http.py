"""HTTP glue shared by every router: the database session dependency and error rendering."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
import orjson
from starlette.responses import Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from sellerkit.errors import SellerkitError
from sellerkit.kit.db import Database, Reader

log = logging.getLogger("sellerkit")


class JSON(Response):
    """orjson-rendered JSON: the reply class for every route (dialect shapes are plain dicts)."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def database(request: Request) -> Database:
    return request.app.state.db


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


def error_response(status: int, message: str, headers: dict | None = None) -> JSON:
    return JSON({"message": message, "status": status}, status_code=status, headers=headers)


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)] or ["body"]
    text = parts[0]
    for p in parts[1:]:
        text += f"[{p}]" if p.isdigit() else f".{p}"
    return text


def validation_message(exc: RequestValidationError) -> str:
    return validation_errors_message(exc.errors())


def validation_errors_message(errors: list, prefix: str = "") -> str:
    """pydantic's errors as one line naming each field at fault (`options.prep_cost: ...`)."""
    msgs = []
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx", {}).get("error", "")
            return f"request body is not valid JSON ({ctx}); send Content-Type: application/json"
        loc = _location(((prefix,) if prefix else ()) + tuple(err.get("loc", ())))
        msgs.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(msgs) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SellerkitError)
    async def _sellerkit(_req: Request, exc: SellerkitError):
        return error_response(exc.status_code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError):
        return error_response(400, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException):
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"no route {req.method} {req.url.path}; see /docs for the API"
        elif exc.status_code == 405:
            message = f"method {req.method} is not allowed on {req.url.path}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(req: Request, exc: Exception):
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return error_response(500, "internal server error; the failure was logged")


class RefuseOversized:
    """413 before reading a body whose declared length is over the upload limit (plain ASGI:
    no cost on other requests)."""

    def __init__(self, app, limit_mb: int) -> None:
        self.app = app
        self.limit_mb = limit_mb
        self.limit = limit_mb * 1_000_000 + 1_000_000  # the file plus its form fields

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                    reply = error_response(413, f"request body larger than the upload limit of {self.limit_mb} MB")
                    return await reply(scope, receive, send)
        await self.app(scope, receive, send)
