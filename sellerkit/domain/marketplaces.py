"""Amazon marketplaces: the one table every dialect maps its codes onto.

Dialects name marketplaces differently (RocketSource `US`, ASINScope `com`, SP-API
`ATVPDKIKX0DER`); all of them resolve here, so an unknown code fails the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sellerkit.domain.quoting import quote


MARKETPLACE_CHARS = 32  # the longest marketplace text a client may send: a code (US) or an SP-API id


class UnknownMarketplace(ValueError):
    """A marketplace code that no Amazon marketplace answers to."""

    def __init__(self, code: object, field: str = "marketplace") -> None:
        self.code = code
        self.field = field
        known = ", ".join(MARKETPLACES)
        super().__init__(f"{field}: unknown marketplace {quote(code)}; expected one of {known}")


@dataclass(frozen=True, slots=True)
class Marketplace:
    code: str  # RocketSource / catalog-format code
    marketplace_id: str  # SP-API marketplace id
    domain: str  # amazon.<domain>; ASINScope's `domain` parameter uses the short form
    short_domain: str
    currency: str
    currency_symbol: str
    metric: bool  # fee tables in cm/kg rather than inches/pounds

    @property
    def decimal(self) -> str:
        """The decimal separator a seller's files in this marketplace most likely use: the
        default of a scan's or an import's `decimal` option."""
        return "," if self.code in DECIMAL_COMMA else "."

    def major_units(self, cents: int) -> float | int:
        """Minor units as a number in the currency's own unit: 2279 -> 22.79 (yen have no minor
        unit: 1980 -> 1980). Only for wire formats that want a number, such as ASINScope's."""
        if self.currency == "JPY":
            return cents
        return round(cents / 100, 2)

    def format_money(self, cents: int) -> str:
        """Amazon-style price text, e.g. `$22.79`, `£9.99`, `22,79 €`, `￥1,980`."""
        if self.currency == "JPY":
            return f"{self.currency_symbol}{cents:,}"
        whole, frac = divmod(abs(cents), 100)
        sign = "-" if cents < 0 else ""
        if self.currency == "EUR":
            whole_txt = f"{whole:,}".replace(",", ".")
            return f"{sign}{whole_txt},{frac:02d} {self.currency_symbol}"
        return f"{sign}{self.currency_symbol}{whole:,}.{frac:02d}"


_ROWS = [
    # code, marketplace id, domain, short, currency, symbol, metric
    ("US", "ATVPDKIKX0DER", "amazon.com", "com", "USD", "$", False),
    ("CA", "A2EUQ1WTGCTBG2", "amazon.ca", "ca", "CAD", "CA$", True),
    ("MX", "A1AM78C64UM0Y8", "amazon.com.mx", "mx", "MXN", "MX$", True),
    ("BR", "A2Q3Y263D00KWC", "amazon.com.br", "br", "BRL", "R$", True),
    ("UK", "A1F83G8C2ARO7P", "amazon.co.uk", "uk", "GBP", "£", True),
    ("DE", "A1PA6795UKMFR9", "amazon.de", "de", "EUR", "€", True),
    ("FR", "A13V1IB3VIYZZH", "amazon.fr", "fr", "EUR", "€", True),
    ("IT", "APJ6JRA9NG5V4", "amazon.it", "it", "EUR", "€", True),
    ("ES", "A1RKKUPIHCS9HS", "amazon.es", "es", "EUR", "€", True),
    ("NL", "A1805IZSGTT6HS", "amazon.nl", "nl", "EUR", "€", True),
    ("BE", "AMEN7PMS3EDWL", "amazon.com.be", "be", "EUR", "€", True),
    ("IE", "A28R8C7NBKEWEA", "amazon.ie", "ie", "EUR", "€", True),
    ("SE", "A2NODRKZP88ZB9", "amazon.se", "se", "SEK", "kr", True),
    ("PL", "A1C3SOZRARQ6R3", "amazon.pl", "pl", "PLN", "zł", True),
    ("TR", "A33AVAJ2PDY3EV", "amazon.com.tr", "tr", "TRY", "₺", True),
    ("EG", "ARBP9OOSHTCHU", "amazon.eg", "eg", "EGP", "EGP", True),
    ("AE", "A2VIGQ35RCS4UG", "amazon.ae", "ae", "AED", "AED", True),
    ("SA", "A17E79C6D8DWNP", "amazon.sa", "sa", "SAR", "SAR", True),
    ("IN", "A21TJRUUN4KGV", "amazon.in", "in", "INR", "₹", True),
    ("JP", "A1VC38T7YXB528", "amazon.co.jp", "jp", "JPY", "￥", True),
    ("AU", "A39IBJ37TRP1C6", "amazon.com.au", "au", "AUD", "A$", True),
    ("SG", "A19VAU5U5O7RUS", "amazon.sg", "sg", "SGD", "S$", True),
]

# Where numbers are written 1.234,50: continental Europe, Turkey, Brazil. The others (US, UK,
# IE, CA, MX, JP, IN, AU, SG and the Arabic-speaking marketplaces) write 1,234.50.
DECIMAL_COMMA = frozenset({"DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL", "TR", "BR"})

MARKETPLACES: dict[str, Marketplace] = {r[0]: Marketplace(*r) for r in _ROWS}
_BY_ALIAS: dict[str, Marketplace] = {}
for _m in MARKETPLACES.values():
    for _alias in (_m.code, _m.marketplace_id, _m.domain, _m.short_domain):
        _BY_ALIAS[_alias.upper()] = _m
_BY_ALIAS["GB"] = MARKETPLACES["UK"]  # ISO country code sellers also type
_BY_ALIAS["CO.UK"] = MARKETPLACES["UK"]
_BY_ALIAS["CO.JP"] = MARKETPLACES["JP"]
_BY_ALIAS["COM.MX"] = MARKETPLACES["MX"]
_BY_ALIAS["COM.AU"] = MARKETPLACES["AU"]

# ASINScope's documented `domain` values, and only those.
ASINSCOPE_DOMAINS = ("com", "ca", "de", "fr", "it", "nl", "es", "in", "uk", "jp", "au", "mx")


def marketplace(code: object, field: str = "marketplace") -> Marketplace:
    """Resolve any accepted spelling (code, SP-API id, domain) or raise UnknownMarketplace."""
    if not isinstance(code, str) or not code.strip():
        raise UnknownMarketplace(code, field)
    found = _BY_ALIAS.get(code.strip().upper())
    if found is None:
        raise UnknownMarketplace(code, field)
    return found
