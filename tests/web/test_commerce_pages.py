"""The dashboard's listings, inventory, orders and tracking pages in a real Chromium: each
listed, one opened, and its write action (submit a manifest, enter tracking on an order,
run a collection); another account's ids are 404 pages. Data is made through the services on
the served app's own database, page captures come from the fake storefront."""

from __future__ import annotations

import json
import re

import pytest

from sellerkit.commerce.manifests import manifests
from sellerkit.commerce.products import inventory
from sellerkit.kit.db import Database
from tests.fakes.amazon_pages import FakeAmazon
from tests.web.conftest import open_site
from tests.web.commerce_seed import seed_commerce, seed_tracking
from tests.web.harness import PHONE, csrf_of, overflow, screenshot, sign_in, watch_other_hosts

pytestmark = pytest.mark.slow
OWNER, OTHER = "owner@acme.test", "other@globex.test"
ASINS = ["B000000101", "B000000102", "B000000103"]


@pytest.fixture(scope="module")
def amazon():
    with FakeAmazon(latency=1.5) as fake:  # a run lasts long enough for its page to follow it
        yield fake


@pytest.fixture(scope="module")
def site(tmp_path_factory, amazon):
    """The served app (conftest's, with captures going to the fake storefront) and two accounts'
    listings, orders and collections."""
    with open_site(tmp_path_factory.mktemp("web-commerce"), SELLERKIT_SIGN_IN_PER_MINUTE="1000",
                   SELLERKIT_CAPTURE_BASE_URLS=json.dumps({"amazon.com": amazon.url}),
                   SELLERKIT_CAPTURE_HOST_RPS="1000", SELLERKIT_CAPTURE_BACKOFF_SECONDS="0.05") as s:
        db = Database(f"sqlite:///{s.data_dir}/sellerkit.db")  # the server's own database
        try:
            s.mine = seed_commerce(db, s.users[OWNER])
            s.theirs = seed_commerce(db, s.users[OTHER], name="Globex stock")
            s.tracked = seed_tracking(db, s.users[OWNER], ASINS)
            s.their_tracked = seed_tracking(db, s.users[OTHER], ["B000000901"])
            s.db = db
            yield s
        finally:
            db.dispose()


@pytest.fixture
def tab(page, site):
    """conftest's browser page, signed in as the owner."""
    sign_in(page, site.base, OWNER)
    return page


def _flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def _submitted(tab, site) -> None:
    """The owner's manifest submitted (its listings are products): by a test before, or here."""
    with site.db.session() as s:
        m = manifests.get(s, site.users[OWNER], site.mine.manifest_id)
    if m.status != "submitted":
        tab.goto(f"{site.base}/listings/{site.mine.manifest_id}")
        with tab.expect_navigation():
            tab.get_by_role("button", name=re.compile("Submit")).click()


class TestListings:
    def test_list_open_and_submit_a_manifest(self, tab, site):
        elsewhere = watch_other_hosts(tab, site.base)
        tab.goto(f"{site.base}/listings")
        row = tab.locator("#manifests tbody tr", has_text="Spring restock")
        assert row.count() == 1 and "Globex" not in tab.content()
        screenshot(tab, "listings")
        row.get_by_role("link", name="Spring restock").click()
        tab.wait_for_url(f"{site.base}/listings/{site.mine.manifest_id}")
        listings = tab.locator("#listings tbody tr")
        assert listings.count() == 4
        held = listings.filter(has_text="SK-HELD")
        assert "missing required fields" in held.inner_text() and "title" in held.inner_text()
        screenshot(tab, "manifest")
        with tab.expect_navigation():
            tab.get_by_role("button", name=re.compile(r"Submit 3 listings")).click()
        assert tab.url == f"{site.base}/listings/{site.mine.manifest_id}"
        assert "Submitted" in _flash(tab) and "1 listings not submitted" in _flash(tab)
        assert tab.locator("#manifest-status").inner_text() == "submitted"
        assert listings.filter(has_text="SK-1").get_by_role("link", name="view").count() == 1
        assert elsewhere == []

    def test_products_show_their_stock_by_location(self, tab, site):
        _submitted(tab, site)
        tab.goto(f"{site.base}/listings/products")
        row = tab.locator("#products tbody tr", has_text="SK-2")
        assert row.count() == 1 and "Default: 5" in row.inner_text()
        screenshot(tab, "inventory")
        row.get_by_role("link", name="SK-2").click()
        assert tab.locator("#locations tbody tr", has_text="Default").count() == 1
        assert tab.locator("#available").inner_text() == "5"


