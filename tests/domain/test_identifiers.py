"""Tests for sellerkit.domain.identifiers.

Reference vectors are read at test time from the shared fixtures folder next to the repo
(`../shared/fixtures/external/identifiers`): python-stdnum 2.2's own doctest vectors and a CSV of
check-digit cases from python-barcode, stdnum and the SP-API catalog example. Tests that need them
skip with a reason when the folder is absent.
"""

from __future__ import annotations

import csv
import json
import math
import re

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import ean as std_ean
from stdnum import isbn as std_isbn
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

from sellerkit.domain.identifiers import (
    Identifier,
    IdKind,
    InvalidIdentifier,
    gtin_check_digit,
    isbn10_check_digit,
    key_of,
    keys_frame,
    parse,
    parse_asin,
    readings_frame,
    upce_to_upca,
)
from tests.conftest import SHARED, shared_cases

FIXTURES = SHARED / "fixtures/external/identifiers"
MISSING = f"identifier fixtures not found at {FIXTURES}"
CSV_PATH = FIXTURES / "check_digit_vectors.csv"
JSON_PATH = FIXTURES / "stdnum_ean_isbn_vectors.json"

# Kind column of check_digit_vectors.csv -> the kind parse() must report.
CSV_KINDS = {
    "EAN-13": IdKind.EAN_13,
    "EAN-8": IdKind.EAN_8,
    "JAN (EAN-13, 49 prefix)": IdKind.JAN,
    "GTIN-14 (EAN-14)": IdKind.GTIN_14,
    "ISBN-10": IdKind.ISBN_10,
    "ISBN-13": IdKind.ISBN_13,
    "EAN-13 (ISSN 977 prefix)": IdKind.EAN_13,
    "UPC-A": IdKind.UPC_A,
    "EAN-13 (UPC-A with leading 0)": IdKind.EAN_13,
    "GTIN-14": IdKind.GTIN_14,
    "UPC-E (8 digits, number system 0)": IdKind.UPC_E,
    "UPC-A (expansion of the UPC-E row)": IdKind.UPC_A,
}
# stdnum functions whose vectors compare with something this module exposes; the rest
# (`isbn.split`, `isbn.format`: ISBN range/hyphenation data) have no counterpart here.
COVERED_FUNCTIONS = {
    "ean.validate",
    "isbn.validate",
    "isbn.compact",
    "isbn.is_valid",
    "isbn.isbn_type",
    "isbn.to_isbn13",
    "isbn.to_isbn10",
}
NOT_EXPOSED_FUNCTIONS = {"isbn.split", "isbn.format"}
HINTS = [None, "upc", "ean", "isbn", "asin", "gtin", "jan"]


# --------------------------------------------------------------------------- fixture loading


def _csv_data(valid: bool | None = None, kinds: tuple[str, ...] | None = None,
              with_payload: bool = False) -> list[dict]:
    """Rows of check_digit_vectors.csv, optionally only valid/invalid ones, some kinds, or
    those that give the payload without its check digit."""
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        row
        for row in rows
        if (valid is None or (row["valid"] == "True") == valid)
        and (kinds is None or row["kind"].startswith(kinds))
        and (not with_payload or row["payload_without_check"])
    ]


def csv_rows(valid: bool | None = None, kinds: tuple[str, ...] | None = None, with_payload: bool = False,
             *, recorded: int) -> list:
    return shared_cases(CSV_PATH, lambda: _csv_data(valid, kinds, with_payload), recorded=recorded,
                        ids=lambda row: f"{row['kind']}:{row['full_code']}")


GS1_KINDS = ("EAN", "JAN", "GTIN", "ISBN-13", "UPC-A")


def _json() -> dict:
    return json.loads(JSON_PATH.read_text(encoding="utf-8"))


def _vectors(*functions: str, raises: bool | None = None) -> list[dict]:
    return [
        vector
        for vector in _json()["vectors"]
        if vector.get("function") in functions
        and (raises is None or ("raises" in vector) == raises)
    ]


def json_vectors(*functions: str, raises: bool | None = None, recorded: int) -> list:
    return shared_cases(JSON_PATH, lambda: _vectors(*functions, raises=raises), recorded=recorded,
                        ids=lambda v: f"{v['function']}:{json.dumps(v['args'])}")


def _wild() -> list[str]:
    lists = [v for v in _json()["vectors"] if v.get("kind") == "valid_list"]
    return [value for vector in lists for value in vector["values"]]


def wild_isbns(*, recorded: int) -> list:
    return shared_cases(JSON_PATH, _wild, recorded=recorded, ids=str)


def _arg(vector: dict) -> str:
    """The input of a vector; a nested {"call": "isbn.to_isbn13", ...} is our ISBN-13 of it."""
    (arg,) = vector["args"]
    if isinstance(arg, dict):
        assert arg["call"] == "isbn.to_isbn13"
        return arg["args"][0]
    return arg


def _compact(text: str) -> str:
    return text.replace("-", "").replace(" ", "")


def _isbn13(ident: Identifier) -> str:
    return ident.value if ident.kind is IdKind.ISBN_13 else ident.equivalents()["isbn13"]


def _isbn10(ident: Identifier) -> str | None:
    return ident.value if ident.kind is IdKind.ISBN_10 else ident.equivalents().get("isbn10")


def _verdict(cell: object, hint: str | None = None) -> tuple[str | None, str | None, str | None]:
    try:
        ident = parse(cell, hint)  # type: ignore[arg-type]
    except InvalidIdentifier as exc:
        return (None, None, exc.reason)
    return (ident.key, ident.kind.value, None)


