"""Catalog use cases: import batches, export, and identifier conversion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from sellerkit.catalog import repository as repo
from sellerkit.catalog.records import (
    IDENTIFIER_FAMILIES,
    IndexEntry,
    RecordRejected,
    canonical_product,
    format_timestamp,
    index_of,
    is_observation,
    merge,
    normalise_observation,
    normalise_product,
)
from sellerkit.domain import identifiers as ids
from sellerkit.domain.marketplaces import UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote
from sellerkit.errors import Invalid
from sellerkit.kit.db import Reader

MAX_MESSAGES = 200  # kept for the summary; the counts stay exact beyond it


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    observations: int = 0
    messages: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)

    def add(self, other: ImportReport) -> None:
        for name in ("inserted", "updated", "unchanged", "rejected", "warnings", "observations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for m in other.messages:
            self.note(m)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "observations": self.observations,
            "messages": self.messages,
        }


def _index_rows(marketplace: str, asin: str, index: list[IndexEntry]) -> list[tuple]:
    return [(marketplace, key, asin, family, value) for key, family, value in index]


@dataclass
class PreparedBatch:
    """A batch validated and encoded, ready to write: plain tuples grouped by marketplace, the
    identifier rows flat rather than per product, as they are quickest to pass between
    processes (workers validate while the main process writes)."""

    products: dict[str, list[tuple]]  # marketplace -> product rows (marketplace, asin, data)
    identifiers: dict[str, list[tuple]]  # marketplace -> their identifier rows
    observations: list[dict]
    report: ImportReport

    @property
    def rows(self) -> int:
        return sum(map(len, self.products.values())) + len(self.observations)


def prepare_batch(items: list[tuple[int, Any]], decimal: str | None = None) -> PreparedBatch:
    """Parse and validate raw lines (bytes, dicts or rejections); no I/O. Numbers written as
    text are read by `decimal` (default: each record's marketplace's)."""
    report = ImportReport()
    products: dict[tuple[str, str], tuple[str, list[IndexEntry]]] = {}
    observations: list[dict] = []
    for line, raw in items:
        warnings: list[str] = []
        try:
            fast = canonical_product(raw) if isinstance(raw, bytes) else None
            if fast is not None:
                mp, asin, index = fast
                key, data = (mp, asin), raw.strip().decode()
            else:
                if isinstance(raw, bytes):
                    raw = _decode_line(raw, line)
                elif isinstance(raw, RecordRejected):
                    raise raw
                if is_observation(raw):
                    obs, warnings = normalise_observation(raw, line, decimal)
                    observations.append(obs)
                    key = None
                else:
                    rec = normalise_product(raw, line, decimal)
                    key, index, warnings = (rec.marketplace, rec.asin), rec.index, rec.warnings
                    data = orjson.dumps(rec.record).decode()
        except RecordRejected as exc:
            report.rejected += 1
            report.note(f"rejected line {exc.line}: {exc.reason}")
            continue
        if key is not None:
            if key in products:  # the same product twice in one batch: merge in file order
                merged = merge(orjson.loads(products[key][0]), orjson.loads(data))
                data, index = orjson.dumps(merged).decode(), index_of(merged)
            products[key] = (data, index)
        report.warnings += len(warnings)
        for w in warnings:
            report.note(f"warning {w}")
    rows: dict[str, list[tuple]] = {}
    index_rows: dict[str, list[tuple]] = {}
    for (mp, asin), (data, index) in products.items():
        if mp not in rows:
            rows[mp], index_rows[mp] = [], []
        rows[mp].append((mp, asin, data))
        index_rows[mp] += _index_rows(mp, asin, index)
    return PreparedBatch(rows, index_rows, observations, report)


def _decode_line(raw: bytes, line: int) -> dict:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RecordRejected(line, f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RecordRejected(line, "expected a JSON object on this line")
    return obj


def resolve_marketplace(code: object) -> str:
    try:
        return marketplace(code).code
    except UnknownMarketplace as exc:
        raise Invalid(str(exc)) from None


def _family_order(family_value: tuple[str, str]) -> tuple[int, str]:
    return IDENTIFIER_FAMILIES.index(family_value[0]), family_value[1]


_LABEL = {"upc": "UPC", "ean": "EAN", "isbn": "ISBN", "gtin": "GTIN", "jan": "JAN", "asin": "ASIN"}


class CatalogService:
    def import_batch(self, session: Session, items: list[tuple[int, Any]]) -> ImportReport:
        """Validate and upsert one batch of raw records (the caller owns the transaction)."""
        return self.write_prepared(session, prepare_batch(items))

    def write_prepared(self, session: Session, batch: PreparedBatch) -> ImportReport:
        """Upsert a prepared batch: new products inserted, known ones merged by `updated_at`."""
        report = ImportReport()
        report.add(batch.report)
        for mp, rows in batch.products.items():
            self._upsert(session, mp, rows, batch.identifiers[mp], report)
        report.observations += repo.insert_observations(session, batch.observations)
        return report

    def _upsert(
        self, session: Session, mp: str, rows: list[tuple], index_rows: list[tuple], report: ImportReport
    ) -> None:
        found = repo.insert_new_products(session, mp, rows)
        report.inserted += len(rows) - len(found)
        replaced: list[str] = []
        if found:  # merge the known products; the identifier rows are those of the new ones
            index_rows = [r for r in index_rows if r[2] not in found]
            updates = []
            for _mp, asin, data in rows:
                if asin not in found:
                    continue
                pid, old_data = found[asin]
                if old_data == data:  # the same record again, as re-importing a file gives
                    report.unchanged += 1
                    continue
                old = orjson.loads(old_data)
                merged = merge(old, orjson.loads(data))
                if merged == old:
                    report.unchanged += 1
                    continue
                updates.append({"_id": pid, "data": orjson.dumps(merged).decode()})
                replaced.append(asin)
                index_rows += _index_rows(mp, asin, index_of(merged))
                report.updated += 1
            repo.update_products(session, updates)
            if replaced:
                repo.replace_identifiers(session, mp, replaced, [])
        repo.insert_identifiers(session, index_rows)
        if len(found) < len(rows) or replaced:
            repo.bump_revision(session, mp)

    def export_records(
        self, session: Session, marketplace: str | None = None, observations: bool = False
    ) -> Iterator[dict]:
        mp = resolve_marketplace(marketplace) if marketplace else None
        for data in repo.iter_product_data(session, mp):
            yield orjson.loads(data)
        if observations:
            for row in repo.iter_observations(session, mp):
                obs = {"type": "observation", "marketplace": row.marketplace, "asin": row.asin,
                       "observed_at": format_timestamp(row.observed_at)}
                for name in ("buybox_price", "rank", "amazon_in_stock", "new_offers_count", "monthly_sold"):
                    if getattr(row, name) is not None:
                        obs[name] = getattr(row, name)
                yield obs

    def sample_codes(self, session: Session, marketplace_code: str, per_kind: int = 3) -> dict[str, list[str]]:
        """Codes really in the catalog, a few of each kind, for a new user's first requests:
        `{"upc": [...], "ean": [...], "isbn": [...], "asin": [...]}` (ASINs of those UPCs);
        kinds the catalog lacks are left out."""
        mp = resolve_marketplace(marketplace_code)

        def sample(family: str, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
            first: dict[str, str] = {}
            for value, asin in repo.sample_identifiers(session, mp, family, per_kind * 4, skip):
                first.setdefault(value, asin)  # multipacks share their unit's codes
            return list(first.items())[:per_kind]

        upcs = sample("upc")
        found = {
            "upc": [value for value, _ in upcs],
            # an EAN of its own, not a UPC with a leading 0 nor a Bookland ISBN-13
            "ean": [value for value, _ in sample("ean", ("0", "978", "979"))],
            "isbn": [value for value, _ in sample("isbn", ("978", "979"))],
            "asin": list(dict.fromkeys(asin for _, asin in upcs)),
        }
        return {kind: values for kind, values in found.items() if values}

    def count(self, session: Session) -> int:
        return repo.count_products(session)

    def records(self, reader: Reader, marketplace_code: str, asins: list[str]) -> dict[str, dict]:
        """`{asin: catalog record}` of those of `asins` the marketplace's catalog holds."""
        return repo.product_records(reader, marketplace_code, asins)

    def history(self, reader: Reader, marketplace_code: str, asin: str) -> list[tuple]:
        """`(observed_at, buybox_price cents, rank)` of one product, oldest first (its chart)."""
        return repo.observations_of(reader, marketplace_code, asin)

    def convert(self, reader: Reader, marketplace_code: str, codes: list[str]) -> dict[str, list[str]]:
        """UPC/EAN/ISBN -> `[ASIN..., other identifiers...]`; codes with no match are omitted."""
        return self.conversion(reader, marketplace_code, codes)[0]

    def conversion(self, reader: Reader, marketplace_code: str, codes: list[str]
                   ) -> tuple[dict[str, list[str]], dict[str, str]]:
        """(the reference's reply: each converted code -> `[ASIN..., other identifiers...]`,
        each code that was not converted -> why: not a valid code and what is wrong with it, or
        no product with it in the marketplace's catalog)."""
        mp = resolve_marketplace(marketplace_code)
        parsed: dict[str, ids.Identifier] = {}
        why_not: dict[str, str] = {}
        for code in codes:
            try:
                parsed[code] = ids.parse(code)
            except ids.InvalidIdentifier as exc:
                why_not[code] = f"not a valid code: {exc.reason}"
        if not parsed:
            return {}, why_not
        keys = {key for p in parsed.values() for key in p.keys}
        asins_by_key: dict[str, set[str]] = {}
        values_by_asin: dict[str, list[tuple[str, str]]] = {}
        for key, asin, family, value in repo.matches_for_keys(reader, mp, keys):
            values_by_asin.setdefault(asin, []).append((family, value))
            if key in keys:
                asins_by_key.setdefault(key, set()).add(asin)
        out: dict[str, list[str]] = {}
        for code, ident in parsed.items():
            asins = sorted({asin for key in ident.keys for asin in asins_by_key.get(key, ())})
            if not asins:
                read_as = f" ({ident.note})" if ident.note else ""
                why_not[code] = f"no product with this {_LABEL.get(ident.family, ident.family)} in the {mp} catalog{read_as}"
                continue
            others: list[str] = []
            for asin in asins:
                for _family, value in sorted(values_by_asin[asin], key=_family_order):
                    if value != ident.value and value not in others and value not in asins:
                        others.append(value)
            out[code] = asins + others
        return out, why_not

    def asin_convert(
        self, reader: Reader, marketplace_code: str, asins: list[str]
    ) -> dict[str, dict[str, list[str]]]:
        """ASIN -> `{upc: [...], ean: [...], isbn: [...], gtin: [...], jan: [...]}`."""
        mp = resolve_marketplace(marketplace_code)
        normalised = []
        for i, raw in enumerate(asins):
            try:
                normalised.append(ids.parse_asin(raw))
            except ids.InvalidIdentifier as exc:
                raise Invalid(f"asins[{i}]: {quote(raw)} is not an ASIN: {exc.reason}") from None
        out: dict[str, dict[str, list[str]]] = {}
        for asin, family, value in sorted(repo.identifiers_for_asins(reader, mp, set(normalised))):
            entry = out.setdefault(asin, {f: [] for f in IDENTIFIER_FAMILIES})
            if value not in entry[family]:
                entry[family].append(value)
        return out


catalog = CatalogService()
