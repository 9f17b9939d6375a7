"""Persistence: the engine, migrations, and the one place that builds SQL (queries, filters)."""
