"""sellerkit scaled out on this machine: two `sellerkit serve` and two `sellerkit worker`
processes, each with its own empty data dir, sharing only PostgreSQL, Redis and an S3 server
(moto's, over HTTP). They run the commands and settings deploy/compose.yaml gives its services,
with only the addresses of the three services, the data dirs and a few test-speed settings
changed. A scan uploaded to one server is run by a worker, watched, read and downloaded from the
other; a worker killed halfway is replaced by the other with exact counts; deleting a scan
deletes its objects; a catalog import is seen by every process at once."""

from __future__ import annotations

import io
import json
import secrets
import signal
import time
from pathlib import Path

import httpx
import orjson
import polars as pl
import pytest
import sqlalchemy as sa

from tests.catalog.factories import product
from tests.conftest import REDIS_SKIP, REDIS_URL, fresh_postgres
from tests.deploy.stack import S3_CREDENTIALS, Fleet, clean_env, free_port, moto_missing, moto_s3
from tests.scans.test_runs import DIMS, upc

yaml = pytest.importorskip("yaml", reason="PyYAML (installed with the test extras) reads deploy/compose.yaml")
from tests.test_deploy import load, sellerkit_services  # noqa: E402 - after the PyYAML skip

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

BUCKET = "sellerkit-mp"
PREFIX = "deploy"  # SELLERKIT_BLOB_URL=s3://sellerkit-mp/deploy: every key sellerkit writes is under it
PRODUCTS = 200
ROWS = 24_000  # supplier lines; with CHUNK_ROWS a chunk, a scan of several seconds
CHUNK_ROWS = 400
INVALID_EVERY = 25  # every 25th line has a code too short to be one: an error row
SERVERS, WORKERS = ("server-a", "server-b"), ("worker-a", "worker-b")
# What the processes are given beyond compose's settings: the test's pace (small chunks, so a
# scan is halfway long enough to kill its worker; a sweep every 5 s, so the surviving worker
# frees a killed one's lease within seconds, not up to a minute) and its own names on the shared Redis.
PACE = {"SELLERKIT_SCAN_CHUNK_ROWS": str(CHUNK_ROWS), "SELLERKIT_SWEEP_SECONDS": "5"}


def catalog_records(n: int = PRODUCTS, start: int = 0, price: int = 1500) -> list[dict]:
    return [product(f"B0{i:08d}", category="Toys & Games", brand="Acme", buybox_price=price + i,
                    package_dimensions=DIMS, identifiers={"upc": [upc(i)]}) for i in range(start, start + n)]


def supplier(rows: int) -> bytes:
    """A header and `rows` lines: each matches one product, but every INVALID_EVERY-th is an error."""
    lines = ["UPC,Cost,SKU"] + [f"{'12345' if i % INVALID_EVERY == 0 else upc(i % PRODUCTS)},{3 + i % 7}.25,S{i}"
                                for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records))
    return path


class Deployment:
    """The running processes and what the test needs to talk to them."""

    def __init__(self, fleet: Fleet, s3, db_url: str, commands: dict[str, list[str]], envs: dict[str, dict],
                 bases: dict[str, str], tmp: Path):
        self.fleet, self.s3, self.commands, self.envs, self.bases, self.tmp = fleet, s3, commands, envs, bases, tmp
        self.engine = sa.create_engine(db_url)
        self.key: dict[str, str] = {}

    def http(self, server: str) -> httpx.Client:
        return httpx.Client(base_url=self.bases[server], headers=self.key, timeout=60)

    def scan_row(self, scan_id: int) -> dict:
        with self.engine.connect() as c:
            row = c.execute(sa.text("SELECT status, lines, processed, products, errors, runner, runner_pid "
                                    "FROM scans WHERE id = :id"), {"id": scan_id}).mappings().one()
        return dict(row)

    def worker_of(self, pid: int | None) -> str | None:
        return next((w for w in WORKERS if self.fleet.procs[w].pid == pid), None)

    def expect(self, reply: httpx.Response, status: int = 200) -> httpx.Response:
        assert reply.status_code == status, (f"{reply.request.method} {reply.request.url}: {reply.status_code} "
                                             f"{reply.text[:500]}\n{self.fleet.logs()}")
        return reply

    def upload(self, http: httpx.Client, data: bytes, name: str) -> int:
        attributes = {"mapping": {"id": 0, "cost": 1, "supplier_sku": 2},
                      "options": {"marketplace_id": "US", "name": name, "header": True}}
        reply = http.post("/api/v3/scans", files={"file": (f"{name}.csv", data, "text/csv")},
                          data={"attributes": orjson.dumps(attributes).decode()})
        return self.expect(reply, 201).json()["id"]

    def start_worker(self, name: str) -> None:
        """A worker as compose runs it, once its consumer runs (its start-up sweep done)."""
        log = self.fleet.log(name)
        seen = log.read_text(errors="replace").count("consumer started") if log.exists() else 0
        self.fleet.start(name, self.commands[name], self.envs[name])
        self.fleet.wait_for(lambda: log.read_text(errors="replace").count("consumer started") > seen, 60,
                            f"{name} to start")


