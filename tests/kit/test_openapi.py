"""The published OpenAPI document tells the truth: what it says about each route, and the real
replies of every route checked against it (schemathesis, run against the real app)."""

from __future__ import annotations

import time
from collections import Counter

import orjson
import pytest

from sellerkit.config import Settings
from tests.catalog.factories import product
from tests.commerce.walk import walk_commerce, walk_scan_manifest
from tests.commerce.walk_edge import walk_orders
from tests.conftest import _fresh_sqlite, import_records, make_client

UPC_A = "036000291452"
DIMS = {"length": 10, "width": 8, "height": 3, "weight": 1.2}
CATALOG = [
    product("B000000001", category="Toys & Games", brand="Acme", buybox_price=2499, package_dimensions=DIMS,
            identifiers={"upc": [UPC_A]}, monthly_sold=300, rank=1200, new_fba_offers_count=3),
    product("B000000002", category="Toys & Games", brand="Bolt", buybox_price=999, package_dimensions=DIMS),
]
SUPPLIER_FILE = f"UPC,Cost,SKU\n{UPC_A},$8.00,A-1\n12345,2.00,BAD\nB000000002,3.00,BYASIN\n"


@pytest.fixture
def app_client(sqlite_db, settings):
    """The document does not depend on the database: SQLite only."""
    with make_client(sqlite_db, settings) as c:
        yield c


@pytest.fixture(scope="module")
def docs_client(_sqlite_template, tmp_path_factory):
    """One app for the tests that only read the document and the docs' assets (nothing they do
    changes either): its routes are built once instead of per test."""
    folder = tmp_path_factory.mktemp("docs")
    database = _fresh_sqlite(_sqlite_template, folder)
    with make_client(database, Settings(data_dir=folder, demo=False, embedded_worker=False)) as c:
        yield c


@pytest.fixture(scope="module")
def _doc_bytes(docs_client) -> bytes:
    return docs_client.get("/openapi.json").content


@pytest.fixture
def doc(_doc_bytes) -> dict:
    """The document, parsed afresh for each test: no test sees another's changes to it."""
    return orjson.loads(_doc_bytes)


def _json_schema(response: dict) -> dict:
    return response.get("content", {}).get("application/json", {}).get("schema", {})


def _operations(doc: dict, envelope: bool | None = False):
    """(method, path, operation) of the document; `envelope` True: only the tracked-collections
    routes (every reply the `{code, data, status}` envelope with HTTP 200), False: only the others,
    None: all."""
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if envelope is None or path.startswith(ENVELOPE) == envelope:
                yield method.upper(), path, op


ENVELOPE = "/api/v1/"


