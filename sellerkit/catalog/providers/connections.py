"""Credentials per seller account: which outside services an account's live data comes from.

A connection is one account's access to one provider:
- `spapi` (Amazon SP-API): the seller's Login with Amazon refresh token (`Atzr|...`, the
  secret), the seller id (merchant token; Listings Restrictions need it) and the marketplaces
  the seller sells in. The app's LWA client id and secret are the install's own
  (SELLERKIT_SPAPI_CLIENT_ID, SELLERKIT_SPAPI_CLIENT_SECRET), shared by every account: without
  them no refresh token can be used, and the status says so.
- `keepa`: a Keepa API key (the secret).
- `ebay`: the seller's eBay OAuth refresh token (user token, `v^1.1#...`) for the Sell
  Fulfillment API: the eBay channel pulls its orders and sends tracking back
  (commerce/channel_ebay.py). The app's client id and secret are the install's own
  (SELLERKIT_EBAY_CLIENT_ID, SELLERKIT_EBAY_CLIENT_SECRET). No setting connects it: only
  `sellerkit providers connect ebay`.

Where an account's connections come from (`connections_for`), per provider:
1. `stored`: made by `sellerkit providers connect`, one row of `provider_connections` per
   account and provider, the secret encrypted at rest (below);
2. `settings`: for the default account only (the first account made, `keys.default_account_id`),
   SELLERKIT_SPAPI_REFRESH_TOKEN (seller id from SELLERKIT_SPAPI_SELLER_ID) and
   SELLERKIT_KEEPA_KEY. A stored connection wins over the settings for the same provider.

Encryption at rest: AES-256-GCM with a key derived from SELLERKIT_SECRET_KEY by HKDF-SHA256.
- HKDF, because the setting is "any long random text", not a key of AES's shape: HKDF turns
  it into exactly 32 uniform bytes. Its `info` is a fixed string naming this one use
  (`INFO`): another use of the same setting later derives an independent key, and the version
  in it lets a later scheme derive a new key beside this one. No salt: the input must be
  random text of at least `MIN_SECRET_KEY_CHARS` characters (a slow password hash would only
  matter for a guessable key, which is refused instead, and would be paid at every read).
- AES-GCM rather than Fernet: both are authenticated (a wrong key or an altered value fails
  the check, it never decrypts to garbage), and GCM also binds each secret to its account and
  provider (associated data): a row copied to another account with SQL does not decrypt.
- A stored value is `\\x01` (the format), a random 12-byte nonce, then the ciphertext and tag.

Secrets never leave this module except inside a `Connection` (whose repr leaves them out): no
log line, exception message or reply carries one.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.catalog.providers.base import KINDS
from sellerkit.catalog.providers.models import ProviderConnection
from sellerkit.domain.marketplaces import UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote
from sellerkit.errors import Invalid, NotFound, SellerkitError
from sellerkit.kit.db import Database, utcnow

if TYPE_CHECKING:
    from sellerkit.config import Settings

log = logging.getLogger("sellerkit.providers")

SETTINGS, STORED = "settings", "stored"
INFO = b"sellerkit provider credentials v1"  # HKDF info: this key encrypts these secrets, nothing else
FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
MIN_SECRET_KEY_CHARS = 32
NEW_KEY_HINT = "e.g. the output of `python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"`"

# Keepa's marketplaces (its domain ids 1 com ... 12 com.br; 7 is reserved).
KEEPA_MARKETPLACES = ("US", "UK", "DE", "FR", "JP", "CA", "IT", "ES", "IN", "MX", "BR")

# An environment marker `sellerkit serve` sets once it has said what live data is unavailable
# (in its banner), so the server processes it starts do not say it again.
ANNOUNCED_ENV = "_SELLERKIT_LIVE_DATA_ANNOUNCED"


# ---- what each provider unlocks ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feature:
    text: str
    kinds: tuple[str, ...]  # providers.base.KINDS it brings
    needs_seller_id: bool = False


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    name: str  # "spapi", "keepa": Connection.provider, the provider_connections row
    label: str  # what people call it
    command: str  # `sellerkit providers connect <command>`
    features: tuple[Feature, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if any(k in f.kinds for f in self.features))


PROVIDERS: dict[str, ProviderInfo] = {
    "spapi": ProviderInfo("spapi", "Amazon SP-API", "amazon", (
        Feature("match codes the catalog lacks", ("catalog",)),
        Feature("live Buy Box prices", ("pricing", "offers")),
        Feature("Amazon's fee estimates (cross-check)", ("fees",)),
        Feature("listing restrictions (needs seller id)", ("restrictions",), needs_seller_id=True),
        Feature("inbound eligibility", ("eligibility",)),
    )),
    "keepa": ProviderInfo("keepa", "Keepa", "keepa", (
        Feature("match codes the catalog lacks", ("catalog",)),
        Feature("Buy Box, lowest prices and offer counts", ("pricing", "offers")),
        Feature("Keepa history and monthly sold", ("catalog", "pricing")),
    )),
    # a sales channel, not live data: no catalog kinds (so no scan or banner misses it)
    "ebay": ProviderInfo("ebay", "eBay", "ebay", (
        Feature("eBay orders pulled into commerce, tracking sent back (sell.fulfillment)", ()),
    )),
}
# What turns each provider on for the default account, said wherever live data is missing.
TURN_ON = {
    "spapi": "set SELLERKIT_SPAPI_CLIENT_ID, SELLERKIT_SPAPI_CLIENT_SECRET and SELLERKIT_SPAPI_REFRESH_TOKEN, "
             "or run `sellerkit providers connect amazon`",
    "keepa": "set SELLERKIT_KEEPA_KEY, or run `sellerkit providers connect keepa`",
    "ebay": "set SELLERKIT_EBAY_CLIENT_ID and SELLERKIT_EBAY_CLIENT_SECRET, and run "
            "`sellerkit providers connect ebay --refresh-token-file FILE`",
}
COMMANDS = {info.command: name for name, info in PROVIDERS.items()}  # "amazon" -> "spapi"
assert all(k in KINDS for info in PROVIDERS.values() for f in info.features for k in f.kinds)


def provider_name(text: str) -> str:
    """`amazon` (or `spapi`) -> "spapi", `keepa` -> "keepa"; anything else is a 400."""
    name = COMMANDS.get(text.strip().lower(), text.strip().lower())
    if name not in PROVIDERS:
        raise Invalid(f"provider: unknown provider {quote(text)}; expected one of {', '.join(COMMANDS)}")
    return name


# ---- errors ------------------------------------------------------------------------------------


class CredentialsError(SellerkitError):
    """Stored credentials cannot be written or read: the install's configuration is at fault."""

    status_code = 503


