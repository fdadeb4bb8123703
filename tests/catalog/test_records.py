"""The canonical fast path must agree with the general, field-by-field path on every record."""

from __future__ import annotations

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sellerkit.catalog.records import canonical_product, normalise_product
from tests.catalog.factories import ISBN10, ISBN13, UPC, UPC_SP_API

ASINS = ["B07N4M94X4", "B0000000AA", ISBN10, "0306406152"]
BAD_ASINS = ["1234567890", "b07n4m94x4", " B07N4M94X4", "B07N4M94X"]
CODES = [UPC, UPC_SP_API, "0" + UPC, ISBN10, ISBN13, "9790000000001", "4901234567894", "00036000291452"]
BAD_CODES = ["036000291453", "36000291452", "123", "0-13-110362-8", " " + UPC, 36000291452]


def field(clean, messy):
    """Mostly canonical values, so the fast path is exercised, with messy ones mixed in."""
    return st.integers(0, 9).flatmap(lambda i: messy if i == 0 else clean)


TEXT = field(
    st.sampled_from(["Widget", "Ünïcode", 'quote "" inside', "null"]) | st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=8),
    st.sampled_from([" padded ", "", "  ", None, 5]),
)
NUMBER = field(st.integers(0, 10**6), st.sampled_from([-3, 2.0, 2.5, True, "12", "1,200", "x", "", None]))
DIMENSION = field(st.integers(0, 100) | st.floats(0, 100), st.sampled_from([-1.0, "2", "x", "", None, True]))
DIMS = field(
    st.fixed_dictionaries({}, optional={d: DIMENSION for d in ("length", "width", "height", "weight")}),
    st.sampled_from([{"length": 1.0, "depth": 2.0}, "1x2x3", {}, None]),
)
CODE_LISTS = field(st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
                   st.lists(st.sampled_from(CODES + BAD_CODES), max_size=3) | st.sampled_from(CODES + BAD_CODES))
IDENTIFIERS = field(
    st.dictionaries(st.sampled_from(["upc", "ean", "isbn", "gtin", "jan"]), CODE_LISTS, min_size=1, max_size=4),
    st.sampled_from([None, "x", {}, {"asin": ["B07N4M94X4"]}]),
)
OPTIONAL = {
    "brand": TEXT,
    "rank": NUMBER,
    "buybox_price": NUMBER,
    "sold_by_amazon": field(st.booleans(), st.sampled_from(["yes", 1, "maybe", None])),
    "parent_asin": field(st.sampled_from(ASINS), st.sampled_from(BAD_ASINS + [None])),
    "variations_list": field(st.lists(st.sampled_from(ASINS), min_size=1, max_size=3),
                             st.sampled_from(["B07N4M94X4|B0000000AA", [], BAD_ASINS])),
    "package_dimensions": DIMS,
    "identifiers": IDENTIFIERS,
    "images": field(st.lists(st.just("https://x/1.jpg"), min_size=1, max_size=2), st.sampled_from(["a|b", [""], []])),
    "release_date": field(st.sampled_from(["2024-02-29", "2024-01-01"]),
                          st.sampled_from(["2023-02-29", "2024-01-01T10:00:00Z", "", None])),
    "sales_ranks": field(
        st.lists(st.fixed_dictionaries({"rank": st.integers(1, 99), "title": st.just("Toys")}), min_size=1, max_size=2),
        st.sampled_from(['[{"rank": 3, "title": "Toys"}]', [{"rank": 3}], [{"rank": "3", "title": "x"}]]),
    ),
    "updated_at": field(
        st.sampled_from(["2026-11-01T00:00:00Z", "2024-02-29T23:59:59Z"]),
        st.sampled_from(["2026-11-01T00:00:00.500Z", "2026-11-01T00:00:00+02:00", "2026-02-30T00:00:00Z",
                         "2026-11-01", "yesterday", ""]),
    ),
    "demo": field(st.booleans(), st.sampled_from([None, ""])),
    "extra": field(st.integers(-(2**63), 2**63 - 1), st.sampled_from([{}, [], None])),
}
RECORDS = st.fixed_dictionaries(
    {
        "marketplace": field(st.sampled_from(["US", "UK", "DE"]), st.sampled_from(["us", "GB", "XX"])),
        "asin": field(st.sampled_from(ASINS), st.sampled_from(BAD_ASINS)),
        "title": TEXT,
    },
    optional=OPTIONAL,
)


@settings(max_examples=1500, deadline=None)
@given(RECORDS)
def test_canonical_path_agrees_with_field_by_field_path(raw):
    line = orjson.dumps(raw)
    fast = canonical_product(line)
    event("canonical" if fast else "general")
    if fast is None:
        return  # the general path alone handles it
    general = normalise_product(orjson.loads(line), 1)
    assert general.warnings == []
    assert orjson.loads(line) == general.record
    assert fast == (general.marketplace, general.asin, general.index)