def _reason(cell: object, hint: str | None = None) -> str:
    with pytest.raises(InvalidIdentifier) as caught:
        parse(cell, hint)  # type: ignore[arg-type]
    return caught.value.reason


# --------------------------------------------------------------------------- strategies

DIGITS = "0123456789"
ASIN_CHARS = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def digit_strings(min_size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=min_size, max_size=max_size or min_size)


def with_gtin_check(payload: str) -> str:
    return payload + std_ean.calc_check_digit(payload)


def with_isbn10_check(payload: str) -> str:
    """ISBN-10 completed by stdnum's verdict, independent of isbn10_check_digit."""
    return next(payload + c for c in "0123456789X" if std_isbn.is_valid(payload + c))


def upce_with_check(body: str) -> str:
    """A valid UPC-E from number system + six digits (check digit of the UPC-A expansion)."""
    return body + std_ean.calc_check_digit(upce_to_upca(body + "0")[:-1])


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            ["upc", "ean13", "ean8", "gtin14", "isbn10", "isbn13", "jan", "upce", "asin"]
        )
    )
    if kind == "upc":
        return with_gtin_check(draw(digit_strings(11)))
    if kind == "ean13":
        return with_gtin_check(draw(digit_strings(12)))
    if kind == "ean8":
        return with_gtin_check(draw(digit_strings(7)))
    if kind == "gtin14":
        return with_gtin_check(draw(digit_strings(13)))
    if kind == "isbn10":
        return with_isbn10_check(draw(digit_strings(9)))
    if kind == "isbn13":
        return with_gtin_check(draw(st.sampled_from(["978", "979"])) + draw(digit_strings(9)))
    if kind == "jan":
        return with_gtin_check(draw(st.sampled_from(["45", "49"])) + draw(digit_strings(10)))
    if kind == "upce":
        return upce_with_check(draw(st.sampled_from("01")) + draw(digit_strings(6)))
    return "B0" + draw(st.text(ASIN_CHARS, min_size=8, max_size=8))


@st.composite
def sprinkled(draw: st.DrawFn, text: str) -> str:
    """`text` with random spaces and dashes between (and around) its characters."""
    out = []
    for ch in text:
        out.append(draw(st.sampled_from(["", "", "", " ", "-", "  "])))
        out.append(ch)
    out.append(draw(st.sampled_from(["", " ", "-"])))
    return "".join(out)


@st.composite
def noisy_digits(draw: st.DrawFn) -> str:
    """Random digit strings of 6-15 digits, with random dashes and spaces."""
    return draw(sprinkled(draw(digit_strings(6, 15))))


FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@st.composite
def messy_codes(draw: st.DrawFn) -> str:
    """What supplier files do to valid codes (and a few ways they break them)."""
    code = draw(valid_codes())
    form = draw(
        st.sampled_from(
            [
                "sprinkled", "lower", "label", "lost_zero", "sci", "sci_short", "dot_zero",
                "apostrophe", "quoted", "padded", "fullwidth", "typo", "plus", "excel_formula",
            ]
        )
    )
    stripped = code.lstrip("0") or "0"
    if form == "sprinkled":
        return draw(sprinkled(code))
    if form == "lower":
        return code.lower()
    if form == "label":
        label = draw(st.sampled_from(["ISBN ", "ISBN-13: ", "UPC: ", "EAN ", "GTIN-14 ", "ASIN:",
                                      "isbn10 ", "JAN ", "UPC-E ", "EAN-8 ", "upc#"]))
        return label + code
    if form == "lost_zero":
        return code[1:] if code.startswith("0") else stripped
    if form in ("sci", "sci_short") and stripped.isdigit():
        digits = stripped if form == "sci" else stripped[: draw(st.integers(1, len(stripped)))]
        mark = draw(st.sampled_from(["E+", "e+", "E"]))
        return f"{digits[0]}.{digits[1:]}{mark}{len(stripped) - 1}"
    if form == "dot_zero" and code.isdigit():
        return stripped + draw(st.sampled_from([".0", ".00", ",0", ".5"]))
    if form == "apostrophe":
        return "'" + code
    if form == "quoted":
        return f'"{code}"'
    if form == "padded":
        return draw(st.sampled_from([" ", "\t", "\u00a0"])) + code + " "
    if form == "fullwidth":
        return code.translate(FULLWIDTH)
    if form == "typo":
        i = draw(st.integers(0, len(code) - 1))
        return code[:i] + draw(st.sampled_from(DIGITS)) + code[i + 1 :]
    if form == "plus":
        return "+" + code
    if form == "excel_formula":
        return f'="{code}"'
    return code


cells = st.one_of(
    noisy_digits(),
    valid_codes(),
    messy_codes(),
    st.text(DIGITS + " -xXBbE.e+,'", max_size=16),
    st.text(max_size=12),
    st.none(),
)
FRAME_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# =========================================================================== check digits


class TestGtinCheckDigit:
    @pytest.mark.parametrize("row", csv_rows(valid=True, kinds=GS1_KINDS, recorded=14))
    def test_matches_fixture_check_digit(self, row):
        assert gtin_check_digit(row["payload_without_check"]) == row["full_code"][-1]

    @pytest.mark.parametrize("row", csv_rows(valid=False, with_payload=True, recorded=1))
    def test_disagrees_with_fixture_wrong_check_digit(self, row):
        assert gtin_check_digit(row["payload_without_check"]) != row["full_code"][-1]

    @given(digit_strings(7, 13))
    def test_equals_stdnum_calc_check_digit(self, payload):
        assert gtin_check_digit(payload) == std_ean.calc_check_digit(payload)

    def test_is_unchanged_by_leading_zeros(self):
        assert gtin_check_digit("03600029145") == gtin_check_digit("3600029145") == "2"

    @pytest.mark.parametrize("payload", ["", "12a4", "١٢٣"])
    def test_rejects_non_digits(self, payload):
        with pytest.raises(ValueError):
            gtin_check_digit(payload)


