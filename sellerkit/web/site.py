"""Mounting the dashboard on the app: every `router` of the modules in `sellerkit/web/pages/`
(a new page module needs no registration), the session signer, the sign-in throttle and the
HTML 404 page for browsers."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from sellerkit.config import Settings
from sellerkit.domain.quotas import TokenLimits
from sellerkit.kit.ratelimit import make_limits
from sellerkit.web import pages
from sellerkit.web.session import Sessions


class SignInThrottle:
    """Sign-in attempts per client address and per email: token buckets of the rate-limit store
    (memory, or Redis shared by every process), `per_minute` refilled a minute after a burst of
    twice as many. Both are paid or the attempt is refused before the password is checked."""

    def __init__(self, settings: Settings) -> None:
        self._limits = make_limits(settings.redis_url, settings.limits_redis_prefix + ":sign-in")
        self._rule = TokenLimits(daily=None, capacity=2 * settings.sign_in_per_minute,
                                 per_minute=settings.sign_in_per_minute)

    @staticmethod
    def _id(kind: str, value: str) -> int:
        return int.from_bytes(hashlib.sha256(f"{kind}:{value}".encode()).digest()[:7], "big")

    def attempt(self, address: str, email: str) -> float:
        """0 when this attempt may go on, else the seconds to wait."""
        waits = [self._limits.charge(self._id(kind, value), self._rule, 1)
                 for kind, value in (("address", address), ("email", email.strip().lower()))]
        self._limits.take_pending()  # no daily counts to persist: these ids are not accounts
        return max(c.retry_after for c in waits)

    def close(self) -> None:
        close = getattr(self._limits, "close", None)
        if close:
            close()


def _page_modules():
    for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        yield importlib.import_module(f"{pages.__name__}.{info.name}")


def mount_web(app: FastAPI, settings: Settings) -> None:
    from sellerkit.web.page import error_page

    app.state.web_sessions = Sessions(settings)
    app.state.sign_in_throttle = SignInThrottle(settings)
    for module in _page_modules():
        app.include_router(module.router)

    api_not_found = app.exception_handlers[StarletteHTTPException]

    async def not_found(request: Request, exc: StarletteHTTPException):
        """A browser (asking for HTML) gets the 404 page; API clients keep the JSON error."""
        if exc.status_code == 404 and "text/html" in request.headers.get("accept", ""):
            from sellerkit.web.session import WebSession

            request.state.web_session = getattr(request.state, "web_session", None) or WebSession.fresh()
            request.state.web_session.dirty = False
            return error_page(request, 404, f"There is no page at {request.url.path[:80]}.")
        return await api_not_found(request, exc)

    app.add_exception_handler(StarletteHTTPException, not_found)
