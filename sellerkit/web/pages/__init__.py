"""Dashboard pages: each module defines `router = page_router()` (sellerkit/web/page.py) and is
mounted by sellerkit.web.site without further registration."""
