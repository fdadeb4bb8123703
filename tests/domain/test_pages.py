"""The product-page parser against the saved Amazon pages (read in place from ../shared) and
against pages it has never seen."""

from __future__ import annotations

import json

import pytest

from sellerkit.domain.pages import AVAILABILITY_ONLY, is_robot_check, money, parse_page
from sellerkit.domain.marketplaces import marketplace
from tests.conftest import FIXTURES, shared_cases

PAGES = FIXTURES / "amazon-product-pages"
EXPECTED = PAGES / "expected_details.json"
DOMAINS = {"us": "amazon.com", "uk": "amazon.co.uk"}


def _cases():
    data = json.loads(EXPECTED.read_text())
    return [(mp, asin, want) for mp in DOMAINS for asin, want in data[mp].items()]


CASES = shared_cases(EXPECTED, _cases, recorded=4, ids=lambda c: f"{c[0]}-{c[1]}")


def _parsed(case):
    mp, asin, _ = case
    return parse_page((PAGES / mp / "details" / f"{asin}.html").read_bytes(), DOMAINS[mp], asin=asin)


class TestSavedPages:
    @pytest.mark.parametrize("case", CASES)
    def test_reads_the_expected_values(self, case):
        got, want = _parsed(case), case[2]
        assert got["title"] == want["title"]
        assert got["rating"] == want["star"]
        assert got["review_count"] == want["reviews"]
        assert got["best_sellers_rank"] == want["rank"]
        assert ";".join(c["category"] for c in got["category_ranks"]) == want["categories"]
        assert set(got["images"]) == set(want["images"])
        assert set(got["features"]) == set(want["feature_bullets"])
        assert {k: got["details"].get(k) for k in want["details"]} == want["details"]

    @pytest.mark.parametrize("case", CASES)
    def test_reads_price_availability_and_seller(self, case):
        got = _parsed(case)
        assert got["price"] > 0 and got["currency"] == ("USD" if case[0] == "us" else "GBP")
        assert got["availability"] == "In Stock" or got["availability"] == "In stock"
        assert got["in_stock"] is True
        assert got["buybox_seller"] and got["offer_count"] >= 1
        assert got["warnings"] == []

    @pytest.mark.parametrize("case", CASES)
    def test_availability_only_reads_price_and_stock_alone(self, case):
        mp, asin, _ = case
        got = parse_page((PAGES / mp / "details" / f"{asin}.html").read_bytes(), DOMAINS[mp], mode=AVAILABILITY_ONLY)
        assert got["price"] > 0 and got["in_stock"] is True
        assert "title" not in got and "best_sellers_rank" not in got

    @pytest.mark.shared
    @pytest.mark.skipif(not EXPECTED.exists(), reason=f"shared fixture not found: {EXPECTED}")
    def test_variations_of_a_child_asin(self):
        got = parse_page((PAGES / "us" / "details" / "B01LW7X0JJ.html").read_bytes(), "amazon.com")
        assert got["parent_asin"] == "B07GQKWSJ8"
        assert {"asin": "B01LW7X0JJ", "values": {"Color": "White + Black"}} in got["variations"]
        assert got["sold_by_amazon"] is False and got["buybox_seller"] == "uxcell"


class TestRobotCheck:
    @pytest.mark.shared
    @pytest.mark.skipif(not (PAGES / "us" / "captcha.html").exists(), reason=f"shared fixture not found: {PAGES / 'us' / 'captcha.html'}")
    def test_the_captcha_page_is_detected_and_never_parsed(self):
        raw = (PAGES / "us" / "captcha.html").read_bytes()
        assert is_robot_check(raw)
        got = parse_page(raw, "amazon.com")
        assert got["blocked"] is True and got["title"] is None and got["price"] is None

    def test_a_product_page_is_not_a_robot_check(self):
        assert not is_robot_check(b"<html><span id=productTitle>Captcha board game</span></html>")


GERMAN = """<html><head><meta charset="windows-1252"></head><body>
<span id="productTitle"> Kaffeemühle für Espresso </span>
<a id="bylineInfo" href="/x">Marke: Bärenstark</a>
<div id="corePrice_feature_div"><span class="a-price"><span class="a-offscreen">1.234,56 €</span></span></div>
<div id="availability"><span>Auf Lager.</span></div>
<span id="acrPopover" title="4,5 von 5 Sternen"></span>
<span id="acrCustomerReviewText">1.234 Sternebewertungen</span>
<div id="merchant-info">Verkauf durch Kaffeehaus GmbH und Versand durch Amazon.</div>
<div id="detailBullets_feature_div"><ul><li><span class="a-list-item"><span class="a-text-bold">Amazon Bestseller-Rang:</span>
<span>Nr. 1.234 in Küche, Haushalt &amp; Wohnen (Siehe Top 100) Nr. 5 in Espressomühlen</span></span></li></ul></div>
</body></html>"""


class TestUnseenPages:
    def test_reads_numbers_in_the_marketplace_format_and_its_charset(self):
        got = parse_page(GERMAN.encode("cp1252"), "amazon.de")
        assert got["title"] == "Kaffeemühle für Espresso"
        assert got["brand"] == "Bärenstark"
        assert got["price"] == 1234.56 and got["currency"] == "EUR"
        assert got["rating"] == 4.5 and got["review_count"] == 1234
        assert got["best_sellers_rank"] == 1234
        assert got["category_ranks"] == [{"rank": 5, "category": "Espressomühlen"}]
        assert got["in_stock"] is True and got["buybox_seller"] == "Kaffeehaus GmbH"

    def test_a_page_without_fields_gives_nulls_with_a_warning_for_each(self):
        got = parse_page(b"<html><body><p>Hello</p></body></html>", "amazon.fr")
        assert got["title"] is None and got["price"] is None
        assert "title: not found on the page" in got["warnings"]
        assert "price: not found on the page" in got["warnings"]

    @pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe<<<>>>", b"<html><div id=availability>", "\ud800".encode("utf-8", "surrogatepass"),
                                     b"<span id=acrPopover title='five stars'></span><span id=SalesRank>#x in y</span>"])
    def test_never_raises_on_malformed_input(self, raw):
        got = parse_page(raw, "amazon.co.jp")
        assert isinstance(got["warnings"], list) and got["warnings"]

    def test_an_unknown_domain_is_a_warning_not_an_error(self):
        got = parse_page(b"<span id=productTitle>X</span>", "amazon.example")
        assert got["title"] == "X" and any(w.startswith("domain:") for w in got["warnings"])

    @pytest.mark.parametrize("text, code, amount, currency", [
        ("$1,234.56", "US", "1234.56", "USD"), ("$1,234", "US", "1234", "USD"), ("1.234,56 €", "DE", "1234.56", "EUR"),
        ("￥1,980", "JP", "1980", "JPY"), ("£9.99", "UK", "9.99", "GBP"), ("CA$12.50", "CA", "12.50", "CAD")])
    def test_prices_read_as_each_marketplace_writes_them(self, text, code, amount, currency):
        value, cur = money(text, marketplace(code))
        assert str(value) == amount and cur == currency
