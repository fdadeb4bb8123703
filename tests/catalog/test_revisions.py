"""Which marketplaces hold products, and each one's catalog revision: what the snapshot sweep asks every minute."""

from __future__ import annotations

from sellerkit.catalog import repository as repo
from sellerkit.catalog.demo import generate
from tests.conftest import import_records


def test_an_empty_catalog_has_no_marketplaces(db):
    with db.reader() as reader:
        assert repo.revisions(reader) == {}


def test_every_marketplace_with_products_is_listed_once_with_its_revision(db):
    records = list(generate(300, seed=3, history_share=0.0))
    import_records(db, records)
    with db.reader() as reader:
        found = repo.revisions(reader)
        assert sorted(found) == sorted({r["marketplace"] for r in records})
        assert len(found) > 2
        assert found == {mp: repo.revision(reader, mp) for mp in found}
