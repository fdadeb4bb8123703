"""The column mapping the upload page offers from a supplier file's header row."""

from sellerkit.domain.mapping import guess


class TestGuess:
    def test_maps_common_header_words(self):
        assert guess(["UPC", "Description", "Unit Cost", "SKU", "Qty"]) == {
            "id": 0, "cost": 2, "supplier_sku": 3, "supplier_title": 1, "stock_quantity": 4}

    def test_exact_cell_beats_a_cell_containing_the_word(self):
        assert guess(["List Price", "Price", "EAN"])["cost"] == 1

    def test_each_column_is_used_once(self):
        mapped = guess(["Item Code", "Cost"])
        assert mapped == {"id": 0, "cost": 1}

    def test_unknown_header_offers_the_simplest_mapping(self):
        assert guess(["foo", "bar", "baz"]) == {"id": 0, "cost": 1}

    def test_empty_cells_are_skipped(self):
        assert guess([None, "", "ASIN", "wholesale price"]) == {"id": 2, "cost": 3}
