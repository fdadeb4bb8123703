"""FBA inbound eligibility estimated from a catalog record: the rules, pure, no I/O.

Amazon's own answer comes from SP-API `getItemEligibilityPreview` (program INBOUND). Without it,
these rules estimate the answer from what the catalog knows, using only the reason codes of the
model's `ineligibilityReasonList` (models/fba-inbound-eligibility-api-model/fbaInbound.json)
whose meaning a catalog field decides:

| code | Amazon's meaning | catalog rule |
|---|---|---|
| FBA_INB_0004 | Missing package dimensions | a `package_dimensions` length, width, height or weight absent, zero or NaN |
| FBA_INB_0016 | Regulated as a fulfillable dangerous good (hazmat); the FBA dangerous goods program may be needed | `is_hazmat` is true |
| FBA_INB_0017 | Product does not exist in the destination marketplace catalog | no catalog record for the ASIN in that marketplace (single-record rules only) |
| FBA_INB_0050 | Currently no fulfillment center in the destination country can receive it | `is_meltable` is true and the date is in the marketplace's meltable season |

Notes:
- Meltable is seasonal. Amazon's fulfilment centres refuse meltable inventory in the warm months
  (US and the northern marketplaces: April 15 to October 15; Australia, by its own help page, the
  other half of the year). Amazon has no reason code of its own for it (sellers on Amazon's forum
  note the eligibility API does not report it); FBA_INB_0050's "currently no fulfillment center
  ... capable of receiving this product" is the nearest meaning, so the rules use it, and only
  inside the season. Amazon moves the dates some years (2026 was announced as April 20 to
  September 28 by third parties): `MELTABLE_SEASONS` is the one place to change them.
- `is_adult` decides no code: adult products are a listing restriction, not an inbound one, and
  no `ineligibilityReasonList` code describes them. It is accepted and ignored.
- A null flag is "not known to be": it adds no code.
- Everything else (expiration-dated handling, tax documents, brand registry, barcodes...) depends
  on the seller's account or on Amazon's internal review, not on the catalog, and is never
  guessed. An estimate with no codes is "nothing in the catalog says no", not "Amazon says yes".

`inbound_eligibility()` decides one record; `eligibility_exprs()` / `eligibility_frame()` decide a
whole frame in polars with the same rules (a property test holds the two to the same answer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # polars is imported lazily: the single-record rules never pay for it
    import polars as pl

__all__ = [
    "CODES",
    "DIMENSIONS",
    "Eligibility",
    "ELIGIBLE_COLUMN",
    "CODES_COLUMN",
    "MELTABLE_SEASONS",
    "eligibility_exprs",
    "eligibility_frame",
    "inbound_eligibility",
    "meltable_season",
    "reason_texts",
]

MISSING_DIMENSIONS = "FBA_INB_0004"
HAZMAT = "FBA_INB_0016"
NOT_IN_CATALOG = "FBA_INB_0017"
NO_RECEIVING_CENTRE = "FBA_INB_0050"

# The codes the rules can give, with the meaning the SP-API model documents (shortened).
CODES: dict[str, str] = {
    MISSING_DIMENSIONS: "Missing package dimensions.",
    HAZMAT: "Dangerous goods (hazmat): regulated as a fulfillable dangerous good; the FBA "
    "dangerous goods program may be needed.",
    NOT_IN_CATALOG: "This product does not exist in the destination marketplace catalog.",
    NO_RECEIVING_CENTRE: "There is currently no fulfillment center in the destination country "
    "capable of receiving this product (here: meltable, in the meltable season).",
}



def reason_texts(codes: Sequence[str]) -> list[str]:
    """A sentence per reason code: the meaning above, or the code itself for one of Amazon's
    the rules never give."""
    return [CODES.get(code, code) for code in codes]


# The order codes appear in, in both the single-record and the frame rules.
RULE_ORDER = (MISSING_DIMENSIONS, HAZMAT, NO_RECEIVING_CENTRE)
DIMENSIONS = ("length", "width", "height", "weight")
ELIGIBLE_COLUMN = "inbound_eligibility.eligible"
CODES_COLUMN = "inbound_eligibility.ineligible_codes"

# Meltable season per marketplace: the first and last (month, day) on which meltable inventory is
# not received, both inclusive; a season whose start is after its end runs over the new year.
DEFAULT_MELTABLE_SEASON = ((4, 15), (10, 15))
MELTABLE_SEASONS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "AU": ((10, 1), (4, 29)),  # FBA Australia receives meltables from April 30 to October 1
}


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    ineligible_codes: tuple[str, ...]


def meltable_season(on: date, marketplace: str = "US") -> bool:
    """Whether `on` falls in the marketplace's meltable season (meltables are not received)."""
    start, end = MELTABLE_SEASONS.get(marketplace, DEFAULT_MELTABLE_SEASON)
    day = (on.month, on.day)
    if start <= end:
        return start <= day <= end
    return day >= start or day <= end


