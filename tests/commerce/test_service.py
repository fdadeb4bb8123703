"""Commerce service calls the dashboard makes besides the API's: status counts, submission
requested from a page, and the channel accounts of rows shown."""

from __future__ import annotations

import pytest

from sellerkit.commerce import manifests as manifests_module
from sellerkit.commerce.manifests import manifests
from sellerkit.commerce.service import channel_accounts
from sellerkit.commerce.tasks import SUBMIT
from sellerkit.errors import Conflict, NotFound
from tests.web.commerce_seed import seed_commerce


class FakeQueue:
    settings = None  # no settings: every channel is local

    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def enqueue(self, name: str, *args) -> None:
        self.sent.append((name, *args))


@pytest.fixture
def shop(db, new_key):
    account = new_key().account_id
    return account, seed_commerce(db, account)


class TestStatusCounts:
    def test_counts_each_list_status(self, db, shop):
        account, seeded = shop
        with db.session() as s:
            assert manifests.status_counts(s, account, seeded.manifest_id) == {
                "okay_to_ship": 3, "missing_required_fields": 1}

    def test_another_accounts_manifest_is_not_found(self, db, shop, new_key):
        _, seeded = shop
        with db.session() as s, pytest.raises(NotFound):
            manifests.status_counts(s, new_key("x", account="x").account_id, seeded.manifest_id)


class TestRequestSubmission:
    def test_a_small_manifest_is_submitted_at_once(self, db, shop):
        account, seeded = shop
        queue = FakeQueue()
        assert manifests.request_submission(db, queue, account, seeded.manifest_id) is True
        with db.session() as s:
            assert manifests.get(s, account, seeded.manifest_id).status == "submitted"
        assert queue.sent == []

    def test_a_large_manifest_is_queued_and_held(self, db, shop, monkeypatch):
        account, seeded = shop
        monkeypatch.setattr(manifests_module, "SUBMIT_NOW", 2)
        queue = FakeQueue()
        assert manifests.request_submission(db, queue, account, seeded.manifest_id) is False
        assert queue.sent == [(SUBMIT, seeded.manifest_id)]
        with pytest.raises(Conflict, match="is being submitted"):
            manifests.request_submission(db, queue, account, seeded.manifest_id)


class TestChannelAccountsOf:
    def test_a_removed_channel_account_is_still_named(self, db, shop):
        account, seeded = shop
        with db.session(write=True) as s:
            channel_accounts.delete(s, account, seeded.channel_id)
        with db.session() as s:
            found = channel_accounts.of(s, account, [seeded.channel_id, seeded.channel_id])
        assert found[seeded.channel_id].name == "Amazon US"

    def test_another_accounts_channel_accounts_are_left_out(self, db, shop, new_key):
        _, seeded = shop
        with db.session() as s:
            assert channel_accounts.of(s, new_key("x", account="x").account_id, [seeded.channel_id]) == {}