class TestIsbn10CheckDigit:
    @pytest.mark.parametrize("row", csv_rows(valid=True, kinds=("ISBN-10",), recorded=2))
    def test_matches_fixture_check_digit(self, row):
        assert isbn10_check_digit(row["payload_without_check"]) == row["full_code"][-1]

    def test_writes_ten_as_x(self):
        assert isbn10_check_digit("013036004") == "X"

    @given(digit_strings(9), st.sampled_from("0123456789X"))
    def test_verdict_equals_stdnum(self, payload, check):
        assert (isbn10_check_digit(payload) == check) == std_isbn.is_valid(payload + check)

    @pytest.mark.parametrize("payload", ["12345678", "1234567890", "12345678X"])
    def test_rejects_anything_but_nine_digits(self, payload):
        with pytest.raises(ValueError):
            isbn10_check_digit(payload)


class TestUpceToUpca:
    @pytest.mark.parametrize("row", csv_rows(valid=True, kinds=("UPC-E",), recorded=1))
    def test_expands_fixture_upce(self, row):
        expected = re.search(r"expands to UPC-A (\d{12})", row["note"]).group(1)
        assert upce_to_upca(row["full_code"]) == expected

    @pytest.mark.parametrize(
        ("upce", "upca"),
        [
            ("01234505", "012000003455"),  # last digit 0-2: manufacturer d1 d2 d6 00
            ("01234531", "012300000451"),  # 3: manufacturer d1 d2 d3 00, item 000 d4 d5
            ("01234543", "012340000053"),  # 4: manufacturer d1..d4 0, item 0000 d5
            ("01234572", "012345000072"),  # 5-9: manufacturer d1..d5, item 0000 d6
        ],
    )
    def test_follows_each_gs1_expansion_rule(self, upce, upca):
        assert upce_to_upca(upce) == upca
        assert std_ean.is_valid(upca)

    def test_carries_the_check_digit_over_unchecked(self):
        assert upce_to_upca("04252619") == "042100005269"

    @pytest.mark.parametrize("code", ["24252614", "0425261", "042526145", "0425261x"])
    def test_rejects_what_is_no_upce(self, code):
        with pytest.raises(InvalidIdentifier):
            upce_to_upca(code)


# =========================================================================== parse


