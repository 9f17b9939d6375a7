"""``/docs``: Swagger UI over the OpenAPI schema, served by the app (no CDN, no inline script).

The assets come from the ``fastapi-offline`` package, which ships a current Swagger UI 5 bundle
(OpenAPI 3.1, which FastAPI writes; the older ``swagger-ui-bundle`` package stopped at 3.20 and
cannot read it). ``docs/PAGES.md`` lists what the browser tests check on this page.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "docs_assets"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API · Model registry</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="stylesheet" href="/docs/docs.css">
</head>
<body>
  <header class="docs-head">
    <a href="/">Model registry</a> · <a href="/openapi.json">openapi.json</a>
  </header>
  <main id="swagger-ui" aria-label="API reference"></main>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get("/docs/init.js")
def docs_init() -> FileResponse:
    return FileResponse(ASSETS / "init.js", media_type="text/javascript")


@router.get("/docs/docs.css")
def docs_css() -> FileResponse:
    return FileResponse(ASSETS / "docs.css", media_type="text/css")


def mount_docs(app: FastAPI) -> None:
    """Serve the API documentation page and its assets."""
    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")
