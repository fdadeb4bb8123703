"""Product images over HTTP: upload (multipart `product_image[attachment]`), list, serve each
size, delete; fake and oversize files refused with nothing written; tenancy."""

from __future__ import annotations

import io

from PIL import Image

from tests.commerce.conftest import make_seller
from tests.commerce.test_images import encoded, png_declaring


def upload(seller, product, data: bytes, group="primary", name="s-l1600 (1).jpg"):
    return seller.client.post(f"/api/products/{product['id']}/product_images", headers=seller.headers,
                              files={"product_image[attachment]": (name, data, "image/jpeg")},
                              data={"product_image[group_name]": group})


def blob_files(tmp_path) -> list:
    root = tmp_path / "commerce" / "images"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class TestUpload:
    def test_upload_list_serve_and_delete(self, seller, tmp_path):
        product = seller.product("IMG1")
        r = upload(seller, product, encoded("PNG", size=(1200, 800)))
        assert r.status_code == 201, r.text
        image = r.json()["product_image"]
        assert (image["product_id"], image["position"], len(image["id"])) == (product["id"], 1, 24)
        for size in ("original", "large", "medium", "small"):
            url = image[f"{size}_image_url"]
            got = seller.client.get(url, headers={**seller.headers, "Accept": "image/jpeg"})
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
            assert Image.open(io.BytesIO(got.content)).format == "JPEG"
        assert Image.open(io.BytesIO(seller.get(image["small_image_url"]).content)).size == (160, 107)
        listed = seller.get(f"/api/products/{product['id']}/product_images.json").json()["product_images"]
        assert [i["id"] for i in listed] == [image["id"]]
        assert seller.get(f"/api/products/{product['id']}").json()["product"]["primary_image"] == image["large_image_url"]
        r = seller.delete(f"/api/products/{product['id']}/product_images/{image['id']}.json")
        assert r.status_code == 200 and r.json()["deleted"] is True
        assert seller.get(f"/api/products/{product['id']}/product_images").json()["product_images"] == []
        assert seller.get(image["small_image_url"]).status_code == 404
        assert blob_files(tmp_path) == []

    def test_a_text_file_named_jpg_is_a_400_and_writes_nothing(self, seller, tmp_path):
        product = seller.product("IMG2")
        r = upload(seller, product, b"GIF89a but not really an image at all")
        assert r.status_code == 400 and "product_image[attachment]" in r.json()["message"]
        assert seller.get(f"/api/products/{product['id']}/product_images").json()["product_images"] == []
        assert blob_files(tmp_path) == []

    def test_a_decompression_bomb_is_a_413(self, seller):
        product = seller.product("IMG3")
        r = upload(seller, product, png_declaring(20_000, 20_000))
        assert r.status_code == 413 and "SELLERKIT_IMAGE_MAX_PIXELS" in r.json()["message"]

    def test_over_the_byte_limit_is_a_413(self, client, new_key, settings):
        settings.image_limit_mb = 1
        seller = make_seller(client, new_key)
        product = seller.product("IMG4")
        noise = Image.frombytes("RGB", (1000, 1000), __import__("os").urandom(3_000_000))
        buf = io.BytesIO()
        noise.save(buf, "PNG")
        r = upload(seller, product, buf.getvalue())
        assert r.status_code == 413 and "SELLERKIT_IMAGE_LIMIT_MB" in r.json()["message"]

    def test_unknown_group_lists_the_allowed(self, seller):
        product = seller.product("IMG5")
        r = upload(seller, product, encoded("JPEG"), group="banner")
        assert r.status_code == 400 and "primary, variant" in r.json()["message"]

    def test_no_file_is_a_400(self, seller):
        product = seller.product("IMG6")
        r = seller.client.post(f"/api/products/{product['id']}/product_images", headers=seller.headers,
                               data={"product_image[group_name]": "primary"})
        assert r.status_code == 400 and "product_image[attachment]: required" in r.json()["message"]

    def test_listing_image_urls_are_kept_as_given(self, seller):
        product = seller.product("IMG7", image_urls=["https://someurl.com/a.jpg"])
        images = seller.get(f"/api/products/{product['id']}/product_images").json()["product_images"]
        assert [i["original_image_url"] for i in images] == ["https://someurl.com/a.jpg"]


class TestTenancy:
    def test_another_accounts_product_and_image_are_404s(self, client, new_key, seller):
        product = seller.product("IMG8")
        image = upload(seller, product, encoded("JPEG")).json()["product_image"]
        other = make_seller(client, new_key, "other", account="other-account")
        assert other.get(f"/api/products/{product['id']}/product_images").status_code == 404
        assert upload(other, product, encoded("JPEG")).status_code == 404
        assert other.get(image["small_image_url"]).status_code == 404
        assert other.delete(f"/api/products/{product['id']}/product_images/{image['id']}").status_code == 404
