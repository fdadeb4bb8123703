"""Every main page at a phone's width (390x844): nothing is wider than the viewport except
tables, which scroll sideways inside their `.overflow` box; two screenshots at that width."""

from __future__ import annotations

import pytest

from tests.web.harness import PHONE, overflow, screenshot, sign_in
from tests.web.test_scans import _scan_with_api, catalog  # noqa: F401 - the scans' catalog fixture

pytestmark = pytest.mark.slow
PAGES = ["/", "/scans", "{scan}", "{scan}?table=errors", "{scan}/products/1", "/calculator", "/lookup", "/keys",
         "/password", "/listings", "/listings/products", "/orders", "/tracking"]


@pytest.fixture(scope="module")
def scan(catalog):  # noqa: F811
    with catalog.client("owner@acme.test") as c:
        return _scan_with_api(c)


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    sign_in(tab, site.base, "owner@acme.test")
    yield tab
    context.close()


class TestPhoneWidth:
    @pytest.mark.parametrize("path", PAGES)
    def test_nothing_but_tables_overflow_the_viewport(self, phone, catalog, scan, path):  # noqa: F811
        phone.goto(f"{catalog.base}{path.format(scan=scan)}")
        seen = overflow(phone, PHONE["width"])
        assert seen["scrollWidth"] <= PHONE["width"] and seen["innerWidth"] == PHONE["width"], seen
        assert seen["wide"] == [], seen

    def test_the_results_table_scrolls_inside_its_box(self, phone, catalog, scan):  # noqa: F811
        phone.goto(f"{catalog.base}{scan}")
        box = phone.locator("#results").locator("xpath=ancestor::div[contains(@class, 'overflow')]")
        assert box.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'")
        box.evaluate("e => e.scrollLeft = 200")
        assert box.evaluate("e => e.scrollLeft") > 0 and phone.evaluate("window.scrollX") == 0

    def test_the_check_sees_what_overflows(self, phone, catalog):  # noqa: F811
        phone.goto(f"{catalog.base}/")
        phone.evaluate("""document.querySelector("main").insertAdjacentHTML("beforeend",
            '<div id="too-wide" style="width: 600px">x</div><div class="overflow"><div style="width: 900px">y</div></div>')""")
        seen = overflow(phone, PHONE["width"])
        assert seen["scrollWidth"] > PHONE["width"] and seen["wide"][0].startswith("div#too-wide")

    def test_screenshots_at_phone_width(self, phone, catalog, scan):  # noqa: F811
        phone.goto(f"{catalog.base}{scan}")
        phone.locator("#count").scroll_into_view_if_needed()
        screenshot(phone, "phone-scan-results", PHONE)
        phone.goto(f"{catalog.base}/")
        screenshot(phone, "phone-home", PHONE)