class TestPublishedDocument:
    def test_upload_is_documented_201(self, doc):
        responses = doc["paths"]["/api/v3/scans"]["post"]["responses"]
        assert "201" in responses and "200" not in responses
        assert _json_schema(responses["201"]) == {"$ref": "#/components/schemas/ScanView"}

    def test_rerun_and_recalculation_are_documented_202(self, doc):
        for path in ("/api/v3/scans/{scan_id}/rerun", "/api/v3/scans/{scan_id}/fees-recalculate"):
            responses = doc["paths"][path]["post"]["responses"]
            assert "202" in responses and "200" not in responses, path

    def test_json_replies_are_typed_as_their_models(self, doc):
        assert _json_schema(doc["paths"]["/account/tokens"]["get"]["responses"]["200"]) == {
            "$ref": "#/components/schemas/TokensReply"}
        assert _json_schema(doc["paths"]["/api/v3/calculate"]["post"]["responses"]["200"]) == {
            "$ref": "#/components/schemas/CalculateReply"}
        untyped = [f"{m} {p}" for m, p, op in _operations(doc, None) for code, r in op["responses"].items()
                   if code.startswith("2") and _json_schema(r) in ({}, {"type": "string"}) and "content" in r
                   and "application/json" in r["content"]]
        assert untyped == []

    def test_validation_errors_are_documented_400_with_the_error_model_not_422(self, doc):
        assert "HTTPValidationError" not in doc["components"]["schemas"]
        for method, path, op in _operations(doc):
            if op.get("parameters") or op.get("requestBody"):
                assert "400" in op["responses"], f"{method} {path}"
        assert all("422" not in op["responses"] for _, _, op in _operations(doc))  # the API answers none
        calc = doc["paths"]["/api/v3/calculate"]["post"]["responses"]
        assert _json_schema(calc["400"]) == {"$ref": "#/components/schemas/ErrorReply"}

    def test_asinscope_errors_carry_its_error_field(self, doc):
        lookup = doc["paths"]["/products/lookup"]["get"]["responses"]
        for code in ("400", "401", "429"):
            assert _json_schema(lookup[code]) == {"$ref": "#/components/schemas/DialectErrorReply"}
        assert "error" in doc["components"]["schemas"]["DialectErrorReply"]["required"]

    def test_every_key_style_is_a_security_scheme(self, doc):
        schemes = doc["components"]["securitySchemes"]
        assert {"type": "http", "scheme": "bearer"}.items() <= schemes["bearer"].items()
        styles = {(s["in"], s["name"]) for s in schemes.values() if s["type"] == "apiKey"}
        assert styles == {("header", "Token"), ("header", "X-Api-Key"), ("query", "key")}

    def test_every_keyed_route_names_the_schemes_and_its_401_and_429(self, doc):
        names = {frozenset(s) for s in [{"bearer"}, {"tokenHeader"}, {"apiKeyHeader"}, {"keyQuery"}]}
        for method, path, op in _operations(doc):
            if path in ("/health", "/ready", "/metrics"):  # probes and scrapers: no key
                assert "security" not in op
                continue
            assert {frozenset(s) for s in op.get("security", [])} == names, f"{method} {path}"
            assert {"401", "429"} <= set(op["responses"]), f"{method} {path}"
            assert "Retry-After" in op["responses"]["429"]["headers"]
            success = [r for code, r in op["responses"].items() if code.startswith("2")]
            assert all("X-RateLimit-Remaining" in r["headers"] for r in success), f"{method} {path}"

    def test_routes_with_an_id_document_404(self, doc):
        for method, path, op in _operations(doc):
            if "{" in path:
                assert "404" in op["responses"], f"{method} {path}"

    def test_routes_with_a_body_document_408_and_413(self, doc):
        for method, path, op in _operations(doc):
            if method.upper() in ("POST", "PUT"):
                assert {"408", "413"} <= set(op["responses"]), f"{method} {path}"

    def test_parameter_constraints_are_published(self, doc):
        params = {p["name"]: p["schema"] for p in doc["paths"]["/api/v3/scans"]["get"]["parameters"]}
        assert params["per_page"]["maximum"] == 100 and params["per_page"]["minimum"] == 1
        lookup = {p["name"]: p["schema"] for p in doc["paths"]["/products/lookup"]["get"]["parameters"]}
        assert "uk" in lookup["domain"]["enum"]

    def test_probes_are_documented_without_a_key(self, doc):
        ready = doc["paths"]["/ready"]["get"]["responses"]
        assert _json_schema(ready["200"]) == _json_schema(ready["503"]) == {"$ref": "#/components/schemas/Ready"}
        metrics = doc["paths"]["/metrics"]["get"]["responses"]["200"]
        assert set(metrics["content"]) == {"text/plain"}

    def test_envelope_routes_answer_200_with_the_envelope_and_keep_only_the_pre_routing_statuses(self, doc):
        ops = list(_operations(doc, envelope=True))
        assert len(ops) >= 39
        for method, path, op in ops:
            statuses = set(op["responses"])
            assert statuses == ({"200", "408", "413"} if method == "POST" else {"200"}), f"{method} {path}"
            ref = _json_schema(op["responses"]["200"])["$ref"].rsplit("/", 1)[1]
            envelope = doc["components"]["schemas"][ref]
            assert ref.startswith("Envelope") and set(envelope["required"]) == {"code", "status", "data"}, path
            if path == "/api/v1/settings/domains/":
                assert op["security"] == []  # no key, as on the service
            else:
                assert {frozenset(s) for s in op["security"]} == {frozenset({n}) for n in
                                                                  ("bearer", "tokenHeader", "apiKeyHeader", "keyQuery")}
                assert "X-RateLimit-Remaining" in op["responses"]["200"]["headers"]
        bodies = {p: op for m, p, op in ops if m == "POST"}
        create = bodies["/api/v1/schedules/amazon/asin/create/multiple/"]["requestBody"]["content"]
        assert "including_raw_html" in create["application/json"]["schema"]["properties"]  # the quirk, documented
        bulk = bodies["/api/v1/schedules/amazon/asin/create/bulk/"]["requestBody"]["content"]
        assert set(bulk["multipart/form-data"]["schema"]["properties"]) == {"collection_id", "csv"}
        assert bodies["/api/v1/schedules/asin/create/"]["deprecated"] is True
        files = doc["paths"]["/api/v1/results/{collection_id}/{runner_id}/{file_name}"]["get"]["responses"]["200"]
        assert {"application/octet-stream", "application/json"} == set(files["content"])

    def test_describes_no_surface_that_is_not_built(self, doc):
        text = orjson.dumps(doc).decode().lower()
        assert "multicart" not in text