class TestOrders:
    def test_list_open_and_enter_tracking(self, tab, site):
        tab.goto(f"{site.base}/orders")
        rows = tab.locator("#orders tbody tr")
        assert rows.count() == 3
        screenshot(tab, "orders")
        newest = rows.first
        assert "111-0000002-0000001" in newest.inner_text()  # newest purchase first
        newest.get_by_role("link", name="111-0000002-0000001").click()
        tab.get_by_label("Tracking number").fill("1Z999AA10123456784")
        tab.get_by_label("Carrier").fill("UPS")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Ship with this tracking").click()
        assert "shipped, tracking 1Z999AA10123456784" in _flash(tab)
        assert tab.locator("#order-status").inner_text() == "shipped"
        assert "UPS" in tab.locator("#tracking").inner_text()
        tab.goto(f"{site.base}/orders?status=shipped")
        assert tab.locator("#orders tbody tr").count() == 1

    def test_an_empty_tracking_number_is_refused_in_the_browser(self, tab, site):
        tab.goto(f"{site.base}/orders/{site.mine.order_ids[0]}")
        tab.get_by_role("button", name="Ship with this tracking").click()
        assert tab.url.endswith(f"/orders/{site.mine.order_ids[0]}")  # `required`: nothing was sent
        assert tab.locator("#order-status").inner_text() == "awaiting shipment"


    def test_a_refused_shipment_says_why_on_the_order_page(self, site):
        order = f"/orders/{site.mine.order_ids[1]}"
        with site.client(OWNER) as c:
            token = csrf_of(c.get(order).text.split('id="ship-form"')[1])
            r = c.post(f"{order}/ship", data={"csrf_token": token, "tracking_number": "T" * 150, "carrier_code": "UPS"})
            assert (r.status_code, r.headers["location"]) == (303, order)
            page = c.get(order).text
        assert "order.tracking_number: at most 100 characters" in page and "awaiting shipment" in page


class TestTracking:
    def _run(self, tab, site) -> None:
        tab.goto(f"{site.base}/tracking/{site.tracked.collection_id}")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Run now").click()
        assert re.search(r"Run \d+ started: 3 ASINs queued", _flash(tab))
        assert "Processing" in tab.locator("#runs tbody tr").first.inner_text()  # pages take 1.5 s each
        # the page follows the run by itself (htmx polling) until it ends
        tab.locator("#runs tbody tr").first.filter(has_text="Completed").wait_for(timeout=60_000)
        assert tab.get_by_role("button", name="Run now").is_enabled()
        assert tab.locator("#live[hx-trigger]").count() == 0  # and stops polling once it has ended

    def test_list_open_run_and_chart_an_item(self, tab, site, amazon):
        tab.goto(f"{site.base}/tracking")
        row = tab.locator("#collections tbody tr", has_text="Hoses to watch")
        assert row.count() == 1 and tab.locator("#credits-left").inner_text() == "1,000"
        row.get_by_role("link", name="Hoses to watch").click()
        assert tab.locator("#items tbody tr").count() == 3
        amazon.prices[ASINS[0]] = 2999
        self._run(tab, site)
        amazon.prices[ASINS[0]] = 2499
        self._run(tab, site)
        screenshot(tab, "tracking")
        with tab.expect_download() as got:
            tab.locator("#runs tbody tr").first.get_by_role("link", name=re.compile(r"Page_1\.json$")).click()
        captured = json.loads(open(got.value.path(), "rb").read())
        assert sorted(c["asin"] for c in captured) == ASINS
        elsewhere = watch_other_hosts(tab, site.base)
        tab.locator("#items tbody tr", has_text=ASINS[0]).get_by_role("link").click()
        tab.wait_for_selector("#chart-price .uplot canvas")
        assert tab.locator("#chart-rank .uplot canvas").count() == 1
        prices = tab.locator("#history-table tbody tr td.num").all_inner_texts()
        assert prices[0] == "$24.99" and "$29.99" in prices  # newest first
        screenshot(tab, "tracking-item")
        assert elsewhere == []