class TestParse:
    # ----------------------------------------------------------------- fixture vectors
    # Every validation/classification/conversion vector of the shared fixtures.

    @pytest.mark.parametrize("row", csv_rows(valid=True, recorded=17))
    def test_valid_csv_row_parses_to_its_kind(self, row):
        assert parse(row["full_code"]).kind is CSV_KINDS[row["kind"]]

    @pytest.mark.parametrize("row", csv_rows(valid=True, recorded=17))
    def test_valid_csv_row_parses_to_its_gtin_key(self, row):
        code, kind = row["full_code"], CSV_KINDS[row["kind"]]
        if kind is IdKind.ISBN_10:
            expected = "0" + std_isbn.to_isbn13(code)
        elif kind is IdKind.UPC_E:
            expected = "00" + re.search(r"expands to UPC-A (\d{12})", row["note"]).group(1)
        else:
            expected = code.zfill(14)
        assert parse(row["full_code"]).key == expected

    @pytest.mark.parametrize("row", csv_rows(valid=False, recorded=4))
    def test_invalid_csv_row_raises_with_a_reason(self, row):
        assert _reason(row["full_code"])

    def test_sp_api_example_forms_share_one_key(self):
        if not CSV_PATH.is_file():
            pytest.skip(MISSING)
        rows = [row for row in _csv_data() if "B07N4M94X4" in row["note"]]
        assert {parse(r["full_code"]).key for r in rows} == {"00887276302195"}
        assert len(rows) == 3

    def test_every_validation_vector_is_exercised(self):
        if not JSON_PATH.is_file():
            pytest.skip(MISSING)
        data = _json()
        functions = {v["function"] for v in data["vectors"] if "function" in v}
        assert functions == COVERED_FUNCTIONS | NOT_EXPOSED_FUNCTIONS

    @pytest.mark.parametrize("vector", json_vectors("ean.validate", raises=False, recorded=4))
    def test_accepts_what_stdnum_ean_validates(self, vector):
        ident = parse(_arg(vector))
        assert ident.value == vector["returns"]
        assert ident.key == vector["returns"].zfill(14)

    @pytest.mark.parametrize("vector", json_vectors("ean.validate", raises=True, recorded=3))
    def test_rejects_what_stdnum_ean_rejects(self, vector):
        assert _reason(_arg(vector))

    @pytest.mark.parametrize("vector", json_vectors("isbn.validate", raises=True, recorded=8))
    def test_never_calls_an_isbn_what_stdnum_isbn_rejects(self, vector):
        try:
            ident = parse(_arg(vector), hint="isbn")
        except InvalidIdentifier:
            return
        assert ident.family != "isbn"  # e.g. a valid EAN-13 outside Bookland

    @pytest.mark.parametrize("vector", json_vectors("isbn.validate", "isbn.compact", raises=False, recorded=6))
    def test_normalises_like_stdnum_isbn(self, vector):
        ident = parse(_arg(vector))
        nested = isinstance(vector["args"][0], dict)
        convert = vector.get("kwargs", {}).get("convert", False)
        got = _isbn13(ident) if nested or convert else ident.value
        assert got == vector["returns"]

    @pytest.mark.parametrize("vector", json_vectors("isbn.is_valid", recorded=1))
    def test_accepts_what_stdnum_isbn_calls_valid(self, vector):
        assert parse(_arg(vector)).family == "isbn"
        assert vector["returns"] is True

    @pytest.mark.parametrize("vector", json_vectors("isbn.isbn_type", recorded=2))
    def test_classifies_isbn_type_like_stdnum(self, vector):
        expected = {"ISBN10": IdKind.ISBN_10, "ISBN13": IdKind.ISBN_13}[vector["returns"]]
        assert parse(_arg(vector)).kind is expected

    @pytest.mark.parametrize("vector", json_vectors("isbn.to_isbn13", recorded=5))
    def test_converts_to_isbn13_like_stdnum(self, vector):
        assert _isbn13(parse(_arg(vector))) == _compact(vector["returns"])

    @pytest.mark.parametrize("vector", json_vectors("isbn.to_isbn10", raises=False, recorded=5))
    def test_converts_to_isbn10_like_stdnum(self, vector):
        assert _isbn10(parse(_arg(vector))) == _compact(vector["returns"])

    @pytest.mark.parametrize("vector", json_vectors("isbn.to_isbn10", raises=True, recorded=2))
    def test_offers_no_isbn10_where_stdnum_refuses_one(self, vector):
        try:
            ident = parse(_arg(vector))
        except InvalidIdentifier:
            return  # wrong check digit
        assert _isbn10(ident) is None  # 979 ISBNs have no ISBN-10

    @pytest.mark.parametrize("value", wild_isbns(recorded=200))
    def test_parses_every_isbn_found_in_the_wild(self, value):
        ident = parse(value)
        assert ident.family == "isbn"
        assert ident.value == std_isbn.compact(value)

    # ----------------------------------------------------------------- classification
    def test_reads_twelve_digits_as_upc_a(self):
        assert parse("036000291452").kind is IdKind.UPC_A

    def test_reads_thirteen_digits_with_leading_zero_as_ean13(self):
        assert parse("0036000291452").kind is IdKind.EAN_13

    @pytest.mark.parametrize("code", ["9780131103627", "9791843123391"])
    def test_reads_bookland_prefix_as_isbn13(self, code):
        assert parse(code).kind is IdKind.ISBN_13

    @pytest.mark.parametrize("code", ["4914006144575", "4512345678906"])
    def test_reads_45_and_49_prefix_as_jan(self, code):
        assert parse(code).kind is IdKind.JAN

    def test_reads_fourteen_digits_as_gtin14(self):
        assert parse("12345678912589").kind is IdKind.GTIN_14

    def test_reads_eight_digits_starting_2_to_9_as_ean8(self):
        assert parse("60322999").kind is IdKind.EAN_8

    def test_prefers_upce_over_ean8_for_leading_0_or_1(self):
        both_valid = "01234053"
        assert std_ean.is_valid(both_valid) and std_ean.is_valid(upce_to_upca(both_valid))
        assert parse(both_valid).kind is IdKind.UPC_E

    def test_reads_leading_0_as_ean8_when_upce_expansion_fails(self):
        assert parse("01234008").kind is IdKind.EAN_8

    def test_ean_hint_prefers_ean8_when_both_validate(self):
        assert parse("01234053", hint="ean").kind is IdKind.EAN_8

    def test_reads_ten_digits_as_isbn10_not_asin(self):
        assert parse("0131103628").kind is IdKind.ISBN_10

    def test_asin_hint_reads_valid_isbn10_as_asin(self):
        ident = parse("0-13-110362-8", hint="asin")
        assert (ident.kind, ident.value, ident.key) == (IdKind.ASIN, "0131103628", "0131103628")

    def test_reads_b0_code_as_asin_in_upper_case(self):
        ident = parse(" b07n4m94x4 ")
        assert (ident.kind, ident.value) == (IdKind.ASIN, "B07N4M94X4")

    def test_hint_never_overrides_the_characters(self):
        assert parse("B07N4M94X4", hint="upc").kind is IdKind.ASIN
        assert parse("4006144577350", hint="isbn").kind is IdKind.EAN_13

    def test_hint_accepts_kind_values_and_any_case(self):
        assert parse("0131103628", hint="ASIN").kind is IdKind.ASIN
        assert parse("036000291452", hint=IdKind.EAN_13).kind is IdKind.EAN_13

    def test_unknown_hint_is_a_programming_error(self):
        with pytest.raises(ValueError, match="unknown identifier hint") as caught:
            parse("036000291452", hint="sku")
        assert not isinstance(caught.value, InvalidIdentifier)

    # ----------------------------------------------------------------- messy supplier input
    def test_records_no_corrections_for_a_clean_code(self):
        assert parse("036000291452").corrections == ()

    def test_keeps_raw_input_as_text(self):
        assert parse(" 036000291452 ").raw == " 036000291452 "
        assert parse(36000291452).raw == "36000291452"

    def test_strips_surrounding_and_inner_spaces(self):
        assert parse("  0 36000 29145 2\t").value == "036000291452"

    def test_removes_isbn_hyphens(self):
        assert parse("978-0-13-110362-7").value == "9780131103627"

    @pytest.mark.parametrize("cell", ["ISBN 978-0-13-110362-7", "ISBN-13: 9780131103627",
                                      "isbn13 978 0 13 110362 7", "ISBN9780131103627"])
    def test_reads_isbn_label_prefix(self, cell):
        assert parse(cell).value == "9780131103627"

    @pytest.mark.parametrize(
        "cell", ["UPC 036000291452", "UPC-A: 036000291452", "upc#036000291452"]
    )
    def test_reads_upc_label_prefix(self, cell):
        assert parse(cell).value == "036000291452"

    def test_reads_digit_after_ean_label_as_part_of_the_code(self):
        assert parse("EAN 8 410076 472885").value == "8410076472885"

    def test_label_in_cell_overrides_column_hint(self):
        assert parse("ISBN 0131103628", hint="asin").kind is IdKind.ISBN_10

    def test_accepts_int(self):
        assert parse(887276302195).value == "887276302195"

    def test_restores_lost_leading_zero_of_upc(self):
        ident = parse("36000291452")
        assert (ident.kind, ident.value) == (IdKind.UPC_A, "036000291452")
        assert ident.corrections == ("restored 1 leading zero lost by a spreadsheet",)

    def test_restores_lost_leading_zero_of_int_upc(self):
        assert parse(36000291452).key == "00036000291452"

    def test_restores_lost_leading_zero_of_ean_with_ean_hint(self):
        ident = parse("036000291452", hint="ean")
        assert (ident.kind, ident.value) == (IdKind.EAN_13, "0036000291452")
        assert ident.corrections == ("restored 1 leading zero lost by a spreadsheet",)

    def test_restores_two_lost_leading_zeros_of_ean_with_ean_hint(self):
        ident = parse("36000291452", hint="ean")
        assert (ident.kind, ident.value) == (IdKind.EAN_13, "0036000291452")
        assert ident.corrections == ("restored 2 leading zeros lost by a spreadsheet",)

    def test_restores_lost_leading_zero_of_isbn10(self):
        ident = parse("13110362-8")
        assert (ident.kind, ident.value) == (IdKind.ISBN_10, "0131103628")
        assert ident.corrections == ("restored 1 leading zero lost by a spreadsheet",)

    def test_restores_lost_leading_zero_of_isbn10_ending_in_x(self):
        assert parse("13036004x").value == "013036004X"

    def test_rejects_11_digits_when_no_zero_fix_validates(self):
        assert _reason("36000291453") == (
            "11 digits: too short for a UPC (12) and no leading-zero fix gives a valid check digit"
        )

    def test_rejects_9_digits_when_no_zero_fix_validates(self):
        assert _reason("131103629").startswith("9 digits: too short for an ISBN-10 (10)")

    def test_accepts_lowercase_isbn_x(self):
        assert parse("0-8412-0473-x").value == "084120473X"

    def test_reads_float_with_zero_fraction(self):
        ident = parse(36000291452.0)
        assert ident.value == "036000291452"
        assert ident.corrections == (
            "read the number 36000291452.0 as 36000291452",
            "restored 1 leading zero lost by a spreadsheet",
        )

    @pytest.mark.parametrize("cell", ["887276302195.0", "887276302195,00"])
    def test_reads_text_with_zero_fraction(self, cell):
        assert parse(cell).value == "887276302195"

    @pytest.mark.parametrize("cell", ["8.40001234567E+11", "8.40001234567e11", "8,40001234567E+11"])
    def test_reads_exact_scientific_notation(self, cell):
        ident = parse(cell)
        assert ident.value == "840001234567"
        assert ident.corrections == (f"read scientific notation {cell} as 840001234567",)

    def test_reads_scientific_notation_that_also_lost_a_zero(self):
        ident = parse("3.6000291452E+10")
        assert ident.value == "036000291452"
        assert len(ident.corrections) == 2

    def test_rejects_scientific_notation_that_lost_digits(self):
        assert _reason("8.4E+11") == (
            "scientific notation 8.4E+11 lost digits (Excel shortened this code); "
            "format the column as text and export again"
        )

    def test_rejects_scientific_notation_of_a_fraction(self):
        assert "not a whole number" in _reason("8.4E-05")

    @pytest.mark.parametrize("cell", ["12.5", 12.5])
    def test_rejects_decimal_number(self, cell):
        assert "decimal number" in _reason(cell)

    def test_strips_excel_leading_apostrophe(self):
        assert parse("'036000291452").value == "036000291452"

    @pytest.mark.parametrize("cell", ['="036000291452"', '"036000291452"'])
    def test_strips_excel_text_quotes(self, cell):
        assert parse(cell).value == "036000291452"

    def test_translates_fullwidth_digits(self):
        assert parse("４９１４００６１４４５７５").kind is IdKind.JAN

    # ----------------------------------------------------------------- rejections
    @pytest.mark.parametrize("cell", ["", "   ", None, float("nan"), "ISBN"])
    def test_rejects_empty(self, cell):
        assert _reason(cell) == "empty"

    def test_reports_wrong_check_digit(self):
        assert _reason("4006144577359") == "check digit is 9, expected 0 (EAN-13)"

    def test_reports_wrong_isbn10_check_digit(self):
        assert _reason("0131103627") == "check digit is 7, expected 8 (ISBN-10)"

    def test_reports_both_readings_of_an_invalid_upce(self):
        assert _reason("04252615") == (
            "check digit is 5, expected 0 for an EAN-8 or 4 for a UPC-E"
        )

    def test_never_computes_a_missing_check_digit(self):
        with pytest.raises(InvalidIdentifier):
            parse("03600029145")  # a UPC-A without its check digit 2

    def test_rejects_letters(self):
        assert _reason("750103AAAA309").startswith("contains letters")

    def test_rejects_x_not_in_last_position(self):
        assert "X can only be the last character" in _reason("08515x-629-2")

    def test_rejects_x_check_on_isbn13(self):
        assert "X can only be the last character" in _reason("978-902453827X")

    @pytest.mark.parametrize("cell", ["978-9024538\u00b270", "978-90245\u1b538270"])
    def test_rejects_non_ascii_digits(self, cell):
        assert _reason(cell).startswith("contains characters that are not plain digits")

    def test_rejects_punctuation(self):
        assert _reason("036000.291.452") == (
            "contains characters that are not plain digits: '.'"
        )

    @pytest.mark.parametrize("cell", ["1234567", "1"])
    def test_rejects_too_short(self, cell):
        assert "too short for any product code" in _reason(cell)

    def test_rejects_too_long(self):
        assert _reason("123456789012345") == (
            "15 digits: too long for any product code (a GTIN-14 has 14 digits)"
        )

    @pytest.mark.parametrize("cell", [-36000291452, -5.0])
    def test_rejects_negative_numbers(self, cell):
        assert "negative" in _reason(cell)

    def test_rejects_bool(self):
        assert "true/false" in _reason(True)

    def test_rejects_infinity(self):
        assert _reason(math.inf) == "is not a number"

    def test_rejects_other_types(self):
        with pytest.raises(TypeError):
            parse(b"036000291452")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("cell", "stdnum_error"),
        [("4006144577359", InvalidChecksum), ("75010313113", InvalidLength),
         ("750103AAAA309", InvalidFormat)],
    )
    def test_chains_stdnum_error_class(self, cell, stdnum_error):
        with pytest.raises(InvalidIdentifier) as caught:
            parse(cell)
        assert isinstance(caught.value.__cause__, stdnum_error)

    def test_error_carries_raw_and_reason(self):
        with pytest.raises(InvalidIdentifier) as caught:
            parse(" 4006144577359 ")
        assert caught.value.raw == " 4006144577359 "
        assert str(caught.value) == '" 4006144577359 ": check digit is 9, expected 0 (EAN-13)'

    # ----------------------------------------------------------------- agreement with stdnum
    # The clean-digit fast path (our own check digits) gives stdnum's verdicts.

    @given(digit_strings(12, 14))
    def test_accepts_12_to_14_digits_exactly_when_stdnum_ean_does(self, code):
        assert (_verdict(code)[0] is not None) == std_ean.is_valid(code)

    @given(st.sampled_from("23456789"), digit_strings(7))
    def test_accepts_ean8_exactly_when_stdnum_ean_does(self, first, rest):
        assert (_verdict(first + rest)[0] is not None) == std_ean.is_valid(first + rest)

    @given(digit_strings(9), st.sampled_from("0123456789Xx"))
    def test_accepts_isbn10_exactly_when_stdnum_isbn_does(self, body, check):
        # issue 20: ten digits that fail as an ISBN but pass as a zero-filled GTIN are a UPC that
        # lost its leading zeros, so "read as an ISBN-10" (not "read at all") is stdnum's verdict
        assert (_verdict(body + check)[1] == "isbn_10") == std_isbn.is_valid(body + check)

    @given(digit_strings(9), st.sampled_from("0123456789"))
    def test_reads_10_digits_failing_as_isbn_as_a_upc_exactly_when_stdnum_ean_does(self, body, check):
        code = body + check
        if not std_isbn.is_valid(code):
            assert (_verdict(code)[1] == "upc_a") == std_ean.is_valid(code.zfill(13))

    @given(valid_codes())
    def test_every_generated_valid_code_parses(self, code):
        assert parse(code).value == code.upper()


