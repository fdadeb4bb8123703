"""What every dashboard page is built from (docs/dashboard.md, "Adding a page").

- `page_router()`: an APIRouter whose routes are `PageRoute`s: signed out, a page redirects to
  /sign-in (before its body is read); a POST, PUT, PATCH or DELETE without the session's CSRF
  token (form field `csrf_token` or header `X-CSRF-Token`) is refused with a 403 page; a
  `SellerkitError` (another account's id is a `NotFound`) or a bad path/query value renders the
  error page with its status. Pages are left out of the OpenAPI document.
- `CurrentUser`: the signed-in user (`.account_id`, `.user_id`, `.email`), for tenancy.
- `render()`: a template in the base layout, with the user, CSRF token, nav and flash messages.
- `service()` / `read()`: run a service call in a database session (or on a `Reader`) off the
  event loop. Pages call services; they hold no business rule and no SQL.
- Template filters: `{{ cents | money("US") }}` ($22.79), `{{ bp | percent }}` (30.0%), a result
  cell by its kind `{{ value | cell(kind) }}` and `<td{{ kind | numeric }}>`.
- `redirect()` and `flash()`: post/redirect/get with a message on the next page.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from sellerkit.accounts.passwords import SignedIn, passwords
from sellerkit.errors import SellerkitError
from sellerkit.domain.marketplaces import MARKETPLACES, marketplace as find_marketplace
from sellerkit.kit.db import Reader
from sellerkit.kit.http import database
from sellerkit.web.session import CSRF_FIELD, CSRF_HEADER, Sessions, WebSession

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _money(cents: int | None, marketplace: str = "US") -> str:
    """Minor units as the marketplace writes prices ($22.79, 22,79 €); a dash for none."""
    return "–" if cents is None else find_marketplace(marketplace).format_money(cents)


def _percent(bp: int | None) -> str:
    """Basis points as a percentage: 3000 -> 30.0%."""
    return "–" if bp is None else f"{bp / 100:.1f}%"


_NUMERIC = frozenset({"money", "ratio", "int", "float"})


def _cell(value: Any, kind: str | None) -> str | Markup:
    """A result cell by its kind (money in cents, ratios in basis points); a dash for none. A
    filter, not a macro: a results page formats hundreds of cells."""
    if value is None:
        return Markup('<span class="muted">–</span>')
    if kind == "money":
        return f"{value / 100:,.2f}"
    if kind == "ratio":
        return f"{value / 100:.1f}%"
    if kind == "int":
        return f"{value:,}"
    if kind == "float":
        return f"{value:,.2f}"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "texts":
        return ", ".join(str(v) for v in value)
    return value


def _numeric(kind: str | None) -> Markup:
    """The attribute that right-aligns a numeric cell."""
    return Markup(' class="num"') if kind in _NUMERIC else Markup("")


TEMPLATES.env.filters["money"] = _money
TEMPLATES.env.filters["percent"] = _percent
TEMPLATES.env.filters["cell"] = _cell
TEMPLATES.env.filters["numeric"] = _numeric
SIGN_IN = "/sign-in"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The nav of the base layout: (path, label). Pages not yet built answer the 404 page.
NAV = (("/", "Home"), ("/scans", "Scans"), ("/calculator", "Calculator"), ("/lookup", "Look-up"),
       ("/keys", "Keys"), ("/listings", "Listings"), ("/orders", "Orders"), ("/tracking", "Tracking"))

T = TypeVar("T")
log = logging.getLogger("sellerkit.web")


def public(endpoint):
    """Mark a page that answers signed out (the sign-in page)."""
    endpoint.public = True
    return endpoint


def sessions(request: Request) -> Sessions:
    return request.app.state.web_sessions


def web_session(request: Request) -> WebSession:
    return request.state.web_session


def _signed_in(request: Request, session: WebSession) -> SignedIn | None:
    """The session's user while they can sign in and their password is the one signed in with."""
    if session.user_id is None:
        return None
    with database(request).reader() as reader:  # one indexed read, like an API key check
        user = passwords.session_user(reader, session.user_id)
    if user is None or not hmac.compare_digest(user.version, session.version or ""):
        session.sign_out()  # deleted, or the password changed since: sign in again
        return None
    return user


