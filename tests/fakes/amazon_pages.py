"""A fake Amazon storefront: a real HTTP/1.1 server on 127.0.0.1 (asyncio, in a thread) serving
product pages at `/dp/{ASIN}` and the delivery-location call, for tests and benches.

    with FakeAmazon(latency=0.05) as amazon:
        settings = Settings(capture_base_urls={"amazon.com": amazon.url}, ...)
        amazon.blocked["B000000001"] = 1   # the next fetch of it gets the robot check
        amazon.failing["B000000002"] = 2   # the next two get a 503
        amazon.missing.add("B000000003")   # 404
        amazon.slow["B000000004"] = 3.0    # answers after 3 s
        amazon.malformed.add("B000000005") # 200 with bytes that are no page

Pages: the saved pages of ../shared/fixtures/external/amazon-product-pages/us for their ASINs
(read in place), and for any other ASIN a small product page generated from the ASIN (its price,
rank and stock derived from it, `price_of`), with the delivery message of the location cookie.
`prices` overrides an ASIN's price (to see changes between runs). Counters: `hits[asin]`,
`location_calls`, `most_in_flight` (product pages answered at once).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import Counter
from pathlib import Path

import orjson

from tests.conftest import FIXTURES

SAVED = FIXTURES / "amazon-product-pages" / "us"
CAPTCHA = SAVED / "captcha.html"
_CAPTCHA_FALLBACK = (b"<html><body><form action=\"/errors/validateCaptcha\">Type the characters you see"
                     b"</form></body></html>")


def price_of(asin: str) -> int:
    """The generated page's price of an ASIN, in cents."""
    return 500 + int(hashlib.sha1(asin.encode()).hexdigest()[:6], 16) % 9500


def generated_page(asin: str, cents: int, zipcode: str | None) -> bytes:
    h = int(hashlib.sha1(asin.encode()).hexdigest()[6:12], 16)
    stock = "In Stock." if h % 7 else "Only 3 left in stock - order soon."
    where = f"<div id=\"glow-ingress-line2\">New York {zipcode}</div>" if zipcode else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Product {asin}</title></head><body>
{where}<span id="productTitle">Test product {asin}</span>
<a id="bylineInfo" href="/brand">Visit the Brand{h % 50} Store</a>
<div id="corePrice_feature_div"><span class="a-price"><span class="a-offscreen">${cents // 100:,}.{cents % 100:02d}</span></span></div>
<div id="availability"><span>{stock}</span></div>
<span id="acrPopover" title="{3 + h % 20 / 10:.1f} out of 5 stars"></span>
<span id="acrCustomerReviewText">{h % 20000:,} ratings</span>
<div id="merchant-info">Ships from and sold by {'Amazon.com' if h % 3 == 0 else 'Acme Store'}.</div>
<div id="olp_feature_div">New ({1 + h % 9}) from $1.00</div>
<div id="feature-bullets"><ul><li><span class="a-list-item">Feature one of {asin}</span></li></ul></div>
<div id="altImages"><ul><li class="item"><img src="https://m.media-amazon.com/images/I/{asin}.jpg"></li></ul></div>
<div id="detailBullets_feature_div"><ul>
<li><span class="a-list-item"><span class="a-text-bold">ASIN :</span><span>{asin}</span></span></li>
<li><span class="a-list-item"><span class="a-text-bold">Best Sellers Rank:</span><span>#{1 + h % 90000:,} in Toys &amp; Games (See Top 100) #{1 + h % 500} in Puzzles</span></span></li>
</ul></div>
<div id="mir-layout-DELIVERY_BLOCK">FREE delivery Tuesday{' to ' + zipcode if zipcode else ''}</div>
</body></html>""".encode()


class FakeAmazon:
    def __init__(self, latency: float = 0.0, saved: Path = SAVED) -> None:
        self.latency = latency
        self.saved = {p.stem: p for p in (saved / "details").glob("*.html")} if saved.exists() else {}
        self.blocked: dict[str, int] = {}
        self.failing: dict[str, int] = {}
        self.missing: set[str] = set()
        self.slow: dict[str, float] = {}
        self.malformed: set[str] = set()
        self.prices: dict[str, int] = {}
        self.refuse_postcodes: set[str] = set()
        self.hits: Counter = Counter()
        self.in_flight = self.most_in_flight = 0  # product pages being answered at once, and the most seen
        self.location_calls = 0
        self._captcha = CAPTCHA.read_bytes() if CAPTCHA.exists() else _CAPTCHA_FALLBACK
        self._cache: dict[str, bytes] = {}
        self._writers: set[asyncio.StreamWriter] = set()  # open connections, closed at the end
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self.url = ""

    def __enter__(self) -> FakeAmazon:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0,
                                                                              backlog=1024))
            self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True, name="fake-amazon")
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        async def stop() -> None:  # every connection's handler ends before the loop closes
            self._server.close()
            for writer in list(self._writers):
                writer.close()  # its handler reads the end of the stream and returns
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            done, late = await asyncio.wait(handlers, timeout=5) if handlers else (set(), set())
            for task in late:  # still sleeping out a slow answer
                task.cancel()
            if late:
                await asyncio.wait(late)
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0) or 0))
                status, ctype, payload, extra = await self._answer(method, path, headers, body)
                head = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", f"Content-Length: {len(payload)}", *extra]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _zipcode(self, headers: dict) -> str | None:
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "sk-location":
                return value
        return None

    async def _answer(self, method: str, path: str, headers: dict, body: bytes):
        html = "text/html; charset=utf-8"
        if path == "/":
            return 200, html, b"<html>home</html>", ["Set-Cookie: session-id=123-4567; Path=/"]
        if path.startswith("/portal-migration/hz/glow/address-change"):
            self.location_calls += 1
            zipcode = str(orjson.loads(body or b"{}").get("zipCode", ""))
            if "session-id" not in headers.get("cookie", "") or zipcode in self.refuse_postcodes:
                return 200, "application/json", b'{"isValidAddress":0}', []
            return 200, "application/json", b'{"isValidAddress":1}', [f"Set-Cookie: sk-location={zipcode}; Path=/"]
        if not path.startswith("/dp/"):
            return 404, html, b"<html>Page Not Found</html>", []
        asin = path[4:].split("/")[0].split("?")[0]
        self.hits[asin] += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            if asin in self.slow:
                await asyncio.sleep(self.slow[asin])
        finally:
            self.in_flight -= 1
        if self.blocked.get(asin, 0) > 0:
            self.blocked[asin] -= 1
            return 503, html, self._captcha, []
        if self.failing.get(asin, 0) > 0:
            self.failing[asin] -= 1
            return 503, html, b"<html>Service Unavailable</html>", []
        if asin in self.missing:
            return 404, html, b"<html>Sorry, we couldn't find that page</html>", []
        if asin in self.malformed:
            return 200, "text/html", b"\x00\xff<<<" + asin.encode() + b"\x9c\x00", []
        if asin in self.saved and asin not in self.prices:
            if asin not in self._cache:
                self._cache[asin] = self.saved[asin].read_bytes()
            return 200, html, self._cache[asin], []
        return 200, html, generated_page(asin, self.prices.get(asin, price_of(asin)), self._zipcode(headers)), []


def main() -> None:
    """`python -m tests.fakes.amazon_pages LATENCY`: serve (generated pages only) until stdin
    closes, the URL on the first line of stdout: a storefront in a process of its own (benches)."""
    import sys

    with FakeAmazon(latency=float(sys.argv[1]), saved=Path("/nonexistent")) as amazon:
        print(amazon.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
