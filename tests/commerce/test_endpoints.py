"""The SellerChamp dialect's core routes against the real app and database: reply shapes field by
field against the reference's examples, each filter, each error, string-typed inputs, tenancy."""

from __future__ import annotations

import re

import pytest

from tests.commerce.conftest import make_seller

HEX = re.compile(r"[0-9a-f]{24}\Z")

# Field names of the reference's examples (../shared/seeds/sellerchamp-api.txt), kept here so a
# renamed field fails a test.
ACCOUNT_FIELDS = {"id", "name", "icon_black", "icon_white", "marketplace", "marketplace_account_type", "active",
                  "manifest_folders"}
FOLDER_FIELDS = {"id", "name", "internal_name", "position"}
MANIFEST_FIELDS = {
    "id", "name", "supplier_id", "ship_from_address_id", "created_at", "updated_at", "status", "last_valid_status",
    "status_message", "processing", "number", "order_number", "phase", "client_paid", "seller_fulfilled",
    "image_source", "label_prep", "print_all_fba_labels", "print_fba_labels", "print_all_item_labels",
    "convert_images", "performing_action", "sku_prefix", "auto_location_enabled", "auto_location_prefix",
    "skip_box_content", "auto_create_shipments", "auto_print_exp_dates", "prefill_product_data",
    "product_listings_count", "item_present_option", "multiple_matches_pick_strategy", "manifest_folder_id",
    "processing_company_id", "marketplace_account_type", "marketplace_account_id", "client_id", "contact_id",
    "template_type", "template_id", "manifest_xls_file_name", "manifest_xls_content_type", "manifest_xls_file_size",
    "manifest_xls_updated_at", "manifest_xls_fingerprint", "version", "modifier_id", "_keywords"}
LISTING_FIELDS = {"id", "product_id", "manifest_id", "marketplace_account_id", "sku", "asin", "title", "quantity",
                  "quantity_listed", "retail_price", "msrp", "min_price", "max_price", "cost_price", "map_price",
                  "handling_cost", "shipping_cost", "misc_cost", "item_condition", "item_location",
                  "variant_listings", "product_images", "list_status", "list_status_error_detail",
                  "list_status_error_detail_2", "errors"}
VARIANT_LISTING_FIELDS = {"id", "variant_id", "product_listing_id", "option1_name", "option1_value", "option2_name",
                          "option2_value", "option3_name", "option3_value", "option4_name", "option4_value", "sku",
                          "alt_sku", "position", "title", "upc", "asin", "item_location", "quantity", "retail_price",
                          "weight_in_pounds"}
PRODUCT_FIELDS = {
    "id", "marketplace_account_id", "sku", "alt_sku", "asin", "fnsku", "upc", "title", "quantity_available",
    "quantity_listed", "awaiting_pick", "awaiting_paid", "retail_price", "msrp", "min_price", "max_price",
    "map_price", "cost_price", "handling_cost", "shipping_cost", "misc_cost", "marketplace_fee",
    "marketplace_status", "marketplace_id", "item_condition", "ebay_item_condition_id", "description",
    "item_remarks", "features", "features_html", "item_specifics", "item_category", "item_category_hierarchy",
    "item_category_id", "brand", "color", "mpn", "weight_in_pounds", "package_weight_in_pounds", "item_dimensions",
    "package_dimensions", "inventory_locations", "product_images", "variants"}
VARIANT_FIELDS = {"id", "option1_name", "option1_value", "option2_name", "option2_value", "option3_name",
                  "option3_value", "option4_name", "option4_value", "sku", "alt_sku", "position", "title", "upc",
                  "asin", "item_location", "quantity_available", "retail_price", "weight_in_pounds",
                  "inventory_locations"}
LOCATION_FIELDS = {"id", "location", "quantity_available", "awaiting_pick", "priority", "delete_if_empty"}

