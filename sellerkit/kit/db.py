"""Database engine and sessions: SQLite (embedded default) or PostgreSQL, one code path.

Requests and tasks own their transaction (`Database.session()` commits on success);
services and repositories only use the session they are given.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator

log = logging.getLogger("sellerkit.db")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MODEL_MODULES = ("sellerkit.accounts.models", "sellerkit.catalog.models", "sellerkit.catalog.providers.models",
                 "sellerkit.scans.models", "sellerkit.commerce.models", "sellerkit.kit.webhooks",
                 "sellerkit.tracking.models")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, whatever the backend stores (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())


def utcnow() -> datetime:
    return datetime.now(UTC)


def import_all_models() -> sa.MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs) -> Engine:
    if is_sqlite(url):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _tune_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        for pragma in (
            "page_size=16384",  # new databases only; fewer, larger pages load 1.5 KB records faster
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
            "foreign_keys=ON",
            "cache_size=-131072",
            "wal_autocheckpoint=8192",  # checkpoint per 128 MiB of WAL, not per 4 MiB: bulk loads
            "mmap_size=2147418112",  # up to 2 GiB mapped: pages another process wrote cost no re-read
            "temp_store=MEMORY",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front so busy_timeout applies; readers stay deferred
        # and never block behind a long import.
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def _committed(sessions: sessionmaker) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class Database:
    """An engine plus session factories for reads and writes."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(write=True), expire_on_commit=False
        )
        # SQLite file databases: readers' connections kept apart from SQLAlchemy's pool, whose
        # checkout and return (events, reset) cost more than the key check they serve.
        self._idle_readers: list | None = [] if isinstance(self.engine.pool, QueuePool) and self.is_sqlite else None
        self._generation_conn = None  # SQLite file databases: asks `PRAGMA data_version`, never writes
        self._generation_lock = threading.Lock()
        self._epoch = 0  # a new connection's data_version starts again: the epoch keeps numbers apart
        self._memos: dict[str, tuple[int, dict]] = {}

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        with _committed(self._write if write else self._read) as session:
            yield session

    @contextmanager
    def bulk_load(self) -> Iterator[BulkLoad]:
        """One connection for a long series of write transactions (an import), checkpointed
        at the end. See BulkLoad for what it does on SQLite."""
        with self.engine.connect() as conn:
            writes = conn.execution_options(write=True)
            load = BulkLoad(writes, self.engine if self.is_sqlite else None)
            try:
                yield load
            finally:
                load.close()
        self.checkpoint()

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the database file after a bulk load, so readers
        do not consult a long log for every page they read."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def generation(self) -> int | None:
        """A number that changes whenever any connection but one of its own commits to the
        database, this process's and others' alike: SQLite's `PRAGMA data_version` on a
        connection that only asks it (a few microseconds). What was derived from the data after
        reading one generation holds while it is read again unchanged (`memo`). None where there
        is no such cheap check (PostgreSQL, an in-memory database): read the data itself."""
        if self._idle_readers is None:
            return None
        with self._generation_lock:
            conn = self._generation_conn
            if conn is None:
                pooled = self.engine.raw_connection()  # configured as every other, out of the pool
                conn = self._generation_conn = pooled.driver_connection
                pooled.detach()
                self._epoch += 1
            return (self._epoch << 48) | conn.execute("PRAGMA data_version").fetchone()[0]

    def memo(self, name: str, generation: int) -> dict:
        """A dict of what callers derive from the data under `name`, emptied when the generation
        moved (`Reader.memo`)."""
        held = self._memos.get(name)
        if held is None or held[0] != generation:
            held = self._memos[name] = (generation, {})
        return held[1]

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        idle = self._idle_readers
        if idle is None:
            pooled = self.engine.raw_connection()  # back to the pool (rolled back) on close
            try:
                yield Reader(pooled.driver_connection, self.engine.dialect.paramstyle)
            finally:
                pooled.close()
            return
        try:
            conn = idle.pop()
        except IndexError:  # one more reader at once than ever before: a connection of the engine's
            pooled = self.engine.raw_connection()  # (configured as every other), taken out of its pool
            conn = pooled.driver_connection
            pooled.detach()
        try:
            yield Reader(conn, "qmark", self)
        finally:
            if conn.in_transaction:  # autocommit: only a statement that failed half-way leaves one
                conn.rollback()
            if len(idle) < IDLE_READERS_KEPT:
                idle.append(conn)
            else:  # a burst of readers at once: as SQLAlchemy's pool, keep only a few (page caches)
                conn.close()

    def migrate(self) -> None:
        from sellerkit.migrations import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        idle, self._idle_readers = self._idle_readers, ([] if self._idle_readers is not None else None)
        for conn in idle or ():
            conn.close()
        with self._generation_lock:
            if self._generation_conn is not None:
                self._generation_conn.close()
                self._generation_conn = None
        self.engine.dispose()


IDLE_READERS_KEPT = 5  # SQLAlchemy's default pool size
BULK_CACHE_KIB = 256 * 1024  # SQLite page cache of a bulk load's connection


