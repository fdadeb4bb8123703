"""`sellerkit accounts ...`: an account's channel accounts from the command line (the same
service as `POST /api/marketplace_accounts`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from sellerkit.errors import SellerkitError

accounts_app = typer.Typer(no_args_is_help=True, help="Accounts' sales channels: add-channel, channels, remove-channel.")
orders_app = typer.Typer(no_args_is_help=True, help="Orders: import channel files, pull from live channels.")
Account = Annotated[Optional[str], typer.Option(help="Account id or name (default: the default account).")]


@contextmanager
def _account(ref: str | None, write: bool = False) -> Iterator[tuple]:
    """(session, account id, id codec) of the named account; a service error ends the command
    with its message."""
    from sellerkit import cli
    from sellerkit.accounts.service import keys
    from sellerkit.commerce.wire import codec_of

    db = cli._db()
    ids = codec_of(db)  # before the write transaction: it may read the key
    try:
        with db.session(write=write) as s:
            yield s, keys.find_account(s, ref).id, ids
    except SellerkitError as exc:
        cli._fail(exc.message)


@accounts_app.command("add-channel")
def add_channel(
    channel_type: Annotated[str, typer.Argument(help="amazon, ebay, shopify, walmart or google "
                                                     "(or AmazonAccount, EbayAccount ...).")],
    name: Annotated[str, typer.Option(help="The channel account's nickname.")],
    marketplace: Annotated[Optional[str], typer.Option(help="Amazon only: US, UK, DE ... (default US).")] = None,
    account: Account = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Connect a sales channel to an account (Amazon once per marketplace)."""
    from sellerkit.cli import err
    from sellerkit.commerce import views
    from sellerkit.commerce.schemas import MarketplaceAccountIn
    from sellerkit.commerce.service import channel_accounts

    with _account(account, write=True) as (s, owner, ids):
        row = channel_accounts.create(s, owner, MarketplaceAccountIn(
            name=name, marketplace_account_type=channel_type, marketplace_id=marketplace))
        out = views.marketplace_account(ids, row)
    if as_json:
        print(json.dumps(out))
    else:
        err.print(f"{out['marketplace_account_type']} {out['name']!r} ({out['marketplace_id'] or out['marketplace']}) "
                  f"added to account {owner}", markup=False)
        print(out["id"])


@accounts_app.command("channels")
def channels(account: Account = None):
    """An account's channel accounts, as JSON lines."""
    from sellerkit.commerce import views
    from sellerkit.commerce.service import channel_accounts

    with _account(account) as (s, owner, ids):
        rows = [views.marketplace_account(ids, row) for row in channel_accounts.list(s, owner)]
    for out in rows:
        out.pop("manifest_folders")
        print(json.dumps(out))


@accounts_app.command("remove-channel")
def remove_channel(
    channel_id: Annotated[str, typer.Argument(help="The channel account's id (24 hex characters).")],
    account: Account = None,
):
    """Remove a channel account (its products and orders keep their history)."""
    from sellerkit.cli import err
    from sellerkit.commerce.service import channel_accounts
    from sellerkit.commerce.wire import need

    with _account(account, write=True) as (s, owner, ids):
        channel_accounts.delete(s, owner, need(ids, "marketplace_account", channel_id))
    err.print(f"removed {channel_id}", markup=False)


@orders_app.command("import")
def orders_import(
    file: Annotated[Path, typer.Argument(help="An eBay getOrders JSON page, an Amazon order report or an Amazon "
                                              "All Listings report (told apart by their content).")],
    channel: Annotated[str, typer.Option(help="The marketplace account the file comes from (its name).")],
    account: Account = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Import a channel file: orders take their stock once (importing a file again changes
    nothing); a listings report becomes a submitted manifest."""
    from sellerkit import cli
    from sellerkit.commerce.imports import import_file

    if not file.is_file():
        cli._fail(f"{file}: no such file", 2)
    with _account(account) as (_, account_id, _ids):
        pass
    try:
        done = import_file(cli._db(), account_id, channel, file.read_bytes(), file.name)
    except SellerkitError as exc:
        cli._fail(exc.message)
    except ValueError as exc:  # not a channel file
        cli._fail(f"{file.name}: {exc}")
    if as_json:
        print(json.dumps(done.as_dict()))
    else:
        cli.err.print(f"{file.name}: {done.format}: {done.orders} orders ({done.created} new), "
                      f"{done.listings} listings")


@orders_app.command("pull")
def orders_pull(
    account: Account = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Pull orders now from the account's Amazon and eBay channel accounts (each from where its
    last pull ended): prints the orders added and updated. Walmart, Shopify and Google accounts
    stay local; a channel that is not connected says what to set."""
    from sellerkit import cli
    from sellerkit.commerce.channels import STAYS_LOCAL, Live
    from sellerkit.commerce.order_pulls import order_pulls
    from sellerkit.commerce.service import channel_accounts
    from sellerkit.domain.commerce import LIVE_ORDER_CHANNELS
    from sellerkit.commerce.orders_router import webhook_view
    from sellerkit.config import get_settings

    settings = get_settings()
    db = cli._db()
    with _account(account) as (_, account_id, _ids):
        pass
    live = Live.of(db, settings)
    channels = order_pulls.channels(db, account_id)
    with db.session() as s:
        local = [(c.name, c.marketplace) for c in channel_accounts.list(s, account_id)
                 if c.marketplace not in LIVE_ORDER_CHANNELS]
    for name, marketplace in local:
        cli.err.print(f"{name}: {STAYS_LOCAL.format(label=marketplace.capitalize())}", markup=False, soft_wrap=True)
    if not channels:
        cli._fail(f"account {account_id} has no Amazon or eBay channel account; add one with "
                  "`sellerkit accounts add-channel amazon --name NAME` (or ebay)")
    results, failed = [], False
    for channel_id in channels:
        try:
            results.append(order_pulls.pull(db, live, channel_id, view=webhook_view(db)))
        except SellerkitError as exc:
            failed = True
            cli.err.print(f"channel {channel_id}: {exc.message} (the next pull resumes where this one stopped)",
                          markup=False, soft_wrap=True)
    if as_json:
        print(json.dumps([{"channel": r.channel, "added": r.added, "updated": r.updated, "pages": r.pages,
                           "note": r.note, "notes": r.notes} for r in results]))
    else:
        for r in results:
            print(r.line())
            for note in r.notes:
                cli.err.print(f"  {note}", markup=False, soft_wrap=True)
        print(f"{sum(r.added for r in results):,} orders added, {sum(r.updated for r in results):,} updated")
    if failed:
        raise typer.Exit(1)
