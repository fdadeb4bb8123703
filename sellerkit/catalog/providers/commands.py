"""`sellerkit providers ...`: connect a seller account to live data, disconnect it, show what it has.

Registered on the main CLI by `sellerkit/cli.py`. A secret is read from a file (or standard
input with `-`), never from the command line (where shell history and `ps` would keep it), and is
never printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from sellerkit.errors import SellerkitError

providers_app = typer.Typer(no_args_is_help=True,
                            help="Live data providers and channels (Amazon SP-API, Keepa, eBay): connect, disconnect, status.")
connect_app = typer.Typer(no_args_is_help=True, help="Connect a seller account to a provider.")
providers_app.add_typer(connect_app, name="connect")

AccountOption = Annotated[Optional[str], typer.Option(
    "--account", help="Account id or name (`sellerkit keys list`); default: the default account, the first made.")]


def _cli():
    from sellerkit import cli

    return cli


def _read_secret(path: Path, option: str) -> str:
    """The file's text (`-`: standard input). Errors name the file, never its content."""
    where = f"{option} {path}"
    try:
        if str(path) == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as fh:
            return fh.read(64 * 1024)
    except FileNotFoundError:
        _cli()._fail(f"{where}: no such file", 2)
    except IsADirectoryError:
        _cli()._fail(f"{where}: a folder, not a file", 2)
    except UnicodeDecodeError:
        _cli()._fail(f"{where}: not text (UTF-8); it should hold the secret alone, on one line", 2)
    except OSError as exc:
        _cli()._fail(f"{where}: cannot be read ({exc.strerror})", 2)
    raise AssertionError("unreachable")


def _account(session, ref: str | None):
    from sellerkit.accounts.service import keys

    return keys.find_account(session, ref)


def _connect(provider: str, account: str | None, secret: str, **details) -> None:
    from sellerkit.catalog.providers.connections import PROVIDERS, connections
    from sellerkit.config import get_settings

    cli = _cli()
    settings = get_settings()
    try:
        db = cli._db()
        with db.session(write=True) as s:
            acct = _account(s, account)
            made = connections.connect(s, settings, acct.id, provider, secret, **details)
            name = acct.name
        with db.session() as s:
            state = next(p for p in connections.status(s, settings, made.account_id)["providers"]
                         if p["provider"] == made.provider)
    except SellerkitError as exc:
        cli._fail(exc.message, 2 if exc.status_code == 400 else 1)
        return
    info = PROVIDERS[made.provider]
    where = f" (seller {made.seller_id})" if made.seller_id else ""
    serves = f": {', '.join(made.marketplaces)}" if made.marketplaces else ""
    cli.err.print(f"connected account {made.account_id} ({name}) to {info.label}{where}{serves}", soft_wrap=True,
                  highlight=False, markup=False)
    for problem in state["problems"]:
        cli.err.print(f"note: {problem}", soft_wrap=True, highlight=False, markup=False)
    unlocked = [u["feature"] for u in state["unlocks"] if u["available"]]
    if unlocked:
        cli.err.print("unlocks: " + "; ".join(unlocked), soft_wrap=True, highlight=False, markup=False)
    for u in state["unlocks"]:
        if not u["available"] and state["connected"]:
            cli.err.print(f"not yet: {u['feature']}: needs {u['needs']}", soft_wrap=True, highlight=False,
                          markup=False)


@connect_app.command("amazon")
def connect_amazon(
    refresh_token_file: Annotated[Path, typer.Option(
        "--refresh-token-file", help="File holding the seller's LWA refresh token (Atzr|...), '-' for standard "
        "input. Never give the token itself on the command line.")],
    marketplace: Annotated[list[str], typer.Option(
        "--marketplace", help="A marketplace the seller sells in (US, CA, UK, DE ...); repeat it for more.")],
    seller_id: Annotated[Optional[str], typer.Option(
        "--seller-id", help="The seller's merchant token (Seller Central: Settings > Account Info); "
        "Listings Restrictions need it.")] = None,
    account: AccountOption = None,
):
    """Connect an account to Amazon SP-API with the seller's refresh token (stored encrypted with
    SELLERKIT_SECRET_KEY). The app's client id and secret come from SELLERKIT_SPAPI_CLIENT_ID and
    SELLERKIT_SPAPI_CLIENT_SECRET."""
    secret = _read_secret(refresh_token_file, "--refresh-token-file")
    from sellerkit.catalog.providers.connections import check_marketplaces, check_refresh_token
    from sellerkit.errors import Invalid

    try:
        secret = check_refresh_token(secret, f"--refresh-token-file {refresh_token_file}")
        marketplace = list(check_marketplaces(marketplace, "--marketplace"))
    except Invalid as exc:
        _cli()._fail(exc.message, 2)
    _connect("spapi", account, secret, seller_id=seller_id, marketplaces=marketplace)