# =========================================================================== Identifier


class TestIdentifier:
    @pytest.mark.parametrize(
        ("code", "family"),
        [("036000291452", "upc"), ("04252614", "upc"), ("60322999", "ean"),
         ("4006144577350", "ean"), ("4914006144575", "jan"), ("0131103628", "isbn"),
         ("9780131103627", "isbn"), ("12345678912589", "gtin"), ("B07N4M94X4", "asin")],
    )
    def test_family_is_the_catalog_bucket(self, code, family):
        assert parse(code).family == family

    def test_upc_ean_and_gtin_forms_share_one_key(self):
        forms = ["887276302195", "0887276302195", "00887276302195"]
        assert {parse(form).key for form in forms} == {"00887276302195"}

    def test_isbn10_shares_key_with_its_isbn13(self):
        assert parse("0131103628").key == parse("9780131103627").key == "09780131103627"

    def test_upce_key_is_key_of_its_expansion(self):
        assert parse("04252614").key == parse("042100005264").key

    def test_ean8_key_is_zero_padded_to_14(self):
        assert parse("60322999").key == "00000060322999"

    def test_asin_key_is_the_asin(self):
        assert parse("B07N4M94X4").key == "B07N4M94X4"

    def test_upc_a_equivalents(self):
        assert parse("036000291452").equivalents() == {
            "ean": "0036000291452", "gtin": "00036000291452"}

    def test_ean13_with_leading_zero_equivalents(self):
        assert parse("0887276302195").equivalents() == {
            "upc": "887276302195", "gtin": "00887276302195"}

    def test_ean13_equivalents(self):
        assert parse("4006144577350").equivalents() == {"gtin": "04006144577350"}

    def test_gtin14_equivalents(self):
        assert parse("00887276302195").equivalents() == {
            "upc": "887276302195", "ean": "0887276302195"}

    def test_isbn10_equivalents(self):
        assert parse("0131103628").equivalents() == {
            "ean": "9780131103627", "gtin": "09780131103627", "isbn13": "9780131103627"}

    def test_isbn13_978_equivalents(self):
        assert parse("9780131103627").equivalents() == {
            "gtin": "09780131103627", "isbn10": "0131103628"}

    def test_isbn13_979_has_no_isbn10(self):
        assert parse("9791843123391").equivalents() == {"gtin": "09791843123391"}

    def test_upce_equivalents(self):
        assert parse("04252614").equivalents() == {
            "upc": "042100005264", "ean": "0042100005264", "gtin": "00042100005264"}

    def test_ean8_equivalents(self):
        assert parse("60322999").equivalents() == {"gtin": "00000060322999"}

    def test_book_asin_equivalents(self):
        assert parse("0131103628", hint="asin").equivalents() == {
            "ean": "9780131103627", "gtin": "09780131103627", "isbn13": "9780131103627",
            "isbn10": "0131103628"}

    def test_b0_asin_has_no_equivalents(self):
        assert parse("B07N4M94X4").equivalents() == {}

    def test_is_immutable(self):
        ident = parse("036000291452")
        with pytest.raises(AttributeError):
            ident.value = "x"  # type: ignore[misc]

    def test_equals_an_identifier_built_directly(self):
        assert parse("036000291452") == Identifier(IdKind.UPC_A, "036000291452", "036000291452")

    # ----------------------------------------------------------------- round trips
    @given(digit_strings(11))
    def test_upc_a_to_ean13_keeps_the_key_and_comes_back(self, payload):
        upc = parse(with_gtin_check(payload))
        ean13 = parse(upc.equivalents()["ean"])
        assert ean13.key == upc.key == parse(upc.equivalents()["gtin"]).key
        assert ean13.equivalents()["upc"] == upc.value

    @given(digit_strings(9))
    def test_isbn10_to_isbn13_and_back(self, payload):
        isbn10 = with_isbn10_check(payload)
        isbn13 = parse(parse(isbn10).equivalents()["isbn13"])
        assert isbn13.kind is IdKind.ISBN_13
        assert isbn13.value == std_isbn.to_isbn13(isbn10)
        assert isbn13.equivalents()["isbn10"] == isbn10
        assert isbn13.key == parse(isbn10).key

    @given(st.sampled_from("01"), digit_strings(6))
    def test_upce_and_its_upc_a_share_a_key(self, system, body):
        upce = upce_with_check(system + body)
        assert parse(upce).key == parse(upce_to_upca(upce)).key

    @given(valid_codes())
    def test_every_equivalent_parses_to_the_same_key(self, code):
        ident = parse(code)
        for form in ident.equivalents().values():
            assert key_of(form) == ident.key


