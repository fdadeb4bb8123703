"""Google Sheets through gspread: one new spreadsheet per export, filled in large batches.

Google grants a user about 60 write requests a minute, so the cost of an export is its number of
requests, not its number of cells: rows go in batches of tens of thousands of cells, a `Pacer`
waits rather than be refused, and a refusal that means "slow down" (429, 5xx, Drive's 403
rate-limit reasons) is retried with truncated exponential backoff, as Google's guides ask.

Spreadsheets are created through Drive so they can land in a configured folder: service accounts
own no Drive storage, so the folder must be one they can write to (a Shared Drive's), or the
account must act for a Workspace user (domain-wide delegation).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import gspread
import requests
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError
from gspread.urls import DRIVE_FILES_API_V3_URL, SPREADSHEET_DRIVE_URL
from gspread.utils import rowcol_to_a1

from sellerkit.config import Settings
from sellerkit.errors import Invalid

NOT_SET_UP = "Google Sheets integration is not set up"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")
SHEET_TITLE = "Results"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
DRIVE_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout)
TIMEOUT = (10, 120)  # seconds to connect, to read: a background job must not hang for ever

Cell = str | int | float | bool | None


def connect(settings: Settings) -> gspread.Client:
    """A gspread client on the configured service account; `Invalid` when there is none."""
    path = settings.google_service_account_file
    if path is None:
        raise Invalid(NOT_SET_UP)
    if not path.is_file():
        raise Invalid(f"SELLERKIT_GOOGLE_SERVICE_ACCOUNT_FILE: no file at {path}")
    try:
        creds = Credentials.from_service_account_file(
            str(path), scopes=list(SCOPES), subject=settings.google_delegated_user
        )
    except (ValueError, KeyError) as exc:
        raise Invalid(
            f"SELLERKIT_GOOGLE_SERVICE_ACCOUNT_FILE: {path} is not a service-account key ({exc})"
        ) from None
    client = gspread.Client(auth=creds)
    client.http_client.set_timeout(TIMEOUT)
    return client


@dataclass
class Pacer:
    """At most `per_minute` requests in any 60 seconds; `wait()` sleeps until one may go.

    Shared by every export in the process (see `pacer()`), since Google counts per user."""

    per_minute: int = 60
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque[float] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            while True:
                while self._sent and now - self._sent[0] >= 60:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    break
                self.sleep(self._sent[0] + 60 - now)
                now = self.clock()
            self._sent.append(now)


@lru_cache(maxsize=None)
def pacer(per_minute: int) -> Pacer:
    """The process's pacer for a rate (one service account per deployment)."""
    return Pacer(per_minute)


@dataclass(frozen=True)
class Backoff:
    """Truncated exponential backoff with jitter: `base * 2**n` seconds, at most `cap`, or what
    Google's Retry-After header says."""

    attempts: int = 6
    base: float = 2.0
    cap: float = 64.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def delay(self, retry: int, error: Exception) -> float:
        after = error.response.headers.get("Retry-After", "") if isinstance(error, APIError) else ""
        if after.isdigit():
            return float(after)
        return min(self.base * 2**retry + self.jitter(), self.cap)


def retryable(error: Exception, idempotent: bool = True) -> bool:
    """Whether Google refused for load (try again later) rather than for the request itself.

    A 5xx or a lost connection may have done the work, so only idempotent requests retry then."""
    if isinstance(error, NETWORK_ERRORS):
        return idempotent
    if not isinstance(error, APIError):
        return False
    status = error.response.status_code
    if status == 429:
        return True
    if status == 403:  # Drive's quota refusals; storageQuotaExceeded is 403 too and final
        reasons = {e.get("reason") for e in error.error.get("errors", []) if isinstance(e, dict)}
        return bool(reasons & DRIVE_RATE_REASONS)
    return idempotent and status in RETRY_STATUSES