# The reference's own example listing, string-typed numbers and all (its Ruby-hash item_specifics
# written as JSON, and "30" for return_in_days_value as it sends it).
REFERENCE_LISTING = {
    "asin": "B07G22S48Q", "quantity": "10", "item_condition": "like_new", "upc": "036000291452",
    "sku": "S123", "title": "My product title", "retail_price": "10.00", "msrp_price": "20.00", "cost_price": "3.00",
    "item_location": "SHELF A - BIN 1", "item_category": "Clothing", "item_category_id": "123",
    "item_remarks": "Packaging is missing", "brand": "Polo", "description": "Green polo shirt",
    "features": ["Green", "Solid"], "details_html": "More details here",
    "item_specifics": [{"name": "Brand", "value": "Polo"}, {"name": "Size", "value": "Small"}], "mpn": None,
    "listing_format": "fixed_price", "color": "Green", "manufacturer": "Polo", "model": "", "part_number": "",
    "listing_duration": "GTC", "store_category_external_id": "", "store_category_2_external_id": "",
    "weight_in_pounds": "0.2", "package_dimensions_length": "10", "package_dimensions_width": "10",
    "package_dimensions_height": "14", "item_dimensions_length": "10", "item_dimensions_width": "10",
    "item_dimensions_height": "14", "handling_time": "1", "shipping_charge_type": "", "global_shipping": "false",
    "free_shipping": "true", "shipping_service_code": "", "shipping_service_cost": "",
    "extra_shipping_service_cost": "", "domestic_rate_table": "false", "international_shipping_service_code": "",
    "international_shipping_service_cost": "", "extra_international_shipping_service_cost": "",
    "international_ship_to_locations": "", "international_rate_table": "false", "return_in_days_value": "30",
    "refund_policy_value": "", "return_shipping_paid_by_value": "", "quantity_in_case": "",
    "expiration_date": "2020-10-30", "fnsku": "", "image_urls": ["https://someurl.com/a.jpg"], "external_ids": [],
    "variant_listings": [
        {"variant_sku": "V1", "option1_name": "Color", "option1_value": "Red", "option2_name": "Style",
         "option2_value": "Solid", "asin": "B00XX", "upc": "12345", "quantity": 10, "retail_price": 10.00,
         "item_location": "A1"},
        {"variant_sku": "V2", "option1_name": "Color", "option1_value": "Blue", "option2_name": "Style",
         "option2_value": "Checkered", "asin": "B00XX", "upc": "12345", "quantity": 10, "retail_price": 10.00,
         "item_location": "A1"}]}


def _error(r) -> str:
    body = r.json()
    assert body["message"] == body["error"] and body["status"] == r.status_code
    return body["message"]


class TestWire:
    def test_token_header_and_other_key_styles(self, seller):
        key = seller.headers["Token"]
        for headers in ({"token": key}, {"Authorization": f"Bearer {key}"}, {"X-Api-Key": key}):
            assert seller.client.get("/api/marketplace_accounts", headers=headers).status_code == 200

    def test_missing_key_is_401(self, client):
        r = client.get("/api/products")
        assert r.status_code == 401 and "Token" in _error(r)

    def test_json_suffix_answers_the_same(self, seller):
        plain = seller.get("/api/marketplace_accounts").json()
        assert seller.get("/api/marketplace_accounts.json").json() == plain

    def test_accept_excluding_json_is_406(self, seller):
        r = seller.client.get("/api/products", headers={**seller.headers, "Accept": "text/html"})
        assert r.status_code == 406 and "Accept" in _error(r)
        ok = seller.client.get("/api/products", headers={**seller.headers, "Accept": "text/html, application/json"})
        assert ok.status_code == 200

    def test_ruby_hash_body_is_a_400_naming_the_position(self, seller):
        r = seller.post("/api/manifests", content=b'{"manifest": {"item_specifics": [{"name"=>"Brand"}]}}',
                        headers={**seller.headers, "Content-Type": "application/json"})
        assert r.status_code == 400
        assert "not valid JSON" in _error(r) and "at character 40" in _error(r)

    def test_wrong_method_on_a_known_path_is_405(self, seller):
        r = seller.client.patch("/api/manifests", headers=seller.headers)
        assert r.status_code == 405 and "GET" in r.headers["allow"]

    def test_malformed_id_is_404_naming_it(self, seller):
        r = seller.get("/api/products/not-an-id")
        assert r.status_code == 404 and "not-an-id" in r.json()["message"]

    def test_well_formed_id_never_issued_is_404(self, seller):
        r = seller.get("/api/products/0123456789abcdef01234567")
        assert r.status_code == 404 and "product" in _error(r)

    def test_id_of_another_kind_is_404(self, seller):
        r = seller.get(f"/api/products/{seller.channel['id']}")
        assert r.status_code == 404

    def test_unknown_fields_are_ignored_and_named_in_a_header(self, seller):
        r = seller.post("/api/suppliers", json={"supplier": {"name": "Acme", "reserve_quantity": 3}, "extra": 1})
        assert r.status_code == 201
        assert r.headers["x-ignored-fields"] == "extra, supplier.reserve_quantity"

    def test_enum_error_names_field_and_allowed_values(self, seller):
        r = seller.post("/api/manifests", json={"manifest": {"name": "M", "product_listings_attributes": [
            {"asin": "B07G22S48Q", "title": "t", "item_condition": "brand_new"}]}})
        assert r.status_code == 400
        message = _error(r)
        assert "product_listings_attributes[0].item_condition" in message
        assert "new, like_new, very_good, good, acceptable, refurbished, salvage" in message

    @pytest.mark.parametrize("field,value,allowed", [
        ("listing_duration", "forever", "days_1"), ("shipping_service_code", "Pigeon", "USPSFirstClass"),
        ("return_in_days_value", "90", "Days_30")])
    def test_each_enum_is_checked(self, seller, field, value, allowed):
        r = seller.post("/api/manifests", json={"manifest": {"name": "M", "product_listings_attributes": [
            {"asin": "B07G22S48Q", "title": "t", field: value}]}})
        assert r.status_code == 400 and field in _error(r) and allowed in _error(r)

    def test_negative_quantity_is_400_and_nothing_is_written(self, seller):
        r = seller.post("/api/manifests", json={"manifest": {
            "name": "M", "marketplace_account_id": seller.channel["id"],
            "product_listings_attributes": [{"asin": "B07G22S48Q", "title": "ok", "quantity": 1},
                                            {"asin": "B07G22S48Q", "title": "bad", "quantity": "-2"}]}})
        assert r.status_code == 400 and "product_listings_attributes[1].quantity" in _error(r)
        assert seller.get("/api/manifests").json()["manifests"] == []

    def test_money_is_written_with_two_decimals(self, seller):
        p = seller.product("M1", retail_price="10.5", cost_price=3)
        text = seller.get(f"/api/products/{p['id']}").text
        assert '"retail_price":10.50' in text and '"cost_price":3.00' in text

    def test_not_a_number_is_400_naming_the_field(self, seller):
        r = seller.post("/api/manifests", json={"manifest": {"name": "M", "product_listings_attributes": [
            {"asin": "B07G22S48Q", "title": "t", "retail_price": "ten"}]}})
        assert r.status_code == 400 and "product_listings_attributes[0].retail_price" in _error(r)


