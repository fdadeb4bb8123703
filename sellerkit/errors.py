"""One error base carrying its HTTP status; the app renders every one the same way."""

from __future__ import annotations


class SellerkitError(Exception):
    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}


class Invalid(SellerkitError):
    status_code = 400


class Unauthorized(SellerkitError):
    status_code = 401


class Forbidden(SellerkitError):
    status_code = 403


class NotFound(SellerkitError):
    status_code = 404


class Conflict(SellerkitError):
    status_code = 409


class PayloadTooLarge(SellerkitError):
    status_code = 413


class UnsupportedMediaType(SellerkitError):
    status_code = 415


class QuotaExceeded(SellerkitError):
    status_code = 429

    def __init__(self, message: str, retry_after: float, headers: dict | None = None):
        retry = max(1, int(retry_after + 0.999))
        super().__init__(message, headers={"Retry-After": str(retry), **(headers or {})})
        self.retry_after = retry_after
