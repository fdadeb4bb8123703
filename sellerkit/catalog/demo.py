"""Deterministic demo catalog: realistic-looking Amazon products in the catalog exchange format.

`generate()` yields product records and (for a share of them) daily observation records exactly as
`specs/catalog-format.md` describes them, so the demo data goes through the same import path as
any other provider. Everything derives from `random.Random(seed)` and a fixed reference time:
the same arguments give the same records, byte for byte, on every run and machine.

What the records look like (per root category: dimensions, density, prices, rank ranges, offer
counts, browse paths, product groups, invented brands and titles):

- most products live in the US marketplace; some ASINs are also listed in other requested
  marketplaces with local prices in that marketplace's currency (same ASIN, as on Amazon);
- identifiers come from a GS1-like allocation (a company prefix per brand, an item reference per
  product) so UPC/EAN/JAN/ISBN codes are unique and carry valid check digits; books use their
  ISBN-10 as ASIN;
- multipacks (2/3/4/6/12) share the single unit's identifiers, variation families (a parent
  record plus children varying by colour and/or size) list every child ASIN;
- every product record carries `"demo": true`.

Speed matters (it builds the 1,000,000-product benchmark catalog): module-level tables are built
once, per-record work is table look-ups and a handful of `random()` draws.
"""

from __future__ import annotations

import math
from binascii import b2a_base64
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from random import Random

from sellerkit.domain.identifiers import gtin_check_digit, isbn10_check_digit
from sellerkit.domain.marketplaces import marketplace as _resolve_marketplace

__all__ = ["CATEGORIES", "REFERENCE_NOW", "generate"]