class TestMarketplaceAccounts:
    def test_list_shape_with_six_folders(self, seller):
        [account] = seller.get("/api/marketplace_accounts").json()["marketplace_accounts"]
        assert ACCOUNT_FIELDS <= set(account)
        assert (account["marketplace"], account["marketplace_account_type"], account["active"]) == (
            "amazon", "AmazonAccount", True)
        folders = account["manifest_folders"]
        assert [(f["name"], f["internal_name"], f["position"]) for f in folders] == [
            ("All", "all", 0), ("Active", "active", 1), ("Drafts", "drafts", 2),
            ("Channel Imports", "channel_imports", 3), ("Archived", "archived", 4),
            ("Purchase Orders", "purchase_orders", 5)]
        assert all(set(f) == FOLDER_FIELDS and HEX.match(f["id"]) for f in folders)
        assert HEX.match(account["id"])

    @pytest.mark.parametrize("kind,market", [("EbayAccount", "ebay"), ("ShopifyAccount", "shopify"),
                                             ("WalmartAccount", "walmart"), ("GoogleAccount", "google")])
    def test_create_each_channel(self, seller, kind, market):
        r = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "X", "marketplace_account_type": kind}})
        assert r.status_code == 201 and r.json()["marketplace_account"]["marketplace"] == market

    def test_unknown_type_is_400_listing_the_types(self, seller):
        r = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "X", "marketplace_account_type": "EtsyAccount"}})
        assert r.status_code == 400 and "AmazonAccount, EbayAccount" in _error(r)

    def test_unknown_amazon_marketplace_is_400(self, seller):
        r = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "X", "marketplace_account_type": "AmazonAccount", "marketplace_id": "XX"}})
        assert r.status_code == 400 and "marketplace_id" in _error(r)

    def test_rename_with_matching_type(self, seller):
        url = f"/api/marketplace_accounts/{seller.channel['id']}.json"
        r = seller.put(url, params={"marketplace_account_type": "AmazonAccount"},
                       json={"marketplace_account": {"name": "Renamed"}})
        assert r.status_code == 200 and r.json()["marketplace_account"]["name"] == "Renamed"

    def test_rename_with_another_type_is_400(self, seller):
        r = seller.put(f"/api/marketplace_accounts/{seller.channel['id']}",
                       params={"marketplace_account_type": "EbayAccount"}, json={"marketplace_account": {"name": "N"}})
        assert r.status_code == 400 and "AmazonAccount" in _error(r)

    def test_deleted_is_410_and_unlisted(self, seller):
        url = f"/api/marketplace_accounts/{seller.channel['id']}"
        assert seller.delete(url).status_code == 200
        assert seller.get("/api/marketplace_accounts").json()["marketplace_accounts"] == []
        r = seller.put(url, json={"marketplace_account": {"name": "N"}})
        assert r.status_code == 410 and "removed" in _error(r)

    def test_another_tenant_s_account_is_404(self, seller, other):
        r = other.put(f"/api/marketplace_accounts/{seller.channel['id']}", json={"marketplace_account": {"name": "N"}})
        assert r.status_code == 404
        assert other.delete(f"/api/marketplace_accounts/{seller.channel['id']}").status_code == 404


