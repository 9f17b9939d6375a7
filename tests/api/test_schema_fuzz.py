"""Schemathesis over the whole OpenAPI schema: no 5xx, and every response matches the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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

# With slugs that exist and integers at the 32- and 64-bit edges (below), 60 examples per operation
# find an unbounded offset (2^64 rows to skip was a 500); docs/RELIABILITY.md gives the figures.
EXAMPLES_PER_OPERATION = 60
# Random integers rarely pass 2^63; databases break exactly there (and at 2^31 on PostgreSQL).
INTEGER_EDGES = (-1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30)
CHECKS = (status_code_conformance, content_type_conformance, response_schema_conformance)
# Slugs the test database holds: random text only ever reaches the 404 before the query runs.
KNOWN = {"/families/": "demo", "/models/": "demo-7b"}
KNOWN_QUERY = {"model": "demo-7b", "models": "demo-7b,demo-8x1b", "family": "demo"}


def _integer_parameters(case: schemathesis.Case) -> list[str]:
    names = []
    for parameter in case.operation.query:
        schema = parameter.definition.get("schema", {})
        kinds = [schema, *schema.get("anyOf", [])]
        if any(kind.get("type") == "integer" for kind in kinds):
            names.append(parameter.name)
    return names


def _at_an_edge(case: schemathesis.Case, choice: int, edge: int) -> None:
    """Set one integer query parameter (the ``choice``-th, if any) to an integer edge."""
    names = _integer_parameters(case)
    if names:
        case.query = {**(case.query or {}), names[choice % len(names)]: edge}


def _known_slugs(case: schemathesis.Case, path: str) -> None:
    """Point the case at data that exists, so that its other parameters reach the database."""
    for prefix, slug in KNOWN.items():
        if prefix in path and case.path_parameters and "slug" in case.path_parameters:
            case.path_parameters["slug"] = slug
    for name, value in KNOWN_QUERY.items():
        if case.query and name in case.query:
            case.query[name] = value


def test_every_operation(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine=engine))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(
            case=operation.as_strategy(),
            known=st.booleans(),
            edge=st.none() | st.tuples(st.integers(0, 7), st.sampled_from(INTEGER_EDGES)),
        )
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case, known: bool, edge: tuple[int, int] | None) -> None:
            if known:
                _known_slugs(case, case.operation.path)
            if edge is not None:
                _at_an_edge(case, *edge)
            response = case.call()
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as exc:
            pytest.fail(f"{operation.label}: {exc}")
    engine.dispose()