def _present(value: Any) -> bool:
    """A usable measurement: a number above zero (NaN, zero, null and text are missing)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not math.isnan(value) and value > 0


def inbound_eligibility(
    record: Mapping[str, Any] | None, *, on: date, marketplace: str = "US"
) -> Eligibility:
    """The rules' estimate for one catalog-format record (`None`: not in the catalog)."""
    if record is None:
        return Eligibility(False, (NOT_IN_CATALOG,))
    codes = []
    dims = record.get("package_dimensions")
    if not isinstance(dims, Mapping) or not all(_present(dims.get(k)) for k in DIMENSIONS):
        codes.append(MISSING_DIMENSIONS)
    if record.get("is_hazmat") is True:
        codes.append(HAZMAT)
    if record.get("is_meltable") is True and meltable_season(on, marketplace):
        codes.append(NO_RECEIVING_CENTRE)
    return Eligibility(not codes, tuple(codes))


def eligibility_exprs(
    *, on: date, marketplace: str = "US", dimensions: str = "package_dimensions."
) -> list[pl.Expr]:
    """The two result columns as polars expressions, for `with_columns` / `select` on a frame
    or a lazy frame with columns `is_hazmat`, `is_meltable` (Boolean, nullable) and
    `<dimensions>length|width|height|weight` (Float64, nullable). `dimensions` is the prefix of
    the dimension columns (a scan result names them `dimensions.package_dimensions.`)."""
    import polars as pl

    def present(name: str) -> pl.Expr:
        col = pl.col(f"{dimensions}{name}").cast(pl.Float64)
        return ((col > 0) & col.is_not_nan()).fill_null(False)

    dims_missing = ~pl.all_horizontal(*(present(k) for k in DIMENSIONS))
    flags = [  # in RULE_ORDER
        dims_missing,
        pl.col("is_hazmat").fill_null(False),
        pl.col("is_meltable").fill_null(False) & pl.lit(meltable_season(on, marketplace)),
    ]
    # One small integer per row (bit i: rule i applies) picks its code list out of the 2^3
    # possible ones: a gather, about 100 times quicker than building a list per row.
    mask = sum((flag.cast(pl.UInt8) * (1 << i) for i, flag in enumerate(flags)), pl.lit(0, pl.UInt8))
    lists = [[c for i, c in enumerate(RULE_ORDER) if m >> i & 1] for m in range(1 << len(RULE_ORDER))]
    codes = pl.lit(pl.Series(lists, dtype=pl.List(pl.String))).gather(mask)
    return [mask.eq(0).alias(ELIGIBLE_COLUMN), codes.alias(CODES_COLUMN)]


def eligibility_frame(
    df: pl.DataFrame, *, on: date, marketplace: str = "US", dimensions: str = "package_dimensions."
) -> pl.DataFrame:
    """`inbound_eligibility()` for every row of `df` at once: a frame of the same height and
    order with `inbound_eligibility.eligible` (Boolean) and `inbound_eligibility.ineligible_codes`
    (List(String), codes in the single-record order). Input columns as `eligibility_exprs`;
    `is_adult` may be present and is ignored. Every row is a catalog record: FBA_INB_0017 (not in
    the catalog) is the caller's to give to rows with no match."""
    return df.select(eligibility_exprs(on=on, marketplace=marketplace, dimensions=dimensions))
