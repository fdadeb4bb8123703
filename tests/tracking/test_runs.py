"""A run killed halfway resumes with exact counts and credits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sellerkit.kit.db import utcnow
from sellerkit.tracking import repository as repo
from sellerkit.tracking import runner as runner_module
from sellerkit.tracking.models import Run
from sellerkit.tracking.runner import CaptureRun
from sellerkit.tracking.service import tracking
from tests.fakes.amazon_pages import FakeAmazon


class Killed(BaseException):
    """The process dies: nothing after it runs, the lease is not released."""


@pytest.fixture
def setup(db, new_key, settings, tmp_path):
    with FakeAmazon() as amazon:
        s = settings.model_copy(update={"capture_base_urls": {"amazon.com": amazon.url}, "capture_host_rps": 1000,
                                        "scan_stale_seconds": 1, "capture_backoff_seconds": 0.01})
        issued = new_key()
        with db.session(write=True) as session:
            from sellerkit.tracking.models import Zipcode

            z = tracking.create_zipcode(session, issued.account_id, 2, "10001")
            z.status = "active"
            c = tracking.create_collection(session, issued.account_id, {"name": "Kill", "request_type": "amazon",
                                                                        "schedule": "Manual"})
            tracking.set_credits(session, issued.account_id, 1000)
            c_id = c.id
            session.flush()
            tracking.create_items(session, issued.account_id, {"collection": c_id, "domain": "amazon.com",
                                                               "customer_postcode": "10001",
                                                               "asins": ",".join(f"B{n:09d}" for n in range(600))})
        yield db, s, issued.account_id, c_id


class TestResume:
    def test_a_killed_run_resumes_without_losing_or_doubling(self, setup, monkeypatch):
        db, settings, account_id, cid = setup
        with db.session(write=True) as session:
            run_id = tracking.start_run(session, account_id, cid).id
        flushes = {"n": 0}
        original = CaptureRun._flush

        def dying(self, *args, **kwargs):
            flushes["n"] += 1
            if flushes["n"] == 3:
                raise Killed()
            return original(self, *args, **kwargs)

        monkeypatch.setattr(runner_module, "FLUSH_ITEMS", 100)
        monkeypatch.setattr(CaptureRun, "_flush", dying)
        with pytest.raises(Killed):
            CaptureRun(db, settings).run(run_id)
        with db.session() as session:
            half = repo.run(session, None, run_id)
            assert half.status == "InProgress" and 0 < half.ok < 600
            credits = tracking.credits(session, account_id)
            assert credits["used_credits"] == half.ok and credits["frozen_credits"] == 600 - half.ok
            # the lease goes stale, as a dead worker's does
            repo.update_run(session, run_id, heartbeat_at=utcnow() - timedelta(seconds=30))
        monkeypatch.setattr(CaptureRun, "_flush", original)
        assert CaptureRun(db, settings).run(run_id) == "Completed"
        with db.session() as session:
            done = repo.run(session, None, run_id)
            assert (done.ok, done.failed, done.blocked, done.credits) == (600, 0, 0, 600)
            assert repo.output_count(session, run_id) == 600
            assert tracking.credits(session, account_id) == {"available_credits": 1000, "used_credits": 600,
                                                            "frozen_credits": 0, "remaining_credits": 400}
            assert done.pages == 2 and done.is_download_generated
