"""Calculator and Look-up pages over a small demo catalog."""

from __future__ import annotations

import json
import re

import pytest

from tests.served import cli
from tests.web.harness import csrf_of, screenshot, sign_in, watch_other_hosts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def catalog(site):
    """A 300-product demo catalog: records as the catalog format has them."""
    cli(site.env, "catalog", "demo", "--products", "300")
    lines = cli(site.env, "catalog", "export", "--marketplace", "US").splitlines()
    return [json.loads(line) for line in lines[:50]]


def _with_price(catalog):
    return next(r for r in catalog if r.get("package_dimensions") and r.get("category") and r.get("buybox_price"))


class TestCalculator:
    def test_by_asin_shows_fba_and_fbm_side_by_side(self, page, site, catalog):
        record = _with_price(catalog)
        elsewhere = watch_other_hosts(page, site.base)
        sign_in(page, site.base, "owner@acme.test")
        page.get_by_role("link", name="Calculator").click()
        page.get_by_label("ASIN").fill(record["asin"])
        page.get_by_label("Your cost").fill("3.50")
        page.get_by_role("button", name="Calculate").click()
        table = page.get_by_role("table", name="FBA and FBM side by side")
        table.wait_for()
        assert table.get_by_role("columnheader", name="FBA").is_visible()
        assert table.get_by_role("columnheader", name="FBM").is_visible()
        assert re.search(r"Profit\s+-?\$[\d,]+\.\d\d\s+-?\$[\d,]+\.\d\d", table.inner_text())
        screenshot(page, "calculator")
        assert elsewhere == []

    def test_by_price_and_dimensions_without_an_asin(self, site):
        with site.client("owner@acme.test") as c:
            r = c.get("/calculator", params={"price": "24.99", "cost": "5", "length": "10", "width": "8",
                                             "height": "3", "weight": "1.2", "category": "Toys & Games"})
        assert r.status_code == 200
        fba, fbm = re.search(r'Profit</th><td class="num"><strong>([^<]+)</strong></td><td class="num">'
                             r'<strong>([^<]+)</strong>', r.text).groups()
        assert fba != fbm  # FBM has no fulfilment fee

    def test_an_unknown_asin_says_so(self, site):
        with site.client("owner@acme.test") as c:
            r = c.get("/calculator", params={"asin": "B0NOTHERE0"})
        assert r.status_code == 400
        assert "is not in the US catalog" in r.text


class TestLookup:
    def test_cost_before_and_tokens_after(self, page, site, catalog):
        asins = [r["asin"] for r in catalog[:3]]
        sign_in(page, site.base, "owner@acme.test")
        page.get_by_role("link", name="Look-up").click()
        page.get_by_role("textbox", name="Codes").fill("\n".join(asins + asins[:1]))
        page.locator("#cost").get_by_text("costs 3 tokens").wait_for()  # htmx preview, nothing spent yet
        page.get_by_role("button", name="Look up").click()
        page.get_by_text("This look-up cost 3 tokens").wait_for()
        spent = page.locator("p.spent").inner_text()
        before, after = (int(n.replace(",", "")) for n in re.findall(r"([\d,]+) left before, ([\d,]+) after", spent)[0])
        assert before - after == 3
        for asin in asins:
            assert page.get_by_role("cell", name=asin, exact=True).count() == 1
        screenshot(page, "lookup")

    def test_a_bad_code_is_refused_and_costs_nothing(self, site):
        with site.client("owner@acme.test") as c:
            token = csrf_of(c.get("/lookup").text)
            r = c.post("/lookup", data={"kind": "upc", "codes": "12345", "domain": "com", "csrf_token": token})
        assert r.status_code == 400
        assert "This look-up cost" not in r.text
