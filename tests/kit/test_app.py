"""App-wide behaviour: JSON errors, documentation, unknown routes."""

from __future__ import annotations

import gc
from datetime import date

from sellerkit.app import YOUNG_OBJECTS_PER_COLLECTION
from sellerkit.kit.http import JSON
from tests.conftest import make_client


class TestApp:
    def test_unknown_route_is_json_404(self, client):
        r = client.get("/no/such/route")
        assert r.status_code == 404 and r.json()["message"].startswith('no route GET "/no/such/route"')

    def test_wrong_method_is_json_405(self, client):
        r = client.get("/api/v3/convert")
        assert r.status_code == 405 and "GET" in r.json()["message"]

    def test_openapi_describes_every_route(self, client):
        paths = client.get("/openapi.json").json()["paths"]
        routes = {r.path for r in client.app.routes if getattr(r, "include_in_schema", False)}
        assert routes <= set(paths)
        assert {"/api/v3/convert", "/api/v3/asin-convert", "/account"} <= set(paths)

    def test_docs_page_is_served(self, client):
        assert "swagger" in client.get("/docs").text.lower()

    def test_health_needs_no_key(self, client):
        assert client.get("/health").json()["status"] == "ok"


class TestJsonBodies:
    def test_body_without_json_content_type_says_to_send_it(self, client, new_key):
        r = client.post("/api/v3/convert", content=b"marketplace=US",
                        headers={"X-Api-Key": new_key().key, "Content-Type": "text/plain"})
        assert r.status_code == 400
        assert r.json()["message"].startswith("request body must be a JSON object sent with Content-Type: application/json")


class TestSecretsStayOut:
    def test_crash_is_logged_with_the_partner_id_never_the_key(self, db, settings, new_key, monkeypatch, caplog):
        from fastapi.testclient import TestClient

        from sellerkit.app import create_app
        from sellerkit.catalog.lookup import lookups

        issued = new_key()
        monkeypatch.setattr(lookups, "items", lambda *a: 1 / 0)
        with TestClient(create_app(settings, db), raise_server_exceptions=False) as c:
            r = c.get("/products/lookup", params={"key": issued.key, "asin": "B088H39PXX"})
        assert r.status_code == 500 and issued.key not in r.text
        assert issued.partner_id in caplog.text and issued.key not in caplog.text

    def test_account_listing_shows_only_a_hint_of_the_secret(self, client, new_key):
        issued = new_key()
        r = client.get("/account", headers={"X-Api-Key": issued.key})
        assert issued.key not in r.text and r.json()["keys"][0]["key_hint"] == "…" + issued.key[-4:]


class TestServerProcessTuning:
    def test_a_started_app_collects_cycles_every_10000_young_objects(self, db, settings):
        before = gc.get_threshold()
        try:
            gc.set_threshold(700, *before[1:])
            with make_client(db, settings):  # the lifespan runs as a server worker's does
                assert gc.get_threshold() == (YOUNG_OBJECTS_PER_COLLECTION, *before[1:])
        finally:
            gc.set_threshold(*before)

    def test_replies_with_keys_that_are_not_text_still_render(self):
        assert JSON({"a": 1}).body == b'{"a":1}'
        assert JSON({1: "x", date(2026, 12, 7): [True]}).body == b'{"1":"x","2026-12-07":[true]}'
