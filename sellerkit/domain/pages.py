"""Amazon product pages (`/dp/{ASIN}`) read into fields: pure, no I/O, never raises.

`parse_page(html, domain)` gives every field it can read and, for each field it could not, a null
and a line in `warnings` naming the field. Pages differ by marketplace, language, layout and age,
so each field is tried at the places Amazon has put it over the years, and numbers are read in the
marketplace's own format (`1.234` reviews on amazon.de is 1234, `4,5 von 5 Sternen` is 4.5).

A robot-check page (`is_robot_check`) is never parsed as a product: the caller marks the item
blocked. `mode="availability_only"` reads only price and availability, for cheap stock checks.

Parser: selectolax's lexbor backend (`from selectolax.lexbor import LexborHTMLParser`), about 10x
faster than lxml-based selectors on these 1 MB pages.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sellerkit.domain.marketplaces import Marketplace, UnknownMarketplace, marketplace
from sellerkit.domain.numbers import NumberError, parse as parse_number

FULL, AVAILABILITY_ONLY = "full", "availability_only"
MODES = (FULL, AVAILABILITY_ONLY)
# The fields of a full parse, in output order (`warnings` last); availability_only reads the first group.
AVAILABILITY_FIELDS = ("price", "currency", "availability", "in_stock", "stock_message")
FULL_FIELDS = ("title", "brand", "list_price", "rating", "review_count", "best_sellers_rank", "category_ranks",
               "images", "features", "details", "buybox_seller", "sold_by_amazon", "offer_count", "parent_asin",
               "variations", "delivery", "delivery_location")
# Fields a page may rightly lack: no warning when absent (a product without list price or variations).
OPTIONAL = frozenset({"list_price", "stock_message", "parent_asin", "variations", "delivery_location",
                      "category_ranks", "features", "images", "details"})

_CAPTCHA_MARKS = (b"/errors/validatecaptcha", b"<title>robot check</title>", b"captcha.amazon.com",
                  b"to discuss automated access to amazon data")
_SYMBOLS = (("CA$", "CAD"), ("A$", "AUD"), ("MX$", "MXN"), ("R$", "BRL"), ("S$", "SGD"), ("US$", "USD"),
            ("£", "GBP"), ("€", "EUR"), ("EUR", "EUR"), ("￥", "JPY"), ("¥", "JPY"), ("₹", "INR"), ("zł", "PLN"),
            ("₺", "TRY"), ("kr", "SEK"), ("AED", "AED"), ("SAR", "SAR"), ("EGP", "EGP"), ("$", None))
_INT = re.compile(r"\d[\d.,\u00a0\u202f' ]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_DECIMAL_NUMBER = re.compile(r"\d+[.,]\d+")
_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u200b\ufeff"), None)
_RANK = re.compile(r"(?:#|Nr\.?\s*|n\.\s*|n°\s*|№\s*)?(\d[\d.,\u00a0\u202f]*)\s+(?:in|en|dans|in der|em|w|i|na)\s+"
                   r"([^(#\n]+?)\s*(?:\(|$|#|\n|Nr\.|n\.)", re.IGNORECASE)
_RANK_LABELS = ("best sellers rank", "bestsellers rank", "bestseller-rang", "amazon bestseller",
                "classement des meilleures ventes", "posizione nella classifica", "clasificación en los más vendidos",
                "ranking dos mais vendidos", "amazon bestseller-rang", "売れ筋ランキング", "plaats in bestsellerlijst",
                "sales rank")
_SOLD_BY = re.compile(r"(?:sold by|verkauf durch|vendu par|venduto da|vendido por|verkocht door|"
                      r"sprzedawany przez|säljs av|販売)\s*:?\s*(.+?)(?:\s+and\s+|\s+und\s+|\s+et\s+|\s+e\s+|\s+y\s+|"
                      r"\s*\.\s|\s*\.$|\s*,|$)", re.IGNORECASE)
_IN_STOCK = ("in stock", "auf lager", "en stock", "disponible", "disponibile", "op voorraad", "w magazynie",
             "i lager", "在庫あり", "stokta", "left in stock", "auf lager.", "usually dispatched", "usually ships")
_OUT_OF_STOCK = ("currently unavailable", "out of stock", "derzeit nicht verfügbar", "actuellement indisponible",
                 "non disponibile", "no disponible", "momenteel niet verkrijgbaar", "現在在庫切れ", "not available",
                 "niet beschikbaar", "nicht auf lager")
_DETAIL_DROP = ("amazon bestsellers rank", "amazon best sellers rank", "best sellers rank", "average customer review",
                "customer reviews")


def is_robot_check(html: bytes | str) -> bool:
    """Amazon's robot check (a captcha page) rather than a product page."""
    head = (html[:60_000] if isinstance(html, bytes) else html[:60_000].encode("utf-8", "replace")).lower()
    return any(mark in head for mark in _CAPTCHA_MARKS)


