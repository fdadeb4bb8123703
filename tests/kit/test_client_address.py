"""The client's address behind trusted reverse proxies (kit/http.py `forwarded_client`)."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from pydantic import ValidationError

from sellerkit.config import Settings
from sellerkit.kit.http import forwarded_client

PROXIES = [ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32")]


class TestForwardedClient:
    def test_an_untrusted_peer_is_the_client_whatever_it_forwards(self):
        assert forwarded_client("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"

    def test_a_trusted_peer_names_the_client_in_its_last_entry(self):
        assert forwarded_client("127.0.0.1", ["198.51.100.1"], PROXIES) == "198.51.100.1"

    def test_a_forged_entry_left_of_the_real_client_is_ignored(self):
        assert forwarded_client("127.0.0.1", ["1.2.3.4, 198.51.100.1"], PROXIES) == "198.51.100.1"

    def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_address(self):
        assert forwarded_client("127.0.0.1", ["1.2.3.4, 198.51.100.1, 10.1.2.3"], PROXIES) == "198.51.100.1"

    def test_repeated_headers_are_one_list_in_order(self):
        assert forwarded_client("127.0.0.1", ["198.51.100.1", "10.0.0.2"], PROXIES) == "198.51.100.1"

    def test_a_trusted_peer_without_the_header_is_the_client(self):
        assert forwarded_client("127.0.0.1", [], PROXIES) == "127.0.0.1"

    def test_ipv6_clients_and_proxies(self):
        assert forwarded_client("fd00::1", ["2001:db8::7"], [ip_network("fd00::/8")]) == "2001:db8::7"


class TestTrustedProxiesSetting:
    def test_default_trusts_no_proxy(self):
        assert Settings(_env_file=None).trusted_proxies == []

    def test_reads_addresses_and_networks_from_a_json_list(self, monkeypatch):
        monkeypatch.setenv("SELLERKIT_TRUSTED_PROXIES", '["127.0.0.1", "10.0.0.0/8"]')
        assert Settings(_env_file=None).trusted_proxies == [ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8")]

    def test_refuses_a_value_that_is_no_address(self, monkeypatch):
        monkeypatch.setenv("SELLERKIT_TRUSTED_PROXIES", '["proxy.local"]')
        with pytest.raises(ValidationError, match="trusted_proxies"):
            Settings(_env_file=None)
