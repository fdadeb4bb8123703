"""Uploads copied under a limit and prepared files streamed then removed (kit/uploads.py)."""

from __future__ import annotations

import io

import pytest

from sellerkit.errors import PayloadTooLarge
from sellerkit.kit.uploads import COPY_BLOCK, copy_limited, read_then_delete


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
