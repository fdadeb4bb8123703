"""The dashboard's listings, inventory, orders and tracking pages in a real Chromium: each
listed, one opened, and its write action (submit a manifest, enter tracking on an order,
run a collection); another account's ids are 404 pages. Data is made through the services on
the served app's own database, page captures come from the fake storefront."""

from __future__ import annotations

import json
import re
import time

import pytest

from sellerkit.commerce.manifests import manifests
from sellerkit.kit.db import Database
from tests.browser import launched_browser
from tests.fakes.amazon_pages import FakeAmazon
from tests.served import env_for, serve
from tests.web.commerce_seed import seed_commerce, seed_tracking
from tests.web.harness import Site, csrf_of, screenshot, sign_in, watch_other_hosts

pytestmark = pytest.mark.slow
OWNER, OTHER = "owner@acme.test", "other@globex.test"
ASINS = ["B000000101", "B000000102", "B000000103"]


@pytest.fixture(scope="module")
def amazon():
    with FakeAmazon() as fake:
        yield fake


@pytest.fixture(scope="module")
def shop(tmp_path_factory, amazon):
    """A served app whose captures go to the fake storefront, with two accounts' data."""
    data_dir = tmp_path_factory.mktemp("web-commerce")
    env = env_for(data_dir, SELLERKIT_CAPTURE_BASE_URLS=json.dumps({"amazon.com": amazon.url}),
                  SELLERKIT_CAPTURE_HOST_RPS="1000", SELLERKIT_CAPTURE_BACKOFF_SECONDS="0.05")
    site = Site(base="", env=env, data_dir=data_dir)
    site.add_user(OWNER, "acme")
    site.add_user(OTHER, "globex")
    with serve(env) as base:
        site.base = base
        db = Database(f"sqlite:///{data_dir}/sellerkit.db")
        try:
            site.mine = seed_commerce(db, site.users[OWNER])
            site.theirs = seed_commerce(db, site.users[OTHER], name="Globex stock")
            site.tracked = seed_tracking(db, site.users[OWNER], ASINS)
            site.their_tracked = seed_tracking(db, site.users[OTHER], ["B000000901"])
            site.db = db
            yield site
        finally:
            db.dispose()


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


@pytest.fixture
def page(browser, shop):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    sign_in(tab, shop.base, OWNER)
    yield tab
    context.close()


def _flash(page) -> str:
    return page.locator(".flash").first.inner_text()


class TestListings:
    def test_list_open_and_submit_a_manifest(self, page, shop):
        elsewhere = watch_other_hosts(page, shop.base)
        page.goto(f"{shop.base}/listings")
        row = page.locator("#manifests tbody tr", has_text="Spring restock")
        assert row.count() == 1 and "Globex" not in page.content()
        screenshot(page, "listings")
        row.get_by_role("link", name="Spring restock").click()
        page.wait_for_url(f"{shop.base}/listings/{shop.mine.manifest_id}")
        listings = page.locator("#listings tbody tr")
        assert listings.count() == 4
        held = listings.filter(has_text="SK-HELD")
        assert "missing required fields" in held.inner_text() and "title" in held.inner_text()
        screenshot(page, "manifest")
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile(r"Submit 3 listings")).click()
        assert page.url == f"{shop.base}/listings/{shop.mine.manifest_id}"
        assert "Submitted" in _flash(page) and "1 listings not submitted" in _flash(page)
        assert page.locator("#manifest-status").inner_text() == "submitted"
        assert listings.filter(has_text="SK-1").get_by_role("link", name="view").count() == 1
        assert elsewhere == []

    def test_products_show_their_stock_by_location(self, page, shop):
        with shop.db.session() as s:  # the manifest is submitted by the test before, or here
            m = manifests.get(s, shop.users[OWNER], shop.mine.manifest_id)
        if m.status != "submitted":
            page.goto(f"{shop.base}/listings/{shop.mine.manifest_id}")
            with page.expect_navigation():
                page.get_by_role("button", name=re.compile("Submit")).click()
        page.goto(f"{shop.base}/listings/products")
        row = page.locator("#products tbody tr", has_text="SK-2")
        assert row.count() == 1 and "Default: 5" in row.inner_text()
        screenshot(page, "inventory")
        row.get_by_role("link", name="SK-2").click()
        assert page.locator("#locations tbody tr", has_text="Default").count() == 1
        assert page.locator("#available").inner_text() == "5"


