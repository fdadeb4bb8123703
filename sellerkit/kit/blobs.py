"""One blob store behind every file sellerkit keeps: the data dir on disk, or an S3 bucket.

Keys are relative '/'-separated paths (`scans/12/source.csv`); a prefix is a folder of keys
(`scans/12` owns `scans/12/...` and never `scans/123/...`). `LocalBlobs` keeps key `k` at
`<data_dir>/k`, written to a temporary file beside it and renamed into place, so a reader never
sees half a file. `S3Blobs` keeps it at `s3://bucket/prefix/k` when `SELLERKIT_BLOB_URL` is
`s3://bucket/prefix`, on the endpoint `SELLERKIT_S3_ENDPOINT_URL` (MinIO, moto, ...; unset: AWS),
with the standard `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` /
`AWS_REGION` credentials.

Library: **obstore** (Python bindings of the Rust `object_store` crate that polars itself uses
for `s3://` paths), not fsspec + s3fs: it streams a file object or an (async) iterator of chunks
into a multipart upload without holding more than the parts in flight; it has sync and async
calls without an event loop of its own (s3fs runs aiobotocore on a private loop thread); it is
one wheel with no botocore dependency; and its errors are typed (`FileNotFoundError`,
`PermissionDeniedError`, `UnauthenticatedError`), which this module turns into `SellerkitError`s
naming the key or bucket and what to check. Polars reads a key itself through `polars_source`
(its own object_store client with the same `storage_options`), no copy through Python.

Every failure is one of: `BlobNotFound` (404, the key is missing), `BlobAccessDenied`,
`BlobStoreUnreachable`, `BlobBucketMissing` (503: the deployment's store is misconfigured or
down) or `BlobKeyInvalid` (a key that is not a plain relative path).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Protocol, Union
from urllib.parse import urlsplit

from sellerkit.errors import Invalid, NotFound, SellerkitError

PART_SIZE = 8 * 1024 * 1024  # multipart part size and local copy block; S3 wants >= 5 MiB parts
SINGLE_PUT = 64 * 1024 * 1024  # bytes in memory up to this size go to S3 in one PUT
READ_CHUNK = 1024 * 1024  # chunks a stream yields (at least this much when the object has it)

Source = Union[IO[bytes], bytes, bytearray, memoryview, Iterable[bytes], AsyncIterable[bytes]]


class BlobKeyInvalid(Invalid):
    pass


class BlobNotFound(NotFound):
    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


class BlobStoreError(SellerkitError):
    """The store itself cannot be used: the deployment must be fixed (503)."""

    status_code = 503


class BlobAccessDenied(BlobStoreError):
    pass


class BlobStoreUnreachable(BlobStoreError):
    pass


class BlobBucketMissing(BlobStoreError):
    pass


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    modified: datetime | None = None


_BAD_KEY = re.compile(r"(^|/)\.{1,2}(/|$)|//|\\|^/|/$|\x00")


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key or _BAD_KEY.search(key):
        raise BlobKeyInvalid(f"blob key {key!r} is not a relative path of '/'-separated names "
                             "(no leading or trailing '/', no '.', '..' or empty parts)")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix is a folder: returned with one trailing '/', or '' for everything."""
    prefix = prefix.strip("/") if isinstance(prefix, str) else prefix
    return "" if prefix == "" else check_key(prefix) + "/"


class Blobs(Protocol):
    """What every store does. Sources of `put` are read in chunks, never whole."""

    def describe(self) -> str: ...
    def put(self, key: str, source: Source, *, part_size: int = PART_SIZE) -> int: ...
    def put_file(self, key: str, path: Path, *, move: bool = False) -> int: ...
    def put_written(self, key: str, write: Callable[[Path], object]) -> int: ...
    def local_copy(self, key: str, cache: Path) -> Path: ...
    async def put_async(self, key: str, source: Source, *, part_size: int = PART_SIZE) -> int: ...
    def stream(self, key: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]: ...
    def stream_async(self, key: str, chunk_size: int = READ_CHUNK) -> AsyncIterator[bytes]: ...
    def read_range(self, key: str, offset: int, length: int) -> bytes: ...
    def read_bytes(self, key: str) -> bytes: ...
    def head(self, key: str) -> BlobInfo: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list(self, prefix: str = "") -> list[BlobInfo]: ...
    def polars_source(self, key: str) -> tuple[str, dict[str, str] | None]: ...
    def check(self) -> None: ...


