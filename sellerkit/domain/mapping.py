"""A supplier file's column mapping guessed from its header row, for the upload page to offer
(the seller confirms or changes it before the scan runs). Pure: header cells in, columns out."""

from __future__ import annotations

import re
from collections.abc import Sequence

# The mapping's fields (scans.schemas.Mapping) in the order a page shows them, with the header
# words suppliers use for each; the earlier a word, the stronger the match.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("upc", "ean", "asin", "gtin", "isbn", "barcode", "jan", "identifier", "product id", "item id", "code"),
    "cost": ("cost", "unit cost", "wholesale", "net price", "buy price", "price", "unit price"),
    "supplier_sku": ("sku", "item number", "item no", "part number", "model", "mpn", "article"),
    "supplier_title": ("title", "description", "product name", "item name", "name"),
    "supplier_image": ("image", "image url", "picture", "photo"),
    "supplier_pack_quantity": ("pack quantity", "case pack", "pack size", "pack", "qty per case", "inner"),
    "map": ("map", "minimum advertised price"),
    "stock_quantity": ("stock", "quantity", "qty", "available", "inventory", "on hand"),
    "discount_per_product": ("discount",),
}
REQUIRED = ("id", "cost")


def _words(cell: object) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", str(cell).lower())) if cell is not None else ""


def guess(header: Sequence[object]) -> dict[str, int]:
    """Field -> column for the fields some header cell names; each column used once. An exact
    cell match beats a cell containing the word, and a field's earlier words beat its later ones.
    Without a usable header the reference's simplest mapping (id in 0, cost in 1) is offered."""
    cells = [_words(c) for c in header]
    taken: set[int] = set()
    out: dict[str, int] = {}
    for exact in (True, False):
        for field, words in FIELDS.items():
            if field in out:
                continue
            for word in words:
                col = next((i for i, cell in enumerate(cells) if i not in taken and cell and (
                    cell == word if exact else re.search(rf"\b{re.escape(word)}\b", cell))), None)
                if col is not None:
                    out[field] = col
                    taken.add(col)
                    break
    if "id" not in out and "cost" not in out and len(cells) >= 2:
        out.update(id=0, cost=1)
    return {field: out[field] for field in FIELDS if field in out}