class TestContactsAndTemplates:
    @pytest.mark.parametrize("url,key", [("/api/ship_from_addresses", "ship_from_address"),
                                         ("/api/suppliers", "supplier")])
    def test_create_and_list(self, seller, url, key):
        made = seller.post(url, json={key: {"name": "N", "street1": "S", "city": "C", "state": "TX",
                                            "postal_code": 78701, "country": "us"}})
        assert made.status_code == 201
        obj = made.json()[key]
        assert HEX.match(obj["id"]) and obj["postal_code"] == "78701" and obj["country"] == "US"
        listed = seller.get(url).json()[f"{key}es" if key.endswith("s") else f"{key}s"]
        assert obj["id"] in [o["id"] for o in listed]

    def test_name_is_required(self, seller):
        r = seller.post("/api/suppliers", json={"supplier": {"city": "C"}})
        assert r.status_code == 400 and "supplier.name: required" in _error(r)

    def test_template_takes_the_channel_s_type(self, seller):
        r = seller.post("/api/templates", json={"template": {"name": "T",
                                                             "marketplace_account_id": seller.channel["id"]}})
        assert r.status_code == 201 and r.json()["template"]["template_type"] == "AmazonTemplate"
        assert len(seller.get("/api/templates").json()["templates"]) == 1

    def test_lists_are_per_tenant(self, seller, other):
        assert other.get("/api/ship_from_addresses").json()["ship_from_addresses"] == [other.ship_from]


class TestManifests:
    def test_reference_example_is_accepted_and_typed(self, seller):
        m = seller.manifest([REFERENCE_LISTING])
        assert MANIFEST_FIELDS <= set(m)
        assert m["status"] == "created" and m["product_listings_count"] == 1 and m["processing"] is None
        assert m["marketplace_account_id"] == seller.channel["id"]
        assert m["manifest_folder_id"] == seller.channel["manifest_folders"][2]["id"]  # Drafts
        [listing] = seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]
        assert LISTING_FIELDS <= set(listing)
        assert (listing["quantity"], listing["retail_price"], listing["msrp"], listing["cost_price"]) == (
            10, 10.0, 20.0, 3.0)
        assert [set(v) >= VARIANT_LISTING_FIELDS for v in listing["variant_listings"]] == [True, True]
        assert [v["sku"] for v in listing["variant_listings"]] == ["V1", "V2"]
        assert listing["product_images"][0]["original_image_url"] == "https://someurl.com/a.jpg"

    def test_required_fields(self, seller):
        r = seller.post("/api/manifests", json={"manifest": {"marketplace_account_id": seller.channel["id"]}})
        assert r.status_code == 400 and "manifest.name: required" in _error(r)
        r = seller.post("/api/manifests", json={"manifest": {"name": "M"}})
        assert r.status_code == 400 and "marketplace_account_id" in _error(r)

    def test_another_tenant_s_references_are_404(self, seller, other):
        r = other.post("/api/manifests", json={"manifest": {"name": "M", "marketplace_account_id": seller.channel["id"]}})
        assert r.status_code == 404 and "marketplace_account_id" in _error(r)
        r = other.post("/api/manifests", json={"manifest": {"name": "M", "marketplace_account_id": other.channel["id"],
                                                            "ship_from_address_id": seller.ship_from["id"]}})
        assert r.status_code == 404 and "ship_from_address_id" in _error(r)

    def test_list_filters_and_paging(self, seller):
        for i in range(3):
            seller.manifest([], name=f"M{i}")
        ebay = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "E", "marketplace_account_type": "EbayAccount"}}).json()["marketplace_account"]
        seller.post("/api/manifests", json={"manifest": {"name": "E1", "marketplace_account_id": ebay["id"]}})
        names = lambda **p: [m["name"] for m in seller.get("/api/manifests", params=p).json()["manifests"]]  # noqa: E731
        assert names() == ["E1", "M2", "M1", "M0"]
        assert names(marketplace_account_id=ebay["id"]) == ["E1"]
        assert names(page=2, page_size=3) == ["M0"]
        assert names(page="1", page_size="2") == ["E1", "M2"]
        assert names(manifest_folder_id=seller.channel["manifest_folders"][2]["id"]) == ["M2", "M1", "M0"]
        assert names(manifest_folder_id=seller.channel["manifest_folders"][1]["id"]) == []

    def test_page_size_out_of_range_is_400(self, seller):
        r = seller.get("/api/manifests", params={"page_size": 0})
        assert r.status_code == 400 and "page_size" in r.json()["message"]

    def test_submit_makes_products_and_moves_the_manifest_to_active(self, seller):
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": "A1", "quantity": "3", "cost_price": "2.50"}])
        r = seller.post(f"/api/manifests/{m['id']}/submit")
        assert r.status_code == 200
        done = r.json()["manifest"]
        assert done["status"] == "submitted" and done["processing"] is None
        assert done["manifest_folder_id"] == seller.channel["manifest_folders"][1]["id"]
        assert "no live amazon channel is connected" in done["status_message"]
        [p] = seller.get("/api/products", params={"sku": "A1"}).json()["products"]
        assert (p["quantity_available"], p["cost_price"], p["marketplace_status"]) == (3, 2.5, "active")
        [listing] = seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]
        assert listing["product_id"] == p["id"] and listing["quantity_listed"] == 3

    def test_submit_while_submitting_is_409(self, seller, db):
        from sellerkit.commerce.models import Manifest
        from sellerkit.kit.db import utcnow

        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T"}])
        with db.session(write=True) as s:
            s.query(Manifest).update({"submitting_since": utcnow(), "status": "submitting"})
        r = seller.post(f"/api/manifests/{m['id']}/submit")
        assert r.status_code == 409 and "being submitted" in _error(r)
        assert seller.get(f"/api/manifests/{m['id']}").json()["manifest"]["processing"] is True

    def test_inc_quantity_merges_into_the_product_of_the_same_sku(self, seller):
        seller.product("SAME", 4)
        seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": "SAME", "quantity": 6}], submit=True)
        [p] = seller.get("/api/products", params={"sku": "SAME"}).json()["products"]
        assert p["quantity_available"] == 10

    def test_variant_listings_become_variants_with_their_stock(self, seller):
        seller.manifest([{**REFERENCE_LISTING, "sku": "PV"}], submit=True)
        [p] = seller.get("/api/products", params={"sku": "PV"}).json()["products"]
        assert [v["sku"] for v in p["variants"]] == ["V1", "V2"]
        assert all(VARIANT_FIELDS <= set(v) and v["quantity_available"] == 10 for v in p["variants"])
        assert p["quantity_available"] == 20

    def test_auto_submit_on_listing_create(self, seller):
        m = seller.manifest([])
        r = seller.post(f"/api/manifests/{m['id']}/product_listings", params={"auto_submit": "true"},
                        json={"product_listings_attributes": [{"asin": "B07G22S48Q", "title": "T", "sku": "AS"}]})
        assert r.status_code == 201 and r.json()["manifest"]["status"] == "submitted"

    def test_another_tenant_s_manifest_is_404(self, seller, other):
        m = seller.manifest([])
        assert other.post(f"/api/manifests/{m['id']}/submit").status_code == 404
        assert other.get(f"/api/manifests/{m['id']}/product_listings").status_code == 404


