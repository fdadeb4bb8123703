"""Issue 22 figure: 1,000 Amazon orders with their items pulled within 1.1x of the minimum the
documented usage plans of getOrders and getOrderItems allow.

Against the fake SP-API (tests/fakes/spapi_server.py, Orders v0 routes: the model examples, the
documented plans enforced per seller with 429s), its every rate multiplied by `SCALE`
(SELLERKIT_BENCH_ORDERS_SCALE, default 100: the 32-minute pull takes about 20 s; the same code
path, only the fake's clock and the budgets' rates are faster). One Amazon channel account of a
fresh SQLite data dir, its SKUs stocked; `order_pulls.pull` from an empty cursor, as the
scheduled job runs it. Every order of the window is checked in afterwards, and the stock taken
equals the units ordered.

The minimum: 1,000 orders are 10 getOrders pages of 100 (rate 0.0167/s, burst 20: all ten in
the burst) and 1,000 getOrderItems calls (rate 0.5/s, burst 30): (1,000 - 30) / 0.5 = 1,940 s at
the documented rates, 19.4 s at x100. The two run at once (the next page is fetched while the
items of this one are asked), so the minimum of the whole pull is the larger of the two."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import report

ORDERS = 1000
SKUS = [f"BENCH-{n}" for n in range(50)]
SCALE = float(os.environ.get("SELLERKIT_BENCH_ORDERS_SCALE", "100"))
GOAL = 1.1


def minimum_seconds(orders: int, scale: float) -> float:
    """The least a pull of `orders` orders (one getOrderItems call each, 100 a getOrders page)
    can take under the documented plans x `scale`."""
    from tests.fakes.spapi_orders import ORDERS_LIMITS

    pages = -(-orders // 100)
    rate, burst = ORDERS_LIMITS["getOrders"]
    listing = max(0.0, pages - burst) / (rate * scale)
    rate, burst = ORDERS_LIMITS["getOrderItems"]
    items = max(0.0, orders - burst) / (rate * scale)
    return max(listing, items)


def run(_products: int = 0) -> None:
    try:
        from tests.fakes.spapi_server import MISSING, EXAMPLES, FakeSpApi
    except ImportError as exc:  # an install without the tests
        report("Amazon orders pull (1,000 orders + items)", "SKIPPED", str(exc))
        return
    if not EXAMPLES.is_dir():
        report("Amazon orders pull (1,000 orders + items)", "SKIPPED", MISSING)
        return
    import sqlalchemy as sa

    from sellerkit.accounts.service import keys
    from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
    from sellerkit.commerce.channels import Live
    from sellerkit.commerce.manifests import Refs, manifests
    from sellerkit.commerce.models import Order, Product
    from sellerkit.commerce.order_pulls import order_pulls
    from sellerkit.commerce.schemas import ManifestIn, MarketplaceAccountIn
    from sellerkit.commerce.service import channel_accounts
    from sellerkit.config import Settings
    from sellerkit.kit.db import Database

    with tempfile.TemporaryDirectory(prefix="sk-bench-channel-orders-") as tmp, \
            FakeSpApi(products=0, seed=22, rate_scale=SCALE) as amazon:
        db = Database(f"sqlite:///{Path(tmp) / 'sellerkit.db'}")
        db.migrate()
        settings = Settings(data_dir=Path(tmp), demo=False, embedded_worker=False,
                            spapi_refresh_token="Atzr|bench-orders", spapi_client_id="amzn1.application-oa2-client.bench",
                            spapi_client_secret="bench", spapi_endpoint=amazon.url, spapi_lwa_url=amazon.token_url)
        with db.session(write=True) as s:
            account_id = keys.create(s, name="bench", plan="pro").account_id
            channel = channel_accounts.create(s, account_id, MarketplaceAccountIn(
                name="Bench", marketplace_account_type="AmazonAccount", marketplace_id="US"))
            channel_id = channel.id
            manifest = manifests.create(s, account_id, ManifestIn.model_validate({
                "name": "stock", "product_listings_attributes": [
                    {"sku": sku, "asin": "B07G22S48Q", "title": sku, "quantity": 100_000, "retail_price": "10.00"}
                    for sku in SKUS]}), Refs(channel_id))
            manifests.claim(s, account_id, manifest.id)
        manifests.submit(db, manifest.id)
        numbers = amazon.add_orders(ORDERS, skus=SKUS, statuses=("Unshipped",))
        budgets = Budgets(MemoryBudgets())
        amazon.seed_budgets(budgets, account_id)
        began = time.perf_counter()
        done = order_pulls.pull(db, Live(db, settings, budgets), channel_id)
        seconds = time.perf_counter() - began
        ordered = sum(i["QuantityOrdered"] for n in numbers for i in amazon.orders_state.items[n])
        with db.session() as s:
            entered = s.scalar(sa.select(sa.func.count()).select_from(Order))
            picked = s.scalar(sa.select(sa.func.sum(Product.awaiting_pick)))
        db.dispose()
        floor = minimum_seconds(ORDERS, SCALE)
        ratio = seconds / floor
        checks = [] if (entered, done.added) == (ORDERS, ORDERS) else [f"ENTERED {entered:,} of {ORDERS:,}"]
        checks += [] if picked == ordered else [f"STOCK {picked:,} picked vs {ordered:,} ordered"]
        report("Amazon orders pull (getOrders + getOrderItems)", f"{seconds:.1f} s = {ratio:.3f}x the minimum",
               f"{ORDERS:,} orders, {amazon.answered('getOrderItems'):,} item calls, {amazon.throttled} 429s; "
               f"limits x{SCALE:g}, minimum {floor:.1f} s",
               f"goal <= {GOAL}x: " + ("PASS" if ratio <= GOAL and not checks else "FAIL") +
               (f" ({'; '.join(checks)})" if checks else ""))


if __name__ == "__main__":
    run()