# The default "now": fixed so the default output never depends on the wall clock.
REFERENCE_NOW = datetime(2026, 11, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Marketplaces: how a US dollar price becomes a local shelf price.
# rate (local major units per USD), markup range (VAT, local pricing), price step and ending in
# minor units (`1999` style .99 endings; yen prices end in 80; rupee prices in 99 rupees ...),
# share of the catalog homed there (US dominates), rank scale (smaller stores, smaller ranks),
# GS1 country prefixes for locally made goods, ISBN registration group.
# ---------------------------------------------------------------------------------------------
def _gs1(first: int, last: int) -> tuple[str, ...]:
    """GS1 prefixes `first`..`last` as strings."""
    return tuple(str(p) for p in range(first, last + 1))


# fmt: off
_MARKET = {
    # code: (rate, markup_lo, markup_hi, minor, step, end, home_weight, rank_scale, gs1, isbn)
    "US": (1.0, 1.0, 1.0, 100, 100, 99, 70.0, 1.0, None, ("0", "1")),
    "CA": (1.37, 1.02, 1.18, 100, 100, 99, 6.0, 0.25, None, ("0", "1")),
    "MX": (18.5, 1.05, 1.25, 100, 1000, 900, 2.0, 0.15, ("750",), ("607",)),
    "BR": (5.6, 1.10, 1.35, 100, 100, 90, 2.0, 0.15, ("789", "790"), ("85",)),
    "UK": (0.79, 1.05, 1.25, 100, 100, 99, 10.0, 0.4, _gs1(500, 509), ("0", "1")),
    "DE": (0.92, 1.05, 1.25, 100, 100, 99, 9.0, 0.45, _gs1(400, 440), ("3",)),
    "FR": (0.92, 1.05, 1.25, 100, 100, 99, 4.0, 0.3, _gs1(300, 379), ("2",)),
    "IT": (0.92, 1.05, 1.25, 100, 100, 99, 3.0, 0.25, _gs1(800, 839), ("88",)),
    "ES": (0.92, 1.05, 1.25, 100, 100, 99, 3.0, 0.25, _gs1(840, 849), ("84",)),
    "NL": (0.92, 1.05, 1.25, 100, 100, 99, 1.5, 0.1, _gs1(870, 879), ("90",)),
    "BE": (0.92, 1.05, 1.25, 100, 100, 99, 1.0, 0.08, _gs1(540, 549), ("90", "2")),
    "IE": (0.92, 1.05, 1.25, 100, 100, 99, 1.0, 0.05, ("539",), ("0", "1")),
    "SE": (10.6, 1.05, 1.25, 100, 1000, 900, 1.0, 0.06, _gs1(730, 739), ("91",)),
    "PL": (3.95, 1.05, 1.25, 100, 100, 99, 1.5, 0.1, ("590",), ("83",)),
    "TR": (34.0, 1.05, 1.30, 100, 1000, 900, 1.0, 0.08, ("868", "869"), ("605",)),
    "EG": (49.0, 1.05, 1.30, 100, 1000, 900, 0.5, 0.03, ("622",), ("977",)),
    "AE": (3.67, 1.05, 1.25, 100, 100, 99, 1.0, 0.05, ("629",), ("0", "1")),
    "SA": (3.75, 1.05, 1.25, 100, 100, 99, 1.0, 0.05, ("628",), ("0", "1")),
    "IN": (84.0, 0.95, 1.15, 100, 10000, 9900, 3.0, 0.3, ("890",), ("81", "93")),
    "JP": (150.0, 1.05, 1.35, 1, 100, 80, 4.0, 0.35, _gs1(450, 459) + _gs1(490, 499), ("4",)),
    "AU": (1.52, 1.05, 1.25, 100, 100, 99, 2.0, 0.12, _gs1(930, 939), ("0", "1")),
    "SG": (1.34, 1.05, 1.25, 100, 100, 90, 0.5, 0.03, ("888",), ("981",)),
}
# fmt: on
_NORTH_AMERICA_UPC = {"US", "CA"}  # goods homed here carry UPC-A

# ---------------------------------------------------------------------------------------------
# Words.
# ---------------------------------------------------------------------------------------------
_COLORS = (
    "Black",
    "White",
    "Gray",
    "Navy Blue",
    "Blue",
    "Red",
    "Green",
    "Pink",
    "Beige",
    "Brown",
    "Silver",
    "Gold",
    "Purple",
    "Teal",
    "Sage Green",
    "Charcoal",
    "Ivory",
    "Rose Gold",
    "Burgundy",
    "Yellow",
    "Orange",
    "Light Blue",
    "Khaki",
    "Olive",
)
_APPAREL_SIZES = ("X-Small", "Small", "Medium", "Large", "X-Large", "XX-Large", "3X-Large")
_SHOE_SIZES = ("6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12", "13")
_PET_SIZES = ("X-Small", "Small", "Medium", "Large", "X-Large")
_BED_SIZES = ("Twin", "Twin XL", "Full", "Queen", "King", "California King")
_VOLUME_SIZES = ("1 Fl Oz", "2 Fl Oz", "3.4 Fl Oz", "4 Fl Oz", "8 Fl Oz", "16 Fl Oz", "32 Fl Oz")
_WEIGHT_SIZES = ("4 Ounce", "8 Ounce", "12 Ounce", "16 Ounce", "1.5 Pound", "2 Pound", "5 Pound")
_LENGTH_SIZES = ("6 Feet", "10 Feet", "15 Feet", "25 Feet", "50 Feet", "100 Feet")
_INCH_SIZES = ('8"', '10"', '12"', '14"', '16"', '18"', '20"', '24"')
_COUNT_SIZES = (
    "10 Count",
    "20 Count",
    "30 Count",
    "60 Count",
    "90 Count",
    "120 Count",
    "180 Count",
)
_GENERIC_SIZES = ("Small", "Medium", "Large", "X-Large")
_BABY_SIZES = ("Newborn", "0-3 Months", "3-6 Months", "6-12 Months", "12-18 Months", "18-24 Months")
_FIT_SIZES = ("Compact", "Standard", "Large", "Universal Fit")
_DRIVE_SIZES = ("1/4 Inch", "3/8 Inch", "1/2 Inch", "Metric", "SAE")
_PACK_SIZES = (2, 2, 2, 3, 3, 4, 4, 6, 6, 12)

_GENERIC_BULLETS = (
    "WHAT YOU GET: everything shown in the main image, packed in a recyclable retail box",
    "EASY TO USE: works straight out of the box, no tools or setup required",
    "BUILT TO LAST: durable materials tested for everyday use at home and on the go",
    "GREAT GIFT IDEA: a thoughtful present for birthdays, holidays and housewarmings",
    "CUSTOMER PROMISE: questions or problems? Our support team replies within 24 hours",
    "COMPACT DESIGN: space-saving shape fits in drawers, cabinets, bags and carry-ons",
    "EASY CARE: wipe clean with a damp cloth; dishwasher and machine-wash details on the label",
    "SAFETY FIRST: independently tested and free of BPA, lead and phthalates",
)


def _sub(path, nouns, pres, posts, group=None, **overrides):
    return (path, nouns, pres, posts, group, overrides)


# Root categories. Money in US cents; dimensions inches (longest side range, then the ratios of
# the next sides); density pounds per cubic inch of package (water is 0.036).
# Columns: name, product_group, share, rank_max, price range, longest side range, width/length
# ratio, height/width ratio, density range, offers scale, variation share and kind, multipack
# share, expiration share, hazmat share, bullets, brand word parts, sub-categories.
# fmt: off
_CATEGORY_ROWS = [
    dict(
        name="Toys & Games", group="Toy", share=8.0, rank_max=1_800_000, price=(499, 8999),
        length=(4.0, 22.0), wr=(0.45, 0.95), hr=(0.15, 0.7), density=(0.004, 0.012), offers=1.2,
        var=0.10, var_kind="color", pack=0.03, expiration=0.0, hazmat=0.01, jan=0.03,
        bullets=(
            "STEM LEARNING: builds fine motor skills, creativity and problem solving through play",
            "SAFE FOR KIDS: non-toxic materials with smooth edges, meets ASTM F963 and CPSIA",
            "HOURS OF FUN: ideal for family game night, playdates, classrooms and travel",
            "PERFECT GIFT: bright gift-ready box for birthdays, Christmas and Easter baskets",
        ),
        words=(("Kid", "Play", "Tot", "Wonder", "Giggle", "Bloc", "Tiny", "Zoom", "Jolly", "Pebble", "Sprout", "Whirl"),
               ("zo", "nest", "ville", "works", "kins", "land", "bee", "craft", "topia", "pals", "box", "bug")),
        subs=(
            _sub("Puzzles>Jigsaw Puzzles", ("Jigsaw Puzzle",), ("1000 Piece", "500 Piece", "300 Piece Large Format", "2000 Piece"),
                 ("Mountain Lake Landscape", "Vintage World Map", "Cozy Cabin in Winter", "for Adults and Families", "Finished Size 27 x 20 Inches"),
                 length=(9.0, 14.0), wr=(0.7, 0.95), hr=(0.15, 0.3), density=(0.006, 0.01)),
            _sub("Building Toys>Building Sets", ("Magnetic Building Tiles", "Building Blocks Set", "Marble Run Set"), ("64 Piece", "100 Piece", "120 Piece", "Deluxe"),
                 ("STEM Educational Toy for Kids Ages 3+", "Preschool Construction Toys", "Birthday Gift for Boys and Girls", "with Storage Bin")),
            _sub("Games & Accessories>Board Games", ("Board Game", "Card Game", "Party Game", "Strategy Game"), ("Family", "Cooperative", "Classic", "Travel"),
                 ("for 2-6 Players", "Ages 8 and Up", "30 Minute Playing Time", "Fun Game Night for Kids and Adults")),
            _sub("Dolls & Accessories>Dolls", ("Fashion Doll", "Baby Doll", "Doll House"), ("11.5 Inch", "14 Inch", "Deluxe", "Soft Body"),
                 ("with Accessories", "Pretend Play Toy for Girls 3+", "Washable Outfit")),
            _sub("Stuffed Animals & Plush Toys>Plush Figures", ("Plush Toy", "Stuffed Animal", "Weighted Plush"), ("Cuddly", "Jumbo", "Mini", "Squishy"),
                 ("Bear", "Unicorn", "Dinosaur", "Axolotl", "Gift for Kids"), density=(0.002, 0.008)),
            _sub("Sports & Outdoor Play>Blasters & Foam Play", ("Foam Dart Blaster", "Water Blaster", "Bubble Machine"), ("Motorized", "Pump Action", "Rechargeable"),
                 ("with 40 Darts", "Outdoor Toy for Kids 8+", "Backyard Games"), hazmat=0.05),
        ),
    ),
    dict(
        name="Home & Kitchen", sizes=_GENERIC_SIZES, group="Home", share=11.0, rank_max=4_000_000, price=(699, 12999),
        length=(5.0, 30.0), wr=(0.4, 0.95), hr=(0.15, 0.8), density=(0.003, 0.012), offers=1.0,
        var=0.25, var_kind="color_size", pack=0.05, expiration=0.0, hazmat=0.01, jan=0.0,
        bullets=(
            "PREMIUM MATERIALS: soft, breathable and fade resistant after repeated washing",
            "MODERN LOOK: clean lines that match farmhouse, boho and minimalist decor",
            "ORGANIZE YOUR SPACE: keeps closets, pantries and countertops tidy",
            "EASY ASSEMBLY: all hardware included, sets up in under 10 minutes",
        ),
        words=(("Home", "Casa", "Nest", "Hearth", "Linen", "Cozy", "Oak", "Willow", "Haven", "Maple", "Stone", "Cedar"),
               ("ly", "wise", "craft", "field", "haus", "mark", "and Co.", "line", "loom", "brook", "way", "Living")),
        subs=(
            _sub("Bedding>Sheets & Pillowcases>Sheet & Pillowcase Sets", ("Bed Sheet Set", "Microfiber Sheets", "Cotton Sheet Set"), ("4 Piece", "6 Piece", "1800 Thread Count", "100% Cotton"),
                 ("Deep Pocket", "Hotel Luxury", "Wrinkle Free", "Cooling"), sizes=_BED_SIZES, length=(10.0, 16.0), wr=(0.6, 0.9), hr=(0.2, 0.4), density=(0.012, 0.025)),
            _sub("Storage & Organization>Baskets, Bins & Containers", ("Storage Bins", "Woven Basket", "Closet Organizer"), ("Set of 3", "Set of 6", "Collapsible", "Large"),
                 ("with Handles", "for Shelves", "Fabric Cube Organizer"), density=(0.002, 0.008)),
            _sub("Home Décor Products>Candles & Holders>Candles", ("Scented Candle", "Soy Candle", "Jar Candle"), ("Lavender", "Vanilla", "Sea Salt", "3-Wick"),
                 ("Long Lasting 50 Hour Burn", "Aromatherapy Gift for Women", "Natural Soy Wax"), length=(3.0, 6.0), wr=(0.8, 1.0), hr=(0.7, 1.0), density=(0.012, 0.025), hazmat=0.03),
            _sub("Cleaning Supplies>Household Cleaners>All-Purpose Cleaners", ("All Purpose Cleaner", "Disinfecting Spray", "Glass Cleaner"), ("Lemon", "Unscented", "Plant Based", "Concentrated"),
                 ("32 Fl Oz", "Streak Free", "Kills 99.9% of Germs"), group="Home Improvement", length=(6.0, 12.0), density=(0.015, 0.025), hazmat=0.3, expiration=0.5, pack=0.3, sizes=_VOLUME_SIZES),
            _sub("Furniture>Living Room Furniture>Tables>End Tables", ("End Table", "Side Table", "Nightstand"), ("Industrial", "Round", "Narrow", "2-Tier"),
                 ("with Storage Shelf", "Wood and Metal", "for Small Spaces"), length=(18.0, 30.0), wr=(0.5, 0.9), hr=(0.15, 0.35), density=(0.006, 0.015)),
            _sub("Heating, Cooling & Air Quality>Air Purifiers", ("Air Purifier", "HEPA Air Purifier", "Humidifier"), ("Quiet", "Smart", "Large Room", "Cool Mist"),
                 ("for Bedroom 1500 sq ft", "with Night Light", "Removes 99.97% of Dust"), group="Home", length=(10.0, 24.0), price=(3999, 24999)),
        ),
    ),
    dict(
        name="Books", group="Book", share=9.0, rank_max=8_000_000, price=(499, 3999),
        length=(7.0, 11.0), wr=(0.6, 0.8), hr=(0.05, 0.2), density=(0.013, 0.02), offers=1.6,
        var=0.0, var_kind="", pack=0.0, expiration=0.0, hazmat=0.0, jan=0.0,
        bullets=(), words=((), ()),
        subs=(
            _sub("Literature & Fiction>Literary Fiction", ("Novel",), (), ()),
            _sub("Mystery, Thriller & Suspense>Thrillers & Suspense>Psychological Thrillers", ("Thriller",), (), ()),
            _sub("Cookbooks, Food & Wine>Quick & Easy", ("Cookbook",), (), ()),
            _sub("Children's Books>Animals>Farm Animals", ("Picture Book",), (), (), length=(8.0, 12.0), wr=(0.75, 1.0), hr=(0.03, 0.08)),
            _sub("Self-Help>Personal Transformation", ("Guide",), (), ()),
            _sub("Business & Money>Management & Leadership", ("Business",), (), ()),
            _sub("Science Fiction & Fantasy>Fantasy>Epic", ("Fantasy",), (), ()),
        ),
    ),
    dict(
        name="Electronics", group="CE", share=7.0, rank_max=1_500_000, price=(799, 49999),
        length=(3.0, 20.0), wr=(0.4, 0.9), hr=(0.15, 0.6), density=(0.004, 0.015), offers=1.3,
        var=0.15, var_kind="color", pack=0.02, expiration=0.0, hazmat=0.05, jan=0.04,
        bullets=(
            "FAST CHARGING: 20W USB-C Power Delivery charges compatible phones to 50% in 30 minutes",
            "WIDE COMPATIBILITY: works with iPhone, Samsung Galaxy, Pixel, iPad and laptops",
            "LONG BATTERY LIFE: up to 40 hours of playtime on a single charge",
            "WHAT'S IN THE BOX: device, USB-C cable, quick start guide, 18-month warranty",
        ),
        words=(("Volt", "Ampli", "Sonic", "Pixel", "Nova", "Flux", "Ion", "Axon", "Lumen", "Zen", "Orbi", "Tek"),
               ("ix", "tron", "core", "wave", "link", "ware", "max", "on", "lab", "gear", "sync", "pro")),
        subs=(
            _sub("Cell Phones & Accessories>Cases, Holsters & Sleeves>Basic Cases", ("Phone Case", "Clear Case", "Wallet Case"), ("Shockproof", "Slim", "Magnetic", "Military Grade"),
                 ("for iPhone 16 Pro", "for Samsung Galaxy S25", "with Screen Protector", "Drop Protection"), group="Wireless", length=(5.5, 8.0), wr=(0.45, 0.6), hr=(0.1, 0.25), price=(699, 2499), density=(0.002, 0.006)),
            _sub("Headphones, Earbuds & Accessories>Earbuds", ("Wireless Earbuds", "Bluetooth Headphones", "Sport Earbuds"), ("Noise Cancelling", "Open Ear", "Waterproof IPX7"),
                 ("Bluetooth 5.3", "40H Playtime", "with Charging Case", "Built-in Mic"), length=(3.5, 8.0), hazmat=0.4, price=(1999, 14999)),
            _sub("Portable Audio & Video>Portable Bluetooth Speakers", ("Bluetooth Speaker", "Portable Speaker", "Party Speaker"), ("Waterproof", "Loud", "Mini", "Outdoor"),
                 ("with Deep Bass", "24H Playtime", "Stereo Pairing", "RGB Lights"), hazmat=0.45, price=(1999, 19999)),
            _sub("Power Accessories>Battery Packs>Power Banks", ("Power Bank", "Portable Charger", "Magnetic Battery Pack"), ("10000mAh", "20000mAh", "Slim", "Fast Charging"),
                 ("USB-C PD 22.5W", "with Built-in Cables", "LED Display"), length=(4.0, 7.0), hazmat=0.95, density=(0.02, 0.035)),
            _sub("Computers & Accessories>Computer Accessories & Peripherals>Keyboards, Mice & Accessories", ("Wireless Mouse", "Mechanical Keyboard", "Keyboard and Mouse Combo"), ("Ergonomic", "Silent", "Rechargeable", "Compact"),
                 ("2.4G and Bluetooth", "for Laptop and PC", "Backlit"), group="Personal Computer", price=(1299, 12999)),
            _sub("Television & Video>Televisions", ("Smart TV", "LED TV", "QLED TV"), ('32"', '43"', '50"', '55"', '65"'),
                 ("4K UHD", "HDR10", "with Alexa Built-in", "Dolby Vision"), length=(30.0, 62.0), wr=(0.55, 0.65), hr=(0.08, 0.15), density=(0.008, 0.012), price=(12999, 89999)),
            _sub("Batteries, Chargers & Accessories>Household Batteries>AA", ("AA Batteries", "AAA Batteries", "Rechargeable Batteries"), ("Alkaline", "Lithium", "Long Lasting"),
                 ("24 Count", "48 Count", "10-Year Shelf Life"), length=(3.0, 7.0), hazmat=0.9, pack=0.4, density=(0.02, 0.035), price=(699, 2999)),
        ),
    ),
    dict(
        name="Beauty & Personal Care", sizes=_VOLUME_SIZES, group="Beauty", share=8.0, rank_max=2_500_000, price=(399, 5999),
        length=(2.5, 10.0), wr=(0.35, 0.9), hr=(0.3, 1.0), density=(0.01, 0.03), offers=1.3,
        var=0.18, var_kind="size", pack=0.12, expiration=0.65, hazmat=0.06, jan=0.04,
        bullets=(
            "CLEAN INGREDIENTS: vegan, cruelty free, no parabens, sulfates or synthetic dyes",
            "DERMATOLOGIST TESTED: gentle enough for sensitive skin and daily use",
            "VISIBLE RESULTS: smoother, softer, more radiant skin in 2 weeks",
            "HOW TO USE: apply to clean skin morning and night, follow with moisturizer",
        ),
        words=(("Glow", "Lux", "Pure", "Bloom", "Velvet", "Dew", "Silk", "Aura", "Petal", "Blush", "Luna", "Vita"),
               ("ology", "skin", "botanics", "beauty", "essence", "lab", "ique", "glow", "muse", "nova", "elle", "ra")),
        subs=(
            _sub("Skin Care>Face>Creams & Moisturizers>Face Moisturizers", ("Face Moisturizer", "Night Cream", "Hyaluronic Acid Serum", "Retinol Cream"), ("Anti Aging", "Oil Free", "Hydrating", "Brightening"),
                 ("1.7 Fl Oz", "with Vitamin C", "for Dry Skin", "Fragrance Free")),
            _sub("Hair Care>Shampoo & Conditioner>Shampoos", ("Shampoo", "Conditioner", "Shampoo and Conditioner Set"), ("Sulfate Free", "Moisturizing", "Clarifying", "Argan Oil"),
                 ("16 Fl Oz", "for Curly Hair", "Color Safe"), sizes=_VOLUME_SIZES),
            _sub("Hair Care>Styling Products>Hair Sprays", ("Hair Spray", "Dry Shampoo", "Texturizing Spray"), ("Strong Hold", "Flexible Hold", "Volumizing"),
                 ("8 Oz Aerosol", "Humidity Resistant", "Travel Size"), hazmat=0.9),
            _sub("Makeup>Nails>Nail Polish", ("Nail Polish", "Gel Nail Polish Set", "Top Coat"), ("Quick Dry", "Long Lasting", "Glossy"),
                 ("6 Colors", "0.5 Fl Oz", "Chip Resistant"), hazmat=0.8, length=(2.0, 6.0)),
            _sub("Fragrance>Women's>Eau de Parfum", ("Eau de Parfum", "Body Mist", "Perfume Oil"), ("Floral", "Vanilla", "Fresh"),
                 ("3.4 Fl Oz", "for Women", "Long Lasting Scent"), hazmat=0.95, price=(1499, 8999)),
            _sub("Oral Care>Toothpaste", ("Whitening Toothpaste", "Fluoride Toothpaste", "Charcoal Toothpaste"), ("Mint", "Sensitive", "Enamel Repair"),
                 ("4.1 Oz", "Fresh Breath"), pack=0.45, length=(6.0, 9.0), wr=(0.2, 0.3)),
        ),
    ),
    dict(
        name="Health & Household", sizes=_COUNT_SIZES, group="Health and Beauty", share=8.0, rank_max=2_000_000, price=(499, 4999),
        length=(2.5, 12.0), wr=(0.4, 0.95), hr=(0.3, 1.0), density=(0.008, 0.025), offers=1.3,
        var=0.10, var_kind="size", pack=0.18, expiration=0.85, hazmat=0.03, jan=0.01,
        bullets=(
            "QUALITY YOU CAN TRUST: made in a GMP-certified facility and third-party tested",
            "EASY TO SWALLOW: small coated tablets, take 2 daily with food",
            "FREE FROM: gluten, soy, dairy and artificial colors",
            "SUBSCRIBE AND SAVE: never run out of your daily essentials",
        ),
        words=(("Vital", "Nutri", "Well", "Herb", "Care", "Pure", "Daily", "True", "Prime", "Zen", "Vera", "Sana"),
               ("ology", "wise", "labs", "life", "health", "path", "core", "ella", "well", "form", "plus", "naturals")),
        subs=(
            _sub("Vitamins, Minerals & Supplements>Vitamins>Multivitamins", ("Multivitamin", "Vitamin D3 Supplement", "Magnesium Glycinate", "Fish Oil Omega 3"), ("Daily", "High Potency", "Extra Strength", "Gummy"),
                 ("120 Capsules", "60 Servings", "Non-GMO", "for Women and Men"), sizes=_COUNT_SIZES, group="Drugstore", length=(3.0, 6.0), wr=(0.8, 1.0), hr=(0.8, 1.0), density=(0.008, 0.02)),
            _sub("Household Supplies>Paper & Plastic>Trash Bags", ("Trash Bags", "Compostable Bags", "Drawstring Kitchen Bags"), ("13 Gallon", "30 Gallon", "Heavy Duty"),
                 ("100 Count", "Odor Control", "Unscented"), pack=0.4, expiration=0.0),
            _sub("Health Care>Pain Relievers>Topical Pain Relief", ("Pain Relief Cream", "Muscle Rub", "Cooling Gel"), ("Maximum Strength", "Fast Acting", "Menthol"),
                 ("3 Oz", "for Back and Joints", "Non-Greasy"), group="Drugstore"),
            _sub("Household Supplies>Laundry>Laundry Detergent", ("Laundry Detergent", "Detergent Pods", "Fabric Softener"), ("Free & Clear", "Fresh Scent", "HE Compatible"),
                 ("64 Loads", "100 Fl Oz", "Hypoallergenic"), length=(8.0, 13.0), density=(0.03, 0.04), pack=0.35, sizes=_VOLUME_SIZES),
            _sub("Sexual Wellness>Lubricants", ("Personal Lubricant",), ("Water Based", "Long Lasting"), ("4 Fl Oz", "Paraben Free"), adult=1.0, weight=0.03),
            _sub("Medical Supplies & Equipment>Health Monitors>Blood Pressure Monitors", ("Blood Pressure Monitor", "Pulse Oximeter", "Digital Thermometer"), ("Upper Arm", "Fingertip", "Rechargeable"),
                 ("Large Cuff", "Bluetooth App", "Backlit Display"), expiration=0.0, hazmat=0.3, price=(1499, 6999)),
        ),
    ),
    dict(
        name="Sports & Outdoors", sizes=_GENERIC_SIZES, group="Sports", share=6.0, rank_max=3_000_000, price=(799, 14999),
        length=(5.0, 40.0), wr=(0.2, 0.9), hr=(0.15, 0.7), density=(0.003, 0.015), offers=1.0,
        var=0.20, var_kind="color_size", pack=0.03, expiration=0.0, hazmat=0.02, jan=0.0,
        bullets=(
            "PERFORMANCE FIT: lightweight build that moves with you at the gym and on the trail",
            "ALL WEATHER: water resistant, UV resistant and rated from -4°F to 122°F",
            "PORTABLE: folds down into the included carry bag",
            "PRO GRADE: the same gear our coaches and guides use every day",
        ),
        words=(("Trail", "Summit", "Peak", "Ridge", "Iron", "Flex", "Stride", "Apex", "Alpine", "Tide", "Camp", "Grit"),
               ("gear", "fit", "line", "trek", "pro", "sport", "craft", "works", "co", "motion", "ready", "X")),
        subs=(
            _sub("Exercise & Fitness>Strength Training Equipment>Dumbbells", ("Adjustable Dumbbells", "Kettlebell", "Resistance Bands Set"), ("Cast Iron", "Neoprene Coated", "Heavy Duty"),
                 ("for Home Gym", "5-52.5 lb", "with Door Anchor"), length=(6.0, 18.0), density=(0.03, 0.12), price=(1999, 29999)),
            _sub("Exercise & Fitness>Yoga>Yoga Mats", ("Yoga Mat", "Exercise Mat", "Foam Roller"), ("Non Slip", "Extra Thick", "Eco Friendly TPE"),
                 ('72" x 24"', "1/2 Inch Thick", "with Carrying Strap"), length=(24.0, 27.0), wr=(0.2, 0.3), hr=(0.9, 1.0), density=(0.003, 0.008)),
            _sub("Outdoor Recreation>Camping & Hiking>Tents", ("Camping Tent", "Pop Up Tent", "Backpacking Tent"), ("2 Person", "4 Person", "6 Person", "Instant"),
                 ("Waterproof", "Easy Setup", "with Rainfly"), length=(18.0, 28.0), wr=(0.25, 0.4), hr=(0.8, 1.0), density=(0.008, 0.02)),
            _sub("Outdoor Recreation>Camping & Hiking>Camping Stoves>Fuel", ("Camp Stove Fuel", "Butane Canister", "Isobutane Fuel"), ("8 oz", "Propane", "4 Pack"),
                 ("for Backpacking Stoves",), hazmat=1.0, pack=0.4, length=(3.5, 8.0), density=(0.015, 0.03)),
            _sub("Sports & Fitness>Team Sports>Basketball>Basketballs", ("Basketball", "Soccer Ball", "Volleyball"), ("Official Size 7", "Indoor Outdoor", "Composite Leather"),
                 ("Official Size and Weight", "with Pump"), length=(9.5, 10.5), wr=(0.95, 1.0), hr=(0.95, 1.0), density=(0.001, 0.003)),
        ),
    ),
    dict(
        name="Grocery & Gourmet Food", sizes=_WEIGHT_SIZES, group="Grocery", share=5.0, rank_max=800_000, price=(299, 3999),
        length=(3.0, 12.0), wr=(0.4, 0.9), hr=(0.3, 0.9), density=(0.012, 0.03), offers=1.0,
        var=0.10, var_kind="size", pack=0.35, expiration=1.0, hazmat=0.0, jan=0.02,
        bullets=(
            "SIMPLE INGREDIENTS: non-GMO, no artificial flavors, colors or preservatives",
            "PANTRY STAPLE: resealable bag keeps it fresh after opening",
            "SNACK SMART: 7g of protein and 3g of sugar per serving",
            "SUSTAINABLY SOURCED: fair-trade ingredients from family farms",
        ),
        words=(("Harvest", "Golden", "Farm", "Orchard", "Sweet", "Honey", "Prairie", "Meadow", "Spice", "Acre", "Grove", "Bean"),
               ("house", "ridge", "fields", "Kitchen", "pantry", "Foods", "co", "table", "crest", "roots", "Provisions", "mill")),
        subs=(
            _sub("Snacks & Sweets>Chocolate>Chocolate Bars", ("Dark Chocolate Bar", "Milk Chocolate Truffles", "Chocolate Covered Almonds"), ("72% Cacao", "Sea Salt", "Sugar Free"),
                 ("3.5 Oz", "Gourmet Gift Box", "Fair Trade"), meltable=1.0, sizes=_WEIGHT_SIZES),
            _sub("Snacks & Sweets>Snack Foods>Nuts & Seeds", ("Mixed Nuts", "Roasted Almonds", "Trail Mix"), ("Lightly Salted", "Unsalted", "Honey Roasted"),
                 ("16 Oz Resealable Bag", "Keto Friendly", "Protein Snack"), sizes=_WEIGHT_SIZES),
            _sub("Beverages>Coffee, Tea & Cocoa>Coffee>Ground Coffee", ("Ground Coffee", "Whole Bean Coffee", "Single Serve Coffee Pods"), ("Medium Roast", "Dark Roast", "Decaf"),
                 ("12 Ounce Bag", "100% Arabica", "72 Count"), sizes=_WEIGHT_SIZES),
            _sub("Pantry Staples>Cooking & Baking>Sweeteners>Honey", ("Raw Honey", "Maple Syrup", "Agave Nectar"), ("Organic", "Unfiltered", "Grade A"),
                 ("16 Oz", "Glass Jar", "Pure"), density=(0.03, 0.045)),
            _sub("Snacks & Sweets>Candy & Chocolate>Gummy Candy", ("Gummy Bears", "Sour Gummies", "Fruit Snacks"), ("Vegan", "Low Sugar", "Assorted Flavors"),
                 ("2 lb Bag", "Bulk Candy"), meltable=0.5, sizes=_WEIGHT_SIZES),
        ),
    ),
    dict(
        name="Clothing, Shoes & Jewelry", sizes=_APPAREL_SIZES, group="Apparel", share=8.0, rank_max=10_000_000, price=(999, 9999),
        length=(7.0, 16.0), wr=(0.5, 0.9), hr=(0.05, 0.25), density=(0.002, 0.005), offers=0.6,
        var=0.6, var_kind="color_size", pack=0.02, expiration=0.0, hazmat=0.0, jan=0.0,
        bullets=(
            "SOFT FABRIC: 60% cotton, 40% polyester; breathable and pre-shrunk",
            "RELAXED FIT: true to size with room to move; see the size chart in the images",
            "MACHINE WASHABLE: cold wash with like colors, tumble dry low",
            "VERSATILE STYLE: dress it up for the office or down for the weekend",
        ),
        words=(("North", "Urban", "Drift", "Harbor", "Vela", "Loom", "Indigo", "Lark", "Bay", "Cove", "Fable", "Wren"),
               ("& Co.", "wear", "thread", "line", "studio", "apparel", "denim", "stitch", "mode", "label", "knit", "supply")),
        subs=(
            _sub("Women>Clothing>Tops, Tees & Blouses>T-Shirts", ("T-Shirt", "Tunic Top", "Henley Shirt"), ("Women's", "Short Sleeve", "V Neck", "Casual"),
                 ("Loose Fit", "Summer Tops", "Basic Tee")),
            _sub("Men>Clothing>Active>Active Shirts & Tees", ("Athletic Shirt", "Workout Tank", "Compression Shirt"), ("Men's", "Dry Fit", "Moisture Wicking"),
                 ("Quick Dry", "Gym Shirt", "Performance")),
            _sub("Men>Shoes>Athletic>Running", ("Running Shoes", "Walking Shoes", "Trail Running Shoes"), ("Men's", "Lightweight", "Breathable"),
                 ("Non Slip", "Cushioned Sneakers", "Wide Width"), group="Shoes", sizes=_SHOE_SIZES, length=(12.0, 14.0), wr=(0.55, 0.7), hr=(0.5, 0.7), density=(0.003, 0.006)),
            _sub("Women>Jewelry>Necklaces>Pendants", ("Pendant Necklace", "Chain Necklace", "Charm Necklace"), ("14K Gold Plated", "Sterling Silver", "Dainty"),
                 ('18" Chain', "Gift for Women", "Hypoallergenic"), group="Jewelry", length=(3.0, 6.0), density=(0.001, 0.005), var_kind="color", price=(1299, 4999)),
            _sub("Men>Watches>Wrist Watches", ("Analog Watch", "Digital Sports Watch", "Chronograph Watch"), ("Men's", "Waterproof", "Stainless Steel"),
                 ("with Leather Band", "Luminous", "Date Display"), group="Watch", length=(4.0, 7.0), hazmat=0.2, var_kind="color", price=(1999, 19999)),
        ),
    ),
    dict(
        name="Pet Supplies", sizes=_PET_SIZES, group="Pet Products", share=4.0, rank_max=800_000, price=(499, 6999),
        length=(4.0, 30.0), wr=(0.4, 0.9), hr=(0.2, 0.8), density=(0.004, 0.02), offers=1.0,
        var=0.25, var_kind="size", pack=0.12, expiration=0.3, hazmat=0.01, jan=0.0,
        bullets=(
            "VET RECOMMENDED: formulated with veterinarians for dogs and cats of all ages",
            "TOUGH AND SAFE: non-toxic, BPA-free materials that stand up to heavy chewers",
            "EASY TO CLEAN: removable, machine washable cover",
            "HAPPY PET GUARANTEE: if your pet doesn't love it, we'll make it right",
        ),
        words=(("Paw", "Woof", "Purr", "Whisker", "Tail", "Bark", "Fetch", "Kibble", "Furry", "Pup", "Mew", "Snout"),
               ("pals", "ly", "co", "works", "zone", "nation", "buddy", "life", "haven", "s & Co.", "tastic", "joy")),
        subs=(
            _sub("Dogs>Toys>Chew Toys", ("Dog Chew Toy", "Squeaky Toy", "Rope Toy"), ("Indestructible", "Durable", "Interactive"),
                 ("for Aggressive Chewers", "Large Breed", "Teeth Cleaning"), sizes=_PET_SIZES),
            _sub("Dogs>Beds & Furniture>Beds", ("Orthopedic Dog Bed", "Calming Dog Bed", "Bolster Pet Bed"), ("Washable", "Memory Foam", "Waterproof"),
                 ("with Removable Cover", "Non Slip Bottom"), sizes=_PET_SIZES, length=(18.0, 40.0), density=(0.001, 0.004)),
            _sub("Cats>Litter & Housebreaking>Litter", ("Cat Litter", "Clumping Litter", "Litter Deodorizer"), ("Unscented", "Low Dust", "Multi-Cat"),
                 ("20 lb", "Odor Control"), length=(10.0, 16.0), density=(0.03, 0.05), pack=0.3),
            _sub("Dogs>Food>Dry", ("Dry Dog Food", "Grain Free Dog Food", "Puppy Food"), ("Chicken & Rice", "Salmon", "High Protein"),
                 ("30 lb Bag", "Natural"), expiration=1.0, sizes=_WEIGHT_SIZES, length=(12.0, 26.0), density=(0.015, 0.03)),
            _sub("Dogs>Treats>Dental Treats", ("Dental Chews", "Jerky Treats", "Training Treats"), ("Chicken Flavor", "Grain Free", "Soft"),
                 ("30 Count", "Made in USA"), expiration=1.0, pack=0.3),
        ),
    ),
    dict(
        name="Office Products", group="Office Product", share=4.0, rank_max=1_200_000, price=(399, 5999),
        length=(4.0, 16.0), wr=(0.4, 0.9), hr=(0.1, 0.6), density=(0.006, 0.02), offers=1.1,
        var=0.15, var_kind="color", pack=0.15, expiration=0.0, hazmat=0.01, jan=0.02,
        bullets=(
            "SMOOTH WRITING: quick-drying ink that won't smudge or bleed through",
            "ORGANIZED DESK: keeps pens, notes and cables in one place",
            "QUALITY PAPER: 100 gsm acid-free paper for fountain pens and markers",
            "BULK VALUE: enough for the whole office or classroom",
        ),
        words=(("Desk", "Ink", "Note", "Paper", "Folio", "Quill", "Memo", "Clip", "Scribe", "Ledger", "Study", "Draft"),
               ("ly", "works", "mate", "craft", "co", "point", "line", "wise", "hub", "smith", "box", "mark")),
        subs=(
            _sub("Office & School Supplies>Writing & Correction Supplies>Pens & Refills>Gel Ink Pens", ("Gel Pens", "Ballpoint Pens", "Fine Liner Pens"), ("Retractable", "0.5mm", "Quick Dry"),
                 ("12 Pack", "Assorted Colors", "Black Ink"), length=(5.5, 8.0), wr=(0.3, 0.5), hr=(0.1, 0.3)),
            _sub("Office & School Supplies>Paper>Notebooks & Writing Pads>Composition Notebooks", ("Notebook", "Dotted Journal", "Spiral Notebook"), ("A5", "Hardcover", "College Ruled"),
                 ("160 Pages", "Lay Flat", "100gsm Paper"), length=(8.0, 11.5), wr=(0.7, 0.8), hr=(0.05, 0.1), density=(0.008, 0.014)),
            _sub("Office & School Supplies>Desk Accessories & Workspace Organizers", ("Desk Organizer", "Monitor Stand", "File Organizer"), ("Bamboo", "Mesh Metal", "2-Tier"),
                 ("with Drawer", "for Home Office"), density=(0.005, 0.015)),
            _sub("Office Electronics>Printers & Accessories>Printer Ink & Toner>Inkjet Printer Ink", ("Ink Cartridge", "Toner Cartridge"), ("Compatible", "High Yield", "Remanufactured"),
                 ("Black and Color", "4 Pack"), price=(1499, 7999), length=(4.0, 8.0)),
        ),
    ),
    dict(
        name="Tools & Home Improvement", sizes=_DRIVE_SIZES, group="Home Improvement", share=5.0, rank_max=2_500_000, price=(699, 19999),
        length=(4.0, 30.0), wr=(0.3, 0.9), hr=(0.15, 0.7), density=(0.006, 0.03), offers=1.0,
        var=0.12, var_kind="size", pack=0.06, expiration=0.0, hazmat=0.04, jan=0.01,
        bullets=(
            "HEAVY DUTY: hardened chrome vanadium steel for professional results",
            "CORDLESS FREEDOM: compatible with the 20V MAX battery platform",
            "PRECISION MADE: tight tolerances and laser-etched markings that won't wear off",
            "STORE IT ALL: includes a rugged blow-molded case",
        ),
        words=(("Iron", "Forge", "Bolt", "Steel", "Torque", "Anvil", "Grip", "Hammer", "Rivet", "Brick", "Level", "Plumb"),
               ("works", "craft", "max", "line", "pro", "smith", "tek", "force", "built", "master", "ridge", "gear")),
        subs=(
            _sub("Power & Hand Tools>Power Tools>Drills>Drill Drivers", ("Cordless Drill", "Impact Driver", "Drill Driver Kit"), ("20V", "Brushless", "Compact"),
                 ("with 2 Batteries and Charger", "1/2 Inch Chuck", "25+1 Clutch"), hazmat=0.5, price=(3999, 17999), density=(0.015, 0.035)),
            _sub("Power & Hand Tools>Hand Tools>Wrenches>Socket Wrenches", ("Socket Set", "Wrench Set", "Ratchet Set"), ("SAE and Metric", "Chrome Vanadium", "Mechanics"),
                 ("108 Piece", "with Case"), density=(0.03, 0.06)),
            _sub("Lighting & Ceiling Fans>Light Bulbs>LED Bulbs", ("LED Light Bulbs", "Smart Bulbs", "Edison Bulbs"), ("A19", "Dimmable", "60W Equivalent"),
                 ("Daylight 5000K", "6 Pack", "E26 Base"), pack=0.35, density=(0.003, 0.01)),
            _sub("Painting Supplies, Tools & Wall Treatments>Paints, Stains & Solvents>Spray Paint", ("Spray Paint", "Primer Spray", "Clear Coat Spray"), ("Gloss", "Matte", "Rust Preventive"),
                 ("12 Oz Aerosol", "Fast Drying"), hazmat=1.0, pack=0.3, length=(8.0, 9.0), wr=(0.3, 0.35), hr=(0.9, 1.0), density=(0.012, 0.018)),
            _sub("Measuring & Layout Tools>Measuring Tapes", ("Tape Measure", "Laser Distance Meter", "Torpedo Level"), ("25 Ft", "Magnetic", "Heavy Duty"),
                 ("Easy Read", "Shock Absorbent"), sizes=_LENGTH_SIZES),
        ),
    ),
    dict(
        name="Baby", sizes=_BABY_SIZES, group="Baby Product", share=3.0, rank_max=700_000, price=(599, 19999),
        length=(4.0, 30.0), wr=(0.4, 0.9), hr=(0.2, 0.8), density=(0.003, 0.012), offers=1.0,
        var=0.20, var_kind="color", pack=0.15, expiration=0.25, hazmat=0.01, jan=0.02,
        bullets=(
            "GENTLE ON BABY: 99% water wipes with no alcohol, fragrance or parabens",
            "PEDIATRICIAN APPROVED: designed with pediatricians for newborns and up",
            "PARENT FRIENDLY: one-hand operation and easy cleanup",
            "PEACE OF MIND: meets or exceeds all CPSC and ASTM safety standards",
        ),
        words=(("Little", "Bitty", "Cuddle", "Lulla", "Snuggle", "Coo", "Bundle", "Nest", "Sweet", "Dream", "Tiny", "Bubba"),
               ("bub", "bee", "by", "nest", "loo", "kin", "nook", "tots", "sprout", "buddy", "bear", "mama")),
        subs=(
            _sub("Diapering>Wipes & Holders>Wipes", ("Baby Wipes", "Water Wipes", "Diaper Cream"), ("Unscented", "Sensitive", "Plant Based"),
                 ("720 Count", "Hypoallergenic"), expiration=1.0, pack=0.5),
            _sub("Feeding>Bottle-Feeding>Bottles", ("Baby Bottles", "Anti-Colic Bottle Set", "Sippy Cup"), ("Slow Flow", "Glass", "BPA Free"),
                 ("5 Oz", "Newborn Essentials", "3 Pack")),
            _sub("Strollers & Accessories>Strollers", ("Lightweight Stroller", "Jogging Stroller", "Travel System"), ("Compact Fold", "All Terrain", "Reversible Seat"),
                 ("with Cup Holder", "Newborn to Toddler"), length=(28.0, 40.0), wr=(0.4, 0.7), hr=(0.3, 0.6), density=(0.005, 0.009), price=(7999, 39999), weight=0.5),
            _sub("Nursery>Furniture>Cribs", ("Convertible Crib", "Bassinet", "Pack and Play"), ("3-in-1", "Portable", "Solid Wood"),
                 ("JPMA Certified", "with Mattress"), length=(30.0, 55.0), wr=(0.3, 0.6), hr=(0.1, 0.3), density=(0.01, 0.02), price=(5999, 29999), weight=0.4),
        ),
    ),
    dict(
        name="Video Games", group="Video Games", share=2.0, rank_max=120_000, price=(999, 49999),
        length=(5.0, 16.0), wr=(0.5, 0.9), hr=(0.1, 0.6), density=(0.003, 0.012), offers=1.5,
        var=0.12, var_kind="color", pack=0.0, expiration=0.0, hazmat=0.1, jan=0.08,
        bullets=(
            "PRO CONTROLS: hall-effect sticks with no drift and remappable back buttons",
            "PLUG AND PLAY: works with Nintendo Switch, PS5, Xbox Series X|S and PC",
            "ALL-DAY COMFORT: textured grips and a balanced, lightweight design",
            "OFFICIALLY LICENSED: 2-year manufacturer warranty",
        ),
        words=(("Pixel", "Respawn", "Combo", "Joy", "Quest", "Level", "Boss", "Arcade", "Turbo", "Glitch", "Hyper", "Nexus"),
               ("play", "forge", "zone", "craft", "labs", "gear", "ware", "byte", "verse", "x", "tron", "hive")),
        subs=(
            _sub("PlayStation 5>Accessories>Controllers", ("Wireless Controller", "Charging Station", "Gaming Headset"), ("Wireless", "RGB", "Dual"),
                 ("for PS5", "with Turbo Function", "Rechargeable"), hazmat=0.5),
            _sub("Nintendo Switch>Accessories>Cases & Storage", ("Carrying Case", "Screen Protector", "Grip Case"), ("Hard Shell", "Slim", "Tempered Glass"),
                 ("for Nintendo Switch OLED", "with 20 Game Cartridges"), length=(5.0, 11.0), price=(999, 2999)),
            _sub("Xbox Series X & S>Games", ("Video Game",), ("Standard Edition", "Deluxe Edition"),
                 ("Xbox Series X", "Rated T for Teen"), length=(6.7, 6.9), wr=(0.78, 0.8), hr=(0.08, 0.1), density=(0.005, 0.01), price=(1999, 6999)),
            _sub("Retro Gaming & Microconsoles>Consoles", ("Retro Game Console", "Handheld Game Console"), ("Plug and Play", "Portable"),
                 ("with 2 Controllers", "10000+ Games Built-in"), hazmat=0.6, price=(2999, 11999)),
        ),
    ),
    dict(
        name="Kitchen & Dining", group="Kitchen", share=5.0, rank_max=2_000_000, price=(599, 14999),
        length=(4.0, 20.0), wr=(0.4, 0.95), hr=(0.2, 0.9), density=(0.004, 0.02), offers=1.1,
        var=0.20, var_kind="color", pack=0.05, expiration=0.0, hazmat=0.01, jan=0.03,
        bullets=(
            "FOOD SAFE: BPA-free, FDA-grade materials safe up to 450°F",
            "NONSTICK COATING: PFOA-free ceramic coating for easy release and cleanup",
            "DISHWASHER SAFE: all removable parts go straight into the dishwasher",
            "CHEF TESTED: balanced weight and comfortable, stay-cool handles",
        ),
        words=(("Chef", "Kitchen", "Cook", "Copper", "Basil", "Salt", "Whisk", "Fork", "Skillet", "Sage", "Crumb", "Ladle"),
               ("ly", "craft", "ware", "works", "mate", "smith", "haus", "nest", "line", "pro", "co", "ique")),
        subs=(
            _sub("Cookware>Pots & Pans>Skillets", ("Nonstick Frying Pan", "Cast Iron Skillet", "Cookware Set"), ("10 Inch", "12 Inch", "Induction Compatible", "Ceramic"),
                 ("with Lid", "Oven Safe", "Stay Cool Handle"), length=(10.0, 22.0), density=(0.006, 0.02), sizes=_INCH_SIZES),
            _sub("Kitchen Utensils & Gadgets>Cooking Utensils>Utensil Sets", ("Silicone Utensil Set", "Spatula Set", "Kitchen Tongs"), ("Heat Resistant", "Wooden Handle", "15 Piece"),
                 ("Non Scratch", "with Holder")),
            _sub("Storage & Organization>Food Storage>Food Storage Containers", ("Food Storage Containers", "Glass Meal Prep Containers", "Pantry Canisters"), ("Airtight", "Stackable", "24 Piece"),
                 ("with Lids", "Leak Proof", "Microwave Safe"), density=(0.004, 0.012)),
            _sub("Small Appliances>Coffee Machines>Single-Serve Brewers", ("Single Serve Coffee Maker", "Espresso Machine", "Milk Frother"), ("Compact", "Programmable", "15 Bar"),
                 ("for K-Cup Pods", "with Reusable Filter"), length=(10.0, 18.0), price=(2999, 29999)),
            _sub("Drinkware>Insulated Beverage Containers>Tumblers", ("Insulated Tumbler", "Water Bottle", "Travel Mug"), ("40 oz", "Stainless Steel", "Leak Proof"),
                 ("with Handle and Straw", "Keeps Cold 24 Hours"), length=(8.0, 12.0), wr=(0.35, 0.5), hr=(0.85, 1.0), density=(0.004, 0.01)),
        ),
    ),
    dict(
        name="Automotive", sizes=_FIT_SIZES, group="Automotive Parts and Accessories", share=4.0, rank_max=3_000_000, price=(599, 14999),
        length=(3.0, 24.0), wr=(0.3, 0.9), hr=(0.15, 0.7), density=(0.006, 0.03), offers=1.0,
        var=0.10, var_kind="size", pack=0.08, expiration=0.05, hazmat=0.06, jan=0.01,
        bullets=(
            "DIRECT FIT: designed to match the original part, check the fitment chart before ordering",
            "EASY INSTALL: no drilling or special tools, installs in minutes",
            "OEM QUALITY: ISO 9001 certified manufacturing and 100% tested before shipping",
            "ALL WEATHER: resists heat, cold, UV and road salt",
        ),
        words=(("Road", "Auto", "Motor", "Drive", "Gear", "Piston", "Chrome", "Turbo", "Mile", "Axle", "Dash", "Pit"),
               ("max", "pro", "line", "tek", "works", "craft", "star", "guard", "force", "lab", "master", "zone")),
        subs=(
            _sub("Interior Accessories>Floor Mats & Cargo Liners>Floor Mats", ("Floor Mats", "Cargo Liner", "Seat Covers"), ("All Weather", "Custom Fit", "Heavy Duty"),
                 ("for Toyota RAV4 2019-2025", "Front and Rear", "Trim to Fit"), length=(20.0, 32.0), density=(0.005, 0.02)),
            _sub("Car Care>Exterior Care>Car Wash Equipment>Car Wash Soap", ("Car Wash Soap", "Ceramic Spray Coating", "Tire Shine"), ("pH Neutral", "High Foam", "Hydrophobic"),
                 ("64 Fl Oz", "Safe on Wax"), hazmat=0.4, pack=0.2, expiration=0.3, density=(0.03, 0.04)),
            _sub("Replacement Parts>Filters>Air Filters", ("Engine Air Filter", "Cabin Air Filter", "Oil Filter"), ("Premium", "Activated Carbon", "High Flow"),
                 ("Replacement for CF10134", "Fits Honda Civic"), pack=0.2),
            _sub("Tools & Equipment>Jump Starters, Battery Chargers & Portable Power>Jump Starters", ("Jump Starter", "Battery Charger", "Tire Inflator"), ("2000A", "Portable", "12V"),
                 ("for up to 8L Gas Engines", "with LED Light"), hazmat=0.8, price=(3999, 14999), density=(0.01, 0.03)),
        ),
    ),
    dict(
        name="Arts, Crafts & Sewing", group="Art and Craft Supply", share=3.0, rank_max=1_000_000, price=(399, 5999),
        length=(4.0, 18.0), wr=(0.4, 0.9), hr=(0.1, 0.6), density=(0.005, 0.02), offers=1.0,
        var=0.18, var_kind="color", pack=0.10, expiration=0.0, hazmat=0.04, jan=0.03,
        bullets=(
            "VIBRANT COLORS: richly pigmented and blendable, fade resistant",
            "NON-TOXIC: AP certified and safe for kids and adults",
            "COMPLETE KIT: everything you need to start your project today",
            "ORGANIZED STORAGE: comes in a sturdy reusable case",
        ),
        words=(("Craft", "Paint", "Yarn", "Stitch", "Color", "Brush", "Canvas", "Hue", "Spool", "Glitter", "Easel", "Palette"),
               ("ly", "works", "nest", "loft", "box", "studio", "co", "haven", "wise", "bee", "crafts", "house")),
        subs=(
            _sub("Painting, Drawing & Art Supplies>Painting>Paints>Acrylic Paints", ("Acrylic Paint Set", "Watercolor Paint Set", "Paint Markers"), ("24 Colors", "Artist Grade", "Metallic"),
                 ("for Canvas, Rock and Wood", "with Brushes"), hazmat=0.05),
            _sub("Knitting & Crochet>Yarn", ("Yarn", "Crochet Kit", "Chunky Yarn"), ("Soft", "Acrylic", "Beginner"),
                 ("6 Skeins", "for Crocheting and Knitting"), density=(0.003, 0.01)),
            _sub("Sewing>Sewing Machines", ("Sewing Machine", "Mini Sewing Machine", "Serger"), ("Computerized", "Portable", "Heavy Duty"),
                 ("with 60 Built-in Stitches", "for Beginners"), length=(12.0, 20.0), price=(4999, 29999), density=(0.008, 0.02)),
            _sub("Crafting>Craft Supplies>Glue", ("Hot Glue Gun", "Craft Glue", "Resin Kit"), ("Mini", "Dual Temperature", "Clear Epoxy"),
                 ("with 30 Glue Sticks", "for DIY Crafts"), hazmat=0.2),
        ),
    ),
    dict(
        name="Musical Instruments", group="Musical Instruments", share=1.5, rank_max=400_000, price=(699, 39999),
        length=(4.0, 45.0), wr=(0.2, 0.9), hr=(0.1, 0.6), density=(0.002, 0.012), offers=0.8,
        var=0.12, var_kind="color", pack=0.05, expiration=0.0, hazmat=0.01, jan=0.05,
        bullets=(
            "BRIGHT TONE: balanced sound with clear highs and warm lows",
            "BEGINNER FRIENDLY: comes set up and ready to play out of the box",
            "COMPLETE BUNDLE: includes gig bag, tuner, strap, picks and spare strings",
            "STAGE READY: rugged hardware built for rehearsals and gigs",
        ),
        words=(("Tone", "Chord", "Harmony", "Melody", "Fret", "Tempo", "Rhythm", "Echo", "Treble", "Octave", "Vibe", "Bass"),
               ("craft", "works", "line", "sound", "audio", "tone", "wood", "music", "ly", "ridge", "pro", "tek")),
        subs=(
            _sub("Guitars>Acoustic Guitars", ("Acoustic Guitar", "Classical Guitar", "Ukulele"), ("Full Size", "3/4 Size", "Cutaway"),
                 ("Beginner Kit", "with Gig Bag", "Spruce Top"), length=(24.0, 44.0), wr=(0.3, 0.4), hr=(0.3, 0.4), density=(0.004, 0.008), price=(4999, 29999)),
            _sub("Instrument Accessories>Guitar & Bass Accessories>Strings", ("Guitar Strings", "Bass Strings", "Guitar Picks"), ("Light Gauge", "Phosphor Bronze", "Coated"),
                 ("3 Sets", "10-47"), length=(4.0, 6.0), wr=(0.8, 1.0), hr=(0.05, 0.15), pack=0.3, price=(499, 2999)),
            _sub("Keyboards & MIDI>Portable Keyboards", ("Digital Piano", "Keyboard Piano", "MIDI Controller"), ("61 Key", "88 Key Weighted", "Portable"),
                 ("with Stand and Bench", "USB MIDI"), length=(35.0, 55.0), wr=(0.2, 0.3), hr=(0.3, 0.5), density=(0.004, 0.02), price=(7999, 59999)),
            _sub("Microphones & Accessories>Microphones", ("USB Microphone", "Condenser Microphone", "Lavalier Microphone"), ("Cardioid", "Wireless", "Studio"),
                 ("for Podcasting and Streaming", "with Pop Filter"), hazmat=0.2, price=(1999, 19999)),
        ),
    ),
]

# fmt: on

# ---------------------------------------------------------------------------------------------
# Books: publishers, authors and title patterns.
# ---------------------------------------------------------------------------------------------
# fmt: off
_BOOK_ADJ = ("Silent", "Hidden", "Last", "Broken", "Golden", "Lost", "Quiet", "Burning", "Wild", "Forgotten",
             "Midnight", "Winter", "Secret", "Crimson", "Paper", "Salt", "Glass", "Summer", "Hollow", "Northern")
_BOOK_NOUN = ("Orchard", "Garden", "River", "House", "Daughter", "Kingdom", "Lighthouse", "Letters", "Island",
              "Witness", "Harbor", "Library", "Crown", "Road", "Sister", "Mountain", "Promise", "Tide", "Forest", "Shore")
_BOOK_COOKING = ("Air Fryer", "Instant Pot", "Sourdough", "Mediterranean Diet", "Slow Cooker", "Keto", "Meal Prep",
                 "Sheet Pan", "Vegetarian", "Baking")
_BOOK_TOPIC = ("Mindfulness", "Habits", "Leadership", "Negotiation", "Productivity", "Stoicism", "Investing",
               "Confidence", "Focus", "Decision Making")
_BOOK_ANIMAL = ("Little Goat", "Sleepy Cow", "Busy Hen", "Brave Piglet", "Tiny Lamb", "Curious Duckling", "Happy Horse")
_BOOK_TEMPLATES = {
    "Novel": ("The {a} {n}: A Novel", "The {n} of {a} {n2}", "{a} {n}", "Before the {a} {n}: A Novel"),
    "Thriller": ("The {a} {n}", "The {n} Next Door: A Thriller", "Don't Look at the {n}", "The {a} {n}: A Gripping Psychological Thriller"),
    "Cookbook": ("The Essential {c} Cookbook: {k} Easy Recipes for Every Day", "{c} Made Simple: {k} Quick Recipes", "The Complete {c} Cookbook for Beginners"),
    "Picture Book": ("The {b} Who Couldn't Sleep", "Goodnight, {b}", "{b} Finds a Friend", "Where Is {b}?"),
    "Guide": ("The Little Book of {t}", "{t} for Beginners: A Step-by-Step Guide", "The {a} Art of {t}", "Everyday {t}: 52 Lessons for a Better Life"),
    "Business": ("The {t} Playbook", "{t} That Works: How Great Teams Win", "The {a} Advantage: {t} for Managers"),
    "Fantasy": ("The {a} {n} (The {n2} Chronicles, Book {k1})", "A Court of {a} {n}s", "The {n} of {a} Fire", "{a} {n}: Book {k1} of the {n2} Saga"),
}
_PUBLISHER_WORDS = (("Harbor Lane", "Blue Finch", "Northgate", "Little Acorn", "Meridian", "Foxglove", "Old Mill",
                     "Riverbend", "Lantern", "Quill & Ink", "Copper Kettle", "Silver Birch", "Wildflower", "Ashgrove"),
                    ("Press", "Books", "Publishing", "House", "Editions", "Media"))


# fmt: on


# ---------------------------------------------------------------------------------------------
# Compiled tables (built once at import; independent of the seed).
# ---------------------------------------------------------------------------------------------
class _Category:
    __slots__ = (
        "name",
        "group",
        "rank_max",
        "sales_c",
        "offers",
        "var",
        "var_kind",
        "pack",
        "expiration",
        "hazmat",
        "jan",
        "bullets",
        "bullets2",
        "n_bullets",
        "log_rank_max",
        "brands",
        "brand_pick",
        "subs",
        "sub_pick",
        "is_books",
        "model_prefixes",
    )


class _Sub:
    __slots__ = (
        "path",
        "leaf",
        "nouns",
        "pres",
        "posts",
        "group",
        "price_lo",
        "price_span",
        "len_lo",
        "len_span",
        "wr_lo",
        "wr_span",
        "hr_lo",
        "hr_span",
        "den_lo",
        "den_span",
        "hazmat",
        "meltable",
        "adult",
        "expiration",
        "pack",
        "var",
        "var_kind",
        "sizes",
        "leaf_share",
        "first_bullets",
        "book_kind",
        "head",
    )


def _brand_names(rng: Random, words, count: int) -> list[str]:
    first, second = words
    names: list[str] = []
    seen: set[str] = set()
    consonants, vowels = "BCDFGKLMNPRSTVZX", "AEIOU"
    while len(names) < count:
        if rng.random() < 0.62:
            a, b = first[rng.randrange(len(first))], second[rng.randrange(len(second))]
            name = f"{a} {b}" if b[0].isupper() or b[0] == "&" else a + b
        else:  # the all-caps marketplace-brand style: ZORVIX, KAPLOO
            syl = rng.choice((2, 3, 3))
            name = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syl))
            if rng.random() < 0.5:
                name += rng.choice(consonants)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _pick_table(weights: Sequence[float], size: int) -> tuple[int, ...]:
    """A look-up table of indexes so that `table[int(random() * size)]` samples by weight."""
    total = float(sum(weights))
    table: list[int] = []
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w
        while len(table) < round(acc / total * size):
            table.append(i)
    while len(table) < size:
        table.append(len(weights) - 1)
    return tuple(table)


