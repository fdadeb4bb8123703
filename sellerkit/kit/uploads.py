"""Files in and out of a request: an upload copied to this machine's disk under a size limit,
and a prepared file streamed to the client then removed. Shared by the API and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sellerkit.errors import PayloadTooLarge

COPY_BLOCK = 4 << 20


def copy_limited(source: BinaryIO, path: Path, limit: int) -> Path:
    """`source` written to `path`; past `limit` bytes the partial file is removed and the upload
    refused (413) with the limit named, rather than filling the disk first."""
    size = 0
    with open(path, "wb") as out:
        while block := source.read(COPY_BLOCK):
            size += len(block)
            if size > limit:
                break
            out.write(block)
    if size > limit:
        path.unlink(missing_ok=True)
        raise PayloadTooLarge(f"file: larger than the upload limit of {limit // 1_000_000} MB")
    return path


def read_then_delete(path: Path, block: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes, then the file is gone. (A FileResponse with a delete task races the
    server: Granian sends files itself, after the response's background task has run.)"""
    try:
        with open(path, "rb") as fh:
            while data := fh.read(block):
                yield data
    finally:
        path.unlink(missing_ok=True)