def _charset(text: str) -> str | None:
    found = re.search(r"charset=[\"']?([A-Za-z0-9_\-]+)", text, re.IGNORECASE)
    return found.group(1) if found else None


def _source(html: bytes, content_type: str | None) -> tuple[bytes | str, str]:
    """(what the HTML parser reads, the page's charset): the charset of the reply's Content-Type,
    else of its `<meta>`, else UTF-8 (and cp1252 for old pages that are not UTF-8). A UTF-8 page
    goes to the parser as bytes: decoding 1 MB and the parser re-encoding it cost 1.5 ms a page."""
    charset = (_charset(content_type or "") or _charset(html[:4096].decode("ascii", "replace")) or "").lower()
    if charset in ("utf-8", "utf8"):
        return html, "utf-8"  # the parser replaces any bad bytes
    if not charset:
        try:
            html.decode("utf-8")
            return html, "utf-8"
        except UnicodeDecodeError:
            charset = "cp1252"
    try:
        return html.decode(charset), charset
    except (LookupError, UnicodeDecodeError):
        return html.decode("cp1252", "replace"), "cp1252"


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = _SPACES.sub(" ", text.translate(_INVISIBLE).replace("\xa0", " ")).strip()
    return text or None


def _first_text(node: LexborNode) -> str | None:
    """The node's first non-blank text of its own (not of its children)."""
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            text = (child.text(deep=False) or "").translate(_INVISIBLE).strip()
            if text:
                return text
    return None


def _integer(text: str | None) -> int | None:
    """The first whole number in the text, with any thousands separators (`1.234`, `1,234`,
    `1 234`) removed: counts and ranks have no decimals in any marketplace."""
    if not text:
        return None
    found = _INT.search(text)
    if not found:
        return None
    digits = re.sub(r"\D", "", found.group(0))
    return int(digits) if digits else None


def _rating(text: str | None) -> float | None:
    """`4.6 out of 5 stars`, `4,5 von 5 Sternen`, `5つ星のうち4.5`: the number with decimals when
    there is one (the scale comes first in some languages), else the first number."""
    if not text:
        return None
    found = _DECIMAL_NUMBER.search(text) or _NUMBER.search(text)
    if not found:
        return None
    value = float(found.group(0).replace(",", "."))
    return value if 0 <= value <= 5 else None


def money(text: str | None, market: Marketplace) -> tuple[Decimal | None, str | None]:
    """`$1,234.56`, `1.234,56 €`, `￥1,980`: the amount in major units and its currency (the
    marketplace's unless the text names another)."""
    if not text:
        return None, None
    text = text.translate(_INVISIBLE).replace("\xa0", " ").strip()
    currency = market.currency
    for symbol, code in _SYMBOLS:
        if symbol in text:
            currency = code or (market.currency if market.currency_symbol.endswith("$") else "USD")
            break
    found = re.search(r"\d[\d.,\s]*", text)
    if not found:
        return None, None
    number = re.sub(r"\s", "", found.group(0)).rstrip(".,")
    try:
        amount = parse_number(number, market.decimal)
    except NumberError:
        # `$1,234` (ambiguous to a supplier file) is a price: the separator groups thousands
        amount = _grouped(number)
    if amount is None:
        return None, None
    return amount, currency


def _grouped(number: str) -> Decimal | None:
    last = max(number.rfind("."), number.rfind(","))
    if last >= 0 and len(number) - last - 1 == 2:  # two digits after the last separator: decimals
        whole, frac = re.sub(r"\D", "", number[:last]), number[last + 1:]
        return Decimal(f"{whole or 0}.{frac}")
    digits = re.sub(r"\D", "", number)
    return Decimal(digits) if digits else None


_ANCHORED = re.compile(r"([a-z]*)#([\w-]+)(.*)", re.DOTALL)
_JUNK = ["script", "style", "noscript"]


def _words(node: LexborNode, separator: str = " ") -> str | None:
    """The node's visible text (scripts and styles inside it left out), spaces collapsed."""
    node.strip_tags(_JUNK)
    return _clean(node.text(deep=True, separator=separator))


