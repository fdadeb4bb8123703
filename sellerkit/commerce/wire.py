"""The SellerChamp dialect's wire rules, shared by every commerce router.

- Paths: `CommercePaths` (ASGI, in `app.py`) lets every commerce URL answer with and without
  `.json`, accepts the reference's `product_litings` spelling, and answers 406 when `Accept`
  excludes JSON.
- Routes: `router()` gives an APIRouter whose routes (`CommerceRoute`) answer errors as
  `{"message", "status", "error"}` (clients read any of them) and a database that does not
  answer as a 503 with `Retry-After`.
- Ids: path parameters are `HexId`s (24 hex characters, else the usual 404); `codec(request)`
  turns them into integers and back (`domain.commerce_ids`); `need(request, kind, text,
  field)` decodes or raises the 404 that names the field.
- Bodies: `WireModel` subclasses accept the reference's string-typed numbers and booleans
  (`Int`, `Bool`, `Money`, `Scaled(...)`, `Choice(...)`; `""` is "not given"); unknown fields
  are ignored and reported in the `X-Ignored-Fields` header (`reply(..., body=model)`).
- Replies: `money(cents)` is a JSON number with two decimals (`10.00`), `iso(dt)` ISO 8601.
"""

from __future__ import annotations

import re
import weakref
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sellerkit.accounts.dependencies import KeyFirstRoute
from sellerkit.domain.commerce_ids import HEX_ID_PATTERN, IdCodec
from sellerkit.domain.money import cents, dollars, quantise
from sellerkit.domain.quoting import quote
from sellerkit.errors import Invalid, NotFound, Unavailable
from sellerkit.kit.db import Database
from sellerkit.kit.http import JSON, DialectErrorRoute, error_response

# First path segment after /api/ of every commerce resource.
SEGMENTS = frozenset({"marketplace_accounts", "ship_from_addresses", "suppliers", "templates", "manifests",
                      "products", "variants", "orders", "users"})
IGNORED_HEADER = "X-Ignored-Fields"
IGNORED_HEADER_CHARS = 2000


# ---- paths -------------------------------------------------------------------------------------


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header admits a JSON reply (absent or empty: anything goes)."""
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = [p.strip() for p in item.split(";")]
        q = 1.0
        for p in params:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        media = media.lower()
        if q > 0 and (media in ("*/*", "application/*", "application/json") or media.endswith("+json")):
            return True
    return False


# an uploaded image's file (`/api/products/P/product_images/I/large`) answers JPEG, not JSON
_IMAGE_FILE = re.compile(r"/product_images/[0-9a-fA-F]{24}/(original|large|medium|small)$")


def commerce_path(path: str) -> bool:
    parts = path.split("/", 3)
    return len(parts) > 2 and parts[1] == "api" and parts[2].removesuffix(".json") in SEGMENTS


class CommercePaths:
    """Plain ASGI, before routing: `/api/products/ID.json` is `/api/products/ID`, a listing
    under `product_litings` is under `product_listings`, and a commerce request whose Accept
    excludes JSON is a 406 (the only format this dialect answers)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not commerce_path(scope["path"]):
            return await self.app(scope, receive, send)
        path = scope["path"].removesuffix(".json").replace("/product_litings", "/product_listings")
        accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), "")
        if not _accepts_json(accept) and not _IMAGE_FILE.search(path):
            message = (f"Accept {quote(accept)} excludes JSON, the only format of this API; "
                       "send Accept: application/json (or none)")
            reply = error_response(406, message, error=message)
            return await reply(scope, receive, send)
        if path != scope["path"]:
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


# ---- routes ------------------------------------------------------------------------------------