# =========================================================================== helpers


class TestParseAsin:
    def test_returns_normalised_b0_asin(self):
        assert parse_asin(" b07n4m94x4") == "B07N4M94X4"

    def test_returns_isbn10_as_book_asin(self):
        assert parse_asin("0-13-110362-8") == "0131103628"

    def test_returns_labelled_isbn10_as_book_asin(self):
        assert parse_asin("ISBN 0-13-110362-8") == "0131103628"

    def test_rejects_a_upc_with_reason(self):
        with pytest.raises(InvalidIdentifier, match="is a UPC-A, not an ASIN"):
            parse_asin("036000291452")

    def test_rejects_an_ean_with_reason(self):
        with pytest.raises(InvalidIdentifier, match="is an EAN-13, not an ASIN"):
            parse_asin("4006144577350")

    def test_rejects_junk(self):
        with pytest.raises(InvalidIdentifier, match="contains letters"):
            parse_asin("A07N4M94X4")


class TestKeyOf:
    def test_returns_the_index_key(self):
        assert key_of("0-13-110362-8") == "09780131103627"

    def test_uses_the_hint(self):
        assert key_of("0131103628", hint="asin") == "0131103628"

    def test_raises_for_invalid_codes(self):
        with pytest.raises(InvalidIdentifier):
            key_of("4006144577359")


