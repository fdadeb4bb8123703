"""Keepa Product Viewer exports (XLSX and CSV) -> catalog-format records and observations.

A seller with a Keepa subscription but no API key exports a product list from Keepa's Product
Viewer and imports it with `sellerkit catalog import --format keepa FILE`. The export's columns
are the ones its user picked, in Keepa's wording, so they are found by name:

- Headers are normalised before they are looked up: emoji and other symbols (`Buy Box 🚚:
  Current`) dropped, spaces collapsed, lower case; a unit in brackets (`Package: Weight (g)`,
  `Package: Dimension (cm³)`) is read apart and converts the cells.
- Money cells are numbers in the marketplace's currency (euros for amazon.it, as the XLSX cell
  format `#,##0.00 [$€-C0A]` shows) and become minor units exactly (Decimal, half up to the
  cent); in a CSV they may be written as shown (`1.299,00 €`) and are read by the row's
  marketplace's decimal separator (or `--decimal`). Percentages are fractions (`0.07` = 7%),
  or written with `%` in a CSV. Blank cells are absent, never zero.
- `Locale` (`it`) gives the marketplace; the sheet's name (`2025-07-17`) or the footer row
  (`Exported on 2025-07-17 12:11 (UTC) by ✜ Keepa.com`, skipped as data) the time the figures
  were observed, else the file's modification time. That is each record's `updated_at`, and
  provenance `keepa-export` for the catalog and pricing data it carries.
- Keepa's 30/90/180-day averages and rank drops go into `keepa_stats`, which scans with
  historical data use as their d30/d90/d180 figures, as for Keepa API data.

Each data row also gives an observation (Buy Box price, rank, new offer count, monthly sold)
at the export time, so the catalog's history accrues from repeated exports.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

from sellerkit.catalog.records import RecordRejected
from sellerkit.domain import identifiers as ids
from sellerkit.domain import numbers
from sellerkit.domain.marketplaces import UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote

PROVIDER = "keepa-export"
OPERATION = "product-viewer-export"
FOOTER = re.compile(r"^\s*Exported on (\d{4}-\d{2}-\d{2})(?: (\d{1,2}:\d{2}))?(?: \(UTC\))?.*Keepa", re.I)
SHEET_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIT = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
_CURRENCY = re.compile(r"[€$£¥₹]|\b(?:EUR|USD|GBP|JPY|CAD|MXN|BRL|INR)\b|\[\$[^\]]*\]", re.I)
MM_PER_INCH, CM_PER_INCH, G_PER_POUND = Decimal("25.4"), Decimal("2.54"), Decimal("453.59237")
G_PER_OUNCE = G_PER_POUND / 16
INCH_PLACES, POUND_PLACES = Decimal("0.000001"), Decimal("0.000000001")
FRACTION_PLACES = Decimal("1e-10")


def normalise_header(text: Any) -> str:
    """`Buy Box 🚚: Current` -> `buy box: current`: symbols (emoji, ✜) and format characters
    dropped, spaces collapsed, no space before a colon, lower case."""
    if not isinstance(text, str):
        return ""
    kept = "".join(ch for ch in unicodedata.normalize("NFC", text)
                   if unicodedata.category(ch) not in ("So", "Sk", "Cf", "Mn", "Co", "Cs"))
    kept = re.sub(r"\s+", " ", kept).strip()
    return re.sub(r"\s+:", ":", kept).lower()


def header_unit(text: Any) -> tuple[str, str | None]:
    """(normalised header without its unit, the unit in brackets) — `package: weight`, `g`."""
    name = normalise_header(text)
    found = _UNIT.match(name)
    return (found.group(1).strip(), found.group(2).strip()) if found else (name, None)


# ---- cells ---------------------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def _decimal(cell: str, decimal: str) -> Decimal:
    text = _CURRENCY.sub("", cell).replace("\u00a0", "").replace("\u202f", "")
    text = re.sub(r"\s", "", text)
    try:
        return numbers.parse(text, decimal)
    except numbers.NumberError as exc:
        raise _Bad(f"expected a number, got {quote(cell)}: {exc.reason}") from None


def money(cell: str, decimal: str) -> int:
    """A money cell (currency units) -> minor units, exactly (half up to the cent)."""
    return int((_decimal(cell, decimal) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fraction(cell: str, decimal: str) -> Decimal:
    """A percentage cell: a fraction (0.07) as Excel stores it, or `7 %` as text."""
    text = cell.strip()
    if text.endswith("%"):
        return _decimal(text[:-1], decimal) / 100
    return _decimal(text, decimal)


def whole(cell: str, decimal: str) -> int:
    value = _decimal(cell, decimal)
    if value != value.to_integral_value():
        raise _Bad(f"expected a whole number, got {quote(cell)}")
    return int(value)


def _plain(value: Decimal) -> int | float:
    """A Decimal as the JSON number it is: an int when whole."""
    return int(value) if value == value.to_integral_value() else float(value.normalize())


def length_in(cell: str, unit: str | None, decimal: str) -> float:
    value = _decimal(cell, decimal)
    per = {"mm": MM_PER_INCH, "cm": CM_PER_INCH, "in": Decimal(1), "inch": Decimal(1), "inches": Decimal(1)}
    if (unit or "").lower() not in per:
        raise _Bad(f"unknown length unit {quote(unit)}")
    with localcontext() as ctx:
        ctx.prec = 40
        return float((value / per[(unit or "").lower()]).quantize(INCH_PLACES, rounding=ROUND_HALF_EVEN))


def weight_lb(cell: str, unit: str | None, decimal: str) -> float:
    value = _decimal(cell, decimal)
    per = {"g": G_PER_POUND, "kg": G_PER_POUND / 1000, "lb": Decimal(1), "lbs": Decimal(1), "oz": Decimal(16)}
    if (unit or "").lower() not in per:
        raise _Bad(f"unknown weight unit {quote(unit)}")
    with localcontext() as ctx:
        ctx.prec = 40
        return float((value / per[(unit or "").lower()]).quantize(POUND_PLACES, rounding=ROUND_HALF_EVEN))


# ---- columns -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str
    name: str  # normalised, without the unit
    unit: str | None


# normalised header -> (where it goes, how a cell is read). Where: a record field, or
# `keepa_stats.<stat>.<period>`, or `obs` fields the observation takes from the record.
_FIELDS: dict[str, tuple[str, str]] = {
    "asin": ("asin", "text"),
    "title": ("title", "text"),
    "brand": ("brand", "text"),
    "manufacturer": ("manufacturer", "text"),
    "model": ("model_number", "text"),
    "part number": ("part_number", "text"),
    "color": ("color", "text"),
    "size": ("size_name", "text"),
    "parent asin": ("parent_asin", "text"),
    "categories: root": ("category", "text"),
    "categories: tree": ("category_raw", "tree"),
    "product group": ("product_group", "text"),
    "sales rank: current": ("rank", "int"),
    "bought in past month": ("monthly_sold", "int"),
    "buy box: current": ("buybox_price", "money"),
    "buy box used: current": ("buybox_price_used", "money"),
    "list price: current": ("list_price", "money"),
    "new, 3rd party fba: current": ("lowest_price_new_fba", "money"),
    "new, 3rd party fbm: current": ("lowest_price_new_fbm", "money"),
    "new offer count: current": ("new_offers_count", "int"),
    "used offer count: current": ("used_offers_count", "int"),
    "count of retrieved live offers: new, fba": ("new_fba_offers_count", "int"),
    "count of retrieved live offers: new, fbm": ("new_fbm_offers_count", "int"),
    "referral fee %": ("referral_fee_percent", "percent"),
    "fba pick&pack fee": ("fba_pick_and_pack_fee", "money"),
    "amazon: availability of the amazon offer": ("sold_by_amazon", "availability"),
    "product codes: ean": ("identifiers.ean", "codes"),
    "product codes: upc": ("identifiers.upc", "codes"),
    "product codes: gtin": ("identifiers.gtin", "codes"),
    "package: weight": ("package_dimensions.weight", "weight"),
    "package: length": ("package_dimensions.length", "length"),
    "package: width": ("package_dimensions.width", "length"),
    "package: height": ("package_dimensions.height", "length"),
    "package: dimension": ("package_volume_cm3", "volume"),
    "item: weight": ("item_dimensions.weight", "weight"),
    "item: length": ("item_dimensions.length", "length"),
    "item: width": ("item_dimensions.width", "length"),
    "item: height": ("item_dimensions.height", "length"),
}
for _days in (30, 90, 180):
    _FIELDS[f"sales rank: {_days} days avg."] = (f"keepa_stats.bsr.d{_days}", "int")
    _FIELDS[f"sales rank: drops last {_days} days"] = (f"keepa_stats.sales_rank_drops.d{_days}", "int")
    _FIELDS[f"buy box: {_days} days avg."] = (f"keepa_stats.price.d{_days}", "money")


def _read(kind: str, cell: str, unit: str | None, decimal: str) -> Any:
    if kind == "text":
        return cell.strip()
    if kind == "tree":
        return ">".join(part.strip() for part in re.split(r"\s*[›>]\s*", cell) if part.strip())
    if kind == "int":
        return whole(cell, decimal)
    if kind == "money":
        return money(cell, decimal)
    if kind == "percent":  # Excel keeps 13.39% as the double 0.13390000000000002: 10 places undo that
        return _plain(fraction(cell, decimal).quantize(FRACTION_PLACES, rounding=ROUND_HALF_EVEN) * 100)
    if kind == "availability":
        return "no amazon offer" not in cell.lower()
    if kind == "codes":
        return [c for c in re.split(r"[,;|\s]+", cell) if c]
    if kind == "weight":
        return weight_lb(cell, unit, decimal)
    if kind == "length":
        return length_in(cell, unit, decimal)
    if kind == "volume":
        if (unit or "").replace("3", "³") not in ("cm³", "ccm"):
            raise _Bad(f"unknown volume unit {quote(unit)}")
        return _plain(_decimal(cell, decimal))
    raise AssertionError(kind)


# ---- rows -> records -----------------------------------------------------------------------------


def export_time(text: Any) -> datetime | None:
    """The time a footer (`Exported on 2025-07-17 12:11 (UTC) by ✜ Keepa.com`) or a sheet name
    (`2025-07-17`) says the export was made; None when it says none."""
    if not isinstance(text, str):
        return None
    if found := FOOTER.match(text):
        day, clock = found.group(1), found.group(2) or "00:00"
        try:
            return datetime.fromisoformat(f"{day}T{clock.zfill(5)}:00+00:00")
        except ValueError:
            return None
    if SHEET_DATE.match(text.strip()):
        try:
            return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), UTC)
        except ValueError:
            return None
    return None


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Rows:
    """A sheet as `(line, [cell text or None, ...])`, header first; the footer kept apart."""

    def __init__(self, rows: list[tuple[int, list[str | None]]], sheet_time: datetime | None,
                 file_time: datetime) -> None:
        self.footer_time: datetime | None = None
        kept = []
        for line, cells in rows:
            texts = [c for c in cells if c not in (None, "")]
            if len(texts) == 1 and (at := export_time(texts[0])) is not None and FOOTER.match(texts[0]):
                self.footer_time = at
                continue
            if texts:
                kept.append((line, cells))
        self.rows = kept
        self.observed = self.footer_time or sheet_time or file_time


def read_xlsx(path: Path, max_xml_bytes: int = 500_000_000) -> Rows:
    """The first sheet; a workbook inflating to more than `max_xml_bytes` of XML is refused
    (SELLERKIT_XLSX_MAX_XML_MB, as for scans) before anything is inflated."""
    from sellerkit.scans.workbook import Workbook

    with Workbook(path, max_xml_bytes) as book:
        rows = []
        for frame in book.frames(decimal="."):
            for row in frame.iter_rows():
                rows.append((int(row[0]), list(row[1:])))
        sheet = book.sheet_name
    return Rows(rows, export_time(sheet), _mtime(path))


def read_csv(path: Path) -> Rows:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for cells in reader:
        rows.append((reader.line_num, [c if c.strip() else None for c in cells]))
    return Rows(rows, None, _mtime(path))


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)


def read(path: str | Path, max_xml_bytes: int = 500_000_000) -> Rows:
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(path, max_xml_bytes)
    if name.endswith(".csv"):
        return read_csv(path)
    raise ValueError(f"{path.name}: a Keepa export is .xlsx or .csv")


def _columns(header: list[str | None]) -> tuple[list[Column], list[str]]:
    """The columns sellerkit reads, and the headers it leaves (said once in the report)."""
    cols, unknown = [], []
    for i, text in enumerate(header):
        if not isinstance(text, str) or not text.strip():
            continue
        name, unit = header_unit(text)
        if name in _FIELDS or name == "locale":
            cols.append(Column(i, text, name, unit))
        else:
            unknown.append(text)
    return cols, unknown


class KeepaExport:
    """One export file: `items()` gives `(line, catalog-format record, observation or
    RecordRejected)` for `tasks.import_items`, header and footer skipped; `warnings` then
    holds the cells it could not read (each names its line and column) and `ignored` the
    headers it has no catalog field for. A row without a `Locale` takes `marketplace_code`;
    cells are read by `decimal`, by default '.' in XLSX (Excel's numbers) and the row's
    marketplace's in CSV."""

    def __init__(self, path: str | Path, marketplace_code: str | None = None, decimal: str | None = None,
                 max_xml_bytes: int = 500_000_000) -> None:
        self.path = Path(path)
        self.rows = read(self.path, max_xml_bytes)
        self.marketplace_code = marketplace_code
        self.decimal = decimal
        self.warnings: list[str] = []
        self.ignored: list[str] = []

    @property
    def observed_at(self) -> datetime:
        return self.rows.observed

    def items(self) -> Iterator[tuple[int, Any]]:
        if not self.rows.rows:
            return
        is_xlsx = self.path.name.lower().endswith(".xlsx")
        (header_line, header), body = self.rows.rows[0], self.rows.rows[1:]
        cols, self.ignored = _columns(header)
        if "asin" not in {c.name for c in cols}:
            yield header_line, RecordRejected(header_line, "no ASIN column: export with the ASIN column "
                                                            "(Keepa Product Viewer, columns: ASIN)")
            return
        stamp = _stamp(self.rows.observed)
        provenance = {kind: {"provider": PROVIDER, "operation": OPERATION, "observed_at": stamp}
                      for kind in ("catalog", "pricing")}
        for line, cells in body:
            record = _record(line, cells, cols, self.marketplace_code, self.decimal, is_xlsx, self.warnings)
            if isinstance(record, RecordRejected):
                yield line, record
                continue
            for name in ("asin", "title"):  # as the import would, but before the observation
                if not record.get(name):
                    record = RecordRejected(line, f"missing required field {name!r}")
                    break
            else:
                try:
                    record["asin"] = ids.parse_asin(record["asin"])
                except ids.InvalidIdentifier as exc:
                    record = RecordRejected(line, f"asin: {exc.reason}")
            if isinstance(record, RecordRejected):
                yield line, record
                continue
            if "keepa_stats" in record:
                record["keepa_stats"] = {"observed_at": stamp, **record["keepa_stats"]}
            record["updated_at"] = stamp
            record["provenance"] = provenance
            yield line, record
            obs = {"type": "observation", "marketplace": record["marketplace"], "asin": record.get("asin"),
                   "observed_at": stamp}
            for name in ("buybox_price", "rank", "new_offers_count", "monthly_sold"):
                if name in record:
                    obs[name] = record[name]
            if len(obs) > 5 and obs["asin"]:
                yield line, obs


def _record(line: int, cells: list[str | None], cols: list[Column], marketplace_code: str | None,
            decimal: str | None, is_xlsx: bool, warnings: list[str]) -> dict | RecordRejected:
    def cell(col: Column) -> str | None:
        value = cells[col.index] if col.index < len(cells) else None
        return value if isinstance(value, str) and value.strip() else None

    locale = next((cell(c) for c in cols if c.name == "locale"), None) or marketplace_code
    if locale is None:
        return RecordRejected(line, "no Locale: give the marketplace with --marketplace")
    try:
        mp = marketplace(locale)
    except UnknownMarketplace as exc:
        return RecordRejected(line, f"Locale: {exc}")
    sep = decimal or ("." if is_xlsx else mp.decimal)
    record: dict[str, Any] = {"marketplace": mp.code}
    stats: dict[str, dict[str, int]] = {}
    for col in cols:
        if col.name == "locale" or (text := cell(col)) is None:
            continue
        target, kind = _FIELDS[col.name]
        try:
            value = _read(kind, text, col.unit, sep)
        except _Bad as exc:
            warnings.append(f"line {line}: {record.get('asin') or '?'}: column {quote(col.header)} dropped: {exc}")
            continue
        head, _, rest = target.partition(".")
        if head == "keepa_stats":
            stat, _, period = rest.partition(".")
            stats.setdefault(stat, {})[period] = value
        elif rest:
            record.setdefault(head, {})[rest] = value
        else:
            record[target] = value
    if stats:
        record["keepa_stats"] = stats  # stamped with the export time by the caller
    return record
