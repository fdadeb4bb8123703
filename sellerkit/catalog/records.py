"""Catalog-format records (specs/catalog-format.md): validate, normalise, merge, flatten.

Pure logic: readers hand in dicts, the repository gets dicts back. One place decides what a
valid record is, so JSONL, CSV, demo data and providers are all held to the same contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
import orjson

from sellerkit.domain import identifiers as ids
from sellerkit.domain import numbers
from sellerkit.domain.marketplaces import MARKETPLACES, UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote

# field -> type tag, in the spec's order (also the CSV column order).
PRODUCT_FIELDS: dict[str, str] = {
    "marketplace": "str",
    "asin": "str",
    "title": "str",
    "brand": "str",
    "manufacturer": "str",
    "color": "str",
    "size_name": "str",
    "mpn": "str",
    "model_number": "str",
    "part_number": "str",
    "category": "str",
    "category_raw": "str",
    "product_group": "str",
    "rank": "int",
    "sales_ranks": "ranks",
    "buybox_price": "int",
    "buybox_price_used": "int",
    "list_price": "int",
    "lowest_price_new_fba": "int",
    "lowest_price_new_fbm": "int",
    "lowest_price_used_fba": "int",
    "lowest_price_used_fbm": "int",
    "new_fba_offers_count": "int",
    "new_fbm_offers_count": "int",
    "total_offers_count": "int",
    "competitive_sellers": "int",
    "sold_by_amazon": "bool",
    "amazon_pack_quantity": "int",
    "parent_asin": "asin",
    "number_of_variations": "int",
    "variations_list": "asins",
    "package_dimensions": "dims",
    "item_dimensions": "dims",
    "identifiers": "ids",
    "images": "strs",
    "is_hazmat": "bool",
    "is_meltable": "bool",
    "is_adult": "bool",
    "has_expiration": "bool",
    "release_date": "date",
    "bullet_points": "strs",
    "monthly_sold": "int",
    "updated_at": "timestamp",
}
# sellerkit's own extra fields (the spec keeps extras): typed like spec fields, so a CSV cell
# `true` comes back as the boolean it was and a CSV export carries the column. `"demo": true`
# labels the demo generator's products.
LABEL_FIELDS: dict[str, str] = {"demo": "bool"}
OBSERVATION_FIELDS: dict[str, str] = {
    "marketplace": "str",
    "asin": "str",
    "observed_at": "timestamp",
    "buybox_price": "int",
    "rank": "int",
    "amazon_in_stock": "bool",
    "new_offers_count": "int",
    "monthly_sold": "int",
}
IDENTIFIER_FAMILIES = ("upc", "ean", "isbn", "gtin", "jan")
DIMENSIONS = ("length", "width", "height", "weight")
LIST_SEPARATOR = "|"


class RecordRejected(ValueError):
    """A record that cannot enter the catalog; `line` is its 1-based line in the file."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


# An identifier-index entry: (key, family, value); `key` is the 14-digit GTIN all spellings share.
IndexEntry = tuple[str, str, str]


@dataclass(slots=True)
class ProductRecord:
    """A validated product, its identifier-index entries, and what was dropped on the way."""

    record: dict[str, Any]
    index: list[IndexEntry]
    warnings: list[str] = field(default_factory=list)

    @property
    def marketplace(self) -> str:
        return self.record["marketplace"]

    @property
    def asin(self) -> str:
        return self.record["asin"]


def is_observation(raw: dict) -> bool:
    return raw.get("type") == "observation"


# ---- coercion ---------------------------------------------------------------------------------


class _Drop(ValueError):
    pass


def _number(v: str, decimal: str, wanted: str) -> Decimal:
    """A text cell by the file's decimal separator (`domain.numbers`, as scans read cells)."""
    try:
        return numbers.parse(re.sub(r"\s", "", v), decimal)
    except numbers.NumberError as exc:
        if "ambiguous" in exc.reason:
            raise _Drop(quote(v) + numbers.ambiguous_suffix(decimal)) from None
        raise _Drop(f"expected {wanted}, got {quote(v)}") from None