class BulkLoad:
    """Write transactions on one connection, for bulk loads.

    On SQLite the connection keeps a larger page cache (an import's index pages stay in it
    from one transaction to the next) and does not checkpoint when it commits: a checkpoint
    copies the write-ahead log into the database and fsyncs both, seconds that would stall
    the writer. A background thread with its own connection checkpoints each committed
    transaction instead, while the next one is written (SQLite releases the GIL meanwhile).
    """

    def __init__(self, conn: sa.Connection, sqlite_engine: Engine | None) -> None:
        self._conn = conn
        self._sessions = sessionmaker(conn, expire_on_commit=False)
        self._checkpointer: _Checkpointer | None = None
        if sqlite_engine is not None:
            self._pragmas = {p: self._pragma(p) for p in ("cache_size", "wal_autocheckpoint")}
            self._pragma(f"cache_size=-{BULK_CACHE_KIB}")
            self._pragma("wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(sqlite_engine)

    def _pragma(self, pragma: str):
        """On the driver connection: through SQLAlchemy it would begin a transaction."""
        row = self._conn.connection.driver_connection.execute(f"PRAGMA {pragma}").fetchone()
        return row[0] if row else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One write transaction, committed on success."""
        with _committed(self._sessions) as session:
            yield session
        if self._checkpointer:
            self._checkpointer.kick()

    def close(self) -> None:
        if self._checkpointer:
            self._checkpointer.stop()
            for pragma, value in self._pragmas.items():
                self._pragma(f"{pragma}={value}")


class _Checkpointer:
    """A thread running passive SQLite checkpoints when kicked (never blocking writers)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        conn = self._engine.raw_connection()
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # noqa: BLE001 - the final checkpoint catches up
                    log.warning("background checkpoint failed", exc_info=True)
        finally:
            conn.close()


def _dialect_insert(session: Session):
    """The backend's `insert` construct, which knows ON CONFLICT."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported database {name}")
    return insert


def insert_ignoring_conflicts(session: Session, table: sa.Table, rows: list[dict]) -> int:
    """Insert rows, skipping those that collide with a unique constraint; returns rows inserted."""
    if not rows:
        return 0
    insert = _dialect_insert(session)
    # executemany's rowcount is unreliable across drivers; RETURNING yields only inserted rows.
    stmt = insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return len(session.execute(stmt, rows).all())


def upsert(
    session: Session, table: sa.Table, rows: list[dict], keys: tuple[str, ...], add: tuple[str, ...] = ()
) -> None:
    """Insert rows, replacing the other columns of those whose `keys` are already there (or, for
    the columns in `add`, adding the new value to the stored one: counters)."""
    if not rows:
        return
    stmt = _dialect_insert(session)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: (table.c[c] + stmt.excluded[c]) if c in add else stmt.excluded[c]
              for c in rows[0] if c not in keys},
    )
    session.execute(stmt, rows)


def bulk_insert(
    session: Session,
    table: sa.Table,
    columns: tuple[str, ...],
    rows: list[tuple],
    skip_conflicts: bool = False,
) -> int:
    """executemany straight through the driver: SQLAlchemy's per-row parameter handling costs
    more than SQLite's insert itself on bulk loads. Values still pass the columns' own bind
    processors, so they are stored exactly as the ORM would store them. `skip_conflicts`
    leaves out rows that collide with a unique constraint. Returns the rows inserted where
    the driver counts them (sqlite3 does, summed over the executemany)."""
    if not rows:
        return 0
    conn = session.connection()
    dialect = conn.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
        + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
    )
    procs = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type.bind_processor(dialect))]
    if procs:
        converted = []
        for row in rows:
            row = list(row)
            for i, p in procs:
                row[i] = p(row[i])
            converted.append(tuple(row))
        rows = converted
    return conn.exec_driver_sql(sql, rows).rowcount


def marks(n: int) -> str:
    """`?, ?, ?` for an `IN (...)` of n values in a Reader query."""
    return ", ".join("?" * n)


class Reader:
    """A pooled driver connection for the hot read paths (authentication, look-ups): plain SQL
    with `?` marks and none of SQLAlchemy's per-statement machinery, which costs 20 times the
    query itself on an indexed look-up. Each statement sees the latest committed data."""

    def __init__(self, dbapi_connection, paramstyle: str, db: Database | None = None) -> None:
        self._conn = dbapi_connection
        self._qmark = paramstyle == "qmark"
        self.is_sqlite = self._qmark  # the one backend with qmark parameters
        self._db = db  # given for SQLite file databases: `memo`

    def memo(self, name: str) -> dict | None:
        """What callers derived from the data under `name` while the database is unchanged
        (`Database.generation`, read at each call), or None: read the data. Derive an entry
        after this call, so it is never older than the generation it is kept for."""
        db = self._db
        return None if db is None else db.memo(name, db.generation())

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        cur = self._conn.cursor()
        try:
            cur.execute(sql if self._qmark else sql.replace("?", "%s"), params)
            return cur.fetchall()
        finally:
            cur.close()
