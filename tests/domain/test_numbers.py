"""Numbers by the file's decimal separator: the rule, and the one-value and column paths agreeing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerkit.domain import numbers
from sellerkit.domain.marketplaces import marketplace


def column(texts: list[str], decimal: str) -> list[tuple[int | None, bool]]:
    value, ambiguous = numbers.normalised(pl.col("t"), decimal)
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    return frame.select(numbers.units(value, 2).alias("c"), ambiguous.alias("a")).rows()


def one(text: str, decimal: str) -> tuple[int | None, bool]:
    try:
        value = numbers.parse(text, decimal)
    except numbers.NumberError as exc:
        return None, "ambiguous" in exc.reason
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)), False


class TestDecimalComma:
    @pytest.mark.parametrize("text, cents", [("1.234,50", 123450), ("2.500", 250000), ("1.234.567", 123456700),
                                             ("12,5", 1250), ("3,99", 399), ("1234,5", 123450), (",5", 50),
                                             ("-2.500,10", -250010), ("3.99", 399), ("1234.5678", 123457)])
    def test_reads_grouped_and_decimal_comma_values(self, text, cents):
        assert one(text, ",") == (cents, False) and column([text], ",") == [(cents, False)]

    @pytest.mark.parametrize("text", ["1,234.50", "1.23,4", "12.34.5", "1,2,3", "abc", "", "1.2345,6"])
    def test_refuses_what_is_not_a_number_in_the_locale(self, text):
        assert one(text, ",") == (None, False) and column([text], ",") == [(None, False)]


class TestDecimalPoint:
    @pytest.mark.parametrize("text, cents", [("1,234.50", 123450), ("1,234,567", 123456700), ("2.500", 250),
                                             ("12,5", 1250), ("3,99", 399), ("1234", 123400), ("+7", 700),
                                             ("1e3", 100000), ("0.005", 1), ("-0.005", -1)])
    def test_reads_grouped_and_decimal_point_values(self, text, cents):
        assert one(text, ".") == (cents, False) and column([text], ".") == [(cents, False)]

    @pytest.mark.parametrize("text", ["1,234", "-2,500", "999,000"])
    def test_one_comma_before_three_digits_is_ambiguous(self, text):
        assert one(text, ".") == (None, True) and column([text], ".") == [(None, True)]
        with pytest.raises(numbers.NumberError, match="is ambiguous with decimal '.'"):
            numbers.parse(text, ".")

    @pytest.mark.parametrize("text", ["1.234,50", "1.234.567", "12,34,567", "1,2345.6"])
    def test_refuses_what_is_not_a_number_in_the_locale(self, text):
        assert one(text, ".") == (None, False) and column([text], ".") == [(None, False)]

    def test_refuses_more_than_fifteen_whole_digits(self):
        assert one("1234567890123456", ".") == (None, False) == column(["1234567890123456"], ".")[0]


class TestBothPathsAgree:
    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.text(alphabet="0123456789.,-+", max_size=14), min_size=1, max_size=40),
           st.sampled_from(numbers.DECIMALS))
    def test_any_text(self, texts, decimal):
        assert column(texts, decimal) == [one(t, decimal) for t in texts]

    @settings(max_examples=300, deadline=None)
    @given(st.decimals(min_value=-10**12, max_value=10**12, places=3, allow_nan=False),
           st.sampled_from(numbers.DECIMALS), st.booleans())
    def test_numbers_written_the_way_a_locale_writes_them(self, value, decimal, grouped):
        text = f"{value:,.3f}" if grouped else f"{value:.3f}"
        if decimal == ",":
            text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        got = one(text, decimal)  # with its decimals written out, no value is ambiguous
        assert column([text], decimal) == [got]
        assert got == (int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)), False)


class TestMarketplaceDefault:
    @pytest.mark.parametrize("code", ["DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL", "TR", "BR"])
    def test_continental_marketplaces_default_to_the_decimal_comma(self, code):
        assert marketplace(code).decimal == ","

    @pytest.mark.parametrize("code", ["US", "UK", "CA", "MX", "JP", "AU", "IN", "IE", "SG"])
    def test_the_others_default_to_the_decimal_point(self, code):
        assert marketplace(code).decimal == "."
