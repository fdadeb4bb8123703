"""`sellerkit accounts add-channel` and friends: the same service as POST /api/marketplace_accounts."""

from __future__ import annotations

import json

from tests.test_cli import run  # noqa: F401 - the fixture


class TestAccountsCli:
    def test_add_channel_per_marketplace_and_list(self, run):  # noqa: F811
        run("keys", "create", "--name", "shop", "--account", "shop")
        us = json.loads(run("accounts", "add-channel", "amazon", "--name", "US", "--marketplace", "US", "--json").stdout)
        assert us["marketplace_account_type"] == "AmazonAccount" and us["marketplace_id"] == "US"
        assert len(us["manifest_folders"]) == 6
        ebay_id = run("accounts", "add-channel", "EbayAccount", "--name", "Store", "--account", "shop").stdout.strip()
        listed = [json.loads(line) for line in run("accounts", "channels").stdout.splitlines()]
        assert [c["id"] for c in listed] == [us["id"], ebay_id]
        run("accounts", "remove-channel", ebay_id)
        assert len(run("accounts", "channels").stdout.splitlines()) == 1

    def test_unknown_channel_fails_naming_the_types(self, run):  # noqa: F811
        run("keys", "create", "--name", "shop")
        proc = run("accounts", "add-channel", "etsy", "--name", "X", check=False)
        assert proc.returncode == 1 and "AmazonAccount" in proc.stderr

    def test_amazon_marketplace_must_exist(self, run):  # noqa: F811
        run("keys", "create", "--name", "shop")
        proc = run("accounts", "add-channel", "amazon", "--name", "X", "--marketplace", "ZZ", check=False)
        assert proc.returncode == 1 and "marketplace_id" in proc.stderr
