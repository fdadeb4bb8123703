"""A loaded snapshot holds some product columns narrower than results type them, and gives
them back widened (catalog/snapshot.py `load_products`, `CatalogFrame.widened`)."""

from __future__ import annotations

import polars as pl

from sellerkit.catalog.snapshot import CatalogFrame, KEY_SCHEMA, load_products

PRODUCTS = pl.DataFrame({
    "asin": ["B0A", "B0B", "B0C"],
    "rank": [1, 2_000_000_000, None],
    "buybox_price": [999, 3_000_000_000, 5],  # one price past 32 bits: the column stays wide
    "brand": ["Acme", None, "Acme"],
    "category": ["Toys & Games", "Books", "Toys & Games"],
    "amazon_title": ["a long title that stays as it is", "b", "c"],
})


def _loaded(tmp_path):
    path = tmp_path / "US-1.products.arrow"
    pl.concat([PRODUCTS.slice(0, 2), PRODUCTS.slice(2)], rechunk=False).write_ipc(path)  # two record batches
    return load_products(path, PRODUCTS.columns)


def test_whole_numbers_that_fit_and_few_valued_texts_are_narrowed(tmp_path):
    narrow, types = _loaded(tmp_path)
    assert types == {"rank": pl.Int64, "brand": pl.String, "category": pl.String}
    assert narrow.schema["rank"] == pl.Int32 and narrow.schema["buybox_price"] == pl.Int64
    assert narrow.schema["brand"] == pl.Categorical and narrow.schema["amazon_title"] == pl.String
    assert narrow.estimated_size() < PRODUCTS.estimated_size() and max(narrow.n_chunks("all")) == 1


def test_rows_taken_from_it_are_widened_to_what_was_built(tmp_path):
    narrow, types = _loaded(tmp_path)
    catalog = CatalogFrame("US", 1, narrow, pl.DataFrame(schema=KEY_SCHEMA), narrowed=types)
    taken = catalog.widened(narrow.select(pl.all().gather([2, 0])))
    assert taken.schema == PRODUCTS.schema
    assert taken.equals(PRODUCTS.select(pl.all().gather([2, 0])))
    figures = pl.DataFrame({"amazon_fees.total": pl.Series([1], dtype=pl.Int32)})
    assert catalog.widened(figures).equals(figures)  # columns it did not narrow are left as they are