class TestOfflineDocs:
    @pytest.fixture
    def app_client(self, docs_client):
        return docs_client

    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    def test_page_loads_only_assets_of_this_server(self, app_client, page):
        import re

        html = app_client.get(page).text
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
        assets += re.findall(r"""(?:url|spec-url|openapi_url)\s*:\s*['"]([^'"]+)['"]""", html)
        assert assets, html[:500]
        for url in assets:
            assert url.startswith("/"), url
            r = app_client.get(url)
            assert r.status_code == 200, url

    def test_swagger_ui_assets_are_served_with_their_types(self, app_client):
        js = app_client.get("/static/swagger-ui/swagger-ui-bundle.js")
        css = app_client.get("/static/swagger-ui/swagger-ui.css")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"] and len(js.content) > 100_000
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    def test_redoc_is_served(self, app_client):
        r = app_client.get("/static/redoc/redoc.standalone.js")
        assert r.status_code == 200 and len(r.content) > 100_000

    @pytest.mark.parametrize("path", ["/static/swagger-ui/LICENSE", "/static/swagger-ui/NOTICE",
                                      "/static/redoc/LICENSE"])
    def test_licences_ship_with_the_assets(self, app_client, path):
        r = app_client.get(path)
        assert r.status_code == 200 and ("License" in r.text or "Copyright" in r.text)

    def test_swagger_ui_calls_no_online_validator(self, app_client):
        assert '"validatorUrl": null' in app_client.get("/docs").text


class TestHotRoutes:
    """The reply models document the hot routes without costing them: a route that returns its
    JSON reply itself is not validated against its model."""

    @pytest.mark.parametrize("method, url, kwargs", [
        ("GET", "/products/lookup", {"params": {"asin": "B000000001"}}),
        ("POST", "/api/v3/convert", {"json": {"marketplace": "US", "ids": [UPC_A]}}),
    ])
    def test_reply_is_not_validated_against_its_model(self, app_client, sqlite_db, monkeypatch, method, url, kwargs):
        import fastapi.routing

        from sellerkit.accounts.service import keys

        import_records(sqlite_db, CATALOG)
        with sqlite_db.session(write=True) as s:
            key = keys.create(s, name="seller", plan="pro").key
        calls = []
        real = fastapi.routing.serialize_response
        monkeypatch.setattr(fastapi.routing, "serialize_response", lambda **kw: calls.append(1) or real(**kw))
        r = app_client.request(method, url, headers={"X-Api-Key": key}, **kwargs)
        assert r.status_code == 200 and calls == []
        assert app_client.get("/health").status_code == 200 and calls == [1]  # the probe does see a model


