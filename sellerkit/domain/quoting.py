"""A client's value quoted in an error message: a short prefix of it, never the whole input.

Every message that shows what a client sent goes through `quote()`, so an error about a 95 MB
identifier costs what an error about a short one costs, and control characters cannot reach a
terminal or a log line unescaped.
"""

from __future__ import annotations

import json
from decimal import Decimal

QUOTE_CHARS = 40  # characters of a value shown in a message; its full length is said beside


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """`value` as the client wrote it (JSON: `"abc"`, `5`, `true`, `null`), cut to its first
    `limit` characters with its length said when longer: `"97800000…" (95,000,000 characters)`."""
    if isinstance(value, str):
        if len(value) <= limit:
            return json.dumps(value, ensure_ascii=False)
        return f"{json.dumps(value[:limit], ensure_ascii=False)[:-1]}…\" ({len(value):,} characters)"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def quote_expr(text, limit: int = QUOTE_CHARS):
    """`quote()` for a polars string column (a scan's per-row messages): the first `limit`
    characters in double quotes, with `…` and the length when cut. Null stays null."""
    import polars as pl

    length = text.str.len_chars()
    return (pl.when(length <= limit)
            .then(pl.lit('"') + text + pl.lit('"'))
            .otherwise(pl.lit('"') + text.str.slice(0, limit) + pl.lit('…" (')
                       + length.cast(pl.String) + pl.lit(" characters)")))