def _settings_for(service: dict, name: str, shared: dict[str, str], data_dir: Path) -> dict[str, str]:
    """The service's environment from compose.yaml, with this machine's addresses in place of the
    compose network's; the names are compose's own (no setting is added or dropped)."""
    env = {k: str(v) for k, v in service["environment"].items()}
    local = {**shared, "SELLERKIT_DATA_DIR": str(data_dir)}
    assert set(local) <= set(env), f"{name}: compose.yaml no longer sets {sorted(set(local) - set(env))}"
    return {**env, **local}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Deployment:
    if REDIS_SKIP:
        pytest.skip(REDIS_SKIP)
    if why := moto_missing():
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("scaleout")
    logs = tmp / "logs"
    logs.mkdir()
    token = secrets.token_hex(4)
    # names of the run's own on the shared Redis (Huey keeps only [A-Za-z0-9_] of a queue's name)
    redis_names = {"SELLERKIT_QUEUE_NAME": f"sk_mp_{token}", "SELLERKIT_LIMITS_REDIS_PREFIX": f"sk_mp_{token}:limits"}
    with fresh_postgres("sk_mp_") as db_url, moto_s3(BUCKET, logs / "s3.log") as s3:
        fleet = Fleet(logs)
        try:
            compose = load({"SELLERKIT_SECRET_KEY": secrets.token_urlsafe(32)})
            services = sellerkit_services(compose)
            assert set(services) == {"migrate", *SERVERS, *WORKERS}
            shared = {
                "SELLERKIT_DATABASE_URL": db_url,
                "SELLERKIT_REDIS_URL": REDIS_URL,
                "SELLERKIT_BLOB_URL": f"s3://{BUCKET}/{PREFIX}",
                "SELLERKIT_S3_ENDPOINT_URL": s3.endpoint,
                **S3_CREDENTIALS,
            }
            envs, bases = {}, {}
            for name, service in services.items():
                data_dir = tmp / f"data-{name}"
                data_dir.mkdir()  # its own, empty
                envs[name] = clean_env(**_settings_for(service, name, shared, data_dir), **redis_names, **PACE)
            for name in SERVERS:
                port = free_port()
                envs[name]["SELLERKIT_PORT"] = str(port)  # compose: 8000 in each container
                bases[name] = f"http://127.0.0.1:{port}"
            # an operator's own shell: the same settings, a data dir of its own
            envs["admin"] = clean_env(**_settings_for(services["migrate"], "admin", shared, tmp / "data-admin"),
                                      **redis_names, **PACE)
            commands = {name: service["command"] for name, service in services.items()}
            dep = Deployment(fleet, s3, db_url, commands, envs, bases, tmp)
            fleet.run("migrate", commands["migrate"], envs["migrate"])
            for name in SERVERS:
                fleet.start(name, commands[name], envs[name])
            for name in WORKERS:
                dep.start_worker(name)
            for name in SERVERS:
                fleet.wait_for(lambda name=name: _ready(bases[name]), 60, f"{name} to be ready")
            issued = json.loads(fleet.run("keys", ["sellerkit", "keys", "create", "--name", "me", "--plan", "pro",
                                                   "--json"], envs["admin"]))
            dep.key = {"Authorization": f"Bearer {issued['key']}"}
            fleet.run("catalog", ["sellerkit", "catalog", "import", "--json",
                                  str(write_jsonl(tmp / "catalog.jsonl", catalog_records()))], envs["admin"])
            yield dep
        finally:
            fleet.stop()
            _forget_redis_keys(token)
            if "dep" in locals():
                dep.engine.dispose()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/ready", timeout=3).status_code == 200
    except httpx.TransportError:
        return False


