"""Alembic migrations, shipped in the wheel as ``registry.migrations`` (``registry.resources``)."""