def _sync_chunks(source: Any, size: int) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), size):
            yield bytes(view[start:start + size])
    elif hasattr(source, "read"):
        while block := source.read(size):
            yield block
    else:
        for block in source:
            yield bytes(block)


class LocalBlobs:
    """Keys as files under `root` (the data dir)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def describe(self) -> str:
        return f"disk {self.root}"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _missing(self, key: str) -> BlobNotFound:
        return BlobNotFound(f"no blob {key!r} in {self.describe()} (no file {self.root / key})", key)

    def _denied(self, key: str, error: OSError) -> BlobAccessDenied:
        return BlobAccessDenied(f"blob {key!r}: permission denied on {error.filename or self.root}; "
                                "check the data dir's owner and mode (SELLERKIT_DATA_DIR)")

    def _temp(self, key: str) -> tuple[Path, IO[bytes]]:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part",
                                                 delete=False)
        except PermissionError as error:
            raise self._denied(key, error) from None
        return path, handle

    @staticmethod
    def _commit(path: Path, handle: IO[bytes]) -> None:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(handle.name, path)

    def put(self, key: str, source: Source, *, part_size: int = PART_SIZE) -> int:
        path, handle = self._temp(key)
        written = 0
        try:
            for block in _sync_chunks(source, part_size):
                handle.write(block)
                written += len(block)
            self._commit(path, handle)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
        return written

    def put_file(self, key: str, path: Path, *, move: bool = False) -> int:
        """A local file as the key; `move` takes the file itself when it is on the same disk."""
        if move:
            target = self.path(key)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                size = Path(path).stat().st_size
                os.replace(path, target)
                return size
            except PermissionError as error:
                raise self._denied(key, error) from None
            except OSError:  # another file system: copied
                pass
        return _put_file(self, key, path, move)

    def put_link(self, key: str, path: Path) -> bool:
        """The file at `path` as the key, without a copy: a hard link, so the file must never
        change in place (files replaced whole, as snapshots are). False where a link cannot be made
        (another file system): the caller then does without."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.link.part")  # `list` skips it, as a write in progress
        try:
            temp.unlink(missing_ok=True)
            os.link(path, temp)
            os.replace(temp, target)
        except OSError:
            temp.unlink(missing_ok=True)
            return False
        return True

    def put_written(self, key: str, write: Callable[[Path], object]) -> int:
        """The file `write(path)` makes, as the key: written beside it by a writer that wants a
        path (polars writes one itself, a Python file object through Python), then committed
        as `put` commits."""
        path, handle = self._temp(key)
        try:
            handle.close()
            write(Path(handle.name))
            with open(handle.name, "rb+") as written:
                self._commit(path, written)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return path.stat().st_size

    def local_copy(self, key: str, cache: Path) -> Path:
        """The key as a file on this machine: on disk, the file itself."""
        if not self.exists(key):
            raise self._missing(key)
        return self.path(key)

    async def put_async(self, key: str, source: Source, *, part_size: int = PART_SIZE) -> int:
        if not hasattr(source, "__aiter__"):
            return await asyncio.to_thread(self.put, key, source, part_size=part_size)
        path, handle = self._temp(key)
        written = 0
        try:
            async for block in source:  # type: ignore[union-attr]
                await asyncio.to_thread(handle.write, block)
                written += len(block)
            await asyncio.to_thread(self._commit, path, handle)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
        return written

    def _open(self, key: str) -> IO[bytes]:
        try:
            return open(self.path(key), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(key) from None
        except PermissionError as error:
            raise self._denied(key, error) from None

    def stream(self, key: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        handle = self._open(key)  # raised here, before the first chunk is asked for

        def chunks() -> Iterator[bytes]:
            with handle:
                while block := handle.read(chunk_size):
                    yield block
        return chunks()

    async def stream_async(self, key: str, chunk_size: int = READ_CHUNK) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._open, key)
        try:
            while block := await asyncio.to_thread(handle.read, chunk_size):
                yield block
        finally:
            handle.close()

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        _check_range(key, offset, length)
        with self._open(key) as handle:
            handle.seek(offset)
            return handle.read(length)

    def read_bytes(self, key: str) -> bytes:
        with self._open(key) as handle:
            return handle.read()

    def head(self, key: str) -> BlobInfo:
        try:
            stat = self.path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(key) from None
        except PermissionError as error:
            raise self._denied(key, error) from None
        if not os.path.isfile(self.path(key)):
            raise self._missing(key)
        return BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, timezone.utc))

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except PermissionError as error:
            raise self._denied(key, error) from None

    def delete_prefix(self, prefix: str) -> int:
        prefix = check_prefix(prefix)
        found = self.list(prefix)
        for info in found:
            self.delete(info.key)
        folder = self.root / prefix if prefix else None
        if folder is not None and folder.is_dir():  # empty folders left by the keys
            for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                _rmdir_if_empty(sub)
            _rmdir_if_empty(folder)
        return len(found)

    def list(self, prefix: str = "") -> list[BlobInfo]:
        prefix = check_prefix(prefix)
        folder = self.root / prefix if prefix else self.root
        if not folder.is_dir():
            return []
        found = []
        for dirpath, _dirs, names in os.walk(folder):
            for name in names:
                if name.startswith(".") and name.endswith(".part"):
                    continue  # a write in progress
                full = Path(dirpath) / name
                stat = full.stat()
                found.append(BlobInfo(full.relative_to(self.root).as_posix(), stat.st_size,
                                      datetime.fromtimestamp(stat.st_mtime, timezone.utc)))
        return sorted(found, key=lambda info: info.key)

    def polars_source(self, key: str) -> tuple[str, dict[str, str] | None]:
        return str(self.path(key)), None

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise BlobAccessDenied(f"blob store {self.describe()} is not writable; check the data "
                                   "dir's owner and mode (SELLERKIT_DATA_DIR)")


