"""`sellerkit accounts ...`: an account's channel accounts from the command line (the same
service as `POST /api/marketplace_accounts`)."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from sellerkit.errors import SellerkitError

accounts_app = typer.Typer(no_args_is_help=True, help="Accounts' sales channels: add-channel, channels, remove-channel.")


def _cli():
    from sellerkit import cli

    return cli


@accounts_app.command("add-channel")
def add_channel(
    channel_type: Annotated[str, typer.Argument(help="amazon, ebay, shopify, walmart or google "
                                                     "(or AmazonAccount, EbayAccount ...).")],
    name: Annotated[str, typer.Option(help="The channel account's nickname.")],
    marketplace: Annotated[Optional[str], typer.Option(help="Amazon only: US, UK, DE ... (default US).")] = None,
    account: Annotated[Optional[str], typer.Option(help="Account id or name (default: the default account).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
):
    """Connect a sales channel to an account (Amazon once per marketplace)."""
    from sellerkit.accounts.service import keys
    from sellerkit.commerce import views
    from sellerkit.commerce.schemas import MarketplaceAccountIn
    from sellerkit.commerce.service import channel_accounts
    from sellerkit.commerce.wire import codec_of

    cli = _cli()
    db = cli._db()
    ids = codec_of(db)
    try:
        with db.session(write=True) as s:
            owner = keys.find_account(s, account)
            row = channel_accounts.create(s, owner.id, MarketplaceAccountIn(
                name=name, marketplace_account_type=channel_type, marketplace_id=marketplace))
            out = views.marketplace_account(ids, row)
    except SellerkitError as exc:
        cli._fail(exc.message)
    if as_json:
        print(json.dumps(out))
    else:
        cli.err.print(f"{out['marketplace_account_type']} {out['name']!r} ({out['marketplace_id'] or out['marketplace']}) "
                      f"added to account {owner.id}", markup=False)
        print(out["id"])


@accounts_app.command("channels")
def channels(
    account: Annotated[Optional[str], typer.Option(help="Account id or name (default: the default account).")] = None,
):
    """An account's channel accounts, as JSON lines."""
    from sellerkit.accounts.service import keys
    from sellerkit.commerce import views
    from sellerkit.commerce.service import channel_accounts
    from sellerkit.commerce.wire import codec_of

    cli = _cli()
    db = cli._db()
    try:
        with db.session() as s:
            owner = keys.find_account(s, account)
            rows = channel_accounts.list(s, owner.id)
    except SellerkitError as exc:
        cli._fail(exc.message)
    for row in rows:
        out = views.marketplace_account(codec_of(db), row)
        out.pop("manifest_folders")
        print(json.dumps(out))


@accounts_app.command("remove-channel")
def remove_channel(
    channel_id: Annotated[str, typer.Argument(help="The channel account's id (24 hex characters).")],
    account: Annotated[Optional[str], typer.Option(help="Account id or name (default: the default account).")] = None,
):
    """Remove a channel account (its products and orders keep their history)."""
    from sellerkit.accounts.service import keys
    from sellerkit.commerce.service import channel_accounts
    from sellerkit.commerce.wire import codec_of, need

    cli = _cli()
    db = cli._db()
    ids = codec_of(db)
    try:
        with db.session(write=True) as s:
            owner = keys.find_account(s, account)
            channel_accounts.delete(s, owner.id, need(ids, "marketplace_account", channel_id))
    except SellerkitError as exc:
        cli._fail(exc.message)
    cli.err.print(f"removed {channel_id}", markup=False)
