"""Fixtures for exports: a service-account key of our own and Google answered from recordings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sellerkit.config import Settings
from tests.scans.recorded_google import RecordedGoogle


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    """A fresh RSA key, so google-auth really signs its JWT (no key is kept in the repository)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def service_account_file(tmp_path: Path, private_key_pem: str) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account",
        "project_id": "sellerkit-tests",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": private_key_pem,
        "client_email": "exports@sellerkit-tests.iam.gserviceaccount.com",
        "client_id": "104729104729104729104",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    return path


@pytest.fixture
def sheets_settings(service_account_file: Path) -> Settings:
    return Settings(_env_file=None, google_service_account_file=service_account_file,
                    google_drive_folder_id="0AFolderInASharedDrive",
                    google_share_with="seller@example.com")


@pytest.fixture
def google(monkeypatch) -> RecordedGoogle:
    fake = RecordedGoogle()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send",
                        lambda adapter, request, **kwargs: fake.send(request))
    return fake
