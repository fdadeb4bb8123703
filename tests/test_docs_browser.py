"""`/docs` and `/redoc` in a real Chromium: they render and ask no other host for anything."""

from __future__ import annotations

import pytest

from tests.browser import launched_browser
from tests.served import env_for, serve


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


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
            # Swagger UI and ReDoc render the whole document in the page's script after it loaded:
            # seconds of CPU, which a loaded machine stretches past 10 s (the run's other workers)
            tab.get_by_text(shown).first.wait_for(timeout=60_000)
            tab.screenshot(path=str(tmp_path / f"{page}.png"))
            assert elsewhere == []
            tab.close()
