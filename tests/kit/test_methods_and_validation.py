"""Issue 15, item 11: OPTIONS and 405 tell the methods a path really takes, and no route ever
answers 422 (the README promises 400 for every malformed request)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

from sellerkit.config import Settings
from sellerkit.kit.db import Database


def _api_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the real app, path parameters filled with 1."""
    from sellerkit.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(data_dir=Path(folder), demo=False, embedded_worker=False),
                         Database(f"sqlite:///{folder}/routes.db"))
        routes = set()
        for route in iter_route_contexts(app.routes):
            if getattr(route, "dependant", None) is None:
                continue
            path = route.path
            for param in route.dependant.path_params:
                path = path.replace("{" + param.name + "}", "1")
            routes |= {(method, path) for method in route.methods}
        return sorted(routes)


API_ROUTES = _api_routes()


@pytest.fixture
def client(module_app):
    """Every test reads, or writes only in its own account: one app per backend (`module_app`)
    instead of one per test (the route build was paid for each of the ~340 cases)."""
    return module_app[0]


@pytest.fixture
def key(account_key):
    return account_key


class TestAllow:
    def test_options_lists_every_method_of_the_path(self, client):
        r = client.options("/api/v3/scans/7")
        assert r.status_code == 204 and r.headers["Allow"] == "DELETE, GET, OPTIONS, POST"

    def test_options_needs_no_key(self, client):
        r = client.options("/api/v3/convert")
        assert r.status_code == 204 and r.headers["Allow"] == "OPTIONS, POST"

    def test_options_on_an_unknown_path_is_404(self, client):
        assert client.options("/no/such/route").status_code == 404

    def test_405_carries_the_whole_allow_list(self, client, key):
        r = client.put("/api/v3/scans/7", headers=key)
        assert r.status_code == 405 and r.headers["Allow"] == "DELETE, GET, OPTIONS, POST"
        assert r.json()["message"].endswith("it takes DELETE, GET, OPTIONS, POST")


class TestNever422:
    @pytest.mark.parametrize(("method", "path"), API_ROUTES, ids=[f"{m} {p}" for m, p in API_ROUTES])
    def test_malformed_request_is_never_422(self, client, key, method, path):
        """Wrong types everywhere: unknown keys, a list for an object, text for numbers."""
        for body in ({}, {"__unknown__": 1, "page": "x", "ids": 5, "asins": {}, "brands": 3}, [1, 2], "text"):
            r = client.request(method, path, headers=key, json=body,
                               params={"page": "x", "per_page": "-1", "asins": "", "table_type": "nope"})
            assert r.status_code != 422 and r.status_code < 500, (r.status_code, r.text)