def _int(v: Any, decimal: str = ".") -> int:
    if isinstance(v, bool):
        raise _Drop("expected a whole number, got true/false")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        d = _number(v, decimal, "a whole number")
        if d == d.to_integral_value():
            return int(d)
    raise _Drop(f"expected a whole number, got {quote(v)}")


def _float(v: Any, decimal: str = ".") -> float:
    if isinstance(v, bool):
        raise _Drop("expected a number, got true/false")
    if isinstance(v, int | float):
        return v
    if isinstance(v, str):
        return float(_number(v, decimal, "a number"))
    raise _Drop(f"expected a number, got {quote(v)}")


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise _Drop(f"expected true or false, got {quote(v)}")


def _strs(v: Any) -> list[str]:
    if isinstance(v, str):
        return [s.strip() for s in v.split(LIST_SEPARATOR) if s.strip()]
    if isinstance(v, list) and all(isinstance(s, str) for s in v):
        return v
    raise _Drop(f"expected a list of strings, got {quote(v)}")


def parse_timestamp(v: Any) -> datetime:
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, str):
        try:
            dt = datetime.fromisoformat(v.strip())
        except ValueError:
            raise _Drop(f"expected an ISO 8601 timestamp, got {quote(v)}") from None
    else:
        raise _Drop(f"expected an ISO 8601 timestamp, got {quote(v)}")
    if dt.tzinfo is None:
        raise _Drop(f"timestamp {quote(v)} has no offset; add Z or +00:00")
    return dt.astimezone(UTC)


