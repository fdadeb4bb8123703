"""Every file of a scan in the blob store: on disk and on a real HTTP S3 server (moto's).

Two apps with their own empty data dirs share only the database and the store, as two servers
on two machines do: what one accepts and runs, the other reads and downloads.
"""

from __future__ import annotations

import io
import time

import fastexcel
import polars as pl
import pytest

from sellerkit.config import Settings
from sellerkit.kit.blobs import blobs_for
from sellerkit.scans.store import ScanFiles
from tests.conftest import import_records, make_client
from tests.scans.test_endpoints import upload, wait
from tests.scans.test_runs import catalog, supplier

ROWS = 1_000


@pytest.fixture(params=["disk", "s3"])
def stored(request, tmp_path) -> Settings:
    """The settings of the server that takes the upload and runs the scan."""
    if request.param == "disk":
        return Settings(data_dir=tmp_path / "a", demo=False, embedded_worker=True, job_threads=1,
                        scan_chunk_rows=300)
    return request.getfixturevalue("s3_settings").model_copy(update={"scan_chunk_rows": 300})


@pytest.fixture
def key(db, new_key):
    import_records(db, catalog(50))
    return {"Authorization": f"Bearer {new_key().key}"}


def _other(stored: Settings, tmp_path) -> Settings:
    """A second server: on S3 with its own empty data dir; on disk the store is the data dir, so
    the two share it (one machine, or a shared disk)."""
    own = tmp_path / "b" if stored.blob_url else stored.data_dir
    return stored.model_copy(update={"data_dir": own, "embedded_worker": False})


def _keys(settings: Settings, scan_id: int) -> list[str]:
    return [info.key for info in blobs_for(settings).list(f"scans/{scan_id}")]


def _local_files(settings: Settings) -> list[str]:
    """What a server keeps on its own disk besides the embedded database and queue and its
    catalog snapshot (a cache rebuilt from the database)."""
    root = settings.data_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  and not p.name.startswith(("sellerkit.db", "queue.db")) and p.relative_to(root).parts[0] != "catalog")


