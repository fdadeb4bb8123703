"""Product images: checked, decoded and re-encoded with Pillow, in the sizes listings use.

Only JPEG, PNG, WebP and GIF are taken, told apart by their content (never by the file name or
the declared type). The size limits are checked before anything is decoded: the bytes
(`image_limit_mb`), then the pixel count the header declares (`image_max_pixels`), so a
decompression bomb (a small file declaring a huge canvas) is refused without being expanded.
Every image is decoded and re-encoded (metadata dropped, EXIF orientation applied, the first
frame of an animation, transparency flattened on white) as JPEG in four variants: `original`
(at most 3,000 px on its longer side), `large` (1,500), `medium` (500) and `small` (160), none
larger than the source. Their blob keys are `commerce/images/<account>/<image>/<variant>.jpg`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from sellerkit.commerce import orders_repository as orders_repo
from sellerkit.commerce import repository as repo
from sellerkit.commerce.models import ProductImage
from sellerkit.commerce.products import products
from sellerkit.domain.quoting import quote
from sellerkit.errors import Invalid, NotFound, PayloadTooLarge

FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
VARIANTS = {"original": 3000, "large": 1500, "medium": 500, "small": 160}  # longest side in pixels
QUALITY = 85
FIELD = "product_image[attachment]"


@dataclass(frozen=True, slots=True)
class Rendered:
    source_format: str  # JPEG, PNG, WebP or GIF
    width: int
    height: int
    variants: dict[str, bytes]  # variant name -> JPEG bytes


def blob_key(account_id: int, image_id: int, variant: str) -> str:
    return f"commerce/images/{account_id}/{image_id}/{variant}.jpg"


def render(data: bytes, *, max_bytes: int, max_pixels: int, field: str = FIELD) -> Rendered:
    """The image's variants, or `PayloadTooLarge` (413) past a limit, or `Invalid` (400) for
    anything that is not a readable JPEG, PNG, WebP or GIF. CPU work: call it off the event loop."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{field}: the image is {len(data):,} bytes, over the limit of {max_bytes:,} bytes "
                              "(SELLERKIT_IMAGE_LIMIT_MB)")
    if not data:
        raise Invalid(f"{field}: the file is empty; send a JPEG, PNG, WebP or GIF image")
    with warnings.catch_warnings():
        # our own limit decides below; Pillow's (89M pixels, an error past twice that) is a backstop
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except UnidentifiedImageError:
            raise Invalid(f"{field}: not a JPEG, PNG, WebP or GIF image (its content is not one of those "
                          "formats, whatever its name or type says)") from None
        except Image.DecompressionBombError:
            raise PayloadTooLarge(f"{field}: the image declares more pixels than any image is allowed "
                                  f"({max_pixels:,}, SELLERKIT_IMAGE_MAX_PIXELS)") from None
        width, height = image.size
        source_format = FORMATS[image.format]
        if width * height > max_pixels:
            raise PayloadTooLarge(f"{field}: the image is {width:,} x {height:,} pixels, over the limit of "
                                  f"{max_pixels:,} pixels (SELLERKIT_IMAGE_MAX_PIXELS)")
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError) as exc:
            raise Invalid(f"{field}: the {source_format} image is damaged or truncated and cannot "
                          f"be read ({type(exc).__name__})") from None
    flat = _flatten(image)
    variants = {}
    for name, side in VARIANTS.items():
        copy = flat.copy()
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, "JPEG", quality=QUALITY, optimize=True)
        variants[name] = out.getvalue()
    return Rendered(source_format, flat.width, flat.height, variants)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: the first frame, transparency composed on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        base = Image.new("RGB", rgba.size, (255, 255, 255))
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return image.convert("RGB")


# ---- use cases ----------------------------------------------------------------------------------

GROUPS = ("primary", "variant")


class Images:
    """A product's images: uploads stored in the blob store, outside URLs kept as given."""

    def list(self, session, account_id: int, product_id: int):

        product = products.get(session, account_id, product_id)
        return product, repo.images_of(session, [product.id])[product.id]

    def add(self, session, blobs, account_id: int, product_id: int, group_name: str | None, rendered: Rendered,
            size: int):
        """The image's row and its four files; the files are removed again when anything fails,
        and the caller's transaction rolls the row back, so nothing is left half-written."""
        group = (group_name or "primary").strip().lower()
        if group not in GROUPS:
            raise Invalid(f"product_image[group_name]: must be one of {', '.join(GROUPS)}; got {quote(group_name)}")
        product = products.get(session, account_id, product_id, lock=True)
        position = orders_repo.last_image_position(session, product.id)
        row = ProductImage(account_id=account_id, product_id=product.id, group_name=group, position=position + 1,
                           content_type="image/jpeg", width=rendered.width, height=rendered.height, size=size)
        session.add(row)
        session.flush()
        prefix = f"commerce/images/{account_id}/{row.id}"
        try:
            for variant, data in rendered.variants.items():
                blobs.put(blob_key(account_id, row.id, variant), data)
        except BaseException:
            blobs.delete_prefix(prefix)
            raise
        row.original_key, row.large_key, row.medium_key, row.small_key = (
            blob_key(account_id, row.id, v) for v in ("original", "large", "medium", "small"))
        return product, row

    def get(self, session, account_id: int, product_id: int, image_id: int):
        product = products.get(session, account_id, product_id)
        row = session.get(ProductImage, image_id)
        if row is None or row.account_id != account_id or row.product_id != product.id:
            raise NotFound("product image not found")
        return product, row

    def delete(self, session, blobs, account_id: int, product_id: int, image_id: int) -> None:
        _, row = self.get(session, account_id, product_id, image_id)
        session.delete(row)
        session.flush()
        if row.original_key:
            blobs.delete_prefix(f"commerce/images/{account_id}/{row.id}")


images = Images()
