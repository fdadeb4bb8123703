"""Exact money arithmetic: integer cents and basis points, rounded once, half away from zero.

Every figure sellerkit shows is rounded by these two helpers, in Python for one product and by
the same integer formulas in polars for a whole scan, so the two paths cannot drift apart.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sellerkit.domain.quoting import quote

BP = 10_000  # basis points in 1


def div_round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (denominator > 0)."""
    q = (2 * abs(numerator) + denominator) // (2 * denominator)
    return q if numerator >= 0 else -q


def ratio_bp(numerator: int, denominator: int) -> int | None:
    """numerator / denominator in basis points; None when the denominator is not positive."""
    if denominator <= 0:
        return None
    return div_round(numerator * BP, denominator)


def quantise(value: object, scale: int, field: str) -> int:
    """A decimal quantity (dollars, inches, pounds) as an integer count of 1/scale units.

    Floats go through their shortest repr, so 24.99 is 2499 cents, not 2498.
    """
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a number, got {quote(value)}")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        units = (d * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"{field}: expected a number, got {quote(value)}") from None
    if not d.is_finite():
        raise ValueError(f"{field}: expected a finite number, got {quote(value)}")
    return int(units)


def cents(dollars: object, field: str = "price") -> int:
    return quantise(dollars, 100, field)


def dollars(amount: int | None) -> str | None:
    """Cents as a plain decimal string (`-3.05`), for people and CSV files."""
    if amount is None:
        return None
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 100)
    return f"{sign}{whole}.{frac:02d}"


def quantise_float(value, scale: int):
    """`quantise` over a polars Float64 column: whole 1/scale units, half away from zero.
    Rounding the scaled float to 6 places first undoes binary noise (11.665 x 100 is
    1166.4999999999998 as a float), so a value written with up to 6 more decimals than the scale
    has rounds as its decimal text does."""
    import polars as pl

    scaled = (value * scale).round(6)
    return ((scaled.abs() + 0.5).floor() * scaled.sign()).cast(pl.Int64, strict=False)
