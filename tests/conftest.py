"""Shared fixtures: a real database (SQLite always, PostgreSQL when it answers), the real app,
keys and catalogs built through the services and the catalog format."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sellerkit.config import Settings
from sellerkit.kit.db import Database, import_all_models

# Outside reference data, read in place: ../shared next to the checkout (SELLERKIT_TEST_SHARED
# points elsewhere, e.g. at a missing folder to see what a clone without it collects).
SHARED = Path(os.environ.get("SELLERKIT_TEST_SHARED") or Path(__file__).resolve().parents[2] / "shared")
FIXTURES = SHARED / "fixtures" / "external"


def shared_cases(path: Path, cases: Callable[[], Iterable[Any]], *, recorded: int,
                 ids: Callable[[Any], str]) -> list:
    """Parameters read from a file under ../shared at collection time, marked `shared`.

    Without the file, `recorded` cases (as many as the file gave when the test was written) are
    collected all the same, each skipped with the reason, so a clone without ../shared reports
    them as skipped instead of silently collecting fewer tests. tests/test_shared_cases.py holds
    `recorded` to the files."""
    if not path.exists():
        skip = pytest.mark.skip(reason=f"shared fixture not found: {path}")
        return [pytest.param(None, id=f"missing-{n}", marks=(pytest.mark.shared, skip))
                for n in range(1, recorded + 1)]
    return [pytest.param(case, id=ids(case), marks=pytest.mark.shared) for case in cases()]
# The files that take longest (the sum of their tests' times in two whole runs, `-n 2` and `-n 4`
# on a loaded 2-core machine; every file of 10 s or more), longest first. `make test` runs
# them first: with `--dist loadfile` a file is one unit of work, and one of these handed out last
# is the run's tail while the other workers idle (four browser files missing from this list ran
# last, after every file of tests/: 50-60 s each). Only the order depends on this list: a file
# missing from it runs after these, in collection order.
LONGEST_FIRST = (
    "commerce/test_channel_orders_amazon.py", "test_cli.py", "kit/test_openapi.py",
    "commerce/test_endpoints.py", "commerce/test_channel_orders_ebay.py", "web/test_commerce_pages.py",
    "scans/test_runs.py", "scans/test_endpoints.py", "web/test_phone_width.py", "web/test_scans.py",
    "kit/test_shutdown.py", "commerce/test_channel_listings.py", "scans/test_scan_blobs.py",
    "deploy/test_multiprocess.py", "web/test_sign_in.py", "test_shared_cases.py",
    "catalog/test_quotas_route.py", "test_served_lookup.py", "tracking/test_notify.py", "kit/test_metrics.py",
    "test_docs_browser.py", "commerce/test_orders.py", "web/test_sign_in_limit.py", "accounts/test_quotas.py",
    "web/test_keys.py", "web/test_home.py", "test_served_limits.py", "sdk/test_client.py", "web/test_tools.py",
    "scans/test_live_scans.py", "tracking/test_endpoints.py", "catalog/test_endpoints.py",
    "kit/test_methods_and_validation.py", "accounts/test_direct_route.py", "commerce/test_cli.py",
    "scans/test_dashboard_views.py", "catalog/test_lookup.py", "domain/test_numbers.py", "test_server.py",
    "accounts/test_passwords.py", "catalog/test_spapi_provider.py", "commerce/test_served_race.py",
    "domain/test_identifiers.py", "catalog/test_keepa_export.py",
)


def pytest_configure(config) -> None:
    """xdist hands out files by how many tests each has unless told not to; the order of
    `pytest_collection_modifyitems` below is the better one (few long tests are not last)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items) -> None:
    """The files of LONGEST_FIRST first, in its order; the others after, as collected (a stable
    sort: each file's tests stay together and in their order)."""
    tests = Path(__file__).resolve().parent
    rank = {tests / name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))


PG_ADMIN_URL = os.environ.get(
    "SELLERKIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_reason() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: not here
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); set SELLERKIT_TEST_POSTGRES_URL"


POSTGRES_SKIP = _postgres_reason()
REDIS_URL = os.environ.get("SELLERKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: not here
        return f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); set SELLERKIT_TEST_REDIS_URL"


REDIS_SKIP = _redis_reason()


