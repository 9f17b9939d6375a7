"""``/api/v1/probe-runs``: recording probe runs (token-protected) and listing a model's runs.

Writes need ``Authorization: Bearer <REGISTRY_WRITE_TOKEN>``: 401 without a bearer token, 403
with a wrong one (compared in constant time) and 403 for every write when the server has no
token set. Bodies over ``MAX_BODY_BYTES`` get 413 (``BODY_LIMITS``, enforced by ``BodyLimit``);
each client address may write ``RATE_CAPACITY`` runs at once and one more every
``60 / RATE_PER_MINUTE`` seconds (429 with Retry-After beyond that; in-process, per worker).
"""

from __future__ import annotations

import hmac
import math
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from registry.api.schemas import ERRORS, WRITE_ERRORS
from registry.http.deps import SessionDep
from registry.http.ratelimit import TokenBucket
from registry.models import ProbeRunCreate, ProbeRunPublic, ProbeRunsPublic
from registry.probe import store

router = APIRouter(prefix="/api/v1", tags=["probe-runs"], responses=ERRORS)
MAX_BODY_BYTES = 64 * 1024
BODY_LIMITS = {f"{router.prefix}/probe-runs": MAX_BODY_BYTES}
RATE_CAPACITY = 10
RATE_PER_MINUTE = 10
MAX_LIMIT = 500


def _bucket(request: Request) -> TokenBucket:
    state = request.app.state
    if not hasattr(state, "probe_run_bucket"):
        state.probe_run_bucket = TokenBucket(
            capacity=RATE_CAPACITY, refill_per_s=RATE_PER_MINUTE / 60
        )
    bucket: TokenBucket = state.probe_run_bucket
    return bucket


def rate_limited(request: Request) -> None:
    """429 when this client address has spent its writes."""
    client = request.client.host if request.client else "unknown"
    wait_s = _bucket(request).take(client)
    if wait_s is not None:
        raise HTTPException(
            429,
            f"too many probe runs from {client}: retry in {math.ceil(wait_s)} s",
            headers={"Retry-After": str(math.ceil(wait_s))},
        )


def require_write_token(request: Request) -> None:
    """401 without a bearer token, 403 with a wrong one or when the server has none set."""
    expected = request.app.state.settings.write_token
    scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not supplied.strip():
        raise HTTPException(
            401,
            "writes need an 'Authorization: Bearer <token>' header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not expected:
        raise HTTPException(
            403,
            "this server refuses writes: it has no REGISTRY_WRITE_TOKEN set",
        )
    if not hmac.compare_digest(supplied.strip().encode(), expected.encode()):
        raise HTTPException(403, "the bearer token is not the write token")


async def probe_run_body(request: Request) -> ProbeRunCreate:
    """The request body as a ``ProbeRunCreate`` (bounded to ``MAX_BODY_BYTES`` by ``BodyLimit``)."""
    try:
        return ProbeRunCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


@router.post(
    "/probe-runs",
    response_model=ProbeRunPublic,
    status_code=201,
    responses=WRITE_ERRORS,
    dependencies=[Depends(rate_limited), Depends(require_write_token)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ProbeRunCreate.model_json_schema()}},
        }
    },
)
def create_probe_run(
    session: SessionDep, run: Annotated[ProbeRunCreate, Depends(probe_run_body)]
) -> ProbeRunPublic:
    """Record a probe run; with a model slug it is compared with the model's claims."""
    return store.public_run(store.record_run(session, run))


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Offset = Annotated[int, Query(ge=0, description="Rows to skip.")]


@router.get("/models/{slug}/probe-runs", response_model=ProbeRunsPublic)
def list_model_probe_runs(
    slug: str, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> ProbeRunsPublic:
    """The model's probe runs, newest first, with the total count."""
    data, count = store.list_probe_runs(session, model_slug=slug, limit=limit, offset=offset)
    return ProbeRunsPublic(data=data, count=count)


@router.get("/probe-runs", response_model=ProbeRunsPublic)
def list_probe_runs(
    model: Annotated[str, Query(description="Model slug.")],
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ProbeRunsPublic:
    """The same list as ``/models/{slug}/probe-runs``, outside the seed-revision cache."""
    return list_model_probe_runs(model, session, limit, offset)
