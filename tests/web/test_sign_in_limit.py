"""The dashboard's sign-in limit, over HTTP: each test serves an app of its own with a low limit
(tests/web/test_sign_in.py has the rest of signing in; apart, the two files run on two workers)."""

from __future__ import annotations

import pytest

from tests.web.conftest import open_site
from tests.web.harness import PASSWORD, csrf_of

pytestmark = pytest.mark.slow


class TestSignInLimit:
    def test_attempts_beyond_the_limit_answer_429_even_with_the_right_password(self, tmp_path):
        with open_site(tmp_path, SELLERKIT_SIGN_IN_PER_MINUTE="2") as site, site.client() as c:
            token = csrf_of(c.get("/sign-in").text)
            codes = [c.post("/sign-in", data={"email": "owner@acme.test", "password": "wrong password!",
                                              "csrf_token": token}).status_code for _ in range(4)]
            right = c.post("/sign-in", data={"email": "owner@acme.test", "password": PASSWORD, "csrf_token": token})
        assert codes == [401] * 4
        assert right.status_code == 429
        assert "Too many sign-in attempts" in right.text

    @staticmethod
    def _attempts(client, forwarded: str, email: str, n: int = 1) -> list[int]:
        token = csrf_of(client.get("/sign-in").text)
        return [client.post("/sign-in", headers={"X-Forwarded-For": forwarded}, data={
            "email": email, "password": "wrong password!", "csrf_token": token}).status_code for _ in range(n)]

    def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(self, tmp_path):
        with open_site(tmp_path, SELLERKIT_SIGN_IN_PER_MINUTE="2",
                       SELLERKIT_TRUSTED_PROXIES='["127.0.0.1"]') as site, site.client() as c:
            first = self._attempts(c, "203.0.113.1", "owner@acme.test", 4)
            same_client = self._attempts(c, "203.0.113.1", "other@globex.test")
            other_client = self._attempts(c, "203.0.113.2", "other@globex.test")
        assert first == [401] * 4
        assert same_client == [429]
        assert other_client == [401]

    def test_without_trusted_proxies_x_forwarded_for_is_ignored(self, tmp_path):
        with open_site(tmp_path, SELLERKIT_SIGN_IN_PER_MINUTE="2") as site, site.client() as c:
            first = self._attempts(c, "203.0.113.1", "owner@acme.test", 4)
            forged = self._attempts(c, "203.0.113.2", "other@globex.test")
        assert first == [401] * 4
        assert forged == [429]  # one peer, 127.0.0.1, whatever it claims to forward
