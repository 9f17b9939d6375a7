"""Settings: the one place that reads the environment.

Every setting can be given as an environment variable prefixed with ``REGISTRY_`` (for example
``REGISTRY_DATABASE_URL``) or in a ``.env`` file in the working directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.resources import CHECKOUT

# From a checkout the seeds and the data folder default to the repository's; an installed wheel
# defaults to ./seeds and ./var in the working directory.
HOME = CHECKOUT or Path()
DEFAULT_DATA_DIR = HOME / "var"


class Settings(BaseSettings):
    """Runtime configuration of the registry."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Folder for the embedded SQLite database and saved scaling-law fits.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL. Default: sqlite:///<data_dir>/registry.sqlite3. "
            "For PostgreSQL: postgresql+psycopg://user@host:5432/dbname."
        ),
    )
    seeds_dir: Path = Field(default=HOME / "seeds", description="The seed tree.")
    write_token: str | None = Field(
        default=None, description="Bearer token that authorises HTTP writes; unset refuses them."
    )
    trusted_proxies: str | None = Field(
        default=None,
        description=(
            "Comma-separated addresses of reverse proxies whose X-Forwarded-For header is "
            "trusted for the client address (rate limits). Unset: no forwarded header is "
            "trusted, so the client address is the connection's."
        ),
    )
    header_timeout_s: float = Field(
        default=10.0,
        ge=0,
        description="Seconds a connection may take to send a request's headers (0: no limit).",
    )
    max_in_flight: int = Field(
        default_factory=lambda: max(2, min(8, os.cpu_count() or 2)),
        ge=1,
        le=64,
        description=(
            "Requests a server process computes at once (default: one per CPU core, 2 to 8); "
            "keep it below the database pool's size (docs/PERFORMANCE.md, overload). Cache "
            "hits do not count."
        ),
    )
    max_waiting: int = Field(
        default=64,
        ge=0,
        description="Requests that may wait (up to a second) for a slot; beyond, 503 at once.",
    )
    cache_bytes: int = Field(
        default=128 * 1024 * 1024,
        ge=1024 * 1024,
        description="Bytes of answers each server process keeps in its response cache.",
    )
    document_memory_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description=(
            "Bytes of model documents each server process keeps in memory once read, so that "
            "a new page of the model list made of models already read needs no database read "
            "(0: read every page from the database)."
        ),
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, else the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'registry.sqlite3'}"

    @property
    def fits_path(self) -> Path:
        """JSON file holding the scaling-law fits a user saved with ``registry fit --save``."""
        return self.data_dir / "fits.json"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
