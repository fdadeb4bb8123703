"""From scan to listing: `POST /api/v3/scans/{id}/manifest` turns chosen results into a manifest."""

from __future__ import annotations

import pytest

from tests.commerce.conftest import make_seller
from tests.conftest import import_records, make_client
from tests.scans.test_endpoints import CATALOG, wait

FILE = "UPC,Cost,SKU,Stock\n036000291452,$8.00,A-1,7\n012345678905,3.50,B-1,\n"


@pytest.fixture
def scanned(db, worker_settings, new_key):
    """A finished scan of two supplier rows, by a seller with an Amazon US channel account."""
    import_records(db, CATALOG)
    with make_client(db, worker_settings) as client:
        seller = make_seller(client, new_key)
        r = client.post("/api/v3/scans", headers=seller.headers, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                        data={"attributes": '{"mapping": {"id": 0, "cost": 1, "supplier_sku": 2, "stock_quantity": 3}, '
                                            '"options": {"marketplace_id": "US", "name": "Buy list"}}'})
        assert r.status_code == 201, r.text
        scan = wait(client, seller.headers, r.json()["id"])
        assert scan["status"] == "Success", scan
        yield seller, scan


class TestScanToManifest:
    def test_chosen_results_become_listings(self, scanned):
        seller, scan = scanned
        results = seller.post(f"/api/v3/scans/{scan['id']}").json()["data"]
        by_asin = {r["asin"]: r for r in results}
        first = by_asin["B000000001"]
        r = seller.post(f"/api/v3/scans/{scan['id']}/manifest", json={"result_ids": [first["id"]],
                                                                     "sku_prefix": "BL-"})
        assert r.status_code == 201, r.text
        m = r.json()["manifest"]
        assert m["product_listings_count"] == 1 and m["marketplace_account_id"] == seller.channel["id"]
        [pl] = seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]
        assert pl["sku"] == f"BL-B000000001-S{scan['id']}R{first['id']}"
        assert (pl["cost_price"], pl["retail_price"], pl["quantity"]) == (8.0, 24.99, 7)

    def test_filter_selects_and_quantity_overrides(self, scanned):
        seller, scan = scanned
        r = seller.post(f"/api/v3/scans/{scan['id']}/manifest", json={
            "filter": [{"field": "asin", "operator": "=", "value": "B000000002"}], "quantity": 2,
            "auto_submit": True})
        assert r.status_code == 201, r.text
        assert r.json()["manifest"]["status"] == "submitted"
        [p] = seller.get("/api/products", params={"asin": "B000000002"}).json()["products"]
        assert (p["quantity_available"], p["cost_price"]) == (2, 3.5)

    def test_unknown_result_id_is_400(self, scanned):
        seller, scan = scanned
        r = seller.post(f"/api/v3/scans/{scan['id']}/manifest", json={"result_ids": [999]})
        assert r.status_code == 400 and "999" in r.json()["message"]

    def test_another_tenant_s_scan_is_404(self, scanned, new_key):
        seller, scan = scanned
        other = make_seller(seller.client, new_key, "other", account="other")
        assert other.post(f"/api/v3/scans/{scan['id']}/manifest", json={}).status_code == 404
