"""Tests for sellerkit.domain.filters: parsing, units, operators per kind, nulls, sorts, pages."""

from __future__ import annotations

import math

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerkit.domain import filters
from sellerkit.domain.filters import (
    ALLOWED,
    MAX_PER_PAGE,
    Filter,
    FilterError,
    Sort,
    filter_expr,
    first_row,
    parse_filters,
    parse_sort,
    select_page,
)
from sellerkit.domain.results import ALL_PRODUCT_FIELDS, ERROR_FIELDS, Kind, dtype

DTYPES = {kind: dtype(kind) for kind in Kind}


def frame(columns: dict[str, list], table: str = "products") -> pl.DataFrame:
    """A result frame with the schema's dtypes; ids 1..n unless given."""
    fields = ALL_PRODUCT_FIELDS if table == "products" else ERROR_FIELDS
    n = len(next(iter(columns.values())))
    columns = {"id": list(range(1, n + 1)), **columns}
    return pl.DataFrame(columns, schema={name: DTYPES[fields[name]] for name in columns})


def f(name: str, operator: str, value: object = None) -> dict:
    item = {"name": name, "operator": operator}
    if value is not None:
        item["value"] = value
    return item


def ids(data: pl.DataFrame, *items: dict) -> list[int]:
    return data.filter(filter_expr(parse_filters(list(items))))["id"].to_list()


def one(item: dict, table: str = "products") -> Filter:
    return parse_filters([item], table)[0]


def error(items: object, table: str = "products", columns=None) -> str:
    with pytest.raises(FilterError) as caught:
        parse_filters(items, table, columns)
    return str(caught.value)


# --------------------------------------------------------------------------- parsing


class TestFieldNames:
    def test_short_names_resolve_to_dotted_columns(self):
        assert one(f("profit", ">", 5)).column == "financials.profit"
        assert one(f("roi", ">", 0.1)).column == "financials.roi"

    def test_dotted_names_are_accepted_in_any_case(self):
        assert one(f("Financials.Profit", ">", 5)).column == "financials.profit"

    def test_field_is_accepted_in_place_of_name(self):
        item = {"field": "brand", "operator": "=", "value": "x"}
        assert parse_filters([item])[0].column == "brand"

    def test_errors_table_has_its_own_fields(self):
        assert one(f("reason", "contains", "asin"), table="errors").column == "reason"

    def test_errors_table_rejects_product_fields(self):
        assert 'unknown field "profit"' in error([f("profit", ">", 1)], table="errors")


class TestOperatorParsing:
    @pytest.mark.parametrize("spelled, symbol", [
        ("eq", "="), ("==", "="), ("ne", "!="), ("neq", "!="), ("gt", ">"), ("gte", ">="),
        ("lt", "<"), ("lte", "<="), ("not_in", "not_in"), ("NOT CONTAINS", "not_contains"),
        ("is empty", "is_empty"), ("IS_NOT_EMPTY", "is_not_empty"),
    ])
    def test_spelled_aliases_map_to_one_operator(self, spelled, symbol):
        assert one(f("amazon_title", spelled, "x")).operator == symbol

    def test_is_empty_needs_no_value(self):
        assert one(f("brand", "is_empty")).value is None

    def test_a_single_object_is_one_filter(self):
        assert len(parse_filters({"name": "rank", "operator": "<", "value": 5})) == 1

    def test_no_filter_is_an_empty_list(self):
        assert parse_filters(None) == []


class TestValues:
    def test_dollars_become_cents(self):
        assert one(f("profit", ">", 5)).value == 500

    @pytest.mark.parametrize("dollars, cents", [(5.255, 526), (-5.255, -526), (5.254, 525),
                                                (0.005, 1), (24.99, 2499)])
    def test_dollars_round_half_away_from_zero(self, dollars, cents):
        assert one(f("buybox_price", ">=", dollars)).value == cents

    def test_numeric_strings_are_numbers(self):
        assert one(f("profit", ">", " 12.5 ")).value == 1250

    def test_ratio_decimals_become_basis_points(self):
        assert one(f("roi", ">", 0.25)).value == 2500
        assert one(f("margin", "<", "0.305")).value == 3050

    def test_whole_number_fields_take_integral_numbers_and_strings(self):
        assert one(f("rank", "<", "5000")).value == 5000
        assert one(f("rank", "<", 5000.0)).value == 5000

    def test_float_fields_keep_fractions(self):
        assert one(f("dimensions.package_dimensions.weight", ">", "1.25")).value == 1.25

    @pytest.mark.parametrize("raw", [True, "true", " TRUE ", 1, "1"])
    def test_truthy_spellings(self, raw):
        assert one(f("is_hazmat", "=", raw)).value is True

    @pytest.mark.parametrize("raw", [False, "false", "False", 0, "0"])
    def test_falsy_spellings(self, raw):
        assert one(f("is_hazmat", "=", raw)).value is False

    def test_in_takes_a_list(self):
        assert one(f("profit", "in", [1, "2.5"])).value == (100, 250)

    def test_in_takes_comma_separated_text(self):
        assert one(f("brand", "in", "Sony, LEGO,,")).value == ("sony", "lego")

    def test_text_values_are_lower_cased(self):
        assert one(f("brand", "=", "SoNy")).value == "sony"

    def test_numbers_are_accepted_as_text(self):
        assert one(f("inputs.identifier", "=", 12345)).value == "12345"


