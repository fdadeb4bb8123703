"""Ids in paths (issue 15, item 1): an id no database column can hold names nothing, so every
route that takes one answers its ordinary 404, never a 500 from the driver."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

from sellerkit.config import Settings
from sellerkit.kit.db import Database

OVER_64_BITS = "99999999999999999999"


def _routes_with_ids() -> list[tuple[str, str]]:
    """(method, path template) of every API route of the real app that has a path parameter (the
    dashboard's pages redirect a visitor without a session; tests/web checks their 404 pages)."""
    from sellerkit.app import create_app
    from sellerkit.web.page import PageRoute

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(data_dir=Path(folder), demo=False, embedded_worker=False),
                         Database(f"sqlite:///{folder}/routes.db"))
        return sorted((method, route.path) for route in iter_route_contexts(app.routes)
                      if getattr(route, "dependant", None) and route.dependant.path_params
                      and not isinstance(route.original_route, PageRoute)
                      for method in route.methods)


ID_ROUTES = _routes_with_ids()


def _fill(template: str, value: str) -> str:
    """Every path parameter given `value` (numbers, partner ids, the commerce routes' 24-hex ids)."""
    return re.sub(r"\{[a-z_]+\}", value, template)


def _not_found(r) -> dict:
    """The 404 of a reply: the error shape, or the tracked collections' envelope (HTTP 200)."""
    if r.request.url.path.startswith("/api/v1/"):
        assert r.status_code == 200 and r.json()["code"] == 404 and r.json()["status"] == 0, r.text
        return {"status": 404, "message": r.json()["data"]}
    assert r.status_code == 404, r.text
    return r.json()


@pytest.fixture
def client(module_app):
    """Every case is a 404 of an id that names nothing, which no other test's data can change: one
    app per backend (`module_app`) instead of one per test."""
    return module_app[0]


@pytest.fixture
def key(account_key):
    return account_key


class TestPathIds:
    def test_every_id_route_is_covered(self):
        paths = {path for _, path in ID_ROUTES}
        assert {"/api/v3/scans/{scan_id}", "/api/v3/exports/{export_id}/file",
                "/account/keys/{partner_id}"} <= paths and len(ID_ROUTES) >= 15

    @pytest.mark.parametrize(("method", "path"), ID_ROUTES, ids=[f"{m} {p}" for m, p in ID_ROUTES])
    def test_id_over_64_bits_is_404(self, client, key, method, path):
        got = _not_found(client.request(method, _fill(path, OVER_64_BITS), headers=key))
        assert got["status"] == 404 and got["message"]

    @pytest.mark.parametrize("value", ["2147483648", "9223372036854775808", "0", "-1", "abc", "1e3", "9" * 5000])
    def test_ids_that_name_nothing_are_404(self, client, key, value):
        r = client.get(f"/api/v3/scans/{value}", headers=key)
        assert r.status_code == 404 and r.json()["message"].startswith("scan ")
        assert len(r.json()["message"]) < 200  # a prefix of the id, never all of it

    def test_largest_id_a_column_holds_is_an_ordinary_404(self, client, key):
        r = client.get("/api/v3/scans/2147483647", headers=key)  # INTEGER: 32 bits on PostgreSQL
        assert r.status_code == 404 and r.json()["message"] == "scan 2147483647 not found"

    def test_without_a_key_it_is_still_401(self, client):
        assert client.get(f"/api/v3/scans/{OVER_64_BITS}").status_code == 401