# ---- the real replies against the document -------------------------------------------------------


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split()).removeprefix("Schemathesis found 1 distinct failure - ")[:300]


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                                   response_schema_conformance, status_code_conformance)

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
            response_schema_conformance]


class Conformance:
    """Sends requests through the app's TestClient and checks each reply against the document:
    its status is documented, its content type and body match what the document says."""

    def __init__(self, client, key: str):
        import schemathesis

        self.client = client
        self.auth = {"Authorization": f"Bearer {key}"}
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        self.seen: Counter = Counter()
        self.failures: list[str] = []

    def operation(self, method: str, path: str):
        return self.schema[path][method]

    def check(self, method: str, path: str, response, expect: int | None = None):
        self.seen[(method, path)] += 1
        try:
            self.operation(method, path).Case().validate_response(response, checks=_checks())
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every fault is collected, reported together
            self.failures.append(f"{method} {path} -> {response.status_code}: {_short(exc)}")
        if expect is not None and response.status_code != expect:
            self.failures.append(f"{method} {path}: expected {expect}, got {response.status_code} {response.text[:200]}")
        return response

    def call(self, method: str, path: str, url: str | None = None, expect: int | None = None,
             headers: dict | None = None, **kwargs):
        headers = self.auth if headers is None else headers
        response = self.client.request(method, url or path, headers=headers, **kwargs)
        return self.check(method, path, response, expect)


def _wait(client, auth, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url, headers=auth).json()
        if body["status"] != "InProgress":
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} still in progress after {timeout} s")


@pytest.fixture
def walk(sqlite_db, worker_settings):
    """The real app with its job consumer, a small catalog imported, a key issued, a cap of 3 keys
    an account (so the walk reaches it), and the page fetcher pointed at a fake storefront."""
    from sellerkit.accounts.service import keys
    from sellerkit.tracking.fetcher import close_fetchers
    from tests.fakes.amazon_pages import FakeAmazon

    import_records(sqlite_db, CATALOG)
    with sqlite_db.session(write=True) as s:
        issued = keys.create(s, name="seller", plan="pro")
    with FakeAmazon() as amazon:
        settings = worker_settings.model_copy(update={"max_keys_per_account": 3, "capture_host_rps": 1000,
                                                      "capture_base_urls": {"amazon.com": amazon.url}})
        with make_client(sqlite_db, settings) as client:
            yield Conformance(client, issued.key), issued
        close_fetchers()