class TestFilterErrors:
    def test_is_a_value_error(self):
        assert issubclass(FilterError, ValueError)

    def test_unknown_field_names_position_and_suggests(self):
        message = error([f("rank", "<", 5), f("profitt", ">", 5)])
        assert message == 'filter[1].name: unknown field "profitt"; did you mean "profit"?'

    def test_unknown_field_without_a_close_match_has_no_suggestion(self):
        assert error([f("zzzzzz", ">", 5)]) == 'filter[0].name: unknown field "zzzzzz"'

    def test_missing_field_name(self):
        assert error([{"operator": ">", "value": 5}]) == "filter[0].name: missing field name"

    def test_unknown_operator_lists_the_allowed_ones(self):
        message = error([f("profit", "like", 5)])
        assert message.startswith('filter[0].operator: unknown operator "like"; use one of =, !=')
        assert "is_not_empty" in message

    def test_missing_operator(self):
        assert error([{"name": "profit", "value": 5}]).startswith(
            "filter[0].operator: missing operator")

    def test_operator_that_does_not_apply_to_the_kind(self):
        assert error([f("is_hazmat", ">", 1)]) == (
            "filter[0].operator: > does not apply to is_hazmat, a true/false field; "
            "use one of =, !=, is_empty, is_not_empty")

    @pytest.mark.parametrize("name, operator", [("profit", "contains"), ("flags", "<"),
                                                ("rank", "not_contains")])
    def test_operators_rejected_per_kind(self, name, operator):
        assert "does not apply to" in error([f(name, operator, "1")])

    def test_wrong_value_type_names_field_and_unit(self):
        assert error([f("financials.profit", ">", "abc")]) == (
            'filter[0].value: expected a number of dollars for financials.profit, got "abc"')

    def test_percent_text_is_not_a_ratio(self):
        assert error([f("roi", ">", "25%")]) == (
            'filter[0].value: expected a decimal ratio (0.25 = 25%) for financials.roi, '
            'got "25%"')

    def test_boolean_is_not_a_number(self):
        assert "expected a number of dollars for financials.profit, got true" in error(
            [f("profit", ">", True)])

    def test_two_is_not_a_boolean(self):
        assert error([f("is_adult", "=", 2)]) == (
            "filter[0].value: expected true or false for is_adult, got 2")

    def test_fraction_for_a_whole_number_field(self):
        assert error([f("rank", ">", 1.5)]) == (
            "filter[0].value: expected a whole number for rank, got 1.5")

    def test_missing_value(self):
        assert error([f("profit", ">")]) == (
            "filter[0].value: missing value for financials.profit >; "
            "to match rows without a value use is_empty")

    def test_list_for_a_single_valued_operator(self):
        assert "expected a single value for brand =, got a list; use in" in error(
            [f("brand", "=", ["a", "b"])])

    def test_bad_element_of_an_in_list_names_its_index(self):
        assert error([f("profit", "in", [1, "x"])]) == (
            'filter[0].value[1]: expected a number of dollars for financials.profit, got "x"')

    def test_empty_in_list(self):
        assert error([f("brand", "in", [])]) == "filter[0].value: expected at least one value"

    def test_non_finite_numbers(self):
        assert "expected a number of dollars" in error([f("profit", ">", "NaN")])

    def test_out_of_range_numbers(self):
        assert error([f("profit", ">", 1e30)]) == (
            "filter[0].value: 1e+30 is out of range for financials.profit")

    def test_item_that_is_not_an_object(self):
        assert error([5]).startswith("filter[0]: expected an object with name, operator and value")

    def test_filter_that_is_not_a_list(self):
        assert error("profit>5") == 'filter: expected a list of filter objects, got "profit>5"'

    def test_object_value_for_text(self):
        assert error([f("brand", "=", {"a": 1})]) == (
            'filter[0].value: expected text for brand, got {"a": 1}')


# --------------------------------------------------------------------------- operators


NUMBERS = frame({
    "financials.profit": [100, 500, 501, None, -250],
    "financials.roi": [1000, 2500, 3000, 4000, None],
    "rank": [10, 20, None, 40, 50],
    "dimensions.package_dimensions.weight": [0.5, 1.5, float("nan"), None, 2.0],
})


