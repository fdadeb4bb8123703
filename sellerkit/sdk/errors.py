"""What the SDK raises: one base, then "no answer" apart from "an answer saying no", and the
latter by status code, so callers catch exactly what they can handle."""

from __future__ import annotations

from typing import Any


class SellerkitClientError(Exception):
    """Base of every error the SDK raises."""


class APIConnectionError(SellerkitClientError):
    """No answer: the connection failed or broke."""


class APITimeout(APIConnectionError):
    """No answer within the call's timeout (retries included)."""


class APIStatusError(SellerkitClientError):
    """The server answered with an error status. `message` says what to change."""

    status: int = 0

    def __init__(self, status: int, message: str, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.body = body
        self.headers = headers or {}

    @property
    def error(self) -> str | None:
        """The dialect's own error text where it has one (ASINScope's `error`)."""
        return self.body.get("error") if isinstance(self.body, dict) else None


class BadRequest(APIStatusError):
    """400: the request is malformed; the message names the field."""


class Unauthorized(APIStatusError):
    """401: the key is missing, wrong, rotated or revoked."""


class Forbidden(APIStatusError):
    """403: the account has no active plan."""


class NotFound(APIStatusError):
    """404: no such route, or no such object in this account."""


class Conflict(APIStatusError):
    """409: the object is not in a state that allows this (e.g. a file not ready yet)."""


class PayloadTooLarge(APIStatusError):
    """413: the upload is over the server's limit."""


class RateLimited(APIStatusError):
    """429: too many requests or tokens; `retry_after` is the seconds to wait."""

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers)


class DailyLimitReached(RateLimited):
    """429: the account's daily tokens are spent; they reset at 00:00 UTC."""


class NotEnoughTokens(RateLimited):
    """429: the token bucket cannot pay for this request yet; it refills continuously."""


class ServerError(APIStatusError):
    """5xx: the server failed (or a service it relies on did)."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
              413: PayloadTooLarge, 422: BadRequest}


def retry_after_seconds(headers) -> float | None:
    """`Retry-After-Ms` (sellerkit's exact wait) or else `Retry-After` in seconds."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / scale)
            except ValueError:
                continue
    return None


def error_from(status: int, body: Any, headers: dict[str, str]) -> APIStatusError:
    message = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or "")
    message = message or (body if isinstance(body, str) and body else f"HTTP {status}")
    if status == 429:
        error = body.get("error", "") if isinstance(body, dict) else ""
        cls = (DailyLimitReached if error.startswith("The daily requests limit") else
               NotEnoughTokens if error.startswith("Not enough tokens") else RateLimited)
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, APIStatusError)
    return cls(status, message, body, headers)