def format_timestamp(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _coerce(tag: str, v: Any, decimal: str = ".") -> Any:
    if tag == "str":
        if isinstance(v, str):
            return v.strip()
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        raise _Drop(f"expected text, got {quote(v)}")
    if tag == "int":
        return _int(v, decimal)
    if tag == "bool":
        return _bool(v)
    if tag == "strs":
        return _strs(v)
    if tag == "asin":
        return _asin(v)
    if tag == "asins":
        return [_asin(a) for a in _strs(v)]
    if tag == "timestamp":
        return format_timestamp(parse_timestamp(v))
    if tag == "date":
        if isinstance(v, str):
            try:
                return date.fromisoformat(v.strip()[:10]).isoformat()
            except ValueError:
                pass
        raise _Drop(f"expected a date YYYY-MM-DD, got {quote(v)}")
    if tag == "dims":
        if not isinstance(v, dict):
            raise _Drop(f"expected {{length, width, height, weight}}, got {quote(v)}")
        out = {}
        for k in DIMENSIONS:
            if v.get(k) not in (None, ""):
                value = _float(v[k], decimal)
                if value < 0:
                    raise _Drop(f"{k} is negative ({value})")
                out[k] = value
        return out
    if tag == "ranks":
        if isinstance(v, str):
            try:
                v = orjson.loads(v)
            except orjson.JSONDecodeError:
                raise _Drop(f"expected a JSON list of {{rank, title}}, got {quote(v)}") from None
        if not isinstance(v, list):
            raise _Drop(f"expected a list of {{rank, title}}, got {quote(v)}")
        out = []
        for item in v:
            if not isinstance(item, dict) or "rank" not in item:
                raise _Drop(f"expected {{rank, title}}, got {quote(item)}")
            out.append({"rank": _int(item["rank"], decimal), "title": str(item.get("title", ""))})
        return out
    raise AssertionError(tag)


def _asin(v: Any) -> str:
    try:
        return ids.parse_asin(v)
    except ids.InvalidIdentifier as exc:
        raise _Drop(exc.reason) from None


def _required_text(raw: dict, name: str, line: int) -> str:
    v = raw.get(name)
    if v is None or (isinstance(v, str) and not v.strip()):
        raise RecordRejected(line, f"missing required field {name!r}")
    if not isinstance(v, str):
        raise RecordRejected(line, f"field {name!r} must be text, got {quote(v)}")
    return v.strip()


def _key_fields(raw: dict, line: int) -> tuple[str, str]:
    code = _required_text(raw, "marketplace", line)
    try:
        mp = marketplace(code).code
    except UnknownMarketplace as exc:
        raise RecordRejected(line, str(exc)) from None
    try:
        asin = ids.parse_asin(_required_text(raw, "asin", line))
    except ids.InvalidIdentifier as exc:
        raise RecordRejected(line, f"asin: {exc.reason}") from None
    return mp, asin


# ---- products ---------------------------------------------------------------------------------


def _canonical_type() -> type:
    """A msgspec type that accepts exactly the records already in canonical form, derived from
    PRODUCT_FIELDS so the contract is written once (see `canonical_product`). Fields may be
    absent but never null or empty, as the general path drops those."""
    asin = Annotated[str, msgspec.Meta(pattern=r"^(B0[0-9A-Z]{8}|[0-9]{9}[0-9X])$")]
    dims = msgspec.defstruct(
        "CanonicalDims",
        [(d, Annotated[float, msgspec.Meta(ge=0)], None) for d in DIMENSIONS],
        forbid_unknown_fields=True,
    )
    rank = msgspec.defstruct("CanonicalRank", [("rank", int), ("title", str)], forbid_unknown_fields=True)
    idents = msgspec.defstruct(
        "CanonicalIdentifiers",
        [(f, Annotated[list[str], msgspec.Meta(min_length=1)], None) for f in IDENTIFIER_FAMILIES],
        forbid_unknown_fields=True,
    )
    types = {
        "str": Annotated[str, msgspec.Meta(min_length=1)],
        "int": int,
        "bool": bool,
        "strs": list[str],
        "asin": asin,
        "asins": list[asin],
        "timestamp": Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")],
        "date": date,
        "dims": dims,
        "ranks": list[rank],
        "ids": idents,
    }
    fields: list = [
        ("marketplace", Literal[tuple(MARKETPLACES)]),  # type: ignore[misc]
        ("asin", asin),
        ("title", types["str"]),
        ("type", Literal["product"], None),  # an observation line takes the general path
    ]
    fields += [
        (n, types[t], None) for n, t in {**PRODUCT_FIELDS, **LABEL_FIELDS}.items()
        if n not in ("marketplace", "asin", "title")
    ]
    return msgspec.defstruct("CanonicalProduct", fields)


_CANONICAL = msgspec.json.Decoder(_canonical_type())
_TEXT_FIELDS = tuple(n for n, t in PRODUCT_FIELDS.items() if t == "str")
_ASIN_FIELDS = tuple(n for n, t in PRODUCT_FIELDS.items() if t == "asin")


def canonical_product(line: bytes) -> tuple[str, str, list[IndexEntry]] | None:
    """`(marketplace, asin, index)` when a JSONL line is already exactly what
    `normalise_product` would make of it, so it can be stored as it came; None otherwise.

    Well-formed catalogs are almost all canonical: msgspec validates them in C while parsing,
    several times faster than building and normalising a dict field by field. Anything unusual
    returns None and takes the general path, which alone writes warnings.
    """
    try:
        rec = _CANONICAL.decode(line)
    except msgspec.DecodeError:  # includes ValidationError
        return None
    for name in _TEXT_FIELDS:  # str.strip() returns the same object when there is nothing to strip
        v = getattr(rec, name)
        if v is not None and v.strip() is not v:
            return None
    for asin in (rec.asin, *(getattr(rec, n) for n in _ASIN_FIELDS), *(rec.variations_list or ())):
        if asin is not None and asin[0] != "B" and not _is_asin(asin):
            return None
    if rec.updated_at is not None:
        try:
            datetime.fromisoformat(rec.updated_at)
        except ValueError:
            return None
    index: list[IndexEntry] = []
    if rec.identifiers is not None:
        seen: set[IndexEntry] = set()
        for family in IDENTIFIER_FAMILIES:
            codes = getattr(rec.identifiers, family)
            if codes is None:
                continue
            if len(set(codes)) != len(codes):
                return None
            for code in codes:
                try:
                    ident = ids.parse(code, hint=family)
                except ids.InvalidIdentifier:
                    return None
                if ident.value != code:
                    return None
                for entry in index_forms(family, ident):
                    if entry not in seen:
                        seen.add(entry)
                        index.append(entry)
        if not index:  # `"identifiers": {}`, which the general path drops
            return None
    return rec.marketplace, rec.asin, index


def _is_asin(code: str) -> bool:
    try:
        return ids.parse_asin(code) == code
    except ids.InvalidIdentifier:
        return False


def normalise_product(raw: dict, line: int, decimal: str | None = None) -> ProductRecord:
    """Validate one product record field by field; bad optional fields are dropped with a
    warning, and only a missing or invalid marketplace, ASIN or title rejects the record.
    Numbers written as text are read by `decimal`, by default the marketplace's."""
    mp, asin = _key_fields(raw, line)
    decimal = decimal or marketplace(mp).decimal
    title = _required_text(raw, "title", line)
    record: dict[str, Any] = {"marketplace": mp, "asin": asin, "title": title}
    warnings: list[str] = []
    index: list[IndexEntry] = []
    for name, value in raw.items():
        tag = PRODUCT_FIELDS.get(name) or LABEL_FIELDS.get(name)
        if tag is None:
            record[name] = value  # unknown extra fields are kept as they came, never an error
        elif name in record or value is None or value == "":
            continue
        elif tag == "ids":
            cleaned = _identifiers(value, line, asin, warnings, index)
            if cleaned:
                record[name] = cleaned
        else:
            try:
                record[name] = _coerce(tag, value, decimal)
            except _Drop as exc:
                warnings.append(f"line {line}: {asin}: field {name!r} dropped: {exc}")
    return ProductRecord(record, index, warnings)


def _identifiers(
    value: Any, line: int, asin: str, warnings: list[str], index: list[IndexEntry]
) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        warnings.append(f"line {line}: {asin}: field 'identifiers' dropped: expected an object")
        return {}
    cleaned: dict[str, list[str]] = {}
    seen: set[IndexEntry] = set()
    for family in IDENTIFIER_FAMILIES:
        codes = value.get(family)
        if codes in (None, "", []):
            continue
        if isinstance(codes, str):
            codes = codes.split(LIST_SEPARATOR)
        elif not isinstance(codes, list):
            codes = [codes]
        kept: list[str] = []
        for code in codes:
            if isinstance(code, str) and not code.strip():
                continue
            try:
                ident = ids.parse(code, hint=family)
            except ids.InvalidIdentifier as exc:
                warnings.append(
                    f"line {line}: {asin}: identifiers.{family} {quote(code)} dropped: {exc.reason}"
                )
                continue
            if ident.value not in kept:
                kept.append(ident.value)
            for entry in index_forms(family, ident):
                if entry not in seen:
                    seen.add(entry)
                    index.append(entry)
        if kept:
            cleaned[family] = kept
    return cleaned


def index_forms(family: str, ident: ids.Identifier) -> list[IndexEntry]:
    """The index entries of an identifier: as given, plus the standard equivalent the spec asks
    for (UPC-A also as its EAN-13; ISBN-10 with its ISBN-13 and back). Same result as
    `ident.equivalents()` for these, without computing the forms the index does not keep."""
    key = ident.key
    forms = [(key, family, ident.value)]
    kind = ident.kind
    if kind is ids.IdKind.UPC_A:
        forms.append((key, "ean", key[1:]))
    elif kind is ids.IdKind.ISBN_10:
        forms.append((key, "isbn", key[1:]))
    elif kind is ids.IdKind.ISBN_13 and key[1:4] == "978":
        forms.append((key, "isbn", key[4:13] + ids.isbn10_check_digit(key[4:13])))
    return forms


def _stamp(record: dict) -> datetime | None:
    ts = record.get("updated_at")
    return parse_timestamp(ts) if ts else None


def merge(existing: dict, incoming: dict) -> dict:
    """Newer `updated_at` wins field by field; an undated incoming record counts as newest.

    Fields the winner lacks are kept from the other side, so a partial update never erases data.
    """
    old_ts, new_ts = _stamp(existing), _stamp(incoming)
    incoming_wins = new_ts is None or old_ts is None or new_ts >= old_ts
    newer, older = (incoming, existing) if incoming_wins else (existing, incoming)
    merged = dict(older)
    for name, value in newer.items():
        if name == "identifiers" and isinstance(older.get("identifiers"), dict):
            merged[name] = {**older["identifiers"], **value}
        elif name == "provenance" and isinstance(older.get("provenance"), dict) and isinstance(value, dict):
            merged[name] = merge_provenance(older["provenance"], value)
        else:
            merged[name] = value
    if old_ts and new_ts:
        merged["updated_at"] = format_timestamp(max(old_ts, new_ts))
    return merged


def merge_provenance(older: dict, newer: dict) -> dict:
    """Where each kind of data came from (`providers.base.Provenance`), kind by kind: the later
    `observed_at` wins (the newer side on a tie or where a time cannot be read), so a kind
    observed again is never shown as older than it is, whichever record won the other fields."""
    out = dict(older)
    for kind, entry in newer.items():
        before = out.get(kind)
        if isinstance(before, dict) and isinstance(entry, dict):
            try:
                old_at = parse_timestamp(before.get("observed_at"))
                new_at = parse_timestamp(entry.get("observed_at"))
            except _Drop:
                out[kind] = entry
                continue
            if new_at < old_at:
                continue
        out[kind] = entry
    return out


def index_of(record: dict) -> list[IndexEntry]:
    """Re-derive the identifier index of a stored (already normalised) record."""
    index: list[IndexEntry] = []
    seen: set[IndexEntry] = set()
    for family, codes in (record.get("identifiers") or {}).items():
        for code in codes:
            try:
                ident = ids.parse(code, hint=family)
            except ids.InvalidIdentifier:
                continue
            for entry in index_forms(family, ident):
                if entry not in seen:
                    seen.add(entry)
                    index.append(entry)
    return index


# ---- observations -----------------------------------------------------------------------------


def normalise_observation(raw: dict, line: int, decimal: str | None = None) -> tuple[dict, list[str]]:
    mp, asin = _key_fields(raw, line)
    decimal = decimal or marketplace(mp).decimal
    if not raw.get("observed_at"):
        raise RecordRejected(line, "observation: missing required field 'observed_at'")
    try:
        observed = parse_timestamp(raw["observed_at"])
    except _Drop as exc:
        raise RecordRejected(line, f"observation: observed_at: {exc}") from None
    # Every field present (None when unknown): a batch of observations is one executemany.
    obs: dict[str, Any] = dict.fromkeys(OBSERVATION_FIELDS)
    obs.update(marketplace=mp, asin=asin, observed_at=observed)
    warnings = []
    for name in ("buybox_price", "rank", "amazon_in_stock", "new_offers_count", "monthly_sold"):
        if raw.get(name) in (None, ""):
            continue
        try:
            obs[name] = _coerce(OBSERVATION_FIELDS[name], raw[name], decimal)
        except _Drop as exc:
            warnings.append(f"line {line}: {asin}: observation field {name!r} dropped: {exc}")
    return obs, warnings


# ---- CSV flattening ---------------------------------------------------------------------------


def flatten(record: dict) -> dict[str, str]:
    """A record as CSV cells: dotted names for objects, `|` between list items."""
    out: dict[str, str] = {}
    for name, value in record.items():
        if value is None:
            continue
        if isinstance(value, dict):
            for sub, v in value.items():
                out[f"{name}.{sub}"] = _cell(v)
        else:
            out[name] = _cell(value)
    return out


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        if v and all(isinstance(x, str) for x in v):
            return LIST_SEPARATOR.join(v)
        return orjson.dumps(v).decode() if v else ""
    if isinstance(v, float):
        text = str(v)
        # exactly three decimals (`1.234`) would read as thousands in a decimal-comma import:
        # a fourth digit keeps the same number unambiguous under either separator
        return text + "0" if re.search(r"\.\d{3}$", text) else text
    return str(v)


def unflatten(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells back to a record; types are restored by `normalise_product`."""
    out: dict[str, Any] = {}
    for col, cell in row.items():
        if col is None or cell is None or cell == "":
            continue
        if "." in col:
            head, _, sub = col.partition(".")
            out.setdefault(head, {})[sub] = cell
        else:
            out[col] = cell
    return out


CSV_COLUMNS: list[str] = []
for _name, _tag in PRODUCT_FIELDS.items():
    if _tag == "dims":
        CSV_COLUMNS += [f"{_name}.{d}" for d in DIMENSIONS]
    elif _tag == "ids":
        CSV_COLUMNS += [f"{_name}.{f}" for f in IDENTIFIER_FAMILIES]
    else:
        CSV_COLUMNS.append(_name)
CSV_COLUMNS += LABEL_FIELDS
