"""An item's captures over its runs, as the dashboard's chart reads them."""

from __future__ import annotations

import pytest

from sellerkit.errors import NotFound
from sellerkit.tracking.runner import CaptureRun
from sellerkit.tracking.service import tracking
from tests.fakes.amazon_pages import FakeAmazon
from tests.web.commerce_seed import seed_tracking


@pytest.fixture
def tracked(db, new_key, settings):
    with FakeAmazon() as amazon:
        s = settings.model_copy(update={"capture_base_urls": {"amazon.com": amazon.url}, "capture_host_rps": 1000})
        account = new_key().account_id
        made = seed_tracking(db, account, ["B000000001"], name="Chart")
        yield db, s, amazon, account, made.collection_id, made.item_ids[0]


def _run(db, settings, account_id, collection_id) -> int:
    with db.session(write=True) as session:
        run_id = tracking.start_run(session, account_id, collection_id).id
    assert CaptureRun(db, settings).run(run_id) == "Completed"
    return run_id


class TestItemHistory:
    def test_each_run_is_a_point_with_price_stock_and_rank(self, tracked):
        db, settings, amazon, account_id, cid, item_id = tracked
        amazon.prices["B000000001"] = 1999
        first = _run(db, settings, account_id, cid)
        amazon.prices["B000000001"] = 2450
        second = _run(db, settings, account_id, cid)
        with db.session() as session:
            points = tracking.item_history(session, account_id, item_id)
        assert [(p["run"], p["price"]) for p in points] == [(first, 1999), (second, 2450)]
        assert all(p["in_stock"] is True and p["rank"] > 0 and p["availability"] for p in points)

    def test_the_limit_keeps_the_newest_runs(self, tracked):
        db, settings, _amazon, account_id, cid, item_id = tracked
        runs = [_run(db, settings, account_id, cid) for _ in range(3)]
        with db.session() as session:
            assert [p["run"] for p in tracking.item_history(session, account_id, item_id, limit=2)] == runs[1:]

    def test_another_accounts_item_is_not_found(self, tracked, new_key):
        db, *_rest, item_id = tracked
        stranger = new_key("stranger", account="stranger")
        with db.session() as session, pytest.raises(NotFound):
            tracking.item_history(session, stranger.account_id, item_id)