def test_a_typical_record_takes_the_canonical_path():
    raw = {"marketplace": "US", "asin": "B07N4M94X4", "title": "Widget", "rank": 3,
           "identifiers": {"upc": [UPC], "ean": ["0" + UPC]}, "updated_at": "2026-11-01T00:00:00Z",
           "package_dimensions": {"length": 1, "width": 2.5}, "release_date": "2024-02-29"}
    fast = canonical_product(orjson.dumps(raw))
    assert fast is not None
    assert fast[2] == [("00" + UPC, "upc", UPC), ("00" + UPC, "ean", "0" + UPC)]


def test_lines_needing_repair_take_the_general_path():
    for raw in (
        {"marketplace": "US", "asin": "B07N4M94X4", "title": " Widget"},
        {"marketplace": "US", "asin": "B07N4M94X4", "title": "Widget", "rank": "3"},
        {"marketplace": "US", "asin": "B07N4M94X4", "title": "Widget", "identifiers": {"upc": ["36000291452"]}},
        {"marketplace": "US", "asin": "1234567890", "title": "Widget"},
        {"marketplace": "US", "asin": "B07N4M94X4", "title": "Widget", "brand": None},
    ):
        assert canonical_product(orjson.dumps(raw)) is None, raw


class TestNumbersByDecimal:
    """Issue 15 item 7: numbers written as text read by the import's decimal separator."""

    @staticmethod
    def record(marketplace: str, **fields) -> dict:
        return {"marketplace": marketplace, "asin": "B07N4M94X4", "title": "Thing", **fields}

    def test_a_de_record_reads_thousands_and_decimal_commas(self):
        rec = normalise_product(self.record("DE", buybox_price="1.234", package_dimensions={"weight": "1,25"}), 1)
        assert rec.record["buybox_price"] == 1234 and rec.record["package_dimensions"] == {"weight": 1.25}
        assert rec.warnings == []

    def test_an_ambiguous_us_value_is_dropped_with_a_warning_that_says_so(self):
        rec = normalise_product(self.record("US", buybox_price="1,234"), 7)
        assert "buybox_price" not in rec.record
        assert rec.warnings == ["line 7: B07N4M94X4: field 'buybox_price' dropped: \"1,234\" is ambiguous with "
                                "decimal '.' (thousands, or a decimal comma?); write it without the comma or with "
                                "decimals (1,234.00), or set the file's decimal to ','"]

    def test_the_decimal_option_overrides_the_marketplace(self):
        rec = normalise_product(self.record("US", package_dimensions={"length": "1.234,5"}), 1, decimal=",")
        assert rec.record["package_dimensions"] == {"length": 1234.5}

    def test_the_csv_export_of_three_decimals_reads_back_the_same_under_either_separator(self):
        from sellerkit.catalog.records import flatten, unflatten

        cells = flatten(self.record("DE", package_dimensions={"weight": 1.234, "length": 12.5}))
        assert cells["package_dimensions.weight"] == "1.2340"
        for decimal in (".", ","):
            back = normalise_product(unflatten(cells), 1, decimal=decimal).record
            assert back["package_dimensions"] == {"weight": 1.234, "length": 12.5}


class TestProvenanceMerge:
    """`provenance` merges kind by kind, the later observation winning, like `identifiers`."""

    @staticmethod
    def seen(provider: str, at: str) -> dict:
        return {"provider": provider, "operation": "op", "observed_at": at}

    def test_kinds_from_both_sides_are_kept(self):
        from sellerkit.catalog.records import merge

        old = {"asin": "B000000001", "updated_at": "2026-01-01T00:00:00Z",
               "provenance": {"catalog": self.seen("spapi", "2026-01-01T00:00:00Z")}}
        new = {"asin": "B000000001", "updated_at": "2026-01-02T00:00:00Z", "buybox_price": 999,
               "provenance": {"pricing": self.seen("spapi", "2026-01-02T00:00:00Z")}}
        merged = merge(old, new)
        assert merged["provenance"] == {"catalog": self.seen("spapi", "2026-01-01T00:00:00Z"),
                                        "pricing": self.seen("spapi", "2026-01-02T00:00:00Z")}

    def test_a_kind_observed_later_wins_even_in_an_older_record(self):
        from sellerkit.catalog.records import merge

        old = {"asin": "B000000001", "updated_at": "2026-03-01T00:00:00Z", "rank": 5,
               "provenance": {"pricing": self.seen("keepa", "2026-01-01T00:00:00Z")}}
        new = {"asin": "B000000001", "updated_at": "2026-02-01T00:00:00Z", "rank": 9,
               "provenance": {"pricing": self.seen("spapi", "2026-02-01T00:00:00Z"),
                              "catalog": self.seen("spapi", "2026-02-01T00:00:00Z")}}
        merged = merge(old, new)
        assert merged["rank"] == 5  # the newer record's fields win
        assert merged["provenance"]["pricing"]["provider"] == "spapi"  # but pricing was seen later
        assert merge(new, old)["provenance"] == merged["provenance"]  # whichever side comes in