class SecretKeyMissing(CredentialsError):
    pass


class SecretUnreadable(CredentialsError):
    pass


# ---- the secrets' checks (pure: no secret is ever quoted) ------------------------------------------


_REFRESH_TOKEN = re.compile(r"Atzr\|[!-~]{20,4000}")  # LWA refresh tokens: Atzr| then printable ASCII
_KEEPA_KEY = re.compile(r"[A-Za-z0-9]{16,256}")  # Keepa shows a 64-character key of letters and digits
_SELLER_ID = re.compile(r"[A-Z0-9]{8,40}")
_EBAY_TOKEN = re.compile(r"[!-~]{20,4000}")  # eBay user refresh tokens: v^1.1#i^1#... printable ASCII


def check_refresh_token(text: str, where: str) -> str:
    """A Login with Amazon refresh token, stripped. The message names `where` it came from and
    never shows any of its characters."""
    token = text.strip()
    if not token:
        raise Invalid(f"{where}: empty; it should hold the seller's LWA refresh token (Atzr|...)")
    if not token.startswith("Atzr|"):
        raise Invalid(f"{where}: this is not a Login with Amazon refresh token: one starts with `Atzr|` "
                      f"(an access token starts with `Atza|`; the client secret is the app's, set as "
                      f"SELLERKIT_SPAPI_CLIENT_SECRET); its characters are not shown")
    if not _REFRESH_TOKEN.fullmatch(token):
        raise Invalid(f"{where}: an LWA refresh token is `Atzr|` then 20 to 4,000 printable characters "
                      f"without spaces or line breaks; this one ({len(token):,} characters) is not, "
                      f"and its characters are not shown")
    return token