class TestCreateFromPages:
    def test_create_a_manifest_and_add_listings(self, tab, site):
        tab.goto(f"{site.base}/listings")
        tab.locator("#new-manifest summary").click()
        tab.get_by_label("Name").fill("Summer restock")
        tab.get_by_label("Channel account").select_option(label="Amazon US")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Create manifest").click()
        assert re.search(r"/listings/\d+$", tab.url) and "created: add its listings" in _flash(tab)
        form = tab.locator("#add-listing")
        form.get_by_label("SKU").fill("SUM-1")
        form.get_by_label("ASIN").fill("B000000301")
        form.get_by_label("Title").fill("Sprinkler")
        form.get_by_label("Quantity").fill("4")
        form.get_by_label("Price ($)").fill("24.50")
        with tab.expect_navigation():
            form.get_by_label("Price ($)").press("Enter")  # the keyboard sends it
        assert "Listing SUM-1 added" in _flash(tab)
        row = tab.locator("#listings tbody tr", has_text="SUM-1")
        assert "Sprinkler" in row.inner_text() and "$24.50" in row.inner_text() and "okay" in row.inner_text()
        tab.locator("#add-listing summary").click()
        tab.locator("#add-listing").get_by_label("SKU").fill("SUM-2")
        tab.locator("#add-listing").get_by_label("Price ($)").fill("lots")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Add listing").click()
        assert "listing.retail_price" in _flash(tab)  # refused, named, and nothing added
        assert tab.locator("#listings tbody tr", has_text="SUM-2").count() == 0

    def test_edit_a_locations_quantity(self, tab, site):
        _submitted(tab, site)
        tab.goto(f"{site.base}/listings/products?sku=SK-3")
        tab.locator("#products tbody tr", has_text="SK-3").get_by_role("link", name="SK-3").click()
        quantity = tab.get_by_label("Quantity at Default", exact=True)
        quantity.fill("7")
        with tab.expect_navigation():
            quantity.press("Enter")
        assert "Default: 7 available" in _flash(tab)
        assert tab.locator("#available").inner_text() == "7"
        tab.get_by_label("Quantity at Default", exact=True).fill("-2")
        tab.get_by_role("button", name="Save quantity at Default").click()
        assert tab.locator("#available").inner_text() == "7"  # `min=0`: the browser sent nothing

    def test_create_a_collection_and_add_asins(self, tab, site):
        tab.goto(f"{site.base}/tracking")
        tab.locator("#new-collection summary").click()
        tab.get_by_label("Name").fill("Mugs")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Create collection").click()
        assert re.search(r"/tracking/\d+$", tab.url) and "Collection Mugs created" in _flash(tab)
        tab.get_by_label("ASINs (separated by commas, spaces or lines)").fill("B000000201, B000000202\nnot-an-asin")
        tab.get_by_label("Marketplace and delivery postcode").select_option(label="amazon.com 10001")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Add ASINs").click()
        assert "2 ASINs added. 1 refused: not-an-asin" in _flash(tab)
        assert tab.locator("#items tbody tr").count() == 2
        assert tab.get_by_role("button", name="Run now").is_enabled()

    def test_a_postcode_is_added_for_its_marketplace(self, site):
        with site.client(OWNER) as c:
            token = csrf_of(c.get("/tracking").text)
            bad = c.post("/tracking/zipcodes", data={"csrf_token": token, "domain": "2", "zipcode": "ABCDE"})
            assert "zipcode: " in c.get(bad.headers["location"]).text
            good = c.post("/tracking/zipcodes", data={"csrf_token": token, "domain": "2", "zipcode": "10002"})
            assert "Postcode 10002 added" in c.get(good.headers["location"]).text

    def test_another_accounts_manifest_location_and_collection_are_404(self, site):
        theirs, account = site.theirs, site.users[OTHER]
        with site.db.session(write=True) as s:  # their manifest submitted: a product with a location
            if manifests.get(s, account, theirs.manifest_id).status != "submitted":
                manifests.claim(s, account, theirs.manifest_id)
        manifests.submit(site.db, theirs.manifest_id)
        with site.db.session() as s:
            product_id = manifests.listings_page(s, account, theirs.manifest_id, (None, None), 1, 1)[0][0].product_id
            location_id = inventory.locations(s, account, product_id)[0].id
        with site.client(OWNER) as c:
            token = csrf_of(c.get("/listings").text)
            for path, data in ((f"/listings/{theirs.manifest_id}/listings", {"sku": "X"}),
                               (f"/tracking/{site.their_tracked.collection_id}/items", {"asins": "B000000777"}),
                               (f"/listings/products/{product_id}/locations/{location_id}",
                                {"quantity_available": "1"})):
                r = c.post(path, data={"csrf_token": token, **data})
                assert r.status_code == 404, path


class TestPhoneWidth:
    @pytest.mark.parametrize("path", ["/listings", "/listings/products", "/orders", "/tracking", "/listings/{manifest}",
                                      "/tracking/{collection}", "/orders/{order}"])
    def test_the_page_fits_a_phone_and_its_table_scrolls_inside(self, tab, site, path):
        tab.set_viewport_size(PHONE)
        tab.goto(site.base + path.format(manifest=site.mine.manifest_id, collection=site.tracked.collection_id,
                                         order=site.mine.order_ids[0]))
        seen = overflow(tab, PHONE["width"])
        assert seen["scrollWidth"] <= PHONE["width"] and seen["wide"] == [], seen


class TestTenancy:
    def test_another_accounts_pages_are_404(self, site):
        theirs = site.theirs
        with site.client(OWNER) as c:
            paths = [f"/listings/{theirs.manifest_id}", f"/orders/{theirs.order_ids[0]}",
                     f"/tracking/{site.their_tracked.collection_id}",
                     f"/tracking/{site.their_tracked.collection_id}/items/{site.their_tracked.item_ids[0]}",
                     f"/tracking/{site.tracked.collection_id}/items/{site.their_tracked.item_ids[0]}"]
            for path in paths:
                r = c.get(path)
                assert r.status_code == 404, path
                assert "Globex" not in r.text
            token = csrf_of(c.get(f"/listings/{site.mine.manifest_id}").text.split('id="submit-form"')[1])
            for path in (f"/listings/{theirs.manifest_id}/submit", f"/orders/{theirs.order_ids[0]}/ship",
                         f"/tracking/{site.their_tracked.collection_id}/run"):
                r = c.post(path, data={"csrf_token": token, "tracking_number": "T"})
                assert r.status_code == 404, path

    def test_a_write_without_its_csrf_token_is_refused(self, site):
        with site.client(OWNER) as c:
            r = c.post(f"/tracking/{site.tracked.collection_id}/run", data={})
        assert r.status_code == 403
