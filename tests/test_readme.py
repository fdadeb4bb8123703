"""The README's examples use codes the default demo catalog (what `make run` loads) holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sellerkit.catalog.demo import generate
from sellerkit.config import Settings
from sellerkit.domain.identifiers import parse

README = Path(__file__).resolve().parents[1] / "README.md"
CODE = re.compile(r"\b(B0[0-9A-Z]{8}|[0-9]{12,13}|[0-9]{9}[0-9X])\b")


@pytest.fixture(scope="module")
def demo_codes() -> set[str]:
    """ASINs and the GTIN keys of every identifier of the US demo catalog `make run` loads."""
    defaults = Settings(data_dir=Path("/nonexistent"))
    codes: set[str] = set()
    for record in generate(defaults.demo_products, seed=defaults.demo_seed):
        if record.get("type") == "observation" or record["marketplace"] != "US":
            continue
        codes.add(parse(record["asin"]).key if record["asin"][0].isdigit() else record["asin"])
        for values in record.get("identifiers", {}).values():
            codes.update(parse(v).key for v in values)
    return codes


class TestReadme:
    def test_every_code_in_the_readme_is_in_the_demo_catalog(self, demo_codes):
        used = set(CODE.findall(README.read_text()))
        assert len(used) >= 6
        missing = {c for c in used if (c if c.startswith("B0") else parse(c).key) not in demo_codes}
        assert missing == set()
