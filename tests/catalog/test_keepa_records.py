"""Keepa product object -> catalog-format record and observations (pure conversion).

The payloads are BUILT from the field reference shared/fixtures/external/keepa/
keepa-product-object.md (tests/catalog/keepa_payloads.py): no real raw Keepa JSON is public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from sellerkit.catalog.providers import keepa_records as kr
from sellerkit.catalog.records import normalise_product, normalise_observation
from sellerkit.domain import identifiers as ids
from tests.catalog.keepa_payloads import ASIN, EAN, T1, T2, T3, UPC, by_index, product, stats

REPLIED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def record(**overrides) -> dict:
    return kr.product_record(product(**overrides), REPLIED)


def iso(minute: int) -> str:
    return kr.keepa_time(minute).strftime("%Y-%m-%dT%H:%M:%SZ")


class TestTime:
    def test_keepa_minutes_are_converted_exactly(self):
        # Keepa's own example (Product.csv javadoc): 411180 => 1318510800000
        assert kr.unix_ms(411180) == 1318510800000
        assert kr.keepa_time(411180) == datetime.fromtimestamp(1318510800, UTC)
        assert kr.keepa_time(0) == datetime(2011, 1, 1, tzinfo=UTC)

    def test_minutes_of_a_known_time_come_back_to_it(self):
        assert kr.keepa_time(T3) == datetime(2026, 11, 1, tzinfo=UTC)
        assert kr.keepa_time(T2) == datetime(2026, 10, 15, 8, 30, tzinfo=UTC)


class TestDomains:
    @pytest.mark.parametrize("code,domain", [("US", 1), ("UK", 2), ("DE", 3), ("FR", 4), ("JP", 5), ("CA", 6),
                                             ("IT", 8), ("ES", 9), ("IN", 10), ("MX", 11), ("BR", 12)])
    def test_marketplace_to_keepa_domain_and_back(self, code, domain):
        assert kr.domain_id(code) == domain and kr.MARKETPLACE_OF[domain] == code

    def test_a_marketplace_keepa_does_not_track_says_so(self):
        with pytest.raises(kr.UnsupportedMarketplace, match="Keepa has no data for marketplace NL"):
            kr.domain_id("NL")

    def test_the_record_takes_its_marketplace_from_domain_id(self):
        assert record()["marketplace"] == "IT"
        assert record(domainId=1)["marketplace"] == "US"


class TestProductRecord:
    def test_attributes(self):
        rec = record()
        assert (rec["asin"], rec["title"], rec["brand"], rec["manufacturer"]) == \
            (ASIN, "Lampada da scrivania LED", "Lumo", "Lumo S.r.l.")
        assert (rec["model_number"], rec["part_number"], rec["mpn"]) == ("LD-100", "LD100-W", "LD100-W")
        assert (rec["color"], rec["size_name"], rec["product_group"]) == ("Bianco", "Standard", "Home Improvement")
        assert rec["category"] == "Fai da te"
        assert rec["category_raw"] == "Fai da te>Illuminazione>Lampade da scrivania"
        assert rec["bullet_points"] == ["Luce calda", "Braccio snodato"]
        assert rec["referral_fee_percent"] == 15

    def test_current_prices_ranks_and_counts_come_from_the_stats(self):
        rec = record()
        assert rec["rank"] == 1234
        assert rec["sales_ranks"] == [{"rank": 40, "title": "Lampade da scrivania"}]  # main rank left out
        assert (rec["buybox_price"], rec["buybox_price_used"], rec["list_price"]) == (2599, 1899, 3999)
        assert (rec["lowest_price_new_fba"], rec["lowest_price_new_fbm"]) == (2499, 2699)
        assert (rec["new_fba_offers_count"], rec["new_fbm_offers_count"], rec["total_offers_count"]) == (3, 2, 9)
        assert (rec["new_offers_count"], rec["used_offers_count"]) == (5, 1)
        assert rec["sold_by_amazon"] is False  # availabilityAmazon -1: no Amazon offer exists

    def test_minus_one_in_the_stats_is_absent_not_a_value(self):
        current = by_index(-1, i3=-1, i18=-1, i4=-2)
        rec = record(stats=stats(current=current, totalOfferCount=-1))
        for name in ("rank", "buybox_price", "list_price", "lowest_price_new_fba", "total_offers_count"):
            assert name not in rec, name

    def test_without_stats_the_histories_last_points_are_current(self):
        rec = record(stats=None)
        assert rec["rank"] == 1234 and rec["buybox_price"] == 2599  # triple: 2599 + 0 shipping
        assert "keepa_stats" not in rec and "total_offers_count" not in rec
        gone = record(stats=None, csv=by_index(None, i3=[T1, 1500, T3, -1], i18=[T1, 2499, 100, T3, -1, -1]))
        assert "rank" not in gone and "buybox_price" not in gone  # the last point says "no data"

    def test_sold_by_amazon_from_the_current_amazon_price_when_availability_is_absent(self):
        p = product(availabilityAmazon=None, stats=stats(current=by_index(-1, i0=2999)))
        assert kr.product_record(p, REPLIED)["sold_by_amazon"] is True
        p = product(availabilityAmazon=None, stats=stats(current=by_index(-1, i0=-1)))
        assert kr.product_record(p, REPLIED)["sold_by_amazon"] is False

    def test_identifiers_from_upc_and_ean_lists(self):
        rec = record(gtinList=["00036000291452"])
        assert rec["identifiers"] == {"upc": [UPC], "ean": [EAN, "0" + UPC], "gtin": ["00036000291452"]}
        assert "identifiers" not in record(upcList=None, eanList=None)

    def test_images_are_full_urls_large_first(self):
        assert record()["images"] == ["https://m.media-amazon.com/images/I/71lamp-L.jpg",
                                      "https://m.media-amazon.com/images/I/51side-M.jpg"]
        only_csv = record(images=None, imagesCSV="a1.jpg,b2.jpg")
        assert only_csv["images"] == ["https://m.media-amazon.com/images/I/a1.jpg",
                                      "https://m.media-amazon.com/images/I/b2.jpg"]

    def test_dimensions_millimetres_and_grams_to_inches_and_pounds_exactly(self):
        rec = record()
        exact_lb = round(Fraction(907) / Fraction("453.59237"), 9)  # half-even, as the converter
        assert rec["package_dimensions"] == {"length": 10.0, "width": 5.0,
                                             "height": float(round(Fraction(33) / Fraction("25.4"), 6)),
                                             "weight": float(exact_lb)}
        assert rec["package_dimensions"]["height"] == 1.299213
        assert str(rec["package_dimensions"]["weight"]) == "1.999592718"  # 2 - 0.18474 / 453.59237
        assert rec["item_dimensions"] == {"height": float(round(Fraction(100) / Fraction("25.4"), 6))}  # 0, -1: absent
        assert kr.pounds(453_592_37) == 100_000.0 and kr.inches(25_400) == 1000.0

    def test_monthly_sold_hazmat_and_variations(self):
        rec = record()
        assert rec["monthly_sold"] == 200 and rec["is_hazmat"] is True
        assert rec["is_meltable"] is False and rec["is_adult"] is False
        assert record(hazardousMaterials=[])["is_hazmat"] is False
        assert "is_hazmat" not in record(hazardousMaterials=None)
        assert "monthly_sold" not in record(monthlySold=None)
        parent = record(variations=[{"asin": "B0KEEPA002", "attributes": [{"dimension": "Color", "value": "Red"}]},
                                    {"asin": "B0KEEPA003", "attributes": []}])
        assert parent["variations_list"] == ["B0KEEPA002", "B0KEEPA003"] and parent["number_of_variations"] == 2
        old_style = record(variationCSV="B0KEEPA002,B0KEEPA003,B0KEEPA004")
        assert old_style["number_of_variations"] == 3
        child = record(parentAsin="B0KEEPA000")
        assert child["parent_asin"] == "B0KEEPA000" and "variations_list" not in child

    def test_release_date_full_or_as_far_as_known(self):
        assert record()["release_date"] == "2015-04-09"
        month = record(releaseDate=200301)
        assert "release_date" not in month and month["release_period"] == "2003-01"
        assert "release_date" not in record(releaseDate=-1)

    def test_updated_at_and_provenance_are_keepas_last_update(self):
        rec = kr.product_record(product(), REPLIED, kinds=("catalog", "pricing"))
        assert rec["updated_at"] == "2026-11-01T00:00:00Z"  # lastUpdate T3, before the reply
        assert rec["provenance"] == {kind: {"provider": "keepa", "operation": "product",
                                            "observed_at": "2026-11-01T00:00:00Z"} for kind in ("catalog", "pricing")}
        assert kr.product_record(product(lastUpdate=None), REPLIED)["updated_at"] == "2026-11-02T09:00:00Z"

    def test_the_catalog_accepts_the_record_as_it_is(self):
        rec = record(gtinList=["00036000291452"])
        normalised = normalise_product(rec, 1)
        assert normalised.warnings == []
        assert {k: v for k, v in normalised.record.items()} == rec  # nothing dropped or changed
        assert {key for key, _, _ in normalised.index} == {ids.parse(UPC).key, ids.parse(EAN).key}


class TestStats:
    def test_stats_are_the_historical_figures_of_scan_results(self):
        got = record()["keepa_stats"]
        assert got == {
            "observed_at": "2026-11-01T00:00:00Z",
            "bsr": {"d30": 1250, "d60": 1300, "d90": 1400, "d180": 1800},
            "price": {"d30": 2620, "d60": 2650, "d180": 2700},  # avg90 -1: absent
            "amazon_in_stock_rate": {"d30": 7500, "d60": 7000, "d90": 6000},  # 100% - out of stock, in bp
            "sales_rank_drops": {"d30": 12, "d90": 30},  # 180: -1
        }

    def test_avg_is_d60_only_for_a_60_day_interval(self):
        got = kr.keepa_stats(stats(), REPLIED, interval_days=45)
        assert "d60" not in got["bsr"] and "d60" not in got["amazon_in_stock_rate"]

    def test_no_stats_no_figures(self):
        assert kr.keepa_stats(None, REPLIED) is None
        assert kr.keepa_stats({"current": by_index(-1)}, REPLIED) is None


class TestObservations:
    def test_histories_merge_by_minute_with_minus_one_never_a_value(self):
        obs = kr.observations(product())
        assert obs == [
            {"type": "observation", "marketplace": "IT", "asin": ASIN, "observed_at": iso(T1),
             "buybox_price": 2599, "rank": 1500, "amazon_in_stock": True, "new_offers_count": 4, "monthly_sold": 100},
            {"type": "observation", "marketplace": "IT", "asin": ASIN, "observed_at": iso(T2),
             "amazon_in_stock": False},  # Buy Box -1 and rank -1: absent; Amazon's -1 is out of stock
            {"type": "observation", "marketplace": "IT", "asin": ASIN, "observed_at": iso(T3),
             "buybox_price": 2599, "rank": 1234, "new_offers_count": 5, "monthly_sold": 200},
        ]
        assert iso(T1) == "2026-10-01T12:00:00Z"

    def test_shipping_types_are_read_as_triples(self):
        # read as pairs, [t, 2499, 100, T2, ...] would make 100 a time and T2 a price
        points = kr.history(by_index(None, i18=[T1, 2499, 100, T2, -1, -1, T3, 2599, 0]), kr.BUY_BOX_SHIPPING)
        assert points == [(T1, 2599), (T2, None), (T3, 2599)]
        fbm = kr.history(by_index(None, i7=[T1, 1000, 499]), kr.NEW_FBM_SHIPPING)
        assert fbm == [(T1, 1499)]
        assert kr.history(by_index(None, i3=[T1, 10, T2]), kr.SALES) == [(T1, 10)]  # a cut-off point

    def test_the_catalog_accepts_every_observation(self):
        for n, obs in enumerate(kr.observations(product()), start=1):
            normalised, warnings = normalise_observation(obs, n)
            assert warnings == [] and normalised["observed_at"] == datetime.fromisoformat(obs["observed_at"])

    def test_a_product_without_histories_has_none(self):
        assert kr.observations(product(csv=None, monthlySoldHistory=None)) == []


class TestOffers:
    def test_live_offers_give_lowest_prices_and_counts(self):
        offers = [
            {"offerId": 0, "condition": 1, "isFBA": True, "offerCSV": [T1, 2400, 0, T3, 2350, 0]},
            {"offerId": 1, "condition": 1, "isFBA": False, "offerCSV": [T3, 2200, 399]},
            {"offerId": 2, "condition": 3, "isFBA": True, "offerCSV": [T3, 1500, 0]},
            {"offerId": 3, "condition": 4, "isFBA": False, "offerCSV": [T3, 1200, 499]},
            {"offerId": 4, "condition": 1, "isFBA": True, "offerCSV": [T1, 100, 0]},  # not live any more
            {"offerId": 5, "condition": 1, "isAmazon": True, "isFBA": False, "offerCSV": [T3, 2450, -1]},
        ]
        rec = record(offers=offers, liveOffersOrder=[0, 1, 2, 3, 5], buyBoxPrice=2350, buyBoxShipping=0,
                     buyBoxIsAmazon=False)
        assert (rec["lowest_price_new_fba"], rec["lowest_price_new_fbm"]) == (2350, 2599)
        assert (rec["lowest_price_used_fba"], rec["lowest_price_used_fbm"]) == (1500, 1699)
        assert (rec["new_fba_offers_count"], rec["new_fbm_offers_count"]) == (2, 1)  # Amazon counts as FBA
        assert rec["buybox_price"] == 2350


class TestCodes:
    def test_codes_are_sent_as_keepa_takes_them(self):
        assert kr.keepa_code(ids.parse(UPC)) == UPC
        assert kr.keepa_code(ids.parse(EAN)) == EAN
        assert kr.keepa_code(ids.parse("0131103628")) == "9780131103627"  # ISBN-10 -> ISBN-13

    def test_a_products_codes_as_index_keys(self):
        assert kr.code_keys(product()) == {ids.parse(UPC).key, ids.parse(EAN).key}

    def test_an_unknown_or_invalid_product_has_no_data(self):
        assert kr.has_data(product())
        assert not kr.has_data({"asin": ASIN, "domainId": 8, "csv": None, "title": None})
        assert not kr.has_data(product(productType=4))


def test_observed_time_is_never_after_the_reply():
    later = product(lastUpdate=kr_minute(REPLIED + timedelta(hours=1)))
    assert kr.observed_time(later, REPLIED) == REPLIED


def kr_minute(at: datetime) -> int:
    return int(at.timestamp()) // 60 - kr.KEEPA_START_MINUTE
