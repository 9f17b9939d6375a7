"""Site-wide pages: ``/families`` (every family) and the favicon (``docs/PAGES.md``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from registry.http.deps import SessionDep
from registry.resources import STATIC_DIR
from registry.store import queries
from registry.web.rendering import page

router = APIRouter(include_in_schema=False)


@router.get("/families", response_class=HTMLResponse)
def families_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Every family: its organization, how many models, and when they came out."""

    def build() -> dict[str, Any]:
        organizations = {o["slug"]: o["name"] for o in queries.list_organizations(session)}
        families = queries.list_families(session)
        return {
            "families": families,
            "organization_names": organizations,
            "models": sum(f["models"] for f in families),
        }

    return page(request, "families.html", build, json_url="/api/v1/families")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page says; pages link the SVG."""
    return FileResponse(
        STATIC_DIR / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