@lru_cache(maxsize=512)
def _parts(selector: str) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    """A selector group's parts, each (part, tag, id, what to look for under that id): the id None
    when the part does not start at one; the rest None for the id's element itself, "" when the
    part is a compound or sibling selector that the index cannot answer."""
    out = []
    for part in selector.split(","):
        part = part.strip()
        anchored = _ANCHORED.fullmatch(part)
        if anchored is None:
            out.append((part, None, None, None))
            continue
        tag, ident, rest = anchored.groups()
        if not rest:
            out.append((part, tag, ident, None))
        elif rest[0].isspace() and rest.lstrip()[:1] not in (">", "+", "~"):
            out.append((part, tag, ident, rest.strip()))
        else:
            out.append((part, tag, ident, ""))
    return tuple(out)


class _Page:
    """One page's tree and what every field reader shares.

    Speed (a 1 MB page, about 3,000 elements): each CSS query over the whole tree costs ~0.3 ms,
    so the page's element ids are indexed once, and a selector that starts at an id (`#ppd .x`)
    looks the id up and queries only under it; an absent id costs nothing. Selectors without an
    id walk the tree, and are tried last."""

    def __init__(self, html: bytes | str, content_type: str | None, market: Marketplace):
        if isinstance(html, str):
            source, self.raw, self.charset = html, html.encode("utf-8", "replace"), "utf-8"
        else:
            source, self.charset = _source(html, content_type)
            self.raw = html  # scripts hold the variation data: searched as bytes, never parsed
        self.tree = LexborHTMLParser(source)
        self.market = market
        self.ids: dict[str, LexborNode] = {}
        for node in self.tree.css("[id]"):
            self.ids.setdefault(node.id, node)
        self.rank_cell: LexborNode | None = None  # where the rank was found, when in a details table

    def select(self, selector: str):
        """The nodes of a selector group, part by part (lazily: a reader that stops at the first
        match stops the walk); parts anchored at an id use the index (first element of that id)."""
        for part, tag, ident, rest in _parts(selector):
            if ident is None:
                yield from self.tree.css(part)
                continue
            node = self.ids.get(ident)
            if node is None or (tag and node.tag != tag):
                continue
            if rest is None:
                yield node
            elif rest:
                yield from node.css(rest)
            else:  # a compound or sibling selector: the whole tree
                yield from self.tree.css(part)

    def first(self, *selectors: str) -> LexborNode | None:
        for selector in selectors:
            for node in self.select(selector):
                return node
        return None

    def text(self, *selectors: str) -> str | None:
        for selector in selectors:
            for node in self.select(selector):
                text = _words(node)
                if text:
                    return text
        return None

    def search(self, literal: bytes, pattern: re.Pattern) -> str | None:
        """The first group of `pattern` matched where `literal` occurs in the raw page (a bytes
        find, not a regex walk of 1 MB), as text."""
        at = self.raw.find(literal)
        while at >= 0:
            found = pattern.match(self.raw, at)
            if found:
                return found.group(1).decode(self.charset, "replace")
            at = self.raw.find(literal, at + 1)
        return None


# ---- field readers: each returns the value or None -------------------------------------------------

def _title(p: _Page):
    node = p.first("#productTitle", "#ebooksProductTitle", "#title")
    if node is not None:
        text = (node.text(deep=True) or "").translate(_INVISIBLE).replace("\xa0", " ").strip()
        if text:
            return text
    meta = p.first('meta[name="title"]')
    return _clean(meta.attributes.get("content")) if meta is not None else None


def _authors(p: _Page) -> list[str]:
    names = [_clean(n.text()) for n in p.select("#bylineInfo .author a.contributorNameID, "
                                                   "#bylineInfo .author > a, #byline .author a.contributorNameID")]
    return list(dict.fromkeys(n for n in names if n))


def _brand(p: _Page, details: dict | None):
    link = p.first("a#bylineInfo")
    if link is not None:
        text = _clean(link.text())
        if text:
            for pattern in (r"^Visit the (.+?) Store$", r"^Brand: (.+)$", r"^Marke: (.+)$", r"^Besuche den (.+?)-Store$",
                            r"^Visiter la boutique (.+)$", r"^Marque : (.+)$"):
                found = re.match(pattern, text, re.IGNORECASE)
                if found:
                    return found.group(1).strip()
            return text
    for key in ("Brand", "Marke", "Marque", "Marca", "Merk", "Brand Name", "Manufacturer", "Hersteller", "Fabricant"):
        if details and details.get(key):
            return details[key]
    authors = _authors(p)
    return authors[0] if authors else None


