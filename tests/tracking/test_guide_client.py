"""The integration guide's Node.js client, unchanged but for its base URL, against a served
sellerkit (real HTTP, `sellerkit serve`) whose fetcher reads the fake storefront."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.fakes.amazon_pages import FakeAmazon
from tests.served import env_for, new_key, serve

NODE = shutil.which("node")
CLIENT = Path(__file__).with_name("guide_client.mjs")
ASINS = ["B000000101", "B000000102", "B000000103", "B000000104", "B000000105"]

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the guide's client runs on Node's fetch")


def test_the_guides_client_runs_end_to_end(tmp_path):
    with FakeAmazon() as amazon:
        env = env_for(tmp_path, SELLERKIT_CAPTURE_BASE_URLS=orjson.dumps({"amazon.com": amazon.url}).decode(),
                      SELLERKIT_CAPTURE_HOST_RPS="1000", SELLERKIT_CAPTURE_BACKOFF_SECONDS="0.05")
        env.pop("SELLERKIT_REDIS_URL", None)
        key = new_key(env, "guide")["key"]
        with serve(env) as base:
            done = subprocess.run([NODE, str(CLIENT), base, key, ",".join(ASINS)], capture_output=True, text=True,
                                  timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["domains"] >= 20 and seen["zipcode"] == "in-progress"
    assert seen["collection"] == ["draft", "Pending"]
    assert seen["multiple"] == {"success_count": 2, "error_rows": []}
    assert seen["bulk"] == {"success_count": 2, "error_rows": []}
    assert seen["total_count"] == 5 and seen["run_status"] == "Processing"
    assert seen["done"] == {"status": "Completed", "ok": 5, "failed": 0, "records": 5}
    assert seen["files"][-1].endswith("_Results_All_Pages.zip") and seen["files"][0].endswith("_Results_Page_1.json")
    assert seen["page_type"] == "application/octet-stream" and seen["zip_magic"] == "PK"
    assert sorted(i["asin"] for i in seen["page_items"]) == ASINS
    assert next(i for i in seen["page_items"] if i["asin"] == ASINS[0])["custom_id"] == "guide-1"
    assert all(i["price"].startswith("$") and i["title"] for i in seen["page_items"])
    assert seen["outputs"] == 5 and seen["output_asin"] in ASINS
    assert {"asin", "title", "price", "currency", "rating", "review_count", "best_sellers_rank", "availability",
            "custom_id"} <= set(seen["output_keys"])