# =========================================================================== keys_frame


class TestKeysFrame:
    def test_returns_key_kind_error_per_row_in_order(self):
        frame = keys_frame(pl.Series(["036000291452", "bad", None, "0-13-110362-8"]))
        assert frame.columns == ["key", "kind", "error"]
        assert frame.schema == {"key": pl.String, "kind": pl.String, "error": pl.String}
        assert frame.rows() == [
            ("00036000291452", "upc_a", None),
            (None, None, _reason("bad")),
            (None, None, "empty"),
            ("09780131103627", "isbn_10", None),
        ]

    def test_handles_an_empty_series(self):
        assert keys_frame(pl.Series([], dtype=pl.String)).shape == (0, 3)

    def test_handles_an_all_null_series(self):
        assert keys_frame(pl.Series([None, None])).rows() == [(None, None, "empty")] * 2

    def test_rejects_unsupported_dtypes(self):
        with pytest.raises(TypeError):
            keys_frame(pl.Series([[1, 2]]))

    @FRAME_SETTINGS
    @given(st.lists(cells, max_size=40), st.sampled_from(HINTS))
    def test_matches_parse_on_messy_text(self, values, hint):
        frame = keys_frame(pl.Series(values, dtype=pl.String), hint)
        assert frame.rows() == [_verdict(value, hint) for value in values]

    @FRAME_SETTINGS
    @given(
        st.lists(
            st.one_of(st.integers(-(10**15), 10**15), valid_codes().filter(str.isdigit).map(int)),
            max_size=30,
        ),
        st.sampled_from(HINTS),
    )
    def test_matches_parse_on_integers(self, values, hint):
        frame = keys_frame(pl.Series(values, dtype=pl.Int64), hint)
        assert frame.rows() == [_verdict(value, hint) for value in values]

    @FRAME_SETTINGS
    @given(
        st.lists(st.one_of(st.floats(), valid_codes().filter(str.isdigit).map(float), st.none()),
                 max_size=30),
        st.sampled_from(HINTS),
    )
    def test_matches_parse_on_floats(self, values, hint):
        frame = keys_frame(pl.Series(values, dtype=pl.Float64), hint)
        assert frame.rows() == [_verdict(value, hint) for value in values]

    def test_matches_parse_on_fixture_codes(self):
        if not (CSV_PATH.is_file() and JSON_PATH.is_file()):
            pytest.skip(MISSING)
        values = [row["full_code"] for row in _csv_data()]
        values += _wild()
        values += [_arg(v) for v in _vectors(*COVERED_FUNCTIONS)]
        for hint in HINTS:
            assert keys_frame(pl.Series(values), hint).rows() == [_verdict(v, hint) for v in values]