class TestObjectForm:
    """The official TypeScript client's `filters` object: the same items as the list form."""

    def parsed(self, form: dict) -> list[tuple]:
        return [(x.column, x.operator, x.value) for x in parse_filters(form, key="filters")]

    def test_operators_under_a_field_are_items_anded(self):
        assert self.parsed({"cost": {">": 5, "<=": 10}}) == self.parsed_list(
            [f("cost", ">", 5), f("cost", "<=", 10)])

    def test_a_bare_value_is_equals(self):
        assert self.parsed({"brand": "Acme"}) == self.parsed_list([f("brand", "=", "Acme")])

    def test_a_list_is_in(self):
        assert self.parsed({"brand": ["A", "B"]}) == self.parsed_list([f("brand", "in", ["A", "B"])])

    def test_null_is_is_empty(self):
        assert self.parsed({"brand": None}) == self.parsed_list([f("brand", "is_empty")])

    def test_selects_the_rows_the_list_form_selects(self):
        data = frame({"inputs.cost": [300, 700, 1200], "brand": ["Acme", "acme", "Other"]})
        chosen = filter_expr(parse_filters({"cost": {">": 5}, "brand": "ACME"}, key="filters"))
        assert data.filter(chosen)["id"].to_list() == ids(data, f("cost", ">", 5), f("brand", "=", "ACME")) == [2]

    def test_an_unknown_field_is_named_where_it_was_written(self):
        with pytest.raises(FilterError, match=r"^filters\.costt\.>\.name: unknown field"):
            parse_filters({"costt": {">": 1}}, key="filters")

    def test_an_unknown_operator_is_named_where_it_was_written(self):
        with pytest.raises(FilterError, match=r"^filters\.cost\.about\.operator: unknown operator"):
            parse_filters({"cost": {"about": 1}}, key="filters")

    def test_no_operators_under_a_field_is_an_error(self):
        with pytest.raises(FilterError, match=r"^filters\.cost: expected operators"):
            parse_filters({"cost": {}}, key="filters")

    def test_more_operators_in_all_than_the_cap_is_an_error(self):
        with pytest.raises(FilterError, match=r"^filters: 51 filters; send at most 50"):
            parse_filters({"cost": {f"op{i}": 1 for i in range(51)}}, key="filters")

    def test_an_item_with_a_name_is_still_one_list_item(self):
        assert self.parsed({"name": "cost", "operator": ">", "value": 5}) == self.parsed_list([f("cost", ">", 5)])

    @staticmethod
    def parsed_list(items: list[dict]) -> list[tuple]:
        return [(x.column, x.operator, x.value) for x in parse_filters(items)]


class TestNumberFilters:
    @pytest.mark.parametrize("operator, dollars, expected", [
        ("=", 5, [2]), ("!=", 5, [1, 3, 4, 5]), (">", 5, [3]), (">=", 5, [2, 3]),
        ("<", 5, [1, 5]), ("<=", 5.01, [1, 2, 3, 5]),
    ])
    def test_money_compares_in_dollars(self, operator, dollars, expected):
        assert ids(NUMBERS, f("profit", operator, dollars)) == expected

    def test_negative_dollars(self):
        assert ids(NUMBERS, f("profit", "<", "-2.49")) == [5]

    @pytest.mark.parametrize("operator, ratio, expected", [
        ("=", 0.25, [2]), (">", 0.25, [3, 4]), ("<=", "0.3", [1, 2, 3]), ("!=", 0.1, [2, 3, 4, 5]),
    ])
    def test_ratio_compares_in_decimals(self, operator, ratio, expected):
        assert ids(NUMBERS, f("roi", operator, ratio)) == expected

    @pytest.mark.parametrize("operator, value, expected", [
        ("=", 20, [2]), (">", "20", [4, 5]), ("<", 40, [1, 2]), (">=", 40, [4, 5]),
    ])
    def test_int_comparisons(self, operator, value, expected):
        assert ids(NUMBERS, f("rank", operator, value)) == expected

    @pytest.mark.parametrize("operator, value, expected", [
        (">", 1, [2, 5]), ("<=", 1.5, [1, 2]), ("=", 2, [5]), ("!=", 2, [1, 2, 3, 4]),
    ])
    def test_float_comparisons_treat_nan_as_missing(self, operator, value, expected):
        assert ids(NUMBERS, f("dimensions.package_dimensions.weight", operator, value)) == expected

    def test_in_and_not_in(self):
        assert ids(NUMBERS, f("rank", "in", [10, 40])) == [1, 4]
        assert ids(NUMBERS, f("rank", "not_in", "10,40")) == [2, 3, 5]

    def test_in_on_money_converts_each_dollar_value(self):
        assert ids(NUMBERS, f("profit", "in", [1, "5.01"])) == [1, 3]

    def test_is_empty_and_is_not_empty(self):
        assert ids(NUMBERS, f("rank", "is_empty")) == [3]
        assert ids(NUMBERS, f("rank", "is_not_empty")) == [1, 2, 4, 5]

    def test_float_is_empty_includes_nan(self):
        assert ids(NUMBERS, f("dimensions.package_dimensions.weight", "is_empty")) == [3, 4]


