"""Tests for sellerkit.domain.eligibility: the inbound eligibility rules and their polars twin.

The codes used are checked against the SP-API model's `ineligibilityReasonList` enum, read at
test time from ../shared/fixtures/external/sp-api-models (skips with a reason when absent).
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerkit.domain.eligibility import (
    CODES,
    CODES_COLUMN,
    DIMENSIONS,
    ELIGIBLE_COLUMN,
    RULE_ORDER,
    eligibility_exprs,
    eligibility_frame,
    inbound_eligibility,
    meltable_season,
)

MODEL = Path(__file__).resolve().parents[3] / "shared/fixtures/external/sp-api-models/models/fbaInbound.json"
SUMMER = date(2026, 7, 1)
WINTER = date(2026, 12, 1)
BOX = {"length": 10.0, "width": 8.0, "height": 3.0, "weight": 1.2}


def record(**fields) -> dict:
    return {"marketplace": "US", "asin": "B000000001", "title": "A product",
            "package_dimensions": dict(BOX), **fields}


def codes(rec, on=WINTER, marketplace="US") -> tuple[str, ...]:
    return inbound_eligibility(rec, on=on, marketplace=marketplace).ineligible_codes


class TestInboundEligibility:
    def test_complete_record_without_flags_is_eligible(self):
        result = inbound_eligibility(record(), on=SUMMER)
        assert result.eligible is True and result.ineligible_codes == ()

    def test_missing_record_is_not_in_the_catalog(self):
        result = inbound_eligibility(None, on=SUMMER)
        assert (result.eligible, result.ineligible_codes) == (False, ("FBA_INB_0017",))

    def test_no_package_dimensions_is_fba_inb_0004(self):
        rec = record()
        del rec["package_dimensions"]
        assert codes(rec) == ("FBA_INB_0004",)

    @pytest.mark.parametrize("part", DIMENSIONS)
    def test_each_missing_dimension_is_fba_inb_0004(self, part):
        rec = record()
        del rec["package_dimensions"][part]
        assert codes(rec) == ("FBA_INB_0004",)

    @pytest.mark.parametrize("value", [0, 0.0, math.nan, None])
    def test_zero_nan_or_null_weight_counts_as_missing(self, value):
        assert codes(record(package_dimensions={**BOX, "weight": value})) == ("FBA_INB_0004",)

    def test_whole_number_dimensions_are_present(self):
        assert codes(record(package_dimensions={"length": 10, "width": 8, "height": 3, "weight": 1})) == ()

    def test_hazmat_is_fba_inb_0016(self):
        assert codes(record(is_hazmat=True)) == ("FBA_INB_0016",)

    def test_adult_alone_gives_no_code(self):
        assert inbound_eligibility(record(is_adult=True), on=SUMMER).eligible is True

    def test_meltable_in_season_is_fba_inb_0050(self):
        assert codes(record(is_meltable=True), on=SUMMER) == ("FBA_INB_0050",)

    def test_meltable_out_of_season_is_eligible(self):
        assert codes(record(is_meltable=True), on=WINTER) == ()

    def test_false_and_null_flags_give_no_code(self):
        assert codes(record(is_hazmat=False, is_meltable=None, is_adult=None), on=SUMMER) == ()

    def test_codes_come_in_rule_order(self):
        rec = record(is_hazmat=True, is_meltable=True, package_dimensions={})
        assert codes(rec, on=SUMMER) == RULE_ORDER == ("FBA_INB_0004", "FBA_INB_0016", "FBA_INB_0050")

    @pytest.mark.skipif(not MODEL.exists(), reason=f"SP-API model not found at {MODEL}")
    def test_every_code_is_in_the_sp_api_model(self):
        model = json.loads(MODEL.read_text())
        enum = model["definitions"]["ItemEligibilityPreview"]["properties"]["ineligibilityReasonList"]["items"]["enum"]
        assert set(CODES) <= set(enum)


class TestMeltableSeason:
    @pytest.mark.parametrize(("day", "expected"), [
        (date(2026, 4, 14), False), (date(2026, 4, 15), True),
        (date(2026, 10, 15), True), (date(2026, 10, 16), False),
    ])
    def test_us_season_runs_april_15_to_october_15(self, day, expected):
        assert meltable_season(day, "US") is expected

    @pytest.mark.parametrize(("day", "expected"), [
        (date(2026, 1, 10), True), (date(2026, 4, 29), True), (date(2026, 4, 30), False),
        (date(2026, 9, 30), False), (date(2026, 10, 1), True),
    ])
    def test_australian_season_runs_over_the_new_year(self, day, expected):
        assert meltable_season(day, "AU") is expected


_SCHEMA = {"is_hazmat": pl.Boolean, "is_meltable": pl.Boolean, "is_adult": pl.Boolean,
           **{f"package_dimensions.{k}": pl.Float64 for k in DIMENSIONS}}
flags = st.one_of(st.none(), st.booleans())
measures = st.one_of(st.none(), st.just(0.0), st.just(math.nan),
                     st.floats(min_value=-5, max_value=500, allow_nan=False), st.floats(allow_infinity=True))
rows = st.tuples(flags, flags, flags, measures, measures, measures, measures)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


def _frame(values: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(values, schema=_SCHEMA, orient="row")


def _as_record(row: tuple) -> dict:
    hazmat, meltable, adult, *dims = row
    return {"is_hazmat": hazmat, "is_meltable": meltable, "is_adult": adult,
            "package_dimensions": {k: v for k, v in zip(DIMENSIONS, dims) if v is not None}}


class TestEligibilityFrame:
    def test_answers_the_documented_columns_and_types(self):
        out = eligibility_frame(_frame([(None, None, None, 1.0, 1.0, 1.0, 1.0)]), on=SUMMER)
        assert out.schema == pl.Schema({ELIGIBLE_COLUMN: pl.Boolean, CODES_COLUMN: pl.List(pl.String)})

    def test_empty_frame_gives_empty_columns(self):
        assert eligibility_frame(_frame([]), on=SUMMER).height == 0

    def test_is_adult_column_may_be_absent(self):
        df = _frame([(True, None, None, 1.0, 1.0, 1.0, 1.0)]).drop("is_adult")
        assert eligibility_frame(df, on=SUMMER)[CODES_COLUMN].to_list() == [["FBA_INB_0016"]]

    def test_dimension_prefix_names_scan_result_columns(self):
        df = _frame([(None, None, None, None, 1.0, 1.0, 1.0)]).rename(
            {f"package_dimensions.{k}": f"dimensions.package_dimensions.{k}" for k in DIMENSIONS})
        out = eligibility_frame(df, on=SUMMER, dimensions="dimensions.package_dimensions.")
        assert out[CODES_COLUMN].to_list() == [["FBA_INB_0004"]]

    def test_expressions_work_on_a_lazy_frame(self):
        lazy = _frame([(None, True, None, 1.0, 1.0, 1.0, 1.0)]).lazy()
        out = lazy.with_columns(eligibility_exprs(on=SUMMER)).collect()
        assert out[CODES_COLUMN].to_list() == [["FBA_INB_0050"]] and out[ELIGIBLE_COLUMN].to_list() == [False]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(rows, max_size=40), days, st.sampled_from(["US", "UK", "AU"]))
    def test_agrees_with_the_single_record_rules_on_every_row(self, values, on, marketplace):
        out = eligibility_frame(_frame(values), on=on, marketplace=marketplace)
        expected = [inbound_eligibility(_as_record(v), on=on, marketplace=marketplace) for v in values]
        assert out[ELIGIBLE_COLUMN].to_list() == [e.eligible for e in expected]
        assert out[CODES_COLUMN].to_list() == [list(e.ineligible_codes) for e in expected]
