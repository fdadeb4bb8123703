"""Alembic migrations, run on start (`Database.migrate`) and by `sellerkit db upgrade`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

HERE = Path(__file__).parent


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


@cache
def head() -> str:
    """The newest revision, from the file names alone: each migration is named after its
    revision (`0016_channel_listings.py` is revision 0016, revising 0015)."""
    return max(path.name.split("_", 1)[0] for path in (HERE / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def at_head(engine: Engine) -> bool:
    """True when the database is at the newest revision, asked without Alembic."""
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    except sa.exc.DBAPIError:  # no version table: a new database
        return False


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Every start runs this; a database already at head is told so by one query, without
    importing Alembic and its migrations (some 25 MiB that each server process would keep)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