async def _csrf_ok(request: Request, session: WebSession) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), session.csrf.encode())


def _next_of(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return url_quote(path, safe="/?=&")


class PageRoute(APIRoute):
    """Sign-in, CSRF and error pages for every route of a `page_router()`."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        is_public = getattr(self.endpoint, "public", False)

        async def route(request: Request) -> Response:
            started = time.perf_counter()
            session = sessions(request).load(request)
            request.state.web_session = session
            user = _signed_in(request, session)
            request.state.web_user = user
            if user is None and not is_public:
                where = f"{SIGN_IN}?expired=1" if session.expired else f"{SIGN_IN}?next={_next_of(request)}"
                response: Response = RedirectResponse(where, status_code=303)
            elif request.method in UNSAFE and not await _csrf_ok(request, session):
                response = render(request, "error.html", {
                    "title": "Form expired", "status": 403,
                    "message": "This form was refused: its security token is missing or out of date "
                               "(for example after signing in elsewhere). Reload the page and send it again."},
                    status_code=403)
            else:
                try:
                    response = await handler(request)
                except SellerkitError as exc:
                    response = error_page(request, exc.status_code, exc.message)
                except RequestValidationError as exc:
                    where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:3])
                    response = error_page(request, 404 if _in_path(exc) else 400,
                                          f"not a valid value for {where}")
                except Exception:  # noqa: BLE001 - a page, not a JSON error, and the cause in the log
                    log.exception("unhandled error on page %s %s", request.method, request.url.path)
                    response = error_page(request, 500, "Something went wrong on our side; the failure was "
                                                        "logged. Try again, or go back to the dashboard.")
            if session.dirty:
                sessions(request).save(request, response, session)
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
            return response

        return route


def _in_path(exc: RequestValidationError) -> bool:
    """A bad id in the path names no page: 404, as an unknown id would."""
    return any(e.get("loc", ("",))[0] == "path" for e in exc.errors())


def page_router(**kwargs) -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False, **kwargs)


def _current_user(request: Request) -> SignedIn:
    user = getattr(request.state, "web_user", None)
    if user is None:  # a public page asked for the user: it must not
        raise SellerkitError("this page needs a signed-in user", 500)
    return user


CurrentUser = Annotated[SignedIn, Depends(_current_user)]


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`template` (which extends base.html) with what the layout needs. An htmx request for a
    fragment renders the template the same way: give fragments their own template."""
    session: WebSession | None = getattr(request.state, "web_session", None)
    messages = sessions(request).flashes(request)
    response = TEMPLATES.TemplateResponse(request, template, {
        "user": getattr(request.state, "web_user", None),
        "csrf_token": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "nav": NAV,
        "here": request.url.path,
        "flashes": messages,
        **(context or {}),
    }, status_code=status_code, headers=headers)
    if messages:
        sessions(request).clear_flashes(response)
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    titles = {400: "Not valid", 404: "Not found", 409: "Conflict", 429: "Too many attempts"}
    return render(request, "error.html", {"title": titles.get(status, "Something went wrong"),
                                          "status": status, "message": message}, status_code=status)


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> Response:
    """303 to `url` (post/redirect/get), with a flash message shown by the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(request, response, message, kind)
    return response


def flash(request: Request, response: Response, message: str, kind: str = "ok") -> None:
    """A message for the next page rendered (`kind`: ok or error)."""
    sessions(request).flash(request, response, message, kind)


async def read(request: Request, call: Callable[[Reader], T]) -> T:
    """`call(reader)` on a pooled driver connection, in a worker thread: for the services whose
    hot reads take a `Reader` (calculator, look-ups)."""
    db = database(request)

    def run() -> T:
        with db.reader() as reader:
            return call(reader)

    return await run_in_threadpool(run)


async def service(request: Request, call: Callable[[Session], T], write: bool = False) -> T:
    """`call(session)` in its own transaction (committed when it returns, when `write`), in a
    worker thread: page handlers stay thin and the event loop free."""
    db = database(request)

    def run() -> T:
        with db.session(write=write) as session:
            return call(session)

    return await run_in_threadpool(run)
