"""Client values in error messages: a short prefix, never the whole input (issue 15, item 3)."""

from __future__ import annotations

import polars as pl

from sellerkit.domain import identifiers as ids
from sellerkit.domain.quoting import QUOTE_CHARS, quote, quote_expr


class TestQuote:
    def test_short_text_is_quoted_whole_as_json(self):
        assert quote("B0NOPE") == '"B0NOPE"'

    def test_long_text_is_cut_to_a_prefix_with_its_length(self):
        shown = quote("9" * 95_000_000)
        assert shown == '"' + "9" * QUOTE_CHARS + '…" (95,000,000 characters)'

    def test_control_characters_are_escaped(self):
        assert quote("a\nb\x1b[31m") == '"a\\nb\\u001b[31m"'

    def test_numbers_and_literals_are_written_as_json(self):
        assert (quote(5), quote(2.5), quote(True), quote(None)) == ("5", "2.5", "true", "null")

    def test_a_long_list_is_cut_too(self):
        assert len(quote(list(range(100_000)))) < QUOTE_CHARS + 40

    def test_an_identifier_error_quotes_a_prefix_of_a_huge_cell(self):
        try:
            ids.parse("1" * 1_000_000 + "x")
        except ids.InvalidIdentifier as exc:
            assert len(str(exc)) < 400 and "(1,000,001 characters)" in str(exc)
        else:
            raise AssertionError("parse accepted a 1 MB cell")


class TestQuoteExpr:
    def test_polars_messages_quote_the_same_prefix(self):
        cells = ["abc", "9" * 100, None]
        shown = pl.select(quote_expr(pl.lit(pl.Series(cells)))).to_series().to_list()
        assert shown == [quote("abc"), quote("9" * 100), None]