class TestListings:
    def test_missing_sku_gets_the_documented_rule(self, seller):
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T"}, {"asin": "B07G22S48Q", "title": "U"}],
                            sku_prefix="AB")
        skus = [pl["sku"] for pl in seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]]
        assert skus == [f"AB{m['number']}-0001", f"AB{m['number']}-0002"]

    @pytest.mark.parametrize("listing,status,detail", [
        ({"asin": "B07G22S48Q"}, "missing_required_fields", "title"),
        ({"title": "T"}, "missing_required_fields", "asin"),
        ({"asin": "B0BAD", "title": "T"}, "invalid_identifier", "asin"),
        ({"asin": "B07G22S48Q", "title": "T", "upc": "036000291453"}, "invalid_identifier", "check digit"),
    ])
    def test_checks_give_list_status(self, seller, listing, status, detail):
        m = seller.manifest([listing])
        [pl] = seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]
        assert pl["list_status"] == status and detail in pl["list_status_error_detail"]

    def test_duplicate_sku_in_a_manifest(self, seller):
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": "D"},
                             {"asin": "B07G22S48Q", "title": "T", "sku": "D"}])
        statuses = [pl["list_status"] for pl in
                    seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]]
        assert statuses == ["duplicate_sku", "duplicate_sku"]

    def test_restricted_brand_from_the_scans_blocklist(self, seller):
        seller.put("/api/v3/brand-blocklist", json={"brands": ["Polo"]})
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T", "brand": "POLO"}])
        [pl] = seller.get(f"/api/manifests/{m['id']}/product_listings").json()["product_listings"]
        assert pl["list_status"] == "restricted_brand"

    def test_catalog_hazmat_for_fba(self, seller, db):
        from tests.catalog.factories import product
        from tests.conftest import import_records

        import_records(db, [product("B000HAZMAT", is_hazmat=True)])
        fba = seller.manifest([{"asin": "B000HAZMAT", "title": "T"}], seller_fulfilled="false")
        mfn = seller.manifest([{"asin": "B000HAZMAT", "title": "T", "sku": "X2"}], seller_fulfilled=True)
        status = lambda m: seller.get(f"/api/manifests/{m['id']}/product_listings").json()[  # noqa: E731
            "product_listings"][0]["list_status"]
        assert (status(fba), status(mfn)) == ("hazmat", "okay_to_ship")

    def test_listings_that_fail_checks_are_not_submitted(self, seller):
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": "OK"}, {"asin": "B07G22S48Q", "sku": "NO"}],
                            submit=True)
        assert "1 listings not submitted" in seller.get(f"/api/manifests/{m['id']}").json()["manifest"]["status_message"]
        assert seller.get("/api/products", params={"sku": "NO"}).json()["products"] == []

    def test_created_at_filter(self, seller):
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T"}])
        url = f"/api/manifests/{m['id']}/product_listings"
        today = m["created_at"][:10]
        assert len(seller.get(url, params={"created_at": today}).json()["product_listings"]) == 1
        assert seller.get(url, params={"created_at": "2001-01-01"}).json()["product_listings"] == []
        assert seller.get(url, params={"created_at": "yesterday"}).status_code == 400

    def test_delete_under_both_spellings(self, seller):
        m = seller.manifest([{"asin": "B07G22S48Q", "title": "T"}, {"asin": "B07G22S48Q", "title": "U"}])
        url = f"/api/manifests/{m['id']}/product_listings"
        first, second = [pl["id"] for pl in seller.get(url).json()["product_listings"]]
        assert seller.delete(f"{url}/{first}").status_code == 200
        assert seller.delete(f"/api/manifests/{m['id']}/product_litings/{second}.json").status_code == 200
        assert seller.get(url).json()["product_listings"] == []
        assert seller.delete(f"{url}/{first}").status_code == 404