class TestOrders:
    def test_list_open_and_enter_tracking(self, page, shop):
        page.goto(f"{shop.base}/orders")
        rows = page.locator("#orders tbody tr")
        assert rows.count() == 3
        screenshot(page, "orders")
        newest = rows.first
        assert "111-0000002-0000001" in newest.inner_text()  # newest purchase first
        newest.get_by_role("link", name="111-0000002-0000001").click()
        page.get_by_label("Tracking number").fill("1Z999AA10123456784")
        page.get_by_label("Carrier").fill("UPS")
        with page.expect_navigation():
            page.get_by_role("button", name="Ship with this tracking").click()
        assert "shipped, tracking 1Z999AA10123456784" in _flash(page)
        assert page.locator("#order-status").inner_text() == "shipped"
        assert "UPS" in page.locator("#tracking").inner_text()
        page.goto(f"{shop.base}/orders?status=shipped")
        assert page.locator("#orders tbody tr").count() == 1

    def test_an_empty_tracking_number_is_refused_in_the_browser(self, page, shop):
        page.goto(f"{shop.base}/orders/{shop.mine.order_ids[0]}")
        page.get_by_role("button", name="Ship with this tracking").click()
        assert page.url.endswith(f"/orders/{shop.mine.order_ids[0]}")  # `required`: nothing was sent
        assert page.locator("#order-status").inner_text() == "awaiting shipment"


class TestTracking:
    def _run(self, page, shop) -> None:
        page.goto(f"{shop.base}/tracking/{shop.tracked.collection_id}")
        with page.expect_navigation():
            page.get_by_role("button", name="Run now").click()
        assert re.search(r"Run \d+ started: 3 ASINs queued", _flash(page))
        deadline = time.monotonic() + 60
        while "Completed" not in page.locator("#runs tbody tr").first.inner_text():
            assert time.monotonic() < deadline, page.locator("#runs").inner_text()
            time.sleep(0.3)
            page.reload()

    def test_list_open_run_and_chart_an_item(self, page, shop, amazon):
        page.goto(f"{shop.base}/tracking")
        row = page.locator("#collections tbody tr", has_text="Hoses to watch")
        assert row.count() == 1 and page.locator("#credits-left").inner_text() == "1,000"
        row.get_by_role("link", name="Hoses to watch").click()
        assert page.locator("#items tbody tr").count() == 3
        amazon.prices[ASINS[0]] = 2999
        self._run(page, shop)
        amazon.prices[ASINS[0]] = 2499
        self._run(page, shop)
        screenshot(page, "tracking")
        with page.expect_download() as got:
            page.locator("#runs tbody tr").first.get_by_role("link", name=re.compile(r"Page_1\.json$")).click()
        captured = json.loads(open(got.value.path(), "rb").read())
        assert sorted(c["asin"] for c in captured) == ASINS
        elsewhere = watch_other_hosts(page, shop.base)
        page.locator("#items tbody tr", has_text=ASINS[0]).get_by_role("link").click()
        page.wait_for_selector("#chart-price .uplot canvas")
        assert page.locator("#chart-rank .uplot canvas").count() == 1
        prices = page.locator("#history-table tbody tr td.num").all_inner_texts()
        assert prices[0] == "24.99" and "29.99" in prices  # newest first
        screenshot(page, "tracking-item")
        assert elsewhere == []


class TestTenancy:
    def test_another_accounts_pages_are_404(self, shop):
        theirs = shop.theirs
        with shop.client(OWNER) as c:
            paths = [f"/listings/{theirs.manifest_id}", f"/orders/{theirs.order_ids[0]}",
                     f"/tracking/{shop.their_tracked.collection_id}",
                     f"/tracking/{shop.their_tracked.collection_id}/items/{shop.their_tracked.item_ids[0]}",
                     f"/tracking/{shop.tracked.collection_id}/items/{shop.their_tracked.item_ids[0]}"]
            for path in paths:
                r = c.get(path)
                assert r.status_code == 404, path
                assert "Globex" not in r.text
            token = csrf_of(c.get(f"/listings/{shop.mine.manifest_id}").text.split('id="submit-form"')[1])
            for path in (f"/listings/{theirs.manifest_id}/submit", f"/orders/{theirs.order_ids[0]}/ship",
                         f"/tracking/{shop.their_tracked.collection_id}/run"):
                r = c.post(path, data={"csrf_token": token, "tracking_number": "T"})
                assert r.status_code == 404, path

    def test_a_write_without_its_csrf_token_is_refused(self, shop):
        with shop.client(OWNER) as c:
            r = c.post(f"/tracking/{shop.tracked.collection_id}/run", data={})
        assert r.status_code == 403
