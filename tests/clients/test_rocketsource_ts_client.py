"""The official RocketSource TypeScript client (`@rocketsource/ts-client` 0.2.3) against a served
sellerkit, changing nothing but its `baseURL` (issue 16).

`run_ts_client.js` calls every method of the client in a seller's order; every reply is then
assigned to the client's own type in a TypeScript program compiled with `tsc --strict`, and the
tests below check what the replies say. The client comes from npm when the registry has 0.2.3;
it does not (404), so it is built, as its own `npm run build` does, from its repository at the
0.2.3 commit, read in place from a git copy of `rocketsource/ts-client`: `SELLERKIT_TS_CLIENT_GIT`,
else `../.mirror/rocketsource+ts-client/repo` beside the checkout (where the tool library's
`fetch` puts it), as `../shared` is read. Nothing of the client is kept in this project.
Skipped, saying why, without `node` and `npm` (`.ci/run` installs them when it can) or without
the client from either place.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.catalog.factories import ISBN10, UPC, UPC_SP_API, product
from tests.served import cli, env_for, new_key, serve

HERE = Path(__file__).parent
VERSION = "0.2.3"
NPM_DEPENDENCIES = ("typescript@5", "@types/node@20", "axios@1")  # the client's own dependency and build tools
EAN = "4006381333931"
UNKNOWN_UPC = "036000291469"  # valid, in no catalog
ACME, BOOK, PEN, GADGET = "B0TSCLNT01", "B0TSCLNT02", "B0TSCLNT03", "B0TSCLNT04"
BOX = {"length": 10, "width": 8, "height": 3, "weight": 1.2}
IMAGES = ["https://m.media-amazon.com/images/I/81abcdefgL._SL500_.jpg", "https://m.media-amazon.com/images/I/71abcdefgL.jpg"]
CATALOG = [
    product(ACME, brand="Acme", category="Toys & Games", category_raw="Toys & Games>Puzzles", rank=1200,
            sales_ranks=[{"rank": 15, "title": "Jigsaw Puzzles"}], buybox_price=2499, buybox_price_used=1850,
            list_price=2999, lowest_price_new_fba=2499, lowest_price_new_fbm=2399, lowest_price_used_fbm=1850,
            new_fba_offers_count=4, new_fbm_offers_count=6, total_offers_count=11, images=IMAGES,
            bullet_points=["1000 pieces", "Recycled board"], package_dimensions=BOX,
            item_dimensions={"length": 9, "width": 7, "height": 2.5, "weight": 1.0}, release_date="2024-03-01",
            model_number="AC-1000", part_number="AC-1000-P", has_expiration=False, parent_asin="B0TSCLNT00",
            variations_list=[ACME, "B0TSCLNT05"], is_hazmat=False, is_meltable=False, is_adult=False,
            identifiers={"upc": [UPC]}),
    product(BOOK, brand="Prentice Hall", category="Books", rank=5400, buybox_price=4599, package_dimensions=BOX,
            identifiers={"isbn": [ISBN10]}),
    product(PEN, brand="Stabilo", category="Office Products", rank=300, buybox_price=899, is_hazmat=True,
            package_dimensions={"length": 6, "width": 1, "height": 1, "weight": 0.1}, identifiers={"ean": [EAN]}),
    product(GADGET, brand="ACME", category="Electronics", buybox_price=1500, identifiers={"upc": [UPC_SP_API]}),
]
WITH_OPTIONS = "\n".join([
    "Code,Cost,SKU,Title,Stock,Colour",
    f"{UPC},12.50,SKU-1,Puzzle,10,red",
    f"{ISBN10},20.00,SKU-2,C book,5,",
    f"{EAN},3.10,SKU-3,Pen,100,blue",
    f"{UPC_SP_API},7.00,SKU-4,Gadget,,green",
    "123,1.00,SKU-5,Bad code,1,",
    f"{UNKNOWN_UPC},2.00,SKU-6,Unknown,1,",
]) + "\n"
SIMPLE_ROWS = 20_000  # enough chunks (SELLERKIT_SCAN_CHUNK_ROWS) for a cancel to land mid-run
UPLOAD_OPTIONS = {"mapping": {"id": 0, "cost": 1, "supplier_sku": 2, "supplier_title": 3, "stock_quantity": 4,
                              "custom_columns": [5]},
                  "name": "Client scan", "header": True, "custom_columns": ["Colour"], "prep_cost": 0.5,
                  "discount_supplier": 5}
# the reply of each call -> the client's type for it (what its method declares)
REPLY_TYPES = {
    "getApiKey": "string",
    "uploadWithOptions": "ScanUploadResponse", "uploadWithoutOptions": "ScanUploadResponse",
    **dict.fromkeys(("getDone", "getSimpleDone", "recalculatedDone", "cancelledDone", "recalculateFees", "rerun",
                     "cancel", "cancelEnded"), "PublicScan"),
    "list": "PaginatedResults<PublicScan>", "listPage2": "PaginatedResults<PublicScan>",
    **dict.fromkeys(("resultsPage1", "resultsPage2", "resultsAll", "resultsSorted", "resultsObjectFilter",
                     "resultsListFilter", "resultsBrand"), "ResultsResponse<PublicProduct>"),
    "resultsErrors": "ResultsResponse<{ [key: string]: unknown }>",  # error rows are no products (see docs)
    "eligibility": "InboundEligibility[]",
    **dict.fromkeys(("toAsin", "convertIds", "convertUpcs", "convertEans", "convertIsbns"), "ConvertResponse"),
    "fromAsin": "AsinToIdentifiersResponse", "convertAsins": "AsinToIdentifiersResponse",
}
# A reply as JSON holds an enum's value, not the enum: `Wire<T>` is T with each enum replaced by
# the union of its values (`${ScanStatus}`), arrays read-only (the replies are `as const`).
WIRE = """type Wire<T> =
  0 extends (1 & T) ? any :
  T extends string ? (string extends T ? string : `${T}`) :
  T extends number | boolean | null | undefined ? T :
  T extends ReadonlyArray<infer U> ? ReadonlyArray<Wire<U>> :
  T extends object ? { [K in keyof T]: Wire<T[K]> } :
  T;
