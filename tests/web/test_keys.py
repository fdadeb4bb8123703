"""Keys and plan: create, rotate and revoke a key in the browser; tenancy."""

from __future__ import annotations

import httpx
import pytest

from tests.web.harness import csrf_of, screenshot, sign_in

pytestmark = pytest.mark.slow


def _works(base: str, secret: str) -> bool:
    return httpx.get(f"{base}/account", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


class TestKeysPage:
    def test_create_then_revoke_a_key(self, page, site):
        sign_in(page, site.base, "owner@acme.test")
        page.get_by_role("link", name="Keys", exact=True).click()
        page.get_by_label("Name").fill("price script")
        page.get_by_role("button", name="Create key").click()
        secret = page.get_by_label("Secret key").input_value()
        assert secret.startswith("sk_") and _works(site.base, secret)
        screenshot(page, "keys")
        page.goto(f"{site.base}/keys")
        assert page.get_by_label("Secret key").count() == 0  # shown once
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Revoke price script").click()
        page.get_by_text("is revoked").wait_for()
        assert not _works(site.base, secret)
        assert page.get_by_role("button", name="Revoke price script").count() == 0

    def test_rotate_gives_a_new_secret_and_ends_the_old(self, page, site):
        sign_in(page, site.base, "owner@acme.test")
        page.goto(f"{site.base}/keys")
        page.get_by_label("Name").fill("to rotate")
        page.get_by_role("button", name="Create key").click()
        old = page.get_by_label("Secret key").input_value()
        page.get_by_role("button", name="Rotate to rotate").click()
        new = page.get_by_label("Secret key").input_value()
        assert new != old and _works(site.base, new) and not _works(site.base, old)

    def test_shows_plan_rate_and_tokens_today(self, site):
        with site.client("owner@acme.test") as c:
            html = c.get("/keys").text
        assert "pro" in html and "10,000" in html and "Tokens today" in html and "/s" in html

    def test_another_accounts_key_cannot_be_revoked(self, site):
        other = site.add_user("second@globex.test", "globex")
        with site.client("owner@acme.test") as c:
            r = c.post("/keys/revoke", data={"partner_id": other["partner_id"],
                                             "csrf_token": csrf_of(c.get("/keys").text)})
        assert r.status_code == 404
        assert _works(site.base, other["key"])
