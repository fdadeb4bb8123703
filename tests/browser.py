"""Debian's chromium driven by Playwright (no browser download), shared by the browser tests."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def launched_browser():
    """A generator for a fixture: the browser, or a skip saying what is missing."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make test installs it)")
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (.ci/run installs it with apt)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
