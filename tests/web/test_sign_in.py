"""Signing in and out of the dashboard, in a real Chromium and over HTTP."""

from __future__ import annotations

import time

import pytest

from tests.web.conftest import open_site
from tests.web.harness import PASSWORD, csrf_of, screenshot, sign_in, watch_other_hosts

pytestmark = pytest.mark.slow


class TestSignedOut:
    @pytest.mark.parametrize("path", ["/", "/keys", "/password"])
    def test_a_page_redirects_to_sign_in(self, site, path):
        with site.client() as c:
            r = c.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/sign-in")

    def test_the_sign_in_form_has_email_password_and_a_csrf_input(self, site):
        with site.client() as c:
            html = c.get("/sign-in").text
        assert 'type="email"' in html and 'type="password"' in html
        assert 'type="hidden" name="csrf_token"' in html

    def test_the_session_cookie_is_httponly_and_samesite_lax(self, site):
        with site.client() as c:
            cookie = c.get("/sign-in").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    def test_behind_tls_the_cookie_is_secure(self, site):
        with site.client() as c:
            cookie = c.get("/sign-in", headers={"x-forwarded-proto": "https"}).headers["set-cookie"].lower()
        assert "secure" in cookie


class TestErrorPages:
    def test_a_browser_gets_the_404_page_and_an_api_client_json(self, site):
        with site.client("owner@acme.test") as c:
            page = c.get("/no-such-page", headers={"accept": "text/html,application/xhtml+xml"})
            api = c.get("/no-such-page")
        assert page.status_code == 404 and "There is no page at /no-such-page" in page.text
        assert api.status_code == 404 and api.json()["status"] == 404


class TestSignIn:
    def test_wrong_password_is_refused_with_the_form_again(self, site):
        with site.client() as c:
            r = c.post("/sign-in", data={"email": "owner@acme.test", "password": "not the password",
                                         "csrf_token": csrf_of(c.get("/sign-in").text)})
        assert r.status_code == 401
        assert "do not match" in r.text

    def test_a_form_posted_without_its_csrf_token_is_refused(self, site):
        with site.client() as c:
            c.get("/sign-in")
            r = c.post("/sign-in", data={"email": "owner@acme.test", "password": PASSWORD})
        assert r.status_code == 403
        assert "security token" in r.text

    def test_a_signed_in_form_posted_without_its_csrf_token_is_refused(self, site):
        with site.client("owner@acme.test") as c:
            r = c.post("/sign-out", data={})
            assert r.status_code == 403
            assert c.get("/").status_code == 200  # still signed in

    def test_a_tampered_cookie_signs_nobody_in(self, site):
        with site.client("owner@acme.test") as c:
            value = c.cookies["sk_session"]
            c.cookies.set("sk_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
            assert c.get("/").status_code == 303

class TestSessionEnds:
    def test_an_expired_session_gets_the_expired_page(self, tmp_path):
        with open_site(tmp_path, SELLERKIT_SESSION_HOURS="0.0005") as site, site.client("owner@acme.test") as c:
            assert c.get("/").status_code == 200
            time.sleep(2.5)  # 0.0005 h is 1.8 s
            r = c.get("/")
            assert (r.status_code, r.headers["location"]) == (303, "/sign-in?expired=1")
            assert "Your session has expired" in c.get(r.headers["location"]).text

    def test_changing_the_password_signs_out_other_sessions(self, site):
        site.add_user("changer@acme.test", "acme")
        with site.client("changer@acme.test") as other, site.client("changer@acme.test") as c:
            r = c.post("/password", data={"current_password": PASSWORD, "new_password": "a brand new password",
                                          "repeat_password": "a brand new password",
                                          "csrf_token": csrf_of(c.get("/password").text)})
            assert r.status_code == 303
            assert c.get("/").status_code == 200  # this session carries on
            assert other.get("/").status_code == 303  # the other one must sign in again
        with site.client("changer@acme.test", "a brand new password") as again:
            assert again.get("/").status_code == 200

    def test_a_wrong_current_password_changes_nothing(self, site):
        with site.client("owner@acme.test") as c:
            r = c.post("/password", data={"current_password": "not it at all", "new_password": "x" * 12,
                                          "repeat_password": "x" * 12, "csrf_token": csrf_of(c.get("/password").text)})
            assert r.status_code == 400 and "not your current password" in r.text
        with site.client("owner@acme.test"):
            pass  # the old password still signs in


class TestBrowser:
    def test_sign_in_shows_home_and_loads_nothing_from_another_host(self, page, site):
        elsewhere = watch_other_hosts(page, site.base)
        page.goto(f"{site.base}/password")
        assert "/sign-in" in page.url
        screenshot(page, "sign-in")
        sign_in(page, site.base, "owner@acme.test")
        assert page.get_by_role("navigation", name="Main").is_visible()
        assert elsewhere == []

    def test_sign_out_ends_the_session(self, page, site):
        sign_in(page, site.base, "owner@acme.test")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{site.base}/sign-in")
        assert page.get_by_text("You are signed out.").is_visible()
        page.goto(f"{site.base}/")
        assert "/sign-in" in page.url

    def test_the_nav_is_reachable_by_keyboard_with_a_visible_focus(self, page, site):
        sign_in(page, site.base, "owner@acme.test")
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert page.evaluate("document.activeElement.tagName") == "A"
        assert outline not in ("none", "")
