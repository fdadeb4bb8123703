"""One error base carrying its HTTP status; the app renders every one the same way."""

from __future__ import annotations


class SellerkitError(Exception):
    """`message` says what is wrong and what to change. `error` is a dialect's own short text
    where its reference fixes one (ASINScope's 429 bodies); its routes answer it as `error`."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, headers: dict | None = None,
                 error: str | None = None):
        super().__init__(message)
        self.message = message
        self.error = error
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


class Gone(SellerkitError):
    """The object existed and was deleted (SellerChamp's 410)."""

    status_code = 410


class NotAcceptable(SellerkitError):
    status_code = 406


class Unavailable(SellerkitError):
    """503: a dependency (the database) does not answer now; `Retry-After` says when to retry."""

    status_code = 503


class PayloadTooLarge(SellerkitError):
    status_code = 413


class UnsupportedMediaType(SellerkitError):
    status_code = 415


class QuotaExceeded(SellerkitError):
    """429 with `Retry-After` in whole seconds (at least 1, as HTTP has it) and `Retry-After-Ms`
    with the exact wait, for clients that can wait less than a second."""

    status_code = 429

    def __init__(self, message: str, retry_after: float, headers: dict | None = None, error: str | None = None):
        retry = max(1, int(retry_after + 0.999))
        super().__init__(message, headers={"Retry-After": str(retry),
                                           "Retry-After-Ms": str(max(1, int(retry_after * 1000 + 0.999))),
                                           **(headers or {})}, error=error)
        self.retry_after = retry_after