class TestProducts:
    def test_get_shape(self, seller):
        p = seller.product("G1", 2)
        got = seller.get(f"/api/products/{p['id']}.json").json()["product"]
        assert PRODUCT_FIELDS <= set(got)
        assert got["item_dimensions"] == {"unit": None, "length": None, "width": None, "height": None}
        [loc] = got["inventory_locations"]
        assert LOCATION_FIELDS <= set(loc) and loc["quantity_available"] == 2

    def test_dimensions_and_weight_come_from_the_listing(self, seller):
        p = seller.product("DIM", 1, item_dimensions_length="10", item_dimensions_width=12, item_dimensions_height="6",
                           weight_in_pounds="0.2")
        assert p["item_dimensions"] == {"unit": "inches", "length": 10.0, "width": 12.0, "height": 6.0}
        assert p["weight_in_pounds"] == 0.2

    def test_each_filter(self, seller):
        a = seller.product("Sku-A", 1, upc="036000291452", tags=None)
        b = seller.product("sku-a", 1, asin="B000000002")
        seller.put(f"/api/products/{a['id']}", json={"product": {"tags_array": ["x", "y"]}})
        seller.put(f"/api/products/{b['id']}", json={"product": {"tags_array": ["x"]}})
        skus = lambda **p: sorted(x["sku"] for x in seller.get("/api/products", params=p).json()["products"])  # noqa
        assert skus(sku="Sku-A") == ["Sku-A"]  # case-sensitive
        assert skus(asin="b000000002") == ["sku-a"]
        assert skus(upc="0036000291452") == ["Sku-A"]  # the EAN-13 spelling of the UPC
        assert skus(upc="00036000291452") == ["Sku-A"]  # and its GTIN-14
        assert skus(tag="x") == ["Sku-A", "sku-a"]
        assert skus(**{"tags_array[]": ["y", "x"]}) == ["Sku-A"]  # exactly these tags
        assert skus(**{"tags_array[]": ["x"]}) == ["sku-a"]
        assert skus(marketplace_account_id=seller.channel["id"], sku="sku-a") == ["sku-a"]
        assert skus(created_at_start="2001-01-01T00:00:00", created_at_end="2001-01-02 00:00:00") == []
        assert skus(updated_at_start="2001-01-01") == ["Sku-A", "sku-a"]
        assert skus(marketplace_id="123") == []

    def test_bad_date_filter_is_400(self, seller):
        r = seller.get("/api/products", params={"created_at_start": "soon"})
        assert r.status_code == 400 and "created_at_start" in _error(r)

    def test_paging_default_50(self, seller):
        seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": f"P{i}"} for i in range(55)], submit=True)
        assert len(seller.get("/api/products").json()["products"]) == 50
        assert len(seller.get("/api/products", params={"page": 2}).json()["products"]) == 5

    def test_update_with_string_numbers_and_tags_replace(self, seller):
        p = seller.product("U1", 5)
        r = seller.put(f"/api/products/{p['id']}", json={"product": {
            "title": "New Title", "quantity_available": "2", "retail_price": "12.99", "msrp_price": 25,
            "tags_array": ["tag1", "tag2"], "reserve_quantity": 1}})
        assert r.status_code == 200 and r.headers["x-ignored-fields"] == "product.reserve_quantity"
        got = r.json()["product"]
        assert (got["title"], got["quantity_available"], got["retail_price"], got["msrp"]) == ("New Title", 2, 12.99, 25)
        got = seller.put(f"/api/products/{p['id']}", json={"product": {"tags_array": ["tag3"]}}).json()["product"]
        assert got["tags_array"] == ["tag3"]

    def test_delete_flags(self, seller):
        p = seller.product("DEL", 1)
        r = seller.delete(f"/api/products/{p['id']}.json", params={
            "delete_product": "false", "end_listing_on_marketplace": "true"})
        assert r.status_code == 200
        assert seller.get(f"/api/products/{p['id']}").json()["product"]["marketplace_status"] == "ended"
        assert seller.delete(f"/api/products/{p['id']}", params={"delete_product": "true"}).status_code == 200
        r = seller.get(f"/api/products/{p['id']}")
        assert r.status_code == 410 and "deleted" in _error(r)
        assert seller.get("/api/products", params={"sku": "DEL"}).json()["products"] == []

    def test_delete_linked_products(self, seller):
        ebay = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "E", "marketplace_account_type": "EbayAccount"}}).json()["marketplace_account"]
        p = seller.product("LINK", 1)
        seller.post("/api/manifests", json={"manifest": {"name": "E", "marketplace_account_id": ebay["id"],
                                                         "auto_submit": True, "product_listings_attributes": [
                                                             {"title": "T", "sku": "LINK", "quantity": 1}]}})
        r = seller.delete(f"/api/products/{p['id']}", params={"delete_linked_products": "true",
                                                               "delete_product": "true"})
        assert len(r.json()["products"]) == 2
        assert seller.get("/api/products", params={"sku": "LINK"}).json()["products"] == []

    def test_bulk_update_applies_the_valid_and_lists_the_rest(self, seller):
        a, b = seller.product("B1", 1), seller.product("B2", 1)
        r = seller.put("/api/products/bulk_update.json", json={"relist": True, "products": [
            {"id": a["id"], "title": "New", "quantity_available": 4},
            {"id": "0123456789abcdef01234567", "title": "ghost"},
            {"id": b["id"], "quantity_available": -1},
        ]})
        assert r.status_code == 200
        body = r.json()
        assert [p["title"] for p in body["products"]] == ["New"]
        assert [(e["index"], e["status"]) for e in body["errors"]] == [(1, 404), (2, 400)]
        assert "products[2].quantity_available" in body["errors"][1]["message"]
        assert seller.get(f"/api/products/{b['id']}").json()["product"]["quantity_available"] == 1

    def test_another_tenant_s_product_is_404_everywhere(self, seller, other):
        p = seller.product("T1", 1)
        base = f"/api/products/{p['id']}"
        assert other.get(base).status_code == 404
        assert other.put(base, json={"product": {"title": "x"}}).status_code == 404
        assert other.delete(base).status_code == 404
        assert other.get(f"{base}/inventory_locations").status_code == 404
        assert other.post(f"{base}/inventory_locations", json={"inventory_location": {"location": "A"}}).status_code == 404
        assert other.get("/api/products").json()["products"] == []
        r = other.put("/api/products/bulk_update", json={"products": [{"id": p["id"], "title": "x"}]})
        assert r.json()["errors"][0]["status"] == 404


