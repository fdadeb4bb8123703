"""The in-memory result frames and what is derived from them (scans/store.py ResultCache)."""

from __future__ import annotations

import polars as pl

from sellerkit.kit.blobs import LocalBlobs
from sellerkit.scans.store import ResultCache, ScanFiles


def _files(tmp_path, scan_id: int = 1) -> ScanFiles:
    files = ScanFiles(LocalBlobs(tmp_path / "data"), scan_id)
    files.write_part(1, 0, pl.DataFrame({"asin": ["A", "B", "C"]}), pl.DataFrame({"line": [9]}))
    return files


class TestDerived:
    def test_a_cached_frames_value_is_computed_once(self, tmp_path):
        cache, files, calls = ResultCache(), _files(tmp_path), []
        cache.get(files, "results", 1, final=True)
        for _ in range(3):
            assert cache.derived(files, "results", 1, "f", lambda: calls.append(1) or 42) == 42
        assert len(calls) == 1

    def test_different_keys_are_computed_apart(self, tmp_path):
        cache, files = ResultCache(), _files(tmp_path)
        cache.get(files, "results", 1, final=True)
        assert cache.derived(files, "results", 1, "a", lambda: 1) == 1
        assert cache.derived(files, "results", 1, "b", lambda: 2) == 2

    def test_a_frame_still_being_written_is_computed_each_time(self, tmp_path):
        cache, files, calls = ResultCache(), _files(tmp_path), []
        cache.get(files, "results", 1, final=False)
        for _ in range(2):
            cache.derived(files, "results", 1, "f", lambda: calls.append(1))
        assert len(calls) == 2

    def test_forgetting_the_frame_forgets_its_values(self, tmp_path):
        cache, files, calls = ResultCache(), _files(tmp_path), []
        cache.get(files, "results", 1, final=True)
        cache.derived(files, "results", 1, "f", lambda: calls.append(1))
        cache.forget(files)
        cache.get(files, "results", 1, final=True)
        cache.derived(files, "results", 1, "f", lambda: calls.append(1))
        assert len(calls) == 2