def check_ebay_token(text: str, where: str) -> str:
    """An eBay OAuth refresh token (the user token eBay's consent flow gives, `v^1.1#...`),
    stripped; the message never shows its characters."""
    token = text.strip()
    if not token:
        raise Invalid(f"{where}: empty; it should hold the seller's eBay refresh token (v^1.1#...)")
    if token.startswith("Atzr|"):
        raise Invalid(f"{where}: this is an Amazon refresh token; connect it with `sellerkit providers connect "
                      "amazon`")
    if not _EBAY_TOKEN.fullmatch(token):
        raise Invalid(f"{where}: an eBay refresh token is 20 to 4,000 printable characters without spaces or line "
                      f"breaks; this one ({len(token):,} characters) is not, and its characters are not shown")
    return token


def check_keepa_key(text: str, where: str) -> str:
    key = text.strip()
    if not _KEEPA_KEY.fullmatch(key):
        raise Invalid(f"{where}: a Keepa API key is letters and digits only (64 of them, as keepa.com "
                      f"shows it under API); this is {len(key):,} characters that are not, and its "
                      f"characters are not shown")
    return key


def check_seller_id(text: str | None) -> str | None:
    """The seller's merchant token (e.g. A2EXAMPLE1234), or None."""
    if text is None:
        return None
    seller = text.strip().upper()
    if not _SELLER_ID.fullmatch(seller):
        raise Invalid(f"seller id: {quote(text)} is not a merchant token: 8 to 40 capital letters and "
                      "digits, e.g. A2EXAMPLE1234 (Seller Central: Settings > Account Info > "
                      "Merchant Token)")
    return seller


def check_marketplaces(codes: Iterable[str], field: str = "marketplace") -> tuple[str, ...]:
    """Marketplace codes (any accepted spelling), resolved, in the order given, once each."""
    out: list[str] = []
    for code in codes:
        try:
            mp = marketplace(code, field)
        except UnknownMarketplace as exc:
            raise Invalid(str(exc)) from None
        if mp.code not in out:
            out.append(mp.code)
    if not out:
        raise Invalid(f"{field}: give the marketplaces the seller sells in, e.g. --marketplace US "
                      "(repeat it for more)")
    return tuple(out)


def settings_marketplaces(endpoint: str | None) -> tuple[str, ...]:
    """The marketplaces the SELLERKIT_SPAPI_* connection serves: those of the region its
    SELLERKIT_SPAPI_ENDPOINT names (sellingpartnerapi-na, -eu, -fe, the sandboxes too); every
    marketplace SP-API serves when the endpoint is unset (each marketplace is asked at its
    region's endpoint, and the refresh token's authorisation decides) or names no region (a
    local fake). To narrow it, connect the default account with `sellerkit providers connect
    amazon --marketplace ...`: a stored connection wins over the settings."""
    from sellerkit.catalog.spapi import REGIONS

    if endpoint:
        host = endpoint.lower()
        for region, codes in REGIONS.items():
            if f"sellingpartnerapi-{region.lower()}." in host:
                return codes
    return tuple(code for codes in REGIONS.values() for code in codes)


# ---- encryption --------------------------------------------------------------------------------


def _aad(account_id: int, provider: str) -> bytes:
    return f"sellerkit provider credentials|account={account_id}|provider={provider}".encode()