class TestInventoryLocations:
    def test_quantity_available_is_the_sum_of_locations(self, seller):
        p = seller.product("L1", 7)
        url = f"/api/products/{p['id']}/inventory_locations"
        r = seller.post(url, json={"inventory_location": {"location": "A1", "quantity_available": "3",
                                                          "delete_if_empty": "true", "priority": "2"}})
        assert r.status_code == 201
        loc = r.json()["inventory_location"]
        assert LOCATION_FIELDS <= set(loc) and (loc["quantity_available"], loc["priority"], loc["delete_if_empty"]) == (
            3, 2, True)
        listed = seller.get(url).json()["inventory_locations"]
        assert [x["location"] for x in listed] == ["Default", "A1"]
        assert seller.get(f"/api/products/{p['id']}").json()["product"]["quantity_available"] == 10

    def test_update_reads_back_and_zero_with_delete_if_empty_removes(self, seller):
        p = seller.product("L2", 1)
        url = f"/api/products/{p['id']}/inventory_locations"
        loc = seller.post(url, json={"inventory_location": {"location": "B", "quantity_available": 3,
                                                            "delete_if_empty": True}}).json()["inventory_location"]
        r = seller.put(f"{url}/{loc['id']}", json={"inventory_location": {"location": "B2", "quantity_available": 5}})
        assert r.json()["inventory_location"]["location"] == "B2"
        assert {x["location"]: x["quantity_available"] for x in seller.get(url).json()["inventory_locations"]} == {
            "Default": 1, "B2": 5}
        r = seller.put(f"{url}/{loc['id']}", json={"inventory_location": {"quantity_available": 0}})
        assert r.json()["inventory_location"]["deleted"] is True
        assert [x["location"] for x in seller.get(url).json()["inventory_locations"]] == ["Default"]

    def test_delete(self, seller):
        p = seller.product("L3", 1)
        url = f"/api/products/{p['id']}/inventory_locations"
        [loc] = seller.get(url).json()["inventory_locations"]
        assert seller.delete(f"{url}/{loc['id']}").status_code == 200
        assert seller.get(f"/api/products/{p['id']}").json()["product"]["quantity_available"] == 0

    def test_negative_quantity_is_400(self, seller):
        p = seller.product("L4", 1)
        r = seller.post(f"/api/products/{p['id']}/inventory_locations",
                        json={"inventory_location": {"location": "N", "quantity_available": -1}})
        assert r.status_code == 400 and "inventory_location.quantity_available" in _error(r)

    def test_timestamp_dates_the_movement(self, seller, db):
        import sqlalchemy as sa

        from sellerkit.commerce.models import InventoryMovement

        p = seller.product("L5", 1)
        seller.post(f"/api/products/{p['id']}/inventory_locations", json={
            "inventory_location": {"location": "T", "quantity_available": 2}, "timestamp": "2026-01-02T03:04:05Z"})
        with db.session() as s:
            at = s.execute(sa.select(InventoryMovement.at).where(InventoryMovement.location == "T")).scalar_one()
        assert at.isoformat() == "2026-01-02T03:04:05+00:00"

    def test_another_tenant_s_location_is_404(self, seller, other):
        p = seller.product("L6", 1)
        [loc] = seller.get(f"/api/products/{p['id']}/inventory_locations").json()["inventory_locations"]
        mine = other.product("L6", 1)
        r = other.put(f"/api/products/{mine['id']}/inventory_locations/{loc['id']}",
                      json={"inventory_location": {"quantity_available": 9}})
        assert r.status_code == 404


