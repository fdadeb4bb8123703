"""Fixtures of the dashboard's tests: one served app per module and the browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser import launched_browser
from tests.served import env_for, serve
from tests.web.harness import Site


@contextmanager
def open_site(data_dir: Path, **settings: str) -> Iterator[Site]:
    """`sellerkit serve` on a fresh data dir with two accounts' users: owner@acme.test (account
    acme) and other@globex.test (account globex). `settings`: SELLERKIT_* variables."""
    env = env_for(data_dir, **settings)
    s = Site(base="", env=env, data_dir=data_dir)
    s.add_user("owner@acme.test", "acme")
    s.add_user("other@globex.test", "globex")
    with serve(env) as base:
        s.base = base
        yield s


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One served app per test module. The sign-in limit is high here: every test signs in from
    127.0.0.1 (tests/web/test_sign_in_limit.py::TestSignInLimit serves its own app to test it)."""
    with open_site(tmp_path_factory.mktemp("web"), SELLERKIT_SIGN_IN_PER_MINUTE="1000") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


@pytest.fixture
def page(browser, site):
    """A fresh browser context (no cookies) at 1280x800."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    yield tab
    context.close()
