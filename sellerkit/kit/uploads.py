"""Files in and out of a request: an upload written to this machine's disk under a size limit,
a prepared file streamed to the client then removed, and a file sent as it is written. Shared by
the API and the dashboard."""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import HTTPException, Request, UploadFile
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException, MultiPartParser

from sellerkit.errors import PayloadTooLarge
from sellerkit.kit.blobs import work_file

COPY_BLOCK = 4 << 20
UPLOAD_BLOCK = 1 << 20  # an upload's bytes held in memory before they are written (Starlette spools 1 MB)


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


SENT_BLOCK = 1 << 20  # what a writer's bytes are gathered into before they are sent
SENT_AHEAD = 8  # blocks written and not yet sent, at most: a slow client holds back the writer


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Pipe:
    """What a writer thread writes, in blocks for the response to send, at most `SENT_AHEAD` of
    them apart; once the response stops reading (the client left), the writer's next write
    fails and it stops."""

    def __init__(self) -> None:
        self._blocks: queue.Queue = queue.Queue(maxsize=SENT_AHEAD)
        self._pending = bytearray()
        self._abandoned = threading.Event()

    def write(self, data: bytes) -> int:
        self._pending += data
        if len(self._pending) >= SENT_BLOCK:
            self._put(bytes(self._pending))
            self._pending.clear()
        return len(data)

    def flush(self) -> None:
        pass

    def end(self, error: BaseException | None = None) -> None:
        try:
            if self._pending and error is None:
                self._put(bytes(self._pending))
            self._put(_End(error))
        except BrokenPipeError:
            pass

    def get(self) -> bytes | _End:
        return self._blocks.get()

    def abandon(self) -> None:
        self._abandoned.set()
        try:  # a `get` left waiting on an empty pipe by the response that stopped returns
            self._blocks.put_nowait(_End(None))
        except queue.Full:  # nothing is waiting on a full one
            pass

    def _put(self, item: bytes | _End) -> None:
        while not self._abandoned.is_set():
            try:
                self._blocks.put(item, timeout=0.25)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("the response is no longer being read")


async def sent_as_written(write: Callable[[Any], object]) -> AsyncIterator[bytes]:
    """The bytes `write(file)` writes, sent while it writes them (a thread of its own): a large
    export's first bytes leave at once, and preparing it overlaps sending it, instead of the file
    written whole first (a 785 MiB CSV over HTTP: 10.6 -> 7.5-8.6 s on a slow 2-core machine).
    A failure after the first bytes ends the response unfinished, which clients report, rather
    than short."""
    pipe = _Pipe()

    def run() -> None:
        try:
            write(pipe)
        except BaseException as exc:  # noqa: BLE001 - handed to the response, which raises it
            pipe.end(exc)
        else:
            pipe.end()

    threading.Thread(target=run, name="sent-as-written", daemon=True).start()
    try:
        while not isinstance(item := await run_in_threadpool(pipe.get), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        pipe.abandon()


class WorkUpload(UploadFile):
    """A file part of a form written straight to a work file on this machine's disk, a block at
    a time from the event loop to a worker thread (which also creates the file), and refused
    (413) past `limit` bytes as it arrives. Starlette spools a file part to a temporary file
    through a thread hop per network read (64 KB), which the route then copied to its work file:
    twice the disk writes and about 0.2 s more for a 90 MB file."""

    def __init__(self, settings: Any, limit: int, filename: str | None, headers: Headers) -> None:
        super().__init__(file=None, size=0, filename=filename, headers=headers)  # type: ignore[arg-type]
        self.settings, self.limit = settings, limit
        self.path: Path | None = None
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._kept = False

    @property
    def _in_memory(self) -> bool:
        return False

    async def write(self, data: bytes) -> None:
        self.size = (self.size or 0) + len(data)
        if self.size > self.limit:
            raise PayloadTooLarge(f"file: larger than the upload limit of {self.limit // 1_000_000} MB")
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= UPLOAD_BLOCK:
            await self._flush()

    async def _flush(self) -> None:
        block = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        await run_in_threadpool(self._write, block)

    def _write(self, block: bytes) -> None:
        if self.file is None:
            self.path = work_file(self.settings, ".upload")
            self.file = open(self.path, "w+b")  # noqa: SIM115 - closed by `close`
        self.file.write(block)

    async def seek(self, offset: int) -> None:  # the parser's "part complete"
        await self._flush()
        await super().seek(offset)

    def keep(self) -> Path:
        """The work file, now the caller's (it removes or stores it)."""
        assert self.path is not None, "the form's parser completes every file part"
        self._kept = True
        return self.path

    async def close(self) -> None:
        await run_in_threadpool(self._discard)

    def _discard(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.path is not None and not self._kept:
            self.path.unlink(missing_ok=True)


class _WorkFileParser(MultiPartParser):
    """Starlette's multipart parser with its file parts as `WorkUpload`s."""

    def __init__(self, headers: Headers, stream, settings: Any, limit: int) -> None:
        super().__init__(headers, stream)
        self.settings, self.limit = settings, limit
        self.uploads: list[WorkUpload] = []

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        part = self._current_part
        if part.file is not None:  # a file part: starlette's spooled file replaced before any data
            self._files_to_close_on_error.pop().close()
            upload = WorkUpload(self.settings, self.limit, part.file.filename, part.file.headers)
            self.uploads.append(upload)
            part.file = upload


async def read_upload_form(request: Request, settings: Any) -> None:
    """Read a multipart request's form with its files written straight to work files (see
    `WorkUpload`), before FastAPI reads the form: it then takes this one. Another body is left
    to FastAPI."""
    content_type, _ = parse_options_header(request.headers.get("Content-Type"))
    if content_type != b"multipart/form-data":
        return
    parser = _WorkFileParser(request.headers, request.stream(), settings, settings.upload_limit_mb * 1_000_000)
    try:
        request._form = await parser.parse()  # Starlette's cache of the form, which FastAPI reads
    except MultiPartException as exc:
        await _discard(parser.uploads)
        raise HTTPException(status_code=400, detail=exc.message) from None
    except BaseException:
        await _discard(parser.uploads)
        raise


async def _discard(uploads: list[WorkUpload]) -> None:
    for upload in uploads:
        await upload.close()
