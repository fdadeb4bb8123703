"""A scan's historical figures (pull_historical_data) take Keepa's own 30/60/90/180-day
statistics where a catalog record carries them (`keepa_stats`), and the observations' otherwise.

The Keepa product is BUILT from the field reference shared/fixtures/external/keepa/
keepa-product-object.md (tests/catalog/keepa_payloads.py): no real raw Keepa JSON is public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sellerkit.catalog.providers import keepa_records as kr
from tests.catalog.keepa_payloads import minute, product
from tests.conftest import import_records
from tests.scans.test_endpoints import FILE, app_client, key, upload, wait  # noqa: F401 - fixtures

__all__ = ["app_client", "key"]


def historical(client, key, scan_id: int, asin: str) -> dict:
    rows = client.post(f"/api/v3/scans/{scan_id}", headers=key, json={
        "filter": [{"name": "asin", "operator": "=", "value": asin}]}).json()["data"]
    return rows[0]["historical"]


def test_keepa_stats_are_the_historical_figures_where_the_record_has_them(app_client, key, db):
    now = datetime.now(UTC)
    keepa = product(asin="B000000001", domainId=1, lastUpdate=minute(now - timedelta(hours=6)))
    record = kr.product_record(keepa, now)
    import_records(db, [record] + [
        {"type": "observation", "marketplace": "US", "asin": asin,
         "observed_at": (now - timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ"), "rank": 500 + d,
         "buybox_price": 999}
        for asin in ("B000000001", "B000000002") for d in (1, 2, 3)])
    scan_id = upload(app_client, key, FILE, pull_historical_data=True).json()["id"]
    wait(app_client, key, scan_id)
    hist = historical(app_client, key, scan_id, "B000000001")
    assert hist["bsr"] == {"d30": 1250, "d60": 1300, "d90": 1400, "d180": 1800}  # Keepa's averages
    assert hist["price"]["d30"] == 2620 and hist["price"]["d90"] == 999  # Keepa: -1 for d90
    assert hist["amazon_in_stock_rate"]["d30"] == 7500
    assert hist["sales_rank_drops"] == {"d30": 12, "d60": 2, "d90": 30, "d180": 2}  # d60, d180: 503 > 502 > 501
    other = historical(app_client, key, scan_id, "B000000002")
    assert other["bsr"]["d30"] == 502 and other["price"]["d30"] == 999  # no Keepa record: observations
