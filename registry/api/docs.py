"""``/docs``: Swagger UI over the OpenAPI schema, served by the app (no CDN, no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

INIT_SCRIPT = Path(__file__).parent / "docs_assets" / "init.js"
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Model registry API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
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
    return FileResponse(INIT_SCRIPT, media_type="text/javascript")


def mount_docs(app: FastAPI) -> None:
    """Serve the API documentation page and its assets."""
    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