def _forget_redis_keys(token: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*sk_mp_{token}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def two_workers(deployment) -> Deployment:
    """Both workers running (one a test killed is started again, as compose restarts it)."""
    for name in WORKERS:
        if deployment.fleet.procs[name].poll() is not None:
            deployment.start_worker(name)
    return deployment


class TestEveryProcessServesEveryRequest:
    def test_both_servers_are_ready_on_the_three_shared_services(self, deployment):
        for name in SERVERS:
            with deployment.http(name) as http:
                body = deployment.expect(http.get("/ready")).json()
            assert body == {"ready": True, "checks": {"database": "ok", "redis": "ok", "blobs": "ok"}}, body

    def test_a_scan_uploaded_to_a_runs_on_a_worker_and_is_read_from_b(self, two_workers):
        dep = two_workers
        lines = ROWS
        errors = len(range(0, ROWS, INVALID_EVERY))
        products = lines - errors
        with dep.http("server-a") as a, dep.http("server-b") as b:
            scan_id = dep.upload(a, supplier(ROWS), "crossing")
            # watched on B while a worker runs it
            seen: set[int] = set()

            def halfway():
                view = dep.expect(b.get(f"/api/v3/scans/{scan_id}")).json()
                assert view["status"] == "InProgress", \
                    f"the scan ended before it was halfway: {view}\n{dep.fleet.logs()}"
                seen.add(view["processed"])
                return view["processed"] >= lines // 3
            dep.fleet.wait_for(halfway, 120, "the scan to be a third done")
            row = dep.scan_row(scan_id)
            holder = dep.worker_of(row["runner_pid"])
            assert holder is not None, f"the scan's lease names pid {row['runner_pid']}, no worker's: {row}"
            other = next(w for w in WORKERS if w != holder)
            dep.fleet.kill(holder, signal.SIGKILL)
            killed_at = dep.scan_row(scan_id)
            assert killed_at["status"] == "InProgress" and killed_at["processed"] < lines, killed_at
            assert [p for p in seen if 0 < p < lines], f"no progress seen on server B: {sorted(seen)}"

            # the other worker frees the dead worker's lease at its next sweep (SWEEP_SECONDS,
            # 5 s here) and resumes at the first chunk not saved
            dep.fleet.wait_for(lambda: dep.worker_of(dep.scan_row(scan_id)["runner_pid"]) == other, 90,
                               f"{other} to take the scan over from the killed {holder}", every=0.5)
            dep.fleet.wait_for(lambda: dep.scan_row(scan_id)["status"] != "InProgress", 120, "the scan to end",
                               every=0.2)
            view = dep.expect(b.get(f"/api/v3/scans/{scan_id}")).json()
            assert (view["status"], view["lines"], view["products"], view["errors"]) == \
                ("Success", lines, products, errors), f"{view}\n{dep.fleet.logs()}"

            # results, filtered and sorted, from B
            page = dep.expect(b.post(f"/api/v3/scans/{scan_id}", json={
                "filter": [{"name": "roi", "operator": ">", "value": 0}], "sort": "-profit", "per_page": 100,
                "page": 2})).json()
            assert page["count"] > 100 and len(page["data"]) == 100
            profits = [item["financials"]["profit"] for item in page["data"]]
            assert profits == sorted(profits, reverse=True)

            # every row once: ids 1..n in each table, and each supplier line in exactly one of them
            csv = pl.read_csv(io.BytesIO(dep.expect(b.post(f"/api/v3/scans/{scan_id}/download?type=csv")).content),
                              infer_schema=False)
            assert csv.height == products
            assert csv.get_column("id").cast(pl.Int64).to_list() == list(range(1, products + 1))
            errs = pl.read_csv(io.BytesIO(dep.expect(
                b.post(f"/api/v3/scans/{scan_id}/download?type=csv&table_type=errors")).content), infer_schema=False)
            assert errs.get_column("id").cast(pl.Int64).to_list() == list(range(1, errors + 1))
            product_lines = csv.get_column("inputs.line").cast(pl.Int64).to_list()
            error_lines = errs.get_column("line").cast(pl.Int64).to_list()
            assert len(set(product_lines)) == products and len(set(error_lines)) == errors
            assert set(product_lines) | set(error_lines) == set(range(2, lines + 2))  # line 1: the header

            # XLSX from B: one page now, and all of it prepared as a job by a worker
            now = dep.expect(b.post(f"/api/v3/scans/{scan_id}/download?type=xlsx",
                                    json={"sort": "id", "per_page": 100, "page": 3}))
            sheet = pl.read_excel(io.BytesIO(now.content), columns=["id"])
            assert sheet.get_column("id").to_list() == list(range(201, 301))
            job = dep.expect(b.post(f"/api/v3/scans/{scan_id}/download?type=xlsx&background=true"), 202).json()
            done = dep.fleet.wait_for(
                lambda: (j := dep.expect(a.get(f"/api/v3/exports/{job['id']}")).json())["status"] != "InProgress"
                and j, 120, "the XLSX export", every=0.2)
            assert done["status"] == "Success", f"{done.get('message')}\n{dep.fleet.logs()}"
            whole = pl.read_excel(io.BytesIO(dep.expect(b.get(f"/api/v3/exports/{job['id']}/file")).content),
                                  columns=["id"])
            assert whole.height == products and whole.get_column("id").to_list() == list(range(1, products + 1))

            # everything the scan owns is in the bucket under its prefix; deleting it on A deletes it all
            owned = f"{PREFIX}/scans/{scan_id}/"
            stored = dep.s3.keys(owned)
            assert any("source" in k for k in stored) and any(k.endswith(".xlsx") for k in stored), stored
            assert len(stored) >= 2 * (lines // CHUNK_ROWS), f"fewer objects than result parts: {stored}"
            dep.expect(a.delete(f"/api/v3/scans/{scan_id}"))
            assert dep.s3.keys(owned) == []
            assert b.get(f"/api/v3/scans/{scan_id}").status_code == 404
            # nor is anything of it, or any scratch file, left on a running process's disk (the
            # killed worker's may be)
            left = []
            for name in (*SERVERS, other):
                root = dep.tmp / f"data-{name}"
                for path in root.rglob("*"):
                    rel = path.relative_to(root).as_posix()
                    if path.is_file() and (f"scans/{scan_id}/" in rel or rel.startswith("work/")):
                        left.append(f"{name}: {rel}")
            assert left == [], left
        for name in SERVERS + (other,):
            assert dep.fleet.procs[name].poll() is None, dep.fleet.logs(name)

    def test_a_catalog_import_is_seen_by_every_process_at_once(self, two_workers):
        """The catalog revision in the database stamps each process's snapshot: a worker holding
        one from before the import builds the next for its first scan after it; look-ups read
        the database."""
        dep = two_workers
        new = catalog_records(3, start=PRODUCTS, price=4000)  # codes no process has seen
        codes = "\n".join(f"{upc(i)},5.00,N{i}" for i in range(PRODUCTS, PRODUCTS + 3))
        file = ("UPC,Cost,SKU\n" + codes + "\n").encode()
        with dep.http("server-a") as a, dep.http("server-b") as b:
            # both workers hold a snapshot of the catalog as it is: scans until each has run one
            ran: set[str] = set()
            for n in range(8):
                scan_id = dep.upload((a, b)[n % 2], file, f"before-{n}")
                row = dep.fleet.wait_for(lambda s=scan_id: (r := dep.scan_row(s))["status"] != "InProgress" and r, 60,
                                         "a scan")
                assert (row["status"], row["products"], row["errors"]) == ("Success", 0, 3), row
                ran.add(dep.worker_of(row["runner_pid"]))
                if ran == set(WORKERS):
                    break
            assert ran == set(WORKERS), f"eight scans ran on {ran} only"
            for server in (a, b):
                assert dep.expect(server.get("/products/lookup", params={"asin": new[0]["asin"]})
                                  ).json()["items"] == []
            dep.fleet.run("catalog-more", ["sellerkit", "catalog", "import", "--json",
                                           str(write_jsonl(dep.tmp / "more.jsonl", new))], dep.envs["admin"])
            imported = time.monotonic()
            for server in (a, b):
                items = dep.expect(server.get("/products/lookup", params={"asin": new[0]["asin"]})
                                   ).json()["items"]
                assert [i["asin"] for i in items] == [new[0]["asin"]]
            after = [dep.upload(server, file, f"after-{n}") for n, server in enumerate((a, b, a, b))]
            for scan_id in after:
                row = dep.fleet.wait_for(lambda s=scan_id: (r := dep.scan_row(s))["status"] != "InProgress" and r,
                                         60, "a scan")
                assert (row["status"], row["products"], row["errors"]) == ("Success", 3, 0), \
                    f"scan {scan_id} after the import: {row}\n{dep.fleet.logs()}"
            assert time.monotonic() - imported < 60