class CommerceRoute(DialectErrorRoute, KeyFirstRoute):
    """Errors carry `error` beside `message` (SellerChamp clients read either); a database that
    does not answer (locked past its timeout, unreachable) is a 503 to retry, not a 500."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request):
            try:
                return await handler(request)
            except StarletteHTTPException as exc:  # FastAPI's "error parsing the body" (bytes not UTF-8 ...)
                message = (f"request body could not be read as JSON ({exc.detail}); send UTF-8 JSON with "
                           "Content-Type: application/json") if exc.status_code == 400 else str(exc.detail)
                return error_response(exc.status_code, message, getattr(exc, "headers", None), error=message)
            except OperationalError as exc:
                message = "the database did not answer; retry in a few seconds"
                if "locked" not in str(exc) and "connect" not in str(exc) and "timeout" not in str(exc).lower():
                    raise
                error = Unavailable(message, headers={"Retry-After": "5"})
                return error_response(503, error.message, error.headers, error=error.message)

        return route


def router(tags: list[str]) -> APIRouter:
    return APIRouter(tags=tags, route_class=CommerceRoute)


# ---- ids ---------------------------------------------------------------------------------------

HexId = Annotated[str, Path(pattern=HEX_ID_PATTERN, description="A 24-character hexadecimal id.",
                            examples=["5e73df57584085c9820002fe"])]

_codecs: weakref.WeakKeyDictionary[Database, IdCodec] = weakref.WeakKeyDictionary()


def codec_of(db: Database) -> IdCodec:
    """The installation's id codec (its key read once per process and database)."""
    found = _codecs.get(db)
    if found is None:
        from sellerkit.commerce import repository

        with db.session() as session:  # a read: callers may hold a write transaction already
            key = repository.stored_id_key(session)
        if key is None:  # only a truncated test database lacks the row the migration made
            with db.session(write=True) as session:
                key = repository.id_key(session)
        found = _codecs[db] = IdCodec(key)
    return found


def codec(request: Request) -> IdCodec:
    return codec_of(request.app.state.db)


def need(ids: IdCodec, kind: str, text: str | None, field: str | None = None) -> int:
    """The integer id behind `text`, or the 404 that names it (another account's object and a
    malformed id alike: nothing says whether it exists)."""
    n = ids.decode(kind, text.lower() if isinstance(text, str) else text)
    if n is None:
        where = f"{field}: " if field else ""
        raise NotFound(f"{where}{kind.replace('_', ' ')} {quote(text)} not found")
    return n


def maybe(ids: IdCodec, kind: str, text: str | None, field: str) -> int | None:
    """`need` for an optional reference: None and "" mean none given."""
    return None if text in (None, "") else need(ids, kind, text, field)


# ---- bodies ------------------------------------------------------------------------------------


def _blank(value):
    """The reference's examples send "" for "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


def _int(value):
    value = _blank(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            d = Decimal(text)
        except ArithmeticError:
            raise ValueError(f"expected a whole number, got {quote(value)}") from None
        if not d.is_finite() or d != d.to_integral_value():
            raise ValueError(f"expected a whole number, got {quote(value)}")
        return int(d)
    return value


def _bool(value):
    value = _blank(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    return value


def _money(value):
    value = _blank(value)
    if value is None:
        return None
    amount = cents(value, "amount")
    if amount < 0:
        raise ValueError(f"must not be negative, got {quote(value)}")
    return amount


_NUMBER = {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}
_BOOLEAN = {"anyOf": [{"type": "boolean"}, {"type": "string"}, {"type": "null"}]}

Int = Annotated[int | None, BeforeValidator(_int), WithJsonSchema({"anyOf": [{"type": "integer"},
                                                                             {"type": "string"},
                                                                             {"type": "null"}]})]
Bool = Annotated[bool | None, BeforeValidator(_bool), WithJsonSchema(_BOOLEAN)]
Money = Annotated[int | None, BeforeValidator(_money),
                  WithJsonSchema({**_NUMBER, "description": "Dollars, e.g. 10.00 or \"10.00\"."})]
Text = Annotated[str | None, BeforeValidator(lambda v: str(v) if isinstance(v, int | float) and
                                             not isinstance(v, bool) else v)]


def Scaled(scale: int, unit: str):  # noqa: N802 - a type factory
    """A non-negative decimal stored as integer 1/scale units (weights, dimensions)."""

    def convert(value):
        value = _blank(value)
        if value is None:
            return None
        units = quantise(value, scale, unit)
        if units < 0:
            raise ValueError(f"must not be negative, got {quote(value)}")
        return units

    return Annotated[int | None, BeforeValidator(convert), WithJsonSchema({**_NUMBER, "description": unit})]


def Choice(values: tuple[str, ...], aliases: dict[str, str] | None = None):  # noqa: N802 - a type factory
    """One of `values`, matched without regard to case (the reference writes `GTC` for `gtc`);
    `aliases` maps other spellings the reference's own examples use. Else a 400 listing them."""
    lookup = {v.lower(): v for v in values} | {k.lower(): v for k, v in (aliases or {}).items()}

    def convert(value):
        value = _blank(value)
        if value is None:
            return None
        found = lookup.get(str(value).strip().lower()) if isinstance(value, str | int) else None
        if found is None:
            raise ValueError(f"must be one of {', '.join(values)}; got {quote(value)}")
        return found

    return Annotated[str | None, BeforeValidator(convert),
                     WithJsonSchema({"anyOf": [{"type": "string", "enum": list(values)}, {"type": "null"}]})]


