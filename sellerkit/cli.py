"""`sellerkit` command line: serve, keys, catalog, providers, fees, db. Every command reaches the services."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sellerkit.catalog.providers.commands import providers_app
from sellerkit.commerce.commands import accounts_app, orders_app
from sellerkit.tracking.commands import capture_app, credits_app
from sellerkit.config import get_settings
from sellerkit.errors import SellerkitError
from sellerkit.kit.db import Database

app = typer.Typer(no_args_is_help=True, help="sellerkit: self-hosted seller platform.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys: create, rotate, revoke, list.")
catalog_app = typer.Typer(no_args_is_help=True, help="Product catalog: import, export, demo.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
app.add_typer(keys_app, name="keys")
app.add_typer(catalog_app, name="catalog")
app.add_typer(db_app, name="db")
users_app = typer.Typer(no_args_is_help=True, help="Dashboard users: sign-in passwords.")
app.add_typer(users_app, name="users")
app.add_typer(providers_app, name="providers")  # sellerkit/catalog/providers/commands.py
app.add_typer(accounts_app, name="accounts")  # sellerkit/commerce/commands.py
app.add_typer(orders_app, name="orders")  # sellerkit/commerce/commands.py
app.add_typer(credits_app, name="credits")  # sellerkit/tracking/commands.py
app.add_typer(capture_app, name="capture")

err = Console(stderr=True)


def _db() -> Database:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    db.migrate()
    return db


def _fail(message: str, code: int = 1) -> None:
    from rich.markup import escape

    err.print(f"[red]error:[/red] {escape(message)}")  # messages quote user input: never markup
    raise typer.Exit(code)


# ---- serve ------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to bind.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (HTTP/1.1 and h2c).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes.")] = None,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Start with an empty catalog.")] = False,
):
    """Run the API server (Granian, HTTP/1.1 and HTTP/2 on one port)."""
    from sellerkit.kit.process import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts: the workers fork from this process
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.server import Server

    from sellerkit.kit.logs import logging_config, setup_logging

    metrics_dir = _metrics_dir()
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    # the migration below logs in SELLERKIT_LOG_FORMAT too: the workers find the database at
    # its newest revision and leave Alembic alone
    setup_logging(settings.log_format, settings.log_level)
    db = _db()
    if settings.demo and not no_demo:
        from sellerkit.catalog.tasks import load_demo_apart

        with err.status("loading demo products (first start only)..."):
            inserted = load_demo_apart(settings.demo_products, settings.demo_seed)  # in a process of its own
        if inserted is not None:
            err.print(f"demo data: {inserted} products loaded (labelled demo)")
    demo_sign_in = None
    if settings.demo and not no_demo:
        from sellerkit.accounts.passwords import passwords

        with db.session(write=True) as s:
            demo_sign_in = passwords.ensure_demo_user(s)  # first start only: its password is printed once
    db.dispose()
    if (workers or settings.workers) > 1 and not settings.redis_url:
        err.print(f"note: without SELLERKIT_REDIS_URL each of the {workers or settings.workers} worker processes "
                  "keeps its own request-rate and token buckets (daily token counts are shared through the "
                  "database every few seconds) and its own provider budgets (each spends a seller's full SP-API "
                  "and Keepa rate); set SELLERKIT_REDIS_URL for limits and budgets exact across processes",
                  soft_wrap=True, highlight=False, markup=False)
    for line in _banner(settings, f"http://{host}:{port}", demo_sign_in):
        err.print(line, soft_wrap=True, highlight=False, markup=False)
    from sellerkit.catalog.providers.connections import ANNOUNCED_ENV

    os.environ[ANNOUNCED_ENV] = "1"  # the banner said which live data is unavailable: the workers need not
    workers = workers or settings.workers
    os.environ["SELLERKIT_WORKERS"] = str(workers)  # each worker's settings know their siblings (GET /api/v3/quotas)
    _preload_for_fork()
    get_settings.cache_clear()  # forked workers read the settings again
    connections = _open_files_for(settings.max_connections)
    try:
        Server(
            "sellerkit.app:create_app",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            http=HTTPModes.auto,
            loop=Loops.auto,  # uvloop where installed
            respawn_failed_workers=True,
            factory=True,
            log_level=settings.log_level,
            log_dictconfig=logging_config(settings.log_format, settings.log_level),  # SELLERKIT_LOG_FORMAT
            backlog=settings.backlog,
            backpressure=connections,  # Granian's cap on the connections a worker serves at once
            http1_settings=HTTP1Settings(header_read_timeout=int(settings.header_read_timeout * 1000)),
        ).serve()
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _preload_for_fork() -> None:
    """Where workers are forked (Linux, Python before 3.14), import what they need first and
    freeze those objects out of the cyclic collector: a worker then shares their pages with this
    process (and its siblings) rather than copying them, as a collection would write to each."""
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":  # spawned workers import afresh: nothing to share
        return
    import gc

    from sellerkit.app import preload

    preload()
    gc.collect()
    gc.freeze()


def _metrics_dir() -> Path | None:
    """A fresh directory for this run's server processes to pool their metrics in (each worker
    writes its own files; `GET /metrics` on any of them sums them all). Made before anything
    imports prometheus-client, which reads PROMETHEUS_MULTIPROC_DIR once on import. One the
    operator set is used as it is (it must be empty at start: stale files would add old counts)."""
    from sellerkit.kit.metrics_env import MULTIPROC_ENV

    if os.environ.get(MULTIPROC_ENV):
        return None
    if "prometheus_client" in sys.modules:  # pragma: no cover - a programming error, not a user's
        raise RuntimeError("prometheus_client was imported before the serve command set its directory")
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="sellerkit-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def _open_files_for(connections: int) -> int:
    """Raise the open-files limit (of this process and the workers it starts) to the hard limit:
    each connection is a file descriptor and a soft limit of 1,024 is common. The connections a
    worker serves are capped to what the limit allows."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    spare = 256  # database, files, the queue
    fits = max(64, soft - spare)
    if connections > fits:
        err.print(f"note: the open-files limit ({soft:,}) allows {fits:,} connections a worker, not "
                  f"SELLERKIT_MAX_CONNECTIONS={connections:,}; raise it with `ulimit -n` or in the service unit",
                  soft_wrap=True, highlight=False, markup=False)
        return fits
    return connections


