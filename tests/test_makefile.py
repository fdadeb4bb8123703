"""The two set-up commands install what they need and no more (read from `make -n`, nothing run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")


def planned(target: str, venv: Path) -> str:
    """The commands `make TARGET` would run on a machine without the venv yet."""
    return subprocess.run(["make", "--no-print-directory", "-n", "-C", str(CHECKOUT), target, f"VENV={venv}"],
                          check=True, capture_output=True, text=True).stdout


class TestMakefile:
    def test_run_installs_no_test_extra(self, tmp_path):
        plan = planned("run", tmp_path / "venv")
        assert "pip install --quiet -e ." in plan and "[test]" not in plan
        assert plan.rstrip().endswith("sellerkit serve")

    def test_test_installs_the_test_extra(self, tmp_path):
        assert "pip install --quiet -e '.[test]'" in planned("test", tmp_path / "venv")

    def test_key_uses_the_venvs_sellerkit(self, tmp_path):
        plan = planned("key", tmp_path / "venv")
        assert f"{tmp_path / 'venv'}/bin/sellerkit keys create --name 'me' --plan 'pro'" in plan


def test_recipes_write_bytecode_caches(tmp_path):
    """A machine that sets PYTHONDONTWRITEBYTECODE would have every process compile every module
    again (seconds per server, worker and CLI call); make's recipes run without it."""
    out = subprocess.run(["make", "--no-print-directory", "-C", str(CHECKOUT), "--eval",
                          "_shows_env: ; @echo \"[$$PYTHONDONTWRITEBYTECODE]\"", "_shows_env"],
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
