"""`Database.reader`: plain SQL for the hot read paths, on SQLite from connections kept apart from
SQLAlchemy's pool (its checkout cost more than the statements)."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from sellerkit.kit.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'reader.db'}")
    with database.session(write=True) as s:
        s.execute(sa.text("CREATE TABLE t (n INTEGER)"))
    yield database
    database.dispose()


def insert(db: Database, n: int) -> None:
    with db.session(write=True) as s:
        s.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": n})


class TestReader:
    def test_sees_what_was_committed_since_its_connection_was_last_used(self, db):
        with db.reader() as reader:
            assert reader.rows("SELECT count(*) FROM t", ()) == [(0,)]
        insert(db, 1)
        with db.reader() as reader:
            assert reader.rows("SELECT count(*) FROM t", ()) == [(1,)]

    def test_reuses_a_connection_once_it_is_given_back(self, db):
        with db.reader() as first:
            conn = first._conn
        with db.reader() as second:
            assert second._conn is conn

    def test_readers_at_once_have_their_own_connections(self, db):
        with db.reader() as first, db.reader() as second:
            assert first._conn is not second._conn

    def test_a_failed_statement_leaves_no_transaction_behind(self, db):
        with pytest.raises(sqlite3.OperationalError), db.reader() as reader:
            reader.rows("SELECT * FROM missing", ())
        with db.reader() as reader:
            assert not reader._conn.in_transaction

    def test_keeps_only_a_few_idle_connections_after_a_burst(self, db):
        from contextlib import ExitStack

        from sellerkit.kit.db import IDLE_READERS_KEPT

        with ExitStack() as stack:
            conns = [stack.enter_context(db.reader())._conn for _ in range(IDLE_READERS_KEPT + 3)]
        kept = [c for c in conns if c in db._idle_readers]
        assert len(kept) == IDLE_READERS_KEPT
        with pytest.raises(sqlite3.ProgrammingError):
            next(c for c in conns if c not in kept).execute("SELECT 1")

    def test_dispose_closes_the_idle_connections(self, db):
        with db.reader() as reader:
            conn = reader._conn
        db.dispose()
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")

    def test_an_in_memory_database_reads_through_the_pool(self):
        memory = Database("sqlite://")
        with memory.reader() as reader:
            assert reader.rows("SELECT 1", ()) == [(1,)]
        memory.dispose()
