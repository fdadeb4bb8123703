"""Catalog files read in blocks: every line once, with its line number, however blocks fall."""

from __future__ import annotations

import gzip

import pytest

from sellerkit.catalog.files import CatalogFile, JsonlBlock, JsonlSpan


@pytest.mark.parametrize("ending", [b"\n", b""])
def test_blocks_cover_every_line_once_with_its_number(tmp_path, monkeypatch, ending):
    monkeypatch.setattr("sellerkit.catalog.files.BLOCK_BYTES", 64)
    lines = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i * 7 % 50)) for i in range(40)]
    lines[5] = b'{"long": "' + b"y" * 300 + b'"}'  # longer than a block
    lines[9] = b""  # blank lines are skipped but counted
    lines[12] = lines[12] + b"\r"
    content = b"\n".join(lines) + ending
    expected = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    plain, packed = tmp_path / "c.jsonl", tmp_path / "c.jsonl.gz"
    plain.write_bytes(content)
    packed.write_bytes(gzip.compress(content))

    spans = list(CatalogFile(plain).batches())
    assert all(isinstance(b, JsonlSpan) for b in spans) and len(spans) > 5
    assert sum(s.size for s in spans) == len(content)
    assert [item for s in spans for item in s.items()] == expected
    assert all(isinstance(b, JsonlBlock) for b in CatalogFile(packed).batches())
    assert list(CatalogFile(plain)) == list(CatalogFile(packed)) == expected