TEXTS = frame({"brand": ["Sony", "sony", None, "", "LEGO", "a.b", "Bose (US)"]})


class TestTextFilters:
    def test_equals_ignores_case(self):
        assert ids(TEXTS, f("brand", "=", "SONY")) == [1, 2]

    def test_not_equals_keeps_missing_values(self):
        assert ids(TEXTS, f("brand", "!=", "sony")) == [3, 4, 5, 6, 7]

    def test_contains_ignores_case(self):
        assert ids(TEXTS, f("brand", "contains", "ON")) == [1, 2]

    def test_not_contains_keeps_missing_values(self):
        assert ids(TEXTS, f("brand", "not_contains", "on")) == [3, 4, 5, 6, 7]

    def test_in_ignores_case(self):
        assert ids(TEXTS, f("brand", "in", ["lego", "SONY"])) == [1, 2, 5]

    def test_not_in_keeps_missing_values(self):
        assert ids(TEXTS, f("brand", "not_in", "lego,sony")) == [3, 4, 6, 7]

    @pytest.mark.parametrize("operator, value, expected", [
        (">", "m", [1, 2]), (">=", "LEGO", [1, 2, 5]), ("<", "B", [4, 6]),
        ("<=", "bose (us)", [4, 6, 7]),
    ])
    def test_ordering_comparisons_are_lower_cased(self, operator, value, expected):
        assert ids(TEXTS, f("brand", operator, value)) == expected

    def test_regex_characters_are_literal(self):
        assert ids(TEXTS, f("brand", "=", "a.b")) == [6]
        assert ids(TEXTS, f("brand", "=", "axb")) == []
        assert ids(TEXTS, f("brand", "contains", "(us)")) == [7]

    def test_equals_is_the_whole_text(self):
        assert ids(TEXTS, f("brand", "=", "son")) == []

    def test_is_empty_matches_null_and_empty_text(self):
        assert ids(TEXTS, f("brand", "is_empty")) == [3, 4]

    def test_is_not_empty(self):
        assert ids(TEXTS, f("brand", "is_not_empty")) == [1, 2, 5, 6, 7]

    def test_unicode_case(self):
        data = frame({"brand": ["Évian", "évian", "Evian"]})
        assert ids(data, f("brand", "=", "ÉVIAN")) == [1, 2]


BOOLS = frame({"is_hazmat": [True, False, None]})


class TestBoolFilters:
    def test_equals_true(self):
        assert ids(BOOLS, f("is_hazmat", "=", True)) == [1]

    def test_equals_false_text(self):
        assert ids(BOOLS, f("is_hazmat", "=", "false")) == [2]

    def test_not_equals_keeps_missing_values(self):
        assert ids(BOOLS, f("is_hazmat", "!=", 1)) == [2, 3]

    def test_is_empty(self):
        assert ids(BOOLS, f("is_hazmat", "is_empty")) == [3]


LISTS = frame({"flags": [["Hazmat", "Meltable"], ["oversize"], [], None, [None, "HAZMAT"]]})


class TestListFilters:
    def test_contains_means_some_element_contains(self):
        assert ids(LISTS, f("flags", "contains", "haz")) == [1, 5]

    def test_equals_means_some_element_equals(self):
        assert ids(LISTS, f("flags", "=", "meltable")) == [1]
        assert ids(LISTS, f("flags", "=", "melt")) == []

    def test_in_means_some_element_is_listed(self):
        assert ids(LISTS, f("flags", "in", ["OVERSIZE", "meltable"])) == [1, 2]

    def test_negatives_keep_empty_and_missing_lists(self):
        assert ids(LISTS, f("flags", "!=", "hazmat")) == [2, 3, 4]
        assert ids(LISTS, f("flags", "not_contains", "haz")) == [2, 3, 4]
        assert ids(LISTS, f("flags", "not_in", "hazmat,oversize")) == [3, 4]

    def test_is_empty_matches_missing_and_empty_lists(self):
        assert ids(LISTS, f("flags", "is_empty")) == [3, 4]

    def test_is_not_empty(self):
        assert ids(LISTS, f("flags", "is_not_empty")) == [1, 2, 5]

    def test_short_name_of_identifier_lists(self):
        data = frame({"identifiers.upc": [["012345678905"], ["999"]]})
        assert ids(data, f("upc", "contains", "0123")) == [1]


