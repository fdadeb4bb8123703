"""`sellerkit credits set N [--account A]` and `sellerkit capture parse FILE --domain D --json`.

Registered on the main CLI by `sellerkit/cli.py`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sellerkit.catalog.providers.commands import AccountOption, _account, _cli
from sellerkit.errors import SellerkitError

credits_app = typer.Typer(no_args_is_help=True, help="Capture credits of tracked collections: show, set.")
capture_app = typer.Typer(no_args_is_help=True, help="Product-page capture: parse a saved page.")


@credits_app.command("set")
def credits_set(credits: Annotated[int, typer.Argument(help="Available credits, 0 or more.")],
                account: AccountOption = None):
    """Set an account's available credits (used and frozen ones are kept)."""
    from sellerkit.tracking.service import tracking

    cli = _cli()
    try:
        with cli._db().session(write=True) as s:
            acct = _account(s, account)
            state = tracking.set_credits(s, acct.id, credits)
    except SellerkitError as exc:
        cli._fail(exc.message)
    typer.echo(json.dumps({"account": acct.name, **state}))


@credits_app.command("show")
def credits_show(account: AccountOption = None):
    """An account's available, used and frozen credits."""
    from sellerkit.tracking.service import tracking

    cli = _cli()
    with cli._db().session(write=True) as s:
        acct = _account(s, account)
        typer.echo(json.dumps({"account": acct.name, **tracking.credits(s, acct.id)}))


@capture_app.command("parse")
def capture_parse(file: Annotated[Path, typer.Argument(help="A saved product page (HTML).", exists=True,
                                                       dir_okay=False)],
                  domain: Annotated[str, typer.Option(help="The page's marketplace, e.g. amazon.de.")] = "amazon.com",
                  mode: Annotated[str, typer.Option(help="full or availability_only.")] = "full",
                  as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """Print the parser's fields for a saved page (numbers read as the marketplace writes them)."""
    from sellerkit.domain.pages import MODES, parse_page

    if mode not in MODES:
        _cli()._fail(f"--mode: expected one of {', '.join(MODES)}", 2)
    fields = parse_page(file.read_bytes(), domain, mode=mode)
    if as_json:
        typer.echo(json.dumps(fields, ensure_ascii=False, indent=2))
        return
    for name, value in fields.items():
        typer.echo(f"{name}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")