"""
TYPE_NAMES = ("ScanUploadResponse", "PublicScan", "PaginatedResults", "ResultsResponse", "PublicProduct",
              "InboundEligibility", "ConvertResponse", "AsinToIdentifiersResponse")

pytestmark = pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                                reason="needs node and npm to run the TypeScript client (.ci/run installs them)")


def _npm(work: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *args], cwd=work,
                          capture_output=True, text=True, timeout=300)


@dataclass(frozen=True)
class Package:
    folder: Path  # the client's package (dist/ with its .d.ts)
    modules: Path  # node_modules with typescript and @types/node


CLIENT_COMMIT = "dae89da2624fca9d33c42d207b2110ca916e9d33"  # "Bump ts-client to 0.2.3"
CLIENT_GIT = Path(os.environ.get("SELLERKIT_TS_CLIENT_GIT")
                  or Path(__file__).resolve().parents[3] / ".mirror" / "rocketsource+ts-client" / "repo")


def _client_source(work: Path) -> Path:
    """The client's 0.2.3 source (package.json, tsconfig.json, src/) from its git repository,
    extracted into `work`."""
    source = work / "rocketsource-ts-client"
    source.mkdir()
    archive = subprocess.run(["git", f"--git-dir={CLIENT_GIT}", "archive", "--format=tar", CLIENT_COMMIT,
                              "package.json", "tsconfig.json", "src"], capture_output=True, timeout=60)
    if archive.returncode:
        pytest.skip(f"the npm registry has no @rocketsource/ts-client@{VERSION}, and no git copy of "
                    f"rocketsource/ts-client with commit {CLIENT_COMMIT[:7]} is at {CLIENT_GIT} (set "
                    f"SELLERKIT_TS_CLIENT_GIT): {archive.stderr.decode(errors='replace').strip()[-200:]}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(source, filter="data")
    return source


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Package:
    """The client: from npm, else built from its source as its own `npm run build` does."""
    work = tmp_path_factory.mktemp("ts-client")
    (work / "package.json").write_text('{"private": true}')
    done = _npm(work, *NPM_DEPENDENCIES)
    if done.returncode:
        pytest.skip(f"npm could not install {', '.join(NPM_DEPENDENCIES)}: {done.stderr.strip()[-300:]}")
    modules = work / "node_modules"
    if _npm(work, f"@rocketsource/ts-client@{VERSION}").returncode == 0:
        return Package(modules / "@rocketsource" / "ts-client", modules)
    source = _client_source(work)
    built = subprocess.run([str(modules / ".bin" / "tsc"), "-p", "tsconfig.json"], cwd=source,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return Package(source, modules)


def compile_ts(run: dict, name: str, program: str) -> subprocess.CompletedProcess:
    """`tsc --strict` (no output) on one program that imports the client's types."""
    work, package = run["work"], run["package"]
    (work / f"{name}.ts").write_text(program)
    (work / f"{name}.tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "strict": True, "noEmit": True, "target": "ES2020", "module": "commonjs", "moduleResolution": "node",
        "skipLibCheck": True, "typeRoots": [str(package.modules / "@types")]}, "files": [f"{name}.ts"]}))
    return subprocess.run([str(package.modules / ".bin" / "tsc"), "-p", str(work / f"{name}.tsconfig.json")],
                          capture_output=True, text=True, timeout=300)


