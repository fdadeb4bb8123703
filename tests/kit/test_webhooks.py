"""Webhook deliveries through the real queue and a local HTTP receiver that fails the first
tries: retried with exponential backoff until delivered, given up after the last attempt,
posted once per attempt however often the job is enqueued."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sellerkit.accounts.models import Account
from sellerkit.config import Settings
from sellerkit.kit import webhooks
from sellerkit.kit.db import utcnow
from sellerkit.kit.queue import Queue
from sellerkit.kit.webhooks import WebhookDelivery, retry_delay


class Receiver:
    """An HTTP server on 127.0.0.1 answering 500 to the first `fail` posts, then 200."""

    def __init__(self, fail: int = 0, status: int = 500):
        self.posts: list[tuple[float, dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append((time.monotonic(), dict(self.headers), body))
                code = status if len(outer.posts) <= fail else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if code != 200 else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def queue(sqlite_db, tmp_path):
    settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=2,
                        webhook_retry_base_seconds=0.3, webhook_max_attempts=4, webhook_timeout=2)
    q = Queue(settings, sqlite_db)
    q.start_consumer(2)
    yield q
    q.stop_consumer()


def add_delivery(db, url: str) -> int:
    with db.session(write=True) as s:
        account = Account(name="hooks", plan="pro")
        s.add(account)
        s.flush()
        return webhooks.add(s, account_id=account.id, user_id=None, event="order_created", url=url,
                            payload={"event": "order_created", "order": {"id": "ab" * 12}})


def wait_for(db, delivery_id: int, status: str, timeout: float = 15) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            row = s.get(WebhookDelivery, delivery_id)
            if row.status == status:
                return row
        time.sleep(0.05)
    raise AssertionError(f"delivery {delivery_id} is {row.status} after {timeout} s, not {status}")


class TestRetryDelay:
    def test_doubles_from_the_base(self):
        assert [retry_delay(n, 10) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]

    def test_is_capped_at_an_hour(self):
        assert retry_delay(30, 10) == 3600


class TestDelivery:
    def test_retried_with_backoff_until_the_receiver_takes_it(self, queue, receiver):
        hook = receiver(fail=2)
        delivery_id = add_delivery(queue.db, hook.url)
        webhooks.enqueue(queue, [delivery_id])
        row = wait_for(queue.db, delivery_id, "delivered")
        assert (row.attempts, row.last_status, row.last_error) == (3, 200, None)
        times = [t for t, _, _ in hook.posts]
        assert len(hook.posts) == 3
        # 0.3 s after the first failure, 0.6 s after the second (the scheduler ticks about once a second)
        assert times[1] - times[0] >= 0.3 and times[2] - times[1] >= 0.6
        headers = [h for _, h, _ in hook.posts]
        assert {h["X-Sellerkit-Delivery"] for h in headers} == {str(delivery_id)}
        assert [h["X-Sellerkit-Attempt"] for h in headers] == ["1", "2", "3"]
        assert all(h["X-Sellerkit-Event"] == "order_created" for h in headers)
        assert hook.posts[-1][2] == b'{"event":"order_created","order":{"id":"' + b"ab" * 12 + b'"}}'

    def test_gives_up_after_the_last_attempt_keeping_the_error(self, queue, receiver):
        hook = receiver(fail=100, status=503)
        delivery_id = add_delivery(queue.db, hook.url)
        webhooks.enqueue(queue, [delivery_id])
        row = wait_for(queue.db, delivery_id, "failed", timeout=20)
        assert (row.attempts, row.last_status) == (4, 503) and row.last_error.startswith("HTTP 503")
        assert len(hook.posts) == 4

    def test_a_refused_connection_is_retried(self, sqlite_db, tmp_path):
        settings = Settings(data_dir=tmp_path, demo=False, webhook_retry_base_seconds=5)
        delivery_id = add_delivery(sqlite_db, "http://127.0.0.1:9/nothing-listens-here")
        assert webhooks.attempt(sqlite_db, settings, delivery_id) == 5
        with sqlite_db.session() as s:
            row = s.get(WebhookDelivery, delivery_id)
            assert (row.status, row.attempts, row.last_status) == ("pending", 1, None)
            assert row.last_error.startswith("ConnectError")

    def test_enqueued_twice_is_posted_once(self, sqlite_db, tmp_path, receiver):
        hook = receiver()
        settings = Settings(data_dir=tmp_path, demo=False)
        delivery_id = add_delivery(sqlite_db, hook.url)
        threads = [threading.Thread(target=webhooks.attempt, args=(sqlite_db, settings, delivery_id)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(hook.posts) == 1

    def test_a_retry_not_yet_due_is_not_posted_early(self, sqlite_db, tmp_path, receiver):
        hook = receiver(fail=1)
        settings = Settings(data_dir=tmp_path, demo=False, webhook_retry_base_seconds=60)
        delivery_id = add_delivery(sqlite_db, hook.url)
        assert webhooks.attempt(sqlite_db, settings, delivery_id) == 60
        assert webhooks.attempt(sqlite_db, settings, delivery_id) is None  # the sweep's early call
        assert len(hook.posts) == 1


class TestSweep:
    def test_an_overdue_delivery_is_posted_by_the_sweep_every_sweep_seconds(self, sqlite_db, tmp_path, receiver):
        """A delivery no job was enqueued for (the process that added it died) is found by the
        periodic sweep, which a consumer runs every SELLERKIT_SWEEP_SECONDS (Huey's scheduler
        alone: at its start, then once a minute)."""
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=1, sweep_seconds=1)
        q = Queue(settings, sqlite_db)
        q.start_consumer(1)
        try:
            time.sleep(2)  # past the consumer's first sweep, at its start
            hook = receiver()
            delivery_id = add_delivery(sqlite_db, hook.url)
            with sqlite_db.session(write=True) as s:
                s.get(WebhookDelivery, delivery_id).next_attempt_at = utcnow() - timedelta(minutes=2)
            row = wait_for(sqlite_db, delivery_id, "delivered", timeout=20)
        finally:
            q.stop_consumer()
        assert (row.attempts, row.last_status) == (1, 200) and len(hook.posts) == 1