@contextmanager
def fresh_postgres(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named `<prefix><random>`: its URL; dropped at the end."""
    if POSTGRES_SKIP:
        pytest.skip(POSTGRES_SKIP)
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    try:
        yield url
    finally:
        _drop_in_background(name)


_DROP = """import os, sys, sqlalchemy as sa
engine = sa.create_engine(os.environ["SELLERKIT_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
with engine.connect() as c:
    c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
"""


def _drop_in_background(name: str) -> None:
    """DROP DATABASE waits for a checkpoint (a second on a quiet machine, 10-30 s on a busy one)
    that nothing in the run needs: a process of its own drops the database, and the run does not
    wait for it (the shell starting it returns at once)."""
    subprocess.run(["sh", "-c", 'exec "$0" -c "$1" "$2" </dev/null >/dev/null 2>&1 &', sys.executable, _DROP, name],
                   env={**os.environ, "SELLERKIT_TEST_POSTGRES_URL": PG_ADMIN_URL}, check=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_postgres("sellerkit_test_") as url:
        yield url


@pytest.fixture(scope="session")
def _pg_database(postgres_url) -> Iterator[Database]:
    db = Database(postgres_url)
    db.migrate()
    yield db
    db.dispose()


# Every sequence a column of these tables owns (serial and identity columns) back at its start.
_RESTART_OWNED_SEQUENCES = """
SELECT setval(s.oid, q.seqstart, false) FROM pg_class s
JOIN pg_sequence q ON q.seqrelid = s.oid
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE s.relkind = 'S' AND t.relname = ANY(%s)"""


def _truncate(db: Database) -> None:
    """Every table emptied and its ids restarted, as `TRUNCATE ... RESTART IDENTITY` would: DELETE
    (children first) takes milliseconds on a test's few rows, where TRUNCATE made new files for
    42 tables and their indexes (0.4 s a test on a loaded machine, ~700 PostgreSQL tests)."""
    tables = [t.name for t in reversed(import_all_models().sorted_tables)]
    with db.engine.begin() as c:
        c.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in tables))
        c.exec_driver_sql(_RESTART_OWNED_SEQUENCES, (tables,))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """One migrated, empty SQLite file for the session: each test's database is a copy of it
    (a copy takes a millisecond; running every migration again took a quarter of a second)."""
    path = tmp_path_factory.mktemp("template") / "sellerkit.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def _fresh_sqlite(template: Path, folder: Path) -> Database:
    target = folder / "sellerkit.db"
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> Iterator[Database]:
    """A migrated, empty database on each backend the machine has."""
    if request.param == "sqlite":
        database = _fresh_sqlite(request.getfixturevalue("_sqlite_template"), tmp_path)
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("_pg_database")
        _truncate(database)
        yield database


@pytest.fixture
def sqlite_db(tmp_path, _sqlite_template) -> Iterator[Database]:
    """SQLite only, for tests of behaviour that does not depend on the backend."""
    database = _fresh_sqlite(_sqlite_template, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """No job consumer in the app unless a test asks for one (`worker_settings`)."""
    return Settings(data_dir=tmp_path, demo=False, embedded_worker=False)


@pytest.fixture
def worker_settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=2,
                    scan_stale_seconds=2, scan_chunk_rows=50)


def make_client(db: Database, settings: Settings):
    from fastapi.testclient import TestClient

    from sellerkit.app import create_app

    return TestClient(create_app(settings, db))


@pytest.fixture
def client(db, settings):
    with make_client(db, settings) as c:
        yield c


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_app(request, tmp_path_factory) -> Iterator[tuple[Any, Database]]:
    """(client, database): one app per backend for a whole module, for tests that only read, or
    whose writes stay in an account of their own (`account_key`). Building an app's routes takes a
    quarter of a second, which a module of a few hundred cases pays once here. On PostgreSQL it is
    the session's database, emptied first (a database of its own would cost a DROP DATABASE, a
    checkpoint of seconds): a module using it does not use `db` as well."""
    folder = tmp_path_factory.mktemp("module_app")
    settings = Settings(data_dir=folder, demo=False, embedded_worker=False)
    if request.param == "sqlite":
        database = _fresh_sqlite(request.getfixturevalue("_sqlite_template"), folder)
    else:
        database = request.getfixturevalue("_pg_database")
        _truncate(database)
    with make_client(database, settings) as c:  # its lifespan disposes of the database's connections
        yield c, database


@pytest.fixture
def account_key(module_app) -> dict[str, str]:
    """`X-Api-Key` headers of a key of a new account in `module_app`'s database: a test sees no
    other test's data, rate limit or quota."""
    from sellerkit.accounts.service import keys

    with module_app[1].session(write=True) as s:
        return {"X-Api-Key": keys.create(s, name=f"seller-{uuid.uuid4().hex[:12]}", plan="pro").key}


@pytest.fixture
def new_key(db):
    """Issue keys through the service: `new_key(name, plan=..., account=...)`."""
    from sellerkit.accounts.service import keys

    def issue(name: str = "seller", plan: str | None = "pro", account: str | None = None):
        with db.session(write=True) as s:
            return keys.create(s, name=name, plan=plan, account=account)

    return issue


def import_records(db: Database, records: list[dict]):
    """Build catalog data the way users do: catalog-format records as JSONL lines through the
    import path."""
    import orjson

    from sellerkit.catalog.tasks import import_items

    return import_items(db, enumerate(map(orjson.dumps, records), start=1))


S3_BUCKET = "sellerkit-test"
S3_CREDS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real HTTP S3 server (moto's) on loopback with the bucket `S3_BUCKET`."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        pytest.skip(f"moto's S3 server is not installed ({error}): pip install -e '.[test]'")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
    except Exception as error:  # noqa: BLE001 - any reason moto cannot start is a skip
        pytest.skip(f"moto's S3 server did not start: {error}")
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=S3_BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint, tmp_path, monkeypatch) -> Settings:
    """Settings whose blob store is a fresh prefix of the moto bucket (credentials from the
    standard AWS variables, as a deployment gives them)."""
    import uuid

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    return Settings(data_dir=tmp_path / "data", demo=False, embedded_worker=True, job_threads=1,
                    blob_url=f"s3://{S3_BUCKET}/run-{uuid.uuid4().hex[:10]}", s3_endpoint_url=s3_endpoint,
                    secret_key="a deployment's secret, the same on every machine")