def _date(value):
    value = _blank(value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ValueError(f"expected a date as YYYY-MM-DD, got {quote(value)}") from None
    return value


Date = Annotated[date | None, BeforeValidator(_date), WithJsonSchema({"anyOf": [{"type": "string", "format": "date"},
                                                                                {"type": "null"}]})]


def _list(value):
    value = _blank(value)
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str] | None, BeforeValidator(_list)]


class WireModel(BaseModel):
    """A request object of this dialect: unknown fields are kept aside (`model_extra`) and
    reported, never a failure (docs/commerce.md, Strictness)."""

    model_config = ConfigDict(extra="allow")

    def given(self) -> dict[str, Any]:
        """The declared fields the client sent (a PUT changes only those)."""
        return {k: getattr(self, k) for k in self.model_fields_set if k in type(self).model_fields}


def ignored_fields(model: Any, path: str = "") -> list[str]:
    """Every unknown field in a request object and its nested objects, as `a.b[2].c`."""
    found: list[str] = []
    if isinstance(model, BaseModel):
        found += [f"{path}.{k}" if path else k for k in (model.model_extra or {})]
        for name in type(model).model_fields:
            found += ignored_fields(getattr(model, name), f"{path}.{name}" if path else name)
    elif isinstance(model, list):
        for i, item in enumerate(model):
            found += ignored_fields(item, f"{path}[{i}]")
    return found


def reply(content: Any, status_code: int = 200, body: Any = None, headers: dict | None = None) -> JSON:
    """A JSON reply; with `body`, the fields of it that were ignored go in `X-Ignored-Fields`."""
    headers = dict(headers or {})
    if body is not None and (ignored := ignored_fields(body)):
        # a header is latin-1 without control characters: anything else is escaped
        text = ", ".join(ignored).encode("unicode_escape").decode("ascii")
        headers[IGNORED_HEADER] = text if len(text) <= IGNORED_HEADER_CHARS else text[:IGNORED_HEADER_CHARS] + "…"
    return JSON(content, status_code=status_code, headers=headers)


# ---- replies -----------------------------------------------------------------------------------


def money(amount: int | None):
    """Cents as the reference writes money: a JSON number with two decimals (`10.00`)."""
    return None if amount is None else orjson.Fragment(dollars(amount).encode())


def scaled(units: int | None, scale: int):
    """1/scale units as a JSON number (`0.2` pounds from 200 thousandths)."""
    if units is None:
        return None
    return float(Decimal(units) / scale)


def iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and `Z`, as the reference writes times."""
    if at is None:
        return None
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def loads(text: str | None, default):
    """A JSON column's value."""
    return orjson.loads(text) if text else default


def filter_time(value: str | None, field: str) -> datetime | None:
    """A date filter as the reference writes them (`2015-01-01T00:00:00`, `2015-01-01 00:00:00`,
    `2015-01-01`), UTC unless it carries an offset; else a 400 naming the parameter."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1)
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{field}: {quote(value)} is not a date or time; send e.g. 2015-01-01T00:00:00") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
