"""A scan's side of live data: the codes its file needs, what its status shows while they are
asked (`scans.enrichment`), and the errors table's reasons for codes no provider knows.

Only a scan whose account has providers for its marketplace comes here (`Runner._enrich`); one
without runs exactly as before, with no extra pass over its file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson
import polars as pl

from sellerkit.catalog.providers.base import Provider
from sellerkit.catalog.providers.registry import unavailable
from sellerkit.catalog.providers.service import STAGES, Outcome
from sellerkit.domain import identifiers as ids
from sellerkit.scans import files

log = logging.getLogger("sellerkit.scans")
_said = threading.Event()


def say_unavailable_once() -> None:
    """Once per process: scans use the local catalog only, and what turns live data on."""
    if not _said.is_set():
        _said.set()
        missing = unavailable([])
        log.info("no live data connected: scans and look-ups use the local catalog only (%s); turn it on with %s",
                 ", ".join(m["data"] for m in missing), missing[0]["turn_on"])


class Enrichment:
    """What `scans.enrichment` holds (the status reply's `enrichment`)."""

    def __init__(self, providers: list[Provider]) -> None:
        self.providers = [p.name for p in providers]
        self.stage: str | None = "match" if providers else None
        self.stages: dict[str, dict] = {}
        self.waiting_on: list[dict] = []
        self.expected_finish_at: str | None = None
        self.unavailable = unavailable(providers)

    def update(self, report: dict) -> None:
        """A LiveData progress report: its stages replace those of the same name."""
        self.stages.update(report.get("stages") or {})
        self.waiting_on = report.get("waiting_on") or []
        self.expected_finish_at = report.get("expected_finish_at")
        if self.stage in STAGES:
            self.stage = next((s for s in STAGES if s in self.stages
                               and self.stages[s]["done"] < self.stages[s]["total"]), self.stage)

    def as_dict(self) -> dict:
        waiting = self.stage not in ("results", "done")
        return {"stage": self.stage, "providers": self.providers,
                "stages": {s: self.stages[s] for s in STAGES if s in self.stages},
                "waiting_on": self.waiting_on if waiting else [],
                "expected_finish_at": self.expected_finish_at if waiting else None,
                "unavailable": self.unavailable}

    def json(self) -> str:
        return orjson.dumps(self.as_dict()).decode()


@dataclass
class Wanted:
    """The distinct codes of a file: identifiers to match (one per key), ASINs, and how many
    rows each key or ASIN stands for."""

    codes: list[ids.Identifier] = field(default_factory=list)
    asins: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def identifier_column(source: files.Source, column: int, skip: int, start: int, size: int) -> Iterator[pl.Series]:
    """The identifier cells of the rows from chunk `start` on: a CSV from the frame the scan
    reads anyway, a workbook streamed once more but only as wide as that column."""
    if source.fmt == "xlsx":
        source = files.Source(source.path, source.fmt, source.limits, width=column + 1, name=source.name,
                              decimal=source.decimal)
    for chunk in source.chunks(size, skip=skip, start=start):
        name = f"c{column}"
        yield chunk.get_column(name) if name in chunk.columns else pl.Series(name, [None] * chunk.height, pl.String)


def wanted(columns: Iterable[pl.Series]) -> Wanted:
    """Each valid code once, parsed as the pipeline reads it (`identifiers.keys_frame`)."""
    frames = []
    for text in columns:
        verdicts = ids.keys_frame(text)
        frames.append(pl.DataFrame({"raw": text.cast(pl.String), "key": verdicts.get_column("key"),
                                    "kind": verdicts.get_column("kind")}).filter(pl.col("key").is_not_null()))
    out = Wanted()
    if not frames:
        return out
    grouped = pl.concat(frames).group_by("key", maintain_order=True).agg(
        pl.first("kind"), pl.first("raw"), pl.len().alias("rows"))
    for key, kind, raw, rows in grouped.iter_rows():
        out.rows[key] = rows
        if kind == "asin":
            out.asins.append(key)
            continue
        try:
            out.codes.extend(ids.parse(raw).readings())  # a code valid two ways is asked both ways
        except ids.InvalidIdentifier:  # keys_frame and parse agree; nothing to ask if they ever do not
            continue
    return out


def unknown_frame(outcome: Outcome, wanted: Wanted) -> pl.DataFrame | None:
    """(key, reason) of the file's codes that no product matched for a live-data reason: a
    provider said it has none, or it could not be asked now."""
    reasons: dict[str, str] = {}
    for code, why in outcome.unreached.items():
        reasons[code] = f"identifier: not found in the catalog and not looked up now ({why}); scan again to retry"
    for code, why in outcome.unknown.items():
        reasons[code] = f"identifier: {why}"
    reasons = {k: v for k, v in reasons.items() if k in wanted.rows}
    if not reasons:
        return None
    return pl.DataFrame({"key": list(reasons), "reason": list(reasons.values())},
                        schema={"key": pl.String, "reason": pl.String})


async def close(providers: list[Provider]) -> None:
    for provider in providers:
        try:
            await provider.aclose()
        except Exception:  # noqa: BLE001 - closing never fails a scan
            log.warning("closing provider %s failed", provider.name, exc_info=True)