def _compile() -> tuple[list[_Category], tuple[int, ...]]:
    rng = Random(20261101)  # fixed: the brand pool is part of the demo data set, not the seed
    cats: list[_Category] = []
    for row in _CATEGORY_ROWS:
        c = _Category()
        c.name, c.group = row["name"], row["group"]
        c.rank_max = row["rank_max"]
        c.log_rank_max = math.log(row["rank_max"])
        c.sales_c = row["rank_max"] * 0.3  # monthly units at rank r ~ sales_c * r ** -0.85
        c.offers, c.var, c.var_kind, c.pack = (
            row["offers"],
            row["var"],
            row["var_kind"],
            row["pack"],
        )
        c.expiration, c.hazmat, c.jan = row["expiration"], row["hazmat"], row["jan"]
        c.bullets = tuple(row["bullets"]) + _GENERIC_BULLETS
        c.bullets2, c.n_bullets = c.bullets * 2, len(c.bullets)  # doubled: rotations are slices
        c.is_books = c.name == "Books"
        if c.is_books:
            pubs = [
                f"{rng.choice(_PUBLISHER_WORDS[0])} {rng.choice(_PUBLISHER_WORDS[1])}"
                for _ in range(60)
            ]
            c.brands = tuple(dict.fromkeys(pubs))
        else:
            c.brands = tuple(_brand_names(rng, row["words"], 80))
        c.brand_pick = _pick_table([1.0 / (i + 1) ** 0.8 for i in range(len(c.brands))], 1024)
        c.model_prefixes = tuple(
            "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(rng.choice((1, 2, 2, 3))))
            for _ in c.brands
        )
        subs: list[_Sub] = []
        sub_weights: list[float] = []
        for path, nouns, pres, posts, group, ov in row["subs"]:
            s = _Sub()
            s.path = f"{c.name}>{path}"
            s.leaf = path.rsplit(">", 1)[-1]
            s.nouns, s.pres, s.posts = nouns, pres or ("",), posts or ("",)
            s.group = group or c.group
            lo, hi = ov.get("price", row["price"])
            s.price_lo, s.price_span = math.log(lo), math.log(hi) - math.log(lo)
            lo, hi = ov.get("length", row["length"])
            s.len_lo, s.len_span = math.log(lo), math.log(hi) - math.log(lo)
            lo, hi = ov.get("wr", row["wr"])
            s.wr_lo, s.wr_span = lo, hi - lo
            lo, hi = ov.get("hr", row["hr"])
            s.hr_lo, s.hr_span = lo, hi - lo
            lo, hi = ov.get("density", row["density"])
            s.den_lo, s.den_span = lo, hi - lo
            s.hazmat = ov.get("hazmat", row["hazmat"])
            s.meltable = ov.get("meltable", 0.0)
            s.adult = ov.get("adult", 0.0)
            s.expiration = ov.get("expiration", row["expiration"])
            s.pack = ov.get("pack", row["pack"])
            s.var = ov.get("var", row["var"])
            s.var_kind = ov.get("var_kind", row["var_kind"])
            s.sizes = ov.get("sizes", row.get("sizes", ()))
            if not s.sizes and "size" in s.var_kind:
                s.var_kind = "color"
            s.leaf_share = 0.02 + rng.random() * 0.15  # sub-category size relative to the root
            s.first_bullets = tuple(
                f"{noun.upper()} YOU'LL REACH FOR DAILY: designed in-house and made to last"
                for noun in nouns
            )
            s.book_kind = nouns[0] if c.is_books else ""
            s.head = {"category": c.name, "category_raw": s.path, "product_group": s.group}
            subs.append(s)
            sub_weights.append(ov.get("weight", 1.0))
        c.subs = tuple(subs)
        c.sub_pick = _pick_table(sub_weights, 256)
        cats.append(c)
    pick = _pick_table([row["share"] for row in _CATEGORY_ROWS], 4096)
    return cats, pick


