"""Pushing a run to a registry server: ``POST /api/v1/probe-runs`` with a bearer token (httpx)."""

from __future__ import annotations

import httpx

from registry.errors import NotFound
from registry.models import ProbeRunCreate, ProbeRunPublic
from registry.probe.errors import PushError

TIMEOUT_S = 30.0


def _client(url: str, token: str | None, transport: httpx.BaseTransport | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=url.rstrip("/"), headers=headers, timeout=TIMEOUT_S, transport=transport
    )


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail) if detail else response.text[:200] or response.reason_phrase


def _raise_for(response: httpx.Response, url: str) -> None:
    if response.is_success:
        return
    status, detail = response.status_code, _detail(response)
    if status == 401:
        raise PushError(
            f"{url} wants a write token: pass --token (the server's "
            f"REGISTRY_WRITE_TOKEN); it said: {detail}"
        )
    if status == 404:
        raise NotFound(f"{url}: {detail}")
    raise PushError(f"{url} refused the run ({status}): {detail}")


def check_model(url: str, slug: str, *, transport: httpx.BaseTransport | None = None) -> None:
    """``NotFound`` unless the server at ``url`` knows model ``slug`` (checked before measuring)."""
    try:
        with _client(url, None, transport) as client:
            response = client.get(f"/api/v1/models/{slug}/probe-runs", params={"limit": 1})
    except httpx.HTTPError as exc:
        raise PushError(f"cannot reach the registry at {url!r}: {exc}") from None
    _raise_for(response, url)


def push_run(
    run: ProbeRunCreate, *, url: str, token: str, transport: httpx.BaseTransport | None = None
) -> ProbeRunPublic:
    """Post ``run`` to the server at ``url``; the recorded run (with its claims) comes back."""
    try:
        with _client(url, token, transport) as client:
            response = client.post(
                "/api/v1/probe-runs",
                content=run.model_dump_json(),
                headers={"Content-Type": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise PushError(f"cannot reach the registry at {url!r}: {exc}") from None
    _raise_for(response, url)
    return ProbeRunPublic.model_validate(response.json())
