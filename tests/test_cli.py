"""The operator CLI as outside tests use it: a real process, a real data directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _runner(data_dir: Path):
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(data_dir)}
    env.pop("SELLERKIT_DATABASE_URL", None)

    def sellerkit(*args: str, check: bool = True, **settings: str) -> subprocess.CompletedProcess:
        """`settings`: extra environment, e.g. SELLERKIT_MAX_KEYS_PER_ACCOUNT="2"."""
        proc = subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env={**env, **settings},
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"sellerkit {' '.join(args)} failed: {proc.stderr}")
        return proc

    return sellerkit


@pytest.fixture
def run(tmp_path, _sqlite_template):
    """`sellerkit ...` in a process of its own on the data dir tmp_path/data, which holds a copy of
    the session's migrated, empty database: the first command on a new data dir migrates it, a
    second of each test's time (`run_in_new_dir` starts without it)."""
    (tmp_path / "data").mkdir()
    shutil.copyfile(_sqlite_template, tmp_path / "data" / "sellerkit.db")
    return _runner(tmp_path / "data")


@pytest.fixture
def run_in_new_dir(tmp_path):
    """`run` on a data dir that does not exist yet: the CLI makes it and its database."""
    return _runner(tmp_path / "data")


class TestKeysCli:
    def test_create_json_contract(self, run_in_new_dir, tmp_path):
        out = json.loads(run_in_new_dir("keys", "create", "--name", "shop", "--plan", "pro", "--json").stdout)
        assert set(out) == {"key", "partner_id", "account_id", "account", "user_id", "plan", "data_dir"}
        assert out["plan"] == "pro" and out["account"] == "shop" and out["user_id"] >= 1
        assert out["data_dir"] == str(tmp_path / "data") and (tmp_path / "data" / "sellerkit.db").exists()

    def test_create_says_where_the_key_is_stored(self, run, tmp_path):
        proc = run("keys", "create", "--name", "shop")
        assert f"data dir: {tmp_path / 'data'}" in proc.stderr
        assert proc.stdout.strip().startswith("sk_") and len(proc.stdout.splitlines()) == 1

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


    def test_create_past_the_accounts_key_cap_fails_naming_the_setting(self, run):
        cap = {"SELLERKIT_MAX_KEYS_PER_ACCOUNT": "2"}
        for name in ("one", "two"):
            run("keys", "create", "--name", name, "--account", "acme", **cap)
        proc = run("keys", "create", "--name", "three", "--account", "acme", check=False, **cap)
        assert proc.returncode == 1 and "SELLERKIT_MAX_KEYS_PER_ACCOUNT" in proc.stderr

    def test_name_with_control_characters_fails_naming_the_field(self, run):
        proc = run("keys", "create", "--name", "shop\x1b]0;pwned\x07", check=False)
        assert proc.returncode == 1 and "name:" in proc.stderr and "printable" in proc.stderr


    def test_rejected_name_is_quoted_not_read_as_markup(self, run):
        proc = run("keys", "create", "--name", "\x07[/red] x", check=False)
        assert proc.returncode == 1 and "[/red]" in proc.stderr and "Traceback" not in proc.stderr


class TestCatalogCli:
    def test_import_then_export_round_trip(self, run, tmp_path):
        src = tmp_path / "in.jsonl"
        src.write_text(json.dumps({"marketplace": "US", "asin": "B000000001", "title": "Thing",
                                   "identifiers": {"upc": ["036000291452"]}}) + "\n")
        summary = json.loads(run("catalog", "import", str(src), "--json").stdout)
        assert summary["inserted"] == 1
        exported = run("catalog", "export", "--marketplace", "US").stdout.splitlines()
        assert json.loads(exported[0])["asin"] == "B000000001"

    def test_csv_round_trip_keeps_the_demo_flag(self, run, tmp_path):
        demo = tmp_path / "demo.jsonl"
        run("catalog", "demo", "--products", "5", "--seed", "1", "--out", str(demo))
        run("catalog", "import", str(demo))
        exported = tmp_path / "out.csv"
        run("catalog", "export", "--format", "csv", "--out", str(exported))
        header, *rows = exported.read_text().splitlines()
        assert "demo" in header.split(",") and rows
        exported.rename(tmp_path / "again.csv")
        (tmp_path / "data").rename(tmp_path / "first")  # a fresh catalog for the CSV
        run("catalog", "import", str(tmp_path / "again.csv"))
        records = [json.loads(line) for line in run("catalog", "export").stdout.splitlines()]
        assert len(records) == len(rows) and all(r["demo"] is True for r in records)

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

    def test_scan_belongs_to_the_default_account_whose_live_data_the_settings_connect(self, run, tmp_path):
        import sqlite3

        first = json.loads(run("keys", "create", "--name", "me", "--json").stdout)
        supplier = tmp_path / "s.csv"
        supplier.write_text("UPC,Cost\n036000291452,4.00\n")
        run("scan", str(supplier), "--marketplace", "US", "--id-col", "0", "--cost-col", "1", "--header")
        with sqlite3.connect(tmp_path / "data" / "sellerkit.db") as conn:
            owners = conn.execute("SELECT DISTINCT account_id FROM scans").fetchall()
        assert owners == [(first["account_id"],)]

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

    def test_counts_codes_found_apart_from_items(self, run, tmp_path):
        records = tmp_path / "c.jsonl"
        records.write_text("".join(json.dumps({"marketplace": "US", "asin": asin, "title": "Dart",
                                               "identifiers": {"upc": ["793610399007"]}}) + "\n"
                                   for asin in ("B088H39PXX", "B088H39PX2")))
        run("catalog", "import", str(records))
        proc = run("lookup", "--upc", "793610399007,036000291452")
        assert len(json.loads(proc.stdout)) == 2
        assert "1 of 2 codes found in amazon.com, 2 items" in proc.stderr

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