class TestNullSemantics:
    def test_comparisons_are_false_on_missing_values(self):
        assert 4 not in ids(NUMBERS, f("profit", ">", -1000))
        assert 4 not in ids(NUMBERS, f("profit", "<", 1000))

    @pytest.mark.parametrize("positive, negative, name, value", [
        ("=", "!=", "brand", "sony"), ("contains", "not_contains", "brand", "o"),
        ("in", "not_in", "brand", "sony,lego"), ("is_empty", "is_not_empty", "brand", None),
        ("=", "!=", "flags", "hazmat"), ("is_empty", "is_not_empty", "flags", None),
        ("=", "!=", "profit", 5), ("=", "!=", "is_hazmat", True),
    ])
    def test_a_negative_is_the_complement_of_its_positive(self, positive, negative, name, value):
        data = frame({"brand": ["Sony", None, "", "lego"], "flags": [["hazmat"], None, [], ["x"]],
                      "financials.profit": [500, None, 1, 2],
                      "is_hazmat": [True, None, False, True]})
        kept = ids(data, f(name, positive, value))
        dropped = ids(data, f(name, negative, value))
        assert sorted(kept + dropped) == [1, 2, 3, 4]

    def test_filters_combine_with_and(self):
        assert ids(NUMBERS, f("profit", ">", 0), f("roi", ">=", 0.25)) == [2, 3]

    def test_no_filters_keep_every_row(self):
        assert ids(NUMBERS) == [1, 2, 3, 4, 5]


class TestMissingColumns:
    def test_historical_field_says_rerun_with_historical_data(self):
        assert error([f("historical.bsr.d30", "<", 5)], columns=["id", "rank"]) == (
            "filter[0].name: field historical.bsr.d30 is not in this scan's results; "
            "rerun with pull_historical_data")

    def test_other_missing_field(self):
        assert error([f("rank", "<", 5), f("brand", "=", "x")], columns=["id", "rank"]) == (
            "filter[1].name: field brand is not in this scan's results")

    def test_select_page_checks_the_frame_it_is_given(self):
        with pytest.raises(FilterError, match=r"filter\[0\].name: field historical.price.d90"):
            select_page(NUMBERS, parse_filters([f("historical.price.d90", ">", 1)]))

    def test_select_page_checks_the_sort_column(self):
        with pytest.raises(FilterError, match="sort: field brand is not in this scan's results"):
            select_page(NUMBERS, [], parse_sort("brand"))


# --------------------------------------------------------------------------- sorts and pages


class TestParseSort:
    def test_plain_name_is_ascending(self):
        assert parse_sort("profit") == Sort("financials.profit", Kind.MONEY, False)

    def test_minus_is_descending(self):
        assert parse_sort("-roi") == Sort("financials.roi", Kind.RATIO, True)

    def test_plus_is_ascending(self):
        assert parse_sort("+rank").descending is False

    @pytest.mark.parametrize("direction, descending", [
        ("asc", False), ("DESC", True), ("Ascending", False), ("descending", True), (None, False),
    ])
    def test_client_form(self, direction, descending):
        sort = parse_sort({"field": "financials.profit", "direction": direction})
        assert (sort.column, sort.descending) == ("financials.profit", descending)

    def test_no_sort(self):
        assert parse_sort(None) is None and parse_sort("") is None

    def test_rejects_list_fields(self):
        with pytest.raises(FilterError, match="sort: flags is a list field and cannot be sorted"):
            parse_sort("-flags")

    def test_rejects_unknown_direction(self):
        with pytest.raises(FilterError, match='sort.direction: expected asc or desc, got "up"'):
            parse_sort({"field": "rank", "direction": "up"})

    def test_rejects_unknown_field_with_a_suggestion(self):
        with pytest.raises(FilterError) as caught:
            parse_sort("-ranc")
        assert str(caught.value) == 'sort: unknown field "ranc"; did you mean "rank"?'

    def test_rejects_a_missing_column(self):
        with pytest.raises(FilterError, match="rerun with pull_historical_data"):
            parse_sort("historical.bsr.d30", columns=["id"])


def page_ids(data, sort=None, page=0, per_page=MAX_PER_PAGE, filters=()):
    count, rows = select_page(data, parse_filters(list(filters)), parse_sort(sort), page, per_page)
    return count, rows["id"].to_list()


SORTABLE = frame({
    "id": [5, 3, 1, 4, 2, 6],
    "financials.profit": [300, None, 100, 300, None, 200],
    "brand": ["b", "B", None, "a", "C", "A"],
    "dimensions.package_dimensions.weight": [1.0, float("nan"), 2.0, None, 0.5, 3.0],
})


