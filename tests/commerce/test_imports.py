"""Channel files imported: the real eBay pages and Amazon All Listings report (read in place),
an Amazon order report; stock taken once however often a file is imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sellerkit.commerce.imports import import_file
from tests.commerce.test_orders import product_state, stocked
from tests.domain.test_channel_files import EBAY, LISTINGS, ORDER_REPORT, shared


def account_of(seller, db) -> int:
    from sellerkit.accounts.models import ApiKey
    from sellerkit.accounts.service import hash_secret

    with db.session() as s:
        return s.query(ApiKey).filter_by(secret_hash=hash_secret(seller.headers["Token"])).one().account_id


class TestOrderReport:
    def test_takes_stock_once_and_keeps_fba_orders_off_local_stock(self, seller, db):
        product = stocked(seller, sku="SKU-A", locations=((5, 1, False),))
        account = account_of(seller, db)
        first = import_file(db, account, "Main", ORDER_REPORT.encode(), "orders.txt")
        again = import_file(db, account, "Main", ORDER_REPORT.encode(), "orders.txt")
        assert (first.format, first.orders, first.created, again.created) == ("amazon-order-report", 3, 3, 0)
        # SKU-A: 2 taken by the unshipped order; the cancelled order's item takes nothing
        assert product_state(seller, product) == (3, 2, {"BIN-0": 3})
        listed = {o["order_number"]: o for o in seller.get("/api/orders").json()["orders"]}
        assert listed["111-0000002-0000002"]["fulfilled_by"] == "amazon"
        assert listed["111-0000003-0000003"]["order_status"] == "cancelled"

    def test_an_unknown_channel_is_named(self, seller, db):
        from sellerkit.errors import NotFound

        with pytest.raises(NotFound, match='--channel: no marketplace account "Nope"'):
            import_file(db, account_of(seller, db), "Nope", ORDER_REPORT.encode(), "orders.txt")


class TestRealFiles:
    pytestmark = shared

    def test_ebay_page_then_its_cancellation(self, seller, db):
        product = stocked(seller, sku="68929", locations=((2, 1, False),))
        account = account_of(seller, db)
        new = (EBAY / "01_ebay-new-order-single-item-of-consumer.json").read_bytes().replace(b'"34324"', b'"68929"')
        new = new.replace(b"07-07160-2343", b"07-07160-44920343")
        assert import_file(db, account, "Main", new, "new.json").created == 1
        assert product_state(seller, product)[:2] == (1, 1)
        cancelled = import_file(db, account, "Main", (EBAY / "03_ebay-order-cancelled.json").read_bytes(), "c.json")
        assert cancelled.created == 0
        assert product_state(seller, product)[:2] == (2, 0)

    def test_all_listings_report_becomes_products(self, seller, db):
        done = import_file(db, account_of(seller, db), "Main", LISTINGS.read_bytes(), LISTINGS.name)
        assert (done.format, done.listings) == ("amazon-listings-report", 40)
        found = seller.get("/api/products", params={"sku": "0J-3QVQ-PCR5"}).json()["products"]
        assert [(p["asin"], p["quantity_available"], p["retail_price"]) for p in found] == [("B005X64OA8", 7, 145.0)]


class TestCli:
    def test_orders_import_prints_what_it_did(self, tmp_path):
        env = {"SELLERKIT_DATA_DIR": str(tmp_path / "data"), "SELLERKIT_DEMO": "0", "PATH": "/usr/bin:/bin"}

        def run(*args, check=True):
            proc = subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env=env, capture_output=True,
                                  text=True, timeout=120)
            assert not check or proc.returncode == 0, proc.stderr
            return proc

        key = json.loads(run("keys", "create", "--name", "shop", "--plan", "pro", "--json").stdout)
        from sellerkit.commerce.models import MarketplaceAccount
        from sellerkit.kit.db import Database

        db = Database(f"sqlite:///{tmp_path / 'data' / 'sellerkit.db'}")
        with db.session(write=True) as s:
            s.add(MarketplaceAccount(account_id=key["account_id"], name="Main", account_type="AmazonAccount",
                                     marketplace="amazon", marketplace_id="US"))
        db.dispose()
        report = tmp_path / "orders.txt"
        report.write_text(ORDER_REPORT)
        out = json.loads(run("orders", "import", str(report), "--channel", "Main", "--json").stdout)
        assert out["format"] == "amazon-order-report" and (out["orders"], out["created"]) == (3, 3)
        bad = tmp_path / "bad.csv"
        bad.write_text("a,b\n1,2\n")
        proc = run("orders", "import", str(bad), "--channel", "Main", check=False)
        assert proc.returncode == 1 and "not a known channel file" in proc.stderr
