"""Use cases of the commerce core: channel accounts, ship-from addresses, suppliers, templates.
Manifests, listings and submission are `commerce.manifests`; products, variants and inventory
locations are `commerce.products`. Ids here are integers; the routers translate the wire's."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sellerkit.commerce import repository as repo
from sellerkit.commerce.models import MarketplaceAccount, ShipFromAddress, Supplier, Template
from sellerkit.commerce.schemas import ContactIn, MarketplaceAccountIn, TemplateIn
from sellerkit.domain import commerce as rules
from sellerkit.domain.marketplaces import UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote
from sellerkit.errors import Gone, Invalid, NotFound
from sellerkit.kit.db import utcnow

import orjson

CONTACTS = {"ship_from_address": ShipFromAddress, "supplier": Supplier}


def _name(value: str | None, field: str) -> str:
    if not value or not value.strip():
        raise Invalid(f"{field}: required")
    if len(value) > 200:
        raise Invalid(f"{field}: at most 200 characters, got {len(value):,}")
    return value.strip()


class ChannelAccounts:
    def list(self, session: Session, account_id: int) -> list[MarketplaceAccount]:
        return repo.channel_accounts(session, account_id)

    def get(self, session: Session, account_id: int, channel_id: int, field: str | None = None) -> MarketplaceAccount:
        """The account's channel account; 410 once removed, 404 when it is not the account's."""
        row = repo.owned(session, MarketplaceAccount, account_id, channel_id, with_deleted=True)
        where = f"{field}: " if field else ""
        if row is None:
            raise NotFound(f"{where}marketplace account not found")
        if row.deleted_at is not None:
            raise Gone(f"{where}marketplace account {quote(row.name)} was removed")
        return row

    def create(self, session: Session, account_id: int, body: MarketplaceAccountIn) -> MarketplaceAccount:
        try:
            kind = rules.channel_type(body.marketplace_account_type)
        except ValueError as exc:
            raise Invalid(f"marketplace_account.{exc}") from None
        market_id = None
        if kind == "AmazonAccount":
            try:
                market_id = marketplace(body.marketplace_id or "US", "marketplace_account.marketplace_id").code
            except UnknownMarketplace as exc:
                raise Invalid(str(exc)) from None
        elif body.marketplace_id:
            raise Invalid(f"marketplace_account.marketplace_id: only Amazon accounts have one ({kind} given)")
        name = _name(body.name, "marketplace_account.name")
        return repo.add(session, MarketplaceAccount(account_id=account_id, name=name, account_type=kind,
                                                    marketplace=rules.CHANNELS[kind], marketplace_id=market_id,
                                                    active=True if body.active is None else body.active))

    def update(self, session: Session, account_id: int, channel_id: int, body: MarketplaceAccountIn,
               account_type: str | None) -> MarketplaceAccount:
        """Rename (or (de)activate) a channel account. The reference names its type in the query;
        a type other than the account's is a 400 saying which it is."""
        row = self.get(session, account_id, channel_id)
        given = account_type or body.marketplace_account_type
        if given is not None and given != row.account_type:
            raise Invalid(f"marketplace_account_type: {quote(given)} does not match this account's type, "
                          f"{row.account_type}")
        if body.name is not None:
            row.name = _name(body.name, "marketplace_account.name")
        if body.active is not None:
            row.active = body.active
        row.updated_at = utcnow()
        session.flush()
        return row

    def of(self, session: Session, account_id: int, ids) -> dict[int, MarketplaceAccount]:
        """By id, the channel accounts that rows being shown belong to, removed ones included."""
        return {c.id: c for c in repo.channel_accounts_by_ids(session, account_id, ids)}

    def delete(self, session: Session, account_id: int, channel_id: int) -> MarketplaceAccount:
        """Remove a channel account: kept as a deleted row (410 from then on) so its orders and
        products keep their history; it no longer lists or takes manifests."""
        row = self.get(session, account_id, channel_id)
        row.deleted_at = row.updated_at = utcnow()
        row.active = False
        session.flush()
        return row


class Contacts:
    """Ship-from addresses and suppliers: objects of the account that manifests name."""

    def create(self, session: Session, account_id: int, kind: str, body: ContactIn):
        fields = body.given()
        fields["name"] = _name(fields.get("name"), f"{kind}.name")
        if country := fields.get("country"):
            if len(country.strip()) != 2:
                raise Invalid(f"{kind}.country: a two-letter country code (US, GB ...), got {quote(country)}")
            fields["country"] = country.strip().upper()
        return repo.add(session, CONTACTS[kind](account_id=account_id, **fields))

    def list(self, session: Session, account_id: int, kind: str) -> list:
        return repo.contacts(session, CONTACTS[kind], account_id)

    def get(self, session: Session, account_id: int, kind: str, row_id: int, field: str):
        row = repo.owned(session, CONTACTS[kind], account_id, row_id)
        if row is None:
            raise NotFound(f"{field}: {kind.replace('_', ' ')} not found")
        return row


class Templates:
    def create(self, session: Session, account_id: int, body: TemplateIn, channel_id: int | None) -> Template:
        name = _name(body.name, "template.name")
        if channel_id is not None:
            channel = channel_accounts.get(session, account_id, channel_id, "template.marketplace_account_id")
            kind = rules.template_type(channel.account_type)
        else:
            kind = None
        if body.template_type:
            match = {t.lower(): t for t in rules.TEMPLATE_TYPES}.get(body.template_type.strip().lower())
            if match is None:
                raise Invalid(f"template.template_type: must be one of {', '.join(rules.TEMPLATE_TYPES)}; "
                              f"got {quote(body.template_type)}")
            if kind is not None and match != kind:
                raise Invalid(f"template.template_type: {match} does not suit a {channel.account_type}")
            kind = match
        if kind is None:
            raise Invalid("template.template_type: required (or give marketplace_account_id)")
        attrs = {"marketplace_account_id": channel_id} if channel_id else {}
        return repo.add(session, Template(account_id=account_id, name=name, template_type=kind,
                                          attributes=orjson.dumps(attrs).decode()))

    def list(self, session: Session, account_id: int) -> list[Template]:
        return repo.contacts(session, Template, account_id)

    def get(self, session: Session, account_id: int, template_id: int) -> Template:
        row = repo.owned(session, Template, account_id, template_id)
        if row is None:
            raise NotFound("template_id: template not found")
        return row


channel_accounts = ChannelAccounts()
contacts = Contacts()
templates = Templates()