class TestSelectPage:
    def test_ascending_puts_missing_values_last(self):
        assert page_ids(SORTABLE, "profit")[1] == [1, 6, 4, 5, 2, 3]

    def test_descending_puts_missing_values_last(self):
        assert page_ids(SORTABLE, "-profit")[1] == [4, 5, 6, 1, 2, 3]

    def test_client_form_sorts_the_same(self):
        assert page_ids(SORTABLE, {"field": "profit", "direction": "desc"})[1] == [4, 5, 6, 1, 2, 3]

    def test_ties_go_by_id_ascending_in_both_directions(self):
        assert page_ids(SORTABLE, "-brand")[1] == [2, 3, 5, 4, 6, 1]
        assert page_ids(SORTABLE, "brand")[1] == [4, 6, 3, 5, 2, 1]

    def test_float_sort_puts_nan_last(self):
        assert page_ids(SORTABLE, "-dimensions.package_dimensions.weight")[1] == [6, 1, 5, 2, 3, 4]

    def test_no_sort_orders_by_id(self):
        assert page_ids(SORTABLE)[1] == [1, 2, 3, 4, 5, 6]

    def test_count_is_every_match_not_the_page(self):
        assert page_ids(SORTABLE, "id", per_page=2, filters=[f("profit", ">=", 2)]) == (3, [4, 5])

    def test_pages_zero_and_one_are_both_the_first(self):
        assert page_ids(SORTABLE, "id", 0, 2) == page_ids(SORTABLE, "id", 1, 2) == (6, [1, 2])

    def test_later_pages_follow_and_the_last_is_short(self):
        assert [page_ids(SORTABLE, "id", p, 4)[1] for p in (1, 2, 3)] == [[1, 2, 3, 4], [5, 6], []]

    def test_first_row(self):
        assert [first_row(p, 50) for p in (0, 1, 2, 3)] == [0, 0, 50, 100]

    @pytest.mark.parametrize("rows", [[0, 1, 2, 3, 4, 5], [2, 3, 4], [5], [0, 2, 3], [3, 2, 1], [1, 0], []])
    def test_take_gives_the_rows_in_the_order_asked(self, rows):
        """A run of rows in order is sliced, not gathered (a whole download costs no copy)."""
        chunked = pl.concat([SORTABLE.head(3), SORTABLE.tail(3)], rechunk=False)
        for source in (SORTABLE, chunked):
            positions = pl.Series(rows, dtype=pl.UInt32)
            assert_frame_equal(filters.take(source, positions), source.select(pl.all().gather(positions)))

    def test_page_has_every_column_in_order(self):
        count, rows = select_page(SORTABLE, [], parse_sort("-profit"), 0, 2)
        assert rows.columns == SORTABLE.columns
        assert rows.row(0) == SORTABLE.filter(pl.col("id") == 4).row(0)

    def test_a_lazy_frame_gives_the_same_page(self):
        count, rows = select_page(SORTABLE.lazy(), [], parse_sort("-profit"), 0, 3)
        assert (count, rows.to_dicts()) == (6, select_page(SORTABLE, [], parse_sort("-profit"), 0,
                                                           3)[1].to_dicts())

    def test_chunked_list_columns_give_the_same_page(self):
        data = frame({"flags": [[str(i)] for i in range(10)], "rank": list(range(10, 0, -1))})
        chunked = pl.concat([data.slice(0, 5), data.slice(5)], rechunk=False)
        chunked = chunked.with_columns(pl.Series("rank", list(range(10, 0, -1))))  # one chunk
        assert (chunked["flags"].n_chunks(), chunked["rank"].n_chunks()) == (2, 1)
        count, rows = select_page(chunked, [], parse_sort("rank"), 1, 4)
        assert rows.equals(data.sort("rank").head(4))

    def test_chunked_list_columns_past_the_last_page(self):
        data = frame({"flags": [["a"], ["b"]]})
        chunked = pl.concat([data.slice(0, 1), data.slice(1)], rechunk=False)
        count, rows = select_page(chunked, [], None, 5, 10)
        assert (count, rows.height, rows.schema) == (2, 0, data.schema)

    def test_a_frame_without_ids_keeps_row_order_for_ties(self):
        data = pl.DataFrame({"rank": [2, 1, 2, 1]}, schema={"rank": pl.Int64})
        assert select_page(data, [], parse_sort("rank"))[1].with_row_index().rows() == [
            (0, 1), (1, 1), (2, 2), (3, 2)]

    @pytest.mark.parametrize("page, per_page, message", [
        (-1, 10, 'page: expected a whole number from 0, got -1'),
        (0, 0, 'per_page: expected a whole number from 1, got 0'),
        ("2", 10, 'page: expected a whole number from 0, got "2"'),
    ])
    def test_rejects_bad_page_numbers(self, page, per_page, message):
        with pytest.raises(FilterError, match=message):
            select_page(SORTABLE, [], None, page, per_page)


