"""Catalog-format records for tests (the contract's shape, nothing more)."""

from __future__ import annotations


def product(asin: str, marketplace: str = "US", title: str | None = None, **fields) -> dict:
    return {"marketplace": marketplace, "asin": asin, "title": title or f"Product {asin}", **fields}


# Real codes from ../shared/fixtures/external/identifiers/check_digit_vectors.csv
UPC = "036000291452"
UPC_SP_API = "887276302195"  # B07N4M94X4 in the SP-API catalog example
ISBN10 = "0131103628"
ISBN13 = "9780131103627"
