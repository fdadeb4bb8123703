"""The dashboard's session: a signed cookie (itsdangerous), `HttpOnly`, `SameSite=Lax`, `Secure`
over https. It holds the CSRF token of every form, and once signed in the user, their account and
the version of their password; nothing secret, nothing the server must remember."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from sellerkit.config import Settings

COOKIE = "sk_session"
FLASH_COOKIE = "sk_flash"
CSRF_FIELD = "csrf_token"  # the hidden input of every form
CSRF_HEADER = "x-csrf-token"  # htmx requests send it (base.html sets hx-headers)


@dataclass(slots=True)
class WebSession:
    csrf: str
    user_id: int | None = None
    version: str | None = None  # sellerkit.accounts.passwords.SignedIn.version
    expired: bool = False  # a signed-in session that outlived `session_hours`
    dirty: bool = False  # to be written back on the reply
    data: dict = field(default_factory=dict)

    @classmethod
    def fresh(cls, expired: bool = False) -> WebSession:
        return cls(csrf=secrets.token_urlsafe(24), expired=expired, dirty=True)

    def sign_in(self, user_id: int, version: str) -> None:
        """A new CSRF token with every sign-in: a token seen before it is worth nothing after."""
        self.csrf, self.user_id, self.version, self.expired, self.dirty = (
            secrets.token_urlsafe(24), user_id, version, False, True)

    def sign_out(self) -> None:
        self.csrf, self.user_id, self.version, self.dirty = secrets.token_urlsafe(24), None, None, True


def session_secret(settings: Settings) -> str:
    """The configured key; else one derived from SELLERKIT_SECRET_KEY (the same on every machine
    of a deployment, so a sign-in holds whichever server answers); else one kept in the data dir:
    made once, atomically (a temporary file linked into place), so every process on the data dir
    signs with the same key."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if getattr(settings, "secret_key", None) is not None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sellerkit web sessions v1")
        return key.derive(settings.secret_key.get_secret_value().encode()).hex()
    path = Path(settings.data_dir) / "session-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".session-secret.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        tmp.unlink()
    return path.read_text().strip()


class Sessions:
    """Reads and writes the session cookie of one app."""

    def __init__(self, settings: Settings) -> None:
        self.max_age = int(settings.session_hours * 3600)
        self.secure = settings.secure_cookies
        self._signer = URLSafeTimedSerializer(session_secret(settings), salt="sellerkit.web.session")
        self._flash = URLSafeTimedSerializer(session_secret(settings), salt="sellerkit.web.flash")

    def load(self, request: Request) -> WebSession:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return WebSession.fresh()
        try:
            data = self._signer.loads(raw, max_age=self.max_age)
        except SignatureExpired as exc:
            payload = exc.payload
            try:
                was_signed_in = bool(self._signer.load_payload(payload).get("u")) if payload else False
            except BadSignature:
                was_signed_in = False
            return WebSession.fresh(expired=was_signed_in)
        except BadSignature:
            return WebSession.fresh()
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return WebSession.fresh()
        return WebSession(csrf=data["c"], user_id=data.get("u"), version=data.get("v"))

    def _secure(self, request: Request) -> bool:
        if self.secure is not None:
            return self.secure
        return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"

    def save(self, request: Request, response: Response, session: WebSession) -> None:
        data = {"c": session.csrf}
        if session.user_id is not None:
            data |= {"u": session.user_id, "v": session.version}
        # The browser keeps the cookie a week past the session, so an expired session is told so
        # (the signed timestamp, not the cookie's age, ends the session).
        response.set_cookie(COOKIE, self._signer.dumps(data), max_age=self.max_age + 7 * 86400, path="/",
                            httponly=True, samesite="lax", secure=self._secure(request))

    # ---- flash messages: one short-lived signed cookie, shown by the next page ----

    def flash(self, request: Request, response: Response, message: str, kind: str = "ok") -> None:
        messages = self.flashes(request) + [[kind, message]]
        response.set_cookie(FLASH_COOKIE, self._flash.dumps(messages[-5:]), max_age=300, path="/",
                            httponly=True, samesite="lax", secure=self._secure(request))

    def flashes(self, request: Request) -> list[list[str]]:
        raw = request.cookies.get(FLASH_COOKIE)
        if not raw:
            return []
        try:
            messages = self._flash.loads(raw, max_age=300)
        except BadSignature:
            return []
        return [m for m in messages if isinstance(m, list) and len(m) == 2] if isinstance(messages, list) else []

    @staticmethod
    def clear_flashes(response: Response) -> None:
        response.delete_cookie(FLASH_COOKIE, path="/")