_PRICE_SELECTORS = ("#corePrice_feature_div .a-price .a-offscreen", "#corePriceDisplay_desktop_feature_div .a-offscreen",
                    "#priceblock_ourprice", "#priceblock_dealprice", "#priceblock_saleprice", "#price_inside_buybox",
                    "#newBuyBoxPrice", "#buyNewSection .offer-price", "#newOfferAccordionRow .header-price",
                    "#kindle-price", "#price", "#buybox .a-color-price", ".a-price .a-offscreen")


def _price(p: _Page):
    for selector in _PRICE_SELECTORS:
        for node in p.select(selector):
            amount, currency = money(_clean(node.text()), p.market)
            if amount is not None:
                return amount, currency, _clean(node.text())
    return None


def _list_price(p: _Page):
    text = p.text(".priceBlockStrikePriceString", "#listPrice", ".basisPrice .a-offscreen",
                  "span.a-price.a-text-price .a-offscreen")
    amount, _ = money(text, p.market)
    return amount


def _availability(p: _Page):
    text = p.text("#availability", "#outOfStock", "#availabilityInsideBuyBox_feature_div", "#exports_desktop_outOfStock_buybox_message_feature_div")
    if text is None:
        if p.first("#add-to-cart-button") is not None:
            return "In Stock", True, None
        return None
    lowered = text.lower()
    in_stock = True if any(w in lowered for w in _IN_STOCK) else False if any(w in lowered for w in _OUT_OF_STOCK) \
        else None
    if p.first("#outOfStock") is not None:
        in_stock = False
    label = text.rstrip(". ")
    if in_stock is True and ("left in stock" in lowered or re.search(r"\d", lowered)):
        return "In Stock", True, label  # "Only 3 left in stock": the stock message
    return label, in_stock, None


def _rating_of(p: _Page):
    node = p.first("#acrPopover")
    if node is not None and node.attributes.get("title"):
        value = _rating(node.attributes["title"])
        if value is not None:
            return value
    return _rating(p.text("#acrPopover .a-icon-alt", "#averageCustomerReviews .a-icon-alt", "i.a-icon-star .a-icon-alt",
                          "span[data-hook=rating-out-of-text]"))


def _reviews(p: _Page):
    return _integer(p.text("#acrCustomerReviewText", "#acrCustomerReviewLink", "[data-hook=total-review-count]"))


def _rank_block(p: _Page) -> str | None:
    node = p.first("#SalesRank")
    if node is not None:
        return _words(node, " \n ")
    for cell in p.select("#prodDetails th, #productDetails_detailBullets_sections1 th, #detailBullets_feature_div li, "
                         "#detailBulletsWrapper_feature_div li, #productDetails_db_sections th, table tr th"):
        label = (_clean(cell.text()) or "").lower()
        if any(mark in label for mark in _RANK_LABELS):
            target = cell.next if cell.tag == "th" else cell
            while target is not None and target.tag != "td" and cell.tag == "th":
                target = target.next
            p.rank_cell = target or cell
            return _words(p.rank_cell, " \n ")
    return None


def _ranks(p: _Page):
    """(the top-level rank, [{rank, category}] with each ladder as a `>`-joined path)."""
    block = _rank_block(p)
    ladders = []
    for li in p.select("#SalesRank ul.zg_hrsr li"):
        path = ">".join(t for t in (_clean(a.text()) for a in li.css("span.zg_hrsr_ladder a")) if t)
        rank = li.css_first("span.zg_hrsr_rank")
        ladders.append((_integer(rank.text()) if rank is not None else None, path))
    if not ladders and p.rank_cell is not None and p.rank_cell.tag == "td":  # a details table: one span a ladder, the first the top level
        for span in p.rank_cell.css("span > span")[1:]:
            path = ">".join(t for t in (_clean(a.text()) for a in span.css("a")) if t)
            ladders.append((_integer(_first_text(span)), path))
    if not block:
        return None
    # the label ("Amazon Best Sellers Rank:") goes first, so its number is not read as a rank
    body = block
    for label in _RANK_LABELS:
        at = body.lower().find(label)
        if at >= 0:
            body = body[at + len(label):].lstrip(": ")
            break
    found = [(int(re.sub(r"\D", "", n)), _clean(c)) for n, c in _RANK.findall(body) if re.sub(r"\D", "", n)]
    if not found:
        return None
    top = found[0][0]
    ladders = [(r, path) for r, path in ladders if path]
    if ladders:
        categories = [{"rank": r, "category": path} for r, path in ladders if path]
    else:
        categories = [{"rank": r, "category": c} for r, c in found[1:] if c]
    return top, found[0][1], categories


