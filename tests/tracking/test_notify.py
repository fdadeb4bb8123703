"""What happens around a run: webhook summaries delivered with retries, the notification email
sent through a real SMTP server, scheduled runs started by the dispatcher end to end, schedule
hours read in the account's time zone, and the 5,000-ASIN limit on every way of adding ASINs."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import orjson
import pytest

from sellerkit.domain import capture
from sellerkit.kit.db import utcnow
from sellerkit.tracking import repository as repo
from sellerkit.tracking.models import Collection
from sellerkit.tracking.tasks import DISPATCH, dispatch
from tests.conftest import make_client
from tests.tracking.conftest import Api, usa
from tests.tracking.test_endpoints import c_account, collection, finished

ASINS = ["B000000031", "B000000032"]


class Receiver:
    """A webhook destination on 127.0.0.1 that answers 500 to its first `failures` posts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.posts = failures, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.posts.append(orjson.loads(body))
                status = 500 if len(owner.posts) <= owner.failures else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver(failures=2)
    yield found
    found.close()


def _filled(api, **extra) -> dict:
    usa(api)
    c = collection(api, **extra)
    api.post("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                       "customer_postcode": "10001", "asins": ",".join(ASINS)})
    return c


def _run(api, cid: int, destinations: int = 0) -> dict:
    """A run, once its files are written and (the last step) its destinations told."""
    run = api.post("schedules/run/result/", {"collection_id": cid})
    assert finished(api, cid)["id"] == run["id"]

    def told():
        latest = api.post("schedules/collections/results/download/", {"collection_id": cid})[0]
        return latest if len(latest["webhooks"]) == destinations else None
    return api.wait(told)


class TestWebhooks:
    def test_a_summary_reaches_each_destination_through_its_failures_listing_what_changed(self, api, amazon,
                                                                                           receiver):
        c = _filled(api, destinations=f"{receiver.url}, http://127.0.0.1:9/nobody-listens")
        first = _run(api, c["id"], 2)
        delivered, lost = first["webhooks"]
        assert delivered == {"url": receiver.url, "delivered": True, "status": 204, "attempts": 3}
        assert lost["delivered"] is False and lost["attempts"] == 4 and "Connect" in lost["error"]
        assert len(receiver.posts) == 3 and receiver.posts[0] == receiver.posts[2]
        summary = receiver.posts[-1]
        assert summary["event"] == "run.completed" and summary["runner_id"] == first["id"]
        assert (summary["ok"], summary["records"], summary["changed"]) == (2, 2, [])  # no previous run
        assert [link["file_name"] for link in summary["download_links"]] == [link["file_name"] for link in
                                                                            first["download_links"]]
        amazon.prices[ASINS[1]] = 123456  # $1,234.56 at the next capture
        second = _run(api, c["id"], 2)
        changed = receiver.posts[-1]["changed"]
        assert receiver.posts[-1]["runner_id"] == second["id"]
        assert changed == [{"asin": ASINS[1], "custom_id": None, "changes": {
            "price": {"before": changed[0]["changes"]["price"]["before"], "after": "$1,234.56"}}}]
        assert changed[0]["changes"]["price"]["before"] != "$1,234.56"


class TestEmail:
    def test_without_smtp_the_address_is_recorded_and_nothing_sent(self, api, amazon, receiver):
        c = _filled(api, destinations=receiver.url)
        done = _run(api, c["id"], 1)  # the email's outcome is saved with the webhooks'

        assert done["notification_email"] == "me@example.com" and done["email_sent"] is False

    def test_with_smtp_the_run_is_mailed(self, db, capture_settings, new_key, amazon):
        aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd (the test extra) is not installed")
        from tests.served import free_port

        class Inbox:
            def __init__(self) -> None:
                self.messages: list = []

            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
                self.messages.append(envelope)
                return "250 OK"

        inbox, port = Inbox(), free_port()
        smtp = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
        smtp.start()
        try:
            settings = capture_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}",
                                                           "smtp_from": "tracker@example.org"})
            with make_client(db, settings) as app:
                api = Api(app, new_key().key)
                c = _filled(api)
                done = _run(api, c["id"])
                done = api.wait(lambda: next((r for r in api.post("schedules/collections/results/download/",
                                                                  {"collection_id": c["id"]}) if r["email_sent"]), None))
        finally:
            smtp.stop()
        assert done["email_sent"] is True
        (mail,) = inbox.messages
        assert mail.mail_from == "tracker@example.org" and mail.rcpt_tos == ["me@example.com"]
        text = mail.content.decode()
        assert f"Subject: Watch list: run {done['id']} completed (2 of 2 captured)" in text
        assert '"runner_id": ' + str(done["id"]) in text


