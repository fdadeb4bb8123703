"""`/docs` and `/redoc` in a real Chromium: they render and ask no other host for anything."""

from __future__ import annotations

import shutil

import pytest

from tests.served import env_for, serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make test installs it)")
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (.ci/run installs it with apt)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        yield b
        b.close()


@pytest.mark.slow
class TestDocsPages:
    @pytest.mark.parametrize("page, shown", [("docs", "/api/v3/convert"), ("redoc", "RocketSource: scans")])
    def test_page_renders_and_loads_nothing_from_another_host(self, browser, tmp_path, page, shown):
        with serve(env_for(tmp_path)) as base:
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            elsewhere: list[str] = []
            tab.on("request", lambda r: elsewhere.append(r.url)
                   if not r.url.startswith((base, "data:", "blob:")) else None)
            tab.goto(f"{base}/{page}", wait_until="networkidle")
            tab.get_by_text(shown).first.wait_for(timeout=10_000)
            tab.screenshot(path=str(tmp_path / f"{page}.png"))
            assert elsewhere == []
            tab.close()
