"""Home: the signed-in account's scans and tokens, never another account's."""

from __future__ import annotations

import httpx
import pytest

from tests.web.harness import screenshot, sign_in, watch_other_hosts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scans(site):
    """A scan uploaded through the API by each account."""
    made = {}
    for account, name in (("acme", "acme-supplier.csv"), ("globex", "globex-supplier.csv")):
        key = site.add_user(f"scanner@{account}.test", account)["key"]
        r = httpx.post(f"{site.base}/api/v3/scans", headers={"Authorization": f"Bearer {key}"},
                       files={"file": (name, b"036000291452,1.50\n012345678905,2.00\n", "text/csv")},
                       data={"marketplace": "US"}, timeout=30)
        assert r.status_code == 201, r.text
        made[account] = r.json()
    return made


class TestHome:
    def test_shows_recent_scans_and_tokens_of_the_account_only(self, page, site, scans):
        elsewhere = watch_other_hosts(page, site.base)
        sign_in(page, site.base, "owner@acme.test")
        table = page.get_by_role("region", name="Recent scans")
        assert table.get_by_role("link", name=f"Scan {scans['acme']['id']}").is_visible()
        assert table.get_by_text("acme-supplier.csv").is_visible()
        assert table.get_by_text("globex-supplier.csv").count() == 0
        assert page.get_by_text("Tokens left today").is_visible()
        assert page.get_by_role("link", name="Home", exact=True).get_attribute("aria-current") == "page"
        screenshot(page, "home")
        assert elsewhere == []

    def test_is_usable_at_phone_width(self, page, site, scans):
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, site.base, "owner@acme.test")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the screen: tables scroll inside their box
        assert page.get_by_role("link", name="Keys", exact=True).is_visible()
