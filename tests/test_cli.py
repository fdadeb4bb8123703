"""The operator CLI as outside tests use it: a real process, a real data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path / "data")}
    env.pop("SELLERKIT_DATABASE_URL", None)

    def sellerkit(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"sellerkit {' '.join(args)} failed: {proc.stderr}")
        return proc

    return sellerkit


class TestKeysCli:
    def test_create_json_contract(self, run, tmp_path):
        out = json.loads(run("keys", "create", "--name", "shop", "--plan", "pro", "--json").stdout)
        assert set(out) == {"key", "partner_id", "account_id", "plan"} and out["plan"] == "pro"
        assert (tmp_path / "data" / "sellerkit.db").exists()

    def test_rotate_json_keeps_partner_id(self, run):
        made = json.loads(run("keys", "create", "--name", "shop", "--json").stdout)
        rotated = json.loads(run("keys", "rotate", made["partner_id"], "--json").stdout)
        assert rotated["partner_id"] == made["partner_id"] and rotated["key"] != made["key"]

    def test_list_shows_no_secret(self, run):
        made = json.loads(run("keys", "create", "--name", "shop", "--json").stdout)
        listed = run("keys", "list", "--json").stdout
        assert made["partner_id"] in listed and made["key"] not in listed

    def test_revoke_unknown_partner_fails_clearly(self, run):
        proc = run("keys", "revoke", "pk_missing", check=False)
        assert proc.returncode == 1 and "pk_missing" in proc.stderr

    def test_unknown_plan_fails_clearly(self, run):
        proc = run("keys", "create", "--name", "x", "--plan", "gold", check=False)
        assert proc.returncode == 1 and "unknown plan" in proc.stderr


class TestCatalogCli:
    def test_import_then_export_round_trip(self, run, tmp_path):
        src = tmp_path / "in.jsonl"
        src.write_text(json.dumps({"marketplace": "US", "asin": "B000000001", "title": "Thing",
                                   "identifiers": {"upc": ["036000291452"]}}) + "\n")
        summary = json.loads(run("catalog", "import", str(src), "--json").stdout)
        assert summary["inserted"] == 1
        exported = run("catalog", "export", "--marketplace", "US").stdout.splitlines()
        assert json.loads(exported[0])["asin"] == "B000000001"

    def test_import_rejects_unknown_file_type(self, run, tmp_path):
        bad = tmp_path / "x.txt"
        bad.write_text("hello")
        proc = run("catalog", "import", str(bad), check=False)
        assert proc.returncode == 2 and "unknown catalog file type" in proc.stderr


class TestFeesCli:
    ARGS = ("fees", "--marketplace", "US", "--price", "24.99", "--dims", "10x8x3", "--weight", "1.2")

    def test_json_contract(self, run):
        out = json.loads(run(*self.ARGS, "--category", "Toys & Games", "--date", "2026-03-01", "--json").stdout)
        assert {"size_tier", "shipping_weight_lb", "fba_fee", "referral_fee", "variable_closing_fee",
                "schedule"} <= set(out)
        assert (out["size_tier"], out["shipping_weight_lb"], out["fba_fee"], out["referral_fee"]) == \
            ("large_standard", 1.727, 557, 375)
        assert out["schedule"] == "US 2026-01-15"

    def test_slug_and_apparel(self, run):
        out = json.loads(run(*self.ARGS, "--category", "clothing_and_accessories", "--apparel",
                             "--date", "2026-06-01", "--json").stdout)
        assert out["card"] == "us_2026_nonpeak_apparel" and out["fuel_surcharge"] > 0

    def test_table_names_the_schedule(self, run):
        out = run(*self.ARGS, "--category", "Toys & Games", "--date", "2026-11-01").stdout
        assert "US 2026-01-15" in out and "us_2026_peak_non_apparel" in out

    def test_unknown_category_fails_with_the_reason(self, run):
        proc = run(*self.ARGS, "--category", "Widgets", check=False)
        assert proc.returncode == 2 and "unknown category" in proc.stderr

    def test_uk_takes_catalog_inches_and_pounds_and_says_unconfirmed(self, run):
        # 11.81 x 7.87 x 3.94 in, 1.7637 lb: the catalog's form of 30 x 20 x 10 cm, 800 g
        out = json.loads(run("fees", "--marketplace", "UK", "--price", "24.99", "--dims", "11.81x7.87x3.94",
                             "--weight", "1.7637", "--category", "Home & Kitchen", "--date", "2026-06-01",
                             "--json").stdout)
        assert (out["schedule"], out["currency"], out["confidence"]) == ("UK 2026-02-01", "GBP", "unconfirmed")
        assert (out["size_tier"], out["fba_fee"], out["referral_fee"], out["weight_unit"]) == \
            ("small_parcel", 305, 375, "g")

    def test_metric_units(self, run):
        out = json.loads(run("fees", "--marketplace", "UK", "--units", "metric", "--price", "24.99", "--dims",
                             "30x20x10", "--weight", "800", "--category", "Home & Kitchen", "--date", "2026-06-01",
                             "--json").stdout)
        assert (out["shipping_weight"], out["shipping_weight_lb"], out["fba_fee"]) == (1200.0, 2.646, 305)

    def test_uk_table_warns_it_is_unconfirmed(self, run):
        out = run("fees", "--marketplace", "UK", "--units", "metric", "--price", "9.99", "--dims", "20x15x1",
                  "--weight", "50", "--category", "Books", "--date", "2026-06-01").stdout
        assert "UNCONFIRMED" in out and "GBP" in out and "not in the schedule" in out

    def test_unknown_units_fail(self, run):
        proc = run(*self.ARGS, "--category", "Toys & Games", "--units", "furlongs", check=False)
        assert proc.returncode == 2 and "--units" in proc.stderr

    def test_marketplace_without_schedule_fails(self, run):
        proc = run("fees", "--marketplace", "JP", "--price", "10", "--dims", "1x1x1", "--weight", "1",
                   "--category", "Toys & Games", check=False)
        assert proc.returncode == 2 and "no fee schedule for JP" in proc.stderr


class TestScanCli:
    def test_scan_prints_the_most_profitable_rows_and_writes_results(self, run, tmp_path):
        catalog = tmp_path / "c.jsonl"
        catalog.write_text("\n".join(json.dumps(
            {"marketplace": "US", "asin": f"B0000000{i:02d}", "title": f"Toy {i}", "category": "Toys & Games",
             "buybox_price": 1500 + 100 * i, "identifiers": {"upc": [upc]},
             "package_dimensions": {"length": 9, "width": 6, "height": 2, "weight": 0.8}})
            for i, upc in enumerate(["036000291452", "012345678905"])) + "\n")
        run("catalog", "import", str(catalog))
        supplier = tmp_path / "s.csv"
        supplier.write_text("UPC,Cost\n036000291452,4.00\n12345678905,5.00\nnot-a-code,1\n")
        out = tmp_path / "out.csv"
        proc = run("scan", str(supplier), "--marketplace", "US", "--id-col", "0", "--cost-col", "1", "--header",
                   "--out", str(out))
        assert "Success" in proc.stderr and "2 results, 1 errors" in proc.stderr
        assert "B000000001" in proc.stdout and "B000000000" in proc.stdout
        lines = out.read_text().splitlines()
        assert len(lines) == 3 and "B000000000" in lines[1]  # most profitable first ($3.54 against $3.39)

    def test_scan_of_a_bad_mapping_exits_2_with_the_reason(self, run, tmp_path):
        supplier = tmp_path / "s.csv"
        supplier.write_text("036000291452,4.00\n")
        proc = run("scan", str(supplier), "--cost-col", "3", check=False)
        assert proc.returncode == 2 and "mapping.cost: column 3 is out of range" in proc.stderr


class TestLookupCli:
    def test_prints_items_as_the_route_answers(self, run, tmp_path):
        records = tmp_path / "c.jsonl"
        records.write_text(json.dumps({"marketplace": "US", "asin": "B088H39PXX", "title": "Dart",
                                       "identifiers": {"upc": ["793610399007"]}}) + "\n")
        run("catalog", "import", str(records))
        items = json.loads(run("lookup", "--upc", "793610399007").stdout)
        assert [(i["asin"], i["ean"]) for i in items] == [("B088H39PXX", "0793610399007")]

    def test_bad_query_fails_naming_the_parameter(self, run):
        proc = run("lookup", "--asin", "B088H39PXX", "--domain", "zz", check=False)
        assert proc.returncode == 2 and "domain: unknown domain" in proc.stderr


class TestSetLimitCli:
    def test_limit_is_listed(self, run):
        made = json.loads(run("keys", "create", "--name", "shop", "--json").stdout)
        run("keys", "set-limit", made["partner_id"], "--rps", "50")
        listed = json.loads(run("keys", "list", "--json").stdout)
        assert [k["rate_limit_rps"] for k in listed] == [50]


class TestCatalogImportDecimal:
    def test_decimal_option_reads_a_csv_by_it(self, run, tmp_path):
        src = tmp_path / "in.csv"
        src.write_text("marketplace,asin,title,buybox_price\nUS,B000000001,Thing,\"1.234\"\n")
        assert json.loads(run("catalog", "import", str(src), "--decimal", ",", "--json").stdout)["warnings"] == 0
        exported = run("catalog", "export", "--marketplace", "US").stdout.splitlines()
        assert json.loads(exported[0])["buybox_price"] == 1234

    def test_an_unknown_decimal_fails_clearly(self, run, tmp_path):
        src = tmp_path / "in.csv"
        src.write_text("marketplace,asin,title\nUS,B000000001,Thing\n")
        proc = run("catalog", "import", str(src), "--decimal", ";", check=False)
        assert proc.returncode == 2 and "--decimal: expected '.' or ','" in proc.stderr