class SheetsApi:
    """The few Sheets and Drive calls an export makes, each paced and retried."""

    def __init__(self, client: gspread.Client, pacer: Pacer, backoff: Backoff = Backoff()):
        self.http = client.http_client
        self.pacer = pacer
        self.backoff = backoff

    def _call(self, fn: Callable[..., Any], *args: Any, idempotent: bool = True, **kwargs: Any):
        for attempt in range(self.backoff.attempts):
            self.pacer.wait()
            try:
                return fn(*args, **kwargs)
            except (APIError, *NETWORK_ERRORS) as error:
                if attempt + 1 == self.backoff.attempts or not retryable(error, idempotent):
                    raise
                self.backoff.sleep(self.backoff.delay(attempt, error))
        raise AssertionError("unreachable")

    def create(self, title: str, folder_id: str | None) -> tuple[str, int, str]:
        """A new spreadsheet -> (spreadsheet id, first sheet's id, URL)."""
        body: dict[str, Any] = {"name": title, "mimeType": SPREADSHEET_MIME}
        if folder_id:
            body["parents"] = [folder_id]
        created = self._call(self.http.request, "post", DRIVE_FILES_API_V3_URL, json=body,
                             params={"supportsAllDrives": True}, idempotent=False).json()
        meta = self._call(self.http.fetch_sheet_metadata, created["id"])
        url = meta.get("spreadsheetUrl") or SPREADSHEET_DRIVE_URL % created["id"]
        return created["id"], meta["sheets"][0]["properties"]["sheetId"], url

    def shape(self, spreadsheet_id: str, sheet_id: int, rows: int, columns: int) -> None:
        """Size the grid to the data (values beyond it are refused), bold and freeze the header."""
        grid = {"rowCount": max(rows, 2), "columnCount": max(columns, 1), "frozenRowCount": 1}
        self._call(self.http.batch_update, spreadsheet_id, {"requests": [
            {"updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "title": SHEET_TITLE, "gridProperties": grid},
                "fields": "title,gridProperties(rowCount,columnCount,frozenRowCount)"}},
            {"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold"}},
        ]})

    def write(self, spreadsheet_id: str, first_row: int, rows: Sequence[Sequence[Cell]]) -> None:
        """Rows from 1-based `first_row`, as RAW values: nothing is parsed as a formula or date."""
        width = max(1, *(len(r) for r in rows))
        cells = f"A{first_row}:{rowcol_to_a1(first_row + len(rows) - 1, width)}"
        self._call(self.http.values_update, spreadsheet_id, f"{SHEET_TITLE}!{cells}",
                   params={"valueInputOption": "RAW"}, body={"values": rows})

    def share(self, spreadsheet_id: str, email: str) -> None:
        self._call(self.http.insert_permission, spreadsheet_id, email, perm_type="user",
                   role="writer", notify=False, idempotent=False)

    def delete(self, spreadsheet_id: str) -> None:
        self._call(self.http.request, "delete", f"{DRIVE_FILES_API_V3_URL}/{spreadsheet_id}",
                   params={"supportsAllDrives": True})


def export_rows(
    api: SheetsApi,
    title: str,
    header: Sequence[str],
    batches: Iterable[Sequence[Sequence[Cell]]],
    total_rows: int,
    *,
    folder_id: str | None = None,
    share_with: str | None = None,
    after_write: Callable[[int], None] = lambda done: None,
) -> str:
    """A new spreadsheet `title` holding header + rows (one request per batch); its URL.

    `after_write(done_rows)` runs after each batch and may raise to stop: the half-written
    spreadsheet is then deleted, as far as Google lets us."""
    spreadsheet_id, sheet_id, url = api.create(title, folder_id)
    try:
        api.shape(spreadsheet_id, sheet_id, total_rows + 1, len(header))
        first, done = 1, 0
        for batch in batches:
            rows = [list(header), *batch] if first == 1 else batch
            api.write(spreadsheet_id, first, rows)
            first += len(rows)
            done += len(batch)
            after_write(done)
        if first == 1:
            api.write(spreadsheet_id, 1, [list(header)])
        if share_with:
            api.share(spreadsheet_id, share_with)
    except BaseException:
        try:
            api.delete(spreadsheet_id)
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise
    return url