# --------------------------------------------------------------------------- the reference


_NEGATIVES = {"!=": "=", "not_contains": "contains", "not_in": "in", "is_not_empty": "is_empty"}
COLUMNS = {"brand": Kind.TEXT, "rank": Kind.INT, "financials.profit": Kind.MONEY,
           "financials.roi": Kind.RATIO, "dimensions.package_dimensions.weight": Kind.FLOAT,
           "is_hazmat": Kind.BOOL, "flags": Kind.TEXTS}
_TEXT = st.text(alphabet="aAbBéÉ .*(", max_size=3)
_CELLS = {
    Kind.TEXT: st.none() | _TEXT,
    Kind.INT: st.none() | st.integers(-3, 3),
    Kind.MONEY: st.none() | st.integers(-300, 300),
    Kind.RATIO: st.none() | st.integers(-3, 3).map(lambda n: n * 2500),
    Kind.FLOAT: st.none() | st.just(math.nan) | st.sampled_from([-1.5, 0.0, 0.5, 2.0]),
    Kind.BOOL: st.none() | st.booleans(),
    Kind.TEXTS: st.none() | st.lists(st.none() | _TEXT, max_size=3),
}
_VALUES = {  # as a client sends them
    Kind.TEXT: _TEXT,
    Kind.TEXTS: _TEXT,
    Kind.INT: st.integers(-3, 3) | st.integers(-3, 3).map(str),
    Kind.MONEY: st.sampled_from([-3, -1.5, 0, 0.01, 1, 2.999, "3"]),
    Kind.RATIO: st.sampled_from([-0.5, 0, 0.25, "0.5", 0.75]),
    Kind.FLOAT: st.sampled_from([-1.5, 0, 0.5, "2", 1.0]),
    Kind.BOOL: st.sampled_from([True, False, "true", "false", 1, 0]),
}


@st.composite
def frames(draw):
    n = draw(st.integers(0, 8))
    columns = {name: draw(st.lists(_CELLS[kind], min_size=n, max_size=n))
               for name, kind in COLUMNS.items()}
    order = draw(st.permutations(range(1, n + 1)))
    return frame({"id": list(order), **columns})


@st.composite
def filter_items(draw):
    name = draw(st.sampled_from(sorted(COLUMNS)))
    kind = COLUMNS[name]
    operator = draw(st.sampled_from(ALLOWED[kind]))
    if operator in ("is_empty", "is_not_empty"):
        return f(name, operator)
    if operator in ("in", "not_in"):
        return f(name, operator, draw(st.lists(_VALUES[kind], min_size=1, max_size=3)))
    return f(name, operator, draw(_VALUES[kind]))


def reference_match(flt: Filter, cell: object) -> bool:
    """Plain Python: what the module docstring promises for one filter and one cell."""
    positive = _NEGATIVES.get(flt.operator, flt.operator)
    matched = _reference_positive(flt.kind, positive, flt.value, cell)
    return not matched if flt.operator in _NEGATIVES else matched


def _reference_positive(kind, operator, value, cell) -> bool:
    if kind is Kind.TEXTS:
        if operator == "is_empty":
            return cell is None or len(cell) == 0
        return cell is not None and any(
            e is not None and _reference_positive(Kind.TEXT, operator, value, e) for e in cell)
    if isinstance(cell, float) and math.isnan(cell):
        cell = None
    if operator == "is_empty":
        return cell is None or cell == ""
    if cell is None:
        return False
    if kind is Kind.TEXT:
        cell = cell.lower()
    return {
        "=": lambda: cell == value, ">": lambda: cell > value, ">=": lambda: cell >= value,
        "<": lambda: cell < value, "<=": lambda: cell <= value,
        "contains": lambda: value in cell, "in": lambda: cell in value,
    }[operator]()


def reference_page(data: pl.DataFrame, sort: Sort | None, page: int, per_page: int) -> list[int]:
    rows = sorted(data.rows(named=True), key=lambda row: row["id"])
    if sort is not None:
        def key(row):
            value = row[sort.column]
            return value.lower() if isinstance(value, str) else value

        def missing(row):
            value = row[sort.column]
            return value is None or (isinstance(value, float) and math.isnan(value))

        present = [row for row in rows if not missing(row)]
        present.sort(key=key, reverse=sort.descending)  # stable: ties stay in id order
        rows = present + [row for row in rows if missing(row)]
    start = first_row(page, per_page)
    return [row["id"] for row in rows[start:start + per_page]]