def test_the_demo_loads_apart_with_its_snapshots_and_only_into_an_empty_catalog(tmp_path, monkeypatch):
    """`sellerkit serve`'s first start: the demo catalog is loaded, and its snapshots built, in a
    child process, so the server's worker has neither to keep nor to build."""
    from sellerkit.catalog.tasks import load_demo_apart
    from sellerkit.kit.db import Database

    monkeypatch.setenv("SELLERKIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SELLERKIT_DATABASE_URL", raising=False)
    Database(f"sqlite:///{tmp_path / 'sellerkit.db'}").migrate()
    assert load_demo_apart(200, 1) == 200
    assert {p.name.split("-")[0] for p in (tmp_path / "catalog").glob("*.products.arrow")} == {"US", "UK", "DE", "CA"}
    assert load_demo_apart(200, 1) is None


class TestServeBanner:
    """What `sellerkit serve` tells a new user to do next, checked by doing it."""

    @pytest.fixture
    def banner(self, db, settings):
        from sellerkit.catalog.tasks import load_demo_if_empty
        from sellerkit.cli import _banner

        load_demo_if_empty(db, 200, 1)
        settings.database_url = db.url
        return _banner(settings, "http://127.0.0.1:8000")

    @staticmethod
    def codes(banner: list[str]) -> dict[str, list[str]]:
        line = next(x for x in banner if x.startswith("Codes in the US catalog to try: "))
        found = re.findall(r"(UPC|EAN|ISBN|ASIN) ((?:[0-9A-Z]{10,13} ?)+)", line.split(": ", 1)[1])
        return {kind: values.split() for kind, values in found}

    def test_key_command_runs_from_a_shell_without_the_venv_on_its_path(self, banner, tmp_path):
        line = next(x for x in banner if x.startswith("Get an API key"))
        command = line.split(": ", 1)[1].split("   or   ")[-1]
        shell = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "SELLERKIT_DATA_DIR": str(tmp_path / "keys"),
                                    **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}})
        assert shell.returncode == 0, shell.stderr
        assert shell.stdout.startswith("sk_") and f"data dir: {tmp_path / 'keys'}" in shell.stderr

    def test_names_the_data_dir(self, banner, settings):
        assert f"data dir: {settings.data_dir}" in banner

    def test_offers_several_codes_of_each_kind(self, banner):
        codes = self.codes(banner)
        assert set(codes) == {"UPC", "EAN", "ISBN", "ASIN"}
        assert all(len(values) >= 2 for values in codes.values())

    def test_every_code_offered_is_found(self, banner, client, new_key):
        codes, auth = self.codes(banner), {"Authorization": f"Bearer {new_key().key}"}
        ids = codes["UPC"] + codes["EAN"] + codes["ISBN"]
        converted = client.post("/api/v3/convert", json={"marketplace": "US", "ids": ids}, headers=auth).json()
        assert sorted(converted) == sorted(ids)
        for kind in ("upc", "ean", "asin"):
            got = client.get("/products/lookup", params={kind: ",".join(codes[kind.upper()])}, headers=auth).json()
            assert len(got["items"]) >= len(codes[kind.upper()]), kind

    def test_shows_a_request_for_each_surface(self, banner):
        requests = "\n".join(x for x in banner if x.startswith("  curl"))
        for route in ("/api/v3/convert", "/api/v3/asin-convert", "/products/lookup?key=<key>&upc=",
                      "/products/lookup?key=<key>&asin=", "/api/v3/inbound-eligibility", "/api/v3/calculate"):
            assert route in requests
        assert requests.count("-d '") == 3  # every POST shows its body

    def test_empty_catalog_says_how_to_fill_it(self, db, settings):
        from sellerkit.cli import _banner

        settings.database_url = db.url
        banner = _banner(settings, "http://127.0.0.1:8000")
        assert "catalog import FILE" in banner[-1] and not any(x.startswith("  curl") for x in banner)
