"""Schemathesis over the whole OpenAPI schema: no 5xx, and every response matches the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests_support import MINI_SEEDS

from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

EXAMPLES_PER_OPERATION = 30  # bounded for CI time: about 20 operations
CHECKS = (status_code_conformance, content_type_conformance, response_schema_conformance)


def test_every_operation(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine=engine))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as exc:
            pytest.fail(f"{operation.label}: {exc}")
    engine.dispose()