def _put_file(store: Blobs, key: str, path: Path, move: bool) -> int:
    with open(path, "rb") as handle:
        written = store.put(key, handle)
    if move:
        Path(path).unlink(missing_ok=True)
    return written


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _check_range(key: str, offset: int, length: int) -> None:
    if offset < 0 or length < 0:
        raise Invalid(f"blob {key!r}: a range needs offset >= 0 and length >= 0, not {offset}, {length}")


class S3Blobs:
    """Keys as objects under `s3://bucket/prefix` through obstore."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 session_token: str | None = None, region: str | None = None,
                 connect_timeout: float = 5.0, timeout: float = 120.0, max_retries: int = 3,
                 retry_timeout: float = 30.0):
        from obstore.store import S3Store

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        config: dict[str, str] = {}
        if endpoint:
            config["endpoint"] = endpoint
        if access_key_id:
            config["access_key_id"] = access_key_id
        if secret_access_key:
            config["secret_access_key"] = secret_access_key
        if session_token:
            config["session_token"] = session_token
        config["region"] = region or "us-east-1"
        self._config = config  # path-style requests (object_store's default), as MinIO and moto want
        client = {"connect_timeout": f"{connect_timeout}s", "timeout": f"{timeout}s"}
        if endpoint and endpoint.startswith("http://"):
            client["allow_http"] = "true"
        self._client = client
        self.store = S3Store(bucket, prefix=self.prefix or None, config=config, client_options=client,
                             retry_config={"max_retries": max_retries,
                                           "retry_timeout": timedelta(seconds=retry_timeout),
                                           "backoff": {"init_backoff": timedelta(milliseconds=100),
                                                       "max_backoff": timedelta(seconds=5), "base": 2}})

    @classmethod
    def from_url(cls, url: str, endpoint: str | None = None, environ: dict | None = None, **options) -> S3Blobs:
        env = os.environ if environ is None else environ
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise Invalid(f"SELLERKIT_BLOB_URL {url!r} is not s3://bucket/prefix")
        return cls(parts.netloc, parts.path, endpoint=endpoint or env.get("AWS_ENDPOINT_URL") or None,
                   access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                   secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
                   session_token=env.get("AWS_SESSION_TOKEN"),
                   region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"), **options)

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint}" if self.endpoint else where

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}/{key}" if self.prefix else f"s3://{self.bucket}/{key}"

    @staticmethod
    def _full(key: str) -> str:
        return key  # the S3Store adds the prefix itself

    # Errors: obstore raises FileNotFoundError for a 404 (a missing key, and a missing bucket on
    # PUT/GET, which say NoSuchBucket), PermissionDeniedError / UnauthenticatedError for 403/401,
    # GenericError for the rest (a connection refused says "error sending request").
    def _error(self, key: str, error: BaseException) -> Exception:
        from obstore import exceptions as ox

        text = str(error)
        if "NoSuchBucket" in text:
            return BlobBucketMissing(f"blob store {self.describe()}: bucket {self.bucket!r} does not exist; "
                                     "create it or fix SELLERKIT_BLOB_URL")
        if isinstance(error, (ox.PermissionDeniedError, ox.UnauthenticatedError)) or \
                "AccessDenied" in text or "403 Forbidden" in text or "InvalidAccessKeyId" in text \
                or "SignatureDoesNotMatch" in text:
            return BlobAccessDenied(f"blob store {self.describe()}: access denied to {key!r}; check "
                                    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and that their policy "
                                    f"allows s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket "
                                    f"on bucket {self.bucket!r}")
        if isinstance(error, FileNotFoundError) or getattr(ox, "NotFoundError", ()) and \
                isinstance(error, ox.NotFoundError):
            return BlobNotFound(f"no blob {key!r} in {self.describe()}", key)
        if "error sending request" in text or "Connect" in text or "timed out" in text.lower() \
                or "dns error" in text.lower():
            return BlobStoreUnreachable(f"blob store {self.describe()} is unreachable (for {key!r}); check "
                                        "SELLERKIT_S3_ENDPOINT_URL and that the S3 server is up and reachable "
                                        "from this machine")
        return BlobStoreError(f"blob store {self.describe()} failed on {key!r}: {_first_line(text)}")

    def _missing_or_bucket(self, key: str, error: BaseException) -> Exception:
        """A HEAD of a missing bucket is a bare 404: ask once more to tell the two apart."""
        mapped = self._error(key, error)
        if isinstance(mapped, BlobNotFound):
            try:
                self.check()
            except BlobStoreError as store_error:
                return store_error
        return mapped

    def put(self, key: str, source: Source, *, part_size: int = PART_SIZE) -> int:
        import obstore

        check_key(key)
        if isinstance(source, (bytes, bytearray, memoryview)) and len(source) <= SINGLE_PUT:
            try:  # one request: a multipart upload costs three and the store then joins the parts
                obstore.put(self.store, self._full(key), bytes(source), use_multipart=False)
            except Exception as error:
                raise self._error(key, error) from None
            return len(source)
        counted = _Counted(_sync_chunks(source, part_size))
        try:
            obstore.put(self.store, self._full(key), counted, use_multipart=True, chunk_size=part_size,
                        max_concurrency=4)
        except Exception as error:
            if counted.error is not None:
                raise counted.error from None
            if isinstance(error, SellerkitError):
                raise
            raise self._error(key, error) from None
        return counted.total

    def put_file(self, key: str, path: Path, *, move: bool = False) -> int:
        return _put_file(self, key, path, move)

    def put_written(self, key: str, write: Callable[[Path], object]) -> int:
        """The file `write(path)` makes in a temporary folder, uploaded as the key."""
        with tempfile.TemporaryDirectory(prefix="sellerkit-put-") as folder:
            path = Path(folder) / "blob"
            write(path)
            return _put_file(self, key, path, move=True)

    def local_copy(self, key: str, cache: Path) -> Path:
        """The key downloaded once to `cache/<key>` (again when the object's size changed), for
        readers that need a file on this machine (XLSX, the streaming CSV reader)."""
        info = self.head(key)
        path = Path(cache) / check_key(key)
        if path.is_file() and path.stat().st_size == info.size:
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)
        try:
            with handle:
                for block in self.stream(key):
                    handle.write(block)
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return path

    async def put_async(self, key: str, source: Source, *, part_size: int = PART_SIZE) -> int:
        import obstore

        check_key(key)
        if hasattr(source, "__aiter__"):
            counted: Any = _CountedAsync(source)  # type: ignore[arg-type]
        else:
            counted = _Counted(_sync_chunks(source, part_size))
        try:
            await obstore.put_async(self.store, self._full(key), counted, use_multipart=True,
                                    chunk_size=part_size, max_concurrency=4)
        except Exception as error:
            if counted.error is not None:
                raise counted.error from None
            if isinstance(error, SellerkitError):
                raise
            raise self._error(key, error) from None
        return counted.total

    def stream(self, key: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        import obstore

        check_key(key)
        try:
            result = obstore.get(self.store, self._full(key))
        except Exception as error:
            raise self._missing_or_bucket(key, error) from None

        def chunks() -> Iterator[bytes]:
            try:
                for block in result.stream(min_chunk_size=chunk_size):
                    yield bytes(block)
            except Exception as error:
                raise self._error(key, error) from None
        return chunks()

    async def stream_async(self, key: str, chunk_size: int = READ_CHUNK) -> AsyncIterator[bytes]:
        import obstore

        check_key(key)
        try:
            result = await obstore.get_async(self.store, self._full(key))
        except Exception as error:
            raise await asyncio.to_thread(self._missing_or_bucket, key, error) from None
        try:
            async for block in result.stream(min_chunk_size=chunk_size):
                yield bytes(block)
        except Exception as error:
            raise self._error(key, error) from None

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        import obstore

        check_key(key)
        _check_range(key, offset, length)
        if length == 0:
            self.head(key)
            return b""
        try:
            return bytes(obstore.get_range(self.store, self._full(key), start=offset, length=length))
        except Exception as error:
            if "Range" in str(error) and not isinstance(error, FileNotFoundError):
                size = self.head(key).size  # past the end: empty, as a file read is
                if offset >= size:
                    return b""
            raise self._missing_or_bucket(key, error) from None

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.stream(key))

    def head(self, key: str) -> BlobInfo:
        import obstore

        check_key(key)
        try:
            meta = obstore.head(self.store, self._full(key))
        except Exception as error:
            raise self._missing_or_bucket(key, error) from None
        return BlobInfo(key, meta["size"], meta.get("last_modified"))

    def exists(self, key: str) -> bool:
        import obstore

        check_key(key)
        try:
            obstore.head(self.store, self._full(key))
        except FileNotFoundError:
            return False  # (a missing bucket too: check() tells them apart, not every miss)
        except Exception as error:
            raise self._error(key, error) from None
        return True

    def delete(self, key: str) -> None:
        import obstore

        check_key(key)
        try:
            obstore.delete(self.store, self._full(key))
        except FileNotFoundError:
            return
        except Exception as error:
            raise self._error(key, error) from None

    def delete_prefix(self, prefix: str) -> int:
        import obstore

        prefix = check_prefix(prefix)
        keys = [info.key for info in self.list(prefix)]
        for start in range(0, len(keys), 1000):  # one DeleteObjects request a thousand
            batch = keys[start:start + 1000]
            try:
                obstore.delete(self.store, [self._full(key) for key in batch])
            except FileNotFoundError:
                pass
            except Exception as error:
                raise self._error(prefix, error) from None
        return len(keys)

    def list(self, prefix: str = "") -> list[BlobInfo]:
        import obstore

        prefix = check_prefix(prefix)
        found = []
        try:
            # obstore lists whole path segments: `scans/1` never matches `scans/12/...`.
            for chunk in obstore.list(self.store, prefix.rstrip("/") or None):
                for meta in chunk:
                    found.append(BlobInfo(meta["path"], meta["size"], meta.get("last_modified")))
        except Exception as error:
            raise self._error(prefix or "/", error) from None
        return sorted(found, key=lambda info: info.key)

    def storage_options(self) -> dict[str, str]:
        """Polars' (object_store's) names for the same configuration."""
        options = {f"aws_{name}": value for name, value in self._config.items()
                   if name in ("access_key_id", "secret_access_key", "session_token", "region")}
        if self.endpoint:
            options["aws_endpoint_url"] = self.endpoint
        if self._client.get("allow_http"):
            options["aws_allow_http"] = "true"
        return options

    def polars_source(self, key: str) -> tuple[str, dict[str, str] | None]:
        return self._url(check_key(key)), self.storage_options()

    def check(self) -> None:
        """One LIST request: raises when the bucket is missing, denied or unreachable."""
        import obstore

        try:
            obstore.list_with_delimiter(self.store, None)
        except Exception as error:
            mapped = self._error("/", error)
            if isinstance(mapped, BlobNotFound):
                mapped = BlobBucketMissing(f"blob store {self.describe()}: bucket {self.bucket!r} does not "
                                           "exist; create it or fix SELLERKIT_BLOB_URL")
            raise mapped from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else "unknown error"


class _Counted:
    """Counts what the source gave, and keeps the source's own error (a client gone, a read
    failing) so that it, not obstore's wrapping of it, is what the caller sees."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self.total = 0
        self.error: BaseException | None = None

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> bytes:
        try:
            block = next(self._chunks)
        except StopIteration:
            raise
        except BaseException as error:
            self.error = error
            raise
        self.total += len(block)
        return block


