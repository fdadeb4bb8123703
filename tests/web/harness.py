"""The dashboard under test: a real `sellerkit serve` on a temporary data dir, users made with
`sellerkit users create`, and helpers to sign in, watch for requests to other hosts and write
screenshots (1280x800; `make screenshots` refreshes the README's, in docs/screenshots/)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.served import cli

# A run's screenshots go to .screenshots/ (look at them there); `make screenshots` writes the
# committed ones (docs/screenshots, which the README shows), so a test run leaves the checkout clean.
SCREENSHOTS = Path(os.environ.get("SELLERKIT_SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".screenshots")
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"


@dataclass
class Site:
    """A served app and what the tests made in it."""

    base: str
    env: dict
    data_dir: Path
    users: dict[str, int] = field(default_factory=dict)  # email -> account id

    def add_user(self, email: str, account: str, password: str = PASSWORD, plan: str = "pro") -> dict:
        """A user of `account` (made, with an API key, when new) who can sign in."""
        key = json.loads(cli(self.env, "keys", "create", "--name", account, "--account", account,
                             "--plan", plan, "--json"))
        secret = self.data_dir / f"{email}.password"
        secret.write_text(password + "\n")
        cli(self.env, "users", "create", "--email", email, "--password-file", str(secret),
            "--account", str(key["account_id"]))
        self.users[email] = key["account_id"]
        return key

    @contextmanager
    def client(self, email: str | None = None, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """An HTTP client holding the session cookie (signed in as `email` when given)."""
        with httpx.Client(base_url=self.base, follow_redirects=False, timeout=30) as c:
            if email:
                r = c.post("/sign-in", data={"email": email, "password": password,
                                             "csrf_token": csrf_of(c.get("/sign-in").text)})
                assert r.status_code == 303, r.text[:500]
            yield c


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF input on the page"
    return match.group(1)


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would; lands on the home page."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def watch_other_hosts(page, base: str) -> list[str]:
    """Every request the page makes to another host, appended as it happens."""
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url)
            if not r.url.startswith((base, "data:", "blob:")) else None)
    return elsewhere


def screenshot(page, name: str, viewport: dict = VIEWPORT) -> Path:
    """<SCREENSHOTS>/<name>.png of the page at 1280x800 (the README shows two of them), or at
    another `viewport` (PHONE)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(viewport)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# What overflows the device's width sideways: the page's scroll width, and each element past it
# that is not inside a scrolling `.overflow` box (tables scroll there, the page does not). The
# width is the device's, not innerWidth: a mobile browser widens its layout viewport to what
# overflows, so innerWidth alone would hide it.
OVERFLOW = """(width) => {
  const wide = [...document.body.querySelectorAll("*")].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 1 || box.left < -1) && !(e.parentElement && e.parentElement.closest(".overflow"))
      && !e.closest(".skip") && getComputedStyle(e).position !== "fixed";
  }).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth, width: width,
          wide: wide.slice(0, 5)};
}"""


def overflow(page, width: int) -> dict:
    """`OVERFLOW` on the page as it is shown now, on a device `width` pixels wide."""
    return page.evaluate(OVERFLOW, width)