def _walk_tracking(c: Conformance, sqlite_db) -> None:
    """Every route of the tracked collections (the envelope dialect), each reply checked against
    the document; `status` 1 or 0 as expected, HTTP 200 throughout."""
    from sellerkit.accounts.service import keys

    def post(path: str, body: dict | None = None, ok: bool = True, **kwargs):
        reply = c.call("POST", f"/api/v1/{path}", json=body or {}, expect=200, **kwargs).json()
        if reply["status"] != (1 if ok else 0):
            c.failures.append(f"POST /api/v1/{path}: expected status {int(ok)}, got {reply}")
        return reply["data"]

    def get(path: str, params: dict | None = None, **kwargs):
        return c.call("GET", f"/api/v1/{path}", params=params or {}, expect=200, **kwargs).json()["data"]

    domains = post("settings/domains/", headers={})
    get("settings/domains/", headers={})
    us = next(d["id"] for d in domains if d["domain"] == "amazon.com")
    zipcode = post("zipcodes/create-zipcode/", {"domain": us, "zipcode": "10001"})
    post("zipcodes/create-zipcode/", {"domain": us, "zipcode": "10001"}, ok=False)  # 409 in the envelope
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not post("zipcodes/get-zipcodes/", {"status": "active"}):
        time.sleep(0.05)
    get("zipcodes/get-zipcodes/", {"domain": "amazon.com"})
    post("users/credits/")
    get("users/credits/")
    post("users/profile/update", {"timezone": "Europe/Berlin"})
    post("users/profile/update", {"timezone": "Mars/Olympus"}, ok=False)
    made = post("schedules/add_schedule/", {"name": "Walk", "request_type": "amazon", "schedule": "Daily",
                                            "schedule_time": {"hours": ["08.00"]}})
    cid = made["id"]
    post("schedules/add_schedule/", {"name": "Walk", "request_type": "ebay"}, ok=False)
    post("schedules/update_schedule/", {"collection_id": cid, "priority": "High"})
    post("schedules/list/")
    get("schedules/list/", {"limit": 5})
    post("schedules/get/", {"collection_id": cid})
    get("schedules/get/", {"collection_id": cid})
    post("schedules/pause/", {"collection_id": cid})
    post("schedules/resume/", {"collection_id": cid})
    for base in ("schedules/amazon/asin/", "schedules/asin/"):
        alias = base == "schedules/asin/"
        one = post(f"{base}create/", {"collection": cid, "domain": us, "customer_postcode": zipcode["id"],
                                      "asin": "B000000021" if alias else "B000000011"})
        post(f"{base}create/multiple/", {"collection": cid, "domain": "amazon.com", "customer_postcode": "10001",
                                         "asins": "B000000022,B000000023" if alias else "B000000012,NOTANASIN"})
        csv = f"domain,customer_postcode,asin,include_raw_html\namazon.com,10001,B00000002{4 if alias else 5},true\n"
        c.call("POST", f"/api/v1/{base}create/bulk/", data={"collection_id": str(cid)},
               files={"csv": ("a.csv", csv.encode(), "text/csv")}, expect=200)
        post(f"{base}list/", {"collection_id": cid, "with_count": True})
        post(f"{base}get/", {"id": one["id"], "collection": cid})
        post(f"{base}update/", {"asin_id": one["id"], "custom_id": "ref"})
        if alias:
            post(f"{base}delete/", {"asin_id": one["id"]})
    run = post("schedules/run/result/", {"collection_id": cid})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = post("schedules/collections/results/download/", {"collection_id": cid})
        if runs[0]["is_download_generated"]:
            break
        time.sleep(0.1)
    get("schedules/collections/results/download/", {"collection_id": cid})
    F = "/api/v1/results/{collection_id}/{runner_id}/{file_name}"
    for link in runs[0]["download_links"]:
        c.call("GET", F, link["url"], expect=200)
    c.call("GET", F, f"/api/v1/results/{cid}/{run['id']}/nothing.json", expect=200)  # 404 in the envelope
    with sqlite_db.session(write=True) as s:
        other = {"X-Api-Key": keys.create(s, name="other", plan="pro", account="other").key}
    c.call("GET", F, runs[0]["download_links"][0]["url"], headers=other, expect=200)  # another account's: 404
    for base in ("schedules/amazon/asin/", "schedules/asin/"):
        outputs = post(f"{base}output/list/", {"collection_id": cid})
        post(f"{base}output/", {"asin_id": outputs[0]["id"]})
        post(f"{base}output/", {"asin_id": 999999}, ok=False)
        post(f"{base}delete/", {"asin_id": 999999}, ok=False)
    post("schedules/delete/", {"collection_ids": [cid]})


