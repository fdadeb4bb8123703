"""Google Sheets export against recorded Google responses (real gspread and google-auth above a
fake transport), and its pacing and retry rules with a fake clock."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest
import requests
from gspread.exceptions import APIError

from sellerkit.config import Settings
from sellerkit.errors import Invalid, SellerkitError
from sellerkit.scans import gsheets
from sellerkit.scans.exports import ExportCancelled, export_gsheet
from tests.scans.recorded_google import recording, response

SID = recording("drive-files-create")["response"]["body"]["id"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame({
        "asin": [f"B{i:09d}" for i in range(rows)],
        "financials.profit": pl.Series([i - 150 for i in range(rows)], dtype=pl.Int64),
        "is_hazmat": [i % 2 == 0 for i in range(rows)],
        "identifiers.upc": [[f"{i:012d}"] for i in range(rows)],
    })


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def export(google, sheets_settings, clock):
    """export_gsheet with a fake clock for pacing and backoff."""
    def run(data: pl.DataFrame, **kwargs):
        kwargs.setdefault("settings", sheets_settings)
        kwargs.setdefault("pacer", gsheets.Pacer(60, clock=clock, sleep=clock.sleep))
        kwargs.setdefault("backoff", gsheets.Backoff(sleep=clock.sleep, jitter=lambda: 0.0))
        return export_gsheet(data, "Scan: spring-clearance.csv", **kwargs)
    return run


class TestExportGsheet:
    def test_returns_the_spreadsheet_url(self, export):
        assert export(frame(3)) == f"https://docs.google.com/spreadsheets/d/{SID}/edit"

    def test_refuses_when_not_set_up_with_the_exact_message(self, google):
        settings = Settings(_env_file=None, google_service_account_file=None)
        with pytest.raises(Invalid) as caught:
            export_gsheet(frame(3), "Scan", settings=settings)
        assert caught.value.message == "Google Sheets integration is not set up"
        assert caught.value.status_code == 400
        assert google.calls == []

    def test_refuses_a_key_file_that_is_missing(self, google, tmp_path):
        settings = Settings(_env_file=None, google_service_account_file=tmp_path / "nope.json")
        with pytest.raises(Invalid, match="SELLERKIT_GOOGLE_SERVICE_ACCOUNT_FILE: no file at"):
            export_gsheet(frame(3), "Scan", settings=settings)

    def test_splits_25000_rows_into_three_writes_of_40000_cells(self, export, google):
        export(frame(25_000), cells_per_write=40_000)  # 4 columns: 10,000 rows a write
        writes = google.to("sheets-values-update")
        assert [w.range for w in writes] == ["Results!A1:D10001", "Results!A10002:D20001",
                                             "Results!A20002:D25001"]
        assert [len(w.body["values"]) for w in writes] == [10_001, 10_000, 5_000]

    def test_writes_the_header_first_then_raw_values(self, export, google):
        export(frame(2))
        (write,) = google.to("sheets-values-update")
        assert write.params == {"valueInputOption": "RAW"}
        assert write.body["values"] == [
            ["asin", "financials.profit", "is_hazmat", "identifiers.upc"],
            ["B000000000", -150, True, "000000000000"],
            ["B000000001", -149, False, "000000000001"],
        ]

    def test_creates_the_spreadsheet_in_the_configured_folder_named_after_the_scan(self, export, google):
        export(frame(2))
        (create,) = google.to("drive-files-create")
        assert create.body == {"name": "Scan: spring-clearance.csv",
                               "mimeType": "application/vnd.google-apps.spreadsheet",
                               "parents": ["0AFolderInASharedDrive"]}

    def test_sizes_the_grid_and_bolds_and_freezes_the_header(self, export, google):
        export(frame(5))
        (shape,) = google.to("sheets-batch-update")
        props, cell = (r[k] for r, k in zip(shape.body["requests"], ("updateSheetProperties", "repeatCell")))
        assert props["properties"]["gridProperties"] == {"rowCount": 6, "columnCount": 4, "frozenRowCount": 1}
        assert props["properties"]["title"] == "Results"
        assert cell["cell"]["userEnteredFormat"]["textFormat"]["bold"] is True

    def test_shares_with_the_configured_email_without_notifying(self, export, google):
        export(frame(2))
        (share,) = google.to("drive-permissions-create")
        assert share.body == {"type": "user", "role": "writer", "withLink": False,
                              "emailAddress": "seller@example.com"}
        assert share.params["sendNotificationEmail"] == "False"

    def test_does_not_share_when_no_email_is_configured(self, export, google, service_account_file):
        export(frame(2), settings=Settings(_env_file=None, google_service_account_file=service_account_file))
        assert google.to("drive-permissions-create") == []

    def test_signs_in_as_the_service_account_and_sends_its_token(self, export, google):
        export(frame(2))
        (token,) = google.to("oauth2-token")
        assert token.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        assert all(c.headers["Authorization"] == "Bearer ya29.c.recorded-access-token"
                   for c in google.calls if c.endpoint != "oauth2-token")

    def test_retries_a_write_refused_with_429_after_backing_off(self, export, google, clock):
        google.answer_next("sheets-values-update", "sheets-error-429")
        export(frame(2))
        assert [c.status for c in google.to("sheets-values-update")] == [429, 200]
        assert clock.sleeps == [2.0]

    def test_backs_off_exponentially_on_repeated_5xx(self, export, google, clock):
        google.answer_next("sheets-values-update", "sheets-error-503", "sheets-error-503", "sheets-error-429")
        export(frame(2))
        assert clock.sleeps == [2.0, 4.0, 8.0]

    def test_gives_up_after_the_last_attempt_with_googles_message(self, export, google, clock):
        google.answer_next("sheets-values-update", *["sheets-error-429"] * 6)
        with pytest.raises(SellerkitError, match=r"Google Sheets refused the export \(429\): Quota exceeded") as caught:
            export(frame(2))
        assert caught.value.status_code == 502
        assert len(google.to("sheets-values-update")) == 6

    def test_does_not_retry_a_refusal_that_is_final(self, export, google):
        google.answer_next("drive-files-create", "drive-error-403-storage")
        with pytest.raises(SellerkitError, match="Drive storage quota has been exceeded"):
            export(frame(2))
        assert len(google.to("drive-files-create")) == 1

    def test_a_refused_sign_in_is_an_error_naming_googles_reason(self, export, google):
        google.answer_next("oauth2-token", "oauth2-token-invalid-grant")
        with pytest.raises(SellerkitError) as caught:
            export(frame(2))
        assert caught.value.message == ("Google refused the service account's sign-in: "
                                        "invalid_grant: Invalid JWT Signature.")

    def test_retries_drives_rate_limit_403(self, export, google):
        google.answer_next("drive-files-create", "drive-error-403-rate")
        export(frame(2))
        assert [c.status for c in google.to("drive-files-create")] == [403, 200]

    def test_paces_requests_to_the_configured_rate(self, export, google, clock):
        export(frame(25_000), cells_per_write=4_000,  # 25 writes, 29 requests with the others
               pacer=gsheets.Pacer(10, clock=clock, sleep=clock.sleep))
        assert len(google.calls) == 30  # the token request is google-auth's, not paced
        assert clock.sleeps == [60.0, 60.0]

    def test_reports_progress_after_each_write(self, export):
        seen = []
        export(frame(25_000), cells_per_write=40_000, progress=lambda done, total: seen.append((done, total)))
        assert seen == [(0, 25_000), (10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]

    def test_cancelling_deletes_the_half_written_spreadsheet(self, export, google):
        stops = iter([False, True])
        with pytest.raises(ExportCancelled):
            export(frame(25_000), cells_per_write=40_000, should_stop=lambda: next(stops))
        assert len(google.to("sheets-values-update")) == 1
        (delete,) = google.to("drive-files-delete")
        assert delete.url.startswith(f"https://www.googleapis.com/drive/v3/files/{SID}")

    def test_refuses_more_cells_than_a_spreadsheet_holds_before_creating_one(self, export, google):
        wide = pl.DataFrame({f"c{i}": [1] for i in range(200)})
        with pytest.raises(Invalid, match="at most 10,000,000 cells"):
            export(wide.select(pl.all().repeat_by(50_000).explode()))
        assert google.calls == []

    def test_writes_a_header_only_sheet_for_no_rows(self, export, google):
        export(frame(0))
        (write,) = google.to("sheets-values-update")
        assert write.body["values"] == [["asin", "financials.profit", "is_hazmat", "identifiers.upc"]]


class TestPacer:
    def test_lets_a_minutes_allowance_through_without_waiting(self, clock):
        pacer = gsheets.Pacer(3, clock=clock, sleep=clock.sleep)
        for _ in range(3):
            pacer.wait()
        assert clock.sleeps == []

    def test_waits_until_the_oldest_request_is_a_minute_old(self, clock):
        pacer = gsheets.Pacer(3, clock=clock, sleep=clock.sleep)
        for at in (0, 10, 20, 30):
            clock.now = max(clock.now, at)
            pacer.wait()
        assert clock.sleeps == [30.0]

    def test_window_slides(self, clock):
        pacer = gsheets.Pacer(2, clock=clock, sleep=clock.sleep)
        for _ in range(6):
            pacer.wait()
        assert clock.sleeps == [60.0, 60.0]
        assert clock.now == 120.0


class TestBackoff:
    def test_doubles_from_the_base_up_to_the_cap(self):
        backoff = gsheets.Backoff(base=2, cap=20, jitter=lambda: 0.0)
        error = _api_error("sheets-error-503")
        assert [backoff.delay(n, error) for n in range(5)] == [2, 4, 8, 16, 20]

    def test_follows_retry_after_when_google_sends_it(self):
        error = _api_error("sheets-error-429", headers={"Retry-After": "17"})
        assert gsheets.Backoff(jitter=lambda: 0.0).delay(0, error) == 17.0


class TestSheetsApi:
    def api(self, clock: FakeClock) -> gsheets.SheetsApi:
        return gsheets.SheetsApi(SimpleNamespace(http_client=None),
                                 gsheets.Pacer(60, clock=clock, sleep=clock.sleep),
                                 gsheets.Backoff(sleep=clock.sleep, jitter=lambda: 0.0))

    def test_retries_a_lost_connection_for_an_idempotent_request(self, clock):
        answers = iter([requests.ConnectionError("reset"), "done"])

        def call():
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer
        assert self.api(clock)._call(call) == "done"
        assert clock.sleeps == [2.0]

    def test_does_not_repeat_a_create_after_a_lost_connection(self, clock):
        def call():
            raise requests.Timeout("read timed out")
        with pytest.raises(requests.Timeout):
            self.api(clock)._call(call, idempotent=False)
        assert clock.sleeps == []

    def test_connect_sets_a_timeout(self, sheets_settings):
        assert gsheets.connect(sheets_settings).http_client.timeout == gsheets.TIMEOUT


class TestRetryable:
    @pytest.mark.parametrize("name, expected", [
        ("sheets-error-429", True), ("sheets-error-503", True),
        ("drive-error-403-rate", True), ("drive-error-403-storage", False),
    ])
    def test_tells_load_from_refusal(self, name, expected):
        assert gsheets.retryable(_api_error(name)) is expected

    def test_does_not_repeat_a_request_that_may_have_happened_on_5xx(self):
        assert gsheets.retryable(_api_error("sheets-error-503"), idempotent=False) is False
        assert gsheets.retryable(_api_error("sheets-error-429"), idempotent=False) is True


def _api_error(name: str, headers: dict | None = None) -> APIError:
    answer = recording(name)["response"]
    answer = {**answer, "headers": {**answer["headers"], **(headers or {})}}
    return APIError(response(requests.Request("PUT", "https://example.invalid").prepare(), answer))

