"""Image checks and variants: the four formats taken, everything else a clear 400, limits a 413
before decoding, each variant a JPEG no larger than its side."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from sellerkit.commerce.images import VARIANTS, blob_key, render
from sellerkit.errors import Invalid, PayloadTooLarge

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 40_000_000}


def encoded(fmt: str, size=(800, 600), mode="RGB", **kw) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 0))
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height: a decompression bomb's shape."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


class TestRender:
    @pytest.mark.parametrize("fmt,name", [("JPEG", "JPEG"), ("PNG", "PNG"), ("WEBP", "WebP"), ("GIF", "GIF")])
    def test_takes_the_four_formats(self, fmt, name):
        out = render(encoded(fmt), **LIMITS)
        assert (out.source_format, out.width, out.height) == (name, 800, 600)
        assert set(out.variants) == set(VARIANTS)

    def test_variants_are_jpegs_within_their_side_and_never_upscaled(self):
        out = render(encoded("PNG", size=(2000, 1000)), **LIMITS)
        sizes = {name: opened(data).size for name, data in out.variants.items()}
        assert all(opened(d).format == "JPEG" for d in out.variants.values())
        assert sizes == {"original": (2000, 1000), "large": (1500, 750), "medium": (500, 250), "small": (160, 80)}

    def test_transparency_is_flattened_on_white(self):
        out = render(encoded("PNG", mode="RGBA", size=(50, 50)), **LIMITS)
        assert opened(out.variants["small"]).convert("RGB").getpixel((10, 10)) >= (250, 250, 250)

    def test_metadata_is_dropped(self):
        image = Image.new("RGB", (40, 40))
        exif = image.getexif()
        exif[0x010F] = "CameraMaker"
        buf = io.BytesIO()
        image.save(buf, "JPEG", exif=exif)
        assert b"CameraMaker" in buf.getvalue()
        assert all(b"CameraMaker" not in d for d in render(buf.getvalue(), **LIMITS).variants.values())


class TestRefused:
    def test_a_bmp_is_a_400_naming_the_formats(self):
        with pytest.raises(Invalid, match=r"product_image\[attachment\]: not a JPEG, PNG, WebP or GIF"):
            render(encoded("BMP"), **LIMITS)

    def test_text_named_like_an_image_is_a_400(self):
        with pytest.raises(Invalid, match="not a JPEG, PNG, WebP or GIF"):
            render(b"<svg xmlns='http://www.w3.org/2000/svg'/>", **LIMITS)

    def test_an_empty_file_is_a_400(self):
        with pytest.raises(Invalid, match="the file is empty"):
            render(b"", **LIMITS)

    def test_a_truncated_image_is_a_400(self):
        data = encoded("JPEG", size=(400, 400))
        with pytest.raises(Invalid, match="damaged or truncated"):
            render(data[: len(data) // 2], **LIMITS)

    def test_over_the_byte_limit_is_a_413_naming_the_limit(self):
        with pytest.raises(PayloadTooLarge, match=r"over the limit of 1,000 bytes \(SELLERKIT_IMAGE_LIMIT_MB\)"):
            render(encoded("PNG"), max_bytes=1000, max_pixels=10**8)

    def test_a_decompression_bomb_is_a_413_before_decoding(self):
        bomb = png_declaring(10_000, 10_000)
        assert len(bomb) < 200
        with pytest.raises(PayloadTooLarge, match=r"10,000 x 10,000 pixels, over the limit of 40,000,000"):
            render(bomb, **LIMITS)

    def test_past_pillows_own_backstop_is_a_413_too(self):
        with pytest.raises(PayloadTooLarge, match="more pixels than any image is allowed"):
            render(png_declaring(100_000, 100_000), max_bytes=10**6, max_pixels=10**12)


def test_blob_key_is_per_account_and_image():
    assert blob_key(3, 17, "small") == "commerce/images/3/17/small.jpg"