@app.command()
def worker(threads: Annotated[Optional[int], typer.Option(help="Consumer threads.")] = None):
    """Run background jobs (scans) from the queue: Redis when SELLERKIT_REDIS_URL is set, else the
    data dir's queue. Any number of workers may share one database and file store."""
    from sellerkit.kit.logs import setup_logging
    from sellerkit.kit.process import limit_malloc_arenas

    limit_malloc_arenas()
    from sellerkit.kit.queue import Queue

    settings = get_settings()
    setup_logging(settings.log_format, settings.log_level)  # SELLERKIT_LOG_FORMAT: text or json lines
    queue = Queue(settings, _db())
    where = settings.redis_url or str(settings.data_dir / "queue.db")
    err.print(f"sellerkit worker: {threads or settings.job_threads} threads on {where}")
    from sellerkit.catalog.providers.connections import connections

    connections.announce(queue.db, settings, "worker")
    if settings.worker_metrics_port:
        from sellerkit.kit.metrics import serve_worker_metrics

        serve_worker_metrics(settings.host, settings.worker_metrics_port, queue.huey)
        err.print(f"metrics: http://{settings.host}:{settings.worker_metrics_port}/metrics")
    queue.start_consumer(threads or settings.job_threads, signals=True).run()


def _banner(settings, base: str, demo_sign_in: tuple[str, str] | None = None) -> list[str]:
    """What a new user needs next: where the data is, a key command that works from their shell,
    and a first request per surface with codes really in the catalog."""
    from sellerkit.catalog.providers.connections import connections
    from sellerkit.catalog.service import catalog

    db = Database(settings.resolved_database_url)
    try:
        with db.session() as s:
            codes = catalog.sample_codes(s, "US")
            unavailable = connections.unavailable(s, settings)
    finally:
        db.dispose()
    keys = f"{_cli_command()} keys create --name me --plan pro"
    lines = [
        f"sellerkit on {base}   (API docs: {base}/docs)",
        f"data dir: {settings.data_dir}",
        "Get an API key (in another terminal): " + (f"make key   or   {keys}" if _under_make() else keys),
    ]
    if demo_sign_in:
        lines.append(f"Dashboard: {base}/  sign in as {demo_sign_in[0]} with password {demo_sign_in[1]} "
                     f"(shown this once; change it at {base}/password)")
    else:
        lines.append(f"Dashboard: {base}/  (a user's password: {_cli_command()} users create --email E "
                     "--password-file F)")
    # Which live data is unavailable and what turns it on: one short line a provider.
    lines += [note.short.replace("`sellerkit ", f"`{_cli_command()} ") for note in unavailable]
    if not codes:
        return lines + [f"The US catalog is empty: add products with `{_cli_command()} catalog import FILE`, "
                        "or start without --no-demo and SELLERKIT_DEMO=0 to load the demo catalog."]
    names = {"upc": "UPC", "ean": "EAN", "isbn": "ISBN", "asin": "ASIN"}
    lines.append("Codes in the US catalog to try: " + "   ".join(
        f"{names[kind]} {' '.join(values)}" for kind, values in codes.items()))
    auth = "-H 'Authorization: Bearer <key>'"
    post = f"curl {auth} -H 'Content-Type: application/json'"
    ids = [values[0] for kind, values in codes.items() if kind != "asin"]
    asins = codes.get("asin", [])
    lines.append("First requests (put your key for <key>):")
    if ids:
        lines.append(f"""  {post} -d '{{"marketplace":"US","ids":{json.dumps(ids, separators=(",", ":"))}}}' {base}/api/v3/convert""")
    if "upc" in codes:
        lines.append(f"  curl '{base}/products/lookup?key=<key>&upc={','.join(codes['upc'])}'")
    if asins:
        lines += [
            f"  curl '{base}/products/lookup?key=<key>&asin={','.join(asins)}'",
            f"""  {post} -d '{{"marketplace":"US","asins":{json.dumps(asins, separators=(",", ":"))}}}' {base}/api/v3/asin-convert""",
            f"  curl {auth} '{base}/api/v3/inbound-eligibility?asins={','.join(asins)}&marketplace=US'",
            f"""  {post} -d '{{"marketplace":"US","asin":"{asins[0]}","cost":5}}' {base}/api/v3/calculate""",
        ]
    return lines


