"""Uploads copied under a limit and prepared files streamed then removed (kit/uploads.py)."""

from __future__ import annotations

import asyncio
import io
import threading

import polars as pl
import pytest

from sellerkit.errors import PayloadTooLarge
from sellerkit.kit.uploads import (COPY_BLOCK, SENT_AHEAD, SENT_BLOCK, UPLOAD_BLOCK, copy_limited, read_then_delete,
                                   sent_as_written)


class TestCopyLimited:
    def test_copies_a_file_within_the_limit(self, tmp_path):
        data = b"x" * (COPY_BLOCK + 10)
        path = copy_limited(io.BytesIO(data), tmp_path / "up", len(data))
        assert path.read_bytes() == data

    def test_refuses_past_the_limit_naming_it_and_leaves_no_file(self, tmp_path):
        with pytest.raises(PayloadTooLarge, match="upload limit of 2 MB") as err:
            copy_limited(io.BytesIO(b"x" * 2_000_001), tmp_path / "up", 2_000_000)
        assert err.value.status_code == 413
        assert not (tmp_path / "up").exists()


class TestReadThenDelete:
    def test_yields_the_bytes_in_blocks_then_removes_the_file(self, tmp_path):
        path = tmp_path / "export.csv"
        path.write_bytes(b"abcdefg")
        chunks = read_then_delete(path, block=3)
        assert next(chunks) == b"abc"
        assert path.exists()
        assert b"".join(chunks) == b"defg"
        assert not path.exists()

    def test_removes_the_file_when_the_client_goes_away(self, tmp_path):
        path = tmp_path / "export.csv"
        path.write_bytes(b"abcdefg")
        chunks = read_then_delete(path, block=3)
        next(chunks)
        chunks.close()
        assert not path.exists()


class TestWorkUpload:
    """A scan upload's file part is written straight to a work file as it arrives: it becomes the
    scan's source, and every other outcome leaves nothing behind in the work folder."""

    @staticmethod
    def _post(client, key, data: bytes, attributes: str | None = None):
        import orjson

        form = {"attributes": attributes or orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()}
        return client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", data, "text/csv")}, data=form)

    @staticmethod
    def _work(settings) -> list[str]:
        folder = settings.data_dir / "work"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    @pytest.fixture
    def key(self, new_key):
        return {"Authorization": f"Bearer {new_key().key}"}

    def test_the_file_becomes_the_source_byte_for_byte(self, client, key, settings):
        data = b"UPC,Cost\n" + b"".join(b"%012d,%d.50\n" % (i, i % 90) for i in range(600_000))  # several blocks
        assert len(data) > 2 * UPLOAD_BLOCK
        r = self._post(client, key, data)
        assert r.status_code == 201, r.text
        assert r.json()["lines"] == 600_000  # counted at upload
        assert (settings.data_dir / "scans" / str(r.json()["id"]) / "source.csv").read_bytes() == data
        assert self._work(settings) == []

    def test_a_refused_form_leaves_no_work_file(self, client, key, settings):
        r = self._post(client, key, b"UPC,Cost\n036000291452,1\n", attributes="{not json")
        assert r.status_code in (400, 422), r.text
        assert self._work(settings) == []

    def test_past_the_limit_mid_stream_is_a_413_and_leaves_no_work_file(self, db, tmp_path, key):
        from sellerkit.config import Settings
        from tests.conftest import make_client

        limited = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, upload_limit_mb=1)
        with make_client(db, limited) as c:
            r = self._post(c, key, b"0" * 1_000_001)
        assert r.status_code == 413 and "file: larger than the upload limit of 1 MB" in r.json()["message"]
        assert self._work(limited) == []

    def test_a_broken_multipart_body_is_a_400_and_leaves_no_work_file(self, client, key, settings):
        body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
                b"Content-Type: text/csv\r\n\r\n" + b"1,2\n" * 1000 + b"\r\n--XyZ\r\nno colon here\r\n\r\n")
        r = client.post("/api/v3/scans", headers={**key, "Content-Type": "multipart/form-data; boundary=XyZ"},
                        content=body)
        assert r.status_code == 400, r.text
        assert self._work(settings) == []


class TestSentAsWritten:
    @staticmethod
    def drain(stream, most=None):
        async def run():
            got = []
            async for block in stream:
                got.append(block)
                if most is not None and len(got) == most:
                    break
            await stream.aclose()
            return got
        return asyncio.run(run())

    def test_sends_what_polars_writes_in_order_and_whole(self):
        frame = pl.DataFrame({"n": range(300_000), "s": ["some text"] * 300_000})
        blocks = self.drain(sent_as_written(lambda out: frame.lazy().sink_csv(out)))
        assert len(blocks) > 1 and all(len(b) >= SENT_BLOCK for b in blocks[:-1])
        assert b"".join(blocks) == frame.write_csv().encode()

    def test_a_failure_after_the_first_bytes_ends_the_response_with_it(self):
        def write(out):
            out.write(b"x" * SENT_BLOCK)
            raise OSError("disk gone")

        async def run():
            got = []
            with pytest.raises(OSError, match="disk gone"):
                async for block in sent_as_written(write):
                    got.append(block)
            return got
        assert asyncio.run(run()) == [b"x" * SENT_BLOCK]

    def test_a_reader_that_leaves_stops_the_writer(self):
        stopped = threading.Event()

        def write(out):
            try:
                while True:  # far more than is ever read
                    out.write(b"y" * SENT_BLOCK)
            except BrokenPipeError:
                stopped.set()
                raise

        assert len(self.drain(sent_as_written(write), most=2)) == 2
        assert stopped.wait(5), f"the writer went on past {SENT_AHEAD} blocks ahead"

    def test_a_read_left_waiting_returns_once_the_response_stops(self):
        """A response cancelled while its thread waited for the next block frees that thread."""
        from sellerkit.kit.uploads import _Pipe

        pipe = _Pipe()
        waiting = threading.Thread(target=pipe.get)
        waiting.start()
        pipe.abandon()
        waiting.join(5)
        assert not waiting.is_alive()
