"""The Multicart dialect end to end: the integration guide's flow, envelopes and quirks, the
credit gate, bulk CSV, tenant isolation."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.tracking.conftest import Api, usa

ASINS = ["B000000011", "B000000012", "B000000013"]


def collection(api, **extra) -> dict:
    return api.post("schedules/add_schedule/", {"name": "Watch list", "request_type": "amazon", "schedule": "Manual",
                                                "priority": "Normal", "notification_email": "me@example.com", **extra})


def finished(api, cid: int) -> dict:
    def done():
        runs = api.post("schedules/collections/results/download/", {"collection_id": cid})
        return runs[0] if runs and runs[0]["is_download_generated"] else None
    return api.wait(done)


class TestGuideFlow:
    def test_collection_items_run_files_and_outputs(self, api, app, amazon):
        domain_id, zid = usa(api)
        c = collection(api)
        assert c["status"] == "draft" and c["schedule_status"] == "Pending"
        one = api.post("schedules/amazon/asin/create/", {"collection": c["id"], "domain": domain_id,
                                                        "customer_postcode": zid, "asin": ASINS[0], "custom_id": "ref-1"})
        assert one["domain"] == domain_id and one["customer_postcode"] == zid
        many = api.post("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                                  "customer_postcode": "10001",
                                                                  "asins": f"{ASINS[1]},{ASINS[0]}"})
        assert many == {"success_count": 1, "error_rows": [{"asin": ASINS[0], "error": "Duplicate entry"}]}
        csv = f"domain,customer_postcode,asin,include_raw_html\namazon.com,10001,{ASINS[2]},true\n"
        bulk = app.post("/api/v1/schedules/amazon/asin/create/bulk/", headers=api.headers,
                        data={"collection_id": str(c["id"])}, files={"csv": ("a.csv", csv.encode(), "text/csv")}).json()
        assert bulk == {"code": 200, "data": {"success_count": 1, "error_rows": []}, "status": 1}
        listed = api.post("schedules/amazon/asin/list/", {"collection_id": c["id"], "with_count": 1, "limit": 1})
        assert listed["total_count"] == 3 and listed["asin_list"][0]["domain"] == {"id": domain_id, "domain": "amazon.com"}
        assert api.post("schedules/get/", {"collection_id": c["id"]})["status"] == "enable"
        before = api.post("users/credits/")
        run = api.post("schedules/run/result/", {"collection_id": c["id"]})
        assert run["status"] == "Processing" and run["records"] == 3
        done = finished(api, c["id"])
        assert done["status"] == "Completed" and (done["ok"], done["failed"], done["blocked"]) == (3, 0, 0)
        names = [link["file_name"] for link in done["download_links"]]
        assert names == [f"Watch_list_{run['id']}_Results_Page_1.json", f"Watch_list_{run['id']}_Results_All_Pages.zip"]
        page = app.get(done["download_links"][0]["url"], headers=api.headers)
        assert page.headers["content-type"] == "application/octet-stream"
        items = json.loads(page.content)
        assert {i["asin"] for i in items} == set(ASINS)
        assert all({"title", "price", "currency", "rating", "review_count", "best_sellers_rank", "availability",
                    "custom_id"} <= set(i) for i in items)
        archive = zipfile.ZipFile(io.BytesIO(app.get(done["download_links"][1]["url"], headers=api.headers).content))
        assert archive.namelist() == [names[0]]
        after = api.post("users/credits/")
        assert after["used_credits"] == before["used_credits"] + 3 and after["frozen_credits"] == 0
        outputs = api.post("schedules/amazon/asin/output/list/", {"collection_id": c["id"]})
        assert len(outputs) == 3 and "output_json" not in outputs[0]
        raw_one = next(o for o in outputs if o["asin"] == ASINS[2])
        full = api.post("schedules/amazon/asin/output/", {"asin_id": raw_one["id"]})
        assert full["output_json"]["asin"] == ASINS[2] and "<html" in full["output_json"]["raw_html"].lower()
        assert full["output_json"]["price"].startswith("$")

    def test_a_blocked_page_is_retried_and_a_missing_one_fails(self, api, amazon):
        domain_id, zid = usa(api)
        c = collection(api)
        amazon.blocked[ASINS[0]] = 1
        amazon.missing.add(ASINS[1])
        amazon.failing[ASINS[2]] = 1
        api.post("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                           "customer_postcode": "10001", "asins": ",".join(ASINS)})
        api.post("schedules/run/result/", {"collection_id": c["id"]})
        done = finished(api, c["id"])
        assert (done["ok"], done["failed"], done["blocked"]) == (2, 1, 0)
        assert done["block_rate"] > 0 and done["credits"] == 2
        assert api.post("users/credits/")["frozen_credits"] == 0


class TestEnvelope:
    def test_failures_are_http_200_with_status_0(self, app):
        reply = app.post("/api/v1/schedules/add_schedule/", json={})
        assert reply.status_code == 200 and reply.json()["status"] == 0 and reply.json()["code"] == 401

    def test_domains_need_no_key_and_answer_get(self, app):
        got = app.get("/api/v1/settings/domains/").json()
        assert got["status"] == 1 and got["data"][0]["domain"] == "amazon.com.au"
        assert {"id", "domain", "country_code", "supplier_type", "status", "postcode_regex"} <= set(got["data"][0])

    def test_unknown_fields_are_ignored_and_named(self, app, api):
        reply = app.post("/api/v1/schedules/add_schedule/", headers=api.headers,
                         json={"name": "X", "request_type": "amazon", "schedule": "Manual", "colour": "red"})
        assert reply.json()["status"] == 1 and reply.headers["x-ignored-fields"] == "colour"

    def test_other_request_types_name_what_is_supported(self, api):
        assert "amazon" in api.fails("schedules/add_schedule/", {"name": "X", "request_type": "officeworks.com.au"})

    def test_a_duplicate_postcode_is_409(self, api):
        usa(api)
        assert api.fails("zipcodes/create-zipcode/", {"domain": 2, "zipcode": "10001"}, 409) == "Zipcode already exists"

    def test_get_uses_id_and_ignores_collection(self, api):
        domain_id, zid = usa(api)
        c = collection(api)
        item = api.post("schedules/amazon/asin/create/", {"collection": c["id"], "domain": domain_id,
                                                         "customer_postcode": zid, "asin": ASINS[0]})
        got = api.post("schedules/amazon/asin/get/", {"id": item["id"], "collection": 999})
        assert got["customer_postcode"] == {"id": zid, "zipcode": "10001"}
        api.fails("schedules/amazon/asin/get/", {"collection": c["id"]}, 400)
        assert api.post("schedules/asin/delete/", {"asin_id": item["id"]}) == "ASIN deleted successfully"


class TestCredits:
    def test_the_gate_refuses_with_nothing_queued_or_deducted(self, api, db):
        from sellerkit.tracking.service import tracking

        usa(api)
        c = collection(api)
        api.post("schedules/amazon/asin/create/multiple/", {"collection": c["id"], "domain": "amazon.com",
                                                           "customer_postcode": "10001", "asins": ",".join(ASINS)})
        with db.session(write=True) as s:
            tracking.set_credits(s, c_account(db, c["id"]), 2)
        message = api.fails("schedules/run/result/", {"collection_id": c["id"]}, 402)
        assert message == "Not enough credits — you need 3 but have 2 remaining."
        assert api.post("schedules/collections/results/download/", {"collection_id": c["id"]}) == []
        assert api.post("users/credits/")["frozen_credits"] == 0 and api.post("users/credits/")["used_credits"] == 0


def c_account(db, cid: int) -> int:
    from sellerkit.tracking.models import Collection

    with db.session() as s:
        return s.get(Collection, cid).account_id


class TestBulk:
    def test_bad_rows_go_to_error_rows(self, api, app):
        usa(api)
        c = collection(api)
        csv = ("domain,customer_postcode,asin,include_raw_html\namazon.com,10001,B000000011,false\n"
               "amazon.nowhere,10001,B000000012,false\namazon.com,99999,B000000013,false\n"
               "amazon.com,10001,NOTANASIN!,false\namazon.com,10001,B000000011,false\n")
        got = app.post("/api/v1/schedules/amazon/asin/create/bulk/", headers=api.headers,
                       data={"collection_id": str(c["id"])}, files={"csv": ("a.csv", csv.encode())}).json()["data"]
        assert got["success_count"] == 1 and [e["row"] for e in got["error_rows"]] == [3, 4, 5, 6]
        assert got["error_rows"][-1]["error"] == "Duplicate entry"

    def test_a_missing_column_is_named(self, api, app):
        c = collection(api)
        got = app.post("/api/v1/schedules/amazon/asin/create/bulk/", headers=api.headers,
                       data={"collection_id": str(c["id"])}, files={"csv": ("a.csv", b"domain,asin\n")}).json()
        assert got["status"] == 0 and "customer_postcode" in got["data"]

    def test_more_than_5000_rows_is_refused(self, api, app):
        c = collection(api)
        rows = "".join(f"amazon.com,10001,B{n:09d},false\n" for n in range(5001))
        got = app.post("/api/v1/schedules/amazon/asin/create/bulk/", headers=api.headers,
                       data={"collection_id": str(c["id"])},
                       files={"csv": ("a.csv", ("domain,customer_postcode,asin,include_raw_html\n" + rows).encode())}).json()
        assert got["status"] == 0 and "5,000" in got["data"]


class TestTenancy:
    def test_another_accounts_collection_run_and_file_are_404(self, api, app, new_key):
        domain_id, zid = usa(api)
        c = collection(api)
        api.post("schedules/amazon/asin/create/", {"collection": c["id"], "domain": domain_id, "customer_postcode": zid,
                                                  "asin": ASINS[0]})
        api.post("schedules/run/result/", {"collection_id": c["id"]})
        done = finished(api, c["id"])
        other = Api(app, new_key("other", account="other").key)
        assert other.fails("schedules/get/", {"collection_id": c["id"]}, 404)
        assert other.fails("schedules/collections/results/download/", {"collection_id": c["id"]}, 404)
        assert other.fails("schedules/amazon/asin/list/", {"collection_id": c["id"]}, 404)
        reply = app.get(done["download_links"][0]["url"], headers=other.headers)
        assert reply.json()["code"] == 404