def _cli_command() -> str:
    """This sellerkit as the user's shell can run it: `make run` leaves .venv/bin off the PATH."""
    script = Path(sys.executable).parent / "sellerkit"
    if not script.is_file():
        return f"{sys.executable} -m sellerkit.cli"
    on_path = shutil.which("sellerkit")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "sellerkit"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _under_make() -> bool:
    """Started by `make run` in the checkout, where `make key` works too."""
    return "MAKELEVEL" in os.environ and (Path.cwd() / "Makefile").is_file()


# ---- users ------------------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The user's email: what they sign in with.")],
    password_file: Annotated[Path, typer.Option(
        help="A file whose first line is the password (10 to 1024 characters); '-' reads standard input.")],
    account: Annotated[Optional[str], typer.Option(
        help="Account id or name (default: the default account).")] = None,
):
    """Give a user a dashboard password (the user is made when no user has that email)."""
    from sellerkit.accounts.passwords import passwords

    try:
        text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text()
    except OSError as exc:
        _fail(f"--password-file: cannot read {password_file}: {exc.strerror}")
    lines = text.splitlines()
    try:
        with _db().session(write=True) as s:
            user = passwords.set_password(s, email, lines[0] if lines else "", account)
            user_id, account_id, email = user.id, user.account_id, user.email
    except SellerkitError as exc:
        _fail(exc.message)
    err.print(f"user {user_id} ({email}) of account {account_id} can sign in to the dashboard",
              soft_wrap=True, highlight=False, markup=False)