class Cipher:
    """AES-256-GCM with the key HKDF-SHA256 derives from SELLERKIT_SECRET_KEY (module doc)."""

    def __init__(self, secret_key: str) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        if len(secret_key) < MIN_SECRET_KEY_CHARS:
            raise SecretKeyMissing(
                f"SELLERKIT_SECRET_KEY is {len(secret_key)} characters; it must be at least "
                f"{MIN_SECRET_KEY_CHARS} random characters ({NEW_KEY_HINT})")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret_key.encode())
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Cipher(<key hidden>)"

    @classmethod
    def from_settings(cls, settings: Settings, doing: str = "store credentials") -> Cipher:
        key = settings.secret_key.get_secret_value() if settings.secret_key else ""
        if not key:
            raise SecretKeyMissing(
                f"cannot {doing}: SELLERKIT_SECRET_KEY is not set. Set it to a long random text "
                f"({NEW_KEY_HINT}) and keep it: stored credentials can only be read with the key "
                "they were stored with")
        return cls(key)

    def encrypt(self, secret: str, account_id: int, provider: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, secret.encode(), _aad(account_id, provider))

    def decrypt(self, blob: bytes, account_id: int, provider: str) -> str:
        """The secret; SecretUnreadable when the key is not the one it was stored with (or the
        value was altered or moved to another account)."""
        from cryptography.exceptions import InvalidTag

        label = PROVIDERS[provider].label if provider in PROVIDERS else provider
        blob = bytes(blob)
        if blob[:1] != FORMAT_V1 or len(blob) < 1 + NONCE_BYTES + 16:
            raise SecretUnreadable(f"the stored {label} credentials of account {account_id} are not in a "
                                   f"format this sellerkit knows; connect again")
        try:
            plain = self._aead.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], _aad(account_id, provider))
        except InvalidTag:
            raise SecretUnreadable(
                f"the stored {label} credentials of account {account_id} cannot be decrypted with this "
                "SELLERKIT_SECRET_KEY: it is not the key they were stored with (changed since?). Set "
                f"the old key back, or connect again (`sellerkit providers connect {PROVIDERS[provider].command} "
                f"--account {account_id} ...`)") from None
        return plain.decode()


# ---- connections -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """One account's usable access to one provider. `secret` (the refresh token, the Keepa
    key) is never in its repr."""

    provider: str  # "spapi", "keepa"
    account_id: int
    secret: str = field(repr=False)
    seller_id: str | None
    marketplaces: tuple[str, ...]
    source: str  # "settings" or "stored"


def _forget_cached() -> None:
    """This process reads connections again at once (others within registry.CONNECTIONS_TTL)."""
    from sellerkit.catalog.providers.registry import forget_connections

    forget_connections()


@contextmanager
def _as_session(db: Database | Session) -> Iterator[Session]:
    """The caller's open session, or a read session of the database for this call."""
    if isinstance(db, Session):
        yield db
        return
    with db.session() as session:
        yield session


# ---- repository: all SQL about provider_connections ---------------------------------------------


def _stored_rows(session: Session, account_id: int | None = None) -> list[ProviderConnection]:
    stmt = sa.select(ProviderConnection).order_by(ProviderConnection.account_id, ProviderConnection.provider)
    if account_id is not None:
        stmt = stmt.where(ProviderConnection.account_id == account_id)
    return list(session.scalars(stmt))


def _stored_row(session: Session, account_id: int, provider: str) -> ProviderConnection | None:
    return session.scalars(sa.select(ProviderConnection).where(
        ProviderConnection.account_id == account_id, ProviderConnection.provider == provider)).first()


@dataclass
class _Resolved:
    """What one account has for one provider: the connection chosen (stored, else settings),
    whether it can be used, and what is wrong."""

    info: ProviderInfo
    chosen: Connection | None = None
    usable: bool = False
    problems: list[str] = field(default_factory=list)


def _client_missing(settings: Settings, provider: str = "spapi") -> list[str]:
    """The app's client settings that are unset (LWA for SP-API, OAuth for eBay): without them
    no refresh token can be used."""
    if provider == "ebay":
        secret = settings.ebay_client_secret.get_secret_value() if settings.ebay_client_secret else ""
        return [name for name, value in (("SELLERKIT_EBAY_CLIENT_ID", settings.ebay_client_id or ""),
                                         ("SELLERKIT_EBAY_CLIENT_SECRET", secret)) if not value.strip()]
    secret = settings.spapi_client_secret.get_secret_value() if settings.spapi_client_secret else ""
    return [name for name, value in (("SELLERKIT_SPAPI_CLIENT_ID", settings.spapi_client_id or ""),
                                     ("SELLERKIT_SPAPI_CLIENT_SECRET", secret)) if not value.strip()]