class TestAgreesWithReference:
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=frames(), items=st.lists(filter_items(), min_size=1, max_size=3))
    def test_filters_agree_row_by_row(self, data, items):
        filters = parse_filters(items)
        expected = [row["id"] for row in data.rows(named=True)
                    if all(reference_match(flt, row[flt.column]) for flt in filters)]
        assert data.filter(filter_expr(filters))["id"].to_list() == expected

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=frames(), items=st.lists(filter_items(), max_size=2),
           name=st.sampled_from([n for n, k in COLUMNS.items() if k != Kind.TEXTS]),
           descending=st.booleans(), page=st.integers(0, 4), per_page=st.integers(1, 4))
    def test_pages_agree_with_a_python_sort(self, data, items, name, descending, page, per_page):
        filters = parse_filters(items)
        matches = data.filter([all(reference_match(flt, row[flt.column]) for flt in filters)
                               for row in data.rows(named=True)])
        sort = Sort(name, COLUMNS[name], descending)
        count, rows = select_page(data, filters, sort, page, per_page)
        assert count == matches.height
        assert rows["id"].to_list() == reference_page(matches, sort, page, per_page)


class TestFilterLimits:
    """Issue 15, items 3 and 11: what a client sends is capped where parsed, and errors name the
    path the client wrote."""

    def test_unknown_key_in_a_filter_item_is_named(self):
        with pytest.raises(FilterError, match=r"^filters\[1\]\.vaule: unknown field; a filter takes name"):
            parse_filters([{"name": "roi", "operator": ">", "value": 1},
                           {"name": "roi", "operator": ">", "vaule": 1}], key="filters")

    def test_more_filters_than_the_cap_is_refused(self):
        with pytest.raises(FilterError, match=r"^filter: 51 filters; send at most 50"):
            parse_filters([{"name": "roi", "operator": ">", "value": 1}] * 51)

    def test_a_long_in_list_is_refused_naming_the_cap(self):
        with pytest.raises(FilterError, match=r"^filter\[0\]\.value: 1,001 values; send at most 1,000"):
            parse_filters([{"name": "brand", "operator": "in", "value": ["x"] * 1001}])

    def test_a_huge_field_name_is_refused_before_suggestions_are_looked_for(self):
        with pytest.raises(FilterError, match=r'longer than any field name \(at most 100 characters\)'):
            parse_filters([{"name": "p" * 1_000_000, "operator": ">", "value": 1}])

    def test_sort_errors_name_the_clients_key(self):
        with pytest.raises(FilterError, match=r'^sorting\.field: unknown field "proft"'):
            parse_sort({"field": "proft", "direction": "asc"}, key="sorting")


class TestTotals:
    FRAME = pl.DataFrame({"id": [1, 2, 3], "brand": ["Acme", "Bolt", "Acme"],
                          "financials.profit": [100, -50, 300], "inputs.cost": [800, 350, None]})

    def test_sums_the_filtered_rows(self):
        chosen = filters.parse_filters([{"name": "brand", "operator": "=", "value": "acme"}])
        assert filters.totals(self.FRAME, chosen, ["financials.profit", "inputs.cost"]) == (
            2, {"financials.profit": 400, "inputs.cost": 800})

    def test_no_filter_sums_every_row_and_skips_absent_columns(self):
        assert filters.totals(self.FRAME, [], ["financials.profit", "units_per_month"]) == (
            3, {"financials.profit": 350})


class TestKeysetPages:
    FRAME = pl.DataFrame({"id": list(range(1, 11)), "financials.profit": [5, None, 3, 5, 9, 1, None, 3, 7, 5],
                          "amazon_title": ["b", "A", "a", "B", None, "c", "C", "d", "D", "e"]})

    def _walk(self, sort: str | None, per_page: int = 3) -> list[int]:
        order = filters.parse_sort(sort, columns=self.FRAME.columns) if sort else None
        seen, after = [], None
        while True:
            _, rows = filters.select_page(self.FRAME, [], order, 1, per_page, after=after)
            if rows.height == 0:
                return seen
            seen += rows["id"].to_list()
            after = seen[-1]

    @pytest.mark.parametrize("sort", [None, "profit", "-profit", "title", "-title"])
    def test_walking_pages_after_the_last_row_gives_the_same_order_as_page_numbers(self, sort):
        order = filters.parse_sort(sort, columns=self.FRAME.columns) if sort else None
        by_number = filters.select_page(self.FRAME, [], order, 1, 10)[1]["id"].to_list()
        assert self._walk(sort) == by_number

    def test_count_is_of_every_matching_row(self):
        count, rows = filters.select_page(self.FRAME, [], None, 1, 3, after=8)
        assert count == 10 and rows["id"].to_list() == [9, 10]

    def test_unknown_after_row_is_named(self):
        with pytest.raises(filters.FilterError, match="after: no row with id 99"):
            filters.select_page(self.FRAME, [], filters.parse_sort("profit", columns=self.FRAME.columns), 1, 3, after=99)