# ---- keys -------------------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="A label for the key (also the new account's name).")],
    plan: Annotated[str, typer.Option(help="basic, pro or unlimited.")] = "basic",
    account: Annotated[Optional[str], typer.Option(
        help="Account id or name; a new name makes a new account (a second tenant).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Issue an API key. The secret is shown once."""
    from sellerkit.accounts.service import keys

    try:
        with _db().session(write=True) as s:
            issued = keys.create(s, name=name, plan=plan, account=account)
    except SellerkitError as exc:
        _fail(exc.message)
    data_dir = str(get_settings().data_dir)
    if as_json:
        print(json.dumps({**issued.as_dict(), "data_dir": data_dir}))
    else:
        err.print(f"partner id: {issued.partner_id}  account: {issued.account_id}  plan: {issued.plan}")
        err.print(f"data dir: {data_dir}  (a server on another data dir will not know this key)",
                  soft_wrap=True, highlight=False, markup=False)
        err.print("secret key (shown once, store it now):")
        print(issued.key)


@keys_app.command("rotate")
def keys_rotate(
    partner_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Issue a new secret for a partner id; the old secret stops working at once."""
    from sellerkit.accounts.service import keys

    try:
        with _db().session(write=True) as s:
            issued = keys.rotate(s, partner_id)
    except SellerkitError as exc:
        _fail(exc.message)
    print(json.dumps(issued.as_dict()) if as_json else issued.key)


@keys_app.command("revoke")
def keys_revoke(partner_id: str):
    """Revoke a key for good."""
    from sellerkit.accounts.service import keys

    try:
        with _db().session(write=True) as s:
            keys.revoke(s, partner_id)
    except SellerkitError as exc:
        _fail(exc.message)
    err.print(f"revoked {partner_id}")


@keys_app.command("set-limit")
def keys_set_limit(
    partner_id: str,
    rps: Annotated[int, typer.Option(help="Requests per second allowed for this key.")],
):
    """Set a key's request rate limit (requests a second; the default is SELLERKIT_RATE_LIMIT_RPS, 600).
    It applies from the key's next request."""
    from sellerkit.accounts.service import keys

    try:
        with _db().session(write=True) as s:
            keys.set_limit(s, partner_id, rps)
    except SellerkitError as exc:
        _fail(exc.message)
    err.print(f"{partner_id}: {rps} requests/s")


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """List keys (secrets are never shown)."""
    from sellerkit.accounts.service import keys

    with _db().session() as s:
        rows = keys.list(s)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("partner id", "name", "account", "plan", "key", "rps", "created", "revoked")
    for r in rows:
        table.add_row(r["partner_id"], r["name"], f'{r["account_id"]} {r["account"]}', str(r["plan"]),
                      r["key_hint"], str(r["rate_limit_rps"] or "default"), r["created_at"][:19],
                      "yes" if r["revoked"] else "")
    Console().print(table)


# ---- catalog ----------------------------------------------------------------------------------


@catalog_app.command("import")
def catalog_import(
    files: Annotated[list[Path], typer.Argument(help="JSONL, JSONL.gz or CSV files (with --format keepa: "
                                                "Keepa Product Viewer exports, XLSX or CSV).",
                                                exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    decimal: Annotated[str | None, typer.Option(
        "--decimal", help="Decimal separator of numbers written as text: '.' or ','; default: each "
        "record's marketplace's (',' for DE, FR, IT, ES ...).")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", help="catalog: the catalog exchange format (JSONL or CSV, by extension); keepa: "
        "Keepa Product Viewer exports (XLSX or CSV).")] = "catalog",
    marketplace: Annotated[Optional[str], typer.Option(
        help="--format keepa: the marketplace of rows without a Locale column.")] = None,
):
    """Import catalog files (upsert by marketplace and ASIN)."""
    from sellerkit.catalog.files import CatalogFile
    from sellerkit.catalog.service import ImportReport
    from sellerkit.catalog.tasks import import_file

    if decimal not in (None, ".", ","):
        _fail(f"--decimal: expected '.' or ',', got {decimal!r}", 2)
    if fmt not in ("catalog", "keepa"):
        _fail(f"--format: expected catalog or keepa, got {fmt!r}", 2)
    if fmt == "keepa":
        total = _import_keepa(files, decimal, marketplace)
        _print_import(total, as_json)
        return
    db = _db()
    total = ImportReport()
    for path in files:
        try:
            CatalogFile(path)
        except ValueError as exc:
            _fail(str(exc), 2)
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                      TextColumn("{task.fields[counts]}"), TimeRemainingColumn(),
                      console=err, disable=not err.is_terminal) as bar:
            task = bar.add_task(path.name, total=path.stat().st_size, counts="")

            def progress(source, rep):
                bar.update(task, completed=source.bytes_read,
                           counts=f"{rep.inserted + rep.updated + rep.unchanged:,} products")

            report = import_file(db, path, progress, decimal=decimal)
            bar.update(task, completed=path.stat().st_size)
        total.add(report)
    _print_import(total, as_json)


def _import_keepa(files: list[Path], decimal: str | None, marketplace: str | None):
    """Keepa Product Viewer exports: small files (an export holds a few thousand rows), read
    whole, then imported like any catalog file."""
    from sellerkit.catalog.keepa_export import KeepaExport
    from sellerkit.catalog.service import ImportReport
    from sellerkit.catalog.tasks import import_items
    from sellerkit.domain.marketplaces import UnknownMarketplace
    from sellerkit.domain.marketplaces import marketplace as resolve

    if marketplace is not None:
        try:
            marketplace = resolve(marketplace, "--marketplace").code
        except UnknownMarketplace as exc:
            _fail(str(exc), 2)
    db = _db()
    total = ImportReport()
    for path in files:
        try:
            export = KeepaExport(path, marketplace, decimal, get_settings().xlsx_max_xml_mb * 1_000_000)
        except (ValueError, UnicodeDecodeError) as exc:
            _fail(f"{path.name}: cannot be read as a Keepa export ({exc})", 2)
        report = import_items(db, export.items())
        report.warnings += len(export.warnings)
        for w in export.warnings:
            report.note(f"warning {w}")
        if export.ignored:
            report.note(f"{path.name}: columns with no catalog field, not imported: " + ", ".join(export.ignored))
        total.add(report)
    return total


def _print_import(total, as_json: bool) -> None:
    if as_json:
        print(json.dumps(total.as_dict()))
        return
    for m in total.messages[:50]:
        err.print(m)
    if len(total.messages) > 50:
        err.print(f"... and more (use --json for up to {len(total.messages)} messages)")
    table = Table("inserted", "updated", "unchanged", "rejected", "warnings", "observations")
    table.add_row(*(f"{getattr(total, n):,}" for n in
                    ("inserted", "updated", "unchanged", "rejected", "warnings", "observations")))
    Console(stderr=True).print(table)


@catalog_app.command("snapshot")
def catalog_snapshot():
    """Bring the columnar catalog snapshots scans join against up to date (the server also does
    it every minute; a scan does it itself if it finds one stale)."""
    from sellerkit.scans.runner import refresh_snapshots

    db = _db()
    with err.status("building catalog snapshots and pricing them for scans..."):
        built = refresh_snapshots(db, get_settings())
    err.print(f"rebuilt: {', '.join(built)}" if built else "snapshots are up to date")


@catalog_app.command("export")
def catalog_export(
    marketplace: Annotated[Optional[str], typer.Option(help="Only this marketplace.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (lossless) or csv.")] = "jsonl",
    observations: Annotated[bool, typer.Option(help="Also export history (JSONL only).")] = False,
    out: Annotated[Optional[Path], typer.Option(help="File to write; default standard output.")] = None,
):
    """Export the catalog in the catalog exchange format."""
    from sellerkit.catalog.files import write_csv, write_jsonl
    from sellerkit.catalog.service import catalog

    if fmt not in ("jsonl", "csv"):
        _fail("--format: expected jsonl or csv", 2)
    db = _db()
    try:
        with db.session() as s:
            records = catalog.export_records(s, marketplace, observations and fmt == "jsonl")
            if fmt == "jsonl":
                fh = open(out, "wb") if out else sys.stdout.buffer
                n = write_jsonl(fh, records)
            else:
                fh = open(out, "w", newline="", encoding="utf-8") if out else sys.stdout
                n = write_csv(fh, records)
            fh.flush()
            if out:
                fh.close()
    except SellerkitError as exc:
        _fail(exc.message, 2)
    err.print(f"exported {n:,} records")


@catalog_app.command("demo")
def catalog_demo(
    products: Annotated[int, typer.Option(help="How many products.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same data).")] = 1,
    out: Annotated[Optional[Path], typer.Option(help="Write JSONL here ('-' for stdout) instead of importing.")] = None,
):
    """Generate deterministic demo products (labelled demo) and import them, or write them out."""
    from sellerkit.catalog.demo import generate
    from sellerkit.catalog.files import write_jsonl
    from sellerkit.catalog.tasks import import_items

    records = generate(products, seed=seed)
    if out is not None:
        if str(out) == "-":
            write_jsonl(sys.stdout.buffer, records)
        else:
            opener = __import__("gzip").open if str(out).endswith(".gz") else open
            with opener(out, "wb") as fh:
                n = write_jsonl(fh, records)
            err.print(f"wrote {n:,} records to {out}")
        return
    report = import_items(_db(), enumerate(records, start=1))
    err.print(f"demo data: {report.inserted:,} inserted, {report.updated:,} updated, "
              f"{report.unchanged:,} unchanged, {report.observations:,} observations")


# ---- fees -------------------------------------------------------------------------------------


def _dims(text: str, unit: str = "inches") -> tuple[str, str, str]:
    parts = [p.strip() for p in text.lower().replace("*", "x").split("x")]
    if len(parts) != 3 or not all(parts):
        raise typer.BadParameter(f"expected LxWxH in {unit}, e.g. 10x8x3, got {text!r}", param_hint="--dims")
    return parts[0], parts[1], parts[2]


@app.command()
def fees(
    price: Annotated[str, typer.Option(help="Sale price in the marketplace currency, e.g. 24.99 (VAT included where prices include it).")],
    dims: Annotated[str, typer.Option(help="Package L x W x H, e.g. 10x8x3: inches, or centimetres with --units metric.")],
    weight: Annotated[str, typer.Option(help="Package weight: pounds, or grams with --units metric.")],
    category: Annotated[str, typer.Option(help="Amazon category name or fee-schedule slug.")],
    marketplace: Annotated[str, typer.Option(help="Marketplace code.")] = "US",
    units: Annotated[str, typer.Option(help="imperial (inches, pounds: the catalog's units) or metric (cm, g).")] = "imperial",
    date_: Annotated[Optional[str], typer.Option("--date", help="Ship date YYYY-MM-DD (default today).")] = None,
    apparel: Annotated[bool, typer.Option("--apparel", help="Use the apparel rate card.")] = False,
    fbm: Annotated[bool, typer.Option("--fbm", help="Merchant fulfilled: no FBA fee.")] = False,
    dangerous_goods: Annotated[bool, typer.Option("--dangerous-goods", help="Hazmat unit.")] = False,
    individual: Annotated[bool, typer.Option("--individual", help="Individual plan: the schedule's per-item fee.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (amounts in minor units: cents, pence).")] = False,
):
    """Amazon's fees for one unit, with the schedule they come from."""
    from datetime import UTC, date, datetime

    from sellerkit.calculator.service import UNITS, calculator, package_of
    from sellerkit.domain.fees import FeeError, FeeOptions
    from sellerkit.domain.money import cents, dollars

    if units not in UNITS:
        _fail(f"--units: expected one of {', '.join(UNITS)}, got {units!r}", 2)
        return
    length, width, height = _dims(dims, "centimetres" if units == "metric" else "inches")
    try:
        when = date.fromisoformat(date_) if date_ else datetime.now(UTC).date()
        options = FeeOptions(fulfilment="FBM" if fbm else "FBA", apparel=apparel,
                             dangerous_goods=dangerous_goods, individual_plan=individual)
        package = package_of({"length": length, "width": width, "height": height, "weight": weight},
                             "--dims/--weight", units)
        breakdown = calculator.fees(marketplace, package, cents(price, "--price"), category, when, options)
    except (SellerkitError, FeeError, ValueError) as exc:
        _fail(getattr(exc, "message", str(exc)), 2)
        return
    result = breakdown.as_dict()
    if as_json:
        print(json.dumps(result))
        return
    table = Table(title=f"{breakdown.schedule} · {breakdown.card or 'FBM'} · {when} · {breakdown.currency}",
                  show_header=False)
    if breakdown.confidence == "unconfirmed":
        table.add_row("confidence", "UNCONFIRMED: this schedule has not been checked against Amazon's rate card")
    table.add_row("size tier", breakdown.size_tier)
    unit = breakdown.weight_unit
    shipping = f"{breakdown.shipping_weight} {unit}" + (f" ({breakdown.shipping_weight_lb} lb)" if unit != "lb" else "")
    if breakdown.dimensional_weight is not None:
        shipping += f" (dimensional {breakdown.dimensional_weight} {unit})"
    table.add_row("shipping weight", shipping)
    table.add_row("price band", breakdown.price_band)
    for label, key in (("FBA fee (table)", "fba_fee_base"), ("fuel surcharge", "fuel_surcharge"),
                       ("FBA fee", "fba_fee"), ("referral fee", "referral_fee"),
                       ("variable closing fee", "variable_closing_fee"), ("per-item fee", "per_item_fee"),
                       ("total per unit", "total"), ("monthly storage per unit", "monthly_storage_fee")):
        missing = " (not in the schedule: counted as 0)" if key in breakdown.missing else ""
        table.add_row(label, (dollars(result[key]) or "") + missing)
    Console().print(table)


# ---- scan -------------------------------------------------------------------------------------


@app.command()
def scan(
    file: Annotated[Path, typer.Argument(help="Supplier file: CSV, TSV, TXT or XLSX.", exists=True, dir_okay=False)],
    marketplace: Annotated[str, typer.Option(help="Marketplace code.")] = "US",
    id_col: Annotated[int, typer.Option("--id-col", help="Column of the UPC/EAN/ISBN/ASIN (from 0).")] = 0,
    cost_col: Annotated[int, typer.Option("--cost-col", help="Column of the unit cost (from 0).")] = 1,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header",
                                                   help="Row 1 is a header (default: detected).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write all results, most profitable first (.csv, .xlsx, .json).")] = None,
    account: Annotated[Optional[str], typer.Option(
        help="Account the scan belongs to (created if new); default: the default account (the first "
             "made, whose live data the SELLERKIT_SPAPI_* settings connect), else a new one named cli.")] = None,
    top: Annotated[int, typer.Option(help="Rows in the summary table.")] = 10,
):
    """Scan a supplier file here and now: progress while it runs, then the most profitable rows."""
    import shutil
    import threading
    import time

    from sellerkit.accounts.service import keys
    from sellerkit.catalog.snapshot import snapshots
    from sellerkit.domain.money import dollars
    from sellerkit.kit.blobs import blobs_for, work_file
    from sellerkit.scans.models import Scan
    from sellerkit.scans.runner import Runner
    from sellerkit.scans.schemas import ResultsQuery, UploadRequest
    from sellerkit.scans.service import scans

    settings = get_settings()
    db = _db()
    fmt = (out.suffix.lower().lstrip(".") if out else None)
    if fmt is not None and fmt not in ("csv", "xlsx", "json"):
        _fail(f"--out: {out} should end in .csv, .xlsx or .json", 2)
    blobs = blobs_for(settings)
    copy = work_file(settings, ".upload")
    shutil.copyfile(file, copy)
    try:
        request = UploadRequest.model_validate({"mapping": {"id": id_col, "cost": cost_col},
                                                "options": {"marketplace_id": marketplace, "name": file.name,
                                                            "header": header}})
        with db.session(write=True) as session:
            if account is None and keys.default_account_id(session) is not None:
                acct = keys.find_account(session, None)
            else:
                acct = keys.find_or_create_account(session, account or "cli", None)
            scan_id = scans.create(session, acct.id, blobs, copy, file.name, request).id
    except SellerkitError as exc:
        copy.unlink(missing_ok=True)
        _fail(exc.message, 2)
        return
    stopping = threading.Event()
    runner = threading.Thread(target=Runner(db, settings, stopping).run, args=(scan_id,), daemon=True)
    started = time.monotonic()
    runner.start()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[counts]}"),
                  TimeRemainingColumn(), console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"scanning {file.name}", total=None, counts="")
        try:
            while runner.is_alive():
                runner.join(0.2)
                with db.session() as session:
                    row = session.get(Scan, scan_id)
                    bar.update(task, total=row.lines or None, completed=row.processed,
                               counts=f"{row.products:,} results, {row.errors:,} errors")
        except KeyboardInterrupt:
            stopping.set()
            runner.join()
            err.print(f"stopped: scan {scan_id} keeps its progress; a server or `sellerkit worker` resumes it")
            raise typer.Exit(130)
    with db.session() as session:
        row = scans.get(session, acct.id, scan_id)
    elapsed = time.monotonic() - started
    err.print(f"scan {scan_id}: {row.status} in {elapsed:.1f} s: {row.lines:,} lines, {row.products:,} results, "
              f"{row.errors:,} errors" + (f" ({row.message})" if row.message else ""))
    if row.status != "Success":
        raise typer.Exit(1)
    query = ResultsQuery(sort="-profit")
    if out:
        frame, table = scans.export_frame(row, blobs, query)
        scans.write_export(row, frame, table, fmt, out)
        err.print(f"wrote {frame.height:,} results to {out}")
    snapshots.forget()  # the scan is done: its catalog need not stay in this process's memory
    page = scans.results(row, blobs, ResultsQuery(sort="-profit", per_page=max(1, min(top, 100))), lazy=True)
    table = Table("line", "ASIN", "title", "cost", "price", "fees", "profit", "ROI", "units/mo",
                  title=f"most profitable of {page['count']:,}")
    for p in page["data"]:  # a field with no value is left out of a page
        money, fees, roi = p["financials"], p["amazon_fees"], p["financials"].get("roi")
        table.add_row(str(p["inputs"]["line"]), p["asin"], (p.get("amazon_title") or "")[:40],
                      dollars(p["inputs"]["cost"]), dollars(money.get("sale_price")), dollars(fees.get("total")),
                      dollars(money.get("profit")), f"{roi / 100:.0f}%" if roi is not None else "",
                      str(p.get("units_per_month") or ""))
    Console().print(table)


