"""`sellerkit.Client` and `sellerkit.AsyncClient`: look-ups, tokens, identifier conversion and
scans over one pooled connection, as the API principles ask of clients:

- every call has a timeout (500 ms for look-ups and tokens by default) covering its retries, and
  may name a `fallback` value returned instead of raising when the call fails or times out, so
  the caller keeps working without an answer;
- a 429 (or 503) is retried after the wait the server names (`Retry-After-Ms`, else
  `Retry-After`; else exponential backoff with jitter), when that wait fits in the timeout;
- errors map to classes by status (`sellerkit.sdk.errors`); results are typed dataclasses.

The key travels in the `Authorization` header, never in a URL (where proxies would log it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from sellerkit.sdk import errors as e
from sellerkit.sdk.models import Eligibility, Export, LookupResult, ResultsPage, Scan, ScanList, Tokens

NO_FALLBACK: Any = object()  # the default: raise on failure
DEFAULT_URL = "http://127.0.0.1:8000"
TERMINAL = ("Success", "Error", "Cancelled")


@dataclass
class _Call:
    """One HTTP exchange, described once and run by the sync or the async client."""

    method: str
    path: str
    parse: Callable[[httpx.Response], Any]
    timeout: float
    fallback: Any = NO_FALLBACK
    params: dict | None = None
    json: Any = None
    files: Any = None
    data: Any = None


def _json(r: httpx.Response) -> Any:
    return r.json()


def _codes(value: str | list[str] | tuple[str, ...] | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else ",".join(value)


def _body(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return r.text


class _Base:
    def __init__(self, base_url: str | None = None, key: str | None = None, *, timeout: float = 30.0,
                 lookup_timeout: float = 0.5, max_retries: int = 3, backoff: float = 0.1) -> None:
        self.base_url = (base_url or os.environ.get("SELLERKIT_URL") or DEFAULT_URL).rstrip("/")
        key = key or os.environ.get("SELLERKIT_API_KEY")
        if not key:
            raise ValueError("key: pass the API key (or set SELLERKIT_API_KEY)")
        self._headers = {"Authorization": f"Bearer {key}", "Accept": "application/json",
                         "User-Agent": "sellerkit-python"}
        self.timeout = timeout
        self.lookup_timeout = lookup_timeout
        self.max_retries = max_retries
        self.backoff = backoff

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.base_url!r})"

    @staticmethod
    def _http_options(base_url: str, http2: bool | None) -> dict:
        """HTTP/2 by TLS negotiation by default; `http2=True` also speaks it over cleartext (h2c,
        which `sellerkit serve` answers); `False` keeps HTTP/1.1. Either way one pooled,
        kept-alive connection serves every call."""
        if http2 is None:
            return {"http2": base_url.startswith("https://")}
        if http2 and base_url.startswith("http://"):
            return {"http1": False, "http2": True}
        return {"http2": http2}

    def _retry_wait(self, err: e.APIStatusError, attempt: int, deadline: float) -> float | None:
        """Seconds to wait before trying again, or None when not to."""
        if err.status not in (429, 503) or attempt >= self.max_retries:
            return None
        wait = e.retry_after_seconds(err.headers)
        if wait is None:
            wait = self.backoff * 2**attempt * random.uniform(0.5, 1.0)
        return wait if time.monotonic() + wait < deadline else None

    @staticmethod
    def _outcome(r: httpx.Response, call: _Call) -> Any:
        if r.status_code < 400:
            return call.parse(r)
        raise e.error_from(r.status_code, _body(r), dict(r.headers))

    def _timeout(self, timeout: float | None, default: float) -> float:
        return default if timeout is None else timeout

    # ---- the calls (run by `_run`: a value in Client, an awaitable in AsyncClient) ----------

    def lookup(self, asin: str | list[str] | None = None, upc: str | list[str] | None = None,
               ean: str | list[str] | None = None, domain: str = "com", *, timeout: float | None = None,
               fallback: Any = NO_FALLBACK):
        """ASINScope `GET /products/lookup`: 1 to 10 codes of one type -> `LookupResult`. One token
        per code. Default timeout 500 ms; with `fallback`, that value comes back on any failure."""
        params = {"asin": _codes(asin), "upc": _codes(upc), "ean": _codes(ean), "domain": domain}
        return self._run(_Call("GET", "/products/lookup", lambda r: LookupResult.from_json(r.json()),
                               self._timeout(timeout, self.lookup_timeout), fallback,
                               params={k: v for k, v in params.items() if v is not None}))

    def tokens(self, *, timeout: float | None = None, fallback: Any = NO_FALLBACK):
        """ASINScope `GET /account/tokens` -> `Tokens` (consumes none)."""
        return self._run(_Call("GET", "/account/tokens", lambda r: Tokens.from_json(r.json()),
                               self._timeout(timeout, self.lookup_timeout), fallback))

    def convert(self, ids: list[str], marketplace: str = "US", *, timeout: float | None = None,
                fallback: Any = NO_FALLBACK):
        """RocketSource `POST /api/v3/convert`: UPC/EAN/ISBN -> `{code: [ASIN..., other codes...]}`."""
        return self._run(_Call("POST", "/api/v3/convert", _json, self._timeout(timeout, self.timeout), fallback,
                               json={"marketplace": marketplace, "ids": list(ids)}))

    def asin_convert(self, asins: list[str], marketplace: str = "US", *, timeout: float | None = None,
                     fallback: Any = NO_FALLBACK):
        """RocketSource `POST /api/v3/asin-convert`: ASIN -> `{upc: [...], ean: [...], ...}`."""
        return self._run(_Call("POST", "/api/v3/asin-convert", _json, self._timeout(timeout, self.timeout),
                               fallback, json={"marketplace": marketplace, "asins": list(asins)}))

    def inbound_eligibility(self, asins: list[str], marketplace: str = "US", *, timeout: float | None = None,
                            fallback: Any = NO_FALLBACK):
        """RocketSource `GET /api/v3/inbound-eligibility`: 1 to 100 ASINs -> `[Eligibility]`, in
        the order asked (Amazon's answer where SP-API is connected, else the catalog's estimate)."""
        return self._run(_Call("GET", "/api/v3/inbound-eligibility",
                               lambda r: [Eligibility.from_json(item) for item in r.json()],
                               self._timeout(timeout, self.timeout), fallback,
                               params={"asins": _codes(asins), "marketplace": marketplace}))

    def _run(self, call: _Call):  # pragma: no cover - defined by each client
        raise NotImplementedError


class _ScansBase:
    """RocketSource scans; the one-exchange calls are shared by both clients."""

    def __init__(self, client: _Base) -> None:
        self._c = client

    def upload(self, file: str | Path | bytes | IO[bytes], *, mapping: dict | None = None, marketplace: str = "US",
               name: str | None = None, options: dict | None = None, filename: str | None = None,
               timeout: float = 300.0):
        """Upload a supplier file (CSV, TSV, TXT or XLSX) -> `Scan` (it runs in the background).
        `mapping` defaults to identifiers in column 0 and costs in column 1."""
        if isinstance(file, (str, Path)):
            path = Path(file)
            content, filename = path.read_bytes(), filename or path.name
        elif isinstance(file, bytes):
            content = file
        else:
            content = file.read()
        attributes = {"mapping": mapping or {"id": 0, "cost": 1},
                      "options": {"marketplace_id": marketplace, **({"name": name} if name else {}), **(options or {})}}
        return self._c._run(_Call("POST", "/api/v3/scans", lambda r: Scan.from_json(r.json()), timeout,
                                  files={"file": (filename or "upload.csv", content)},
                                  data={"attributes": json.dumps(attributes)}))

    def get(self, scan_id: int, *, timeout: float | None = None):
        return self._c._run(_Call("GET", f"/api/v3/scans/{scan_id}", lambda r: Scan.from_json(r.json()),
                                  self._c._timeout(timeout, self._c.timeout)))

    def list(self, page: int = 1, per_page: int = 25, *, timeout: float | None = None):
        return self._c._run(_Call("GET", "/api/v3/scans", lambda r: ScanList.from_json(r.json()),
                                  self._c._timeout(timeout, self._c.timeout),
                                  params={"page": page, "per_page": per_page}))

    def results(self, scan_id: int, *, page: int = 1, per_page: int = 50, sort: str | None = None,
                filter: list[dict] | dict | None = None, table: str = "products",  # noqa: A002 - the API's name
                timeout: float | None = None):
        """A page of results: `sort` like `-profit`; `filter` items `{name, operator, value}`, or
        their object form `{"cost": {">": 5}, "brand": "Acme"}`."""
        body = {"page": page, "per_page": per_page, "tableType": table}
        body.update({"filters": filter} if isinstance(filter, dict) else {"filter": filter or []})
        if sort:
            body["sort"] = sort
        return self._c._run(_Call("POST", f"/api/v3/scans/{scan_id}", lambda r: ResultsPage.from_json(r.json()),
                                  self._c._timeout(timeout, self._c.timeout), json=body))

    def cancel(self, scan_id: int, *, timeout: float | None = None):
        return self._c._run(_Call("POST", f"/api/v3/scans/{scan_id}/cancel", lambda r: Scan.from_json(r.json()),
                                  self._c._timeout(timeout, self._c.timeout)))

    def rerun(self, scan_id: int, *, timeout: float | None = None):
        """Scan the same file again (matching and prices anew) -> the `Scan`, queued; its results
        stay readable until the new run succeeds. 409 (`Conflict`) while it runs."""
        return self._c._run(_Call("POST", f"/api/v3/scans/{scan_id}/rerun", lambda r: Scan.from_json(r.json()),
                                  self._c._timeout(timeout, self._c.timeout)))

    def recalculate(self, scan_id: int, *, timeout: float | None = None):
        """Fees and financials again with today's fee schedule, without re-matching -> the
        `Scan`, queued. 409 (`Conflict`) while it runs or when it has no results."""
        return self._c._run(_Call("POST", f"/api/v3/scans/{scan_id}/fees-recalculate",
                                  lambda r: Scan.from_json(r.json()), self._c._timeout(timeout, self._c.timeout)))

    def export_sheet(self, scan_id: int, *, query: dict | None = None, table: str = "products",
                     timeout: float = 600.0):
        """Results (the `query` body's filter and sort) to a new Google spreadsheet -> its URL.
        400 (`BadRequest`) when the server has no Google Sheets set up."""
        return self._c._run(_Call("POST", f"/api/v3/scans/{scan_id}/export", lambda r: r.json()["url"], timeout,
                                  params={"table_type": table}, json=query))

    def export(self, export_id: int, *, timeout: float | None = None):
        """A download being prepared in the background -> `Export` (status, progress, url)."""
        return self._c._run(_Call("GET", f"/api/v3/exports/{export_id}", lambda r: Export.from_json(r.json()),
                                  self._c._timeout(timeout, self._c.timeout)))

    def delete(self, scan_id: int, *, timeout: float | None = None):
        return self._c._run(_Call("DELETE", f"/api/v3/scans/{scan_id}", lambda r: None,
                                  self._c._timeout(timeout, self._c.timeout)))

    def _download_call(self, scan_id: int, fmt: str, query: dict | None, background: bool, timeout: float) -> _Call:
        if fmt not in ("csv", "xlsx", "json"):
            raise ValueError(f"fmt: expected csv, xlsx or json, got {fmt!r}")

        def parse(r: httpx.Response):
            return Export.from_json(r.json()) if r.status_code == 202 else r.content

        params = {"type": fmt, **({"background": "true"} if background else {})}
        return _Call("POST", f"/api/v3/scans/{scan_id}/download", parse, timeout, params=params, json=query)


class Scans(_ScansBase):
    def wait(self, scan_id: int, *, poll: float = 1.0, timeout: float = 3600.0) -> Scan:
        """Poll until the scan has finished (Success, Error or Cancelled)."""
        deadline = time.monotonic() + timeout
        while True:
            scan = self.get(scan_id)
            if scan.finished:
                return scan
            if time.monotonic() + poll > deadline:
                raise e.APITimeout(f"scan {scan_id} still {scan.status} after {timeout:g} s")
            time.sleep(poll)

    def download(self, scan_id: int, fmt: str = "csv", *, query: dict | None = None, path: str | Path | None = None,
                 background: bool = False, poll: float = 1.0, timeout: float = 3600.0) -> bytes | Path:
        """Results as CSV, XLSX or JSON bytes (or written to `path`); a download the server
        prepares as a job (large XLSX, `background=True`) is waited for."""
        got = self._c._run(self._download_call(scan_id, fmt, query, background, timeout))
        if isinstance(got, Export):
            deadline = time.monotonic() + timeout
            while got.status == "InProgress":
                if time.monotonic() + poll > deadline:
                    raise e.APITimeout(f"export {got.id} still InProgress after {timeout:g} s")
                time.sleep(poll)
                got = self._c._run(_Call("GET", f"/api/v3/exports/{got.id}", lambda r: Export.from_json(r.json()),
                                         self._c.timeout))
            if got.status != "Success":
                raise e.ServerError(500, f"export {got.id} ended {got.status}: {got.message}")
            got = self._c._run(_Call("GET", f"/api/v3/exports/{got.id}/file", lambda r: r.content, timeout))
        if path is None:
            return got
        Path(path).write_bytes(got)
        return Path(path)


class AsyncScans(_ScansBase):
    async def wait(self, scan_id: int, *, poll: float = 1.0, timeout: float = 3600.0) -> Scan:
        deadline = time.monotonic() + timeout
        while True:
            scan = await self.get(scan_id)
            if scan.finished:
                return scan
            if time.monotonic() + poll > deadline:
                raise e.APITimeout(f"scan {scan_id} still {scan.status} after {timeout:g} s")
            await asyncio.sleep(poll)

    async def download(self, scan_id: int, fmt: str = "csv", *, query: dict | None = None,
                       path: str | Path | None = None, background: bool = False, poll: float = 1.0,
                       timeout: float = 3600.0) -> bytes | Path:
        got = await self._c._run(self._download_call(scan_id, fmt, query, background, timeout))
        if isinstance(got, Export):
            deadline = time.monotonic() + timeout
            while got.status == "InProgress":
                if time.monotonic() + poll > deadline:
                    raise e.APITimeout(f"export {got.id} still InProgress after {timeout:g} s")
                await asyncio.sleep(poll)
                got = await self._c._run(_Call("GET", f"/api/v3/exports/{got.id}",
                                               lambda r: Export.from_json(r.json()), self._c.timeout))
            if got.status != "Success":
                raise e.ServerError(500, f"export {got.id} ended {got.status}: {got.message}")
            got = await self._c._run(_Call("GET", f"/api/v3/exports/{got.id}/file", lambda r: r.content, timeout))
        if path is None:
            return got
        Path(path).write_bytes(got)
        return Path(path)


class Client(_Base):
    """Blocking client. `with Client(url, key) as sk: sk.lookup(asin=["B0..."])`."""

    def __init__(self, base_url: str | None = None, key: str | None = None, *, timeout: float = 30.0,
                 lookup_timeout: float = 0.5, max_retries: int = 3, backoff: float = 0.1,
                 http2: bool | None = None, http_client: httpx.Client | None = None) -> None:
        super().__init__(base_url, key, timeout=timeout, lookup_timeout=lookup_timeout, max_retries=max_retries,
                         backoff=backoff)
        self._http = http_client or httpx.Client(**self._http_options(self.base_url, http2))
        self._owns_http = http_client is None
        self.scans = Scans(self)

    def _run(self, call: _Call) -> Any:
        if call.fallback is NO_FALLBACK:
            return self._attempts(call)
        try:
            return self._attempts(call)
        except e.SellerkitClientError:
            return call.fallback

    def _attempts(self, call: _Call) -> Any:
        deadline = time.monotonic() + call.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise e.APITimeout(f"{call.method} {call.path}: no answer within {call.timeout:g} s")
            try:
                r = self._http.request(call.method, self.base_url + call.path, params=call.params, json=call.json,
                                       files=call.files, data=call.data, headers=self._headers,
                                       timeout=httpx.Timeout(remaining))
            except httpx.TimeoutException:
                raise e.APITimeout(f"{call.method} {call.path}: no answer within {call.timeout:g} s") from None
            except httpx.TransportError as exc:
                raise e.APIConnectionError(f"{call.method} {call.path}: {type(exc).__name__}: {exc}") from None
            try:
                return self._outcome(r, call)
            except e.APIStatusError as err:
                wait = self._retry_wait(err, attempt, deadline)
                if wait is None:
                    raise
            time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncClient(_Base):
    """asyncio client: `async with AsyncClient(url, key) as sk: await sk.lookup(asin=[...])`."""

    def __init__(self, base_url: str | None = None, key: str | None = None, *, timeout: float = 30.0,
                 lookup_timeout: float = 0.5, max_retries: int = 3, backoff: float = 0.1,
                 http2: bool | None = None, http_client: httpx.AsyncClient | None = None) -> None:
        super().__init__(base_url, key, timeout=timeout, lookup_timeout=lookup_timeout, max_retries=max_retries,
                         backoff=backoff)
        self._http = http_client or httpx.AsyncClient(**self._http_options(self.base_url, http2))
        self._owns_http = http_client is None
        self.scans = AsyncScans(self)

    async def _run(self, call: _Call) -> Any:
        if call.fallback is NO_FALLBACK:
            return await self._attempts(call)
        try:
            return await self._attempts(call)
        except e.SellerkitClientError:
            return call.fallback

    async def _attempts(self, call: _Call) -> Any:
        deadline = time.monotonic() + call.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                async with asyncio.timeout(remaining):  # the whole exchange, not each read
                    r = await self._http.request(call.method, self.base_url + call.path, params=call.params,
                                                 json=call.json, files=call.files, data=call.data,
                                                 headers=self._headers, timeout=httpx.Timeout(remaining))
            except (TimeoutError, httpx.TimeoutException):
                raise e.APITimeout(f"{call.method} {call.path}: no answer within {call.timeout:g} s") from None
            except httpx.TransportError as exc:
                raise e.APIConnectionError(f"{call.method} {call.path}: {type(exc).__name__}: {exc}") from None
            try:
                return self._outcome(r, call)
            except e.APIStatusError as err:
                wait = self._retry_wait(err, attempt, deadline)
                if wait is None:
                    raise
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
