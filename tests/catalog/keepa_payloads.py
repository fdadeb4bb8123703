"""Keepa product objects and replies BUILT by hand from the field reference
`shared/fixtures/external/keepa/keepa-product-object.md` (Keepa's own javadoc of Product, Stats
and Offer): no real raw Keepa `/product` JSON is public under a licence (see SOURCES.md there),
so every payload here is written field by field from that reference, with its conventions:
Keepa minutes, integer minor-unit prices, -1 for "no data", `[t, price, shipping]` triples for
the shipping-bearing csv types, stats arrays by csv index."""

from __future__ import annotations

from datetime import UTC, datetime

CSV_TYPES = 36
ASIN = "B0KEEPA001"
UPC = "036000291452"  # valid check digits (shared/fixtures/external/identifiers)
EAN = "4006381333931"


def minute(at: datetime) -> int:
    """A UTC time as Keepa minutes (minutes since 2011-01-01T00:00Z), by calendar arithmetic."""
    return int((at - datetime(2011, 1, 1, tzinfo=UTC)).total_seconds()) // 60


T1 = minute(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
T2 = minute(datetime(2026, 10, 15, 8, 30, tzinfo=UTC))
T3 = minute(datetime(2026, 11, 1, 0, 0, tzinfo=UTC))


def by_index(default=None, **values) -> list:
    """An array over the 36 csv types: `by_index(-1, SALES=1234)` style, by index name `i3=...`."""
    out = [default] * CSV_TYPES
    for name, value in values.items():
        out[int(name[1:])] = value
    return out


def stats(**overrides) -> dict:
    """A Stats object (asked with stats=60): current and averages by csv index."""
    base = {
        # 0 AMAZON -1 (no Amazon offer now), 3 SALES, 4 LISTPRICE, 7 NEW_FBM_SHIPPING, 10 NEW_FBA,
        # 11 COUNT_NEW, 12 COUNT_USED, 18 BUY_BOX_SHIPPING, 32 BUY_BOX_USED_SHIPPING, 34/35 counts
        "current": by_index(-1, i0=-1, i3=1234, i4=3999, i7=2699, i10=2499, i11=5, i12=1, i18=2599, i32=1899,
                            i34=3, i35=2),
        "avg": by_index(-1, i3=1300, i18=2650),
        "avg30": by_index(-1, i3=1250, i18=2620),
        "avg90": by_index(-1, i3=1400, i18=-1),  # -1: no Buy Box in the 90 days
        "avg180": by_index(-1, i3=1800, i18=2700),
        "outOfStockPercentage30": by_index(-1, i0=25),
        "outOfStockPercentage90": by_index(-1, i0=40),
        "outOfStockPercentageInInterval": by_index(-1, i0=30),
        "salesRankDrops30": 12,
        "salesRankDrops90": 30,
        "salesRankDrops180": -1,
        "totalOfferCount": 9,
    }
    return {**base, **overrides}


def product(**overrides) -> dict:
    """A Product object of amazon.it (domainId 8) with histories, stats and every field the
    converter reads."""
    base = {
        "asin": ASIN,
        "domainId": 8,
        "productType": 0,
        "title": "Lampada da scrivania LED ",
        "brand": "Lumo",
        "manufacturer": "Lumo S.r.l.",
        "model": "LD-100",
        "partNumber": "LD100-W",
        "color": "Bianco",
        "size": "Standard",
        "productGroup": "Home Improvement",
        "categoryTree": [{"catId": 2454160031, "name": "Fai da te"},
                         {"catId": 2454162031, "name": "Illuminazione"},
                         {"catId": 3012345031, "name": "Lampade da scrivania"}],
        "rootCategory": 2454160031,
        "salesRankReference": 2454160031,
        "salesRanks": {"2454160031": [T1, 1500, T3, 1234], "3012345031": [T1, 50, T3, 40]},
        "upcList": [UPC],
        "eanList": [EAN, "0" + UPC],
        "images": [{"l": "71lamp-L.jpg", "lH": 1500, "lW": 1500, "m": "41lamp-M.jpg", "mH": 500, "mW": 500},
                   {"m": "51side-M.jpg", "mH": 500, "mW": 500}],
        "imagesCSV": "71lamp-L.jpg,51side-M.jpg",
        "packageLength": 254, "packageWidth": 127, "packageHeight": 33, "packageWeight": 907,
        "itemLength": -1, "itemWidth": 0, "itemHeight": 100, "itemWeight": 0,
        "monthlySold": 200,
        "monthlySoldHistory": [T1, 100, T3, 200],
        "hazardousMaterials": [{"aspect": "lithium battery", "value": "UN3481"}],
        "isHeatSensitive": False,
        "isAdultProduct": False,
        "releaseDate": 20150409,
        "features": ["Luce calda", " Braccio snodato "],
        "referralFeePercentage": 15,
        "availabilityAmazon": -1,
        "lastUpdate": T3,
        "csv": by_index(
            None,
            i0=[T1, 2999, T2, -1],  # AMAZON: in stock, then out of stock
            i3=[T1, 1500, T2, -1, T3, 1234],  # SALES: a gap (-1) in the middle
            i11=[T1, 4, T3, 5],  # COUNT_NEW
            i18=[T1, 2499, 100, T2, -1, -1, T3, 2599, 0],  # BUY_BOX_SHIPPING triples
        ),
        "stats": stats(),
    }
    return {**base, **overrides}


def reply(products: list[dict], *, tokens_left: int = 180, refill_in: int = 41_000, refill_rate: int = 20,
          consumed: int = 1) -> dict:
    """A `/product` reply: the token fields every Keepa reply carries, then the products."""
    return {"timestamp": 1_793_000_000_000, "tokensLeft": tokens_left, "refillIn": refill_in,
            "refillRate": refill_rate, "tokenFlowReduction": 0.0, "tokensConsumed": consumed,
            "processingTimeInMs": 12, "products": products}
