"""Every setting sellerkit reads, in one place: environment variables prefixed `SELLERKIT_`."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


def default_data_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """Never the current directory: a key made from elsewhere must land in the server's database.
    A source checkout (`make run`) keeps its data in the checkout's `data`; an installed package
    in the user's data directory."""
    checkout = package_dir.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    return Path(platformdirs.user_data_dir("sellerkit", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELLERKIT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the embedded database, uploads and exports live; default: `data` in "
        "the source checkout sellerkit runs from, else the user's data directory (platformdirs). "
        "A relative path is taken from the current directory and made absolute.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; unset means SQLite at <data_dir>/sellerkit.db. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    demo: bool = Field(True, description="Load demo products into an empty catalog on start.")
    demo_products: int = Field(20_000, description="How many demo products to load.")
    demo_seed: int = Field(1, description="Seed of the deterministic demo generator.")
    host: str = Field("127.0.0.1", description="Address `sellerkit serve` binds.")
    port: int = Field(8000, description="Port `sellerkit serve` binds (HTTP/1.1 and h2c).")
    workers: int = Field(1, description="Server worker processes.")
    log_level: str = Field("info", description="Server log level.")
    worker_metrics_port: int | None = Field(
        None,
        description="Port on which `sellerkit worker` serves its Prometheus metrics (`/metrics`: jobs "
        "running and ended, queue depth), bound to SELLERKIT_HOST; unset serves none.",
    )
    log_format: str = Field(
        "text",
        description="Log lines of sellerkit, the server and `sellerkit worker` on standard error: text "
        "(`time level logger: message`) or json (one object a line: time, level, logger, message, and "
        "exception when there is one).",
        pattern="^(text|json)$",
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:6379/0 puts the job queue, the rate limits, the token quotas and "
        "the provider budgets on Redis, shared by every server and `sellerkit worker` process on any "
        "machine; unset keeps the queue in <data_dir>/queue.db and the limits and budgets in each "
        "process's memory.",
    )
    blob_url: str | None = Field(
        None,
        description="s3://bucket/prefix keeps every file sellerkit keeps (uploads, scan results, "
        "exports) in that S3-compatible bucket, shared by every server and worker on any machine; "
        "credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN) and "
        "AWS_REGION. Unset keeps them under the data dir.",
        pattern=r"^s3://[^/]+(/.*)?$",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="S3 endpoint of SELLERKIT_BLOB_URL for a store other than AWS (MinIO, Ceph, "
        "R2, ...), e.g. http://minio:9000; http:// is allowed. Unset: AWS in AWS_REGION.",
    )
    queue_name: str = Field("sellerkit", description="Name of the job queue (its keys on Redis).")

    # Limits: request rates (every route) and token quotas (look-ups). In process memory, or in
    # Redis (shared by every server process) when redis_url is set.
    rate_limit_rps: int = Field(
        600,
        description="Requests a second a key may make when it has no limit of its own "
        "(`sellerkit keys set-limit`); a burst of one second's worth is allowed.",
        gt=0,
    )
    account_rate_limit_rps: int = Field(
        1200,
        description="Requests a second all the keys of one account may make together (a burst of "
        "one second's worth), so that minting keys does not multiply an account's rate. Never "
        "below SELLERKIT_RATE_LIMIT_RPS, and a key given a higher limit of its own (`sellerkit "
        "keys set-limit`) may use the account's bucket up to that: one key at its limit is never "
        "slowed by its account. 429 naming the account beyond it.",
        gt=0,
    )
    max_keys_per_account: int = Field(
        25,
        description="Live (not revoked) API keys one account may hold; `POST /account/keys` and "
        "`sellerkit keys create --account` answer 409 past it (revoke one first).",
        gt=0,
    )
    quota_flush_seconds: float = Field(
        2.0,
        description="How often the in-memory daily token counters are written to the database "
        "(and other server processes' usage read back); they are also written at shutdown.",
        gt=0,
    )
    limits_redis_prefix: str = Field(
        "sellerkit:limits", description="Prefix of the rate-limit, token and provider-budget keys on Redis."
    )
    # ---- the web dashboard (sellerkit/web, docs/dashboard.md) ----
    session_secret: SecretStr | None = Field(
        None,
        description="Key that signs dashboard session cookies; unset: one derived from "
        "SELLERKIT_SECRET_KEY when that is set (the same on every machine), else a random key kept in "
        "<data_dir>/session-secret (made on first use, shared by every process on that data dir).",
    )
    session_hours: float = Field(12.0, description="Hours a dashboard sign-in lasts; then the "
                                 "session-expired page asks to sign in again.", gt=0)
    secure_cookies: bool | None = Field(
        None,
        description="Mark dashboard cookies `Secure`; unset: when the request arrived over https "
        "(its scheme, or `X-Forwarded-Proto: https` from a TLS proxy).",
    )
    sign_in_per_minute: int = Field(
        5, description="Sign-in attempts a minute allowed per client address and per email (after a "
        "burst of twice as many); beyond it the sign-in page answers 429.", gt=0)
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="JSON list of the reverse proxies (addresses or networks, e.g. [\"127.0.0.1\", \"10.0.0.0/8\"]) "
        "whose `X-Forwarded-For` names the client: a request from one of them is counted by the address "
        "the proxies saw (the rightmost entry that is not itself a trusted proxy), for the sign-in limit. "
        "Default none: the peer's own address, and `X-Forwarded-For` is ignored (anyone can send it).")
    embedded_worker: bool | None = Field(
        None,
        description="Run job consumer threads inside the server; default: yes without Redis, "
        "no with Redis (run `sellerkit worker`).",
    )
    job_threads: int = Field(2, description="Consumer threads of a worker (or of the server).")
    webhook_timeout: float = Field(10.0, description="Seconds a webhook receiver has to answer one delivery "
                                   "attempt (then it is retried).", gt=0)
    webhook_max_attempts: int = Field(8, description="Attempts at delivering one webhook before it is marked "
                                      "failed.", gt=0)
    webhook_retry_base_seconds: float = Field(
        10.0, description="Wait after a webhook's first failed attempt; doubled after each further one, "
        "at most an hour.", gt=0)
    channel_debounce_seconds: float = Field(
        60.0, description="Live channels (Amazon listings): a price or quantity change is sent this many "
        "seconds after a product's first change, as one patch with the values then; further changes "
        "within the window make no further patch.", ge=0)
    upload_limit_mb: int = Field(100, description="Largest supplier file accepted, in MB (413 above).")
    image_limit_mb: int = Field(10, description="Largest product image accepted, in MB (413 above).", gt=0)
    image_max_pixels: int = Field(
        40_000_000, description="Most pixels a product image may declare (413 above, checked before "
        "decoding: a decompression bomb is refused unexpanded).", gt=0)

    # Request bodies, connections and timeouts (docs/limits.md). Enforced before the key is
    # checked and before a body is read whole.
    json_body_limit_kb: int = Field(
        1_000,
        description="Largest request body of a JSON route, in KB of 1,000 bytes (413 above, the "
        "connection closed); the scan upload takes upload_limit_mb instead.",
        gt=0,
    )
    body_read_timeout: float = Field(
        300.0,
        description="Seconds a client may take to send a whole request body (408 past it, the "
        "connection closed): a body trickled a byte at a time is cut off.",
        gt=0,
    )
    body_idle_timeout: float = Field(
        30.0,
        description="Seconds a request body may pause between two of its chunks (408 past it, the "
        "connection closed).",
        gt=0,
    )
    header_read_timeout: float = Field(
        10.0,
        description="Seconds a client may take to send a request's headers, counted from the "
        "connection's start or the previous reply; past it the connection is closed. A connection "
        "that sends nothing at all is closed after the same time.",
        gt=0,
    )
    keep_alive_timeout: float = Field(
        60.0,
        description="Seconds a connection (HTTP/1.1 or HTTP/2) with no request in flight may stay "
        "open without sending anything before it is closed. HTTP/1.1 connections are also "
        "closed when the next request's headers do not arrive within header_read_timeout.",
        gt=0,
    )
    max_connections: int = Field(
        10_000,
        description="Connections one server worker process serves at once; more wait in the "
        "backlog until one closes. `sellerkit serve` raises the open-files limit to fit.",
        gt=0,
    )
    backlog: int = Field(
        2048,
        description="Connections the kernel queues for the server beyond max_connections (the "
        "listen backlog; at most net.core.somaxconn); past it new connections are refused.",
        ge=128,
    )
    access_log: str = Field(
        "info",
        description="Level of the access log, one JSON line per request on standard output "
        "(time, method, path without the query string, status, ms, partner id, client): debug, "
        "info or warning, shown when at or above log_level; off turns it off.",
        pattern="^(off|debug|info|warning)$",
    )
    results_cache_mb: int = Field(1536, description="Memory for finished scans' results kept ready for pages.")
    scan_chunk_rows: int = Field(
        50_000, description="Rows a scan processes between progress saves (a chunk's working memory grows with it; "
        "a scan resumed after a change keeps the size it started with).", gt=0)
    scan_max_rows: int = Field(
        2_000_000,
        description="Most rows a supplier file (CSV or XLSX, header included) may have; more is a "
        "413 at upload, or the scan's error if only reading finds them.",
        gt=0,
    )
    xlsx_max_xml_mb: int = Field(
        1_000,
        description="Most MB an XLSX workbook may inflate to (the sizes its ZIP directory declares, "
        "all parts together); more is a 413 at upload, before anything is inflated.",
        gt=0,
    )
    scan_stale_seconds: int = Field(
        60, description="A running scan with no progress saved for this long is resumed elsewhere (at once "
                        "when the process holding it ran on this host and is gone)."
    )
    sweep_seconds: int = Field(
        60, description="Seconds between a consumer's sweeps, the periodic jobs (scans of dead workers resumed, "
                        "catalog snapshots rebuilt, listing changes sent, order pulls and tracked collections "
                        "started, webhooks retried): each is an every-minute job, so shorter only makes it "
                        "prompter (tests).", gt=0, le=60)

    # ---- tracked collections: page capture (docs/tracking.md) ----
    capture_base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object from marketplace domain to the base URL the fetcher GETs `{base}/dp/{ASIN}` from, "
        "e.g. {\"amazon.com\": \"http://127.0.0.1:8081\"}; a domain not listed is fetched from https://www.<domain>.",
    )
    capture_proxies: list[str] = Field(
        default_factory=list,
        description="JSON list of proxy URLs (http://user:pass@host:port) the fetcher rotates through, one per "
        "delivery location; empty: direct.",
    )
    capture_concurrency: int = Field(20, description="Pages fetched at once across all runs: of every process "
                                                     "together when SELLERKIT_REDIS_URL is set, else of each process.",
                                     gt=0)
    capture_host_rps: int = Field(10, description="Requests a second to one marketplace host, per process "
                                                  "(on Redis when SELLERKIT_REDIS_URL is set: for all).", gt=0)
    capture_timeout: float = Field(20.0, description="Seconds a page fetch may take.", gt=0)
    capture_retries: int = Field(3, description="Retries of a page that failed (timeout, 5xx, 429), with "
                                                "exponential backoff and jitter.", ge=0)
    capture_block_retries: int = Field(2, description="Further tries of an item met by a robot check, later in "
                                                      "the run, with backoff; then it stays blocked.", ge=0)
    capture_backoff_seconds: float = Field(1.0, description="First backoff of a retry (doubles each time).", ge=0)
    capture_user_agent: str = Field(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        description="User-Agent of page fetches.")
    smtp_url: str | None = Field(
        None, description="smtp://user:password@host:port (smtps:// for TLS) to send run notifications to "
        "collections' notification_email; unset: the address is recorded on the run, nothing is sent.")
    smtp_from: str = Field("sellerkit@localhost", description="From address of run notifications.")

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def runs_embedded_worker(self) -> bool:
        return self.embedded_worker if self.embedded_worker is not None else not self.redis_url

    # Amazon SP-API (one seller's authorisation). Unset, nothing asks Amazon: FBA inbound
    # eligibility is estimated by the catalog rules (`source: rules`).
    spapi_refresh_token: SecretStr | None = Field(
        None,
        description="SP-API: the seller's Login with Amazon refresh token (Atzr|...), from "
        "authorising the app. With the client id and secret it turns on SP-API look-ups.",
    )
    spapi_client_id: str | None = Field(
        None, description="SP-API: the app's LWA client id (amzn1.application-oa2-client....)."
    )
    spapi_client_secret: SecretStr | None = Field(
        None, description="SP-API: the app's LWA client secret."
    )
    spapi_endpoint: str | None = Field(
        None,
        description="SP-API base URL for every marketplace, overriding the regional endpoints "
        "(NA/EU/FE); e.g. https://sandbox.sellingpartnerapi-na.amazon.com for the sandbox.",
    )
    spapi_seller_id: str | None = Field(
        None,
        description="SP-API: the seller's merchant token (seller id, e.g. A2EXAMPLE1234), needed "
        "by Listings Restrictions and the listing operations. With SELLERKIT_SPAPI_REFRESH_TOKEN "
        "it connects the default account (`sellerkit providers connect amazon` connects others).",
    )
    spapi_lwa_url: str = Field(
        "https://api.amazon.com/auth/o2/token",
        description="SP-API: the Login with Amazon token URL the refresh token is exchanged at.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that encrypts provider credentials at rest (refresh tokens stored by "
        "`sellerkit providers connect`); any long random text. Without it, credentials cannot be "
        "stored (the SELLERKIT_SPAPI_* settings still connect the default account).",
    )
    # Channels' orders (issue 22): pulled on a schedule from Amazon (the SP-API connection above)
    # and eBay (below); tracking entered in sellerkit goes back to them.
    orders_pull_minutes: int = Field(
        10, ge=1, le=24 * 60,
        description="How often orders are pulled from each connected Amazon and eBay channel account "
        "(minutes). Amazon allows getOrders about once a minute; `sellerkit orders pull` pulls now.",
    )
    orders_pull_lookback_days: int = Field(
        30, ge=1, le=730,
        description="How far back the first pull of a channel account goes (days of order changes).",
    )
    shipment_retry_base_seconds: float = Field(
        30.0, gt=0,
        description="A tracking confirmation the channel could not take (throttled, down) is tried "
        "again after this, doubled each time up to an hour, until it is sent or refused.",
    )
    ebay_client_id: str | None = Field(
        None, description="eBay: the app's client id (App ID) from the eBay developer keyset."
    )
    ebay_client_secret: SecretStr | None = Field(
        None, description="eBay: the app's client secret (Cert ID); with the client id it exchanges "
        "the seller's refresh token (`sellerkit providers connect ebay`) for access tokens.",
    )
    ebay_endpoint: str = Field(
        "https://api.ebay.com",
        description="eBay API base URL (the OAuth token endpoint and the Sell Fulfillment API live "
        "under it); https://api.sandbox.ebay.com for the sandbox, a local fake in tests.",
    )
    keepa_key: SecretStr | None = Field(
        None, description="Keepa API key: turns on Keepa product data (prices, ranks, history)."
    )
    keepa_endpoint: str = Field("https://api.keepa.com", description="Keepa API base URL.")
    ttl_catalog: timedelta = Field(
        timedelta(days=30),
        description="How long live catalog data (identifiers to ASINs, title, brand, dimensions, "
        "rank) is reused before a provider is asked again (seconds, or ISO 8601 such as P30D).",
    )
    ttl_pricing: timedelta = Field(
        timedelta(hours=24), description="How long live prices (Buy Box, competitive prices) are reused."
    )
    ttl_fees: timedelta = Field(
        timedelta(days=7), description="How long a marketplace's own fee estimate is reused."
    )
    ttl_offers: timedelta = Field(
        timedelta(hours=24), description="How long live offers (lowest prices, offer counts) are reused."
    )
    ttl_restrictions: timedelta = Field(
        timedelta(days=7), description="How long a listing restriction answer is reused."
    )
    ttl_misses: timedelta = Field(
        timedelta(days=7),
        description="How long a code no provider knows is remembered as unknown (not asked again).",
    )
    spapi_timeout: float = Field(10.0, description="SP-API: seconds to wait for one reply.")
    spapi_max_retries: int = Field(
        3,
        description="SP-API: retries of a throttled (429), failed (5xx) or unanswered call, "
        "waiting its Retry-After or 1, 2, 4 ... seconds.",
    )
    spapi_time_budget: float = Field(
        20.0,
        description="Seconds one inbound-eligibility request may spend asking SP-API (it allows "
        "1 call a second); ASINs not reached get the rules' estimate now and Amazon's answer on "
        "a later request. Also how long a product look-up may spend fetching live data on codes "
        "the catalog lacks or holds stale (what it did not reach, a later look-up fetches).",
    )
    eligibility_cache_ttl: timedelta = Field(
        timedelta(days=7),
        description="How long an SP-API inbound eligibility answer is reused before Amazon is "
        "asked again (seconds, or ISO 8601 such as P7D).",
    )

    # Google Sheets export (RocketSource's "Export to GSheets"); off until a key file is given.
    google_service_account_file: Path | None = Field(
        None,
        description="Service-account JSON key file used to create spreadsheets; unset turns the "
        "Google Sheets export off.",
    )
    google_drive_folder_id: str | None = Field(
        None,
        description="Drive folder new spreadsheets are created in, e.g. one in a Shared Drive the "
        "service account can edit: service accounts own no Drive storage of their own.",
    )
    google_delegated_user: str | None = Field(
        None,
        description="Workspace user the service account acts for (domain-wide delegation), who "
        "then owns the spreadsheets: the other way round service accounts owning no storage.",
    )
    google_share_with: str | None = Field(
        None,
        description="Email address each new spreadsheet is shared with as a writer, without a "
        "notification email.",
    )
    google_sheets_requests_per_minute: int = Field(
        60,
        description="Google API requests per minute the export allows itself (Google grants a "
        "user about 60 writes a minute); it waits rather than be refused.",
        gt=0,
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sellerkit.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