def _settings_connections(settings: Settings, account_id: int) -> dict[str, Connection]:
    """The connections the settings give the default account (`account_id`)."""
    out: dict[str, Connection] = {}
    token = settings.spapi_refresh_token.get_secret_value().strip() if settings.spapi_refresh_token else ""
    if token:
        out["spapi"] = Connection("spapi", account_id, token, (settings.spapi_seller_id or "").strip() or None,
                                  settings_marketplaces(settings.spapi_endpoint), SETTINGS)
    key = settings.keepa_key.get_secret_value().strip() if settings.keepa_key else ""
    if key:
        out["keepa"] = Connection("keepa", account_id, key, None, KEEPA_MARKETPLACES, SETTINGS)
    return out


def _open(row: ProviderConnection, cipher: Cipher | None) -> Connection:
    label = PROVIDERS[row.provider].label if row.provider in PROVIDERS else row.provider
    if cipher is None:
        raise SecretUnreadable(f"the stored {label} credentials of account {row.account_id} cannot be read: "
                               "SELLERKIT_SECRET_KEY is not set (set it to the key they were stored with)")
    secret = cipher.decrypt(row.secret, row.account_id, row.provider)
    return Connection(row.provider, row.account_id, secret, row.seller_id,
                      tuple(json.loads(row.marketplaces or "[]")), STORED)


def _cipher_or_none(settings: Settings) -> Cipher | None:
    try:
        return Cipher.from_settings(settings, "read stored credentials")
    except SecretKeyMissing:
        return None


