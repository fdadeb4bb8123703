"""`product_columns`: product_object's nesting for a whole frame, as polars struct columns."""

from __future__ import annotations

import polars as pl

from sellerkit.domain.results import product_columns, product_object


class TestProductColumns:
    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({
            "asin": ["B01", None],
            "financials.profit": [-150, None],
            "dimensions.item_dimensions.weight": [1.5, None],
            "identifiers.upc": [["012345678905"], []],
            "historical.bsr.d30": [9, 8],
            "_rank": [1, 2],
        })

    def test_rows_equal_product_object(self):
        frame = self.frame()
        nested = frame.select(product_columns(frame.columns, historical=True)).to_dicts()
        assert nested == [product_object(row, historical=True) for row in frame.iter_rows(named=True)]

    def test_leaves_out_historical_unless_asked(self):
        assert pl.DataFrame(self.frame()).select(product_columns(self.frame().columns)).columns == [
            "asin", "financials", "dimensions", "identifiers"]
