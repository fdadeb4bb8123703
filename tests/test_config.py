"""Settings that decide where sellerkit keeps its data: the same place from any directory."""

from __future__ import annotations

from pathlib import Path

import platformdirs

import sellerkit
from sellerkit.config import Settings, default_data_dir

CHECKOUT = Path(sellerkit.__file__).resolve().parents[1]


class TestDataDir:
    def test_source_checkout_keeps_its_data_whatever_the_current_directory(self, monkeypatch, tmp_path):
        monkeypatch.delenv("SELLERKIT_DATA_DIR", raising=False)
        monkeypatch.chdir(tmp_path)
        assert Settings().data_dir == CHECKOUT / "data"

    def test_installed_package_uses_the_users_data_dir(self, tmp_path):
        package = tmp_path / "site-packages" / "sellerkit"
        package.mkdir(parents=True)
        assert default_data_dir(package) == Path(platformdirs.user_data_dir("sellerkit", appauthor=False))

    def test_relative_setting_is_made_absolute_once(self, monkeypatch, tmp_path):
        monkeypatch.setenv("SELLERKIT_DATA_DIR", "somewhere")
        monkeypatch.chdir(tmp_path)
        settings = Settings()
        monkeypatch.chdir(tmp_path.parent)
        assert settings.data_dir == tmp_path / "somewhere" and settings.data_dir.is_absolute()
        assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'somewhere' / 'sellerkit.db'}"

    def test_explicit_data_dir_is_kept(self, tmp_path):
        assert Settings(data_dir=tmp_path).data_dir == tmp_path
