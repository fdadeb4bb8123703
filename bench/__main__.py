"""`make bench`: every figure the issues name, one line each, with data size and machine."""

from __future__ import annotations

import argparse

from bench import (catalog, channel_listings, channel_orders, commerce, exports, fees, hostile, lookup, memory, providers, scaleout, scans,
                   tracking, web)
from bench.common import machine

SUITES = {"catalog": catalog.run, "lookup": lookup.run, "fees": fees.run, "scans": scans.run, "exports": exports.run,
          "hostile": hostile.run, "providers": providers.run, "scaleout": scaleout.run, "commerce": commerce.run,
          "channel_orders": channel_orders.run, "channel_listings": channel_listings.run,
          "tracking": tracking.run, "web": web.run, "memory": memory.run}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=sorted(SUITES), action="append")
    parser.add_argument("--products", type=int, default=catalog.PRODUCTS, help="catalog size")
    args = parser.parse_args()
    print(f"# sellerkit benchmarks on {machine()}")
    for name in args.only or SUITES:
        SUITES[name](args.products)


if __name__ == "__main__":
    main()