class TestVariants:
    def test_update_quantity_through_its_locations(self, seller):
        seller.manifest([{**REFERENCE_LISTING, "sku": "VV"}], submit=True)
        [p] = seller.get("/api/products", params={"sku": "VV"}).json()["products"]
        v = p["variants"][0]
        r = seller.put(f"/api/products/{p['id']}/variants/{v['id']}", json={"quantity_available": "15", "upc": "123"})
        assert r.status_code == 200
        got = r.json()["variant"]
        assert (got["quantity_available"], got["upc"]) == (15, "123")
        r = seller.put(f"/api/variants/{v['id']}.json", json={"variant": {"quantity_available": 4}})
        assert r.json()["variant"]["quantity_available"] == 4
        assert seller.get(f"/api/products/{p['id']}").json()["product"]["quantity_available"] == 14

    def test_another_tenant_s_variant_is_404(self, seller, other):
        seller.manifest([{**REFERENCE_LISTING, "sku": "VX"}], submit=True)
        [p] = seller.get("/api/products", params={"sku": "VX"}).json()["products"]
        assert other.put(f"/api/variants/{p['variants'][0]['id']}", json={"quantity_available": 1}).status_code == 404


class TestSecondTenantIsOneCommandAway:
    def test_keys_for_two_accounts_see_only_their_own(self, client, new_key):
        a = make_seller(client, new_key, "a", account="acct-a")
        b = make_seller(client, new_key, "b", account="acct-b")
        a.product("ONLY-A", 1)
        assert b.get("/api/products").json()["products"] == []
        assert [m["id"] for m in b.get("/api/marketplace_accounts").json()["marketplace_accounts"]] == [b.channel["id"]]


class TestServerSideStatuses:
    def test_over_the_key_s_rate_is_429_with_retry_after(self, seller, db):
        from sellerkit.accounts.service import keys

        with db.session(write=True) as s:
            keys.set_limit(s, keys.list(s)[0]["partner_id"], 1)
        statuses = [seller.get("/api/products") for _ in range(5)]
        limited = [r for r in statuses if r.status_code == 429]
        assert limited and int(limited[0].headers["retry-after"]) >= 1 and limited[0].json()["error"]

    def test_a_locked_database_is_503_with_retry_after(self, seller, monkeypatch):
        from sqlalchemy.exc import OperationalError

        from sellerkit.commerce.products import products

        def locked(*_a, **_k):
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))

        monkeypatch.setattr(products, "page", locked)
        r = seller.get("/api/products")
        assert r.status_code == 503 and r.headers["retry-after"] == "5" and "retry" in _error(r)

    def test_a_fault_is_a_json_500(self, seller, monkeypatch):
        from fastapi.testclient import TestClient

        from sellerkit.commerce.products import products

        monkeypatch.setattr(products, "page", lambda *_a, **_k: 1 / 0)
        r = TestClient(seller.client.app, raise_server_exceptions=False).get("/api/products", headers=seller.headers)
        assert r.status_code == 500 and r.json()["status"] == 500


class TestLargeSubmission:
    def test_a_large_manifest_is_202_and_submitted_by_the_job(self, db, worker_settings, new_key, monkeypatch):
        import time

        from sellerkit.commerce import manifests as manifests_module
        from tests.conftest import make_client

        monkeypatch.setattr(manifests_module, "SUBMIT_NOW", 2)  # "large" is more than 1,000 listings
        with make_client(db, worker_settings) as client:
            seller = make_seller(client, new_key)
            m = seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": f"J{i}", "quantity": 1} for i in range(3)])
            r = seller.post(f"/api/manifests/{m['id']}/submit")
            assert r.status_code == 202
            deadline = time.monotonic() + 30
            while (m := seller.get(f"/api/manifests/{m['id']}").json()["manifest"])["processing"]:
                assert time.monotonic() < deadline, m
                time.sleep(0.05)
            assert m["status"] == "submitted"
            assert len(seller.get("/api/products").json()["products"]) == 3