# ---- lookup -----------------------------------------------------------------------------------


@app.command()
def lookup(
    asin: Annotated[Optional[str], typer.Option(help="Comma-separated ASINs (1 to 10).")] = None,
    upc: Annotated[Optional[str], typer.Option(help="Comma-separated UPCs.")] = None,
    ean: Annotated[Optional[str], typer.Option(help="Comma-separated EANs.")] = None,
    domain: Annotated[str, typer.Option(help="com, ca, de, fr, it, nl, es, in, uk, jp, au or mx.")] = "com",
):
    """Products as `GET /products/lookup` answers them (JSON items; an operator's look-up costs no tokens)."""
    from sellerkit.catalog.lookup import lookups

    db = _db()
    try:
        query = lookups.query(asin, upc, ean, domain)
        with db.reader() as reader:
            codes, items = lookups.found(reader, query, get_settings().data_dir)
    except SellerkitError as exc:
        _fail(exc.message, 2)
        return
    print(json.dumps(items, ensure_ascii=False, indent=2))
    err.print(f"{len(codes)} of {len(query.codes)} codes found in {query.marketplace.domain}, "
              f"{len(items)} item{'' if len(items) == 1 else 's'}", highlight=False)


# ---- quotas -------------------------------------------------------------------------------------


@app.command()
def quotas(
    account: Annotated[Optional[str], typer.Option(help="Account id or name (default: every account with a budget in use).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON as GET /api/v3/quotas answers it.")] = False,
):
    """Provider budgets (SP-API operations, Keepa tokens) as GET /api/v3/quotas shows them. With
    SELLERKIT_REDIS_URL: the live state every server and worker shares. Without: the documented
    limits every budget starts from (the live state is in the server's memory: ask the route)."""
    from sellerkit.accounts import repository
    from sellerkit.catalog.providers.budget import budgets_for
    from sellerkit.catalog.providers.quotas import quotas_reply

    settings = get_settings()
    account_id = None
    if account is not None:
        with _db().session() as s:
            found = repository.account_by_id(s, int(account)) if account.isdigit() else None
            found = found or repository.account_by_name(s, account)
            if found is None:
                _fail(f"--account: no account {account!r} (an account id or name, as `sellerkit keys list` shows)", 2)
            account_id = found.id
    budgets = budgets_for(settings)
    note = None
    if budgets.kind == "memory":
        note = ("no SELLERKIT_REDIS_URL: each server process keeps its budgets in its own memory, which this "
                "command cannot read, so these are the documented limits every budget starts from; "
                "GET /api/v3/quotas shows the live state (or set SELLERKIT_REDIS_URL to share it)")
    try:
        body = quotas_reply(budgets, account_id, note)
    except SellerkitError as exc:
        _fail(exc.message)
        return
    if as_json:
        print(json.dumps(body))
        return
    if note:
        err.print(f"note: {note}", soft_wrap=True, highlight=False, markup=False)
    accounts = {row["account_id"] for row in body["budgets"]}
    several = len(accounts) > 1
    when = body["now"][:19].replace("T", " ")
    if body["store"] == "redis":
        title = f"provider budgets on Redis at {when} UTC"
    else:
        title = "documented provider limits (the live state: GET /api/v3/quotas)"
    if not several and None not in accounts:
        title += f", account {next(iter(accounts))}"
    table = Table(*(["account"] if several else []), "budget", "state", "rate/s", "burst", "available",
                  "queued s", "next slot", "limit", "429s", title=title)
    for row in body["budgets"]:
        table.add_row(*([str(row["account_id"])] if several else []), f"{row['provider']} {row['operation']}",
                      row["state"], f"{row['rate_per_second']:.3g}", f"{row['burst']:g}",
                      f"{row['available_now']:g}" + (" tokens" if row["unit"] == "tokens" else ""), f"{row['queued_seconds']:g}",
                      row["next_slot_at"][11:19], row["limit_source"], str(row["throttled"]))
    Console().print(table)


# ---- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade():
    """Apply database migrations (the server also does this on start)."""
    _db()
    err.print("database is at the latest schema")


if __name__ == "__main__":  # pragma: no cover
    app()