# =========================================================================== lost leading zeros


class TestLostLeadingZeros:
    """Spreadsheets drop every leading zero of a number: a code that fails its own reading but
    passes as a zero-filled GTIN is that UPC, and says so (issue 20)."""

    def test_reads_10_digits_with_a_bad_isbn_check_as_the_upc_they_were(self):
        ident = parse("1595255882")
        assert (ident.kind, ident.value, ident.key) == (IdKind.UPC_A, "001595255882", "00001595255882")
        assert ident.note == "read as UPC 001595255882: restored 2 leading zeros lost by a spreadsheet"

    def test_reads_9_digits_with_a_bad_isbn_check_as_the_upc_they_were(self):
        ident = parse("595255885")  # UPC 000595255885 without its three zeros
        assert (ident.kind, ident.value) == (IdKind.UPC_A, "000595255885")
        assert ident.note == "read as UPC 000595255885: restored 3 leading zeros lost by a spreadsheet"

    def test_reads_7_digits_as_the_upc_they_were(self):
        ident = parse("1234565")
        assert (ident.kind, ident.value) == (IdKind.UPC_A, "000001234565")
        assert ident.note == "read as UPC 000001234565: restored 5 leading zeros lost by a spreadsheet"

    def test_8_digits_keep_their_ean8_reading_whose_key_is_the_zero_filled_gtin(self):
        ident = parse("96385074")
        assert ident.kind is IdKind.EAN_8 and ident.key == "00000096385074" and ident.note is None

    def test_still_rejects_7_digits_that_are_no_zero_filled_gtin(self):
        assert _reason("1234567") == "7 digits: too short for any product code (an EAN-8 has 8 digits)"

    def test_still_rejects_6_digits_even_when_zero_filled_they_pass(self):
        assert "too short" in _reason("123457")

    def test_an_ean_hint_restores_an_ean13(self):
        ident = parse("1595255882", hint="ean")
        assert (ident.kind, ident.value) == (IdKind.EAN_13, "0001595255882")
        assert ident.note == "read as EAN 0001595255882: restored 3 leading zeros lost by a spreadsheet"

    def test_an_asin_hint_never_restores_zeros(self):
        assert "check digit" in _reason("1595255882", hint="asin")

    def test_a_code_valid_both_ways_keeps_its_isbn_and_reaches_the_upc_too(self):
        ident = parse("1000000052")
        assert (ident.kind, ident.value) == (IdKind.ISBN_10, "1000000052")
        assert ident.keys == ("09781000000054", "00001000000052")
        assert [r.value for r in ident.readings()] == ["1000000052", "001000000052"]
        assert ident.note == "matched as ISBN-10 1000000052 and as UPC 001000000052 (the digits are valid both ways)"

    def test_a_9_digit_code_valid_both_ways_restores_one_zero_for_the_isbn(self):
        ident = parse("100000061")  # ISBN 0100000061, and UPC 000100000061
        assert ident.kind is IdKind.ISBN_10 and ident.value == "0100000061"
        assert ident.also == "00000100000061"

    def test_an_isbn_hint_keeps_the_isbn_reading_only(self):
        ident = parse("1000000052", hint="isbn")
        assert ident.keys == ("09781000000054",) and ident.note is None

    def test_a_plain_isbn_has_one_key_and_no_note(self):
        ident = parse("0131103628")
        assert ident.keys == (ident.key,) and ident.note is None and ident.readings() == (ident,)

    @FRAME_SETTINGS
    @given(st.lists(digit_strings(6, 11), max_size=40), st.sampled_from(HINTS))
    def test_readings_frame_matches_parse(self, values, hint):
        frame = readings_frame(pl.Series(values, dtype=pl.String), hint)
        expected = []
        for value in values:
            try:
                ident = parse(value, hint)
                expected.append((ident.key, ident.kind.value, None, ident.also, ident.note))
            except InvalidIdentifier as exc:
                expected.append((None, None, exc.reason, None, None))
        assert frame.rows() == expected


class TestWeightedTables:
    @pytest.mark.parametrize("weights, modulus", [((1, 3, 1, 3), 10), ((3, 1, 3, 1), 10), ((2, 3, 4, 5), 11),
                                                  ((9, 10), 11), ((7,), 10)])
    def test_each_group_of_four_digits_holds_its_weighted_sum(self, weights, modulus):
        import polars as pl

        from sellerkit.domain.identifiers import _weighted_table

        expected = [sum(w * (v // 10**k % 10) for k, w in enumerate(weights)) % modulus for v in range(10_000)]
        table = _weighted_table(pl, weights, modulus)
        assert table.dtype == pl.UInt8 and table.to_list() == expected
