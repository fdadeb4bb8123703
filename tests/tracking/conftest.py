from __future__ import annotations

import time

import pytest

from sellerkit.config import Settings
from sellerkit.tracking.fetcher import close_fetchers
from tests.conftest import make_client
from tests.fakes.amazon_pages import FakeAmazon


@pytest.fixture
def amazon():
    with FakeAmazon() as fake:
        yield fake
        close_fetchers()  # before the storefront goes: their connections to it close cleanly


@pytest.fixture(autouse=True)
def _no_fetcher_left():
    """No fetcher (its loop and connections) outlives the test that made it."""
    yield
    close_fetchers()


@pytest.fixture
def capture_settings(tmp_path, amazon) -> Settings:
    return Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=2, scan_stale_seconds=2,
                    capture_base_urls={"amazon.com": amazon.url, "amazon.co.uk": amazon.url},
                    capture_host_rps=1000, capture_backoff_seconds=0.05, capture_timeout=5)


@pytest.fixture
def app(db, capture_settings):
    with make_client(db, capture_settings) as c:
        yield c


class Api:
    """The integration guide's client: POST JSON with x-api-key; status 1 or it fails."""

    def __init__(self, client, key: str) -> None:
        self.client, self.headers = client, {"x-api-key": key}

    def raw(self, path: str, body: dict | None = None):
        reply = self.client.post(f"/api/v1/{path}", json=body or {}, headers=self.headers)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def post(self, path: str, body: dict | None = None):
        answer = self.raw(path, body)
        assert answer["status"] == 1, answer
        return answer["data"]

    def fails(self, path: str, body: dict | None = None, code: int = 400) -> str:
        answer = self.raw(path, body)
        assert answer["status"] == 0 and answer["code"] == code, answer
        return answer["data"]

    def wait(self, what, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("timed out")


@pytest.fixture
def api(app, new_key):
    return Api(app, new_key().key)


def usa(api, zipcode: str = "10001") -> int:
    """An active US postcode's id."""
    domain = next(d for d in api.post("settings/domains/") if d["domain"] == "amazon.com")
    z = api.post("zipcodes/create-zipcode/", {"domain": domain["id"], "zipcode": zipcode})
    api.wait(lambda: any(x["status"] == "active" for x in api.post("zipcodes/get-zipcodes/", {"status": "active"})
                         if x["id"] == z["id"]))
    return domain["id"], z["id"]
