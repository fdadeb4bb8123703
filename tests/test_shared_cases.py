"""A clone without ../shared collects the same tests as one with it: the cases read from shared
files are skipped with the reason, not silently left out of the count."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import SHARED

CHECKOUT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared folder not found at {SHARED}: nothing to compare")


def pytest_start(shared: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SELLERKIT_TEST_SHARED": str(shared), "PYTHONPATH": str(CHECKOUT)}
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "shared", *args, "tests"],
                            cwd=CHECKOUT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def outputs(*procs: subprocess.Popen) -> list[str]:
    """Each process's standard output once it has ended; any left running at a failure is killed."""
    try:
        return [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def per_test(node_ids: list[str]) -> Counter:
    return Counter(node.split("[")[0] for node in node_ids)


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> dict:
    """The whole suite collected with ../shared, and run (shared cases only) without it."""
    missing = tmp_path_factory.mktemp("clone") / "shared"
    # the two runs at once (each is mostly a collection of the whole suite): one after the other
    # they were the longest setup of the suite, leaving a core idle whenever the other worker waits
    present, absent = outputs(pytest_start(SHARED, "--collect-only", "-q"), pytest_start(missing, "-v", "-rs"))
    return {
        "missing": missing,
        "present": [line for line in present.splitlines() if line.startswith("tests/") and "::" in line],
        "present_others": int(re.search(r"\((\d+) deselected\)", present).group(1)),
        "absent": re.findall(r"^(tests/\S+) SKIPPED", absent, re.M),
        "absent_others": int(re.search(r"(\d+) deselected", absent).group(1)),
        "absent_output": absent,
    }


class TestSharedCases:
    def test_clone_without_shared_collects_every_case(self, suites):
        assert len(suites["present"]) > 300 and suites["absent_others"] == suites["present_others"]
        present, absent = per_test(suites["present"]), per_test(suites["absent"])
        assert {test: (n, absent[test]) for test, n in present.items() if absent[test] != n} == {}

    def test_absent_cases_are_skipped_naming_the_missing_file(self, suites):
        out = suites["absent_output"]
        reasons = re.findall(r"^SKIPPED \[(\d+)\] \S+: (.*)$", out, re.M)
        assert sum(int(n) for n, _ in reasons) == len(suites["absent"]) > 300
        assert all("not found" in why and str(suites["missing"]) in why for _, why in reasons)
        assert re.search(r"\b(passed|failed|error)\b", out.splitlines()[-1]) is None