class TestRepliesMatchTheSchema:
    def test_every_route_s_real_replies_match_the_document(self, walk, sqlite_db):
        from sellerkit.accounts.service import keys

        c, issued = walk
        S = "/api/v3/scans/{scan_id}"
        c.call("GET", "/health", expect=200)
        c.call("GET", "/ready", expect=200)
        c.call("GET", "/metrics", expect=200)
        c.call("GET", "/account", expect=200)
        c.call("GET", "/account/tokens", expect=200)
        c.call("GET", "/account/tokens", headers={}, expect=400)
        made = c.call("POST", "/account/keys", json={"name": "second"}, expect=201).json()
        pid = made["partner_id"]
        c.call("POST", "/account/keys/{partner_id}/rotate", f"/account/keys/{pid}/rotate", expect=200)
        c.call("DELETE", "/account/keys/{partner_id}", f"/account/keys/{pid}", expect=204)
        c.call("DELETE", "/account/keys/{partner_id}", f"/account/keys/{pid}", expect=404)
        c.call("POST", "/account/keys", json={"name": "third"}, expect=201)
        c.call("POST", "/account/keys", json={"name": "fourth"}, expect=201)
        c.call("POST", "/account/keys", json={"name": "fifth"}, expect=409)  # 3 live keys: the cap

        c.call("GET", "/products/lookup", params={"asin": "B000000001,B000000002"}, expect=200)
        c.call("GET", "/products/lookup", params={"upc": UPC_A, "domain": "com"}, expect=200)
        c.call("GET", "/products/lookup", params={"asin": "B000000001", "domain": "nowhere"}, expect=400)
        c.call("GET", "/products/lookup", params={"asin": "B000000001"}, headers={}, expect=401)
        with sqlite_db.session(write=True) as s:
            planless = {"Token": keys.create(s, name="no plan", plan=None, account="planless").key}
        c.call("GET", "/products/lookup", params={"asin": "B000000001"}, headers=planless, expect=403)
        c.call("GET", "/account/tokens", headers=planless, expect=403)
        c.call("POST", "/api/v3/convert", json={"marketplace": "US", "ids": [UPC_A, "012345678905"]}, expect=200)
        c.call("POST", "/api/v3/convert", json={"marketplace": "US"}, expect=400)
        c.call("POST", "/api/v3/asin-convert", json={"marketplace": "US", "asins": ["B000000001"]}, expect=200)
        c.call("GET", "/api/v3/inbound-eligibility", params={"asins": "B000000001,B000000002"}, expect=200)
        c.call("GET", "/api/v3/providers", expect=200)
        c.call("GET", "/api/v3/providers", headers={}, expect=401)
        c.call("GET", "/api/v3/quotas", expect=200)
        c.call("GET", "/api/v3/quotas", headers={}, expect=401)
        c.call("POST", "/api/v3/calculate", json={"asin": "B000000001", "cost": 8}, expect=200)
        c.call("POST", "/api/v3/calculate", json={"marketplace": "US", "price": 10, "cost": 2,
                                                  "category": "Toys & Games",
                                                  "package_dimensions": {"length": 10, "width": 8, "height": 3,
                                                                         "weight": 1}}, expect=200)
        c.call("POST", "/api/v3/calculate", json={"asin": "B0NOTHERE1"}, expect=404)
        c.call("POST", "/api/v3/calculate", json={"price": 10}, expect=400)

        attributes = {"mapping": {"id": 0, "cost": 1, "supplier_sku": 2}, "options": {"name": "Walk"}}
        scan = c.call("POST", "/api/v3/scans", files={"file": ("s.csv", SUPPLIER_FILE.encode(), "text/csv")},
                      data={"attributes": orjson.dumps(attributes).decode()}, expect=201).json()
        c.call("POST", "/api/v3/scans", files={"file": ("s.csv", b"a,b\n", "text/csv")}, expect=400)
        sid = scan["id"]
        url = f"/api/v3/scans/{sid}"
        _wait(c.client, c.auth, url)
        c.call("GET", "/api/v3/scans", params={"per_page": 5}, expect=200)
        c.call("GET", S, url, expect=200)
        c.call("GET", S, "/api/v3/scans/999999", expect=404)
        c.call("POST", S, url, json={"sort": "-profit", "per_page": 10}, expect=200)
        c.call("POST", S, url, params={"table_type": "errors"}, expect=200)
        c.call("POST", S, url, json={"filter": [{"field": "nope", "operator": ">", "value": 1}]}, expect=400)
        for fmt in ("csv", "xlsx", "json"):
            c.call("POST", f"{S}/{fmt}", f"{url}/{fmt}", expect=200)
            c.call("POST", f"{S}/download", f"{url}/download", params={"type": fmt}, expect=200)
        c.call("POST", f"{S}/json", f"{url}/json", params={"table_type": "errors"}, expect=200)
        job = c.call("POST", f"{S}/csv", f"{url}/csv", params={"background": "true"}, expect=202).json()
        export = f"/api/v3/exports/{job['id']}"
        c.call("GET", "/api/v3/exports/{export_id}", export, expect=200)
        _wait(c.client, c.auth, export)
        c.call("GET", "/api/v3/exports/{export_id}", export, expect=200)
        c.call("GET", "/api/v3/exports/{export_id}/file", f"{export}/file", expect=200)
        c.call("POST", f"{S}/export", f"{url}/export", expect=400)  # Google Sheets not set up here
        c.call("POST", f"{S}/gsheet", f"{url}/gsheet", expect=400)
        sheet_job = c.call("POST", f"{S}/xlsx", f"{url}/xlsx", params={"background": "true"}, expect=202).json()
        _wait(c.client, c.auth, f"/api/v3/exports/{sheet_job['id']}")
        c.call("GET", f"{S}/cancel", f"{url}/cancel", expect=200)
        c.call("POST", f"{S}/cancel", f"{url}/cancel", expect=200)
        c.call("POST", f"{S}/fees-recalculate", f"{url}/fees-recalculate", expect=202)
        _wait(c.client, c.auth, url)
        c.call("POST", f"{S}/rerun", f"{url}/rerun", expect=202)
        c.call("POST", f"{S}/rerun", f"{url}/rerun")  # 409 while it runs, 202 if it already ended
        _wait(c.client, c.auth, url)
        walk_scan_manifest(c, url)
        c.call("GET", "/api/v3/brand-blocklist", expect=200)
        c.call("PUT", "/api/v3/brand-blocklist", json={"brands": ["Acme", " bolt "]}, expect=200)
        c.call("PUT", "/api/v3/brand-blocklist", json={"brands": "Acme"}, expect=400)
        c.call("DELETE", S, url, expect=200)
        c.call("DELETE", S, url, expect=404)
        c.call("GET", "/api/v3/exports/{export_id}/file", "/api/v3/exports/999999/file", expect=404)

        walk_commerce(c)
        walk_orders(c)
        _walk_tracking(c, sqlite_db)

        with sqlite_db.session(write=True) as s:
            keys.set_limit(s, issued.partner_id, 1)
        statuses = {c.call("GET", "/products/lookup", params={"asin": "B000000001"}).status_code for _ in range(4)}
        assert 429 in statuses, statuses

        assert c.failures == [], "\n".join(c.failures)
        documented = {(m, p) for m, p, _ in _operations(c.client.get("/openapi.json").json(), None)}
        assert documented - set(c.seen) == set(), "routes the walk does not call"

    def test_generated_requests_get_documented_replies(self, walk):
        """Seeded and bounded: each operation gets a few generated requests that are valid by the
        document; every reply must be documented, never a 500, and match its schema."""
        c, _ = walk
        for result in c.schema.get_all_operations():
            _fuzz(c, result.ok())
        distinct = sorted(set(c.failures))
        assert distinct == [], f"{len(distinct)} faults:\n" + "\n".join(distinct)

    def test_invalid_requests_get_documented_errors_never_a_500(self, walk):
        """Requests the document says are invalid (wrong types, out of range, missing fields):
        each reply must be documented and match its schema, never a 500."""
        c, _ = walk
        for result in c.schema.get_all_operations():
            _fuzz(c, result.ok(), examples=8, negative=True)
        distinct = sorted(set(c.failures))
        assert distinct == [], f"{len(distinct)} faults:\n" + "\n".join(distinct)


def _fuzz(c: Conformance, op, examples: int = 12, negative: bool = False) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    @given(case=op.as_strategy(GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE))
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        try:
            response = case.call(headers=c.auth)
        except Exception as exc:  # noqa: BLE001 - a crash inside the app is a finding like any other
            c.failures.append(f"{op.label}: crashed: {type(exc).__name__}: {str(exc)[:200]}")
            return
        try:
            case.validate_response(response, checks=_checks())
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis groups its failures
            c.failures.append(f"{op.label} -> {response.status_code}: {_short(exc)}")

    try:
        run()
    except Unsatisfiable:
        if not negative:
            raise  # an operation without parameters or body has no invalid request: nothing to send
