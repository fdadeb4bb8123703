"""The blob store on disk and on a real HTTP S3 server (moto's, started in this process)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import socket
import time
import uuid
from pathlib import Path

import polars as pl
import pytest

from sellerkit.config import Settings
from sellerkit.errors import SellerkitError
from sellerkit.kit import blobs as blobs_module
from sellerkit.kit.blobs import (BlobAccessDenied, BlobBucketMissing, BlobKeyInvalid, BlobNotFound,
                                 BlobStoreUnreachable, LocalBlobs, S3Blobs, blobs_for)

from tests.conftest import S3_BUCKET as BUCKET, S3_CREDS as CREDS
PART = 5 * 1024 * 1024  # S3's smallest part


@pytest.fixture(params=["disk", "s3"])
def store(request, tmp_path):
    if request.param == "disk":
        return LocalBlobs(tmp_path / "data")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Blobs(BUCKET, f"run-{uuid.uuid4().hex[:8]}", endpoint=endpoint, **CREDS)


class Reader(io.RawIOBase):
    """A file of `size` pseudo-random bytes made as it is read, recording each read's size."""

    def __init__(self, size: int):
        self.left = size
        self.reads: list[int] = []
        self.digest = hashlib.sha256()
        self.counter = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        assert n is not None and n > 0, "the store asked for the whole file at once"
        self.reads.append(n)
        n = min(n, self.left)
        block = b"".join(hashlib.sha256(f"{self.counter}-{i}".encode()).digest()
                         for i in range(n // 32 + 1))[:n]
        self.counter += 1
        self.left -= n
        self.digest.update(block)
        return block


def sha(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class TestStreamedWrites:
    def test_a_file_larger_than_a_part_is_read_a_part_at_a_time(self, store):
        size = 2 * PART + 12345
        reader = Reader(size)
        assert store.put("scans/1/source.csv", reader, part_size=PART) == size
        assert max(reader.reads) <= PART and len(reader.reads) >= 3
        assert store.head("scans/1/source.csv").size == size
        assert sha(store.stream("scans/1/source.csv")) == reader.digest.hexdigest()

    def test_the_s3_object_was_uploaded_in_parts(self, s3_endpoint):
        store = S3Blobs(BUCKET, "multipart", endpoint=s3_endpoint, **CREDS)
        store.put("big.bin", Reader(2 * PART + 1), part_size=PART)
        import boto3
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
        assert s3.head_object(Bucket=BUCKET, Key="multipart/big.bin")["ETag"].strip('"').endswith("-3")

    def test_an_iterator_is_consumed_as_it_is_written(self, store):
        made = []

        def chunks():
            for i in range(12):
                made.append(i)
                yield bytes([i]) * (1024 * 1024)
        assert store.put("exports/a.bin", chunks(), part_size=PART) == 12 * 1024 * 1024
        assert made == list(range(12))
        assert store.read_range("exports/a.bin", 5 * 1024 * 1024 - 1, 2) == b"\x04\x05"

    def test_an_async_iterator(self, store):
        async def chunks():
            for i in range(7):
                await asyncio.sleep(0)
                yield bytes([65 + i]) * 1_000_000

        async def run():
            written = await store.put_async("uploads/x.csv", chunks(), part_size=PART)
            back = [block async for block in store.stream_async("uploads/x.csv")]
            return written, b"".join(back)
        written, back = asyncio.run(run())
        assert written == 7_000_000 and back == b"".join(bytes([65 + i]) * 1_000_000 for i in range(7))

    def test_overwrite_replaces_the_whole_object(self, store):
        store.put("scans/2/results.arrow", b"a long first version")
        store.put("scans/2/results.arrow", io.BytesIO(b"short"))
        assert store.read_bytes("scans/2/results.arrow") == b"short"
        assert store.head("scans/2/results.arrow").size == 5
        assert [info.key for info in store.list("scans/2")] == ["scans/2/results.arrow"]

    def test_a_failed_write_leaves_the_old_object(self, store):
        store.put("k/v", b"old")

        def broken():
            for _ in range(3):
                yield b"n" * (3 * 1024 * 1024)  # past one part: a multipart upload was started
            raise ConnectionResetError("the client went away")
        with pytest.raises(ConnectionResetError, match="the client went away"):
            store.put("k/v", broken(), part_size=PART)
        assert store.read_bytes("k/v") == b"old"
        assert [info.key for info in store.list("k")] == ["k/v"]

    def test_a_failed_s3_upload_is_aborted(self, s3_endpoint):
        import boto3
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
        prefix = f"aborted-{uuid.uuid4().hex[:6]}"
        store = S3Blobs(BUCKET, prefix, endpoint=s3_endpoint, **CREDS)

        async def broken():
            for _ in range(4):
                yield b"n" * (3 * 1024 * 1024)
            raise ConnectionResetError("the client went away")
        with pytest.raises(ConnectionResetError):
            asyncio.run(store.put_async("u/source.csv", broken(), part_size=PART))
        pending = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
        assert pending == [] and store.list() == []


class TestReads:
    def test_ranged_reads(self, store):
        data = bytes(range(256)) * 40
        store.put("r/data.bin", data)
        assert store.read_range("r/data.bin", 0, 10) == data[:10]
        assert store.read_range("r/data.bin", 1000, 500) == data[1000:1500]
        assert store.read_range("r/data.bin", len(data) - 3, 100) == data[-3:]  # past the end: the rest
        assert store.read_range("r/data.bin", len(data) + 5, 10) == b""
        assert store.read_range("r/data.bin", 7, 0) == b""

    def test_stream_chunks(self, store):
        data = os.urandom(3 * 1024 * 1024 + 7)
        store.put("s/d", data)
        chunks = list(store.stream("s/d", chunk_size=1024 * 1024))
        assert b"".join(chunks) == data and len(chunks) >= 2

    @pytest.mark.parametrize("call", ["stream", "read_bytes", "head", "read_range", "stream_async"])
    def test_a_missing_key_is_a_clear_404(self, store, call):
        store.put("present/one", b"1")
        with pytest.raises(BlobNotFound) as caught:
            if call == "read_range":
                store.read_range("scans/9/missing.csv", 0, 10)
            elif call == "stream_async":
                async def run():
                    return [b async for b in store.stream_async("scans/9/missing.csv")]
                asyncio.run(run())
            else:
                getattr(store, call)("scans/9/missing.csv")
        assert caught.value.status_code == 404
        assert "'scans/9/missing.csv'" in caught.value.message
        assert "Debug" not in caught.value.message and "\n" not in caught.value.message
        assert not store.exists("scans/9/missing.csv") and store.exists("present/one")
        store.delete("scans/9/missing.csv")  # deleting what is gone is not an error

    def test_polars_reads_ipc_and_csv_straight_from_the_store(self, store):
        frame = pl.DataFrame({"asin": ["B000000001", "B000000002"], "profit": [123, -45]})
        ipc, csv = io.BytesIO(), io.BytesIO()
        frame.write_ipc(ipc)
        frame.write_csv(csv)
        store.put("scans/3/results.arrow", ipc.getvalue())
        store.put("scans/3/source.csv", csv.getvalue())
        path, options = store.polars_source("scans/3/results.arrow")
        assert pl.read_ipc(path, storage_options=options).equals(frame)
        assert pl.scan_ipc(path, storage_options=options).filter(pl.col("profit") > 0).collect().height == 1
        path, options = store.polars_source("scans/3/source.csv")
        assert pl.scan_csv(path, storage_options=options).collect().equals(frame)
        assert pl.read_csv(path, storage_options=options).equals(frame)
        parquet = io.BytesIO()
        frame.write_parquet(parquet)
        store.put("scans/3/results.parquet", parquet.getvalue())
        path, options = store.polars_source("scans/3/results.parquet")
        assert pl.scan_parquet(path, storage_options=options).collect().equals(frame)


class TestListAndDelete:
    def test_delete_prefix_removes_only_that_prefix(self, store):
        for key in ("scans/1/source.csv", "scans/1/exports/4.xlsx", "scans/12/source.csv",
                    "scans/10", "scans/1b/x"):
            store.put(key, key.encode())
        assert store.delete_prefix("scans/1") == 2
        assert [info.key for info in store.list("scans")] == ["scans/10", "scans/12/source.csv", "scans/1b/x"]
        assert store.list("scans/1") == []
        assert store.delete_prefix("scans/1/") == 0

    def test_list_a_prefix_with_sizes(self, store):
        store.put("a/b/c", b"123")
        store.put("a/d", b"12345")
        store.put("ab/e", b"1")
        listed = store.list("a")
        assert [(info.key, info.size) for info in listed] == [("a/b/c", 3), ("a/d", 5)]
        assert {info.key for info in store.list()} >= {"a/b/c", "a/d", "ab/e"}

    def test_delete_one(self, store):
        store.put("x/1", b"1")
        store.put("x/2", b"2")
        store.delete("x/1")
        assert [info.key for info in store.list("x")] == ["x/2"]

    @pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "a/./b", "trailing/", "back\\slash"])
    def test_keys_are_plain_relative_paths(self, store, key):
        with pytest.raises(BlobKeyInvalid):
            store.put(key, b"x")


class TestStoreErrors:
    def test_permission_denied_on_disk(self, tmp_path, monkeypatch):
        store = LocalBlobs(tmp_path)
        store.put("scans/1/a", b"1")
        if os.geteuid() == 0:  # root ignores modes: the mapping is what can be tested
            def denied(*args, **kwargs):
                raise PermissionError(13, "Permission denied", str(tmp_path / "scans/1/b"))
            monkeypatch.setattr(blobs_module.tempfile, "NamedTemporaryFile", denied)
        else:
            (tmp_path / "scans/1").chmod(0o500)
        try:
            with pytest.raises(BlobAccessDenied) as caught:
                store.put("scans/1/b", b"2")
        finally:
            (tmp_path / "scans/1").chmod(0o700)
        assert "'scans/1/b'" in caught.value.message and "SELLERKIT_DATA_DIR" in caught.value.message
        assert caught.value.status_code == 503

    def test_access_denied_on_s3_is_a_clear_message(self, s3_endpoint):
        """moto enforces IAM once INITIAL_NO_AUTH_ACTION_COUNT requests have been made: a user with
        no policy is then refused with a real 403 AccessDenied over HTTP."""
        import boto3
        from moto import settings as moto_settings
        iam = boto3.client("iam", endpoint_url=s3_endpoint, aws_access_key_id="testing",
                           aws_secret_access_key="testing", region_name="us-east-1")
        name = f"nobody-{uuid.uuid4().hex[:6]}"
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        store = S3Blobs(BUCKET, "denied", endpoint=s3_endpoint, access_key_id=key["AccessKeyId"],
                        secret_access_key=key["SecretAccessKey"], region="us-east-1", max_retries=0)
        before = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        try:
            for attempt in (lambda: store.put("scans/1/a.csv", b"x"), lambda: store.read_bytes("scans/1/a.csv"),
                            lambda: store.list("scans")):
                with pytest.raises(BlobAccessDenied) as caught:
                    attempt()
                assert BUCKET in caught.value.message and "AWS_ACCESS_KEY_ID" in caught.value.message
                assert "Debug" not in caught.value.message
        finally:
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = before

    def test_unreachable_endpoint(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]  # closed again: nothing listens there
        store = S3Blobs(BUCKET, "", endpoint=f"http://127.0.0.1:{port}", **CREDS, max_retries=1,
                        retry_timeout=2, connect_timeout=1)
        for attempt in (lambda: store.put("a", b"x"), lambda: store.head("a"), store.check):
            with pytest.raises(BlobStoreUnreachable) as caught:
                attempt()
            assert f"127.0.0.1:{port}" in caught.value.message
            assert "SELLERKIT_S3_ENDPOINT_URL" in caught.value.message and "\n" not in caught.value.message

    def test_missing_bucket(self, s3_endpoint):
        store = S3Blobs("no-such-bucket-here", "p", endpoint=s3_endpoint, **CREDS)
        for attempt in (lambda: store.put("a/b", b"x"), lambda: store.head("a/b"), lambda: store.list("a"),
                        lambda: store.read_bytes("a/b"), store.check):
            with pytest.raises(BlobBucketMissing) as caught:
                attempt()
            assert "'no-such-bucket-here'" in caught.value.message and "SELLERKIT_BLOB_URL" in caught.value.message

    def test_check_passes_on_a_working_store(self, store):
        store.check()

    def test_every_error_is_a_sellerkit_error(self):
        for kind in (BlobAccessDenied, BlobBucketMissing, BlobKeyInvalid, BlobStoreUnreachable):
            assert issubclass(kind, SellerkitError)
        assert issubclass(BlobNotFound, SellerkitError)


class TestBlobsFor:
    def test_default_is_the_data_dir(self, tmp_path):
        store = blobs_for(Settings(data_dir=tmp_path))
        assert isinstance(store, LocalBlobs) and store.root == tmp_path
        assert blobs_for(Settings(data_dir=tmp_path)) is store

    def test_s3_from_the_url_and_the_standard_aws_variables(self, tmp_path, monkeypatch, s3_endpoint):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        settings = Settings(data_dir=tmp_path, blob_url=f"s3://{BUCKET}/deploy-{uuid.uuid4().hex[:6]}",
                            s3_endpoint_url=s3_endpoint)
        store = blobs_for(settings)
        assert isinstance(store, S3Blobs) and store.bucket == BUCKET
        store.put("scans/5/source.csv", b"asin\nB000000001\n")
        path, options = store.polars_source("scans/5/source.csv")
        assert path == f"{settings.blob_url}/scans/5/source.csv" and options["aws_endpoint_url"] == s3_endpoint
        assert pl.read_csv(path, storage_options=options)["asin"].to_list() == ["B000000001"]
        assert blobs_for(settings) is store

    def test_a_blob_url_that_is_not_s3_is_refused(self, tmp_path):
        with pytest.raises(Exception):
            Settings(data_dir=tmp_path, blob_url="gs://bucket/x")
        assert not Path(tmp_path / "x").exists()

    def test_from_url_reads_bucket_prefix_and_credentials(self):
        env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-west-1"}
        store = S3Blobs.from_url("s3://my-bucket", "https://s3.example.com", environ=env)
        assert (store.bucket, store.prefix) == ("my-bucket", "")
        path, options = store.polars_source("scans/1/a.csv")
        assert path == "s3://my-bucket/scans/1/a.csv"
        assert options == {"aws_access_key_id": "AKID", "aws_secret_access_key": "secret",
                           "aws_region": "eu-west-1", "aws_endpoint_url": "https://s3.example.com"}
        nested = S3Blobs.from_url("s3://my-bucket/a/b/", None, environ={})
        assert nested.prefix == "a/b" and nested.polars_source("k")[0] == "s3://my-bucket/a/b/k"
        assert nested.describe() == "s3://my-bucket/a/b" and nested.storage_options() == {"aws_region": "us-east-1"}


class TestFiles:
    """Local files in and out: what the scan pipeline needs on a machine's own disk."""

    def test_put_file_moves_or_copies_a_local_file_whole(self, store, tmp_path):
        path = tmp_path / "upload.csv"
        path.write_bytes(b"UPC,Cost\n" * 1000)
        assert store.put_file("scans/1/source.csv", path, move=True) == 9000
        assert not path.exists()
        assert store.read_bytes("scans/1/source.csv") == b"UPC,Cost\n" * 1000
        path.write_bytes(b"kept")
        store.put_file("scans/1/other.csv", path)
        assert path.read_bytes() == b"kept" and store.read_bytes("scans/1/other.csv") == b"kept"

    def test_a_file_written_by_native_code_becomes_the_key_whole(self, store):
        frame = pl.DataFrame({"n": list(range(1000)), "text": ["x" * 30] * 1000})
        size = store.put_written("scans/1/v1/00000.results.arrow", lambda path: frame.write_ipc(path, compression="lz4"))
        assert size == store.head("scans/1/v1/00000.results.arrow").size > 0
        assert pl.read_ipc(io.BytesIO(store.read_bytes("scans/1/v1/00000.results.arrow"))).equals(frame)
        assert [info.key for info in store.list("scans/1")] == ["scans/1/v1/00000.results.arrow"]

    def test_a_failed_native_write_leaves_the_old_object_and_no_scratch_file(self, store, tmp_path):
        store.put("scans/1/v1/00000.results.arrow", b"old")

        def broken(path):
            path.write_bytes(b"half a part")
            raise OSError(28, "No space left on device")
        with pytest.raises(OSError, match="No space left"):
            store.put_written("scans/1/v1/00000.results.arrow", broken)
        assert store.read_bytes("scans/1/v1/00000.results.arrow") == b"old"
        assert [info.key for info in store.list("scans/1")] == ["scans/1/v1/00000.results.arrow"]
        if isinstance(store, LocalBlobs):  # the temporary file beside the key is gone too
            assert [p.name for p in store.path("scans/1/v1/00000.results.arrow").parent.iterdir()] == ["00000.results.arrow"]

    def test_local_copy_is_a_file_on_this_machine_fetched_again_when_the_object_changed(self, store, tmp_path):
        store.put("scans/2/source.csv", b"a,b\n1,2\n")
        cache = tmp_path / "cache"
        path = store.local_copy("scans/2/source.csv", cache)
        assert path.read_bytes() == b"a,b\n1,2\n"
        store.put("scans/2/source.csv", b"a,b\n1,2\n3,4\n")
        assert store.local_copy("scans/2/source.csv", cache).read_bytes() == b"a,b\n1,2\n3,4\n"
        if isinstance(store, S3Blobs):
            assert path.is_relative_to(cache)
        else:  # on disk the file itself, no copy
            assert path == store.path("scans/2/source.csv") and not cache.exists()

    def test_local_copy_of_a_missing_key_names_it(self, store, tmp_path):
        with pytest.raises(BlobNotFound, match="scans/3/source.csv"):
            store.local_copy("scans/3/source.csv", tmp_path / "cache")

    def test_work_files_are_this_process_own_under_the_data_dir(self, tmp_path):
        settings = Settings(data_dir=tmp_path, demo=False)
        first, second = blobs_module.work_file(settings, ".csv"), blobs_module.work_file(settings, ".csv")
        assert first != second and first.parent == tmp_path / "work" and first.suffix == ".csv"

    def test_scratch_files_left_by_a_dead_process_are_cleaned_and_fresh_ones_kept(self, tmp_path):
        settings = Settings(data_dir=tmp_path, demo=False)
        old, fresh = blobs_module.work_file(settings), blobs_module.work_file(settings)
        cached = tmp_path / "cache" / "scans" / "3" / "source.csv"
        cached.parent.mkdir(parents=True)
        cached.write_text("x")
        day_ago = time.time() - 86_400
        for path in (old, cached):
            os.utime(path, (day_ago, day_ago))
        (tmp_path / "scans").mkdir()
        kept = tmp_path / "scans" / "old.csv"  # not scratch: never touched
        kept.write_text("y")
        os.utime(kept, (day_ago, day_ago))
        assert blobs_module.clean_scratch(tmp_path) == 2
        assert fresh.exists() and kept.exists() and not old.exists() and not cached.exists()

    def test_a_live_writers_back_dated_part_is_kept_and_a_dead_ones_is_cleaned(self, tmp_path):
        """XlsxWriter back-dates each part to 1980 just before it zips and removes it; a sweep in
        between made the export fail (FileCreateError). Its private folder says it is alive."""
        live, dead = tmp_path / "work" / ".xlsx-live", tmp_path / "work" / ".xlsx-dead"
        for folder in (live, dead):
            folder.mkdir(parents=True)
            (folder / "part").write_text("<xml/>")
            os.utime(folder / "part", (315_532_800, 315_532_800))  # 1980, as XlsxWriter sets it
        day_ago = time.time() - 86_400
        os.utime(dead, (day_ago, day_ago))
        assert blobs_module.clean_scratch(tmp_path) == 1
        assert (live / "part").exists() and not (dead / "part").exists()