class TestScheduledDispatch:
    def test_a_due_collection_runs_from_the_periodic_dispatcher_and_its_next_run_moves_on(self, api, app, db,
                                                                                          amazon):
        c = _filled(api, schedule="Every X Minutes", schedule_time={"minutes_frequency": 5})
        got = api.post("schedules/get/", {"collection_id": c["id"]})
        assert got["schedule_status"] == "Scheduled" and got["next_run_at"] is not None
        with db.session(write=True) as s:  # its time has come
            repo.update_collection(s, c["id"], next_run_at=utcnow() - timedelta(seconds=1))
        dispatched = datetime.now(UTC)
        app.app.state.queue.tasks[DISPATCH]()  # what the consumer's scheduler enqueues every minute
        done = finished(api, c["id"])
        assert done["trigger"] == "schedule" and done["status"] == "Completed" and done["ok"] == 2
        after = api.post("schedules/get/", {"collection_id": c["id"]})
        following = datetime.fromisoformat(after["next_run_at"])
        assert dispatched < following < dispatched + timedelta(minutes=6) and following.timestamp() % 300 == 0
        # not due any more: no second run (at a fixed time, as the clock may pass `following` by now)
        assert dispatch(app.app.state.queue, now=following - timedelta(seconds=1)) == []
        time.sleep(0.5)
        assert len(api.post("schedules/collections/results/download/", {"collection_id": c["id"]})) == 1

    def test_due_collections_start_highest_priority_first_and_a_paused_one_not_at_all(self, api, app, db, amazon):
        usa(api)
        made = {p: collection(api, name=p, priority=p, schedule="Daily") for p in ("Lowest", "Highest", "Normal")}
        paused = collection(api, name="Paused", schedule="Daily")
        for c in [*made.values(), paused]:
            api.post("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                               "customer_postcode": "10001", "asins": ASINS[0]})
        api.post("schedules/pause/", {"collection_id": paused["id"]})
        with db.session(write=True) as s:
            for c in [*made.values(), paused]:
                repo.update_collection(s, c["id"], next_run_at=utcnow() - timedelta(seconds=1))
        queue = app.app.state.queue
        started = dispatch(queue)
        with db.session() as s:
            order = [repo.run(s, None, r).collection_id for r in started]
        assert order == [made["Highest"]["id"], made["Normal"]["id"], made["Lowest"]["id"]]
        for c in made.values():
            finished(api, c["id"])
        assert api.post("schedules/collections/results/download/", {"collection_id": paused["id"]}) == []


class TestTimezone:
    def test_schedule_hours_follow_the_account_zone_set_through_the_profile_route(self, api, amazon):
        c = _filled(api, schedule="Daily", schedule_time={"hours": ["08.00"]})

        def next_local(zone: str) -> datetime:
            at = datetime.fromisoformat(api.post("schedules/get/", {"collection_id": c["id"]})["next_run_at"])
            return at.astimezone(ZoneInfo(zone))

        brisbane = next_local("Australia/Brisbane")  # the service's own zone by default
        assert (brisbane.hour, brisbane.minute) == (8, 0)
        assert api.post("users/profile/update", {"timezone": "Europe/Berlin"}) == {
            "account_id": c_account(api_db(api), c["id"]), "timezone": "Europe/Berlin"}
        berlin = next_local("Europe/Berlin")
        assert (berlin.hour, berlin.minute) == (8, 0) and berlin.astimezone(UTC) != brisbane.astimezone(UTC)
        assert "timezone" in api.fails("users/profile/update", {"timezone": "Mars/Olympus"})
        assert next_local("Europe/Berlin") == berlin  # a refused zone changes nothing


def api_db(api):
    return api.client.app.state.db


class TestLimits:
    def _full(self, api, db, have: int) -> dict:
        domain_id, zid = usa(api)
        c = collection(api)
        with db.session(write=True) as s:
            account = s.get(Collection, c["id"]).account_id
            repo.insert_items(s, [{"account_id": account, "collection_id": c["id"], "domain_id": domain_id,
                                   "zipcode_id": zid, "asin": f"B{n:09d}", "output": "JSON",
                                   "include_raw_html": False} for n in range(have)])
        return {"id": c["id"], "domain": domain_id, "zipcode": zid}

    def test_single_create_stops_at_5000(self, api, db):
        c = self._full(api, db, capture.MAX_ITEMS)
        message = api.fails("schedules/amazon/asin/create/", {"collection": c["id"], "domain": c["domain"],
                                                             "customer_postcode": c["zipcode"], "asin": "B0ZZZZZZZ1"})
        assert "at most 5,000" in message

    def test_multiple_create_fills_to_5000_and_reports_the_rest(self, api, db):
        c = self._full(api, db, capture.MAX_ITEMS - 1)
        got = api.post("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                                 "customer_postcode": "10001",
                                                                 "asins": "B0ZZZZZZZ1,B0ZZZZZZZ2"})
        assert got["success_count"] == 1 and got["error_rows"][0]["asin"] == "B0ZZZZZZZ2"
        assert "at most 5,000" in got["error_rows"][0]["error"]
        listed = api.post("schedules/amazon/asin/list/", {"collection_id": c["id"], "with_count": 1, "limit": 1})
        assert listed["total_count"] == 5000

    def test_more_than_5000_at_once_is_refused_whole(self, api):
        usa(api)
        c = collection(api)
        asins = ",".join(f"B{n:09d}" for n in range(capture.MAX_ITEMS + 1))
        message = api.fails("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                                      "customer_postcode": "10001", "asins": asins})
        assert message == "asins: at most 5,000 at once (got 5,001)"
        assert api.post("schedules/amazon/asin/list/", {"collection_id": c["id"], "with_count": 1})["total_count"] == 0

    def test_bulk_fills_to_5000_and_reports_the_rest(self, api, app, db):
        c = self._full(api, db, capture.MAX_ITEMS - 1)
        csv = ("domain,customer_postcode,asin,include_raw_html\namazon.com,10001,B0ZZZZZZZ1,false\n"
               "amazon.com,10001,B0ZZZZZZZ2,false\n")
        got = app.post("/api/v1/schedules/amazon/asin/create/bulk/", headers=api.headers,
                       data={"collection_id": str(c["id"])}, files={"csv": ("a.csv", csv.encode())}).json()["data"]
        assert got["success_count"] == 1 and got["error_rows"][0]["row"] == 3