def typed_program(package: Package, replies: dict[str, tuple[object, str]]) -> str:
    """Each reply as a literal, assigned to a constant of the client's type for it."""
    lines = [f"import type {{ {', '.join(TYPE_NAMES)} }} from {json.dumps(str(package.folder))};", WIRE]
    for name, (reply, ts_type) in replies.items():
        lines.append(f"const reply_{name} = {json.dumps(reply)} as const;")
        lines.append(f"export const {name}: Wire<{ts_type}> = reply_{name};")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def run(package: Package, tmp_path_factory) -> dict:
    """A served sellerkit with a small catalog, and what every call of the client answered."""
    data = tmp_path_factory.mktemp("served")
    env = env_for(data, SELLERKIT_SCAN_CHUNK_ROWS="500")
    catalog = data / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in CATALOG))
    cli(env, "catalog", "import", str(catalog))
    key = new_key(env, "ts-client")["key"]
    files = {"withOptions": data / "with-options.csv", "withoutOptions": data / "upload.csv"}
    files["withOptions"].write_text(WITH_OPTIONS)
    files["withoutOptions"].write_text("".join(f"{code},12.50\n" for code in [UPC, EAN] * (SIMPLE_ROWS // 2)))
    config = data / "config.json"
    out = data / "replies.json"
    with serve(env) as base:
        config.write_text(json.dumps({
            "client": str(package.folder), "baseURL": base, "apiKey": key, "uploadOptions": UPLOAD_OPTIONS,
            "files": {k: str(v) for k, v in files.items()}, "asins": [ACME, PEN, "B0TSCLNT99"], "brand": "acme",
            "objectFilter": {"cost": {">": 5}}, "listFilter": [{"name": "cost", "operator": ">", "value": 5}],
            "codes": {"upc": UPC, "ean": EAN, "isbn": ISBN10, "unknown": UNKNOWN_UPC},
        }))
        done = subprocess.run(["node", str(HERE / "run_ts_client.js"), str(config), str(out)], capture_output=True,
                              text=True, timeout=600)
        replies = json.loads(out.read_text()) if out.exists() else {}
        assert done.returncode == 0 and "fatal" not in replies, (done.stderr, replies.get("fatal"))
        headers = {"Authorization": f"Bearer {key}"}
        scan_id = replies["getDone"]["value"]["id"]
        xlsx = httpx.post(f"{base}/api/v3/scans/{scan_id}/xlsx", headers=headers, json={}).content
    return {"replies": replies, "package": package, "work": data, "xlsx": xlsx}


def value(run: dict, name: str):
    reply = run["replies"][name]
    assert "error" not in reply, reply
    return reply["value"]


def content(run: dict, name: str) -> bytes:
    return base64.b64decode(run["replies"][name]["base64"])


def products(run: dict, name: str) -> dict[str, dict]:
    return {p["asin"]: p for p in value(run, name)["data"]}


class TestTheClientsTypes:
    def test_every_method_of_the_client_is_called(self, run):
        assert value(run, "methods") == {
            "client": ["getApiKey", "setApiKey"],
            "scans": sorted(["list", "get", "getResults", "upload", "cancel", "rerun", "exportCsv", "exportXlsx",
                             "exportGoogleSheets", "recalculateFees"]),
            "convert": sorted(["toAsin", "fromAsin", "convertIds", "convertAsins", "convertUpcs", "convertEans",
                               "convertIsbns"]),
            "eligibility": ["checkInboundEligibility"]}

    def test_every_reply_compiles_as_the_clients_type_with_tsc_strict(self, run):
        """A missing required field, a null where the type has none, a string for a number or a
        value outside an enum fails the compile, naming the reply and the field."""
        program = typed_program(run["package"], {name: (value(run, name), ts_type)
                                                 for name, ts_type in REPLY_TYPES.items()})
        done = compile_ts(run, "replies", program)
        assert done.returncode == 0, done.stdout[-6000:]

    def test_a_reply_outside_the_type_fails_to_compile(self, run):
        """The check can fail: a scan with a status the client does not know, or without its
        `source_type`, is refused."""
        scan = value(run, "getDone")
        unknown_status = {**scan, "status": "Finished"}
        no_source = {k: v for k, v in scan.items() if k != "source_type"}
        done = compile_ts(run, "broken", typed_program(run["package"], {
            "status": (unknown_status, "PublicScan"), "source": (no_source, "PublicScan")}))
        assert done.returncode != 0 and '"Finished"' in done.stdout and "source_type" in done.stdout


class TestAuthentication:
    def test_a_wrong_key_is_the_clients_authentication_error(self, run):
        assert run["replies"]["wrongKey"]["error"] == "AuthenticationError"

    def test_the_key_set_later_is_the_one_used(self, run):
        assert value(run, "getApiKey").startswith("sk_")


class TestScans:
    def test_list_has_the_clients_total_and_pagination_beside_count_and_meta(self, run):
        page = value(run, "list")
        assert page["total"] == page["count"] == 2 and page["pagination"] == {"page": 1, "per_page": 10}
        assert page["meta"] == {"page": 1, "per_page": 10, "total": 2}
        second = value(run, "listPage2")
        assert len(second["data"]) == 1 and second["pagination"] == {"page": 2, "per_page": 1}

    def test_upload_with_options_keeps_them_with_numbers_as_numbers(self, run):
        scan = value(run, "getDone")
        assert (scan["name"], scan["status"], scan["products"], scan["errors"]) == ("Client scan", "Success", 4, 2)
        assert scan["options"]["prep_cost"] == 0.5 and scan["options"]["discount_supplier"] == 5

    def test_upload_without_options_reads_ids_then_costs_and_is_named_for_the_file(self, run):
        scan = value(run, "getSimpleDone")
        assert (scan["name"], scan["status"], scan["products"], scan["errors"]) == ("upload", "Success", SIMPLE_ROWS, 0)
        assert scan["mapping"]["id"] == 0 and scan["mapping"]["cost"] == 1

    def test_a_scan_has_the_clients_owner_and_source_fields(self, run):
        scan = value(run, "getDone")
        assert scan["user_id"] == scan["account_id"] and isinstance(scan["account_id"], int)
        assert (scan["source_type"], scan["source_id"], scan["deleted_at"]) == ("Upload", scan["id"], None)

    def test_recalculating_fees_answers_the_scan_queued_then_it_succeeds(self, run):
        assert value(run, "recalculateFees")["status"] == "InProgress"
        assert value(run, "recalculatedDone")["status"] == "Success"

    def test_rerun_then_cancel_stops_the_run_keeping_the_previous_results(self, run):
        assert value(run, "rerun")["status"] == "InProgress"
        assert value(run, "cancel")["id"] == value(run, "rerun")["id"]
        done = value(run, "cancelledDone")
        assert done["status"] == "Cancelled" and done["results_from_previous_run"] is True

    def test_cancelling_an_ended_scan_leaves_it_as_it_was(self, run):
        assert value(run, "cancelEnded")["status"] == "Success"


class TestResults:
    def test_pages_follow_pagination_and_do_not_overlap(self, run):
        first, second = value(run, "resultsPage1"), value(run, "resultsPage2")
        assert first["count"] == second["count"] == 4 and len(first["data"]) == len(second["data"]) == 2
        assert {p["asin"] for p in first["data"]}.isdisjoint({p["asin"] for p in second["data"]})

    def test_sorting_descending(self, run):
        prices = [p["buybox_price"] for p in value(run, "resultsSorted")["data"]]
        assert prices == sorted(prices, reverse=True) and prices[0] == 4599

    def test_the_object_filter_form_means_what_the_list_form_means(self, run):
        by_object, by_list = products(run, "resultsObjectFilter"), products(run, "resultsListFilter")
        assert set(by_object) == set(by_list) == {ACME, BOOK, GADGET}

    def test_a_bare_value_in_the_object_form_is_equals_without_case(self, run):
        assert set(products(run, "resultsBrand")) == {ACME, GADGET}

    def test_an_unknown_field_in_the_object_form_is_a_validation_error_naming_it(self, run):
        reply = run["replies"]["resultsUnknownField"]
        assert reply["error"] == "ValidationError" and "filters.costt" in reply["message"]

    def test_a_missing_scan_is_the_clients_not_found_error(self, run):
        assert run["replies"]["resultsMissing"]["error"] == "NotFoundError"

    def test_the_errors_table_through_the_table_type_parameter(self, run):
        page = value(run, "resultsErrors")
        assert page["meta"]["table_type"] == "errors" and page["count"] == 2
        assert sorted(row["identifier"] for row in page["data"]) == sorted(["123", UNKNOWN_UPC])

    def test_meta_has_the_clients_results_metadata(self, run):
        scan, meta = value(run, "getDone"), value(run, "resultsAll")["meta"]
        assert (meta["errors"], meta["lines"], meta["products"]) == (2, 6, 4)
        assert (meta["source_id"], meta["source_type_id"], meta["user_id"]) == (scan["id"], 1, scan["account_id"])
        assert meta["scanned_at"].endswith("Z") and meta["columns"]["financials.profit"] == {"type": "money",
                                                                                           "unit": "cents"}

    def test_offers_come_from_the_catalogs_prices_and_counts(self, run):
        offers = products(run, "resultsAll")[ACME]["offers"]
        assert (offers["total_offers_count"], offers["list_price"]) == (11, 2999)
        assert {(o["condition"], o["fulfillment_channel"], o["landed_price"]) for o in offers["lowest_prices"]} == {
            ("New", "Amazon", 2499), ("New", "Merchant", 2399), ("Used", "Merchant", 1850)}
        assert [(o["condition"], o["listing_price"]) for o in offers["buy_box_prices"]] == [("New", 2499), ("Used", 1850)]
        assert {o["fulfillment_channel"]: o["offer_count"] for o in offers["number_of_offers"]} == {
            "Amazon": 4, "Merchant": 6}

    def test_images_are_by_marketplace_with_a_variant_each(self, run):
        [by_marketplace] = products(run, "resultsAll")[ACME]["images"]
        assert by_marketplace["marketplace_id"] == "ATVPDKIKX0DER"
        assert [(i["link"], i["variant"], i["height"]) for i in by_marketplace["image"]] == [
            (IMAGES[0], "MAIN", 500), (IMAGES[1], "PT01", 0)]

    def test_no_images_is_an_empty_list(self, run):
        assert products(run, "resultsAll")[GADGET]["images"] == []

    def test_catalog_fields_pass_through(self, run):
        acme = products(run, "resultsAll")[ACME]
        assert acme["bullet_points"] == ["1000 pieces", "Recycled board"]
        assert acme["sales_ranks"] == [{"rank": 15, "title": "Jigsaw Puzzles", "raw_title": "Jigsaw Puzzles"}]
        assert (acme["category_raw"], acme["model_number"], acme["part_number"], acme["release_date"]) == (
            "Toys & Games>Puzzles", "AC-1000", "AC-1000-P", "2024-03-01")
        assert (acme["buybox_price_used"], acme["parent_asins"], acme["marketplace_id"], acme["marketplace"]) == (
            1850, ["B0TSCLNT00"], 1, 1)
        assert acme["dimensions"]["package_dimensions"]["weight_unit"] == "pounds"

    def test_inputs_carry_discounts_and_custom_columns_as_a_list(self, run):
        by_asin = products(run, "resultsAll")
        assert by_asin[ACME]["inputs"]["custom_columns"] == ["red"] and by_asin[BOOK]["inputs"]["custom_columns"] == [""]
        assert by_asin[ACME]["inputs"]["discount_supplier"] == 500  # 5 %, in basis points

    def test_required_fields_are_there_and_empty_ones_left_out(self, run):
        gadget = products(run, "resultsAll")[GADGET]  # no dimensions: fees unknown
        assert gadget["favorited"] is False and gadget["small_and_light_eligible_reasons"] == {}
        assert "profit" not in gadget["financials"] and "rank" not in gadget
        acme = products(run, "resultsAll")[ACME]  # $24.99: above the low-price band
        assert acme["small_and_light_eligible"] is False and acme["small_and_light_eligible_reasons"] == {
            "low_price": False, "small_size": True, "light_weight": True}


class TestExports:
    def test_csv_arrives_whole_with_every_result(self, run):
        rows = content(run, "exportCsv").decode().splitlines()
        assert rows[0].startswith("id,asin,") and len(rows) == 5

    def test_a_csv_export_takes_the_object_filter_form(self, run):
        assert len(content(run, "exportCsvFiltered").decode().splitlines()) == 4

    def test_xlsx_is_corrupted_by_the_clients_blob_response_in_node(self, run):
        """The client's limit (docs/rocketsource-client.md): in Node, axios gives `responseType:
        'blob'` as text decoded from UTF-8, so the XLSX bytes do not survive; sellerkit's are a
        whole workbook."""
        assert zipfile.is_zipfile(io.BytesIO(run["xlsx"]))
        got = run["replies"]["exportXlsx"]
        assert got["kind"] == "string" and content(run, "exportXlsx") != run["xlsx"]

    def test_google_sheets_without_google_set_up_is_the_clients_validation_error(self, run):
        reply = run["replies"]["exportGoogleSheets"]
        assert reply["error"] == "ValidationError" and "not set up" in reply["message"]


class TestEligibility:
    def test_an_array_with_one_object_per_asin_in_the_order_asked(self, run):
        answers = value(run, "eligibility")
        assert [a["asin"] for a in answers] == [ACME, PEN, "B0TSCLNT99"]
        assert [a["eligible"] for a in answers] == [True, False, False]
        assert answers[1]["ineligible_codes"] == ["FBA_INB_0016"] and "hazmat" in answers[1]["reason"]


class TestConvert:
    def test_codes_to_asins_asin_first(self, run):
        found = value(run, "toAsin")
        assert (found[UPC][0], found[EAN][0], found[ISBN10][0]) == (ACME, PEN, BOOK)

    def test_the_convenience_methods_send_the_same_request(self, run):
        assert value(run, "convertUpcs") == {UPC: value(run, "toAsin")[UPC]}
        assert value(run, "convertEans") == {EAN: value(run, "toAsin")[EAN]}
        assert value(run, "convertIsbns") == {ISBN10: value(run, "toAsin")[ISBN10]}
        assert set(value(run, "convertIds")) == {UPC}  # the unknown code is left out

    def test_asins_to_their_codes(self, run):
        assert value(run, "fromAsin") == value(run, "convertAsins")
        assert value(run, "fromAsin")[ACME]["upc"] == [UPC]
