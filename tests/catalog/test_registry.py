"""An account's providers are built from its connections, read at most every CONNECTIONS_TTL
seconds per process (a look-up pays no query), and at once after a connect in this process."""

from __future__ import annotations

import time

from sellerkit.catalog.providers import registry
from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.catalog.providers.connections import connections
from sellerkit.config import Settings


def test_connections_are_read_once_per_ttl_and_again_after_a_change(sqlite_db, tmp_path, monkeypatch):
    from sellerkit.accounts.service import keys

    with sqlite_db.session(write=True) as session:  # the default account: the settings' Keepa key is its
        keys.create(session, name="seller", plan="pro")
    settings = Settings(data_dir=tmp_path, demo=False, keepa_key="k" * 40)
    reads = []
    real = connections.connections_for
    monkeypatch.setattr(connections, "connections_for", lambda *a: reads.append(a) or real(*a))
    registry.forget_connections()
    budgets = Budgets(MemoryBudgets())
    first = registry.providers_for(sqlite_db, settings, budgets, 1)
    second = registry.providers_for(sqlite_db, settings, budgets, 1)
    assert [p.name for p in first] == [p.name for p in second] == ["keepa"]
    assert len(reads) == 1
    registry.forget_connections()
    registry.providers_for(sqlite_db, settings, budgets, 1)
    assert len(reads) == 2
    later = time.monotonic() + registry.CONNECTIONS_TTL + 1
    monkeypatch.setattr(registry.time, "monotonic", lambda: later)
    registry.providers_for(sqlite_db, settings, budgets, 1)
    assert len(reads) == 3  # past the TTL: read again
