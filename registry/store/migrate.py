"""Schema migrations through Alembic's API, for the CLI and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from registry.errors import DatabaseError
from registry.resources import resource_dir


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs on ``engine``'s connections.

    Built in code rather than read from ``alembic.ini``, so that an installed wheel migrates with
    the scripts it ships (``registry.resources``); ``alembic.ini`` serves the ``alembic`` tool.
    """
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("path_separator", "os")
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    config.attributes["configure_logger"] = False
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` empties it)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def ensure_current(engine: Engine) -> None:
    """Raise DatabaseError unless the database is migrated to the latest revision."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise DatabaseError(
            f"the database is at revision {current or 'none (empty)'}, the code expects {head}: "
            "run `registry db upgrade`"
        )