class ConnectionService:
    # ---- writing (the CLI) ----

    def connect(
        self, session: Session, settings: Settings, account_id: int, provider: str, secret: str, *,
        seller_id: str | None = None, marketplaces: Iterable[str] = (),
    ) -> Connection:
        """Store (or replace) `account_id`'s connection to `provider`, its secret encrypted.
        Refused without SELLERKIT_SECRET_KEY. `secret` is checked for its provider's shape."""
        from sellerkit.accounts.repository import account_by_id

        provider = provider_name(provider)
        if provider == "spapi":
            secret = check_refresh_token(secret, "refresh token")
            seller_id = check_seller_id(seller_id)
            codes = check_marketplaces(marketplaces)
        elif provider == "ebay":
            secret, seller_id, codes = check_ebay_token(secret, "refresh token"), None, ()
        else:
            secret = check_keepa_key(secret, "Keepa key")
            seller_id, codes = None, KEEPA_MARKETPLACES
        cipher = Cipher.from_settings(settings)
        if account_by_id(session, account_id) is None:
            raise NotFound(f"account: no account {account_id}")
        now = utcnow()
        row = _stored_row(session, account_id, provider)
        if row is None:
            row = ProviderConnection(account_id=account_id, provider=provider, created_at=now)
            session.add(row)
        row.seller_id = seller_id
        row.marketplaces = json.dumps(list(codes))
        row.secret = cipher.encrypt(secret, account_id, provider)
        row.updated_at = now
        session.flush()
        log.info("account %s connected to %s (seller id %s, marketplaces %s)", account_id,
                 PROVIDERS[provider].label, seller_id or "none", ", ".join(codes))
        _forget_cached()
        return Connection(provider, account_id, secret, seller_id, codes, STORED)

    def disconnect(self, session: Session, account_id: int, provider: str) -> bool:
        """Delete the account's stored connection; False when it had none. The settings'
        connection of the default account is not stored: only unsetting the setting ends it."""
        provider = provider_name(provider)
        row = _stored_row(session, account_id, provider)
        if row is None:
            return False
        session.delete(row)
        session.flush()
        log.info("account %s disconnected from %s", account_id, PROVIDERS[provider].label)
        _forget_cached()
        return True

    # ---- reading (every surface) ----

    def connections_for(self, db: Database | Session, settings: Settings, account_id: int) -> list[Connection]:
        """The account's usable connections, one per provider (SP-API first): stored ones, and
        for the default account the settings' where nothing is stored. A stored connection that
        cannot be decrypted is left out, and so is an SP-API connection while the app's client
        id and secret are unset: `status` says why, and the server says it once at start."""
        with _as_session(db) as session:
            resolved = self._resolve(session, settings, account_id)
        return [r.chosen for r in resolved.values() if r.usable and r.chosen is not None]

    def _resolve(self, session: Session, settings: Settings, account_id: int | None) -> dict[str, _Resolved]:
        """`account_id` None: no account exists yet; the first one made will be the default."""
        from sellerkit.accounts.repository import default_account_id

        default = default_account_id(session)
        is_default = account_id is None or account_id == default
        from_settings = _settings_connections(settings, account_id or 0) if is_default else {}
        rows = {row.provider: row for row in _stored_rows(session, account_id)} if account_id else {}
        cipher = _cipher_or_none(settings) if rows else None
        out: dict[str, _Resolved] = {}
        for name, info in PROVIDERS.items():
            r = out[name] = _Resolved(info)
            if name in rows:
                try:
                    r.chosen = _open(rows[name], cipher)
                except SecretUnreadable as exc:
                    r.problems.append(exc.message + (
                        "; meanwhile the SELLERKIT_* settings' connection is used" if name in from_settings else ""))
            r.chosen = r.chosen or from_settings.get(name)
            r.usable = r.chosen is not None
            missing = _client_missing(settings, name) if name in ("spapi", "ebay") else []
            if r.chosen is not None and missing:
                r.usable = False
                app = "eBay app's OAuth" if name == "ebay" else "app's Login with Amazon"
                r.problems.append(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                                  f"the {app} credentials are needed to use any refresh token")
        return out

    def status(self, db: Database | Session, settings: Settings, account_id: int | None) -> dict:
        """What the account has connected, for which marketplaces, what each connection unlocks,
        and for what is not connected, what turns it on. Never a secret."""
        from sellerkit.accounts.repository import default_account_id

        with _as_session(db) as session:
            default = default_account_id(session)
            resolved = self._resolve(session, settings, account_id)
        is_default = account_id is None or account_id == default
        providers = []
        for name, r in resolved.items():
            c = r.chosen
            connected = r.usable
            seller_id = c.seller_id if c else None
            unlocks = []
            for f in r.info.features:
                needs = None
                if not connected:
                    needs = f"{r.info.label} connected"
                elif f.needs_seller_id and not seller_id:
                    needs = ("the seller id: SELLERKIT_SPAPI_SELLER_ID" if c.source == SETTINGS else
                             "the seller id: connect again with --seller-id")
                unlocks.append({"feature": f.text, "kinds": list(f.kinds), "available": needs is None,
                                "needs": needs})
            providers.append({
                "provider": name,
                "name": r.info.label,
                "connected": connected,
                "source": c.source if c else None,
                "seller_id": seller_id,
                "marketplaces": list(c.marketplaces) if c else [],
                "kinds": list(r.info.kinds),
                "unlocks": unlocks,
                "problems": list(r.problems),
                "turn_on": None if connected else self._turn_on(name, settings, account_id, is_default, default, r),
            })
        return {"account_id": account_id, "default_account": is_default, "providers": providers}

    @staticmethod
    def _turn_on(name: str, settings: Settings, account_id: int | None, is_default: bool,
                 default: int | None, r: _Resolved) -> str:
        account = f" --account {account_id}" if account_id is not None and not is_default else ""
        if name == "spapi":
            missing = _client_missing(settings)
            if r.chosen is not None and missing:
                return f"set {' and '.join(missing)} (the app's Login with Amazon credentials)"
            command = (f"run `sellerkit providers connect amazon{account} --refresh-token-file FILE "
                       "--seller-id SELLER_ID --marketplace US`")
            if is_default:
                needed = missing + ["SELLERKIT_SPAPI_REFRESH_TOKEN"]
                return (f"set {', '.join(needed[:-1])} and {needed[-1]} (SELLERKIT_SPAPI_SELLER_ID too, for "
                        f"listing restrictions), or {command}" if len(needed) > 1 else
                        f"set SELLERKIT_SPAPI_REFRESH_TOKEN (SELLERKIT_SPAPI_SELLER_ID too, for listing "
                        f"restrictions), or {command}")
            client = f", with {' and '.join(missing)} set" if missing else ""
            return (f"{command}{client} (the SELLERKIT_SPAPI_* settings connect only the default "
                    f"account, {default})")
        if name == "ebay":
            missing = _client_missing(settings, "ebay")
            app = f"set {' and '.join(missing)} (the eBay app's keyset), and " if missing else ""
            return f"{app}run `sellerkit providers connect ebay{account} --refresh-token-file FILE`"
        command = f"run `sellerkit providers connect keepa{account} --key-file FILE`"
        if is_default:
            return f"set SELLERKIT_KEEPA_KEY, or {command}"
        return f"{command} (SELLERKIT_KEEPA_KEY connects only the default account, {default})"

    # ---- the install as a whole (server and worker start, the banner) ----

    def unavailable(self, db: Database | Session, settings: Settings) -> list[Unavailable]:
        """Providers no account can use (one entry each), and stored credentials that cannot be
        read: what `sellerkit serve`, the server and `sellerkit worker` say once at start."""
        settings_side = _settings_connections(settings, 0)
        missing_client = _client_missing(settings)
        with _as_session(db) as session:
            rows = _stored_rows(session)
        cipher = _cipher_or_none(settings) if rows else None
        readable: dict[str, int] = {}
        unreadable: dict[str, list[int]] = {}
        for row in rows:
            try:
                _open(row, cipher)
                readable[row.provider] = readable.get(row.provider, 0) + 1
            except SecretUnreadable:
                unreadable.setdefault(row.provider, []).append(row.account_id)
        out: list[Unavailable] = []
        for name, info in PROVIDERS.items():
            if not info.kinds:  # a sales channel (eBay): `sellerkit providers status` and the pulls say it
                continue
            have = (name in settings_side) + readable.get(name, 0)
            if unreadable.get(name):
                accounts = ", ".join(map(str, unreadable[name]))
                why = ("SELLERKIT_SECRET_KEY is not set" if cipher is None else
                       "SELLERKIT_SECRET_KEY is not the key they were stored with")
                out.append(Unavailable(
                    name, f"the stored {info.label} credentials of account{'s' if ',' in accounts else ''} "
                    f"{accounts} cannot be read ({why})",
                    "set the key they were stored with, or connect again with "
                    f"`sellerkit providers connect {info.command} --account N ...`", have > 0,
                    f"Stored {info.label} credentials unreadable ({why})"))
            if name == "spapi" and have and missing_client:
                out.append(Unavailable(
                    name, f"{info.label} is connected but cannot be used: {' and '.join(missing_client)} "
                    f"{'is' if len(missing_client) == 1 else 'are'} not set",
                    f"set {' and '.join(missing_client)} (the app's Login with Amazon credentials)", False,
                    f"No live {info.label} data ({' and '.join(missing_client)} unset)"))
            elif not have:
                turn_on = TURN_ON[name]
                what = ", ".join(f.text for f in info.features)
                out.append(Unavailable(name, f"{info.label} is not connected (unavailable: {what})", turn_on,
                                       False, f"No live {info.label} data"))
        return out

    def announce(self, db: Database | Session, settings: Settings, where: str) -> list[Unavailable]:
        """Log each unavailable line once (a server or worker starting), unless `sellerkit serve`
        already said them in its banner. Never fails a start."""
        if os.environ.get(ANNOUNCED_ENV):
            return []
        try:
            notes = self.unavailable(db, settings)
        except Exception as exc:  # noqa: BLE001 - a start must not fail over a notice
            log.warning("%s: could not tell which live data is connected (%s)", where, type(exc).__name__)
            return []
        for note in notes:
            log.warning("%s", note.line)
        return notes


@dataclass(frozen=True, slots=True)
class Unavailable:
    """One provider's live data that no account can have now, or a problem with stored ones."""

    provider: str
    what: str  # e.g. "Amazon SP-API is not connected: no match codes the catalog lacks; ..."
    turn_on: str  # which setting or command turns it on
    partly: bool  # some accounts still have this provider (only a stored connection is at fault)
    brief: str  # the banner's opening, e.g. "No live Keepa data"

    @property
    def short(self) -> str:
        """One short line for the banner `sellerkit serve` prints."""
        return f"{self.brief}: {self.turn_on}"

    @property
    def line(self) -> str:
        if self.partly:
            return f"live data: {self.what}; to fix it, {self.turn_on}"
        return f"live data: {self.what}; scans and look-ups use the local catalog; to turn it on, {self.turn_on}"


connections = ConnectionService()
connections_for = connections.connections_for
status = connections.status
connect = connections.connect
disconnect = connections.disconnect