def _images(p: _Page):
    urls = [n.attributes.get("src") for n in p.select("#imageBlockThumbs div.imageThumb img")]
    urls += [n.attributes.get("src") for n in p.select("#altImages li.item img")]
    urls = [u for u in urls if u and not u.startswith("data:")]
    if not urls:
        for node in p.select("#imgBlkFront, #landingImage, #ebooksImgBlkFront"):
            dynamic = node.attributes.get("data-a-dynamic-image")
            if dynamic:
                try:
                    urls += list(json.loads(dynamic))
                except ValueError:
                    pass
            elif node.attributes.get("data-old-hires"):
                urls.append(node.attributes["data-old-hires"])
    return list(dict.fromkeys(urls))


def _features(p: _Page):
    out = []
    for node in p.select("#feature-bullets ul li span.a-list-item"):
        text = _first_text(node)
        if text:
            out.append(text.replace("\xa0", " "))
    return out


def _pair(details: dict, key: str | None, value: str | None) -> None:
    key = (key or "").translate(_INVISIBLE).replace("\xa0", "").strip().rstrip(":").strip()
    value = (value or "").translate(_INVISIBLE).strip()
    if key and value and key not in details:
        details[key] = value


def _details(p: _Page):
    details: dict[str, str] = {}
    for li in p.select("#productDetailsTable li, #detail-bullets table li, #detail_bullets_id table li"):
        if li.attributes.get("id") == "SalesRank":
            continue
        bold = li.css_first("b")
        if bold is None:
            continue
        key = _clean(bold.text())
        if key and key.rstrip(":") in ("Format",):
            value = _clean(li.css_first("a").text()) if li.css_first("a") else None
        elif key and key.rstrip(":") in ("Other Editions", "Weitere Ausgaben") or (key and "Autres versions" in key):
            value = " | ".join(t for t in (_clean(a.text()) for a in li.css("a")) if t)
        else:
            value = _first_text(li)
        _pair(details, key, value)
    for item in p.select("#detailBullets_feature_div li span.a-list-item, #detailBulletsWrapper_feature_div li span.a-list-item"):
        key = item.css_first("span.a-text-bold")
        values = [s for s in item.css("span") if "a-text-bold" not in (s.attributes.get("class") or "")]
        _pair(details, key.text() if key else None, _first_text(values[0]) if values else None)
    for row in p.select("#productDetails_detailBullets_sections1 tr, #prodDetails table tr, "
                          "#productDetails_techSpec_section_1 tr"):
        th, td = row.css_first("th"), row.css_first("td")
        if th is not None and td is not None:
            _pair(details, _first_text(th), _first_text(td))
        label, value = row.css_first("td.label"), row.css_first("td.value")
        if label is not None and value is not None:
            _pair(details, _first_text(label), _first_text(value))
    for key in ("Shipping Weight",):
        if key in details:
            details[key] = details[key].replace("(", "").replace(")", "").strip()
    for key in list(details):
        if key.lower() in _DETAIL_DROP:
            details.pop(key)
    return details


def _seller(p: _Page):
    name = p.text("#sellerProfileTriggerId", "#tabular-buybox .tabular-buybox-text[tabular-attribute-name='Sold by']",
                  "#merchantInfoFeature_feature_div .offer-display-feature-text-message")
    if name:
        return name
    info = p.text("#merchant-info", "#merchantInfo")
    if info:
        found = _SOLD_BY.search(info)
        if found:
            return found.group(1).strip().rstrip(".").strip() or None
    return None


def _sold_by_amazon(seller: str | None) -> bool | None:
    if seller is None:
        return None
    return bool(re.fullmatch(r"amazon(\.[a-z.]+)?( ?(eu|us|uk|export sales llc|services.*))?( s\.?[aà]\.? ?r\.?l\.?)?",
                             seller.strip().lower()))


def _offer_count(p: _Page):
    text = p.text("#olp_feature_div", "#olp-upd-new", "#olp-new", "#mbc-olp-link", "#buybox-see-all-buying-choices")
    if text:
        found = re.search(r"\((\d+)\)", text)
        return int(found.group(1)) if found else _integer(text)
    return None