def _wait_export(client, key, job: dict, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while job["status"] == "InProgress":
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get(f"/api/v3/exports/{job['id']}", headers=key).json()
    return job


class TestScanFilesInTheStore:
    def test_a_scan_run_on_one_server_is_read_and_downloaded_on_another(self, db, key, stored, tmp_path):
        other = _other(stored, tmp_path)
        with make_client(db, stored) as a:
            scan_id = upload(a, key, supplier(ROWS, 50)).json()["id"]
            done = wait(a, key, scan_id)
        assert (done["status"], done["products"] + done["errors"]) == ("Success", ROWS)
        keys = _keys(stored, scan_id)
        assert f"scans/{scan_id}/source.csv" in keys
        assert sum(k.endswith(".results.arrow") for k in keys) == -(-ROWS // 300)
        if stored.blob_url:  # the server keeps no scan file of its own
            assert _local_files(stored) == []
        with make_client(db, other) as b:
            page = b.post(f"/api/v3/scans/{scan_id}", headers=key, json={"sort": "-profit", "per_page": 50}).json()
            assert page["count"] == done["products"] and len(page["data"]) == 50
            profits = [row["financials"]["profit"] for row in page["data"]]
            assert profits == sorted(profits, reverse=True)
            csv = b.post(f"/api/v3/scans/{scan_id}/download?type=csv", headers=key)
            assert csv.status_code == 200
            assert pl.read_csv(io.BytesIO(csv.content), infer_schema_length=0).height == done["products"]
            xlsx = b.post(f"/api/v3/scans/{scan_id}/download?type=xlsx", headers=key)
            assert xlsx.status_code == 200
            sheet = fastexcel.read_excel(xlsx.content).load_sheet(0, dtypes="string").to_polars()
            assert sheet.height == done["products"]
            errors = b.post(f"/api/v3/scans/{scan_id}?table_type=errors", headers=key, json={}).json()
            assert errors["count"] == done["errors"]
        if stored.blob_url:
            assert _local_files(other) == []

    def test_an_export_prepared_by_a_worker_downloads_from_any_server(self, db, key, stored, tmp_path):
        other = _other(stored, tmp_path)
        with make_client(db, stored) as a:
            scan_id = upload(a, key, supplier(ROWS, 50)).json()["id"]
            done = wait(a, key, scan_id)
            job = a.post(f"/api/v3/scans/{scan_id}/download?type=csv&background=true", headers=key).json()
            job = _wait_export(a, key, job)
        assert job["status"] == "Success"
        assert f"scans/{scan_id}/exports/{job['id']}.csv" in _keys(stored, scan_id)
        with make_client(db, other) as b:
            got = b.get(job["url"], headers=key)
        assert got.status_code == 200 and got.headers["content-disposition"].endswith('.csv"')
        assert int(got.headers["content-length"]) == len(got.content)
        assert pl.read_csv(io.BytesIO(got.content), infer_schema_length=0).height == done["products"]

    def test_deleting_a_scan_removes_every_object_it_owns(self, db, key, stored):
        with make_client(db, stored) as a:
            scan_id = upload(a, key, supplier(ROWS, 50)).json()["id"]
            wait(a, key, scan_id)
            job = _wait_export(a, key, a.post(f"/api/v3/scans/{scan_id}/download?type=json&background=true",
                                              headers=key).json())
            assert job["status"] == "Success"
            keep = upload(a, key, supplier(10, 50)).json()["id"]
            wait(a, key, keep)
            assert a.delete(f"/api/v3/scans/{scan_id}", headers=key).status_code == 200
            assert _keys(stored, scan_id) == []
            assert _keys(stored, keep)  # another scan's objects stay
            assert a.get(job["url"], headers=key).status_code == 404

    def test_a_rerun_replaces_the_version_readers_see_and_drops_the_one_before(self, db, key, stored):
        with make_client(db, stored) as a:
            scan_id = upload(a, key, supplier(ROWS, 50)).json()["id"]
            first = wait(a, key, scan_id)
            for _ in range(2):
                assert a.post(f"/api/v3/scans/{scan_id}/rerun", headers=key).status_code == 202
                again = wait(a, key, scan_id)
                assert (again["products"], again["errors"]) == (first["products"], first["errors"])
            assert a.post(f"/api/v3/scans/{scan_id}/fees-recalculate", headers=key).status_code in (200, 202)
            wait(a, key, scan_id)
        versions = {k.split("/")[2] for k in _keys(stored, scan_id) if k.split("/")[2].startswith("v")}
        assert versions == {"v3", "v4"}  # the shown one and the one it replaced (readers may still read it)


class TestWholeRead:
    @pytest.mark.parametrize("where", ["disk", "s3"])
    def test_a_whole_read_has_every_column_in_one_chunk_and_the_same_rows(self, request, tmp_path, where):
        """What the results cache keeps: read a few columns at a time on disk, once on S3."""
        blobs = tmp_path if where == "disk" else blobs_for(request.getfixturevalue("s3_settings"))
        files = ScanFiles(blobs, 11)
        wide = {f"c{i}": [i * 10 + r for r in range(3)] for i in range(20)} | {"title": ["a", "b", None]}
        for index in range(4):
            files.write_part(1, index, pl.DataFrame(wide).with_columns(pl.col("c0") + index * 3),
                             pl.DataFrame({"line": [index]}))
        plain, whole = files.read("results", 1), files.read("results", 1, whole=True)
        assert whole.equals(plain) and whole.height == 12 and whole.width == 22
        assert max(whole.n_chunks("all")) == 1 < max(plain.n_chunks("all"))
        assert whole.get_column("id").to_list() == list(range(1, 13))


class TestParts:
    def test_parts_done_are_counted_from_one_listing_and_an_unmarked_part_is_not_done(self, tmp_path):
        files = ScanFiles(tmp_path, 7)
        errors = pl.DataFrame({"line": [9]})
        files.write_part(1, 0, pl.DataFrame({"line": [1, 2]}), errors)
        files.write_part(1, 1, pl.DataFrame({"line": [3]}), errors.clear())
        assert files.part_counts(1) == (2, 3, 1)
        files.blobs.put("scans/7/v1/00002.results.arrow", b"half a run")  # a worker died here
        assert files.part_counts(1) == (2, 3, 1)
        assert files.read("results", 1).get_column("id").to_list() == [1, 2, 3]

    def test_parts_written_before_markers_existed_still_count(self, tmp_path):
        files = ScanFiles(tmp_path, 8)
        files.write_part(1, 0, pl.DataFrame({"line": [1, 2]}), pl.DataFrame({"line": [5]}))
        files.blobs.delete("scans/8/v1/00000.done-2-1")
        assert files.part_counts(1) == (1, 2, 1)


class TestMisconfiguredStore:
    def test_a_server_on_another_store_says_so_rather_than_answering_no_rows(self, db, key, tmp_path):
        runs = Settings(data_dir=tmp_path / "a", demo=False, embedded_worker=True, job_threads=1)
        lost = runs.model_copy(update={"data_dir": tmp_path / "b", "embedded_worker": False})
        with make_client(db, runs) as a:
            scan_id = upload(a, key, supplier(100, 50)).json()["id"]
            assert wait(a, key, scan_id)["status"] == "Success"
        with make_client(db, lost) as b:
            got = b.post(f"/api/v3/scans/{scan_id}", headers=key, json={})
        assert got.status_code == 503
        assert f"scans/{scan_id}/v1/" in got.text and "SELLERKIT_BLOB_URL" in got.text


class TestStagedUploads:
    """A file dropped on the dashboard is kept in the store between its preview and its scan, so
    the second request may reach another server."""

    def test_staged_for_its_account_only_and_gone_once_taken(self, stored, tmp_path):
        from sellerkit.errors import NotFound
        from sellerkit.scans.service import scans

        blobs = blobs_for(stored)
        upload = tmp_path / "drop.upload"
        upload.write_text("UPC,Cost\n012345678905,1.00\n")
        token = scans.stage(blobs, upload, 7)
        assert not upload.exists()
        elsewhere = tmp_path / "other-server"  # its own data dir on S3; the same store on disk
        path = scans.staged(blobs, elsewhere if stored.blob_url else stored.data_dir, 7, token)
        assert path.read_text().startswith("UPC,Cost")
        with pytest.raises(NotFound, match="upload it again"):
            scans.staged(blobs, elsewhere, 8, token)
        with pytest.raises(NotFound):
            scans.staged(blobs, elsewhere, 7, "../../scans/1/source.csv")
        scans.unstage(blobs, 7, token)
        with pytest.raises(NotFound):
            scans.staged(blobs, elsewhere, 7, token)

    def test_stale_staged_files_are_dropped(self, stored, tmp_path):
        from datetime import timedelta

        from sellerkit.scans.service import scans

        blobs = blobs_for(stored)
        upload = tmp_path / "drop.upload"
        upload.write_text("x")
        scans.stage(blobs, upload, 7)
        assert scans.drop_stale_staged(blobs, older_than=timedelta(hours=1)) == 0
        assert scans.drop_stale_staged(blobs, older_than=timedelta(seconds=-60)) == 1
        assert blobs.list("staged") == []
