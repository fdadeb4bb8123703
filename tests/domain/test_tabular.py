"""The flat-table rules every spreadsheet export shares."""

from __future__ import annotations

import polars as pl
import pytest

from sellerkit.domain import tabular
from sellerkit.domain.tabular import (
    TRUNCATED_NOTE,
    clip,
    custom_headers,
    excel_sheet_name,
    neutralise,
    neutralise_text,
    tabular_columns,
)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TestNeutralise:
    @pytest.mark.parametrize("trigger", tabular.FORMULA_TRIGGERS)
    def test_prefixes_each_trigger(self, trigger):
        s = pl.Series("t", [f"{trigger}SUM(A1)"])
        assert pl.select(neutralise(pl.lit(s))).item() == f"'{trigger}SUM(A1)"

    def test_leaves_other_text_and_nulls(self):
        s = pl.Series("t", ["B0001", "a=b", " =x", "", None])
        assert pl.select(neutralise(pl.lit(s))).to_series().to_list() == ["B0001", "a=b", " =x", "", None]

    def test_one_string_follows_the_same_rule(self):
        assert [neutralise_text(t) for t in ("=1", "-x", "@", "\tx", "ok")] == ["'=1", "'-x", "'@", "'\tx", "ok"]


class TestClip:
    def test_leaves_text_within_the_limit(self):
        assert pl.select(clip(pl.lit("x" * 100), 100)).item() == "x" * 100

    def test_cuts_longer_text_to_the_limit_with_the_note(self):
        out = pl.select(clip(pl.lit("x" * 101), 100)).item()
        assert len(out) == 100 and out.endswith(TRUNCATED_NOTE)

    def test_counts_utf16_units_as_excel_does(self):
        emoji = "\N{GRINNING FACE}" * 60  # 120 UTF-16 units in 60 characters
        out = pl.select(clip(pl.lit(emoji), 100)).item()
        assert utf16_len(out) <= 100 and out.endswith(TRUNCATED_NOTE)


class TestCustomHeaders:
    def test_uses_the_scans_names_then_numbers(self):
        assert custom_headers(["Colour", None, "  "], 4) == ["Colour", "custom_2", "custom_3", "custom_4"]

    def test_never_repeats_a_header(self):
        assert custom_headers(["asin", "Note", "Note"], 3, taken=["asin"]) == ["asin_2", "Note", "Note_2"]

    def test_neutralises_names_from_the_sellers_file(self):
        assert custom_headers(["=cmd"], 1) == ["'=cmd"]


class TestExcelSheetName:
    @pytest.mark.parametrize("name, expected", [
        ("Results", "Results"),
        ("Scan: a/b [1]?*", "Scan_ a_b _1___"),
        ("'quoted'", "quoted"),
        ("   ", "Sheet"),
        ("History", "History_"),
        ("x" * 40, "x" * 31),
        ("Spring\x07\ttab", "Springtab"),
    ])
    def test_is_a_name_excel_accepts(self, name, expected):
        assert excel_sheet_name(name) == expected

    def test_keeps_the_suffix_within_31_characters(self):
        assert excel_sheet_name("x" * 40, " (2)") == "x" * 27 + " (2)"


class TestTabularColumns:
    def test_nan_becomes_empty(self):
        frame = pl.DataFrame({"dimensions.item_dimensions.length": [float("nan"), 1.5]})
        assert frame.select(tabular_columns(frame)).to_series().to_list() == [None, 1.5]

    def test_keeps_column_order_with_custom_columns_in_place(self):
        frame = pl.DataFrame({"asin": ["a"], "inputs.custom_columns": [["x", "y"]], "flags": [["f"]]})
        assert frame.select(tabular_columns(frame, ["One"])).columns == ["asin", "One", "custom_2", "flags"]

    def test_numbers_are_untouched(self):
        frame = pl.DataFrame({"financials.profit": [-150], "financials.roi": [-25]})
        assert frame.select(tabular_columns(frame)).row(0) == (-150, -25)