_PARENT = re.compile(rb'"parentAsin"\s*:\s*"([A-Z0-9]{10})"')
_DIMENSIONS = re.compile(rb'"dimensionsDisplay"\s*:\s*(\[[^\]]*\])')
_DIMENSION_VALUES = re.compile(rb'"dimensionValuesDisplayData"\s*:\s*(\{[^{}]*\})')


def _variations(p: _Page):
    parent = p.search(b'"parentAsin"', _PARENT)
    dims = p.search(b'"dimensionsDisplay"', _DIMENSIONS)
    values = p.search(b'"dimensionValuesDisplayData"', _DIMENSION_VALUES)
    names = json.loads(dims) if dims else []
    data = json.loads(values) if values else {}
    variations = [{"asin": asin, "values": dict(zip(names, vals)) if names else vals}
                  for asin, vals in data.items()] if data else None
    return parent, variations


def _delivery(p: _Page):
    message = p.text("#mir-layout-DELIVERY_BLOCK-slot-PRIMARY_DELIVERY_MESSAGE_LARGE", "#mir-layout-DELIVERY_BLOCK",
                     "#deliveryBlockMessage", "#ddmDeliveryMessage", "#delivery-message", "#fast-track-message")
    if message:
        message = re.sub(r"\s*Details$", "", message)
    location = p.text("#glow-ingress-line2", "#contextualIngressPtLabel_deliveryShortLine")
    return message, location


def parse_page(html: bytes | str, domain: str = "amazon.com", mode: str = FULL, content_type: str | None = None,
               asin: str | None = None) -> dict[str, Any]:
    """The fields of a product page (see the module doc); never raises."""
    warnings: list[str] = []
    try:
        market = marketplace(domain, "domain")
    except UnknownMarketplace as exc:
        market = marketplace("US")
        warnings.append(f"domain: {exc}; numbers read as amazon.com writes them")
    out: dict[str, Any] = {"asin": asin, "domain": market.domain}
    wanted = AVAILABILITY_FIELDS + (FULL_FIELDS if mode != AVAILABILITY_ONLY else ())
    out.update(dict.fromkeys(wanted))
    try:
        if is_robot_check(html):
            out["warnings"] = ["page: a robot check (captcha), not a product page"]
            out["blocked"] = True
            return out
        page = _Page(html, content_type, market)
    except Exception as exc:  # noqa: BLE001 - a page that cannot be read at all gives nulls and says why
        out["warnings"] = [f"page: could not be read ({type(exc).__name__})"] + [f"{f}: not found" for f in wanted]
        return out

    def read(name: str, reader, *args):
        try:
            return reader(page, *args)
        except Exception as exc:  # noqa: BLE001 - one field's failure never loses the others
            warnings.append(f"{name}: could not be read ({type(exc).__name__}: {str(exc)[:80]})")
            return None

    price = read("price", _price)
    if price:
        amount, out["currency"], out["price_text"] = price
        out["price"] = float(amount)
    availability = read("availability", _availability)
    if availability:
        out["availability"], out["in_stock"], out["stock_message"] = availability
    if mode != AVAILABILITY_ONLY:
        details = read("details", _details) or {}
        out["title"] = read("title", _title)
        out["brand"] = read("brand", _brand, details)
        list_price = read("list_price", _list_price)
        out["list_price"] = float(list_price) if list_price is not None else None
        out["rating"] = read("rating", _rating_of)
        out["review_count"] = read("review_count", _reviews)
        ranks = read("best_sellers_rank", _ranks)
        if ranks:
            out["best_sellers_rank"], out["rank_category"], out["category_ranks"] = ranks
        out["images"] = read("images", _images) or []
        out["features"] = read("features", _features) or []
        out["details"] = details
        seller = read("buybox_seller", _seller)
        out["buybox_seller"] = seller
        out["sold_by_amazon"] = _sold_by_amazon(seller)
        out["offer_count"] = read("offer_count", _offer_count)
        if out["offer_count"] is None and seller is not None:
            out["offer_count"] = 1  # the buy box's own offer, with no link to others
        variations = read("variations", _variations)
        if variations:
            out["parent_asin"], out["variations"] = variations
        delivery = read("delivery", _delivery)
        if delivery:
            out["delivery"], out["delivery_location"] = delivery
    for name in wanted:
        if out.get(name) is None and name not in OPTIONAL and not any(w.startswith(f"{name}:") for w in warnings):
            warnings.append(f"{name}: not found on the page")
    out["warnings"] = warnings
    return out
