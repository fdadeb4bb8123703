"""The data behind the dashboard's listings, inventory, orders and tracking pages in `bench.web`:
a manifest of `WEB_LISTINGS` listings (default 5,000) submitted into as many products, `WEB_ORDERS`
orders (default 20,000) and a collection of `WEB_TRACKED` ASINs (default 200) captured
`WEB_RUNS` times (default 10) from the fake storefront, made through the services on the served
app's own database."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

PAGES = ["/listings", "/listings/{manifest}", "/listings/{manifest}?page=50", "/listings/products",
         "/listings/products?page=50", "/listings/products/{product}", "/orders", "/orders?status=shipped",
         "/orders?page=200", "/orders/{order}", "/tracking", "/tracking/{collection}",
         "/tracking/{collection}/items/{item}"]


def setup(env: dict, _base: str, key: dict, context: dict) -> None:
    from sellerkit.commerce.manifests import Refs, manifests
    from sellerkit.commerce.orders_service import orders
    from sellerkit.commerce.schemas import ManifestIn, ProductListingIn
    from sellerkit.config import Settings
    from sellerkit.domain.channel_files import ChannelOrder, ChannelOrderItem
    from sellerkit.kit.db import Database, utcnow
    from sellerkit.tracking.fetcher import close_fetchers
    from sellerkit.tracking.runner import CaptureRun
    from sellerkit.tracking.service import tracking
    from tests.fakes.amazon_pages import FakeAmazon
    from bench.common import report
    from tests.web.commerce_seed import seed_commerce, seed_tracking

    listings, n_orders = int(os.environ.get("WEB_LISTINGS", "5000")), int(os.environ.get("WEB_ORDERS", "20000"))
    tracked, runs = int(os.environ.get("WEB_TRACKED", "200")), int(os.environ.get("WEB_RUNS", "10"))
    data_dir = Path(env["SELLERKIT_DATA_DIR"])
    account = key["account_id"]
    db = Database(f"sqlite:///{data_dir}/sellerkit.db")
    started = time.perf_counter()
    try:
        seeded = seed_commerce(db, account)
        with db.session(write=True) as s:
            big = manifests.create(s, account, ManifestIn(name="Bench restock", product_listings_attributes=[
                ProductListingIn(sku=f"BENCH-{n}", asin=f"B0{n + 10**7:08d}", title=f"Bench item {n}", quantity=3,
                                 item_location=f"BIN-{n % 40}", retail_price="12.50") for n in range(listings)]),
                Refs(seeded.channel_id)).id
            manifests.claim(s, account, big)
        manifests.submit(db, big)
        at = utcnow()
        for start in range(0, n_orders, 1000):
            batch = [(seeded.channel_id, ChannelOrder(
                channel="amazon", order_number=f"222-{n:07d}", status="awaiting_shipment" if n % 3 else "shipped",
                purchased_at=at - timedelta(minutes=n), updated_at=None, currency_code="USD", buyer_username=f"b{n}",
                buyer_name=f"Buyer {n}", total=1250, items=(ChannelOrderItem(
                    sku=f"BENCH-{n % listings}", quantity=1, unit_price=1250, line_total=1250),)))
                for n in range(start, min(start + 1000, n_orders))]
            with db.session(write=True) as s:
                orders.intake(s, account, batch, at)
        collection = seed_tracking(db, account, [f"B0{n + 2 * 10**7:08d}" for n in range(tracked)])
        with db.session(write=True) as s:
            tracking.set_credits(s, account, tracked * runs + 1000)
            product = manifests.listings_page(s, account, big, (None, None), 1, 1)[0][0].product_id
        with FakeAmazon() as amazon:
            settings = Settings(data_dir=data_dir, demo=False, capture_base_urls={"amazon.com": amazon.url},
                                capture_host_rps=100_000)
            for _ in range(runs):
                with db.session(write=True) as s:
                    run_id = tracking.start_run(s, account, collection.collection_id).id
                CaptureRun(db, settings).run(run_id)
            close_fetchers()
    finally:
        db.dispose()
    report("web data (listings, orders, tracking)", f"made in {time.perf_counter() - started:.0f} s",
           f"{listings:,} listings and products, {n_orders:,} orders, {tracked:,} ASINs x {runs} runs")
    context.update(manifest=big, product=product, order=seeded.order_ids[0], collection=collection.collection_id,
                   item=collection.item_ids[0])