class _CountedAsync:
    def __init__(self, chunks: AsyncIterable[bytes]):
        self._chunks = chunks.__aiter__()
        self.total = 0
        self.error: BaseException | None = None

    def __aiter__(self) -> _CountedAsync:
        return self

    async def __anext__(self) -> bytes:
        try:
            block = await self._chunks.__anext__()
        except StopAsyncIteration:
            raise
        except BaseException as error:
            self.error = error
            raise
        self.total += len(block)
        return bytes(block)


_stores: dict[tuple, Blobs] = {}
_lock = threading.Lock()


def work_file(settings: Any, suffix: str = "") -> Path:
    """A new empty file of this process's own on its local disk (`<data dir>/work/`), for what is
    checked or written before it is stored or sent (uploads, downloads, exports); the caller
    deletes or stores it."""
    folder = Path(settings.data_dir) / "work"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=suffix)
    os.close(fd)
    return Path(name)


SCRATCH = ("work", "cache")  # folders of the data dir holding only a process's scratch files


def clean_scratch(data_dir: Path, older_than: timedelta = timedelta(hours=6)) -> int:
    """Delete scratch files nobody has touched for `older_than` (left by a process that died
    mid-upload or mid-scan); how many. A live process's files are newer: it writes as it goes."""
    cutoff = datetime.now(timezone.utc).timestamp() - older_than.total_seconds()
    removed = 0
    for name in SCRATCH:
        for path in (Path(data_dir) / name).rglob("*"):
            try:
                if path.is_file() and _last_touched(path) < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:  # gone meanwhile, or not ours to delete
                continue
    return removed


def _last_touched(path: Path) -> float:
    """A file's mtime; a file in a dot-folder (a writer's private scratch) counts as touched when
    its folder last was: a writer may back-date what it writes there (XlsxWriter dated each part
    it zipped 1980 just before zipping and removing it), and a sweep in between would delete it."""
    touched = path.stat().st_mtime
    if path.parent.name.startswith("."):
        touched = max(touched, path.parent.stat().st_mtime)
    return touched


def as_blobs(where: Blobs | Path | str) -> Blobs:
    """A store, or a data dir taken as the store on disk (callers and tests that hold a path)."""
    return LocalBlobs(Path(where)) if isinstance(where, (str, Path)) else where


def blobs_for(settings: Any) -> Blobs:
    """The process's store for these settings (one per configuration, made once)."""
    url = getattr(settings, "blob_url", None)
    endpoint = getattr(settings, "s3_endpoint_url", None)
    env = os.environ
    ident = (url, endpoint, str(settings.data_dir)) if not url else \
        (url, endpoint, env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"))
    with _lock:
        store = _stores.get(ident)
        if store is None:
            store = S3Blobs.from_url(url, endpoint) if url else LocalBlobs(settings.data_dir)
            _stores[ident] = store
        return store