_CATS, _CAT_PICK = _compile()

#: The root display categories the generator uses, in table order.
CATEGORIES: tuple[str, ...] = tuple(c.name for c in _CATS)

# Two base-36 digits per look-up for ASINs.
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_B36_PAIRS = tuple(a + b for a in _B36 for b in _B36)
_ASIN_SPACE = 36**8
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-"  # "/" becomes "-"
_IMAGE_HEADS = ("41", "51", "61", "71", "71", "81", "81", "91")
_IMAGE_HEAD_OF = {ch: _IMAGE_HEADS[i % 8] for i, ch in enumerate(_B64)}
_PRICE_ENDINGS = (99, 99, 99, 99, 99, 95, 49, 97)  # US-style price endings


def _monthly_bucket(units: float) -> int:
    """Amazon's "N+ bought in past month" figure: 50, 100, 200 ... 1K, 2K ... 10K, 20K ..."""
    if units < 100:
        return 50
    if units < 1000:
        return int(units) // 100 * 100
    if units < 10000:
        return int(units) // 1000 * 1000
    return min(100000, int(units) // 10000 * 10000)


def _price_point(value: float, step: int, end: int) -> int:
    """The highest shelf price at or below `value` that ends like the marketplace's prices
    (`..99` cents, `..80` yen ...); small amounts are kept as they are."""
    v = int(value)
    if v < step:
        return v if v > 0 else 1
    p = v // step * step + end
    return p if p <= v else p - step if p - step > 0 else v


def _fresh(tail: dict) -> dict:
    """A copy of an item's shared fields with its own lists and dicts, so the records of one
    ASIN in two marketplaces never share a mutable object."""
    out = tail.copy()
    for key in _NESTED_LISTS:
        if key in tail:
            out[key] = tail[key][:]
    for key in _NESTED_DICTS:
        if key in tail:
            out[key] = tail[key].copy()
    ids = tail.get("identifiers")
    if ids:
        out["identifiers"] = {k: v[:] for k, v in ids.items()}
    return out


_NO_FLAGS = {"is_hazmat": False, "is_meltable": False, "is_adult": False, "has_expiration": False}
_NESTED_LISTS = ("images", "bullet_points", "variations_list")
_NESTED_DICTS = ("package_dimensions", "item_dimensions")


def _iso(ts: datetime) -> str:
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The generator.
# ---------------------------------------------------------------------------------------------
class _Codes:
    """GS1-style identifier allocation: a company prefix per (brand, kind), item references from
    a scrambled counter. Distinct prefixes and distinct counters give globally unique codes."""

    __slots__ = ("rng", "state", "used")

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.state: dict[tuple, list] = {}
        self.used: set[str] = set()

    def _new_prefix(self, kind: str, country: str) -> tuple[str, int]:
        """(prefix, item-reference digits) for a new company of this kind."""
        rnd = self.rng.random
        while True:
            if kind == "upc":  # number system digit + 5-digit company: 6 + 5 item digits
                head = "3" if country == "3" else "01678"[int(rnd() * 5)]
                prefix, digits = head + f"{int(rnd() * 100000):05d}", 5
            elif kind == "ean":  # 3-digit GS1 country + 4-digit company: 7 + 5 item digits
                prefix, digits = country + f"{int(rnd() * 10000):04d}", 5
            elif kind == "jan":
                prefix, digits = ("45", "49")[int(rnd() * 2)] + f"{int(rnd() * 100000):05d}", 5
            else:  # isbn: registration group + publisher, title digits fill to 9
                # fixed publisher length per group keeps the prefixes prefix-free
                pub_len = 4 if len(country) == 1 else 3
                prefix = country + f"{int(rnd() * 10**pub_len):0{pub_len}d}"
                digits = 9 - len(prefix)
            if prefix not in self.used:
                self.used.add(prefix)
                return prefix, digits

    def next(self, brand: int, kind: str, country: str = "") -> str:
        """The payload (code without check digit) of a new item of this brand."""
        key = (brand, kind, country)
        st = self.state.get(key)
        if st is None or st[1] >= st[2]:
            prefix, digits = self._new_prefix(kind, country)
            cap = 10**digits
            st = [prefix, 0, cap, 7919 if cap > 7919 else 7, int(self.rng.random() * cap), digits]
            self.state[key] = st
        prefix, n, cap, mult, off, digits = st
        st[1] = n + 1
        return prefix + str((n * mult + off) % cap).zfill(digits)


class _Generator:
    def __init__(self, products, seed, marketplaces, history_share, history_days, now):
        if isinstance(products, bool) or not isinstance(products, int) or products < 0:
            raise ValueError(f"products: expected a non-negative integer, got {products!r}")
        if not 0.0 <= history_share <= 1.0:
            raise ValueError(f"history_share: expected a share from 0 to 1, got {history_share!r}")
        if isinstance(history_days, bool) or not isinstance(history_days, int) or history_days < 0:
            raise ValueError(f"history_days: expected a non-negative integer, got {history_days!r}")
        if isinstance(marketplaces, str):
            marketplaces = (marketplaces,)
        codes = list(
            dict.fromkeys(_resolve_marketplace(m, "marketplaces").code for m in marketplaces)
        )
        if not codes:
            raise ValueError("marketplaces: expected at least one marketplace code")
        if now is None:
            now = REFERENCE_NOW
        elif now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now: expected a timezone-aware datetime")
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.now_iso = _iso(self.now)
        self.now_ord = self.now.date().toordinal()
        self.products = products
        self.history_share = history_share
        self.history_days = history_days
        self.rng = Random(seed)
        self.codes = _Codes(self.rng)
        self.markets = codes
        self.home_pick = _pick_table([_MARKET[c][6] for c in codes], 1024)
        self.dates: dict[int, str] = {}
        # ASINs: i -> (i * mult + off) mod 36**8 is a bijection, so ASINs never repeat.
        r = self.rng
        mult = r.randrange(36**7, _ASIN_SPACE) | 1
        while mult % 3 == 0:
            mult += 2
        self.asin_mult, self.asin_off, self.asin_n = mult, r.randrange(_ASIN_SPACE), 0
        # Observation timestamps: oldest first, the last one at `now`.
        self.day_iso = tuple(
            _iso(self.now - timedelta(days=history_days - 1 - k)) for k in range(history_days)
        )

    # -- small helpers ---------------------------------------------------------------------
    def _asin(self) -> str:
        v = (self.asin_n * self.asin_mult + self.asin_off) % _ASIN_SPACE
        self.asin_n += 1
        p = _B36_PAIRS
        return (
            "B0" + p[v // 2176782336] + p[v // 1679616 % 1296] + p[v // 1296 % 1296] + p[v % 1296]
        )

    def _date(self, days_ago: int) -> str:
        """ISO date `days_ago` days before now (cached by days_ago)."""
        s = self.dates[days_ago] = date.fromordinal(self.now_ord - days_ago).isoformat()
        return s

    def _images(self, n: int) -> list[str]:
        # 72 random bits per image: 12 base64 characters, 8 for the id and 1 for its `81`-style
        # head, so image URLs look like Amazon's (`81QpkIctqPL.jpg`).
        raw = b2a_base64(
            self.rng.getrandbits(72 * n).to_bytes(9 * n, "big"), newline=False
        ).decode()
        raw = raw.replace("/", "-")
        heads = _IMAGE_HEAD_OF
        return [
            f"https://m.media-amazon.com/images/I/{heads[raw[i + 8]]}{raw[i : i + 8]}L.jpg"
            for i in range(0, 12 * n, 12)
        ]

    def _log_rank(self, cat: _Category) -> float:
        """ln(Best Sellers Rank) in the home marketplace: mostly a bump in log space three
        e-folds (about 1.3 decades) short of the category's tail, the long middle a sourcing
        catalog is made of, plus a log-uniform share across the whole range for best sellers."""
        rnd = self.rng.random
        top = cat.log_rank_max
        if rnd() < 0.08:
            return rnd() * top
        x = top - 3.0 + (rnd() + rnd() - 1.0) * 5.0
        return 0.0 if x < 0.0 else top if x > top else x

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> Iterator[dict]:
        remaining = self.products
        rnd = self.rng.random
        markets = self.markets
        n_markets = len(markets)
        home_pick = self.home_pick
        cats, cat_pick = _CATS, _CAT_PICK
        while remaining > 0:
            cat = cats[cat_pick[int(rnd() * 4096)]]
            sub = cat.subs[cat.sub_pick[int(rnd() * 256)]]
            home = markets[home_pick[int(rnd() * 1024)]]
            # Other marketplaces carrying the same ASIN(s).
            mkts = [home]
            if n_markets > 1 and rnd() < 0.2:
                extra = 1 if rnd() < 0.7 else 2 + int(rnd() * 2)
                others = [m for m in markets if m != home]
                for _ in range(min(extra, len(others))):
                    mkts.append(others.pop(int(rnd() * len(others))))
            # Shape of the group: a book, a variation family (parent + children) or a unit with
            # its multipacks; never more records than are left to make.
            if cat.is_books:
                items = self._book(cat, sub, home)
            elif rnd() < sub.var and remaining >= 3:
                kids = 2 + int(rnd() ** 2 * (11 if sub.var_kind == "color_size" else 6))
                items = self._family(cat, sub, home, min(kids, remaining - 1))
            else:
                packs = 0
                if rnd() < sub.pack and remaining >= 2:
                    packs = min(1 + int(rnd() ** 2 * 3), remaining - 1)
                items = self._unit(cat, sub, home, packs)
            per_market = len(items)
            fit = remaining // per_market
            if fit < len(mkts):
                del mkts[fit:]
            for k, m in enumerate(mkts):
                yield from self._emit(cat, sub, items, m, m == home, k > 0)
            remaining -= per_market * len(mkts)

    # -- market-independent parts ------------------------------------------------------------
    def _base(self, cat: _Category, sub: _Sub, home: str) -> dict:
        """Attributes a unit shares with its multipacks and variation siblings."""
        rnd = self.rng.random
        bi = cat.brand_pick[int(rnd() * 1024)]
        brand = cat.brands[bi]
        ni = int(rnd() * len(sub.nouns))
        noun = sub.nouns[ni]
        pres, posts = sub.pres, sub.posts
        pre = pres[int(rnd() * len(pres))]
        np_ = len(posts)
        i1 = int(rnd() * np_)
        i2 = (i1 + 1 + int(rnd() * (np_ - 1))) % np_ if np_ > 1 else i1
        tail = f", {posts[i1]}, {posts[i2]}" if i2 != i1 else f", {posts[i1]}"
        title = f"{brand} {pre} {noun}{tail}" if pre else f"{brand} {noun}{tail}"
        # Package: longest side log-uniform, the others as ratios, so length >= width >= height.
        length = math.exp(sub.len_lo + rnd() * sub.len_span)
        width = length * (sub.wr_lo + rnd() * sub.wr_span)
        height = width * (sub.hr_lo + rnd() * sub.hr_span)
        if height < 0.1:
            height = 0.1 if width >= 0.1 else width
        # Density is given at 100 cubic inches; big boxes hold more air, small ones less.
        volume = length * width * height
        fill = (volume * 0.01) ** -0.3
        fill = 0.35 if fill < 0.35 else 1.6 if fill > 1.6 else fill
        weight = max(0.02, volume * fill * (sub.den_lo + rnd() * sub.den_span))
        # Price (USD cents): triangular in log space between the sub-category's bounds.
        usd = math.exp(sub.price_lo + (rnd() + rnd()) * 0.5 * sub.price_span)
        # Identifier scheme: UPC-A for North American goods, EAN-13 with the home country's GS1
        # prefix elsewhere (a fifth of them imported with a UPC), JAN for Japanese makers.
        m = _MARKET[home]
        u = rnd()
        if u < cat.jan or home == "JP":
            kind, country = "jan", ""
        elif home in _NORTH_AMERICA_UPC or m[8] is None or u > 0.8:
            kind, country = "upc", ("3" if cat.group == "Health and Beauty" and rnd() < 0.3 else "")
        else:
            kind, country = "ean", m[8][int(rnd() * len(m[8]))]
        if rnd() < 0.55:
            suffix = "ABCKPSX"[int(rnd() * 7)] if rnd() < 0.4 else ""
            model = f"{cat.model_prefixes[bi]}-{int(rnd() * 9000) + 1000}{suffix}"
            head = {
                "brand": brand,
                "manufacturer": brand,
                "mpn": model,
                "model_number": model,
                "part_number": model,
                **sub.head,
            }
        else:
            head = {"brand": brand, "manufacturer": brand, **sub.head}
        bo = int(rnd() * cat.n_bullets)
        bullets = (sub.first_bullets[ni], *cat.bullets2[bo : bo + 3 + int(rnd() * 2)])
        flags = {
            "is_hazmat": rnd() < sub.hazmat,
            "is_meltable": rnd() < sub.meltable,
            "is_adult": sub.adult > 0.0 and rnd() < sub.adult,
            "has_expiration": rnd() < sub.expiration,
        }
        return {
            "bi": bi,
            "head": head,
            "flags": flags,
            "title": title,
            "dims": (length, width, height, weight),
            "usd": usd,
            "log_rank": self._log_rank(cat),
            "kind": kind,
            "country": country,
            "bullets": bullets,
            "days_old": int(30 + rnd() ** 2 * 3600),
            "sba": rnd(),
            "item_dims": rnd() < 0.6,
        }

    def _identifiers(self, base: dict) -> dict:
        kind = base["kind"]
        payload = self.codes.next(base["bi"], kind, base["country"])
        code = payload + gtin_check_digit(payload)
        if kind == "upc":
            rnd = self.rng.random
            ids = {"upc": [code]}
            if rnd() < 0.3:
                ids["ean"] = ["0" + code]  # the same code in its EAN-13 form
            if rnd() < 0.05:
                ids["gtin"] = ["00" + code]  # ... and its GTIN-14 form
            return ids
        if kind == "jan":
            return {"ean": [code], "jan": [code]}
        return {"ean": [code]}

    def _static(
        self,
        base,
        asin,
        title,
        color,
        size,
        dims,
        ids,
        n_images,
        days_old,
        pack=1,
        parent=None,
        siblings=None,
    ) -> dict:
        """An item: its market-independent record fields (`head` goes first in the record,
        `tail` last) and what the marketplace-specific part needs."""
        head = {"title": title, **base["head"]}
        if color:
            head["color"] = color
        if size:
            head["size_name"] = size
        L, W, H, wt = dims
        tail = {
            "amazon_pack_quantity": pack,
            "package_dimensions": {
                "length": int(L * 100 + 0.5) / 100,
                "width": int(W * 100 + 0.5) / 100,
                "height": int(H * 100 + 0.5) / 100 or 0.01,
                "weight": int(wt * 100 + 0.5) / 100 or 0.01,
            },
            "identifiers": ids,
            "images": self._images(n_images),
            **base["flags"],
            "release_date": self.dates.get(days_old) or self._date(days_old),
        }
        if parent:
            tail["parent_asin"] = parent
            tail["number_of_variations"] = len(siblings)
            tail["variations_list"] = siblings[:]
        if base["item_dims"]:
            f = self.rng.random() * 0.12 + 0.85
            tail["item_dimensions"] = {
                "length": int(L * f * 100 + 0.5) / 100,
                "width": int(W * f * 100 + 0.5) / 100,
                "height": int(H * f * 100 + 0.5) / 100 or 0.01,
                "weight": int(wt * 90 + 0.5) / 100 or 0.01,
            }
        if base["bullets"]:
            tail["bullet_points"] = list(base["bullets"])
        tail["updated_at"] = self.now_iso
        tail["demo"] = True
        return {
            "asin": asin,
            "base": base,
            "head": head,
            "tail": tail,
            "pack": pack,
            "price": 1.0,
            "rank_f": 0.0,
            "upc_only": "upc" in ids and "ean" not in ids,
            "parent": False,
        }

    def _unit(self, cat: _Category, sub: _Sub, home: str, packs: int) -> list[dict]:
        base = self._base(cat, sub, home)
        rnd = self.rng.random
        ids = self._identifiers(base)
        size = sub.sizes[int(rnd() * len(sub.sizes))] if sub.sizes and rnd() < 0.25 else None
        color = _COLORS[int(rnd() * len(_COLORS))] if rnd() < 0.35 else None
        title, days_old = base["title"], base["days_old"]
        items = [
            self._static(
                base,
                self._asin(),
                title,
                color,
                size,
                base["dims"],
                ids,
                2 + int(rnd() * 6),
                days_old,
            )
        ]
        if packs:
            L, W, H, wt = base["dims"]
            for q in sorted({_PACK_SIZES[int(rnd() * len(_PACK_SIZES))] for _ in range(packs)}):
                # Stack the units: multiply the shortest side by each factor of N, re-sorting.
                dims = [L, W, H]
                left = q
                for f in (2, 2, 3):
                    if left % f == 0:
                        dims.sort()
                        dims[0] *= f
                        left //= f
                if left > 1:
                    dims.sort()
                    dims[0] *= left
                dims.sort(reverse=True)
                pack_title = f"{title} (Pack of {q})" if rnd() < 0.6 else f"{title}, {q}-Pack"
                item = self._static(
                    base,
                    self._asin(),
                    pack_title,
                    color,
                    size,
                    (dims[0], dims[1], dims[2], wt * q * 1.03 + 0.05),
                    ids,
                    1 + int(rnd() * 4),
                    max(1, int(days_old * rnd())),
                    pack=q,
                )
                item["price"] = q * (0.85 + rnd() * 0.1)  # ~ N x the unit's price x 0.9
                item["rank_f"] = 0.5 + rnd() * 1.5  # packs sell less than the unit
                items.append(item)
        return items

    def _family(self, cat: _Category, sub: _Sub, home: str, kids: int) -> list[dict]:
        base = self._base(cat, sub, home)
        rnd = self.rng.random
        kind, sizes, colors = sub.var_kind, sub.sizes, _COLORS
        # Distinct (color, size) combinations for the children.
        combos: list[tuple] = []
        seen: set[tuple] = set()
        c0, s0 = int(rnd() * len(colors)), int(rnd() * len(sizes))
        n_sizes = min(len(sizes), 2 + int(rnd() * (len(sizes) - 1)))
        for k in range(kids * 3):
            if len(combos) == kids:
                break
            if kind == "color":
                combo = (colors[(c0 + k) % len(colors)], None, 0)
            elif kind == "size":
                combo = (None, sizes[(s0 + k) % len(sizes)], (s0 + k) % len(sizes))
            else:
                si = (s0 + k % n_sizes) % len(sizes)
                combo = (colors[(c0 + k // n_sizes) % len(colors)], sizes[si], si)
            if combo not in seen:
                seen.add(combo)
                combos.append(combo)
        parent_asin = self._asin()
        asins = [self._asin() for _ in combos]
        L, W, H, wt = base["dims"]
        title = base["title"]
        items = [
            self._static(
                base, parent_asin, title, None, None, base["dims"], {}, 1, base["days_old"]
            )
        ]
        parent = items[0]
        parent["parent"] = True
        ptail = parent["tail"]
        parent["tail"] = {
            "number_of_variations": len(asins),
            "variations_list": asins[:],
            "images": ptail["images"],
            **base["flags"],
            "updated_at": self.now_iso,
            "demo": True,
        }
        for key in ("mpn", "model_number", "part_number"):
            parent["head"].pop(key, None)
        for asin, (color, size, si) in zip(asins, combos, strict=True):
            grow = 1.0 + 0.12 * si  # bigger sizes come in bigger, heavier packages
            label = f"{color}, {size}" if color and size else color or size
            item = self._static(
                base,
                asin,
                f"{title}, {label}",
                color,
                size,
                (L * grow**0.34, W * grow**0.33, H * grow**0.33, wt * grow),
                self._identifiers(base),
                2 + int(rnd() * 6),
                base["days_old"],
                parent=parent_asin,
                siblings=asins,
            )
            item["price"] = grow**0.5 * (0.97 + rnd() * 0.06)
            item["rank_f"] = rnd() * 1.2 - 0.2
            items.append(item)
        return items

    def _book(self, cat: _Category, sub: _Sub, home: str) -> list[dict]:
        rnd = self.rng.random
        bi = cat.brand_pick[int(rnd() * 1024)]
        groups = _MARKET[home][9]
        payload = self.codes.next(bi, "isbn", groups[int(rnd() * len(groups))])
        isbn10 = payload + isbn10_check_digit(payload)
        isbn13 = "978" + payload + gtin_check_digit("978" + payload)
        templates = _BOOK_TEMPLATES[sub.book_kind]
        title = templates[int(rnd() * len(templates))].format(
            a=_BOOK_ADJ[int(rnd() * len(_BOOK_ADJ))],
            n=_BOOK_NOUN[int(rnd() * len(_BOOK_NOUN))],
            n2=_BOOK_NOUN[int(rnd() * len(_BOOK_NOUN))],
            t=_BOOK_TOPIC[int(rnd() * len(_BOOK_TOPIC))],
            c=_BOOK_COOKING[int(rnd() * len(_BOOK_COOKING))],
            b=_BOOK_ANIMAL[int(rnd() * len(_BOOK_ANIMAL))],
            k=(50, 75, 100, 120, 150, 200, 365, 1000)[int(rnd() * 8)],
            k1=1 + int(rnd() * 5),
        )
        u = rnd()
        if sub.book_kind == "Picture Book":
            binding = "Board book" if u < 0.4 else "Hardcover"
        else:
            binding = (
                "Paperback" if u < 0.55 else "Hardcover" if u < 0.9 else "Mass Market Paperback"
            )
        thick = 0.04 + rnd() * 0.16
        if binding == "Mass Market Paperback":
            length, width = 6.75 + rnd() * 0.3, 4.1 + rnd() * 0.2
        elif binding == "Board book":
            length, width, thick = 6.0 + rnd() * 2, 5.5 + rnd() * 1.5, 0.1
        else:
            length = math.exp(sub.len_lo + rnd() * sub.len_span)
            width = length * (sub.wr_lo + rnd() * sub.wr_span)
        height = max(0.2, length * thick * (1.3 if binding == "Hardcover" else 1.0))
        length, width, height = sorted((length, width, height), reverse=True)
        weight = max(0.15, length * width * height * (sub.den_lo + rnd() * sub.den_span))
        usd = math.exp(sub.price_lo + (rnd() + rnd()) * 0.5 * sub.price_span)
        if binding == "Hardcover":
            usd *= 1.5
        days_old = int(20 + rnd() ** 2.5 * 12000)
        base = {
            "bi": bi,
            "head": {"manufacturer": cat.brands[bi], **sub.head},
            "flags": _NO_FLAGS,
            "title": title,
            "usd": usd,
            "log_rank": self._log_rank(cat),
            "bullets": None,
            "sba": rnd(),
            "item_dims": False,
        }
        ids = {"isbn": [isbn10, isbn13], "ean": [isbn13]}
        item = self._static(
            base,
            isbn10,
            title,
            None,
            None,
            (length, width, height, weight),
            ids,
            1 + int(rnd() * 2),
            days_old,
        )
        return [item]

    # -- market-dependent: one record per item -------------------------------------------------
    def _emit(
        self, cat: _Category, sub: _Sub, items: list[dict], mkt: str, is_home: bool, copy: bool
    ) -> Iterator[dict]:
        rnd = self.rng.random
        rate, mk_lo, mk_hi, minor, step, end, _w, rank_scale, _gs1, _isbn = _MARKET[mkt]
        base = items[0]["base"]
        # Shelf price in this marketplace (minor units of its currency).
        local = (
            base["usd"] * rate * (mk_lo + rnd() * (mk_hi - mk_lo)) * (1 if minor == 100 else 0.01)
        )
        # Rank in this marketplace: the home rank, scaled for smaller stores, plus noise.
        log_rank = base["log_rank"]
        if not is_home:
            log_rank += math.log(rank_scale) + (rnd() - 0.3) * 2.0
        rank_max = max(1000, int(cat.rank_max * rank_scale))
        # Units a month at rank r: a smaller store sells fewer units at the same rank.
        sales_c = cat.sales_c * rank_scale**1.85
        endings = step == 100 and minor == 100
        history = self.history_days and self.history_share
        is_books = cat.is_books
        leaf, leaf_share = sub.leaf, sub.leaf_share
        offers, sba_draw = cat.offers, base["sba"]
        unit_price = 0
        for it in items:
            tail = _fresh(it["tail"]) if copy else it["tail"]
            if it["parent"]:
                yield {"marketplace": mkt, "asin": it["asin"], **it["head"], **tail}
                continue
            lr = log_rank + it["rank_f"]
            rank = int(math.exp(lr)) if lr > 0 else 1
            if rank > rank_max:
                rank = rank_max - int(rnd() * rank_max * 0.1)
            pack = it["pack"]
            if pack == 1:
                v = int(local * it["price"])
                if v >= step:  # the highest price at or below v ending like the store's prices
                    price = v // step * step + end
                    if price > v:
                        price -= step
                    if endings and price >= 100:
                        price += _PRICE_ENDINGS[int(rnd() * 8)] - 99
                else:
                    price = v or 1
                unit_price = price
            else:  # a multipack: about N x the unit's shelf price x 0.9
                price = _price_point(unit_price * it["price"], step, end)
            # Offers: more sellers on better-ranked listings. Amazon's own offer counts as FBA.
            scale = offers * (1.0 if rank < 1100 else 0.6 if rank < 100000 else 0.25)
            fba = int(rnd() ** 1.6 * 30 * scale)
            fbm = int(rnd() ** 2 * 15 * scale)
            sba = sba_draw < (0.55 if rank < 20000 else 0.25 if rank < 300000 else 0.08)
            if not fba and (sba or not fbm):
                fba = 1
            rec = {
                "marketplace": mkt,
                "asin": it["asin"],
                **it["head"],
                "rank": rank,
                "sales_ranks": [
                    {"rank": 1 + int(rank * leaf_share * (0.5 + rnd())), "title": leaf}
                ],
                "buybox_price": price,
            }
            if rnd() < 0.03:  # a few listings have no Buy Box winner
                del rec["buybox_price"]
            if is_books:
                used = int(price * (0.25 + rnd() * 0.5)) or 1
                rec["buybox_price_used"] = used
                rec["list_price"] = max(
                    price, _price_point(price * (1.05 + rnd() * 0.5), step, end)
                )
            elif rnd() < 0.55:
                rec["list_price"] = max(price, _price_point(price * (1.1 + rnd() * 0.5), step, end))
            if fba:
                rec["lowest_price_new_fba"] = int(price * (0.93 + rnd() * 0.07)) or 1
            if fbm:
                rec["lowest_price_new_fbm"] = int(price * (0.8 + rnd() * 0.3)) or 1
            if is_books:
                used_offers = 1 + int(rnd() ** 2 * 40 * scale)
                rec["lowest_price_used_fba"] = int(used * (1.0 + rnd() * 0.4)) or 1
                rec["lowest_price_used_fbm"] = int(used * (0.6 + rnd() * 0.4)) or 1
            else:
                used_offers = int(rnd() * 3) if rnd() < 0.1 else 0
            rec.update(
                new_fba_offers_count=fba,
                new_fbm_offers_count=fbm,
                total_offers_count=fba + fbm + used_offers,
                competitive_sellers=int(fba * (0.2 + rnd() * 0.6)) or 1 if fba else 0,
                sold_by_amazon=sba,
                **tail,
            )
            if it["upc_only"] and mkt not in _NORTH_AMERICA_UPC:
                ids = rec["identifiers"] = dict(
                    tail["identifiers"]
                )  # how a UPC reads in an EAN-13 store
                ids["ean"] = ["0" + ids["upc"][0]]
            est = sales_c * rank**-0.85 * (0.7 + rnd() * 0.7)
            if est >= 50 and rnd() < 0.85:
                rec["monthly_sold"] = _monthly_bucket(est)
            yield rec
            if history and rnd() < self.history_share:
                yield from self._history(rec, sales_c, step, end, rank_max)

    # -- history ----------------------------------------------------------------------------
    def _history(
        self, rec: dict, sales_c: float, step: int, end: int, rank_max: int
    ) -> Iterator[dict]:
        """Daily observations for the last `history_days` days, the last one at `now` and equal
        to the record's current values."""
        rnd = self.rng.random
        days = self.history_days
        rank = rec["rank"]
        base = math.log(rank)
        # Rank, forward in time: fast sellers wobble around their level; slow sellers climb
        # between sales and drop on a sale (the saw-tooth a Keepa chart shows). The series is
        # then shifted so that today's value is the record's rank.
        daily = sales_c * rank**-0.85 / 30.0
        xs = [0.0] * days
        x = base
        if daily >= 1.0:
            sigma = 0.08 + 0.2 / (1.0 + daily)
            for k in range(days):
                x = base + 0.85 * (x - base) + (rnd() - 0.5) * sigma * 2
                xs[k] = x
        else:
            climb = 0.01 + 0.05 * rnd()
            for k in range(days):
                if rnd() < daily:
                    x = base - 0.2 - rnd() * 0.8
                else:
                    x = min(x + climb * (0.5 + rnd()), base + 2.5)
                xs[k] = x
        shift = base - xs[-1]
        exp = math.exp
        top = max(rank, rank_max)
        ranks = [min(top, max(1, int(exp(v + shift)))) for v in xs]
        ranks[-1] = rank
        # Price, offers and Amazon's stock, backward from today's values.
        price = rec.get("buybox_price")
        offers = target = rec["new_fba_offers_count"] + rec["new_fbm_offers_count"]
        sba = rec["sold_by_amazon"]
        in_stock = sba
        flicker = sba or rnd() < 0.1
        prices: list = [None] * days
        counts = [0] * days
        stock = [False] * days
        p = price
        for k in range(days - 1, -1, -1):
            prices[k] = p
            counts[k] = offers
            stock[k] = in_stock
            if p is not None and rnd() < 0.07:  # a price change: a new level around today's
                p = _price_point(price * (0.85 + rnd() * 0.3), step, end)
            if rnd() < 0.15:
                offers += 1 if rnd() < 0.5 + 0.05 * (target - offers) else -1
                if offers < 1:
                    offers = 1
            if flicker:
                if in_stock:
                    if rnd() < 0.02:
                        in_stock = False
                elif rnd() < (0.2 if sba else 0.01):
                    in_stock = True
        monthly = rec.get("monthly_sold")
        mkt, asin, day_iso = rec["marketplace"], rec["asin"], self.day_iso
        last = days - 1
        for k in range(days):
            obs = {
                "type": "observation",
                "marketplace": mkt,
                "asin": asin,
                "observed_at": day_iso[k],
            }
            if price is not None:
                obs["buybox_price"] = prices[k]
            obs["rank"] = ranks[k]
            obs["amazon_in_stock"] = stock[k]
            obs["new_offers_count"] = counts[k]
            if monthly is not None and (last - k) % 7 == 0:  # Amazon refreshes it about weekly
                if k == last:
                    obs["monthly_sold"] = monthly
                else:
                    est = sales_c * ranks[k] ** -0.85
                    if est >= 50:
                        obs["monthly_sold"] = _monthly_bucket(est)
            yield obs


def generate(
    products: int,
    seed: int = 1,
    marketplaces: Sequence[str] = ("US", "UK", "DE", "CA"),
    history_share: float = 0.2,
    history_days: int = 180,
    now: datetime | None = None,
) -> Iterator[dict]:
    """Yield `products` demo product records (catalog format) and, for about `history_share` of
    them, `history_days` daily observation records each (right after the product they describe).

    `products` counts product records across all marketplaces, variation parents included. The
    output depends only on the arguments: `now` defaults to the fixed `REFERENCE_NOW`
    (2026-11-01T00:00:00Z), never the wall clock. Marketplace codes are resolved like everywhere
    else (`US`, `ATVPDKIKX0DER`, `amazon.co.uk` ...); an unknown one raises `UnknownMarketplace`.
    """
    gen = _Generator(products, seed, marketplaces, history_share, history_days, now)
    return gen.run()