@connect_app.command("ebay")
def connect_ebay(
    refresh_token_file: Annotated[Path, typer.Option(
        "--refresh-token-file", help="File holding the seller's eBay OAuth refresh token (v^1.1#...), '-' for "
        "standard input. Never give the token itself on the command line.")],
    account: AccountOption = None,
):
    """Connect an account to eBay with the seller's refresh token (stored encrypted with
    SELLERKIT_SECRET_KEY): its eBay channel account's orders are pulled and tracking goes back
    (scope sell.fulfillment). The app's keyset comes from SELLERKIT_EBAY_CLIENT_ID and
    SELLERKIT_EBAY_CLIENT_SECRET."""
    secret = _read_secret(refresh_token_file, "--refresh-token-file")
    from sellerkit.catalog.providers.connections import check_ebay_token
    from sellerkit.errors import Invalid

    try:
        secret = check_ebay_token(secret, f"--refresh-token-file {refresh_token_file}")
    except Invalid as exc:
        _cli()._fail(exc.message, 2)
    _connect("ebay", account, secret)


@connect_app.command("keepa")
def connect_keepa(
    key_file: Annotated[Path, typer.Option(
        "--key-file", help="File holding the Keepa API key, '-' for standard input.")],
    account: AccountOption = None,
):
    """Connect an account to Keepa with its API key (stored encrypted with SELLERKIT_SECRET_KEY)."""
    secret = _read_secret(key_file, "--key-file")
    from sellerkit.catalog.providers.connections import check_keepa_key
    from sellerkit.errors import Invalid

    try:
        secret = check_keepa_key(secret, f"--key-file {key_file}")
    except Invalid as exc:
        _cli()._fail(exc.message, 2)
    _connect("keepa", account, secret)


@providers_app.command("disconnect")
def disconnect(
    provider: Annotated[str, typer.Argument(help="amazon, keepa or ebay.")],
    account: AccountOption = None,
):
    """Delete an account's stored connection (the settings' connection of the default account ends
    only when its setting is unset)."""
    from sellerkit.catalog.providers.connections import PROVIDERS, connections, provider_name

    cli = _cli()
    try:
        name = provider_name(provider)
        with cli._db().session(write=True) as s:
            acct = _account(s, account)
            removed = connections.disconnect(s, acct.id, name)
    except SellerkitError as exc:
        cli._fail(exc.message, 2 if exc.status_code == 400 else 1)
        return
    label = PROVIDERS[name].label
    if removed:
        cli.err.print(f"disconnected account {acct.id} ({acct.name}) from {label}", soft_wrap=True,
                      highlight=False, markup=False)
    else:
        cli.err.print(f"account {acct.id} ({acct.name}) had no stored {label} connection", soft_wrap=True,
                      highlight=False, markup=False)


@providers_app.command("status")
def status(
    account: AccountOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (as GET /api/v3/providers answers).")] = False,
):
    """What an account has connected, for which marketplaces, what each connection unlocks, and
    what turns on the rest. Never shows a secret."""
    from sellerkit.accounts.repository import default_account_id
    from sellerkit.catalog.providers.connections import connections
    from sellerkit.config import get_settings

    cli = _cli()
    settings = get_settings()
    try:
        with cli._db().session() as s:
            acct = _account(s, account) if account is not None or default_account_id(s) is not None else None
            state = connections.status(s, settings, acct.id if acct else None)
    except SellerkitError as exc:
        cli._fail(exc.message, 2 if exc.status_code == 400 else 1)
        return
    if as_json:
        print(json.dumps(state))
        return
    out = Console(markup=False, highlight=False, soft_wrap=True)
    who = (f"account {acct.id} ({acct.name})" if acct else "no account yet (the first one made will be "
           "the default account)")
    out.print(f"{who}{', the default account' if acct and state['default_account'] else ''}")
    for p in state["providers"]:
        if p["source"]:
            seller = f", seller id {p['seller_id']}" if p["seller_id"] else ", no seller id"
            seller = seller if p["provider"] == "spapi" else ""
            state_ = "connected" if p["connected"] else "NOT usable"
            serves = f", marketplaces {' '.join(p['marketplaces'])}" if p["marketplaces"] else ""
            out.print(f"{p['name']}: {state_} ({p['source']}){seller}{serves}")
        else:
            out.print(f"{p['name']}: not connected")
        for u in p["unlocks"]:
            needs = f"  (needs {u['needs']})" if u["needs"] and p["connected"] else ""
            kinds = f" [{', '.join(u['kinds'])}]" if u["kinds"] else ""
            out.print(f"  {'yes' if u['available'] else 'no '} {u['feature']}{kinds}{needs}")
        for problem in p["problems"]:
            out.print(f"  problem: {problem}")
        if p["turn_on"]:
            out.print(f"  to connect: {p['turn_on']}")
