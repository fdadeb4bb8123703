"""Keepa Product Viewer exports: the real amazon.it export in ../shared read in place (skipped
with the reason when absent), a CSV version written from it here, and the imported products
found by the look-up and by a scan."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import orjson
import pytest

from sellerkit.catalog import keepa_export as ke
from sellerkit.catalog.tasks import import_items
from tests.conftest import FIXTURES, make_client

EXPORT = FIXTURES / "keepa" / "keepa_export_amazon_it_sample.xlsx"
needs_export = pytest.mark.shared
skip_without = pytest.mark.skipif(not EXPORT.exists(), reason=f"shared fixture not found: {EXPORT}")
FIRST = "B09MGGV4TN"  # row 2 of the export
STAMP = "2025-07-17T12:11:00Z"  # its footer: Exported on 2025-07-17 12:11 (UTC)


def records(db, marketplace: str = "IT") -> dict[str, dict]:
    from sellerkit.catalog.service import catalog

    with db.session() as s:
        return {r["asin"]: r for r in catalog.export_records(s, marketplace)}


def observations(db) -> list[dict]:
    from sellerkit.catalog.service import catalog

    with db.session() as s:
        return [r for r in catalog.export_records(s, "IT", observations=True) if r.get("type") == "observation"]


def import_export(db, path: Path, **kwargs):
    export = ke.KeepaExport(path, **kwargs)
    report = import_items(db, export.items())
    return export, report


def export_rows() -> list[list[str | None]]:
    """The export's cells as text, read by calamine (fastexcel), not by sellerkit's reader."""
    import fastexcel

    frame = fastexcel.read_excel(EXPORT).load_sheet(0, header_row=None, dtypes="string").to_polars()
    return [list(row) for row in frame.iter_rows()]


def write_csv(path: Path, rows: list[list[str | None]], delimiter: str = ";") -> Path:
    """The export as a CSV an Italian spreadsheet shows it: euros `1.299,00 €`, percentages
    `7,00 %`, decimal commas, the footer row kept."""
    header = rows[0]
    money = {i for i, h in enumerate(header) if h and any(
        h.startswith(p) for p in ("Buy Box 🚚: Current", "Buy Box 🚚: 30", "Buy Box 🚚: 90", "List Price",
                                  "FBA Pick&Pack", "New, 3rd Party", "Amazon: Current", "Referral Fee based"))}
    percent = {i for i, h in enumerate(header) if h == "Referral Fee %"}

    def euros(text: str) -> str:
        whole, frac = f"{Decimal(text):.2f}".split(".")
        grouped = f"{int(whole):,}".replace(",", ".")
        return f"{grouped},{frac} €"

    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter=delimiter)
        out.writerow(header)
        for row in rows[1:]:
            cells = []
            for i, cell in enumerate(row):
                if cell in (None, "") or i >= len(header) or header[i] is None:
                    cells.append(cell or "")
                elif i in money:
                    cells.append(euros(cell))
                elif i in percent:
                    cells.append(f"{Decimal(cell) * 100:.2f} %".replace(".", ","))
                else:
                    cells.append(cell.replace(".", ",") if cell.replace(".", "").replace("-", "").isdigit() else cell)
            out.writerow(cells)
    return path


class TestHeaders:
    @pytest.mark.parametrize("header,name,unit", [
        ("Buy Box 🚚: Current", "buy box: current", None),
        ("  Sales Rank:  30 days avg. ", "sales rank: 30 days avg.", None),
        ("Package: Weight (g)", "package: weight", "g"),
        ("Package: Dimension (cm³)", "package: dimension", "cm³"),
        ("New, 3rd Party FBA 🚚 : Current", "new, 3rd party fba: current", None),
        ("Product Codes: EAN", "product codes: ean", None),
    ])
    def test_emoji_spaces_colons_and_units(self, header, name, unit):
        assert ke.header_unit(header) == (name, unit)


class TestCells:
    def test_money_is_minor_units_exactly(self):
        assert ke.money("379.89", ".") == 37989 and ke.money("1299", ".") == 129900
        assert ke.money("1.299,00 €", ",") == 129900 and ke.money("€ 0,07", ",") == 7
        assert ke.money("0.1", ".") + ke.money("0.2", ".") == 30  # never through a float

    def test_percentages_are_fractions_or_written_with_a_sign(self):
        assert ke.fraction("0.07", ".") == Decimal("0.07") and ke.fraction("7,00 %", ",") == Decimal("0.07")

    def test_weights_and_lengths_convert_exactly(self):
        assert ke.weight_lb("320", "g", ".") == float(round(Fraction(320) / Fraction("453.59237"), 9))
        assert ke.weight_lb("1", "kg", ".") == float(round(Fraction(1000) / Fraction("453.59237"), 9))
        assert ke.weight_lb("8", "oz", ".") == 0.5 and ke.length_in("25,4", "cm", ",") == 10.0

    def test_export_times(self):
        assert ke.export_time("Exported on 2025-07-17 12:11 (UTC) by ✜ Keepa.com").isoformat() == \
            "2025-07-17T12:11:00+00:00"
        assert ke.export_time("2025-07-17").isoformat() == "2025-07-17T00:00:00+00:00"
        assert ke.export_time("Sheet1") is None


@needs_export
@skip_without
class TestRealExport:
    def test_imports_every_product_and_skips_the_footer(self, db):
        export, report = import_export(db, EXPORT)
        assert (report.inserted, report.updated, report.rejected, report.observations) == (100, 0, 0, 100)
        assert report.warnings == 0 and export.warnings == []
        assert export.observed_at.isoformat() == "2025-07-17T12:11:00+00:00"  # the footer, finer than the sheet
        again = import_items(db, ke.KeepaExport(EXPORT).items())
        assert (again.inserted, again.updated, again.unchanged, again.observations) == (0, 0, 100, 0)

    def test_columns_map_to_catalog_fields(self, db):
        import_export(db, EXPORT)
        rec = records(db)[FIRST]
        assert rec["title"] == "Apple iPhone 13 256GB - Azzurro (Ricondizionato)"
        assert (rec["marketplace"], rec["rank"], rec["monthly_sold"]) == ("IT", 1, 100)
        assert (rec["buybox_price"], rec["list_price"]) == (41000, 129900)  # € 410.00, € 1,299.00
        assert (rec["new_offers_count"], rec["used_offers_count"]) == (15, 12)
        assert rec["referral_fee_percent"] == 7  # the cell holds the fraction 0.07
        assert records(db)["B0DGHWD7CT"]["referral_fee_percent"] == 13.39  # Excel: 0.13390000000000002
        assert rec["fba_pick_and_pack_fee"] == 427
        assert rec["package_dimensions"] == {"weight": float(round(Fraction(320) / Fraction("453.59237"), 9))}
        assert rec["package_volume_cm3"] == 976 and rec["sold_by_amazon"] is False
        assert rec["keepa_stats"] == {"observed_at": STAMP, "bsr": {"d30": 1, "d90": 1},
                                      "price": {"d30": 38857, "d90": 38829}}
        assert rec["updated_at"] == STAMP
        assert rec["provenance"]["catalog"] == {"provider": "keepa-export", "operation": "product-viewer-export",
                                                "observed_at": STAMP}
        assert "lowest_price_new_fba" not in rec and "return_rate" not in rec  # blank cells are absent

    def test_a_row_with_every_column_filled(self, db):
        import_export(db, EXPORT)
        rec = records(db)["B0DJ12W1ZJ"]  # the last row: Samsung Galaxy A16 5G
        assert rec["lowest_price_new_fba"] == 15995 and rec["buybox_price"] == 14279
        assert rec["keepa_stats"]["sales_rank_drops"] == {"d30": 23, "d90": 23}
        assert rec["list_price"] == 23990 and rec["package_volume_cm3"] == 414

    def test_each_row_is_an_observation_at_the_export_time(self, db):
        import_export(db, EXPORT)
        first = [o for o in observations(db) if o["asin"] == FIRST]
        assert first == [{"type": "observation", "marketplace": "IT", "asin": FIRST, "observed_at": STAMP,
                          "buybox_price": 41000, "rank": 1, "new_offers_count": 15, "monthly_sold": 100}]

    def test_a_csv_of_the_same_export_gives_the_same_records(self, db, tmp_path):
        import_export(db, EXPORT)
        from_xlsx = records(db)
        path = write_csv(tmp_path / "keepa.csv", export_rows())
        assert "410,00 €" in path.read_text() and "Exported on" in path.read_text()
        os.utime(path, (0, 0))  # the footer, not the file's time, dates the rows
        export, report = import_export(db, path)
        assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 0, 100, 0)
        assert export.warnings == []
        assert records(db) == from_xlsx

    def test_the_look_up_finds_an_imported_product(self, db, settings, new_key):
        import_export(db, EXPORT)
        key = new_key("pro-seller", plan="pro").key
        with make_client(db, settings) as client:
            r = client.get("/products/lookup", params={"key": key, "domain": "it", "asin": FIRST})
            missing = client.get("/products/lookup", params={"key": key, "domain": "com", "asin": FIRST})
        assert r.status_code == 200, r.text
        (item,) = r.json()["items"]
        assert (item["asin"], item["title"], item["bsr"]) == (FIRST, "Apple iPhone 13 256GB - Azzurro (Ricondizionato)", 1)
        assert missing.json()["items"] == []  # an amazon.it product, not in the US catalog

    def test_a_scan_of_an_it_supplier_file_matches_it(self, db, worker_settings, new_key):
        from tests.scans.test_endpoints import wait

        import_export(db, EXPORT)
        auth = {"Authorization": f"Bearer {new_key().key}"}
        supplier = f"ASIN,Cost\n{FIRST},250.00\nB0DJ12W1ZJ,90.00\nB0NOTHERE1,1.00\n"
        attributes = {"mapping": {"id": 0, "cost": 1},
                      "options": {"marketplace_id": "IT", "name": "IT suppliers", "header": True}}
        with make_client(db, worker_settings) as client:
            r = client.post("/api/v3/scans", headers=auth, files={"file": ("it.csv", supplier.encode(), "text/csv")},
                            data={"attributes": orjson.dumps(attributes).decode()})
            assert r.status_code == 201, r.text
            done = wait(client, auth, r.json()["id"])
            rows = client.post(f"/api/v3/scans/{done['id']}", headers=auth, json={"sort": "line"}).json()["data"]
        assert (done["status"], done["products"], done["errors"]) == ("Success", 2, 1)
        assert [(p["asin"], p["buybox_price"], p["rank"]) for p in rows] == [(FIRST, 41000, 1), ("B0DJ12W1ZJ", 14279, 64)]
        assert rows[0]["amazon_title"].startswith("Apple iPhone 13 256GB")


class TestRejections:
    def test_rows_without_asin_title_or_a_known_locale_are_rejected_with_their_line(self, db, tmp_path):
        path = tmp_path / "k.csv"
        path.write_text("Locale,Title,ASIN,Buy Box 🚚: Current,Sales Rank: Current\n"
                        "it,Good,B0KEEPA001,\"12,50 €\",7\n"
                        "it,,B0KEEPA002,1,1\n"
                        "xx,Unknown locale,B0KEEPA003,1,1\n"
                        "it,No asin,,1,1\n"
                        "it,Bad rank,B0KEEPA004,2,twelve\n"
                        "Exported on 2026-11-30 08:05 (UTC) by ✜ Keepa.com\n", encoding="utf-8")
        export, report = import_export(db, path)
        assert (report.inserted, report.rejected) == (2, 3)
        assert [m for m in report.messages if m.startswith("rejected")] == [
            "rejected line 3: missing required field 'title'",
            "rejected line 4: Locale: marketplace: unknown marketplace \"xx\"; expected one of "
            + report.messages[1].split("expected one of ")[1],
            "rejected line 5: missing required field 'asin'",
        ]
        assert len(export.warnings) == 1 and export.warnings[0].startswith(
            "line 6: B0KEEPA004: column \"Sales Rank: Current\" dropped: expected a number")
        rec = records(db)["B0KEEPA001"]
        assert rec["buybox_price"] == 1250 and rec["updated_at"] == "2026-11-30T08:05:00Z"

    def test_without_a_locale_column_the_marketplace_is_given(self, db, tmp_path):
        path = tmp_path / "k.csv"
        path.write_text("ASIN,Title,Buy Box: Current\nB0KEEPA001,Thing,12.50\n", encoding="utf-8")
        _, report = import_export(db, path)
        assert report.rejected == 1 and "give the marketplace with --marketplace" in report.messages[0]
        _, report = import_export(db, path, marketplace_code="US")
        assert report.inserted == 1 and records(db, "US")["B0KEEPA001"]["buybox_price"] == 1250

    def test_without_an_export_date_the_files_time_dates_the_rows(self, db, tmp_path):
        path = tmp_path / "k.csv"
        path.write_text("Locale,ASIN,Title\nde,B0KEEPA001,Ding\n", encoding="utf-8")
        os.utime(path, (1_790_000_000, 1_790_000_000))
        import_export(db, path)
        stamp = datetime.fromtimestamp(1_790_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert records(db, "DE")["B0KEEPA001"]["updated_at"] == stamp == "2026-09-21T14:13:20Z"


@needs_export
@skip_without
def test_cli_imports_keepa_exports(tmp_path):
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(Path(__file__).parents[2])}
    env.pop("SELLERKIT_DATABASE_URL", None)

    def sellerkit(*args):
        return subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env=env, capture_output=True,
                              text=True, timeout=120)

    csv_path = write_csv(tmp_path / "keepa.csv", export_rows())
    first = sellerkit("catalog", "import", "--format", "keepa", str(EXPORT), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["inserted"], summary["rejected"], summary["observations"]) == (100, 0, 100)
    assert any("not imported: 90 days change % monthly sold" in m for m in summary["messages"])
    again = json.loads(sellerkit("catalog", "import", "--format", "keepa", str(csv_path), "--json").stdout)
    assert (again["inserted"], again["unchanged"]) == (0, 100)
    bad = sellerkit("catalog", "import", "--format", "keepa", str(tmp_path / "keepa.csv"), "--format", "nope")
    assert bad.returncode == 2 and "--format: expected catalog or keepa" in bad.stderr
