"""The key that signs dashboard sessions: one per deployment, so a sign-in holds on any server."""

from __future__ import annotations

from sellerkit.config import Settings
from sellerkit.web.session import session_secret


def test_servers_with_their_own_data_dirs_sign_alike_from_the_deployment_secret(tmp_path):
    key = "one deployment's secret key, long enough"
    a = Settings(data_dir=tmp_path / "a", demo=False, secret_key=key)
    b = Settings(data_dir=tmp_path / "b", demo=False, secret_key=key)
    other = Settings(data_dir=tmp_path / "a", demo=False, secret_key="another deployment's secret key, long")
    assert session_secret(a) == session_secret(b) != session_secret(other)
    assert not (tmp_path / "a" / "session-secret").exists()  # nothing kept on a server's own disk


def test_without_a_secret_the_processes_of_one_data_dir_share_a_kept_key(tmp_path):
    settings = Settings(data_dir=tmp_path, demo=False)
    first = session_secret(settings)
    assert first == session_secret(settings) == (tmp_path / "session-secret").read_text().strip()


def test_a_configured_session_secret_wins(tmp_path):
    settings = Settings(data_dir=tmp_path, demo=False, secret_key="one deployment's secret key, long enough",
                        session_secret="chosen")
    assert session_secret(settings) == "chosen"
