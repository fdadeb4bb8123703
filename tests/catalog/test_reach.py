"""`CatalogFrame.reach`: a scan's codes and ASINs to product rows by binary search, held equal
to the hash join it replaced, on sorted and unsorted catalogs."""

from __future__ import annotations

import random

import polars as pl
import pytest

from sellerkit.catalog.snapshot import CatalogFrame


def _catalog(asins: list[str], pairs: list[tuple[int, int]]) -> CatalogFrame:
    graph = pl.DataFrame(pairs, schema={"key": pl.Int64, "row": pl.UInt32}, orient="row")
    return CatalogFrame("US", 1, pl.DataFrame({"asin": asins}), graph)


def _joined(catalog: CatalogFrame, codes: pl.Series) -> list[tuple[int, int]]:
    """What the scan did before: a hash join, in code order then by ASIN."""
    frame = pl.DataFrame({"code": codes}).with_row_index("at")
    if codes.dtype == pl.String:
        target = catalog.products.select(pl.col("asin").alias("code")).with_row_index("row")
    else:
        target = catalog.graph.rename({"key": "code"})
    found = frame.join(target, on="code", how="inner")
    found = found.with_columns(catalog.products.get_column("asin").gather(found.get_column("row")).alias("_asin"))
    return [(at, row) for at, row, _ in found.sort("at", "_asin").select("at", "row", "_asin").iter_rows()]


@pytest.mark.parametrize("shuffled", [False, True], ids=["built-in-order", "unsorted"])
def test_reach_equals_the_join(shuffled):
    rng = random.Random(7)
    asins = sorted({f"B0{rng.randrange(10**8):08d}" for _ in range(400)})
    rows = list(range(len(asins)))
    keys = [rng.randrange(50) * 10**12 + rng.randrange(1000) for _ in range(300)]
    pairs = sorted({(k, rng.choice(rows)) for k in keys for _ in range(rng.choice([1, 1, 1, 2, 3]))},
                   key=lambda p: (p[0], asins[p[1]]))
    if shuffled:  # a catalog not in the build's order: reach sorts its own copy once
        order = rows[:]
        rng.shuffle(order)
        where = {old: new for new, old in enumerate(order)}
        asins = [asins[i] for i in order]
        pairs = [(k, where[r]) for k, r in pairs]
        rng.shuffle(pairs)
    catalog = _catalog(asins, pairs)
    codes = pl.Series([rng.choice(keys) if rng.random() < 0.7 else rng.randrange(10**13) for _ in range(500)]
                      + [None], dtype=pl.Int64)
    got = catalog.reach(codes)
    assert list(got.iter_rows()) == _joined(catalog, codes)
    assert got.height > 300 and any(n > 1 for n in got.get_column("at").value_counts().get_column("count"))
    wanted = pl.Series([rng.choice(asins) if rng.random() < 0.8 else "B0ZZZZZZZZ" for _ in range(300)] + [None])
    assert list(catalog.reach(wanted).iter_rows()) == _joined(catalog, wanted)


def test_reach_on_an_empty_catalog_and_no_codes():
    empty = _catalog([], [])
    assert empty.reach(pl.Series([1, 2], dtype=pl.Int64)).height == 0
    assert empty.reach(pl.Series(["B000000001"])).height == 0
    catalog = _catalog(["B000000001"], [(5, 0)])
    assert catalog.reach(pl.Series([], dtype=pl.Int64)).height == 0
    assert list(catalog.reach(pl.Series([5, 5, None, 4], dtype=pl.Int64)).iter_rows()) == [(0, 0), (1, 0)]


@pytest.mark.parametrize("keys", [[1, 1, 2, 3, 3, 3, 7], [5], [], [1, 2, 3], [4, 4, 4]])
def test_run_ends_are_where_each_sorted_key_s_run_stops(keys):
    from sellerkit.catalog.snapshot import _run_ends

    column = pl.Series(keys, dtype=pl.Int64)
    assert _run_ends(column).to_list() == column.search_sorted(column, side="right").to_list()
